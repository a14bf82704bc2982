"""The language the questions are written in, as data (`data/lang/en.yaml` by default).

A 135M model cannot pick an arithmetic operator: it writes "+" for "minus" and for "how many more
... than". Which operation a question names is a fact of the language, not of a corpus or a question
set, so it lives in a language file, like a domain: the words that name each operation, the phrases
that state the second operand first ("subtract A from B"), the determiners that ask for a kind of
thing ("Which office"), and the function words that name no document. Another language is another
file (setting ``agent.language_file``); nothing here is English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Container, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

DEFAULT_LANGUAGE_FILE = Path(__file__).resolve().parents[2] / "data" / "lang" / "en.yaml"
GAP = "..."  # in a phrase: any words in between ("more ... than")
SPELLED_LETTERS = 6  # the fewest letters of a word read in another spelling ("hours" is no "hors")
_WORD = re.compile(r"\S+")
_EDGE = "\"'`.,;:!?()[]{}<>"
# the numbers a question states, as `choices.numbers` finds them (not inside "alpha-3" or "1.2.3")
_NUMBER = re.compile(r"(?<![\w.\-+:~/])\d[\d,]*(?:\.\d+)?(?![\w]|\.\d)")


class Units(BaseModel):
    """Units of one kind and the words of the dimensions they measure ("metres": long, high, wide, deep)."""

    model_config = ConfigDict(extra="forbid")

    words: list[str]
    measure: list[str] = Field(description="Words of the families whose dimension these units measure.")


class OperatorWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["+", "-", "*", "/"]
    phrases: list[str]
    larger_first: bool = Field(False, description="A comparison: the larger value comes first (a distance).")


class VerbWords(BaseModel):
    """``<verb> A <link> B``: "subtract 47 from 120" is 120 - 47 (``swapped``)."""

    model_config = ConfigDict(extra="forbid")

    phrase: list[str]
    links: list[str]
    op: Literal["+", "-", "*", "/"]
    swapped: bool = False


class StoryWords(BaseModel):
    """The cues of arithmetic told as a story (`story`): which operation joins a number to the story."""

    model_config = ConfigDict(extra="forbid")

    remove: list[str] = Field([], description='A number taken away ("47 are taken", "removing 17").')
    rest: list[str] = Field([], description='A question for what is left ("how many remain").')
    rate: list[str] = Field([], description='A number per item ("275 dollars each", "per second").')
    of_rate: list[str] = Field([], description='A word between an item and its size ("4 units of 2 bytes").')
    share: list[str] = Field([], description='A number shared out ("split evenly among 12 teams").')
    repeats: list[str] = Field([], description='Words right after a number, and before no other, that make it a '
                               'count of repetitions ("given 2 times a day"): it multiplies the story so far.')
    add: list[str] = Field([], description='A number added ("7 more", "a fee is added", "in total").')
    compare: list[str] = Field([], description='A question for how far apart two numbers are ("by how many did '
                               'sales rise", "how many days late").')
    average: list[str] = Field([], description='A question for the mean of a list of numbers ("on average").')
    result: list[str] = Field([], description='Words naming the result so far ("split the rest evenly").')
    sequence: list[str] = Field([], description='Words that apply the next step to the result so far ("..., then '
                                'split that across 5 sites").')
    per_one: list[str] = Field([], description='A question for one item\'s share ("what does each pay").')
    percent_more: list[str] = Field([], description='A percentage added to its base ("grown by 25%").')
    percent_less: list[str] = Field([], description='A percentage taken off its base ("a 15% discount").')
    determiners: list[str] = Field([], description='Number words that mark one thing, no operand ("one half").')
    boundaries: list[str] = Field([], description='Words between two clauses of a story ("and", "then").')
    denials: list[str] = Field([], description='Words that deny what their clause says ("49 have no short form", '
                               '"never screened"): a question that says a part\'s words the other way round asks '
                               'the rest of the whole.')
    denying_prefixes: list[str] = Field([], description='Prefixes that deny the word they begin ("unfilled" of '
                                        '"filled").')
    range_openers: list[str] = Field([], description='Words before the first of two numbers a point lies between '
                                     '("the midpoint between 140 and 210").')
    change_openers: list[str] = Field([], description='Words before the first of two numbers a quantity changed '
                                      'between ("went from 66 to 81"): how many, asked, is the size of the change.')
    taken_from: list[str] = Field([], description='Words between a part and the whole it is taken from, in one unit '
                                  '("took 2.5 kg from a 10 kg sack", "trim a 200-byte header off a 3,000-byte '
                                  'file"): the whole comes first.')
    width: list[str] = Field([], description='A question for how wide a range is ("68,000 to 83,500: how wide").')
    middle: list[str] = Field([], description='A question for the middle of a range ("the midpoint of 72 to 90").')
    ratio: list[str] = Field([], description='A question for a part as a share of its whole ("9 of 12 accepted: the '
                             'ratio").')
    fractions: dict[str, int] = Field({}, description='A fraction\'s word -> its denominator ("two thirds of them", '
                                      '"a quarter of the seats"): the share it names.')
    percent_asked: list[str] = Field([], description='A question for a share or a change in percent ("what percentage '
                                     'of the course", "by what percent did traffic grow").')
    dimensions: list[str] = Field([], description='Words between two measures of one unit that multiply them ("1.2 m '
                                  'by 0.8 m"): the sides of an area or a volume.')
    counting: list[str] = Field([], description='Words that ask for a count of things ("how many"), not an amount '
                                '("what would that cost"): a part of a whole is taken away only for a count.')
    part_of: list[str] = Field([], description='Words right after a number that make it a part of the whole before it '
                               '("1,132 lines, and 228 of them are comments"): a question for another part asks the '
                               'rest.')
    change_asked: list[str] = Field([], description='Words that ask for the size of a percentage\'s change itself '
                                    '("how much tax is added", "how much does the discount save"), not the amount '
                                    'after it.')
    scale: list[str] = Field([], description='Words before a number that give the scale other numbers are measured '
                             'on ("scored 7.5, 8.1 and 6.9 out of 10"): in an average, the scale is no item.')
    generic: list[str] = Field([], description='Indefinite articles: the words before a noun that name a kind of '
                               'thing, not one thing ("a month", "a PCT application has 30 months"): a rate\'s unit '
                               'after a number, and no record\'s name in a story.')


class RoundingWords(BaseModel):
    """How a question asks for its result rounded (`rounding`)."""

    model_config = ConfigDict(extra="forbid")

    verbs: list[str] = Field([], description='Words that ask for rounding ("rounded", "round").')
    places: list[str] = Field([], description='Words after a count of decimal places ("two decimals", "2 dp").')
    whole: list[str] = Field([], description='Phrases that ask for no decimals ("to the nearest whole number").')


class ArithmeticWords(BaseModel):
    """The phrases of arithmetic stated in words, by their role in `wordmath`'s grammar."""

    model_config = ConfigDict(extra="forbid")

    articles: list[str] = []
    infix: dict[str, list[str]] = {}
    infix_swapped: dict[str, list[str]] = {}
    of_list: dict[str, list[str]] = {}
    list_after: dict[str, list[str]] = Field({}, description='Phrases after a list that name its operation ("215, '
                                             '1,080 and 64 add up to", "4, 9 and 11 combined").')
    verbs: list[VerbWords] = []
    scale_prefix: dict[str, tuple[str, float]] = {}
    postfix: dict[str, tuple[str, float]] = {}
    power: list[str] = Field([], description='Phrases between a number and its exponent ("7 to the power of 3").')
    apply: dict[str, list[str]] = {}
    apply_scale: dict[str, tuple[str, float]] = {}
    comparisons: dict[Literal["more", "less"], list[str]] = Field({}, description='Phrases opening a comparison of '
                                                                 'two expressions joined by "than" ("how much more is '
                                                                 'A than B": A - B; "how much less is A than B": B - A).')
    comparisons_after: dict[Literal["more", "less"], list[str]] = Field(
        {}, description='Phrases opening a comparison that names the reference first ("how much more than A is B": '
                        'B - A; "how much less than A is B": A - B).')
    comparison_links: list[str] = Field([], description='Words between the two sides of such a comparison ("is").')
    step_subjects: list[str] = Field([], description='Who does a step after a separator ("then you subtract 4"): '
                                                     'skipped.')
    repeats: dict[str, int] = {}
    pronouns: list[str] = []
    trailing: list[str] = []
    starts: list[str] = []
    separators: list[str] = []
    number_words: dict[str, int] = {}
    number_scales: dict[str, int] = {}
    story: StoryWords = StoryWords()
    rounding: RoundingWords = Field(default_factory=RoundingWords, description='How a question asks its result '
                                    'rounded ("rounded to two decimals").')

    def phrases(self) -> list[str]:
        """Every phrase of every role, lower-cased."""
        phrases = [*self.articles, *self.pronouns, *self.trailing, *self.starts, *self.separators, *self.scale_prefix,
                   *self.postfix, *self.power, *self.apply_scale, *self.repeats, *self.number_scales,
                   *self.step_subjects]
        for table in (self.infix, self.infix_swapped, self.of_list, self.list_after, self.apply):
            phrases += [p for group in table.values() for p in group]
        for verb in self.verbs:
            phrases += [*verb.phrase, *verb.links]
        return [p.lower() for p in phrases]

    def percent_words(self) -> list[str]:
        """The postfix phrases that make a number a percentage ("%", "percent"): a share, not a scaling step."""
        return [phrase for phrase, (op, factor) in self.postfix.items() if op == "/" and factor == 100]

    def words(self) -> frozenset[str]:
        """Every word of every phrase: a span made only of these (and function words) names no document."""
        return frozenset(w for p in self.phrases() for w in p.split() if w.isalpha())


class Language(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    operators: list[OperatorWords] = []
    reversed_order: list[str] = Field([], description='Phrases stating the second operand first ("subtract ... from").')
    kind_words: list[str] = Field([], description='Determiners that ask for a kind of thing ("which").')
    kind_pronouns: list[str] = Field([], description='Words that stand for the kind after a kind word ("which one").')
    demonstratives: list[str] = Field([], description='Words that stand for the thing the question names ("what '
                                      'language is that").')
    requests: list[str] = Field([], description='Verbs that open a request ("Name the module ...", "Give me ..."): '
                                'the first word of a question, they ask for the answer and label none.')
    suffixes: list[str] = Field([], description='Endings cut to compare two words ("manages" / "manager").')
    spellings: list[tuple[str, str]] = Field([], description='Letters one spelling of the language writes where '
                                             'another writes the others ("our" / "or": "colours" / "colors").')
    families: list[list[str]] = Field([], description='Words of one family no ending joins ("high", "height").')
    units: list[Units] = Field([], description='Units and the dimensions they measure: a unit is of each of '
                               'their families ("metres" of "long" and of "high").')
    quantity: list[str] = Field([], description='Phrases that ask for a quantity ("how many"): the answer is a number.')
    time: list[str] = Field([], description='Phrases that ask for a time ("when", "what year"): the answer is a year '
                            'or a date.')
    person: list[str] = Field([], description='Phrases that ask for a person ("who", "which person"): the answer is '
                              'a name of capitalised words.')
    organisation: list[str] = Field([], description='Words that ask for an organisation ("which company"): the answer '
                                    'is a name that ends with one of `organisation_ends`.')
    organisation_ends: frozenset[str] = Field(frozenset(), description='Last words of an organisation\'s name ("Ltd", '
                                              '"GmbH", "Authority").')
    alternatives: list[str] = Field([], description='Words that offer the answer\'s options ("tcp or udp").')
    negations: list[str] = Field([], description='Phrases that set a thing aside ("not", "rather than"): the '
                                 'words after one name what the answer is not.')
    stop_words: frozenset[str] = frozenset()
    arithmetic: ArithmeticWords = ArithmeticWords()
    clause_joiners: frozenset[str] = Field(frozenset(), description='Words joining two clauses or values '
                                           '("... ABW and the numeric code 533").')
    copulas: frozenset[str] = Field(frozenset(), description='Verbs that begin what a sentence says of a value, '
                                    'joining clauses as the joiners do ("... is assigned opcode 130").')
    stating: frozenset[str] = Field(frozenset(), description='Words before a value the asker states, after the word '
                                    'that says what it is ("documented as ...", "encoded as #EED8AE").')
    naming: frozenset[str] = Field(frozenset(), description='Words that ask what a thing is called ("its name", '
                                   '"what is it called"): asked by another of its values, the answer is its subject.')
    sorting: frozenset[str] = Field(frozenset(), description='Labels of a value that says what sort of thing a record '
                                    'is ("Kind: Find module", "Type: utility"): a class, never the name of the one '
                                    'thing asked ("Which module ...").')
    mail_senders: frozenset[str] = Field(frozenset(), description='Header keys of a message that name its people or '
                                         'its date ("From", "To", "Cc"): a record opening with them is a message, '
                                         'and its sender is not what it is about.')
    mail_subjects: frozenset[str] = Field(frozenset(), description='Header keys of a message\'s subject line '
                                          '("Subject"): what a message record is about.')
    titles: frozenset[str] = Field(frozenset(), description='Naming words that ask for a title ("the title of the '
                                   'incident"): a first line "<id> - <title>" answers with the words after its id.')
    files: frozenset[str] = Field(frozenset(), description='Words that ask for a file ("which syntax file", "the '
                                  'file name"): a subject also written with an extension answers with it.')
    reaching: frozenset[str] = Field(frozenset(), description='Words that ask how a person is reached ("the upstream '
                                     'contact"): a name with its mail address answers whole, not the name alone.')
    durations: frozenset[str] = Field(frozenset(), description='Units of time counted in the plural ("days past '
                                      'due"): a number they label answers, not a date the question also names.')
    notations: dict[Literal["hex", "decimal", "codepoint"], list[str]] = Field(
        {}, description='Words that ask for a number in one notation ("the hex code", "in decimal", "in U+ form").')
    shapes: dict[Literal["email", "url", "digest"], list[str]] = Field(
        {}, description='Words that ask for a value of one written shape ("the attorney email", "the project '
        'homepage", "its MD5 checksum"): a value written so answers before one written otherwise.')
    rates: frozenset[str] = Field(frozenset(), description='Words of a rate ("$575 per seat"): the word after one '
                                  'is what the value is counted by, not what it is.')
    range_joiners: frozenset[str] = Field(frozenset(), description='Words between the two ends of a range ("14 '
                                          'June to 23 June", "400 through 499").')
    range_ends: dict[Literal["first", "last"], list[str]] = Field({}, description='Words that ask for one end of '
                                                                  'a range ("the start date", "when does it end").')
    of_words: frozenset[str] = Field(frozenset(), description='Words between an asked value and the name it belongs '
                                     'to ("the line number of the udplite entry"): the words after such a name say '
                                     'what it is.')
    ordinals: dict[str, int] = Field({}, description='Words that ask for one item of a list by its place ("the '
                                     'second alias": 2; "the last one": -1).')
    months: frozenset[str] = Field(frozenset(), description='Month names and their abbreviations: a day, a month '
                                   'and a year ("2 February 2025", "Mar 17, 2025") are one value, a date.')
    name_connectors: frozenset[str] = Field(frozenset(), description='Words inside a name between capitalised '
                                            'words ("Saint Vincent and the Grenadines", "Isle of Man").')

    _families: dict[str, frozenset[int]] | None = PrivateAttr(None)
    _plain_families: dict[str, frozenset[int]] | None = PrivateAttr(None)  # less the units

    def operator_words(self) -> frozenset[str]:
        """The words that name arithmetic (the operator phrases and the parser's): never a name."""
        listed = {w for entry in self.operators for p in entry.phrases for w in p.lower().split() if w != GAP}
        return frozenset(listed) | self.arithmetic.words()

    def operations(self, text: str) -> dict[str, bool]:
        """Each operator ``text`` names -> whether a comparison named it (the larger value first)."""
        tokens = words(text)
        found: dict[str, bool] = {}
        for entry in self.operators:
            if any(holds(tokens, phrase) for phrase in entry.phrases):
                found[entry.op] = found.get(entry.op, False) or entry.larger_first
        return found

    def operation(self, text: str) -> Operation | None:
        """The one operation ``text`` names, or None when it names none or several."""
        found = self.operations(text)
        return Operation(*next(iter(found.items()))) if len(found) == 1 else None

    def reverses(self, before: str, between: str) -> bool:
        """Whether a phrase such as "subtract ... from" starts in ``before`` (the text before the first
        operand) and ends in ``between`` (the text between the two): then the second comes first."""
        head, rest = words(before), words(between)
        for phrase in self.reversed_order:
            parts = [p.split() for p in phrase.lower().split(GAP)]
            if len(parts) == 2 and parts[0] and parts[1] and _find(head, parts[0], 0) is not None \
                    and _find(rest, parts[1], 0) is not None:
                return True
        return False

    def asks_quantity(self, text: str) -> bool:
        """Whether ``text`` asks for a quantity ("How many lines ...", "quopri line count")."""
        return _holds_any(text, self.quantity)

    def range_end(self, text: str) -> Literal["first", "last"] | None:
        """Which end of a range ``text`` asks for ("the start date": first; "when does it finish": last); None
        when it names neither or both."""
        tokens = set(words(text))
        stems = {self._stem(t) for t in tokens}
        found = [end for end, phrases in self.range_ends.items()
                 if any(w in tokens or self._stem(w) in stems for w in phrases)]
        return found[0] if len(found) == 1 else None  # type: ignore[return-value]

    def ordinal(self, text: str) -> int | None:
        """The place in a list ``text`` asks for ("the second alias": 2, "its last alias": -1); None when it
        names no place or two that differ."""
        found = {self.ordinals[w] for w in words(text) if w in self.ordinals}
        return found.pop() if len(found) == 1 else None

    def notation(self, text: str) -> Literal["hex", "decimal", "codepoint"] | None:
        """The notation ``text`` asks a number in ("the hexadecimal opcode": hex; "in U+ form": codepoint, a kind
        of hex); None when none or two that differ."""
        tokens = set(words(text))
        found = [name for name, names in self.notations.items() if tokens & {w.lower() for w in names}]
        if set(found) == {"hex", "codepoint"}:  # "the hex U+ code point"
            return "codepoint"
        return found[0] if len(found) == 1 else None  # type: ignore[return-value]

    def shape(self, text: str) -> Literal["email", "url", "digest"] | None:
        """The written shape ``text`` asks a value in ("CVD-P0561 attorney email": email), or None when none or
        two."""
        found = [name for name, phrases in self.shapes.items() if _holds_any(text, phrases)]
        return found[0] if len(found) == 1 else None

    def asks_person(self, text: str) -> bool:
        """Whether ``text`` asks for a person ("Who signed the upload?")."""
        return _holds_any(text, self.person)

    def asks_organisation(self, text: str) -> bool:
        """Whether ``text`` asks for an organisation ("Which company do they work for?")."""
        return _holds_any(text, self.organisation)

    def asks_time(self, text: str) -> bool:
        """Whether ``text`` asks for a time ("When was the team formed?", "what year ...")."""
        return _holds_any(text, self.time)

    def same_word(self, a: str, b: str, units: bool = True, known: Container[str] = ()) -> bool:
        """Whether two lower-case words label the same thing: one family, an abbreviation (a word of three
        letters or more that starts one at least twice its length, unless the rest is a ``known`` word: "ship"
        starts "shipyard", a compound), or one stem once the longest listed ending (and then a final "e") is
        cut from each, at least four letters left. ``units``: a unit is of the families of the dimensions it
        measures (not to tell two of them apart: "mm" is wide and high)."""
        if a == b:
            return True
        family = self._family() if units else self._family(units=False)
        fa, fb = family.get(a, family.get(self._stem(a))), family.get(b, family.get(self._stem(b)))
        if fa and fb and fa & fb:  # "widths" / "wide", "metres" / "length"
            return True
        pairs = [sorted((a, b), key=len)]
        if a.endswith("s") and b.endswith("s"):  # both in the plural: their stems too
            pairs.append(sorted((self._stem(a), self._stem(b)), key=len))
        for short, long in pairs:
            if len(short) >= 3 and long.startswith(short) and len(long) >= 2 * len(short) and short.isalpha() \
                    and long[len(short):] not in known:
                return True  # an abbreviation: "max" / "maximum", "num" / "number", and both in the plural:
                # "cols" / "columns"
        short, long = sorted((a, b), key=len)
        if 3 <= len(short) <= 5 and short.isalpha() and short[0] == long[0] and len(long) >= 2 * len(short) \
                and not set(short[1:]) & set("aeiou") and _in_order(short, long):
            return True  # a word's consonants: "ctn" / "carton", "qty" / "quantity", "mfr" / "manufacturer"
        respelled = self._respelled(a), self._respelled(b)
        if respelled != (a, b):  # "colour" / "colors", "centre" / "center": one word in two spellings
            return respelled[0].removesuffix("s") == respelled[1].removesuffix("s") \
                or self.same_word(*respelled, units=units, known=known)
        stem_a, stem_b = self._stem(a), self._stem(b)
        return len(stem_a) >= 4 and stem_a == stem_b

    def _respelled(self, word: str) -> str:
        """``word`` in the spelling the second of each of `spellings` writes ("colours": "colors")."""
        if len(word) < SPELLED_LETTERS:
            return word
        for written, other in self.spellings:
            word = word.replace(written, other)
        return word

    def _family(self, units: bool = True) -> dict[str, frozenset[int]]:
        """Each word's families (a unit's are those of the dimensions it measures), by stem too (four letters
        at least, as in `same_word`): "alternates" cuts to the stem "alternate" does."""
        if not units:
            if self._plain_families is None:
                unit_words = {k for unit in self.units for w in unit.words for k in self._keys(w)}
                self._plain_families = {w: ids for w, ids in self._family().items() if w not in unit_words}
            return self._plain_families
        if self._families is None:
            found: dict[str, set[int]] = {}
            for i, group in enumerate(self.families):
                for w in group:
                    for key in self._keys(w):
                        found.setdefault(key, set()).add(i)
            for unit in self.units:
                ids = set().union(*(found.get(m.lower(), set()) for m in unit.measure))
                for w in unit.words:
                    for key in self._keys(w):
                        found.setdefault(key, set()).update(ids)
            self._families = {w: frozenset(ids) for w, ids in found.items()}
        return self._families

    def _keys(self, word: str) -> set[str]:
        """The keys a listed word is found by: itself, and its stem when four letters or more are left."""
        low = word.lower()
        stem = self._stem(low)
        return {low, stem} if len(stem) >= 4 else {low}

    def _stem(self, word: str) -> str:
        for ending in sorted(self.suffixes, key=len, reverse=True):
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)]
                break
        return word[:-1] if word.endswith("e") and len(word) > 4 else word

    def set_aside(self, words_: Sequence[str], with_cue: bool = False) -> set[int]:
        """Indices of ``words_`` (lower-case, punctuation as its own items) that a negation sets aside: those
        after "not" / "rather than" up to the next punctuation ("the alias, not its port": "its", "port");
        ``with_cue``: the negation's own words too."""
        out: set[int] = set()
        for phrase in self.negations:
            part = phrase.lower().split()
            for i in range(len(words_) - len(part) + 1):
                if list(words_[i: i + len(part)]) == part:
                    k = i + len(part)
                    if with_cue:
                        out.update(range(i, k))
                    while k < len(words_) and words_[k][:1].isalnum():
                        out.add(k)
                        k += 1
        return out

    def is_stop_phrase(self, text: str) -> bool:
        """True when every word of ``text`` is a function word (or there is none)."""
        return all(w in self.stop_words for w in words(text))

    def stated(self, question: str, operands: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The operands of arithmetic stated in words, in the order to compute them, and the operators
        each gap may take ("+-*/" when the words name none or several). Gap i is read from the words
        between operand i and i+1 (the first gap also from the words before the first operand: "the
        difference between 260 and 32"); a gap that names nothing after one that did (a list: "the sum
        of 216, 36 and 2") takes that one's operator. The first two operands swap for "subtract A
        from B" and, for a comparison, when the first is the smaller. None when ``operands`` are not
        the question's numbers in order."""
        found = list(_NUMBER.finditer(question))
        if [m.group().replace(",", "") for m in found] != list(operands) or len(found) < 2:
            return None
        order, ops = list(operands), []
        previous: Operation | None = None
        for i in range(len(found) - 1):
            start = 0 if i == 0 else found[i].end()
            gap = question[start: found[i + 1].start()]
            op = self.operation(gap) or (previous if self.operations(gap) == {} else None)
            ops.append(op.op if op else "+-*/")
            previous = op
            if i == 0 and op is not None and op.op == "-":
                swap = self.reverses(question[: found[0].start()], question[found[0].end(): found[1].start()]) \
                    or (op.larger_first and _value(order[0]) < _value(order[1]))
                if swap:
                    order[0], order[1] = order[1], order[0]
        return tuple(order), tuple(ops)


@dataclass(frozen=True)
class Operation:
    op: str
    larger_first: bool = False


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, edge punctuation trimmed, empty ones dropped."""
    return [w for w in (t.strip(_EDGE).lower() for t in _WORD.findall(text)) if w]


def _find(tokens: list[str], part: list[str], start: int) -> int | None:
    """Where ``part`` (words) next occurs in ``tokens`` from ``start``: the index after it, or None."""
    for i in range(start, len(tokens) - len(part) + 1):
        if tokens[i: i + len(part)] == part:
            return i + len(part)
    return None


def holds(tokens: list[str], phrase: str) -> bool:
    """Whether ``tokens`` hold ``phrase``, its parts in order with any words in between at a ``...``."""
    at: int | None = 0
    for part in phrase.lower().split(GAP):
        part_words = part.split()
        if not part_words:
            continue
        at = _find(tokens, part_words, at)
        if at is None:
            return False
    return True


def _value(number: str) -> float:
    return float(number.replace(",", ""))


@lru_cache(maxsize=8)
def load_language(path: str | None = None) -> Language:
    """The language file at ``path`` (YAML), the bundled English one when None."""
    import yaml  # only when a language is loaded, never at import

    raw = yaml.safe_load(Path(path or DEFAULT_LANGUAGE_FILE).read_text(encoding="utf-8")) or {}
    for key in ("stop_words", "kind_words", "kind_pronouns", "demonstratives", "requests", "name_connectors",
                "clause_joiners", "copulas", "negations", "alternatives", "quantity", "time", "person", "organisation",
                "organisation_ends", "months", "range_joiners", "rates", "naming", "titles", "of_words", "mail_senders",
                "mail_subjects", "stating", "sorting", "files", "reaching", "durations"):
        values = raw.get(key, [])
        if any(not isinstance(w, str) for w in values):  # YAML reads on/off/yes/no unquoted as booleans
            raise ValueError(f"{path or DEFAULT_LANGUAGE_FILE}: every {key} entry must be a string (quote it)")
        raw[key] = [w.lower() for w in values]
    return Language.model_validate(raw)


def _holds_any(text: str, phrases: list[str]) -> bool:
    """Whether ``text`` holds one of ``phrases`` word for word (the "asks_*" readings)."""
    tokens = words(text)
    return any(holds(tokens, phrase) for phrase in phrases)


def _in_order(short: str, long: str) -> bool:
    """Whether the letters of ``short`` appear in ``long`` in the same order."""
    rest = iter(long)
    return all(letter in rest for letter in short)
