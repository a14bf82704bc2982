"""Constrained decoding for `guided_choice`: the output is exactly one of the given strings.

Hand-written because the maintained options (outlines, xgrammar) pull large dependencies for what
is a token trie: at each step only tokens that continue some choice are allowed, and the output
ends as soon as a choice is complete and no longer choice continues it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class _Node:
    children: dict[int, "_Node"] = field(default_factory=dict)
    choice: str | None = None  # set where a whole choice ends


class ChoiceTrie:
    """Token trie over the choices; a cursor walks it as tokens are generated."""

    def __init__(self, choices: list[str], encode: Callable[[str], list[int]]) -> None:
        self.root = _Node()
        for choice in choices:
            node = self.root
            for token in encode(choice):
                node = node.children.setdefault(token, _Node())
            node.choice = choice
        self.node = self.root

    def allowed(self) -> list[int]:
        """Tokens that keep the output on a path to some choice."""
        return list(self.node.children)

    def can_end(self) -> bool:
        return self.node.choice is not None

    def must_end(self) -> bool:
        """A choice is complete and nothing longer continues it."""
        return self.node.choice is not None and not self.node.children

    def advance(self, token: int) -> bool:
        """Follow ``token``; False when it leaves the trie (it never should under the mask)."""
        child = self.node.children.get(token)
        if child is None:
            return False
        self.node = child
        return True

    @property
    def choice(self) -> str | None:
        return self.node.choice
