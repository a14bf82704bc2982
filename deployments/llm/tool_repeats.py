"""No repeated tool call: a name plus arguments already called in this answer is not offered again.

A small model asked for calls (``tool_choice`` required, or ``auto`` with ``parallel_tool_calls``)
tends to write the same call again and again until ``max_tokens``. The tools grammar cannot say
"any call but these" (a JSON Schema has no negation), so the rule is applied to each step's
allowed-token mask, after the grammar's own (`guided.Constraint.refine`): a token is removed when
the text it leads to, together with the bytes the grammar then forces (llguidance's fast-forward
bytes), holds a call whose name and arguments equal an earlier complete call's. Looking through the
forced bytes removes a repeat where it becomes inevitable (the newline before a call whose only
possible arguments were used already, the first letter of a name only one function has), so
decoding never walks into a dead end. Calls are compact JSON with keys in a fixed order
(`tools.calls_grammar`), so equal calls are equal texts.

Only tokens that can complete a repeat are looked at: those holding a newline right after a
complete call, and those that are a prefix of, or run past, the rest of an earlier call the current
one copies so far. If the rule would leave nothing (and the answer cannot end there), the mask is
left as the grammar made it: a repeat is better than a broken answer.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

import numpy as np

from deployments.llm.tool_stream import PartialCall, scan_calls


class TokenBytes:
    """Each token's bytes, sorted for prefix look-ups, and the tokens holding a newline."""

    def __init__(self, tokenizer: Any) -> None:
        pieces = [(tokenizer.decode_bytes([i]), i) for i in range(tokenizer.vocab_size)]
        self.bytes = [b for b, _ in pieces]
        ordered = sorted((b, i) for b, i in pieces if b)
        self.sorted = [b for b, _ in ordered]
        self.ids = [i for _, i in ordered]
        self.by_bytes: dict[bytes, list[int]] = {}
        for b, i in ordered:
            self.by_bytes.setdefault(b, []).append(i)
        self.newline = [i for b, i in ordered if b"\n" in b]

    def starting_with(self, prefix: bytes) -> list[int]:
        lo = bisect.bisect_left(self.sorted, prefix)
        hi = lo
        while hi < len(self.sorted) and self.sorted[hi].startswith(prefix):
            hi += 1
        return self.ids[lo:hi]

    def prefixes_of(self, text: bytes) -> list[int]:
        """Tokens whose bytes are a proper, non-empty prefix of ``text``."""
        return [i for n in range(1, len(text)) for i in self.by_bytes.get(text[:n], ())]


_TABLES: dict[int, tuple[Any, TokenBytes]] = {}  # id(tokenizer) -> (tokenizer kept alive, its table)
_LOCK = threading.Lock()


def token_bytes(tokenizer: Any) -> TokenBytes:
    with _LOCK:
        entry = _TABLES.get(id(tokenizer))
        if entry is None or entry[0] is not tokenizer:
            entry = _TABLES[id(tokenizer)] = (tokenizer, TokenBytes(tokenizer))
        return entry[1]


def _key(call: PartialCall) -> tuple[str | None, str]:
    return call.name, call.arguments


def repeats(calls: list[PartialCall]) -> bool:
    """Some call (complete, or with arguments as long as an earlier complete call's) repeats an earlier one."""
    seen: set[tuple[str | None, str]] = set()
    for call in calls:
        if call.name is not None and _key(call) in seen:
            return True
        if call.complete:
            seen.add(_key(call))
    return False


def _call_text(call: PartialCall) -> bytes:
    return ('{"name":"%s","arguments":%s' % (call.name, call.arguments)).encode()


def no_repeated_calls(constraint: Any, mask: np.ndarray) -> None:
    """`guided.Refine`: clear from ``mask`` every token that would complete a repeat of an earlier call."""
    text = constraint.text
    if not text.startswith("{"):
        return  # a text answer (auto)
    calls = scan_calls(text)
    done = [c for c in calls or [] if c.complete]
    if not done:
        return
    table = token_bytes(constraint.tokenizer)
    candidates: set[int] = set()
    if calls[-1].complete:  # between calls: only a newline starts the next one
        candidates.update(table.newline)
    else:
        line = text[text.rfind("\n") + 1 :].encode()
        for call in done:
            core = _call_text(call)  # the call up to its arguments' end; only its closing brace follows
            if core.startswith(line) and len(core) > len(line):
                rest = core[len(line) :]
                candidates.update(table.starting_with(rest))
                candidates.update(table.prefixes_of(rest))
    so_far = constraint.tokenizer.decode_bytes(constraint.tokens)
    cleared = []
    for token in candidates:
        if token < len(mask) and mask[token] and _leads_to_repeat(constraint, token, so_far, table):
            mask[token] = False
            cleared.append(token)
    if cleared and not mask.any() and not constraint.can_end():
        mask[cleared] = True  # nothing else could follow: leave the grammar's mask


def _leads_to_repeat(constraint: Any, token: int, so_far: bytes, table: TokenBytes) -> bool:
    matcher = constraint.matcher.deep_copy()
    if not matcher.consume_token(token):
        return False
    ahead = so_far + table.bytes[token] + bytes(matcher.compute_ff_bytes())
    calls = scan_calls(ahead.decode("utf-8", errors="replace"))
    return bool(calls) and repeats(calls)
