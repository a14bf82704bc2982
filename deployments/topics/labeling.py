"""Stage 1, labelling: a few-shot completion prompt per document. Greedy decoding (temperature 0)
makes labels repeatable. The instruction and examples come from a `Domain` (settings or request),
never from code. Other prompts (for experiments) live in `prompts.py`; the labeller takes any of them.

Two label formats (`topics.label_format`):
- `list`: the prompt ends by opening a numbered list ("1."), so the model only has to continue it;
  the parser accepts that continuation as well as a full list, bullets, or one comma-separated line.
  Hand-written: no library parses a small model's half-formatted list output.
- `json`: the examples show their labels as a JSON array, and the completion is constrained by the
  LLM's grammar engine (`structured_outputs.json`, vLLM's spelling, which external endpoints get in
  their own dialect) to an array of 1..k non-empty strings, read with `json.loads`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Callable, Iterable, Literal

from deployments.errors import find_service_error
from deployments.llm.client import LLMClient, completion_text
from deployments.parallel import BranchTimeout, Limits, Outcome, map_states, raise_if_none_succeeded
from deployments.topics.base import LabelRun, Labeler
from deployments.topics.domain import Domain

logger = logging.getLogger("ray.serve")

PromptBuilder = Callable[[str, int], str]  # (document text, max labels) -> completion prompt

_NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.):\-]|[-*\u2022])\s*")
_STOP = ["\n\n", "Document:", "\nText:"]
_MAX_LABEL_CHARS = 60
LABELLING = "labelling a document"  # what a labelling branch is called in its timeout's 504
LabelFormat = Literal["list", "json"]
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Brackets, quotes and commas of a JSON array cost tokens a numbered list spends on numbers; each
# label gets this many more so a `json` labelling is not cut short where a `list` one would not be.
JSON_TOKENS_PER_LABEL = 4


def few_shot_prompt(domain: Domain | None = None, label_format: LabelFormat = "list") -> PromptBuilder:
    """The few-shot prompt of `domain` (None: the neutral default): its instruction, its examples, then
    the document. `list`: it ends with "Topics:\\n1." so the completion continues the list; `json`:
    the examples' labels are JSON arrays and it ends with "Topics: ", where the constrained array goes."""
    domain = domain or Domain()

    def build_json(text: str, max_labels: int) -> str:
        shots = "".join(f"Document: {ex.text}\nTopics: {json.dumps(ex.labels[:max_labels], ensure_ascii=False)}\n\n"
                        for ex in domain.examples)
        return f"{domain.head(max_labels)}\n\n{shots}Document: {' '.join(text.split())}\nTopics: "

    def build(text: str, max_labels: int) -> str:
        shots = "".join(
            f"Document: {ex.text}\nTopics:\n"
            + "".join(f"{i}. {lbl}\n" for i, lbl in enumerate(ex.labels[:max_labels], 1)) + "\n"
            for ex in domain.examples
        )
        return f"{domain.head(max_labels)}\n\n{shots}Document: {' '.join(text.split())}\nTopics:\n1."

    return build_json if label_format == "json" else build


build_prompt = few_shot_prompt()  # the default labeller's prompt: the neutral domain


def clean_label(raw: str) -> str:
    """Strip numbering, quotes, trailing punctuation and spaces; '' when nothing usable is left.

    Labels too broad to tell documents apart are not dropped here: which words are too broad depends
    on the corpus, and assembly finds them from all its labels (`shared_words`)."""
    label = re.sub(r"\s+", " ", _NUMBERED.sub("", raw)).strip(" \"'`*.;:,-")
    if not label or len(label) > _MAX_LABEL_CHARS or not re.search(r"[A-Za-z]", label):
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
    return _distinct((clean_label(line) for line in lines), max_labels)


def _distinct(labels: Iterable[str], max_labels: int) -> list[str]:
    """The non-empty labels in order, case-insensitively de-duplicated, at most ``max_labels``."""
    kept: list[str] = []
    seen: set[str] = set()
    for label in labels:
        if label and label.lower() not in seen:
            seen.add(label.lower())
            kept.append(label)
        if len(kept) == max_labels:
            break
    return kept


def labels_schema(max_labels: int) -> dict:
    """The JSON Schema of one document's labels: an array of 1..`max_labels` non-blank short strings."""
    return {"type": "array", "minItems": 1, "maxItems": max_labels,
            "items": {"type": "string", "minLength": 1, "maxLength": _MAX_LABEL_CHARS}}


def parse_json_labels(completion: str, max_labels: int) -> list[str]:
    """Labels from a schema-constrained JSON array, cleaned and de-duplicated, at most k.

    The grammar guarantees the array when the completion is whole; one cut by the token budget
    (finish_reason "length") keeps the strings it completed."""
    try:
        items = json.loads(completion)
    except ValueError:
        items = [json.loads(m) for m in _JSON_STRING.findall(completion)]
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        return []
    return _distinct((clean_label(item) if isinstance(item, str) else "" for item in items), max_labels)


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
    `prompt`, `temperature`, `model` and `seed` are what an experiment varies. `label_format` `json`
    constrains the completion to a JSON array of labels (the prompt should be built for it:
    `few_shot_prompt(domain, "json")`).
    """

    def __init__(self, client: LLMClient, max_labels: int = 3, max_tokens: int = 24,
                 max_text_chars: int = 600, concurrency: int = 16, timeout_s: float | None = None,
                 *, prompt: PromptBuilder = build_prompt, temperature: float = 0.0,
                 model: str | None = None, seed: int | None = None,
                 in_flight: asyncio.Semaphore | None = None, label_format: LabelFormat = "list") -> None:
        self.client = client
        self.max_labels = max_labels
        self.max_tokens = max_tokens
        self.max_text_chars = max_text_chars
        self.limits = Limits(max_concurrency=concurrency, timeout_s=timeout_s)  # per call
        # and per replica: concurrent requests share one bound, so they do not multiply the LLM's queue
        self.in_flight = in_flight or asyncio.Semaphore(concurrency)
        self.served_model: str | None = None  # the model name the LLM answers with (a label cache's key)
        self.prompt = prompt
        self.temperature = temperature
        self.model = model
        self.seed = seed
        self.label_format = label_format

    def request(self, text: str) -> dict:
        """The completion request for one document."""
        request = {
            "prompt": self.prompt(text[: self.max_text_chars], self.max_labels),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": _STOP,
        }
        if self.label_format == "json":
            request["max_tokens"] = self.max_tokens + JSON_TOKENS_PER_LABEL * self.max_labels
            request["structured_outputs"] = {"json": labels_schema(self.max_labels)}
        if self.model is not None:
            request["model"] = self.model
        if self.seed is not None and self.temperature > 0:
            request["seed"] = self.seed
        return request

    async def label_one(self, text: str) -> list[str]:
        """Labels of one document: the branch mapped over the documents."""
        async with self.in_flight:
            response = await self.client.complete(self.request(text))
        self.served_model = response.get("model") or self.served_model
        parse = parse_json_labels if self.label_format == "json" else parse_labels
        return parse(completion_text(response), self.max_labels)

    async def label_run(self, texts: list[str]) -> LabelRun:
        return await map_states(self.label_one, texts, reduce=reduce_labels, limits=self.limits)

    async def label(self, texts: list[str]) -> list[list[str]]:
        """Labels per text; failed documents get none (and are logged), all failing raises."""
        return (await self.label_run(texts)).labels
