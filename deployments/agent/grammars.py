"""The languages the improved loop's decisions are written in: llguidance Lark grammars.

The LLM server compiles these (``structured_outputs: {"grammar": ...}``) and masks every token the
grammar cannot continue, so what the model writes is, by construction:

- a span of a text (`span_grammar`): any run of consecutive words of the question (a search query)
  or of an observation (a final answer), the first word's leading and the last word's trailing
  punctuation optional. One rule per word (``w_i: WORD_i (" " w_{i+1})?``) keeps the grammar linear
  in the text, so every span is writable with no cap and no enumeration;
- a calculator expression (`calculator_grammar`): the numbers seen in the question and the
  observations are the only operand terminals; operators and parentheses are free, so arithmetic
  stated in words and sums of looked-up values are writable and invented operands are not.

Literals are JSON string literals (Lark takes JSON escapes), so any text is quoted exactly. Each
grammar allows one leading space (the model writes ``": value"``) and an optional line break at the
end, where a model naturally ends a field; callers strip both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

EDGE = "\"'`.,;:!?()[]{}<>"
_WORD = re.compile(r"\S+")
# the largest grammar one request may carry is the server's MAX_CONSTRAINT_CHARS; stay well under it
MAX_GRAMMAR_CHARS = 48 * 1024
MAX_ONCE_OPERANDS = 4  # `each_once_grammar` has one rule per subset of its operands


def literal(text: str) -> str:
    """``text`` as a Lark string literal (JSON escapes)."""
    return json.dumps(text, ensure_ascii=False)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _span_rules(name: str, text: str) -> tuple[list[str], list[str]]:
    """(rules, start alternatives) for every span of ``text``: ``{name}_c{i}`` is a span that goes on
    from word i (the word written whole, or trailing punctuation dropped where the span ends), and
    each start alternative begins a span at one word (its leading punctuation dropped)."""
    tokens = words(text)
    rules: list[str] = []
    has_rest = [False] * (len(tokens) + 1)  # has_rest[i]: rule {name}_c{i} exists
    for i in range(len(tokens) - 1, -1, -1):
        word, end = tokens[i], tokens[i].rstrip(EDGE)
        options = []
        if has_rest[i + 1]:
            options.append(f'{literal(word)} " " {name}_c{i + 1}')
        if end:
            options.append(literal(end))
        if options:
            rules.append(f"{name}_c{i}: " + " | ".join(options))
            has_rest[i] = True
    starts: list[str] = []
    for i, word in enumerate(tokens):
        begin = word.lstrip(EDGE)
        if not begin:
            continue
        if has_rest[i + 1]:
            starts.append(f'{literal(begin)} " " {name}_c{i + 1}')
        only = begin.rstrip(EDGE)
        if only:
            starts.append(literal(only))
    return rules, starts


def span_grammar(texts: Sequence[str], extra: Iterable[str] = (), limit: int = MAX_GRAMMAR_CHARS) -> str | None:
    """A grammar whose sentences are any span of any of ``texts`` or one of ``extra`` (whole values
    such as calculator results); texts that would push the grammar past ``limit`` are left out
    (callers pass the most useful first). None when nothing can be written."""
    alternatives = [literal(value.strip()) for value in dict.fromkeys(extra) if value.strip()]
    rules: list[str] = []
    size = sum(len(a) for a in alternatives)
    for k, text in enumerate(dict.fromkeys(texts)):
        text_rules, starts = _span_rules(f"t{k}", text)
        if not starts:
            continue
        cost = sum(len(r) for r in text_rules) + sum(len(s) for s in starts) + 64
        if size + cost > limit:
            continue
        size += cost
        rules += text_rules
        rules.append(f"t{k}: " + " | ".join(starts))
        alternatives.append(f"t{k}")
    if not alternatives:
        return None
    return "\n".join([f'start: " "? value "\\n"?', "value: " + " | ".join(alternatives), *rules])


def calculator_grammar(operands: Sequence[str]) -> str | None:
    """Arithmetic over ``operands`` (number strings) only: + - * / and parentheses free, at least one
    operator (a bare number computes nothing; a small model otherwise "calculates" 1800 for "3
    licences at 1800"). None when no number was seen (nothing to calculate with)."""
    values = [n for n in dict.fromkeys(operands) if n]
    if not values:
        return None
    number = " | ".join(literal(n) for n in sorted(values, key=len, reverse=True))
    return "\n".join([
        'start: " "? top "\\n"?',
        'top: term (op term)+ | "(" " "? top " "? ")"',
        'expr: term (op term)*',
        'term: NUMBER | "(" " "? expr " "? ")"',
        'op: " "? OPERATOR " "?',
        'OPERATOR: "+" | "-" | "*" | "/"',
        f"NUMBER: {number}",
    ])


def each_once_grammar(operands: Sequence[str]) -> str | None:
    """Arithmetic that uses each of ``operands`` exactly once, in any order and grouping (+ - * /
    and parentheses free): ``e_S`` is an expression over the operands in the set S (a bit mask), so
    the grammar has one rule per subset. None past `MAX_ONCE_OPERANDS` operands or below two."""
    values = list(operands)
    if not 2 <= len(values) <= MAX_ONCE_OPERANDS:
        return None
    rules = []
    for mask in range(1, 1 << len(values)):
        options = [literal(values[i]) for i in range(len(values)) if mask == 1 << i]
        part = (mask - 1) & mask
        while part:  # every split of the set into two non-empty parts
            options.append(f"e{part} op e{mask ^ part}")
            part = (part - 1) & mask
        options.append(f'"(" " "? e{mask} " "? ")"')
        rules.append(f"e{mask}: " + " | ".join(options))
    full = (1 << len(values)) - 1
    return "\n".join([f'start: " "? e{full} "\\n"?', 'op: " "? OPERATOR " "?',
                      'OPERATOR: "+" | "-" | "*" | "/"', *rules])


def _op(allowed: str) -> str:
    """The operator rule for a gap: ``op`` (any of + - * /) or the only one allowed."""
    return "op" if len(allowed) != 1 else f'" "? {literal(allowed)} " "?'


def ordered_grammar(operands: Sequence[str], operators: Sequence[str] = ()) -> str | None:
    """Arithmetic over ``operands`` in the order given, grouped left to right ("(a op b) op c"), one
    operator between each two: arithmetic stated in words reads so ("a minus b, plus c"). Gap i takes
    any of + - * / unless ``operators[i]`` names one (`language.Language.stated`). None past
    `MAX_ONCE_OPERANDS` operands or below two."""
    values = list(operands)
    if not 2 <= len(values) <= MAX_ONCE_OPERANDS:
        return None
    gaps = list(operators) if len(operators) == len(values) - 1 else ["+-*/"] * (len(values) - 1)
    body = '"(" ' * (len(values) - 2) + literal(values[0])
    for i, value in enumerate(values[1:]):
        body += f" {_op(gaps[i])} {literal(value)}" + (' ")"' if i < len(values) - 2 else "")
    return "\n".join([f'start: " "? {body} "\\n"?', 'op: " "? OPERATOR " "?', 'OPERATOR: "+" | "-" | "*" | "/"'])


def pair_grammar(first: Sequence[str], second: Sequence[str], operators: str = "+-*/",
                 larger_first: bool = False) -> str | None:
    """One number of ``first`` then one of ``second`` with one operator of ``operators``: a value
    combined from two looked-up documents, in the order the question names them ("A minus B", "A
    and B together"), nothing else. With ``larger_first`` (a comparison, "-" only) each pair is
    written larger value first, so the result is how far apart they are. None when a side is empty."""
    a, b = list(dict.fromkeys(n for n in first if n)), list(dict.fromkeys(n for n in second if n))
    if not a or not b:
        return None
    if larger_first and operators == "-":
        pairs = dict.fromkeys(f"{x} - {y}" if float(x) >= float(y) else f"{y} - {x}" for x in a for y in b)
        return "\n".join(['start: " "? expr "\\n"?', "expr: " + " | ".join(literal(p) for p in pairs)])
    return "\n".join([
        'start: " "? expr "\\n"?',
        f"expr: a {_op(operators)} b",
        "a: " + " | ".join(literal(n) for n in a),
        "b: " + " | ".join(literal(n) for n in b),
        'op: " "? OPERATOR " "?',
        'OPERATOR: "+" | "-" | "*" | "/"',
    ])


def cleaned(text: str) -> str:
    """What the model wrote under one of these grammars, without the leading space and line break."""
    return text.strip()


@dataclass(frozen=True)
class InputSpace:
    """What one tool input may be: a span of one of ``texts`` (a query), or, with ``arithmetic``,
    an expression over ``operands``. The guards narrow it (`Guard.inputs`) before it is compiled."""

    texts: tuple[str, ...] = ()
    operands: tuple[str, ...] = ()
    arithmetic: bool = False
    each_once: bool = False  # arithmetic that uses every operand exactly once (`each_once_grammar`)
    pair: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # one number of each side (`pair_grammar`)
    in_order: bool = False  # with each_once: in the operands' order, grouped left to right (`ordered_grammar`)
    operators: tuple[str, ...] = ()  # the operators each gap may take, when the question's words name them
    larger_first: bool = False  # with pair: a comparison, written larger value first

    def grammar(self) -> str | None:
        if not self.arithmetic:
            return span_grammar(self.texts)
        if self.pair is not None:
            ops = self.operators[0] if len(self.operators) == 1 else "+-*/"
            return pair_grammar(*self.pair, ops, self.larger_first) or calculator_grammar(self.operands)
        if self.each_once:
            once = ordered_grammar(self.operands, self.operators) if self.in_order else each_once_grammar(self.operands)
            return once or calculator_grammar(self.operands)
        return calculator_grammar(self.operands)
