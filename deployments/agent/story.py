"""Arithmetic told as a short story ("A course has 60 seats and 47 are taken. How many remain?").

`wordmath` reads arithmetic stated in operator words; a story puts nouns and verbs between its numbers
and names each step by a cue instead: a removal ("taken", "used"), a rate ("each", "per", "of"), a
sharing ("split evenly among"), an addition ("more", "in total"). This reader gives each number after
the first the operation its own clause (or the words between it and the number before) cues, in the
language file's `story:` words, and joins them in order under the usual precedence:

    "Each of 12 servers stores 3 certificates and 7 more are kept offline. How many in total?"
    -> 12 * 3 + 7

Some questions name the operation of the whole story instead, and are read first: a share of a
percentage ("85% of the 220 rooms"), a comparison ("how many more ... than"), a question per item
("what does each pay", "how many crates for 600 bottles"), an average. It answers only when every
number has its operation; otherwise it returns None and the constrained model writes the expression,
as before. A count of a list ("three freezers hold 420, 385 and 510"), "one" as a determiner ("from
one half"), a number word naming a thing ("sprint two") and a part before its whole ("75 of the 400
chairs": the whole first) are read as such. Hand-written: no maintained library reads English
arithmetic stories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployments.agent.calculator import CalculatorError, evaluate
from deployments.agent.formula import read_formula
from deployments.agent.language import Language, StoryWords
from deployments.agent.wordmath import Token, tokenize

_SENTENCE = frozenset(".?!;:")
_GLUED = re.compile(r"\b(\d+(?:\.\d+)?)-([a-z]+)\b")  # "a 5-year warranty", "a 7.5-hour shift": number, unit
_CLOCK = re.compile(r"\d:\d\d")
_SHARE = re.compile(r"\b(\d+)\s*/\s*([1-9]\d*)\s+of\b")  # a fraction of a whole ("3/5 of them"): its percentage
KIN_LETTERS = 5  # two words that begin with this many letters alike are forms of one word ("screen", "screened")
_WHOLE_AFTER = ("the", "its", "their", "our", "all", "these", "those", "his", "her", "my", "your")


@dataclass(frozen=True)
class _Quantity:
    at: int  # token index
    value: str  # as the calculator reads it
    percent: bool = False  # "35%", "35 percent"


def read_story(question: str, language: Language) -> str | None:
    """The calculator expression of the arithmetic story ``question`` tells, or None."""
    words = language.arithmetic.story
    if not words.remove:  # a language file without story words reads no story
        return None
    if _CLOCK.search(question):
        return None  # "at 14:30": a time of day, no operands
    if _scaled(question, language):
        return None  # "... and the result is halved": a step with no number of its own, which no cue reads
    question = _SHARE.sub(lambda m: f"{int(m.group(1)) / int(m.group(2)) * 100!r}% of", question)  # "3/5 of them"
    toks = tokenize(_GLUED.sub(r"\1 \2", question), language.arithmetic)
    quantities = _operands(toks, words, language)
    if len(quantities) < 2:
        return None
    if _per_asked(toks, words, language) and _holds(_last_sentence(toks), words.rest):
        return None  # "after building as many frames as we can, how many bolts are left": a remainder, no step reads
    expression = read_formula(question, language) or _whole(toks, quantities, words, language) \
        or _paired_rates(toks, quantities, words, language) or _stepwise(toks, quantities, words, language) \
        or _per_story(toks, quantities, words, language)
    if expression is None:
        return None
    try:
        evaluate(expression)
    except CalculatorError:
        return None
    return expression


def _scaled(question: str, language: Language) -> bool:
    """Whether the question scales a number by a word ("halved", "double it", "squared"), a percentage aside, and
    a part a determiner names aside too ("removed from one half", "left in that half")."""
    words = language.arithmetic
    low = question.lower()
    after = "".join(rf"(?<!\b{re.escape(d)} )" for d in [*words.story.determiners, *language.demonstratives])
    percent = set(words.percent_words())
    scaling = [p for p in {**words.scale_prefix, **words.postfix} if p not in percent] + words.power  # powers too
    return any(re.search(r"(?<!\w)" + after + re.escape(phrase) + r"(?!\w)", low) for phrase in scaling)


def _whole(toks: list[Token], quantities: list[_Quantity], words: StoryWords, language: Language) -> str | None:
    """The expression a question names for the whole story: a percentage of a number, a comparison of two,
    one per item of two, an average of a list."""
    last = _last_sentence(toks)
    percents = [q for q in quantities if q.percent]
    later = _then_after(toks, percents[0], quantities, words) if len(percents) == 1 else None
    if later == 2:  # "20% of 9,667 and then add 500": the share of the one number with it first, then the steps
        part, base = (quantities[0], quantities[1]) if quantities[0].percent else (quantities[1], quantities[0])
        expression = _percentage(toks, part, base.value, words, _clause(toks, part.at, words))
        for before, current in zip(quantities[1:], quantities[2:]):
            op = _cue(toks, before, current, words, language, consumed=True)
            if op is None:
                return None
            expression = f"({expression}) {op} {current.value}"
        return expression
    if len(percents) == 1 and len(quantities) >= 3 and later is None:
        # "18% of first-year salary. For 2 hires at 70,000 each": the percentage of what the other numbers come to
        base = _stepwise(toks, [q for q in quantities if not q.percent], words, language)
        return None if base is None else _percentage(toks, percents[0], f"({base})", words, last,
                                                     _flipped(toks, quantities, words, language))
    if len(quantities) == 2:
        a, b = quantities
        if a.percent != b.percent:  # "85% of the 220 rooms are booked", "grown by 25%"
            part, base = (a, b) if a.percent else (b, a)
            return _percentage(toks, part, base.value, words, last, _flipped(toks, quantities, words, language))
        high, low = sorted((a, b), key=lambda q: -float(q.value))
        changed = _changed(toks, a, b, language)
        if _holds(last, words.percent_asked):
            if changed or _holds(last, words.compare) or _holds(last, words.percent_more) \
                    or _holds(last, words.percent_less):
                return f"({high.value} - {low.value}) / {a.value} * 100"  # "went from 40 to 46: the percentage
                # increase", "8,000 visitors last month and 10,000 this month: by what percent did traffic grow"
            if not _ranged(toks, a, b, language):
                return f"{low.value} / {high.value} * 100"  # "finished 18 of the 48 lessons: what percentage"
        if changed and (language.asks_quantity(" ".join(last)) or _holds(last, words.compare)):
            return f"{high.value} - {low.value}"  # "climbed from a trailhead at 1,200 m to a summit at 2,950 m"
        if _holds(last, words.middle) and _ranged(toks, a, b, language, between=True):
            return f"({a.value} + {b.value}) / 2"  # "the midpoint of a 72,000 to 90,000 band"
        if _holds(last, words.width) and _ranged(toks, a, b, language):
            return f"{high.value} - {low.value}"  # "a band of 68,000 to 83,500: how wide is it"
        if _holds(last, words.compare) or language.operations(" ".join(last)) == {"-": True}:
            return f"{high.value} - {low.value}"  # "how many more ... than", "by how many did sales rise"
        if _ranged(toks, a, b, language) and a.at > 0 and toks[a.at - 1].text in words.change_openers \
                and language.asks_quantity(" ".join(last)):
            return f"{high.value} - {low.value}"  # "the count went from 66 to 81 after the upgrade, how many were
            # added", "stock dropped from 900 to 760: how many were sold": the size of the change
        if (per := _per_counted(toks, quantities, words, language, unnumbered=True)) is not None \
                or (per := _per_unit(toks, a, b, words, language)) is not None:
            return f"{(b if per is a else a).value} / {per.value}"  # "cost per lead: spend of 27,000, 1,080 leads";
            # "42 km in 3.5 hours, her speed in km per hour"
        if _holds(_words(toks), words.share) and _holds(last, words.per_one):
            return f"{high.value} / {low.value}"  # "how much does each of the 12 teams get if 1,080 is shared equally"
        if not any(t.number for t in toks[_sentence(toks, len(toks) - 1)[0]:]) and _holds(last, words.per_one) \
                or _per_asked(toks, words, language):
            return f"{high.value} / {low.value}"  # "what does each pay", "how many crates for 600 bottles"
        if _holds(last, words.ratio) and not a.percent and not b.percent:
            return f"{a.value} / {b.value}" if _ranged(toks, a, b, language) else f"{low.value} / {high.value}"
            # "9 of 12 offers accepted: the acceptance ratio", "the ratio of 3 to 4"
    listed = {i for run in _lists(toks, [q.at for q in quantities]) for i in run}
    scaled = [q for q in quantities if not _holds(_words(toks[max(0, q.at - 2): q.at]), words.scale)]
    if 2 <= len(scaled) < len(quantities):  # "7.5, 8.1 and 6.9 out of 10": the scale is no item of the list
        runs = {i for run in _lists(toks, sorted(q.at for q in scaled)) for i in run}
        if all(q.at in runs for q in scaled):
            quantities, listed = scaled, runs
    if _holds(_words(toks), words.average) and all(not q.percent and q.at in listed for q in quantities):
        return f"({' + '.join(q.value for q in quantities)}) / {len(quantities)}"
    return None


def _numbered(toks: list[Token], at: int) -> bool:
    return at < len(toks) and toks[at].number is not None


def _then_after(toks: list[Token], percent: _Quantity, quantities: list[_Quantity], words: StoryWords) -> int | None:
    """The index in ``quantities`` of the first number after a sequence word ("then") that follows the percentage
    and a number after it ("20% of 9,667 and then add 500"), or None: the numbers from there are steps after the
    share, not part of its base."""
    for k in range(1, len(quantities)):
        q, nxt = quantities[k - 1], quantities[k]
        if q.at >= percent.at and _holds(_words(toks[q.at + 1: nxt.at]), words.sequence):
            return k
    return None


def _stepwise(toks: list[Token], quantities: list[_Quantity], words: StoryWords, language: Language) -> str | None:
    """Each number joined to the story so far by the operation its cue names, in order, under precedence; a
    product or quotient in a later sentence ("Eleven cancelled. Each remaining student pays 25") applies to
    the result so far."""
    if any(q.percent for q in quantities):
        return None
    opening, flipped = _opening_list(toks, quantities), _flipped(toks, quantities, words, language)
    asking = " ".join(_asking(toks))
    if _alike(toks, quantities) and not any(_part(toks, q, words) for q in quantities) \
            and (language.asks_quantity(asking) or language.operations(asking).keys() == {"+"}) \
            and all(_cue(toks, b, c, words, language, opening=opening, flipped=flipped) is None
                    for b, c in zip(quantities, quantities[1:])):
        return " + ".join(q.value for q in quantities)  # "carry 2,450, 3,100 and 2,875 bricks. How many ...?", "add
        # up the spend for three channels: 12,300, 8,450 and 4,250"
    expression, additive, consumed, last_op = quantities[0].value, False, False, ""
    k = 1
    while k < len(quantities):
        before, current = quantities[k - 1], quantities[k]
        op = _cue(toks, before, current, words, language, consumed, opening, flipped)
        if op is None:
            return None
        group = _distributed(toks, quantities[k:], words, language) if op == "*" else [current]
        k += len(group)
        if len(group) > 1:  # "each of 3 modules has 12 functions and 5 macros": the rate applies to the list
            expression, additive = f"{expression} * ({' + '.join(q.value for q in group)})", False
            consumed = True
            continue
        consumed = op == "*"  # "3 boxes at 14 dollars each and 2 boxes": the rate is 3's, not 2's
        between, own = toks[before.at: current.at], _own(toks, current, words, language)[0]
        if op in "*/" and additive and not _counts_rate_unit(toks, before, current, words) \
                and (any(t.text in _SENTENCE for t in between)
                                        or _holds(_words(between), words.sequence)
                                        or op == "/" and _holds(own, words.share)  # "minus a 250 discount, shared
                                        # equally by 5": a sharing shares the whole so far
                                        or _holds(_since(toks, before, current, words, language), words.result)
                                        or op == "*"
                                        and _rate_over(toks, quantities[:k - 1], current, words, language)):
            expression, additive = f"({expression})", False  # "..., and split the rest evenly over 8 pallets"; "250
            # km out and 175 km back at 0.30 per km": a rate per the unit the sum so far counts
        ahead = _own(toks, current, words, language)[1]
        if op == "+" and last_op == "-" and ahead and all(w in language.arithmetic.articles or w in words.boundaries
                                                          or w in words.sequence for w in ahead) \
                and _holds(ahead, words.add):
            op = "-"  # "take off 312.75 for the cap and another 44.00 for a missing receipt": one more removal, its
            # verb left out (not "then received another 200")
        if op == "-" and len(quantities) == 2 and _year(toks, before, language) and _year(toks, current, language) \
                and float(before.value) < float(current.value):
            return f"{current.value} - {before.value}"  # "issued 2021, expires 2046": how many years apart
        if op in "-/" and len(quantities) == 2 and float(before.value) < float(current.value):
            return f"{current.value} {op} {before.value}"  # "seven friends share a bill of 315"; "day 14 ... day 37"
        expression = f"{expression} {op} {current.value}"
        additive = additive or op in "+-"
        last_op = op
    return expression


def _since(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords,
           language: Language) -> list[str]:
    """The words of ``current``'s own clause after the number before it: "split the rest evenly over 8" names the
    result so far; "the total: a fee of 1,240 plus 3 pages at 17 each" asks it, before any number."""
    own, ahead = _own(toks, current, words, language)
    return own[max(0, before.at + 1 - (current.at - len(ahead))):]  # the clause starts len(ahead) words before it


def _rate_over(toks: list[Token], told: list[_Quantity], current: _Quantity, words: StoryWords,
               language: Language) -> bool:
    """Whether ``current`` is a rate per the unit every number ``told`` so far counts ("250 km out and 175 km back
    and get 0.30 per km"; "38 desks in wing A and 6 in wing B, and every desk gets 8": 6 desks, its unit left out)."""
    unit = _rate_unit(toks, current, words) or _rate_before(_own(toks, current, words, language)[1], words)
    units: list[str] = []
    for q in told:
        own = _unit_of(toks, q.at)
        units.append(units[-1] if units and (not own.isalpha() or own in language.stop_words) else own)
    return bool(unit) and bool(told) and all(u == unit for u in units)


def _rate_before(head: list[str], words: StoryWords) -> str | None:
    """The unit a rate word names in ``head``, the words of a number's clause before it ("every desk gets 8": desk),
    or None."""
    return next((_singular(head[k + 1]) for k in range(len(head) - 1)
                 if head[k] in words.rate and head[k] not in words.of_rate and head[k + 1].isalpha()), None)


def _paired_rates(toks: list[Token], quantities: list[_Quantity], words: StoryWords, language: Language) -> str | None:
    """Each rate times the later number that counts its unit, the other amounts added, where a rate's count is not
    the number right after it ("45 dollars an hour plus 60 for materials. The job took 6 hours": 45 * 6 + 60; "35
    per day plus 0.20 per km ... for 3 days if I drive 250 km"); None where the story is read in order."""
    pairs: list[tuple[_Quantity, _Quantity]] = []
    paired: set[int] = set()
    for q in quantities:
        if (unit := _rate_unit(toks, q, words)) is None or q.percent:
            continue
        counts = [c for c in quantities if c.at > q.at and c.at not in paired and _unit_of(toks, c.at) == unit]
        if len(counts) != 1:
            return None
        pairs.append((q, counts[0]))
        paired.update((q.at, counts[0].at))
    order = [q.at for q in quantities]
    if not pairs or all(order.index(c.at) == order.index(r.at) + 1 for r, c in pairs):
        return None
    flats = [q for q in quantities if q.at not in paired]
    for q in flats:
        before = [t.text for t in toks[max([p for p in order if p < q.at] + [0]): q.at]]
        added = _holds(before, language.arithmetic.infix.get("+", [])) or _holds(_own(toks, q, words, language)[0],
                                                                                 words.add)
        if q.percent or not added and (q is not quantities[0] or _holds(_words(toks), words.remove)
                                       or _holds(_words(toks), words.rest)):
            return None
    return " + ".join([f"{r.value} * {c.value}" for r, c in pairs] + [q.value for q in flats])


def _distributed(toks: list[Token], rest: list[_Quantity], words: StoryWords, language: Language) -> list[_Quantity]:
    """The numbers a rate before ``rest[0]`` applies to together: ``rest[0]`` and the numbers of its list that
    say no step of their own ("each of 3 modules has 12 functions and 5 macros": 12 and 5 per module; not "... 3
    certificates and 7 more are kept offline", nor "14 dollars each and 2 boxes", a rate after its number)."""
    run = next((r for r in _lists(toks, [q.at for q in rest]) if r[0] == rest[0].at), None)
    start = _span(toks, rest[0].at, _SENTENCE)[0]
    if run is None or _rate_after(toks, rest[0], words) or not _holds(_words(toks[start: rest[0].at]), words.rate):
        return rest[:1]  # "5 boxes of 12 eggs and 8 loose eggs": a size, not what each of them has
    group = [q for q in rest if q.at in run]
    if "and" not in _words(toks[group[-2].at: group[-1].at]):  # "each cut into 8 slices, 23 people": no list
        return rest[:1]
    asking = _asking(toks)
    nouns = [toks[q.at + 1].text if q.at + 1 < len(toks) else "" for q in group]
    if 0 < sum(any(_same(a, n, language) for a in asking) for n in nouns) < len(nouns):
        return rest[:1]  # "each of 6 shelves holds 25 books and 14 magazines. How many books?": one of them asked
    for q in group[1:]:
        clause = _clause(toks, q.at, words)
        if any(_holds(clause, cues) for cues in (words.add, words.remove, words.rest, words.rate, words.of_rate)):
            return rest[:1]  # "... and 23 coats at 15 dollars": a step of its own
    return group


def _part(toks: list[Token], q: _Quantity, words: StoryWords) -> int | None:
    """Where the words after a number that is a part of the whole before it begin ("228 of them are comments":
    after "of them"; "Of the 600 parcels, 45 arrived damaged": after 45), or None when the number is no such part."""
    after = _words(toks[q.at + 1: q.at + 4])
    phrase = next((p.split() for p in words.part_of if after[:len(p.split())] == p.split()), None)
    if phrase is not None:
        return q.at + 1 + len(phrase)
    ahead = next((p.split() for p in words.part_of if _words(toks[max(0, q.at - len(p.split())): q.at]) == p.split()),
                 None)
    if ahead is not None and any(t.number is not None for t in toks[_sentence(toks, q.at)[0]: q.at - len(ahead)]):
        return q.at + 1  # "40 lines of which 17 are comments": the whole before, the part's words after it
    start = _sentence(toks, q.at)[0]
    numbers = [k for k in range(start, q.at) if toks[k].number is not None]
    head = _words(toks[start: numbers[0]]) if len(numbers) == 1 else []  # "Of the 600 parcels delivered, 45
    # arrived damaged": a part of the whole the sentence opens with
    if head[:2] == ["out", "of"] and head[2:]:
        opener = head[2:]
    elif head[:1] == ["of"]:
        opener = head[1:]
    else:
        return None
    return q.at + 1 if all(w in _WHOLE_AFTER for w in opener) else None


def _each_of(toks: list[Token], q: _Quantity, words: StoryWords) -> bool:
    """Whether a rate word and "of" come right before ``q`` ("each of 12 files defines 57 of them"): it counts
    items that each hold the next number, which is then no part of it."""
    return q.at >= 2 and toks[q.at - 2].text in words.rate and toks[q.at - 1].text in words.of_rate


def _asks_part(toks: list[Token], start: int, words: StoryWords, language: Language) -> bool:
    """Whether the question asks for the part itself, saying again what the part's clause says of it ("228 of them
    are comments. How many are comments?"), not for another part of the whole ("how many lines are code")."""
    end = next((k for k in range(start, len(toks)) if toks[k].text in _SENTENCE), len(toks))
    asks = [p.split() for p in language.quantity if " " in p]
    ask = next((k for k in range(start, end) if any(_words(toks[k: k + len(a)]) == a for a in asks)), end)
    nouns = {toks[k + 1].text for k, t in enumerate(toks[:-1]) if t.number is not None}  # what the numbers count
    said = [w for w in _content(_words(toks[start:ask]), words, language) if w not in nouns]
    asked = _words(toks[ask:end]) if ask < end else _last_sentence(toks)
    denied = any(w in words.denials for w in asked) != any(w in words.denials for w in _words(toks[start:ask]))
    asked_words = [a for a in _content(asked, words, language) if a not in nouns]
    return not denied and bool(said) and all(any(_kin(a, o, language) for a in asked_words) for o in said)
    # "17 of them are commands. How many are not commands?": the rest; "45 arrived damaged. How many arrived
    # intact?": the rest, the question says not all the part's words


def _operands(toks: list[Token], words: StoryWords, language: Language) -> list[_Quantity]:
    """The numbers that are operands, in the order the story means them."""
    found = [i for i, t in enumerate(toks) if t.number is not None and t.text not in words.determiners]
    runs = _lists(toks, found)
    out = []
    for k, i in enumerate(found):
        value = toks[i].number or ""
        spelled = not toks[i].text[:1].isdigit()
        counted = spelled or i + 1 < len(toks) and toks[i + 1].text.isalpha()  # "3 lorries carrying ..."
        if counted and value.isdigit() and any(len(run) == int(value) >= 2 and i not in run and (
                0 < run[0] - i <= 5 or 0 < i - run[-1] <= 5 or _announces(toks, i, run[0])) for run in runs):
            continue  # "three freezers hold 420, 385 and 510", "18, 24 and 31 km on three Sundays", "two invoices
            # came in at 412.50 and 387.25": a count
        if spelled and i > 0 and toks[i - 1].text.isalpha() and toks[i - 1].text not in words.boundaries \
                and toks[i - 1].number is None and (i + 1 == len(toks) or toks[i + 1].number is None
                                                    and (not toks[i + 1].text.isalpha()
                                                         or toks[i + 1].text in words.boundaries)):
            continue  # "in sprint two.", "in round two and ...": a number word naming a thing
        percent = i + 1 < len(toks) and (toks[i + 1].text == "%" or toks[i + 1].text == "percent"
                                         or toks[i + 1].text == "per" and i + 2 < len(toks)
                                         and toks[i + 2].text == "cent")
        share = _fraction(toks, i, words)
        if share is not None:  # "3/5 of them", "two thirds of them": a share, read as its percentage
            value, percent = share, True
        out.append(_Quantity(i, value, percent))
    for k in range(len(out) - 1):  # "75 of the 400 chairs", "3 of its 22 balls": the whole, then the part
        between = [t.text for t in toks[out[k].at + 1: out[k + 1].at]]
        if between[:1] == ["of"] and all(w in _WHOLE_AFTER for w in between[1:]) \
                or between[:2] == ["out", "of"] and all(w in _WHOLE_AFTER for w in between[2:]) \
                or _taken_from(toks, out[k], out[k + 1], between, words, language):
            out[k], out[k + 1] = out[k + 1], out[k]
    return out


def _announces(toks: list[Token], at: int, start: int) -> bool:
    """Whether the number at ``at`` opens the clause of the list starting at ``start``, no other number or sentence
    mark between ("Two translation invoices came in at 412.50 and 387.25")."""
    return at < start and all(t.number is None and t.text not in _SENTENCE and t.text != ","
                              for t in toks[at + 1: start])


def _fraction(toks: list[Token], i: int, words: StoryWords) -> str | None:
    """The percentage a fraction in words starting at token ``i`` names ("two thirds of them"), or None."""
    after = [t.text for t in toks[i + 1: i + 3]]
    if not (after[:1] and after[0] in words.fractions and (toks[i].text.isalpha() or after[1:2] == ["of"])):
        return None
    return repr(float(toks[i].number or 0) / words.fractions[after[0]] * 100)


def _taken_from(toks: list[Token], part: _Quantity, whole: _Quantity, between: list[str], words: StoryWords,
                language: Language) -> bool:
    """Whether ``part`` was taken from ``whole``, in the same unit ("took 2.5 kg of flour from a 10 kg sack"): the
    whole comes first. Not a change from one to the other ("from 900 kg to 760 kg")."""
    unit = between[0] if between and between[0].isalpha() else ""
    said = [w for w in between if w not in _WHOLE_AFTER and w not in words.generic]
    return bool(unit) and bool(said) and said[-1] in words.taken_from \
        and _unit_of(toks, whole.at) == _singular(unit) and not _ranged_after(toks, whole.at, language)


def _ranged_after(toks: list[Token], at: int, language: Language) -> bool:
    """Whether a range joiner follows the number at ``at`` and its unit ("from 900 kg to 760 kg")."""
    return any(t.text in language.range_joiners for t in toks[at + 1: at + 3])


def _opening_list(toks: list[Token], quantities: list[_Quantity]) -> frozenset[int]:
    """The token indices of a list of three numbers or more that opens a story going on past it ("deliveries of
    2,340, 1,875 and 960 units, and 415 sent back"): one amount, its items added; empty where there is none."""
    at = [q.at for q in quantities]
    run = next((r for r in _lists(toks, at) if r[0] == at[0]), None) if at else None
    counted = run is not None and any(toks[k].number == str(len(run)) for k in range(max(0, run[0] - 5), run[0]))
    return frozenset(run) if run is not None and (len(run) >= 3 or counted) and run[-1] != at[-1] else frozenset()
    # "two teams of 45 and 27 users ..., then 12 leave": a list its count announces is one amount too


def _lists(toks: list[Token], found: list[int]) -> list[list[int]]:
    """Runs of numbers joined only by ",", "and" and a shared unit word ("18 km, 24 km and 31 km")."""
    runs: list[list[int]] = []
    for i in found:
        gap = [t.text for t in toks[runs[-1][-1] + 1: i]] if runs else []
        if runs and gap and all(w in (",", "and") or w.isalpha() and w == gap[0] for w in gap) \
                and any(w in (",", "and") for w in gap) and len([w for w in gap if w not in (",", "and")]) <= 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return [run for run in runs if len(run) >= 2]


def _span(toks: list[Token], at: int, bound: frozenset[str] | set[str]) -> tuple[int, int]:
    """The token range around ``at`` up to the nearest ``bound`` token on each side."""
    start = at
    while start > 0 and toks[start - 1].text not in bound:
        start -= 1
    end = at + 1
    while end < len(toks) and toks[end].text not in bound:
        end += 1
    return start, end


def _clause(toks: list[Token], at: int, words: StoryWords) -> list[str]:
    """The words of the clause token ``at`` stands in (a sentence cut at commas and the story's boundaries)."""
    start, end = _span(toks, at, _SENTENCE | {","} | set(words.boundaries))
    return [t.text for t in toks[start:end]]


def _sentence(toks: list[Token], at: int) -> tuple[int, int]:
    return _span(toks, at, _SENTENCE)


def _last_sentence(toks: list[Token]) -> list[str]:
    """The question's last sentence, where it asks ("How many remain?")."""
    end = len(toks)
    while end > 0 and toks[end - 1].text in _SENTENCE:
        end -= 1
    start, _ = _sentence(toks, max(0, end - 1))
    return [t.text for t in toks[start:end]]


def _asking(toks: list[Token]) -> list[str]:
    """The words that ask: the last sentence's, and those of any sentence with no number in it ("Cost per lead
    please: spend of 27,000, 1,080 leads")."""
    out: list[str] = []
    sentence: list[Token] = []
    for t in [*toks, Token(".")]:
        if t.text in _SENTENCE:
            if sentence and all(s.number is None for s in sentence):
                out += _words(sentence)
            sentence = []
        else:
            sentence.append(t)
    return out + _last_sentence(toks)


def _words(toks: list[Token]) -> list[str]:
    return [t.text for t in toks]


def _holds(texts: list[str], phrases: list[str]) -> str | None:
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        parts = phrase.split()
        if any(texts[i: i + len(parts)] == parts for i in range(len(texts) - len(parts) + 1)):
            return phrase
    return None


def _cue(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords,
         language: Language, consumed: bool = False, opening: frozenset[int] = frozenset(),
         flipped: bool = False) -> str | None:
    """The operation that joins ``current`` to the story so far, or None when no word cues one. Nearest
    first: an operator word right before it, a sharing, a rate binding it to the number before in one clause
    or opening its own clause, its own clause's addition, a rate after it, its own clause's rest; a removal
    when the question asks what is left; a rate after the number before; its own clause's removal; then the
    question's. Two numbers of the ``opening`` list (`_opening_list`) are added. A ``flipped`` question
    (`_flipped`) asks what is left, as "how many remain" does."""
    if _counts_rate_unit(toks, before, current, words):
        return "*"  # "30 dollars a month ... for 12 months", "120 pallets every week ... over 13 weeks"
    unit = toks[before.at + 1].text if before.at + 1 < current.at else ""
    if unit.isalpha() and _words(toks[before.at + 1: current.at]) in ([unit, d] for d in words.dimensions) \
            and current.at + 1 < len(toks) and toks[current.at + 1].text == unit:
        return "*"  # "1.2 m by 0.8 m by 1.5 m": the sides of a volume
    between = [t.text for t in toks[before.at + 1: current.at]]
    own, ahead = _own(toks, current, words, language)
    bound = _SENTENCE | {","} | set(words.boundaries)
    joined = not any(w in bound for w in between)  # one clause holds both numbers
    arithmetic = language.arithmetic
    infix = [(op, p) for table in (arithmetic.infix, arithmetic.apply) for op, phrases in table.items()
             for p in phrases if p.isalpha() or " " in p]
    close = list(between)
    while close and close[-1] in arithmetic.articles:  # "then add a 150 call-out charge to each share"
        close.pop()
    for op, phrase in sorted(infix, key=lambda f: -len(f[1].split())):  # "minus 161", "times 3", "add 150"
        parts = phrase.split()
        if close[-len(parts):] == parts:
            return op
    if current.at + 1 < len(toks) and toks[current.at + 1].text in words.repeats \
            and not _numbered(toks, current.at + 2):
        return "*"  # "0.3 mg per kg, given 2 times a day": a count of repetitions multiplies; not "0.08 times
        # 12,500", whose "times" joins the next number
    if joined and any(p.isalpha() and p in between for p in arithmetic.infix.get("+", [])):
        return "+"  # "80 seats at 25.25 each plus a one-off support fee of 600": the fee's "of" is no rate
    question = _words(toks)
    rest_asked = _holds(question, words.rest) or flipped
    if before.at in opening and current.at in opening:  # "deliveries of 2,340, 1,875 and 960 units, and 415 sent
        return "+"  # back": the list that opens the story is one amount, its items added
    if (start := _part(toks, current, words)) is not None and not _rate_after(toks, current, words) \
            and not _each_of(toks, before, words):
        # "1,132 lines and 228 of them are comments": how many are code is the rest, how many are comments no step,
        # nor is a total ("8 servers ..., 4 of them also have GPUs. How many cores in total?")
        asking = _asking(toks)
        return None if _asks_part(toks, start, words, language) or "+" in language.operations(" ".join(asking)) \
            or not (_holds(asking, words.counting) or _holds(asking, words.rest)) else "-"  # "we need 25 of them ...
        # What would that cost?": neither a count nor what remains
    after_bound = between[max([k + 1 for k, w in enumerate(between) if w in bound] + [0]):]
    if _holds(after_bound, words.share) or _holds(own[:len(ahead) + 1], words.share):  # "then split among 12"; not
        # "27 users share a licence", a share of no number
        return "/"
    if _holds(own[len(ahead) + 1: len(ahead) + 2], words.add):
        return "+"  # "then each store gets 5 extra": an addition right after the number, whatever rate word before it
    if joined and (_holds(between, words.rate) or between[-1:] and between[-1] in words.of_rate) \
            or _holds(ahead, words.rate):
        return "*"  # "8 servers each running 16", "4 units of 2 bytes", "57 shirts at 4", "houses, each needing 48"
    if _removals_totalled(toks, before, current, own, words, language):
        return "+"  # "Ann sold 30 and Bob sold 45. How many did they sell in total?": the removals are what is summed
    if _holds(own, words.add):
        if _holds(own, words.remove) and not _holds([w for w in own if w not in arithmetic.articles], words.add):
            return "-"  # "then spend another 300": "another" says one more of the clause's own step
        return "+"
    if _rate_after(toks, current, words) and not _rate_counted_later(toks, current, words):
        return "*"  # "twelve learners pay 275 dollars each"; not "a 50 joining fee and then 30 a month ... for 12
        # months", whose months count the rate
    if _holds(own, words.rest) or rest_asked and _holds(own, words.remove):
        return "-"  # "19 beds are empty"; "Rent takes 1,150 ... How much is left?"
    if not consumed and _rate_after(toks, before, words) or _per_item(toks, before, current, words, language) \
            and not _holds(own, words.remove):
        return "*"  # "45 dollars apiece. We sold 128 tickets", "a rack holds 144 ... 23 racks"; not "every desk has a
        # student ... 4 students are absent", a removal of what the rate counts
    if _holds(own, words.remove):
        return "-"
    if _year(toks, before, language) and _year(toks, current, language):
        return "-"
    if rest_asked:
        return "-"  # "How many are left?": what the later numbers take away from the first
    if _repeated_later(toks, current, words, language):
        return "-"  # "4,250 kg got rolled ... and another 3,980 kg was cancelled": the removal "another" repeats
    if _holds(_unremoved(toks, words, language), words.add):
        return "+"
    if _year(toks, before, language) and not _year(toks, current, language) and language.asks_time(_text(toks)):
        return "+"  # "issued in 2017, valid for 25 years: in which year does it expire?"
    noun = toks[before.at + 1].text if before.at + 1 < len(toks) else ""
    if noun.isalpha() and noun not in language.stop_words and current.at + 1 < len(toks) \
            and toks[current.at + 1].text == noun and ("and" in between or "," in between) \
            and language.asks_quantity(" ".join(_asking(toks))):  # not "9 meters long and 6 meters wide: its area"
        return "+"  # "30 km on Monday and 45 km on Tuesday": two amounts of one unit, told one after the other
    return None


def _removals_totalled(toks: list[Token], before: _Quantity, current: _Quantity, own: list[str], words: StoryWords,
                       language: Language) -> bool:
    """Whether both numbers' clauses are removals and the question asks the total of a removal ("The app takes 300
    MB and the data takes 120 MB. What do they take together?"): the removed amounts are the ones added. Not a
    question for what is left ("how many are left in total"): a word of what remains is no removal asked."""
    asking = _asking(toks)
    return bool(_holds(own, words.remove) and _holds(_own(toks, before, words, language)[0], words.remove)
                and _holds(asking, words.remove) and _holds(asking, words.add) and not _holds(asking, words.rest))


def _repeated_later(toks: list[Token], current: _Quantity, words: StoryWords, language: Language) -> bool:
    """Whether the next number's clause is a removal that says it is one more ("and another 3,980 kg was
    cancelled"): the number before it, with no cue of its own, was removed too."""
    nxt = next((k for k in range(current.at + 1, len(toks)) if toks[k].number is not None), None)
    if nxt is None:
        return False
    own, ahead = _own(toks, _Quantity(nxt, toks[nxt].number or ""), words, language)
    articles = language.arithmetic.articles
    return bool(_holds(own, words.remove)) and any(w in articles and w in words.add for w in ahead[-2:])


def _unremoved(toks: list[Token], words: StoryWords, language: Language) -> list[str]:
    """The story's words less the clauses of its removals: "another 3,980 kg was cancelled" repeats a removal, it
    adds nothing to the story's other numbers."""
    removing = set()
    for at, t in enumerate(toks):
        if t.number is not None:
            own, _ = _own(toks, _Quantity(at, t.number), words, language)
            if _holds(own, words.remove):
                start, _ = _span(toks, at, _SENTENCE | {","} | set(words.boundaries))
                removing.update(range(start, start + len(own)))
    return [t.text for k, t in enumerate(toks) if k not in removing]


def _own(toks: list[Token], q: _Quantity, words: StoryWords, language: Language) -> tuple[list[str], list[str]]:
    """The words of a number's own clause up to the next number (an operator word right before that one is
    the next number's: "38 hours this week plus 6"), and those of them before it."""
    start, end = _span(toks, q.at, _SENTENCE | {","} | set(words.boundaries))
    nxt = next((k for k in range(q.at + 1, end) if toks[k].number is not None), None)
    if nxt is not None:
        end = nxt
        operators = language.arithmetic.words()
        while end > q.at + 1 and toks[end - 1].text in operators:
            end -= 1
    return [t.text for t in toks[start:end]], [t.text for t in toks[start: q.at]]


def _per_story(toks: list[Token], quantities: list[_Quantity], words: StoryWords, language: Language) -> str | None:
    """What the other numbers come to per item the question names ("330 applicants in one round and 270 in the
    next, 40 interviews: how many applicants per interview"), where no step reads the story as told."""
    if len(quantities) < 3 or (per := _per_counted(toks, quantities, words, language)) is None:
        return None
    others = [q for q in quantities if q is not per]
    rest = _stepwise(toks, others, words, language) or " + ".join(q.value for q in others)  # no step cued: the
    # amounts told one after another make the whole the question shares out
    return f"({rest}) / {per.value}"


def _percentage(toks: list[Token], part: _Quantity, base: str, words: StoryWords, last: list[str],
                flipped: bool = False) -> str:
    """A percentage ``part`` of ``base``: its share, or the base grown or cut by it, as its clause says; the
    rest, where the question asks it or says the percentage's clause the other way round (`_flipped`)."""
    clause = _clause(toks, part.at, words)
    if _holds(last, words.change_asked):
        return f"{base} * {part.value} / 100"  # "how much tax is added to a purchase of 250": the change itself
    if _holds(clause, words.percent_more):
        return f"{base} * (1 + {part.value} / 100)"
    if _holds(clause, words.percent_less) or flipped \
            or _holds(last, words.rest) and not _holds(clause, words.rest):
        return f"{base} * (1 - {part.value} / 100)"
    return f"{base} * {part.value} / 100"


def _per_counted(toks: list[Token], quantities: list[_Quantity], words: StoryWords,
                 language: Language, unnumbered: bool = False) -> _Quantity | None:
    """The number of the items the question asks an amount per ("... and ran 40 interviews, how many applicants
    per interview"): the number whose noun the question names right after a rate word; with ``unnumbered``, only
    a sentence with no number of its own asks ("Cost per lead please: ..."; not "for 14 rooms if each room takes
    3.5 litres", a rate the story states)."""
    last = _asking(toks)
    if unnumbered:
        last = last[: len(last) - len(_last_sentence(toks))] if any(
            t.number is not None for t in toks[_sentence(toks, len(toks) - 1)[0]:]) else last
    asked = [last[k + 1] for k in range(len(last) - 1) if last[k] in words.rate]
    found = [q for q in quantities if q.at + 1 < len(toks) and toks[q.at + 1].text.isalpha()
             and any(_same(toks[q.at + 1].text, a, language) for a in asked)]
    return found[0] if len(found) == 1 and (found[0] is not quantities[0] or len(quantities) == 2) else None


def _per_unit(toks: list[Token], a: _Quantity, b: _Quantity, words: StoryWords, language: Language) -> _Quantity | None:
    """The number a question asks the other per, naming both numbers' nouns around a rate word ("42 km in 3.5 hours
    ... in km per hour": per hour); None where it names no such pair."""
    last = _last_sentence(toks)
    noun = {id(q): toks[q.at + 1].text if q.at + 1 < len(toks) else "" for q in (a, b)}
    for k in range(1, len(last) - 1):
        if last[k] in words.rate and not (k >= 2 and any(ch.isdigit() for ch in last[k - 2])):  # "at 0.087 EUR per
            # SEK" states a rate, it asks none
            for top, per in ((a, b), (b, a)):
                if _same(last[k - 1], noun[id(top)], language) and _same(last[k + 1], noun[id(per)], language):
                    return per
    for k in range(1, len(last)):  # "the average monthly spend ... that runs 36 months": per month, said by a
        # word of the unit's family (`families`: month, months, monthly) after an average word, where the other number
        # counts something else
        if last[k - 1] in words.average:
            units = [q for q in (a, b) if _same(last[k], noun[id(q)], language)]
            if len(units) == 1:
                return units[0]
    return None


def _changed(toks: list[Token], a: _Quantity, b: _Quantity, language: Language) -> bool:
    """Whether a quantity went from ``a`` to ``b`` in one sentence ("the odometer went from 45,230 km to 45,618 km",
    "climbed from a trailhead at 1,200 m to a summit at 2,950 m")."""
    start = _sentence(toks, a.at)[0]
    if _sentence(toks, b.at)[0] != start:
        return False
    return any(t.text in language.arithmetic.story.change_openers for t in toks[start: a.at]) \
        and any(t.text in language.range_joiners for t in toks[a.at + 1: b.at])


def _ranged(toks: list[Token], a: _Quantity, b: _Quantity, language: Language, between: bool = False) -> bool:
    """Whether two numbers are the ends of one range ("68,000 to 83,500", "68,000-83,500"); with ``between``,
    also two numbers a question puts a point between ("between 140 and 210")."""
    joint = _words(toks[a.at + 1: b.at])
    if len(joint) == 1 and (joint[0] in language.range_joiners or joint[0] in ("-", "–", "—")):
        return True
    return between and joint == ["and"] and a.at > 0 and toks[a.at - 1].text in language.arithmetic.story.range_openers


def _flipped(toks: list[Token], quantities: list[_Quantity], words: StoryWords, language: Language) -> bool:
    """Whether the question says what a later number's clause says the other way round, one of the two denying
    it ("49 of them have no short form. How many do have one?", "57 got a phone screen. How many were never
    screened?", "2 were filled ... How many are still unfilled?"): it asks the rest of the whole."""
    if not words.denials:
        return False
    last = _sentence(toks, len(toks) - 1)
    start = max([q.at + 2 for q in quantities if last[0] <= q.at] + [last[0]])  # the words after its last number
    # and that number's noun
    asked = _words(toks[start: last[1]])
    asked_denied = any(w in words.denials for w in asked)
    for q in quantities[1:]:
        own = _own(toks, q, words, language)[0]
        own_denied = any(w in words.denials for w in own)
        said = [w for w in own if w != (toks[q.at + 1].text if q.at + 1 < len(toks) else "")]  # "20 litres a
        # day": the number's own noun says what it counts, not what its clause says of it
        for a in _content(asked, words, language):
            for o in _content(said, words, language):
                (a_stem, a_prefixed), (o_stem, o_prefixed) = _undenied(a, words), _undenied(o, words)
                if _kin(a_stem, o_stem, language) and (asked_denied != a_prefixed) != (own_denied != o_prefixed):
                    return True
    return False


def _content(texts: list[str], words: StoryWords, language: Language) -> list[str]:
    return [w for w in texts if w.isalpha() and w not in language.stop_words and w not in words.denials]


def _undenied(word: str, words: StoryWords) -> tuple[str, bool]:
    """The word without a denying prefix ("unfilled": "filled", True), where what is left is a word."""
    for prefix in sorted(words.denying_prefixes, key=len, reverse=True):
        if word.startswith(prefix) and len(word) - len(prefix) >= KIN_LETTERS - 1:
            return word[len(prefix):], True
    return word, False


def _kin(a: str, b: str, language: Language) -> bool:
    """One word's forms: the same, the language's same word, or the same first letters ("screen", "screened")."""
    return a == b or _same(a, b, language) or min(len(a), len(b)) >= KIN_LETTERS and a[:KIN_LETTERS] == b[:KIN_LETTERS]


def _alike(toks: list[Token], quantities: list[_Quantity]) -> bool:
    """Numbers of one kind: one list ("2,450, 3,100 and 2,875"), or each followed by the same unit ("5.2 km on
    Monday, 6.8 km ...")."""
    units = {toks[q.at + 1].text if q.at + 1 < len(toks) else "" for q in quantities}
    listed = {i for run in _lists(toks, [q.at for q in quantities]) for i in run}
    return all(q.at in listed for q in quantities) or len(units) == 1 and next(iter(units)).isalpha()


def _clause_after(toks: list[Token], q: _Quantity, words: StoryWords) -> list[str]:
    """The words after a number up to the next number, a comma, a boundary word or the end of its sentence."""
    _, end = _sentence(toks, q.at)
    after = []
    for t in toks[q.at + 1: end]:
        if t.number is not None or t.text in words.boundaries or t.text == ",":
            break
        after.append(t.text)
    return after


def _unit_of(toks: list[Token], at: int) -> str:
    """The word right after the number at token ``at``, in the singular ("12 months": month), or ""."""
    return _singular(toks[at + 1].text) if at + 1 < len(toks) else ""


def _rate_after(toks: list[Token], q: _Quantity, words: StoryWords) -> bool:
    """A rate right after a number, before the next number of its sentence ("1,250 handshakes per second")."""
    after = _clause_after(toks, q, words)
    nouns = {_singular(toks[k + 1].text) for k in range(len(toks) - 1) if toks[k].number is not None and k != q.at}
    return bool(_holds(after[:4], words.rate)) or any(  # "averaged 3 goals a game" over "12 games": per game
        after[k] in words.generic and _singular(after[k + 1]) in nouns for k in range(min(len(after) - 1, 3)))


def _rate_unit(toks: list[Token], q: _Quantity, words: StoryWords) -> str | None:
    """The unit a rate right after a number is per ("30 dollars a month": month; "120 pallets every week": week;
    "85 of them a day": day), or None."""
    after = _clause_after(toks, q, words)
    for k in range(min(len(after) - 1, 4)):
        if after[k] in words.generic or after[k] in words.rate and after[k] not in words.per_one:
            return _singular(after[k + 1]) if after[k + 1].isalpha() else None
    return None


def _counts_rate_unit(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords) -> bool:
    """Whether ``current`` counts the unit the rate after ``before`` is per ("30 dollars a month ... 12 months")."""
    unit = _rate_unit(toks, before, words)
    return bool(unit) and _unit_of(toks, current.at) == unit


def _rate_counted_later(toks: list[Token], q: _Quantity, words: StoryWords) -> bool:
    """Whether a later number counts the unit the rate after ``q`` is per ("30 dollars a month ... 12 months")."""
    unit = _rate_unit(toks, q, words)
    return bool(unit) and any(t.number is not None and _unit_of(toks, k) == unit for k, t in enumerate(toks) if k > q.at)


def _per_item(toks: list[Token], before: _Quantity, current: _Quantity, words: StoryWords, language: Language) -> bool:
    """ "A rack holds 144 tubes ... 23 racks", "240 dollars per user ... 15 users": the number before is per
    one item the current one counts."""
    counted = [t.text for t in toks[current.at + 1: current.at + 3]]
    items = set().union(*(_items(toks, k, words, current.at) for k in range(current.at) if toks[k].number is not None))
    return any(_same(i, c, language) for i in items for c in counted if c.isalpha())


def _same(a: str, b: str, language: Language) -> bool:
    """One noun, singular or plural ("shelves" / "shelf", "crates" / "crate")."""
    return language.same_word(a, b) or _singular(a) == _singular(b) or a + "es" == b or b + "es" == a  # "buses"


def _singular(word: str) -> str:
    for plural, one in (("ies", "y"), ("ves", "f"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if word.endswith(plural) and len(word) > len(plural) + 1:
            return word[: -len(plural)] + one
    return word


def _items(toks: list[Token], at: int, words: StoryWords, until: int | None = None) -> set[str]:
    """The nouns one of which a number in this sentence is per ("a rack holds 144", "each ICU pc file has 40",
    "35 square metres each day"), told before token ``until`` where given (not "... and get 0.30 per km", a later
    number's rate)."""
    start, end = _sentence(toks, at)
    end = end if until is None else min(end, until)
    head = [t.text for t in toks[start:end]]
    marks = set(words.determiners) | set(words.generic) | set(words.rate)
    return {head[k + d] for k in range(len(head)) for d in (1, 2, 3) if head[k] in marks and k + d < len(head)
            and (d < 3 or head[k] in words.rate)  # "each ICU pc file": a rate word's noun may follow two others
            and all(w.isalpha() for w in head[k + 1: k + d + 1])}


def _per_asked(toks: list[Token], words: StoryWords, language: Language) -> bool:
    """ "each crate holds 24 bottles. how many crates for 600 bottles": the question counts the items a rate
    is per, so the total is divided by the rate."""
    last = _last_sentence(toks)
    asked = [last[k + 1] for k in range(len(last) - 1) if last[k] in ("many", "much", "in")] + [
        last[k + 2] for k in range(len(last) - 2) if last[k] in ("many", "much") and last[k + 1].isalpha()
        and last[k + 1] not in language.stop_words]  # "how many full cycles": the noun after its adjective; "in days
    counted = [toks[k + 1].text for k in range(len(toks) - 1) if toks[k].number is not None]
    asked = [a for a in asked if not any(_same(a, c, language) for c in counted)]  # "A claim set has 27 claims ...
    # how many claims": what a number counts is asked, not how many of the items a rate is per
    asking = _sentence(toks, len(toks) - 1)
    items = set().union(*(_items(toks, q, words) for q in range(len(toks)) if toks[q].number is not None
                          and _sentence(toks, q) != asking))
    ask = next((k for k in range(asking[0], asking[1]) if toks[k].text in ("many", "much")), None)
    if ask is not None:  # "If one rinse cycle lasts 40 minutes, how many full cycles ...": the clause before the
        # question in its own sentence
        items |= set().union(*(_items(toks, q, words, ask) for q in range(asking[0], ask) if toks[q].number is not None))
    return any(_same(a, i, language) for a in asked for i in items)


def _year(toks: list[Token], q: _Quantity, language: Language) -> bool:
    """A year: four digits written without a thousands separator, with no unit after them ("1,840 kg" and "1840
    kg" are weights), and not in a list of three numbers or more."""
    after = toks[q.at + 1].text if q.at + 1 < len(toks) else ""
    if not (q.value.isdigit() and len(q.value) == 4 and 1000 <= int(q.value) <= 2999 and "," not in toks[q.at].text
            and not any(after in unit.words for unit in language.units)):
        return False
    runs = _lists(toks, [k for k, t in enumerate(toks) if t.number is not None])
    return not any(q.at in run and len(run) >= 3 for run in runs)  # "three invoices: 1480, 2315 and 960": amounts


def _text(toks: list[Token]) -> str:
    return " ".join(t.text for t in toks)
