"""The improved ReAct loop: the five practitioner fixes, every decision a constrained choice, and
the guards (`guards.py`) at fixed points.

Per step: the model writes a short Thought; the action is chosen among the tool names and
"Final Answer" (`guided_choice`), so a step always parses; the input is chosen among the inputs
that exist for that tool (`Tool.input_choices`: spans of the question for a search, expressions
over seen numbers for the calculator), or written freely, cut at the first line (fix 5), when a
tool has none. A Final Answer is chosen among spans of the observations and calculator results
(`choices.answer_candidates`), and written freely only when nothing was observed; the reply says
which (`answer_source`). Empty output gets a seeded Thought and a second prompt (fix 5). Bad inputs
come back as precise error Observations (fix 2). The only exit is Final Answer (fix 3); at
max_steps, or when a guard stops the run, the model is asked once for a final answer from what it
has observed. Old Thoughts never re-enter the prompt (fix 4): see `prompts.improved_prompt`.
The loop names no tool: what differs between tools lives in the tools.
"""

from __future__ import annotations

import time
from typing import Sequence

from deployments.agent.choices import MAX_CHOICES, answer_candidates
from deployments.agent.generation import Generator
from deployments.agent.guards import STOP, Guard, LoopState, apply_actions, apply_answers, apply_inputs, first_check
from deployments.agent.parser import FINAL_ANSWER, clean_field
from deployments.agent.prompts import HistoryItem, final_answer_prompt, improved_prompt, with_action
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import Tool, run_tool
from deployments.agent.trace import SOURCE_FREE_TEXT, STOP_FINAL_ANSWER, STOP_MAX_STEPS, STOP_REPEATED, Run, Step

SEEDED_THOUGHT = "I need to decide on an Action and Action Input"
# Stop sequences: a field ends at the line break; anything that starts the backend's part is cut.
FIELD_STOPS = ["\nObservation", "\nThought", "\nAction", "\nQuestion", "\n"]
NO_ANSWER = "I could not find the answer in the documents."
REPEATED = "You already ran this action with this input; answering from the observations above."
Source = tuple[str, int | None]  # (answer_source kind, step index)


class ImprovedAgent:
    def __init__(self, generate: Generator, tools: dict[str, Tool], guards: Sequence[Guard] = (),
                 settings: AgentSettings | None = None) -> None:
        self.generate, self.tools, self.guards = generate, tools, list(guards)
        self.settings = settings or AgentSettings()
        self.actions = [*tools, FINAL_ANSWER]

    async def run(self, question: str, max_steps: int, run: Run) -> Run:
        state = LoopState(question)
        for _ in range(max_steps):
            started = time.perf_counter()
            step, source = await self._decide(state)
            verdict = None if step.action == FINAL_ANSWER else first_check(self.guards, step, state)
            if step.action != FINAL_ANSWER:
                step.observation = REPEATED if verdict == STOP else verdict or await self._observe(step)
            step.latency_s = round(time.perf_counter() - started, 3)
            await run.record(step)
            if step.action == FINAL_ANSWER:
                return run.finish(step.action_input, STOP_FINAL_ANSWER, *source)
            if verdict == STOP:
                return await self._finish(state, run, STOP_REPEATED)
            state.history.append(HistoryItem(step.action, step.action_input, step.observation or ""))
        return await self._finish(state, run, STOP_MAX_STEPS)

    async def _decide(self, state: LoopState) -> tuple[Step, Source]:
        """Thought, then action and input; one recovery with a seeded Thought when output is empty."""
        prompt = improved_prompt(state.question, self.tools, state.history)
        thought = clean_field(await self.generate(prompt, self.settings.thought_tokens, FIELD_STOPS))
        recovered = not thought
        action, value, source = await self._act(state, thought or SEEDED_THOUGHT)
        if not value and not recovered:
            recovered, thought = True, SEEDED_THOUGHT  # fix 5: the prompt differs, so greedy output can too
            action, value, source = await self._act(state, thought)
        if not value and action == FINAL_ANSWER:
            value = NO_ANSWER  # never end without an answer
        return Step(thought or SEEDED_THOUGHT, action, value, recovered=recovered), source

    async def _act(self, state: LoopState, thought: str) -> tuple[str, str, Source]:
        prompt = improved_prompt(state.question, self.tools, state.history, thought)
        actions = apply_actions(self.guards, self.actions, state)
        action = (await self.generate(prompt, 8, choices=[f" {a}" for a in actions])).strip()
        prompt = with_action(prompt, action)
        if action == FINAL_ANSWER:
            return (action, *await self._answer(prompt, state))
        tool = self.tools[action]
        choices = tool.input_choices(state.question, [h.observation for h in state.history],
                                     self.settings.max_span_words) if self.settings.grounded_answers else None
        if choices:
            return action, await self._choose(prompt, apply_inputs(self.guards, action, choices, state)), (SOURCE_FREE_TEXT, None)
        raw = await self.generate(prompt, self.settings.input_tokens, FIELD_STOPS)
        return action, clean_field(raw), (SOURCE_FREE_TEXT, None)

    async def _answer(self, prompt: str, state: LoopState) -> tuple[str, Source]:
        """A span of an observation or a calculator result, chosen; free text only when none exists."""
        observed = [(i, h.observation, self.tools[h.action].result_is_answer) for i, h in enumerate(state.history)]
        candidates = answer_candidates(observed, self.settings.max_span_words) if self.settings.grounded_answers else []
        candidates = apply_answers(self.guards, candidates, state)
        if candidates:
            text = await self._choose(prompt, [c.text for c in candidates])
            found = next((c for c in candidates if c.text == text), None)
            if found is not None:
                return text, (found.kind, found.step)
        text = clean_field(await self.generate(prompt, self.settings.input_tokens, FIELD_STOPS))
        return text, (SOURCE_FREE_TEXT, None)

    async def _choose(self, prompt: str, values: list[str]) -> str:
        """One of ``values``, picked by constrained decoding after the prompt's "...: " field."""
        choices = [f" {v}" for v in dict.fromkeys(values)][:MAX_CHOICES]
        return (await self.generate(prompt, self.settings.choice_tokens, choices=choices)).strip()

    async def _observe(self, step: Step) -> str:
        if not step.action_input:
            tool = self.tools[step.action]
            return f"Error: the Action Input is empty; {tool.name} needs {tool.input_format}"
        observation = await run_tool(self.tools, step.action, step.action_input)
        return observation[: self.settings.max_observation_chars]

    async def _finish(self, state: LoopState, run: Run, reason: str) -> Run:
        """The `generate` early stopping: one request for a final answer from the observations."""
        text, source = await self._answer(final_answer_prompt(state.question, self.tools, state.history), state)
        return run.finish(text or NO_ANSWER, reason, *source) if text else run.finish(NO_ANSWER, reason)
