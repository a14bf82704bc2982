"""Labels cached by (text, prompt, model): a corpus that grew is labelled only for its new documents.

Labelling is the slow stage (one LLM completion per document); canonicalization, assignment and
trends take seconds. So a label, once made, is kept under a key of everything that decides it:
the document text (as cut for the prompt), the prompt (domain instruction and examples, prompt
shape, label count: the prompt rendered around a placeholder), the decoding (max tokens,
temperature), the model's name and a fingerprint of the LLM's output-affecting settings (weights,
dtype, quantization of the layers and of the output head, device: int4 or int8 weights can change
even greedy outputs, under the same model name). Change any of them and the key changes; nothing is
invalidated by hand. Only successful labellings are stored: a failed document is tried again next time.

The store is a small interface (`LabelStore`) so the pipeline does not depend on where labels live:
`MemoryLabelStore` for one replica's life and tests, `JsonlLabelStore` for the batch command and the
benchmarks (a file per cache), and the durable database's table when the deployment has one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol

from deployments.topics.base import LabelRun, Labeler
from deployments.topics.labeling import PromptLabeler, failure_message

_PLACEHOLDER = "\x00DOCUMENT\x00"


class LabelStore(Protocol):
    async def get_many(self, keys: list[str]) -> dict[str, list[str]]:
        """The labels stored under those of `keys` that are present."""
        ...

    async def put_many(self, items: dict[str, list[str]]) -> None:
        """Stores labels by key (durable before it returns, where the store is durable)."""
        ...


class MemoryLabelStore:
    """A dict: the cache of one process."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    async def get_many(self, keys: list[str]) -> dict[str, list[str]]:
        return {k: self.items[k] for k in keys if k in self.items}

    async def put_many(self, items: dict[str, list[str]]) -> None:
        self.items.update(items)


class JsonlLabelStore(MemoryLabelStore):
    """A JSONL file of `{"key", "labels"}` lines, read once and appended to (last line of a key wins)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.items[row["key"]] = row["labels"]

    async def put_many(self, items: dict[str, list[str]]) -> None:
        await super().put_many(items)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps({"key": k, "labels": v}, ensure_ascii=False) + "\n" for k, v in items.items())
        await asyncio.to_thread(self._append, lines)

    def _append(self, lines: str) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(lines)


def prompt_key(labeler: PromptLabeler) -> str:
    """A digest of what shapes a label besides the text and the model: the prompt around the text,
    the label count, the text cut, the token budget and the temperature."""
    parts = [labeler.prompt(_PLACEHOLDER, labeler.max_labels), str(labeler.max_text_chars), str(labeler.max_tokens),
             repr(labeler.temperature), repr(labeler.seed)]
    if labeler.label_format != "list":  # keys of list labels stay what they were before formats existed
        parts.append(labeler.label_format)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def label_key(text: str, prompt: str, model: str, fingerprint: str = "") -> str:
    """The cache key of one document's labels. Without a fingerprint (an external endpoint, whose
    precision is not known) the key is what it was before fingerprints existed."""
    text_hash = hashlib.sha256(text.encode()).hexdigest()
    if fingerprint:
        model = f"{model}\x1f{fingerprint}"
    return hashlib.sha256(f"{model}\x1f{prompt}\x1f{text_hash}".encode()).hexdigest()


def settings_fingerprint(settings: dict[str, Any] | None) -> str:
    """A short digest of an LLM's output-affecting settings (`LLMServer.output_settings`); "" for none."""
    if not settings:
        return ""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


Fingerprint = Callable[[], Awaitable[str]]


class LLMFingerprint:
    """The fingerprint of the LLM behind a client, asked again after `ttl_s`.

    The in-cluster `LLMServer` reports its settings (`output_settings`) through the client's handle; a
    client may also answer `output_settings()` itself. An external endpoint reports nothing and gets "".
    The answer is kept for `ttl_s`, so labelling does not ask on every call, yet an LLMServer redeployed
    with other quantization under a TopicPipeline that stayed up changes the keys within `ttl_s`.
    """

    def __init__(self, client: Any, ttl_s: float = 60.0) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._value: str | None = None
        self._at = 0.0

    async def _settings(self) -> dict | None:
        own = getattr(self.client, "output_settings", None)
        if callable(own):
            return await own()
        handle = getattr(self.client, "handle", None)
        if handle is not None and hasattr(handle, "output_settings"):
            return await handle.output_settings.remote()
        return None

    async def __call__(self) -> str:
        if self._value is None or time.monotonic() - self._at > self.ttl_s:
            try:
                self._value = settings_fingerprint(await self._settings())
            except Exception:  # noqa: BLE001 - an LLM that cannot say (an older server): keys without it
                logging.getLogger("ray.serve").warning("LLM output settings unavailable; label keys lack them",
                                                       exc_info=True)
                self._value = ""
            self._at = time.monotonic()
        return self._value


class CachedLabeler(Labeler):
    """A `PromptLabeler` that asks the LLM only for texts whose labels are not in `store`.

    The model in the key is the labeller's `model` when it names one, else the name the LLM answers
    with, remembered in the store per prompt: a labeller on an empty store labels its first text alone
    to learn it; when the LLM later answers with another name, later keys follow it (a swapped model
    relabels).
    `fingerprint` names the LLM's output-affecting settings (a string, or an async callable asked at the
    start of each run, e.g. `LLMFingerprint`); labels made under one fingerprint are not found under
    another. `llm_calls` and `cache_hits` count what happened, for reports and tests.
    """

    def __init__(self, labeler: PromptLabeler, store: LabelStore, model: str | None = None,
                 fingerprint: str | Fingerprint | None = None) -> None:
        self.labeler = labeler
        self.store = store
        self.model = model or labeler.model
        self.prompt = prompt_key(labeler)
        self.fingerprint_source = fingerprint
        self.fingerprint = fingerprint if isinstance(fingerprint, str) else ""
        self.llm_calls = 0
        self.cache_hits = 0

    def _model_marker(self) -> str:
        return f"model-of:{self.prompt}"

    async def _learned(self) -> None:
        """Takes the model name the LLM answered with, and remembers it in the store for later replicas."""
        self.model = self.labeler.served_model or "default"
        await self.store.put_many({self._model_marker(): [self.model]})

    @property
    def client(self):
        """The LLM client labels come from."""
        return self.labeler.client

    def _keys(self, texts: list[str]) -> list[str]:
        cut = self.labeler.max_text_chars
        return [label_key(t[:cut], self.prompt, self.model or "", self.fingerprint) for t in texts]

    async def label(self, texts: list[str]) -> list[list[str]]:
        return (await self.label_run(texts)).labels

    async def label_run(self, texts: list[str]) -> LabelRun:
        labels: list[list[str] | None] = [None] * len(texts)
        errors: list[dict] = []
        start = 0
        if callable(self.fingerprint_source) and texts:
            self.fingerprint = await self.fingerprint_source()
        if self.model is None and texts:
            remembered = await self.store.get_many([self._model_marker()])
            if remembered:
                self.model = remembered[self._model_marker()][0]
        if self.model is None and texts:  # learn the model's name with the first text (labelled anyway)
            start = 1
            self.llm_calls += 1
            try:
                first = await self.labeler.label_run(texts[:1])
            except Exception as exc:  # noqa: BLE001 - reported as that document's failure, like any other
                if len(texts) == 1:
                    raise
                errors.append({"index": 0, "message": failure_message(exc)})
            else:
                errors.extend(first.errors)
                labels[0] = first.labels[0]
            await self._learned()
            if labels[0]:
                await self.store.put_many({self._keys(texts[:1])[0]: labels[0]})
        keys = self._keys(texts)
        found = await self.store.get_many(list(dict.fromkeys(keys[start:])))
        missing = [i for i, k in enumerate(keys) if i >= start and k not in found]
        for i, k in enumerate(keys):
            if i >= start and k in found:
                labels[i] = found[k]
        self.cache_hits += len(texts) - start - len(missing)
        if missing:
            self.llm_calls += len(missing)
            try:
                run = await self.labeler.label_run([texts[i] for i in missing])
            except Exception as exc:  # noqa: BLE001 - every missing text failed
                if len(missing) + len(errors) == len(texts):  # and nothing else succeeded: the caller's error
                    raise
                message = failure_message(exc)
                run = LabelRun([[] for _ in missing], [{"index": j, "message": message} for j in range(len(missing))])
            failed = {e["index"] for e in run.errors}
            errors += [{**e, "index": missing[e["index"]]} for e in run.errors]
            for j, i in enumerate(missing):
                labels[i] = run.labels[j]
            if self.labeler.served_model not in (None, self.model) and self.labeler.model is None:
                await self._learned()  # the LLM behind the store was swapped: keys name the new one from now on
                keys = self._keys(texts)
            await self.store.put_many({keys[i]: run.labels[j] for j, i in enumerate(missing) if j not in failed})
        return LabelRun([lbl or [] for lbl in labels], errors)
