"""The improved loop's guards: each one small class, switched by its own setting, tested alone.

A guard sees the loop at fixed points (lifecycle hooks, as Burr's): ``actions`` narrows the
action choice, ``inputs`` narrows what an action's input may be (the texts its spans come from),
``answers`` narrows the final-answer candidates (the texts whose spans may be the answer), and ``check`` may refuse a chosen step before its tool runs (an error Observation the
model can act on, fix 2) or end the run (``STOP``). The base class does nothing at every point,
so a guard overrides only the point it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from deployments.agent.choices import (Candidate, beside_label, cut_phrases, numbers, numbers_beside, observation_text,
                                       same_word, spans)
from deployments.agent.grammars import EDGE, MAX_ONCE_OPERANDS, InputSpace
from deployments.agent.language import Language, load_language
from deployments.agent.parser import FINAL_ANSWER
from deployments.agent.prompts import HistoryItem
from deployments.agent.trace import Step

STOP = "stop"  # what `check` returns to end the run with a grounded answer


@dataclass
class LoopState:
    question: str
    history: list[HistoryItem] = field(default_factory=list)
    planned: int = 0  # documents the plan step looked up before the loop (`plan.EntityPlan`)
    computing: frozenset[str] = frozenset()  # actions whose result is a value computed from others


class Guard:
    setting = ""  # the AgentSettings field that switches it on

    @classmethod
    def from_settings(cls, settings: object) -> "Guard":
        return cls()

    def actions(self, actions: list[str], state: LoopState) -> list[str]:
        return actions

    def inputs(self, action: str, space: InputSpace, state: LoopState) -> InputSpace:
        return space

    def answers(self, candidates: list[Candidate], state: LoopState) -> list[Candidate]:
        return candidates

    def check(self, step: Step, state: LoopState) -> str | None:
        return None


class AnswerNeedsObservation(Guard):
    """No Final Answer before anything is observed: there is nothing to answer from yet."""

    setting = "guard_answer_needs_observation"

    def actions(self, actions: list[str], state: LoopState) -> list[str]:
        return actions if state.history else [a for a in actions if a != FINAL_ANSWER] or actions


class RepeatedAction(Guard):
    """An action repeated with the same input ends the run with a grounded answer: a small model
    never leaves such a loop by itself, and a repeat means it has nothing new to look up."""

    setting = "guard_repeated_action"

    def check(self, step: Step, state: LoopState) -> str | None:
        repeated = any(h.action == step.action and h.action_input == step.action_input for h in state.history)
        return STOP if step.action_input and repeated else None


class NewInputsOnly(Guard):
    """An input already used with the same action is cut out of the text its spans come from, so
    after one search the next search looks up something else (the second thing a question names)."""

    setting = "guard_new_inputs_only"

    def inputs(self, action: str, space: InputSpace, state: LoopState) -> InputSpace:
        used = [h.action_input for h in state.history if h.action == action and h.action_input]
        if space.arithmetic or not used:
            return space
        texts = tuple(piece for text in space.texts for piece in cut_phrases(text, used))
        return replace(space, texts=texts) if texts else space


class SeenNumbersOnly(Guard):
    """A calculator-style input (digits and operators only) whose numbers neither the question
    nor any observation holds is refused: an invented operand. Matters when inputs are free text
    (grounding off); the constrained choices never hold such a number."""

    setting = "guard_seen_numbers_only"

    def check(self, step: Step, state: LoopState) -> str | None:
        if not step.action_input or any(ch.isalpha() for ch in step.action_input):
            return None
        known = set(numbers(state.question))
        for seen in state.history:
            known.update(numbers(seen.observation))
        unseen = [n for n in numbers(step.action_input) if n not in known]
        if not unseen:
            return None
        return (f"Error: {', '.join(unseen)} is not in the question or any observation; "
                "look up the number you need first, then calculate with it.")


class AnswerNotInQuestion(Guard):
    """A final answer is new information: every word and phrase the question states is cut out of
    the observations the answer is a span of (unless that leaves nothing). Without it, a reverse
    lookup answered "Tessera is a warehouse robot" to "Which product is a warehouse robot?", and a
    lookup answered "the" or "product" (single words of the question, copied from an observation)."""

    setting = "guard_answer_not_in_question"

    def answers(self, candidates: list[Candidate], state: LoopState) -> list[Candidate]:
        phrases = spans(state.question, 8)
        kept: list[Candidate] = []
        for candidate in candidates:
            if candidate.kind == "calculation":
                kept.append(candidate)
                continue
            kept += [replace(candidate, text=piece) for piece in cut_phrases(candidate.text, phrases)
                     if piece.strip(" .,;:!?").lower() not in state.question.lower()]
        return kept or candidates


class QuestionNumbersOnce(Guard):
    """A question that states two to four numbers and names fewer than two documents (so it does not
    combine looked-up values) is computed from exactly those numbers: the calculator's grammar then
    uses each of them once, in any order and grouping. A small model otherwise drops one
    ("348 minus 48, plus 4" -> 348 + 4). When the plan named nothing, the calculator is also the
    first action."""

    setting = "guard_question_numbers_once"

    def actions(self, actions: list[str], state: LoopState) -> list[str]:
        """Nothing named and numbers stated: the question is arithmetic, so the calculator comes first
        (a small model otherwise searches for a bare number)."""
        if state.planned or any(h.computed for h in state.history) or not self._stated(state):
            return actions
        return [a for a in actions if a in state.computing] or actions

    @staticmethod
    def _stated(state: LoopState) -> list[str]:
        stated = numbers(state.question, distinct=False)
        return stated if 2 <= len(stated) <= MAX_ONCE_OPERANDS else []

    def inputs(self, action: str, space: InputSpace, state: LoopState) -> InputSpace:
        stated = self._stated(state)
        if not space.arithmetic or state.planned >= 2 or not stated:
            return space
        return replace(space, operands=tuple(stated), each_once=True, in_order=True)


class CombinePair(Guard):
    """What the guards that combine two values share: while ``sides`` finds the two sides and nothing is
    computed yet, the next action computes (a tool whose result combines values, the calculator), its
    input is one value from each side with one operator (`grammars.pair_grammar`), and the answer is
    the result. A subclass says where the sides come from."""

    def actions(self, actions: list[str], state: LoopState) -> list[str]:
        if any(h.computed for h in state.history) or self.sides(state) is None:
            return actions
        return [a for a in actions if a in state.computing] or actions

    def inputs(self, action: str, space: InputSpace, state: LoopState) -> InputSpace:
        sides = self.sides(state) if space.arithmetic else None
        return space if sides is None else replace(space, pair=sides)

    def answers(self, candidates: list[Candidate], state: LoopState) -> list[Candidate]:
        if self.sides(state) is None:
            return candidates
        return [c for c in candidates if c.kind == "calculation"] or candidates

    @staticmethod
    def sides(state: LoopState) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        raise NotImplementedError


class CombineStatedWithNamed(CombinePair):
    """When the plan named one document and the question states one number that document does not
    hold ("How much do 3 licences cost?"), the run combines that number with the document's value the
    question asks for (a number the document labels with a word of the question, "costs 1800"): the
    calculator comes next, its input is the stated number and one such value with one operator
    (`grammars.pair_grammar`; `OperatorFromWords` narrows it when the words name one), and the answer
    is the result. A stated number the document holds ("the 2024 budget") names, it does not count."""

    setting = "guard_combine_stated_with_named"

    @staticmethod
    def sides(state: LoopState) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if state.planned != 1 or not state.history:
            return None
        named = state.history[0]
        text = observation_text(named.observation)
        held = set(numbers(text))
        stated = [n for n in numbers(state.question) if n not in held]
        if len(stated) != 1 or len(numbers(state.question)) != 1:
            return None
        own = {w.strip(EDGE).lower() for w in named.action_input.split()}
        asked = {w.strip(EDGE).lower() for w in state.question.split()} - own - set(stated) - {""}
        labels = numbers_beside(text)
        for word in sorted(asked, key=lambda w: (-len(w), w)):  # longer words say more
            values = [n for label, ns in labels.items() if same_word(word, label) for n in ns if n not in stated]
            if values:
                return tuple(stated), tuple(dict.fromkeys(values))
        return None


class OperatorFromWords(Guard):
    """When the question's words name the operation, the calculator's grammar offers only that
    operator (`language.Language`): a 135M model writes "+" for "minus" and for "how many more ...
    than". For two looked-up values (`CombineBeforeAnswer`'s pair) the whole question must name exactly
    one operation; a comparison ("larger ... than") writes the larger value first, and "subtract A
    from B" swaps the sides. For arithmetic stated in words (`QuestionNumbersOnce`'s ordered form)
    each gap between two stated numbers is read on its own. Where the words name none or several
    operations, the model chooses as before. The words are a language file, not a question set's."""

    setting = "guard_operator_from_words"

    def __init__(self, language: Language | None = None) -> None:
        self.language = language or load_language()

    @classmethod
    def from_settings(cls, settings: object) -> "Guard":
        return cls(load_language(getattr(settings, "language_file", None)))

    def inputs(self, action: str, space: InputSpace, state: LoopState) -> InputSpace:
        if not space.arithmetic:
            return space
        if space.pair is not None:
            operation = self.language.operation(state.question)
            if operation is None:
                return space
            first, second = space.pair
            named = [h.action_input for h in state.history[: state.planned]]
            if len(named) >= 2 and self._reversed(state.question, named[0], named[1]):
                first, second = second, first
            return replace(space, pair=(first, second), operators=(operation.op,),
                           larger_first=operation.larger_first and operation.op == "-")
        if space.each_once and space.in_order:
            stated = self.language.stated(state.question, space.operands)
            if stated is not None:
                return replace(space, operands=stated[0], operators=stated[1])
        return space

    def _reversed(self, question: str, first: str, second: str) -> bool:
        """"subtract A from B": the phrase starts before the first name and ends between the two."""
        a, b = question.find(first), question.find(second)
        if a < 0 or b < a + len(first):
            return False
        return self.language.reverses(question[:a], question[a + len(first): b])


class AnswerFromNamedDocuments(Guard):
    """When the plan step looked up the documents the question names, the final answer is a span of
    those (or a calculation): a later search the model wanders into (a phrase of the question that
    names nothing) otherwise hands it an unrelated value to copy."""

    setting = "guard_answer_from_named_documents"

    def answers(self, candidates: list[Candidate], state: LoopState) -> list[Candidate]:
        if not state.planned:
            return candidates
        kept = [c for c in candidates if c.kind == "calculation" or c.step < state.planned]
        return kept or candidates


class CombineBeforeAnswer(CombinePair):
    """When two documents the plan step looked up give the same asked-for value, the run combines
    them: the next action computes (a tool whose result combines values, the calculator), its input
    is one of those values from each document with a free operator (`grammars.pair_grammar`), and
    the answer is the result. A small model otherwise answers with the first looked-up value.

    "The same asked-for value" is structure, not words: a word of the question outside the spans
    that name the documents stands beside a number in both ("numeric code 533", "has 45 employees"),
    and that number is not one the question states. A reverse lookup whose plan also names a
    spurious document shares no such word, so it is not turned into a calculation."""

    setting = "guard_combine_before_answer"

    @staticmethod
    def sides(state: LoopState) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The asked-for numbers of the first two planned documents that share a label, or None. The
        longest shared label decides: a short common word ("in", "and") often stands beside a number too."""
        planned = state.history[: state.planned]
        names = [h.action_input.lower() for h in planned]
        if len(planned) < 2 or any(a != b and a in b for a in names for b in names):
            return None  # one span inside another: one name, not two
        named = {w.strip(EDGE) for name in names for w in name.split()}
        stated = set(numbers(state.question))
        asked = {w.strip(EDGE).lower() for w in state.question.split()} - named - stated - {""}
        labels = [numbers_beside(observation_text(h.observation)) for h in planned]
        for i in range(len(planned)):
            for j in range(i + 1, len(planned)):
                for word in sorted(asked, key=lambda w: (-len(w), w)):  # longer words say more ("and" least)
                    first = [n for label, ns in labels[i].items() if same_word(word, label) for n in ns]
                    second = [n for label, ns in labels[j].items() if same_word(word, label) for n in ns]
                    first, second = [n for n in first if n not in stated], [n for n in second if n not in stated]
                    if first and second:
                        return tuple(dict.fromkeys(first)), tuple(dict.fromkeys(second))
        return None


class AnswerBesideLabel(Guard):
    """When the plan named one document and the question asks for a value that document labels with
    a phrase of the question ("the numeric code" in "... the numeric code 508."), the answer is a span
    of the words right before or after that label (`choices.beside_label`), not any word of the document: a small
    model otherwise copies another value of the same record (a number for a code). Left alone when no
    phrase is held, or when the label stands beside the name (a reverse lookup). A question asking for
    a kind of thing ("Which office ...", the language file's kind words) is answered by the words
    beside that kind word in the document ("The Nagoya office"), never by a value it seems to label."""

    setting = "guard_answer_beside_label"

    def __init__(self, language: Language | None = None) -> None:
        self.language = language or load_language()

    @classmethod
    def from_settings(cls, settings: object) -> "Guard":
        return cls(load_language(getattr(settings, "language_file", None)))

    def answers(self, candidates: list[Candidate], state: LoopState) -> list[Candidate]:
        if state.planned != 1 or not state.history or not any(c.step == 0 and c.kind == "observation"
                                                                  for c in candidates):
            return candidates  # nothing of the named document is offered (an earlier guard kept calculations)
        named = state.history[0]
        pieces = beside_label(observation_text(named.observation), state.question, named.action_input,
                              stop_words=self.language.stop_words, kind_words=self.language.kind_words)
        if not pieces:
            return candidates
        return [c for c in candidates if c.step != 0 or c.kind != "observation"] + \
            [Candidate(piece, 0, "observation") for piece in pieces]


ALL_GUARDS: tuple[type[Guard], ...] = (AnswerNeedsObservation, RepeatedAction, NewInputsOnly, SeenNumbersOnly,
                                       AnswerNotInQuestion, CombineBeforeAnswer, CombineStatedWithNamed,
                                       QuestionNumbersOnce, OperatorFromWords, AnswerFromNamedDocuments,
                                       AnswerBesideLabel)


def build_guards(settings: object) -> list[Guard]:
    """The guards whose setting is on."""
    return [guard.from_settings(settings) for guard in ALL_GUARDS if getattr(settings, guard.setting, False)]


def apply_actions(guards: Sequence[Guard], actions: list[str], state: LoopState) -> list[str]:
    for guard in guards:
        actions = guard.actions(actions, state)
    return actions


def apply_inputs(guards: Sequence[Guard], action: str, space: InputSpace, state: LoopState) -> InputSpace:
    for guard in guards:
        space = guard.inputs(action, space, state)
    return space


def apply_answers(guards: Sequence[Guard], candidates: list[Candidate], state: LoopState) -> list[Candidate]:
    for guard in guards:
        candidates = guard.answers(candidates, state)
    return candidates


def first_check(guards: Sequence[Guard], step: Step, state: LoopState) -> str | None:
    for guard in guards:
        verdict = guard.check(step, state)
        if verdict is not None:
            return verdict
    return None
