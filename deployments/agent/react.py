"""The improved ReAct loop: the five practitioner fixes, every decision constrained, and the
guards (`guards.py`) at fixed points.

First the resolver (`resolve.py`, optional) answers when the question's structure suffices:
arithmetic stated in words, or names matched against the store and the best-scoring value. Else
the plan step (`plan.py`, optional) looks up each document the question names. Then per
step: the model writes a short Thought; the action is chosen among the tool names and "Final
Answer" (``structured_outputs.choice``), so a step always parses; the input is written under the
tool's grammar (`Tool.input_space`: any span of the question for a search, arithmetic over the
numbers seen for the calculator), or freely, cut at the first line (fix 5), when a tool has none.
A Final Answer is written under a grammar of any span of an observation or a calculator result
(`choices.answer_candidates`), and freely only when nothing was observed; the reply says which
(`answer_source`). Empty output gets a seeded Thought and a second prompt (fix 5). Bad inputs come
back as precise error Observations (fix 2). The only exit is Final Answer (fix 3); at max_steps,
or when a guard stops the run, the model is asked once for a final answer from what it has
observed. Old Thoughts never re-enter the prompt (fix 4): see `prompts.improved_prompt`.
The loop names no tool: what differs between tools lives in the tools.
"""

from __future__ import annotations

import logging
import time
from typing import Sequence

from deployments.agent.choices import answer_candidates, source_of
from deployments.agent.generation import Generator
from deployments.agent.grammars import span_grammar
from deployments.agent.guards import STOP, Guard, LoopState, apply_actions, apply_answers, apply_inputs, first_check
from deployments.agent.parser import FINAL_ANSWER, clean_field
from deployments.agent.plan import EntityPlan
from deployments.agent.resolve import Resolver
from deployments.agent.prompts import HistoryItem, final_answer_prompt, improved_prompt, with_action
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import Tool, run_tool
from deployments.agent.trace import SOURCE_FREE_TEXT, STOP_FINAL_ANSWER, STOP_MAX_STEPS, STOP_REPEATED, Run, Step

logger = logging.getLogger("ray.serve")
SEEDED_THOUGHT = "I need to decide on an Action and Action Input"
PLAN_THOUGHT = "I look up each thing the question names."
# Stop sequences: a field ends at the line break; anything that starts the backend's part is cut.
FIELD_STOPS = ["\nObservation", "\nThought", "\nAction", "\nQuestion", "\n"]
NO_ANSWER = "I could not find the answer in the documents."
REPEATED = "You already ran this action with this input; answering from the observations above."
Source = tuple[str, int | None]  # (answer_source kind, step index)


class ImprovedAgent:
    def __init__(self, generate: Generator, tools: dict[str, Tool], guards: Sequence[Guard] = (),
                 settings: AgentSettings | None = None, plan: EntityPlan | None = None,
                 resolver: Resolver | None = None) -> None:
        self.generate, self.tools, self.guards, self.plan = generate, tools, list(guards), plan
        self.resolver = resolver
        self.settings = settings or AgentSettings()
        self.actions = [*tools, FINAL_ANSWER]

    async def run(self, question: str, max_steps: int, run: Run) -> Run:
        state = LoopState(question, computing=frozenset(n for n, t in self.tools.items() if t.result_is_answer))
        if self.resolver is not None and await self._resolved(question, run):
            return run
        if self.plan is not None:
            await self._plan(state, run)
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
            computed = self.tools[step.action].result_is_answer and not (step.observation or "").startswith("Error:")
            state.history.append(HistoryItem(step.action, step.action_input, step.observation or "", computed))
        return await self._finish(state, run, STOP_MAX_STEPS)

    async def _resolved(self, question: str, run: Run) -> bool:
        """The resolver's steps and answer, when the question's structure suffices (`resolve.py`)."""
        started = time.perf_counter()
        try:
            resolution = await self.resolver.resolve(question, self.generate)
        except Exception:  # noqa: BLE001 - the loop can still answer; the cause is logged
            logger.exception("resolve failed for %r", question)
            return False
        if resolution is None:
            return False
        for thought, action, value, observation in resolution.steps:
            await run.record(Step(thought, action, value, observation, latency_s=round(time.perf_counter() - started, 3)))
        run.sources = resolution.sources
        run.finish(resolution.answer, STOP_FINAL_ANSWER, resolution.source, resolution.source_step)
        return True

    async def _plan(self, state: LoopState, run: Run) -> None:
        """The plan step: one search per document the question names, recorded as steps."""
        started = time.perf_counter()
        lookups = await self.plan.lookups(state.question)
        for lookup in lookups:
            step = Step(PLAN_THOUGHT, self.plan.action, lookup.query, self.plan.observation(lookup),
                        latency_s=round(time.perf_counter() - started, 3))
            await run.record(step)
            state.history.append(HistoryItem(step.action, step.action_input, step.observation or ""))
        state.planned = len(lookups)

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
        action = action if action in actions else actions[0]  # a backend that ignored the constraint
        prompt = with_action(prompt, action)
        if action == FINAL_ANSWER:
            return (action, *await self._answer(prompt, state))
        tool = self.tools[action]
        space = tool.input_space(state.question, [h.observation for h in state.history]) \
            if self.settings.grounded_answers else None
        grammar = apply_inputs(self.guards, action, space, state).grammar() if space is not None else None
        if grammar:
            return action, await self._write(prompt, grammar), (SOURCE_FREE_TEXT, None)
        raw = await self.generate(prompt, self.settings.input_tokens, FIELD_STOPS)
        return action, clean_field(raw), (SOURCE_FREE_TEXT, None)

    async def _answer(self, prompt: str, state: LoopState) -> tuple[str, Source]:
        """Any span of an observation or a calculator result; free text only when nothing was observed."""
        observed = [(i, h.observation, h.computed) for i, h in enumerate(state.history)]
        candidates = apply_answers(self.guards, answer_candidates(observed), state) \
            if self.settings.grounded_answers else []
        # the latest observations first: they are kept when the grammar must leave some out
        grammar = span_grammar([c.text for c in candidates if c.kind == "observation"],
                               extra=[c.text for c in candidates if c.kind == "calculation"]) if candidates else None
        if grammar:
            text = await self._write(prompt, grammar)
            found = source_of(text, candidates)
            if text and found is not None:
                return text, (found.kind, found.step)
        text = clean_field(await self.generate(prompt, self.settings.input_tokens, FIELD_STOPS))
        return text, (SOURCE_FREE_TEXT, None)

    async def _write(self, prompt: str, grammar: str) -> str:
        """What the model writes after the prompt's "...:" field under ``grammar``."""
        return (await self.generate(prompt, self.settings.choice_tokens, grammar=grammar)).strip()

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
