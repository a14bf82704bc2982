"""The improved ReAct loop: the five practitioner fixes plus constrained action choice.

Per step: the model writes a short Thought; the action name is then chosen by constrained
decoding over the tool names and "Final Answer" (`guided_choice`), so a step always parses; the
Action Input is generated with stop sequences so a hallucinated Observation is cut (fix 5).
Empty output gets a seeded Thought and a second prompt (fix 5). Bad inputs come back as precise
error Observations (fix 2). The only exit is the Final Answer action (fix 3); at max_steps, or
when the model repeats an action it already ran with the same input, the backend asks it once for
a final answer from what it has observed. Old Thoughts never re-enter
the prompt (fix 4): see `prompts.improved_prompt`.
"""

from __future__ import annotations

import time
from deployments.agent.generation import Generator
from deployments.agent.grounding import answer_candidates, question_expressions, unobserved_numbers
from deployments.agent.parser import FINAL_ANSWER, clean_field
from deployments.agent.prompts import HistoryItem, final_answer_prompt, improved_prompt, with_action
from deployments.agent.tools import CalculatorTool, Tool, run_tool
from deployments.agent.trace import STOP_FINAL_ANSWER, STOP_MAX_STEPS, STOP_REPEATED, Run, Step

CALCULATOR = CalculatorTool.name
SEEDED_THOUGHT = "I need to decide on an Action and Action Input"
# Stop sequences: a field ends at the line break; anything that starts the backend's part is cut.
FIELD_STOPS = ["\nObservation", "\nThought", "\nAction", "\nQuestion", "\n"]
NO_ANSWER = "I could not find the answer in the documents."
REPEATED = "You already ran this action with this input; answering from the observations above."


class ImprovedAgent:
    def __init__(self, generate: Generator, tools: dict[str, Tool], thought_tokens: int = 32,
                 input_tokens: int = 32, max_observation_chars: int = 800, grounded_answers: bool = True) -> None:
        self.generate, self.tools, self.grounded_answers = generate, tools, grounded_answers
        self.thought_tokens, self.input_tokens = thought_tokens, input_tokens
        self.max_observation_chars = max_observation_chars
        # guided_choice strings: a leading space, as the model writes after "Action:"
        self.choices = [f" {name}" for name in [*tools, FINAL_ANSWER]]

    async def run(self, question: str, max_steps: int, run: Run) -> Run:
        history: list[HistoryItem] = []
        for _ in range(max_steps):
            started = time.perf_counter()
            step = await self._decide(question, history)
            if step.action == FINAL_ANSWER:
                step.latency_s = round(time.perf_counter() - started, 3)
                await run.record(step)
                return run.finish(step.action_input, STOP_FINAL_ANSWER)
            if self._repeats(step, history):
                # Measured: the model never leaves a repeat loop on its own (9 of 9 evaluation runs
                # repeated until max_steps), and a repeat means it has nothing new to look up.
                step.observation, step.latency_s = REPEATED, round(time.perf_counter() - started, 3)
                await run.record(step)
                return run.finish(await self._final_answer(question, history), STOP_REPEATED)
            step.observation = await self._observe(question, step, history)
            step.latency_s = round(time.perf_counter() - started, 3)
            await run.record(step)
            history.append(HistoryItem(step.action, step.action_input, step.observation))
        return run.finish(await self._final_answer(question, history), STOP_MAX_STEPS)

    @staticmethod
    def _repeats(step: Step, history: list[HistoryItem]) -> bool:
        return bool(step.action_input) and any(
            h.action == step.action and h.action_input == step.action_input for h in history)

    async def _decide(self, question: str, history: list[HistoryItem]) -> Step:
        """Thought, then action and input; one recovery with a seeded Thought when output is empty."""
        thought = clean_field(await self.generate(improved_prompt(question, self.tools, history),
                                                  self.thought_tokens, FIELD_STOPS))
        recovered = not thought
        action, action_input = await self._act(question, history, thought or SEEDED_THOUGHT)
        if not action_input and not recovered:
            recovered, thought = True, SEEDED_THOUGHT  # fix 5: the prompt differs, so greedy output can too
            action, action_input = await self._act(question, history, thought)
        if not action_input and action == FINAL_ANSWER:
            action_input = NO_ANSWER  # never end without an answer
        return Step(thought or SEEDED_THOUGHT, action, action_input, recovered=recovered)

    async def _act(self, question: str, history: list[HistoryItem], thought: str) -> tuple[str, str]:
        prompt = improved_prompt(question, self.tools, history, thought)
        # With grounding, a first step cannot answer: there is nothing observed to answer from yet.
        choices = self.choices[:-1] if self.grounded_answers and not history else self.choices
        action = (await self.generate(prompt, 8, choices=choices)).strip()
        if action == FINAL_ANSWER:
            return action, await self._answer(with_action(prompt, action), question, history)
        expressions = question_expressions(question) if action == CALCULATOR and self.grounded_answers else []
        if expressions:  # the question states the arithmetic: its calculator input is copied, not retyped
            return action, await self._choose(with_action(prompt, action), expressions)
        raw_input = await self.generate(with_action(prompt, action), self.input_tokens, FIELD_STOPS)
        return action, clean_field(raw_input)

    async def _answer(self, prompt: str, question: str, history: list[HistoryItem]) -> str:
        """The Final Answer's input: one of the observed values (of the type the question asks for)
        when grounding is on and any exist."""
        candidates = answer_candidates((h.observation for h in history), question) if self.grounded_answers else []
        if candidates:
            return await self._choose(prompt, candidates)
        return clean_field(await self.generate(prompt, self.input_tokens, FIELD_STOPS))

    async def _choose(self, prompt: str, values: list[str]) -> str:
        """One of ``values``, picked by constrained decoding after the prompt's "...: " field."""
        return (await self.generate(prompt, self.input_tokens, choices=[f" {v}" for v in values])).strip()

    async def _observe(self, question: str, step: Step, history: list[HistoryItem]) -> str:
        if not step.action_input:
            tool = self.tools[step.action]
            return f"Error: the Action Input is empty; {tool.name} needs {tool.input_format}"
        if step.action == CALCULATOR and self.grounded_answers:
            unseen = unobserved_numbers(step.action_input, question, (h.observation for h in history))
            if unseen:
                return (f"Error: {', '.join(unseen)} is not in the question or any observation; "
                        "search for the number you need first, then calculate with it.")
        observation = await run_tool(self.tools, step.action, step.action_input)
        return observation[: self.max_observation_chars]

    async def _final_answer(self, question: str, history: list[HistoryItem]) -> str:
        """The `generate` early stopping: one request for a final answer from the observations."""
        return await self._answer(final_answer_prompt(question, self.tools, history), question, history) or NO_ANSWER

