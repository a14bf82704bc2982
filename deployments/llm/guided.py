"""Constrained decoding through llguidance: choice, regex, JSON Schema and Lark grammars.

llguidance (maintained, on PyPI, CPU token masks) replaces the hand-written token trie: it accepts
every tokenization of an allowed text, not only the tokenizer's own, and one engine serves all
four constraint kinds. A `Constraint` is one row's matcher: the allowed-token mask for the next
step, `advance(token)`, whether the output may end (`can_end`) or must (`must_end`), and the
final text, decoded byte-exactly by llguidance's tokenizer.

Torch-free: masks are numpy arrays, so the request -> job path in the replica stays light and
`rows.py` turns them into tensors.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from llguidance import LLExecutor, LLMatcher, LLTokenizer

Kind = Literal["choice", "regex", "json", "grammar"]
# Edits a row's allowed-token mask after the grammar's own (e.g. no repeated tool call); in place.
Refine = Callable[["Constraint", np.ndarray], None]

# JSON Schema keywords whose values are schemas: by name, in a list, or one
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalItems", "not", "if", "then", "else", "contains", "additionalProperties",
               "unevaluatedProperties", "propertyNames")
_OPEN_KEYS = ("additionalProperties", "patternProperties", "unevaluatedProperties")


def closed_schema(schema: Any) -> Any:
    """``schema`` with every object that does not say otherwise closed to its declared properties.

    JSON Schema lets an object carry properties it does not declare unless ``additionalProperties`` says
    no; a small model then fills them with copies of the schema's own keys until the token limit. As
    vLLM's default backend (xgrammar's strict mode) and OpenAI's strict function calling do, an object
    schema (``type: object`` or ``properties``) without ``additionalProperties``, ``patternProperties`` or
    ``unevaluatedProperties`` generates only its declared properties; ``additionalProperties: true`` or
    a schema keeps it open. For generation only: `ConstraintSpec.matches` checks text as the schema says.
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: closed_schema(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [closed_schema(sub) for sub in out[key]]
    for key in _SCHEMA_ONE:
        if isinstance(out.get(key), dict):
            out[key] = closed_schema(out[key])
        elif key == "items" and isinstance(out.get(key), list):  # draft 4-7 tuples
            out[key] = [closed_schema(sub) for sub in out[key]]
    kinds = out.get("type")
    is_object = kinds == "object" or (isinstance(kinds, list) and "object" in kinds) or "properties" in out
    if is_object and not any(key in out for key in _OPEN_KEYS):
        out["additionalProperties"] = False
    return out


class ConstraintError(ValueError):
    """The constraint cannot be compiled (a bad regex, schema or grammar): the caller's fault, a 400."""


@dataclass(frozen=True)
class ConstraintSpec:
    """What the request asked for, before it is compiled for a tokenizer. Plain data: crosses handles."""

    kind: Kind
    value: Any  # list[str] for choice, str for regex and grammar, a JSON Schema dict (or True: any JSON)

    def grammar(self, any_whitespace: bool = False) -> str:
        """The llguidance grammar for this constraint (no tokenizer needed).

        JSON is compact unless ``any_whitespace``: fewer tokens and no runaway whitespace when we
        generate; any whitespace when we check what another server generated.
        """
        if self.kind == "choice":
            # Lark string literals take JSON escapes, so any choice text is quoted exactly
            return LLMatcher.grammar_from_lark("start: " + " | ".join(json.dumps(c) for c in self.value))
        if self.kind == "regex":
            return LLMatcher.grammar_from_regex(self.value)
        if self.kind == "json":
            # any JSON object (json_object mode) stays open; a given schema's objects are closed when we generate
            schema = {"type": "object"} if self.value is True else self.value if any_whitespace else closed_schema(self.value)
            return LLMatcher.grammar_from_json_schema(schema, defaults={"whitespace_flexible": any_whitespace})
        return LLMatcher.grammar_from_lark(self.value)

    def validate(self) -> str:
        """The compiled grammar; raises ConstraintError naming the problem when it does not compile."""
        try:
            grammar = self.grammar()
        except (ValueError, TypeError) as exc:
            raise ConstraintError(f"invalid {self.kind} constraint: {exc}") from None
        message = LLMatcher.validate_grammar(grammar)
        if message and not message.startswith("WARNING"):
            raise ConstraintError(f"invalid {self.kind} constraint: {message.splitlines()[0]}")
        return grammar

    def matches(self, text: str) -> bool:
        """Whether ``text`` satisfies the constraint, checked without a tokenizer (for external endpoints).

        JSON is parsed and checked with jsonschema, which accepts any whitespace another server may use;
        the other kinds run llguidance over the text's bytes, so regex syntax is the same as ours.
        """
        if self.kind == "json":
            import jsonschema

            try:
                value = json.loads(text)
            except ValueError:
                return False
            schema = {"type": "object"} if self.value is True else self.value
            return jsonschema.Draft202012Validator(schema).is_valid(value)
        return byte_matcher(self.validate()).accepts(text)


# one llguidance tokenizer per HF tokenizer: building it reads the whole vocabulary (about a second)
_TOKENIZERS: "weakref.WeakKeyDictionary[Any, LLTokenizer]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def tokenizer_for(hf_tokenizer: Any) -> LLTokenizer:
    """The cached llguidance tokenizer of a Hugging Face fast tokenizer."""
    with _LOCK:
        cached = _TOKENIZERS.get(hf_tokenizer)
        if cached is None:
            from llguidance.hf import from_tokenizer  # imports transformers: replicas only

            cached = _TOKENIZERS[hf_tokenizer] = from_tokenizer(hf_tokenizer)
        return cached


class Constraint:
    """One row's grammar state. Made fresh per job: a matcher is mutable."""

    def __init__(self, spec: ConstraintSpec, tokenizer: LLTokenizer, refine: Refine | None = None) -> None:
        self.spec = spec
        self.tokenizer = tokenizer
        self.refine = refine
        self.matcher = LLMatcher(tokenizer, spec.validate(), log_level=0)
        if self.matcher.is_error():
            raise ConstraintError(f"invalid {spec.kind} constraint: {self.matcher.get_error().splitlines()[0]}")
        self.tokens: list[int] = []

    def copy(self) -> "Constraint":
        """A fresh constraint on the same grammar without compiling it again (n choices of one request)."""
        twin = object.__new__(Constraint)
        twin.spec, twin.tokenizer, twin.tokens, twin.refine = self.spec, self.tokenizer, list(self.tokens), self.refine
        twin.matcher = self.matcher.deep_copy()
        return twin

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def mask(self) -> np.ndarray:
        """Allowed next tokens as a bool array over the grammar's vocabulary (EOS allowed iff `can_end`)."""
        mask = np.frombuffer(self.matcher.compute_logit_bias(), dtype=np.uint8) != 0
        if self.refine is not None:
            self.refine(self, mask)
        return mask

    def allowed(self) -> list[int]:
        return np.flatnonzero(self.mask()).tolist()

    def can_end(self) -> bool:
        """The text so far is a complete match."""
        return self.matcher.is_accepting()

    def must_end(self) -> bool:
        """A complete match that nothing can extend: the row ends here."""
        return self.matcher.is_stopped() and self.matcher.is_accepting()

    def failed(self) -> bool:
        return self.matcher.is_error()

    def advance(self, token: int) -> bool:
        """Consume ``token``; False when the grammar rejects it (it never should under the mask)."""
        self.tokens.append(token)
        return self.matcher.consume_token(token)

    @property
    def text(self) -> str:
        """The generated text, decoded byte-exactly (no tokenizer clean-up of spaces)."""
        return self.tokenizer.decode_str(self.tokens)


# Masks of a whole batch at once: llguidance computes them on its own threads, without the GIL.
_EXECUTOR: LLExecutor | None = None


def batch_masks(constraints: list[Constraint]) -> np.ndarray:
    """Bool masks (len(constraints), vocab) computed in parallel; all constraints share one tokenizer."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = LLExecutor()
    vocab = constraints[0].vocab_size
    words = (vocab + 31) // 32
    bits = np.full((len(constraints), words), -1, dtype=np.int32)
    _EXECUTOR.unsafe_compute_mask_ptr([(c.matcher, i) for i, c in enumerate(constraints)],
                                      bits.ctypes.data, words * 4, len(constraints))
    unpacked = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little")
    masks = unpacked[:, :vocab].astype(bool)
    for constraint, mask in zip(constraints, masks):
        if constraint.refine is not None:
            constraint.refine(constraint, mask)
    return masks


class _ByteVocab:
    """A 256-token vocabulary, one token per byte (plus EOS): checks a finished text against a grammar."""

    def __init__(self) -> None:
        self.tokens = [bytes([i]) for i in range(256)] + [b"<eos>"]
        self.eos_token_id = 256
        self.bos_token_id = None
        self.special_token_ids = [256]

    def __call__(self, text: bytes | str) -> list[int]:
        return list(text.encode() if isinstance(text, str) else text)


_BYTE_TOKENIZER: LLTokenizer | None = None


class _TextChecker:
    def __init__(self, matcher: LLMatcher) -> None:
        self.matcher = matcher

    def accepts(self, text: str) -> bool:
        ok = self.matcher.consume_tokens(list(text.encode("utf-8")))
        return ok and self.matcher.is_accepting()

    def viable(self, text: str) -> bool:
        """``text`` can still be extended to a match (it is a prefix of one)."""
        return self.matcher.consume_tokens(list(text.encode("utf-8")))


def byte_matcher(grammar: str) -> _TextChecker:
    """A checker over the byte vocabulary, for text that another server generated."""
    global _BYTE_TOKENIZER
    if _BYTE_TOKENIZER is None:
        from llguidance import TokenizerWrapper

        _BYTE_TOKENIZER = LLTokenizer(TokenizerWrapper(_ByteVocab()))
    return _TextChecker(LLMatcher(_BYTE_TOKENIZER, grammar, log_level=0))
