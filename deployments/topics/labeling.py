"""Stage 1, labelling: a few-shot completion prompt that ends by opening a numbered list ("1."),
so the model only has to continue it; the parser accepts that continuation as well as a full list,
bullets, or one comma-separated line. Greedy decoding (temperature 0) makes labels repeatable.
Other prompts (for experiments) live in `prompts.py`; the labeller takes any of them.

Hand-written: no library parses a small model's half-formatted list output.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Callable

from deployments.errors import find_service_error
from deployments.llm.client import LLMClient, completion_text
from deployments.parallel import BranchTimeout, Limits, Outcome, map_states, raise_if_none_succeeded
from deployments.topics.base import LabelRun, Labeler

logger = logging.getLogger("ray.serve")

PromptBuilder = Callable[[str, int], str]  # (document text, max labels) -> completion prompt

# Examples on art topics that are NOT in the shipped corpus, so the model learns the format and
# the granularity (movement or medium first, no artist names) without being handed the answers.
# Four of them are written in the register of the firm's own flow (an acquisition, a commission, a
# conservation, a display): measured on the shipped corpus, the two "art history" examples alone
# left the 135M model answering "Art history" or "Art criticism" for acquisitions, and these six
# raised label F1 from 0.325 to 0.361 and NMI from 0.686 to 0.729 (README, "Choosing the labelling
# prompt"), at a longer prompt to prefill per document: 2x the labelling time of 99 documents at the
# default batch size, 1.13x in the 1,000-document batch benchmark (batches of 32).
TWO_EXAMPLES = (
    ("Gian Lorenzo Bernini carved the marble Ecstasy of Saint Teresa for a chapel in Rome.",
     ["Baroque sculpture", "Marble carving", "Religious art"]),
    ("Frida Kahlo's self-portrait with thorn necklace was lent to a Mexico City exhibition.",
     ["Mexican painting", "Self-portraits", "Surrealism"]),
)
SIX_EXAMPLES = (
    ("We acquired a Delftware plate in tin-glazed earthenware, painted in cobalt blue in the 1680s.",
     ["Ceramics", "Dutch Golden Age", "Decorative arts"]),
    ("The foundation commissioned a large mural for the station hall from a Los Angeles street artist.",
     ["Street art", "Murals", "Public art"]),
    ("Conservators cleaned the gilding of a Byzantine icon of the Virgin before its loan to Athens.",
     ["Byzantine art", "Icons", "Religious art"]),
    TWO_EXAMPLES[0],
    (TWO_EXAMPLES[1][0], ["Mexican painting", "Surrealism", "Self-portraits"]),
    ("Conservators stabilised the carved prow of a Maori war canoe before it went on display.",
     ["Maori carving", "Woodcarving", "Oceanic art"]),
)

# Words too broad to tell one document from another in an art firm's flow: a label made only of
# these (and joining words), such as "Art" or "Art and History", is dropped when parsed.
GENERIC_WORDS = frozenset({"art", "arts", "artwork", "artworks", "artist", "artists", "painting", "paintings",
                           "painter", "museum", "collection", "exhibition", "culture", "history", "work", "works",
                           "and", "of", "the", "in", "a", "an", "&"})

_NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.):\-]|[-*\u2022])\s*")
_STOP = ["\n\n", "Document:", "\nText:"]
_MAX_LABEL_CHARS = 60
LABELLING = "labelling a document"  # what a labelling branch is called in its timeout's 504


def few_shot_prompt(examples: tuple[tuple[str, list[str]], ...]) -> PromptBuilder:
    """A few-shot prompt on `examples`; it ends with "Topics:\\n1." so the completion continues the list."""

    def build(text: str, max_labels: int) -> str:
        head = f"List up to {max_labels} short topic labels (art movement, medium or genre) for each document.\n\n"
        shots = "".join(
            f"Document: {doc}\nTopics:\n" + "".join(f"{i}. {lbl}\n" for i, lbl in enumerate(labels[:max_labels], 1))
            + "\n" for doc, labels in examples
        )
        return f"{head}{shots}Document: {' '.join(text.split())}\nTopics:\n1."

    return build


build_prompt = few_shot_prompt(SIX_EXAMPLES)  # the default labeller's prompt


def clean_label(raw: str) -> str:
    """Strip numbering, quotes, trailing punctuation and spaces; '' when nothing usable is left."""
    label = re.sub(r"\s+", " ", _NUMBERED.sub("", raw)).strip(" \"'`*.;:,-")
    if not label or len(label) > _MAX_LABEL_CHARS or not re.search(r"[A-Za-z]", label):
        return ""
    if all(word in GENERIC_WORDS for word in re.findall(r"[\w&]+", label.lower())):
        return ""
    return label


def parse_labels(completion: str, max_labels: int) -> list[str]:
    """Labels from a completion that continues "1." (or any list format), de-duplicated, at most k.

    The first line is what followed the prompt's "1."; later lines carry their own numbering. A
    single line with commas is read as a comma-separated list. Parsing ends at a blank line or
    when the model starts another "Document:".
    """
    lines: list[str] = []
    for line in completion.split("\n"):
        if not line.strip():
            if lines:
                break
            continue
        if line.strip().lower().startswith(("document:", "text:", "topics:")):
            break
        lines.append(line)
    if len(lines) == 1 and "," in lines[0]:
        lines = lines[0].split(",")
    labels: list[str] = []
    seen: set[str] = set()
    for line in lines:
        label = clean_label(line)
        if label and label.lower() not in seen:
            seen.add(label.lower())
            labels.append(label)
        if len(labels) == max_labels:
            break
    return labels


def failure_message(error: BaseException) -> str:
    """What a caller may read about a failed labelling: a ServiceError's own words, a timeout's, or
    only the error's kind (internal details stay in the log, as for 500s)."""
    found = find_service_error(error)
    if found is not None:
        return found.message
    if isinstance(error, BranchTimeout):
        return f"labelling took longer than {error.timeout_s:g}s"
    return f"internal error ({type(error).__name__})"


def reduce_labels(outcomes: list[Outcome]) -> LabelRun:
    """Labels per document plus the failures; if every document failed, the first error is raised
    (so a 503 or 504 of the LLM reaches the caller as such)."""
    raise_if_none_succeeded(outcomes, lambda _: LABELLING)
    run = LabelRun([outcome.value if outcome.ok else [] for outcome in outcomes])
    for outcome in outcomes:
        if not outcome.ok:
            logger.warning("labelling document %s failed: %r", outcome.key, outcome.error)
            run.errors.append({"index": outcome.key, "message": failure_message(outcome.error)})
    return run


class PromptLabeler(Labeler):
    """The default labeller: one short completion per document through an `LLMClient`.

    Documents are mapped with `deployments.parallel.map_states` under `Limits`, so at most
    `concurrency` requests are in flight (the LLM batches what arrives together; the same bound holds
    across concurrent calls) and a document that fails or runs past `timeout_s` (waiting for a
    slot included) is reported without sinking the others.
    `prompt`, `temperature`, `model` and `seed` are what an experiment varies.
    """

    def __init__(self, client: LLMClient, max_labels: int = 3, max_tokens: int = 24,
                 max_text_chars: int = 600, concurrency: int = 16, timeout_s: float | None = None,
                 *, prompt: PromptBuilder = build_prompt, temperature: float = 0.0,
                 model: str | None = None, seed: int | None = None) -> None:
        self.client = client
        self.max_labels = max_labels
        self.max_tokens = max_tokens
        self.max_text_chars = max_text_chars
        self.limits = Limits(max_concurrency=concurrency, timeout_s=timeout_s)  # per call
        # and per replica: concurrent requests share one bound, so they do not multiply the LLM's queue
        self._in_flight = asyncio.Semaphore(concurrency)
        self.prompt = prompt
        self.temperature = temperature
        self.model = model
        self.seed = seed

    def request(self, text: str) -> dict:
        """The completion request for one document."""
        request = {
            "prompt": self.prompt(text[: self.max_text_chars], self.max_labels),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": _STOP,
        }
        if self.model is not None:
            request["model"] = self.model
        if self.seed is not None and self.temperature > 0:
            request["seed"] = self.seed
        return request

    async def label_one(self, text: str) -> list[str]:
        """Labels of one document: the branch mapped over the documents."""
        async with self._in_flight:
            response = await self.client.complete(self.request(text))
        return parse_labels(completion_text(response), self.max_labels)

    async def label_run(self, texts: list[str]) -> LabelRun:
        return await map_states(self.label_one, texts, reduce=reduce_labels, limits=self.limits)

    async def label(self, texts: list[str]) -> list[list[str]]:
        """Labels per text; failed documents get none (and are logged), all failing raises."""
        return (await self.label_run(texts)).labels
