"""The naive baseline: the classic LangChain ReAct agent, reproduced without LangChain.

As `create_react_agent` + `AgentExecutor` run it: the `hwchase17/react` prompt, the regex parser,
the full scratchpad (each step's whole output, earlier Thoughts included, replayed), the
"\\nObservation" stop sequence, parse errors fed back as "Invalid Format" observations
(`handle_parsing_errors=True`) so the loop goes on, and at the iteration limit LangChain's
"force" early stopping: a canned sentence instead of an answer.
"""

from __future__ import annotations

import time

from deployments.agent.generation import Generator
from deployments.agent.parser import Action, ParseError, parse_classic
from deployments.agent.prompts import classic_prompt
from deployments.agent.tools import Tool, run_tool
from deployments.agent.trace import STOP_FINAL_ANSWER, STOP_MAX_STEPS, Run, Step

FORCED_STOP = "Agent stopped due to iteration limit or time limit."


class ClassicAgent:
    def __init__(self, generate: Generator, tools: dict[str, Tool], max_tokens: int = 128) -> None:
        self.generate, self.tools, self.max_tokens = generate, tools, max_tokens

    async def run(self, question: str, max_steps: int, run: Run) -> Run:
        scratchpad = ""
        for _ in range(max_steps):
            started = time.perf_counter()
            text = await self.generate(classic_prompt(question, self.tools, scratchpad), self.max_tokens,
                                       ["\nObservation"])
            try:
                parsed = parse_classic(text)
            except ParseError as exc:
                run.parse_failures += 1
                step = Step(text.strip(), "_Exception", "", str(exc), recovered=False)
            else:
                if not isinstance(parsed, Action):
                    await run.record(Step(text.strip(), "Final Answer", parsed.answer,
                                          latency_s=round(time.perf_counter() - started, 3)))
                    return run.finish(parsed.answer, STOP_FINAL_ANSWER)
                observation = await self._tool(parsed)
                step = Step(text.strip(), parsed.tool, parsed.tool_input, observation)
            step.latency_s = round(time.perf_counter() - started, 3)
            await run.record(step)
            scratchpad += f"{text}\nObservation: {step.observation}\nThought: "
        return run.finish(FORCED_STOP, STOP_MAX_STEPS)

    async def _tool(self, action: Action) -> str:
        if action.tool not in self.tools:
            return f"{action.tool} is not a valid tool, try one of [{', '.join(self.tools)}]."
        return await run_tool(self.tools, action.tool, action.tool_input)
