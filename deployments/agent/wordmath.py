"""Arithmetic stated in English, parsed compositionally into the calculator's expression.

A 135M model writes "+" for "17 more than the product of 12 and 9"; a grammar of English
arithmetic does not. This is a small recursive-descent parser whose phrases all come from the
language file (`data/lang/en.yaml`, `arithmetic:`), so the code knows roles, not words:

    chain      := compare (SEPARATOR apply)*           ", then double it"; ", plus 12"
    compare    := additive (INFIX_SWAPPED compare)?    "17 more than X" is X + 17
    additive   := product (INFIX[+-] product)*         precedence: * and / bind tighter
    product    := unary (INFIX[*/] unary)*
    unary      := SCALE_PREFIX unary | primary POSTFIX*  "half of 846"; "14 squared"
    primary    := NUMBER | OF_LIST list | VERB unary LINK chain | START unary

A list is "A, B and C" (two or more operands). Numbers keep their value whatever their form
("1,200", "3.5", "040"). The whole question need not parse: the parse may start at any word and
must reach every number the question states, with no operator word left over after it; then
the question is arithmetic stated in words and needs no document. Otherwise `parse` returns None
and the constrained model writes the expression, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployments.agent.calculator import CalculatorError, evaluate, format_number
from deployments.agent.language import ArithmeticWords, Language
from deployments.agent.records import spaced_as_commas

# an identifier that glues letters and digits ("STRK1048-2002", "U+0080", "alpha-3") is a word, never a number
_IDENTIFIER = r"(?=[\w.+\-/]*[^\W\d_])(?=[\w.+\-/]*\d)[^\W_][\w.+\-/]*[^\W_]"  # "HLR/2019/7860" too
# a date written with dashes, dots or slashes ("2032-04-27", "30.04.2030", "21/04/2032") is a word too, no arithmetic
_DATE = r"\d{4}-\d{1,2}-\d{1,2}(?![\d.])|\d{1,2}\.\d{1,2}\.\d{4}(?!\d)|\d{1,2}/\d{1,2}/\d{4}(?!\d)"
# numbers glued by hyphens ("639-3", "account 100-2245") and a standard's name before them ("ISO 3166-2"): one
# word, a code or a part, no subtraction (arithmetic writes "100 - 7" or "100 minus 7")
_STANDARD = r"(?:\b[A-Z]{2,} )?(?<![\w.-])\d+(?:-\d+)+(?![\d-])"
# a dot that opens a word after a space is a file suffix (".pc files"), one word, no sentence's end
_SUFFIX = r"(?<![^\s(])\.[^\W\d_]\w*"
_TOKEN = re.compile(_STANDARD + "|" + _IDENTIFIER + "|" + _DATE + "|" + _SUFFIX + r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
                    r"|\d+(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)?"
                    r"|[,;.()+\-*/×÷^%]")


SYMBOLS = frozenset("+-*/×÷^()%")


class NoParse(Exception):
    """The words at this point are not arithmetic this grammar reads."""


@dataclass(frozen=True)
class Token:
    text: str  # lower-cased word, punctuation mark, or the number as written
    number: str | None = None  # the number as the calculator reads it ("040" -> "40", "1,200" -> "1200")


def tokenize(text: str, words: ArithmeticWords | None = None) -> list[Token]:
    tokens = []
    for raw in _TOKEN.findall(spaced_as_commas(text)):  # "77 683 KiB": one number, as the records read it
        if raw[0].isdigit() and not re.search(r"[^\W\d_]", raw) and not re.fullmatch(_DATE, raw) and "-" not in raw:
            digits = raw.replace(",", "")
            whole, _, frac = digits.partition(".")
            tokens.append(Token(raw, (whole.lstrip("0") or "0") + (f".{frac}" if frac else "")))
        else:
            tokens.append(Token(raw.lower()))
    return _word_numbers(tokens, words) if words is not None and words.number_words else tokens


def _word_numbers(tokens: list[Token], words: ArithmeticWords) -> list[Token]:
    """Numbers written in words as one number token: "twenty - five" (the hyphen is a token), "three
    hundred and twelve"."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].text not in words.number_words:
            out.append(tokens[i])
            i += 1
            continue
        total, current, j, texts = 0, 0, i, []
        while j < len(tokens):
            t = tokens[j].text
            if t in words.number_words and (current % 10 == 0 or words.number_words[t] >= 10) or \
                    t in words.number_words and not texts:
                current += words.number_words[t]
            elif t in words.number_scales and texts:
                current = max(current, 1) * words.number_scales[t]
                if words.number_scales[t] >= 1000:
                    total, current = total + current, 0
            elif t in ("-", "and") and texts and j + 1 < len(tokens) and tokens[j + 1].text in words.number_words \
                    and (t == "-" or tokens[j - 1].text in words.number_scales):
                pass
            else:
                break
            texts.append(t)
            j += 1
        out.append(Token(" ".join(texts), str(total + current)))
        i = j
    return out


class _Parser:
    def __init__(self, words: ArithmeticWords, tokens: list[Token]) -> None:
        self.w, self.t = words, tokens
        self._last_op: str | None = None  # the operator the last `apply` step named

    # --- matching ---------------------------------------------------------------------------
    def _phrase(self, i: int, phrases) -> tuple[str, int] | None:
        """The longest of ``phrases`` starting at token ``i``, articles before it skipped unless the phrase
        holds its own ("the sum" as the running result): (phrase, next)."""
        best: tuple[str, int] | None = None
        for j in dict.fromkeys((self._skip_articles(i), i)):
            for phrase in phrases:
                parts = phrase.lower().split()
                if [t.text for t in self.t[j: j + len(parts)]] == parts and (best is None or j + len(parts) > best[1]):
                    best = (phrase, j + len(parts))
        return best

    def _skip_articles(self, i: int) -> int:
        while i < len(self.t) and self.t[i].text in self.w.articles:
            i += 1
        return i

    def _op_at(self, i: int, table: dict[str, list[str]], ops: str) -> tuple[str, int] | None:
        found = [(op, m) for op in ops for m in [self._phrase(i, table.get(op, []))] if m]
        if not found:
            return None
        op, (_, nxt) = max(found, key=lambda f: f[1][1])
        return op, nxt

    # --- grammar ------------------------------------------------------------------------------
    def chain(self, i: int) -> tuple[str, int]:
        self._last_op = None
        expr, i = self.compare(i)
        last = self._last_op  # the operator of the last step on the running result ("multiply 4 by 3")
        while True:
            sep = self._separators(i)
            if sep == i:
                return expr, i
            try:
                expr, i = self.apply(expr, sep)
                last = self._last_op
            except NoParse:
                j = self._skip_articles(self._skip_link(sep, ("by",)))
                if last is None or j >= len(self.t) or self.t[j].number is None:
                    return expr, i
                expr, i = _bin(expr, last, self.t[j].number), j + 1  # "remove 340 and then 215": the step again

    def _separators(self, i: int) -> int:
        start = i
        while (m := self._phrase(i, self.w.separators)) is not None and m[1] > i:
            i = m[1]
        if (m := self._phrase(i, self.w.step_subjects)) is not None and (
                i > start or self._op_at(m[1], self.w.apply, "+-*/") is not None):  # "after which you subtract 410",
            i = m[1]  # "starting from 9,000 I subtract 1,275": who does the step, before its verb
        return i

    def apply(self, acc: str, i: int) -> tuple[str, int]:
        """One step on the running result after a separator: "plus 12", "add 5", "double it", "squared",
        "that total divided by 4" (the result named first)."""
        named = self._skip_pronoun(i)
        if named > i and (self._op_at(named, self.w.infix, "+-*/") or self._phrase(named, list(self.w.postfix))):
            i = named
        self._last_op = None
        if (m := self._op_at(i, self.w.infix, "+-*/")) or (m := self._op_at(i, self.w.apply, "+-*/")):
            op, j = m
            self._last_op = op
            j = self._skip_pronoun(j)
            j = self._skip_link(j, ("by",))
            shared = self._share_of(j, acc)
            start = j
            right, j = shared if shared is not None else (self.product if op in "+-" else self.unary)(j)
            if shared is None and op in "+-" and self._percentage(start, j):  # "then add 10%": of the result
                right = _bin(right, "*", acc)
            j = self._skip_link(j, ("to", "from", "onto"))
            j = self._skip_pronoun(j) if j > 0 and self.t[j - 1].text in ("to", "from", "onto") else j
            return _bin(acc, op, right), j
        if (m := self._phrase(i, list(self.w.apply_scale))) or (m := self._phrase(i, list(self.w.postfix))):
            phrase, j = m
            op, k = self.w.apply_scale.get(phrase) or self.w.postfix[phrase]
            j = self._skip_pronoun(j)
            times = 1
            if (r := self._phrase(j, list(self.w.repeats))) is not None:  # "halve it twice"
                times, j = self.w.repeats[r[0]], r[1]
            for _ in range(times):
                acc = _bin(acc, op, _num(k))
            return acc, j
        raise NoParse

    def _share_of(self, i: int, acc: str) -> tuple[str, int] | None:
        """A share of the running result as a step's operand ("subtract half of it", "0.5 of it", "add 25% of
        that"), and where it ends; None when the operand is no share of it."""
        share = self._phrase(i, list(self.w.scale_prefix))
        if share is not None and (k := self._skip_pronoun(share[1])) > share[1]:
            scale, n = self.w.scale_prefix[share[0]]
            return _bin(f"({acc})", scale, _num(n)), k
        if i >= len(self.t) or self.t[i].number is None:
            return None
        rate = self._op_at(i + 1, self.w.infix, "*")
        if rate is not None and " ".join(t.text for t in self.t[rate[1] - 2: rate[1]]) in PERCENT_OF \
                and (k := self._skip_pronoun(rate[1])) > rate[1]:
            return _bin(f"({self.t[i].number} / 100)", "*", f"({acc})"), k
        if i + 1 < len(self.t) and self.t[i + 1].text == "of" and (k := self._skip_pronoun(i + 2)) > i + 2:
            return _bin(self.t[i].number, "*", f"({acc})"), k
        return None

    def _skip_pronoun(self, i: int) -> int:
        m = self._phrase(i, self.w.pronouns)
        return m[1] if m else i

    def _skip_link(self, i: int, links: tuple[str, ...]) -> int:
        return i + 1 if i < len(self.t) and self.t[i].text in links else i

    def compare(self, i: int) -> tuple[str, int]:
        left, i = self.additive(i)
        if (m := self._op_at(i, self.w.infix_swapped, "+-*/")) is not None:
            op, j = m
            right, j = self.compare(j)
            return _bin(right, op, left), j
        return left, i

    def additive(self, i: int) -> tuple[str, int]:
        left, i = self.product(i)
        while self._op_at(i, self.w.infix_swapped, "+-*/") is None and (m := self._op_at(i, self.w.infix, "+-")):
            try:
                right, j = self.product(m[1])
            except NoParse:  # "12.5 - result?": no operand after the mark; `parse` judges what is left
                return left, i
            if self._percentage(m[1], j):  # "900 reduced by 15%", "80 plus 25 percent": a share of the left side
                right = _bin(right, "*", left)
            left, i = _bin(left, m[0], right), j
        return left, i

    def _percentage(self, i: int, end: int) -> bool:
        """Whether tokens ``i`` to ``end`` are one number and a percent word ("15%", "25 percent", "a 22.5 percent")."""
        i = self._skip_articles(i)
        if i >= len(self.t) or self.t[i].number is None:
            return False
        m = self._phrase(i + 1, self.w.percent_words())
        return m is not None and m[1] == end

    def product(self, i: int) -> tuple[str, int]:
        left, i = self.unary(i)
        while self._op_at(i, self.w.infix_swapped, "+-*/") is None and (m := self._op_at(i, self.w.infix, "*/")):
            right, i = self.unary(m[1])
            phrase = " ".join(t.text for t in self.t[m[1] - 2: m[1]])
            left = _bin(f"({left} / 100)", "*", right) if phrase in PERCENT_OF \
                else _bin(left, m[0], right)
        return left, i

    def unary(self, i: int) -> tuple[str, int]:
        if (m := self._phrase(i, list(self.w.scale_prefix))) is not None:
            op, k = self.w.scale_prefix[m[0]]
            inner, i = self.unary(m[1])
            expr = _bin(inner, op, _num(k))
        else:
            expr, i = self.primary(i)
        if (m := self._phrase(i, self.w.power)) is not None:  # "7 to the power of 3"
            exponent, i = self.primary(m[1])
            expr = _bin(expr, "^", exponent)
        while (m := self._phrase(i, list(self.w.postfix))) is not None:
            infix = self._op_at(i, self.w.infix, "*/")
            if infix is not None and infix[1] > m[1]:  # "percent of" is a product, not "percent" then "of"
                break
            op, k = self.w.postfix[m[0]]
            times, i = 1, m[1]
            if (r := self._phrase(i, list(self.w.repeats))) is not None:  # "2,048 halved three times"
                times, i = self.w.repeats[r[0]], r[1]
            for _ in range(times):
                expr = _bin(expr, op, _num(k))
        return expr, i

    def primary(self, i: int) -> tuple[str, int]:
        i = self._skip_articles(i)
        if i < len(self.t) and self.t[i].number is not None:
            return self._list_after(i) or (self.t[i].number, i + 1)
        if i < len(self.t) and self.t[i].text == "(":
            inner, j = self.chain(i + 1)
            if j < len(self.t) and self.t[j].text == ")":
                return f"({inner})", j + 1
            raise NoParse
        if (m := self._op_at(i, self.w.of_list, ["+", "-", "*", "/", "mean"])) is not None:  # type: ignore[arg-type]
            op, j = m
            j = self._skip_pronoun_numbers(j)
            operands, j = self.operands(j)
            return _combine(op, operands), self._trailing(j)
        for verb in self.w.verbs:
            if (m := self._phrase(i, verb.phrase)) is None:
                continue
            if "and" in verb.links and verb.op in "+*":  # "add up 3, 4 and 5", "add together 10, 20 and 30"
                try:
                    items, j = self.operands(m[1])
                    self._last_op = verb.op
                    return _combine(verb.op, items), self._trailing(j)
                except NoParse:
                    pass
            try:
                first, j = self.unary(m[1])
                link = self._phrase(j, verb.links)
                if link is None:
                    continue
                second, j = self.product(link[1])
            except NoParse:
                continue
            if verb.op in "+-" and not verb.swapped and self._percentage(link[1], j):  # "increase 80 by 25 percent"
                second = _bin(second, "*", first)
            elif verb.op in "+-" and verb.swapped and self._percentage(m[1], link[1] - len(link[0].split())):
                first = _bin(first, "*", second)  # "subtract 15% from 900"
            self._last_op = verb.op
            return (_bin(second, verb.op, first) if verb.swapped else _bin(first, verb.op, second)), j
        if (m := self._phrase(i, self.w.starts)) is not None:
            return self.unary(m[1])
        for side, phrases in self.w.comparisons.items():  # "how much more is 4,800 divided by 16 than 120"
            if (m := self._phrase(i, phrases)) is not None:
                left, j = self.additive(m[1])
                if j < len(self.t) and self.t[j].text in ("than", "exceed", "exceeds"):
                    right, j = self.additive(j + 1)
                    return (_bin(left, "-", right) if side == "more" else _bin(right, "-", left)), j
        for side, phrases in self.w.comparisons_after.items():  # "how much more than 900 is 275 times 4"
            if (m := self._phrase(i, phrases)) is not None:
                reference, j = self.additive(m[1])
                if (link := self._phrase(j, self.w.comparison_links)) is not None:
                    other, j = self.additive(link[1])
                    return (_bin(other, "-", reference) if side == "more" else _bin(reference, "-", other)), j
        raise NoParse

    def _list_after(self, i: int) -> tuple[str, int] | None:
        """A list of plain numbers from token ``i`` that a phrase after it names the operation of ("215, 1,080 and
        64 add up to"), or None."""
        if not self.w.list_after or i + 1 >= len(self.t) or self.t[i + 1].text not in (",", "and"):
            return None
        items, j = [self.t[i].number], i
        while j + 2 < len(self.t) and self.t[j + 1].text in (",", "and"):
            k = j + 3 if self.t[j + 1].text == "," and self.t[j + 2].text == "and" else j + 2
            if k >= len(self.t) or self.t[k].number is None:
                break
            items.append(self.t[k].number)
            j = k
        if len(items) < 2 or (m := self._op_at(j + 1, self.w.list_after, list(self.w.list_after))) is None:
            return None
        op, end = m
        return _combine(op, items), self._trailing(end)

    def _trailing(self, i: int) -> int:
        m = self._phrase(i, self.w.trailing)
        return m[1] if m else i

    def _skip_pronoun_numbers(self, i: int) -> int:
        """ "the sum of the numbers 3, 4 and 5": a noun naming the operands is not an operand."""
        return i + 1 if i < len(self.t) and self.t[i].text in ("numbers", "values") else i

    def operands(self, i: int, first: str | None = None) -> tuple[list[str], int]:
        """A list "A, B and C" (or "A and B", "A to B"); at least two."""
        items = [first] if first is not None else []
        if first is None:
            expr, i = self.unary(i)
            items.append(expr)
        else:
            expr, i = self.unary(i)
            items.append(expr)
        while i < len(self.t):
            mark = self.t[i].text
            if mark in (",", "and", "to", "by", "from", "with", "plus") or (mark == "," and i + 1 < len(self.t)):
                j = i + 1
                if mark == "," and j < len(self.t) and self.t[j].text == "and":
                    j += 1
                try:
                    expr, j = self.unary(j)
                except NoParse:
                    break
                items.append(expr)
                i = j
                if mark != ",":
                    break
            else:
                break
        if len(items) < 2:
            raise NoParse
        return items, i


CLOSING_MARKS = ("-", "–", "—", ":")  # a mark before the word naming the result ("- result?", ": the answer")
PERCENT_OF = ("percent of", "cent of", "% of")  # the infix phrases of a percentage of a number


def _num(k: float) -> str:
    return format_number(k)


def _bin(left: str, op: str, right: str) -> str:
    return f"({left} {op} {right})"


def _combine(op: str, operands: list[str]) -> str:
    if op == "mean":
        return f"(({' + '.join(operands)}) / {len(operands)})"
    if op == "-" and len(operands) == 2:  # "the difference between": how far apart, the larger first
        a, b = operands
        try:
            if evaluate(a) < evaluate(b):
                a, b = b, a
        except CalculatorError:
            pass
        return _bin(a, "-", b)
    expr = operands[0]
    for operand in operands[1:]:
        expr = _bin(expr, op, operand)
    return expr


def parse(question: str, language: Language) -> str | None:
    """The calculator expression of the arithmetic ``question`` states in words, or None.

    Tried from each word before the first number: the first parse that takes in every number the
    question states, leaves no operator word after it and uses at least one operation wins."""
    tokens = tokenize(question, language.arithmetic)
    found = _parse(tokens, language)
    if found is None and len(bare := _without_units(tokens, language)) < len(tokens):
        found = _parse(bare, language)  # "Add 1113 lines and 733 lines": the numbers' nouns are no operands
    return found


def _without_units(tokens: list[Token], language: Language) -> list[Token]:
    """``tokens`` less the words right after a number that no arithmetic phrase holds, where they close the runs
    after two numbers or more ("2,128 bytes, 1,014 bytes and 621 bytes") or follow the first ("Start from 131 holder
    lines, add 43"): what the numbers count, not how they combine."""
    vocabulary = language.arithmetic.words() | language.operator_words()
    runs: list[list[int]] = []  # the indices of the words right after each number
    for i, t in enumerate(tokens):
        if t.number is not None:
            runs.append([])
        elif runs and t.text.isalpha() and t.text not in vocabulary and (not runs[-1] or runs[-1][-1] == i - 1) \
                and tokens[i - 1 - len(runs[-1])].number is not None:
            runs[-1].append(i)
    heads = [tokens[run[-1]].text for run in runs if run]
    first = runs[0] if runs else []
    units = {i for run in runs if run and (heads.count(tokens[run[-1]].text) >= 2 or run is first) for i in run}
    return [t for i, t in enumerate(tokens) if i not in units]  # a noun after two numbers or more, or after the first


def _parse(tokens: list[Token], language: Language) -> str | None:
    numbers = [i for i, t in enumerate(tokens) if t.number is not None]
    if len(numbers) < 1:
        return None
    operator_words = language.operator_words() - language.stop_words
    parser = _Parser(language.arithmetic, tokens)
    for start in range(0, numbers[0] + 1):
        try:
            expr, end = parser.chain(start)
        except (NoParse, RecursionError):
            continue
        end = parser._trailing(parser._separators(end))  # ", what is left?"
        mark = end + 1 if end < len(tokens) and tokens[end].text in CLOSING_MARKS else end
        if parser._trailing(parser._skip_pronoun(mark)) == len(tokens) > mark:
            end = len(tokens)  # "... knock off 12.5 - result?", "..., then subtract 5: the answer?"
        rest = tokens[end:]
        if _asks_result(rest, language):
            rest = []  # "..., what's the total?": a closing question naming the result
        if any(not (t.number is not None and _aside(tokens[end - 1:end] + rest, k + 1))
               and (t.number is not None or t.text in operator_words or t.text in SYMBOLS) for k, t in enumerate(rest)):
            continue
        if not any(op in expr for op in "+-*/^"):
            continue
        expression = expr[1:-1] if expr.startswith("(") and _balanced(expr[1:-1]) else expr
        try:
            evaluate(expression)
        except CalculatorError:
            continue
        return expression
    return None


def _aside(rest: list[Token], k: int) -> bool:
    """Whether the number ``rest[k]`` (``rest`` begins with the arithmetic's last token) is spelled in a later
    clause than the arithmetic ("Add 245.50 and 189.75, I'm reconciling two receipts"): it counts the user's things,
    no operand. A later clause with an operator word of its own is still refused, so "..., then add two" is not cut
    short."""
    return rest[k].text.isalpha() and any(t.text in _CLAUSE_MARKS for t in rest[:k])


_CLAUSE_MARKS = frozenset(",.;:?!")


def _asks_result(rest: list[Token], language: Language) -> bool:
    """Whether ``rest`` is a question that names the result and nothing else: a kind word, a copula (or its "'s"),
    then one of the result's pronouns ("what's the total", "what is the sum")."""
    words = [t.text for t in rest if t.text not in CLOSING_MARKS and t.text not in (",", "?", ".")]
    if not words:
        return False
    first = words[0].removesuffix("'s").removesuffix("’s")
    at = 1 if first != words[0] else 2 if len(words) > 1 and words[1] in language.copulas else 0
    if first not in language.kind_words or not at:
        return False
    tail = [t for t in rest if t.text not in CLOSING_MARKS and t.text not in (",", "?", ".")][at:]
    sub = _Parser(language.arithmetic, tail)
    return bool(tail) and sub._skip_pronoun(0) == len(tail)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0
