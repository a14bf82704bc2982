"""A small hand-written vocabulary for constrained-decoding tests: one token per character of
Latin-1, plus a few multi-character tokens, so the same text has several tokenizations."""

from __future__ import annotations

from llguidance import LLTokenizer, TokenizerWrapper

from deployments.llm.guided import Constraint, ConstraintSpec

EOS = 0
PIECES = ["yes", "no", '{"', '":', '",', "true", "false", "12", "ab"]
VOCAB = ["<eos>"] + [chr(i) for i in range(1, 256)] + PIECES
INDEX = {piece: i for i, piece in enumerate(VOCAB)}


class _Wrapper:
    """What llguidance's TokenizerWrapper reads: token bytes, EOS, and an encoder."""

    def __init__(self) -> None:
        self.tokens = [piece.encode("utf-8") for piece in VOCAB]
        self.eos_token_id = EOS
        self.bos_token_id = None
        self.special_token_ids = [EOS]

    def __call__(self, text: bytes | str) -> list[int]:
        return encode(text.decode("utf-8") if isinstance(text, bytes) else text)


def encode(text: str) -> list[int]:
    """Character by character: the tokenization a greedy model would rarely pick."""
    return [INDEX[c] for c in text]


def decode(tokens: list[int]) -> str:
    return "".join(VOCAB[t] for t in tokens if t != EOS)


TOKENIZER = LLTokenizer(TokenizerWrapper(_Wrapper()))


def constraint(kind: str, value) -> Constraint:
    return Constraint(ConstraintSpec(kind, value), TOKENIZER)
