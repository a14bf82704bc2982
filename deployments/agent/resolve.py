"""Before the model loop: answer from the question's structure and the store's records when they suffice.

Three general mechanisms, each recorded as ordinary steps (a search, a calculator call), so the
reply, the trace and the stream look as they would if the model had taken them:

1. Arithmetic stated in words (`wordmath.parse`), or told as a story with no document named
   (`story.read_story`): the calculator computes the expression.
2. Names (`names.NameIndex`): the question's word runs and quoted text matched against the store.
   - Two or more named documents and one operation named (the language file's operator words):
     each document's value is chosen by `records.ranked` (numbers only), then combined.
   - An operation named, one document found and another name-shaped word found nowhere: the
     reply says that thing is not in the documents, instead of answering with the one value found.
   - One named document: the value whose context best matches the question's other words. When
     the name is the document's subject ("the alpha-3 code of Haiti"), that is a field of it; when
     the name is a value or a description in it ("the alpha-3 code SJM", a quoted description),
     the question asks for the subject unless another value's context matches ("Which office
     builds ...": "the Bergen office").
3. No name: the question itself is searched (hybrid) and its best document read the same way.

When none applies, or no candidate scores, `resolve` returns None and the model loop runs as before.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from deployments.agent.calculator import CalculatorError, evaluate, format_number
from deployments.agent.language import Language, holds
from deployments.agent.names import (BRACKET_END, BRACKETED_NAME, CODED, FIELD_MARKS, Name, NameIndex, Record,
                                     collection, quoted)
from deployments.agent.records import (CLOCK_TIME, DELIMITERS, NUMBER, VERSION, Candidate, Tok, candidates, fold,
                                       is_value, label_parts, matches, notation, ranked, score, shaped, tied, tokens,
                                       unit_code)
from deployments.agent.rounding import rounded, rounding
from deployments.agent.story import read_story
from deployments.agent.wordmath import parse

ARITHMETIC_THOUGHT = "The question states arithmetic in words; I compute it."
LOOKUP_THOUGHT = "I look up each thing the question names."
COMBINE_THOUGHT = "I combine the values the documents give."
NEAR_LABEL = 3  # the words of a subject's label that say what kind of thing it is ("Supplier contract check:")
_WRITTEN_KEY = re.compile(r"(?<![\w=])([^\W\d_]\w*)=(?![\w=])")  # "Before=", "OnCalendar=": a key as a file writes it
_SLASHED = re.compile(r"(?<![\w/])\d[\d,.]*(?:/\d[\d,.]*)+(?![\w/])")  # "63/488,145", "2021/03/14", "144/12"
_STATED_NUMBER = re.compile(r"(?<![\w.\-+:~/])\d[\d,]*(?:\.\d+)?(?![\w]|\.\d|-\d)")
_ADDRESSED = re.compile(r"(.*?\w)\s*<[^\s<>@]+@[^\s<>]+>?")  # "Ann Lee <ann@example.org>": a name, then its address
_POSSESSIVE = re.compile(r"\b([^\W\d_]+)['’]s\s+([^\W\d_]+)")  # "owner's account": the owner, then what of it
_FILE_EXTENSION = re.compile(r"\.[a-z][a-z0-9]{0,4}")  # ".vim", ".gz", ".h": what a file name adds to its stem


@dataclass
class Resolution:
    steps: list[tuple[str, str, str, str]] = field(default_factory=list)  # (thought, action, input, observation)
    answer: str = ""
    source: str = "observation"  # or "calculation"
    source_step: int = 0
    sources: list[str] = field(default_factory=list)  # ids of the documents the answer came from


ID_TITLE_WORDS = 12  # the most words of a title after an id on a record's first line
NAMING_DIGITS = 3  # the fewest digits of a number a question states that may name its record ("2126 bytes"), not
# count things ("3 Fjord licences")
NEAR_SCORE = 0.4  # below it, a value's score comes from words far from it or shared by many values


class _SameWord:
    """The language's morphology as `records.Same`, over the store's words ("ship" / "shipyard": a compound), and
    which of its matches are only kin: two units of one dimension ("feet" for "metres"), one value's unit against
    another's."""

    def __init__(self, language: Language, known: Any) -> None:
        self.language, self.known = language, known
        self.units = frozenset(u.lower() for unit in language.units for u in unit.words)

    def __call__(self, a: str, b: str) -> bool:
        return self.language.same_word(a, b, known=self.known)

    def kin(self, a: str, b: str) -> bool:
        return a != b and a in self.units and b in self.units


class Resolver:
    def __init__(self, index: NameIndex, documents: Any, language: Language, max_observation_chars: int = 800,
                 search_action: str = "search", calculator_action: str = "calculator") -> None:
        self.index, self.documents, self.language = index, documents, language
        self.max_chars = max_observation_chars
        self.search_action, self.calculator_action = search_action, calculator_action
        # the words that name no value: function words and operator words, but not the arithmetic's pronouns
        # ("that number"), which are ordinary words in a lookup ("the ISO number for X")
        pronouns = frozenset(w for p in language.arithmetic.pronouns for w in p.lower().split())
        listed = {w for entry in language.operators for p in entry.phrases for w in p.lower().split()}
        # a word only an operator phrase of several words holds ("long" of "how long after") is an operator word
        # only where the question holds that phrase: elsewhere it asks ("How long is the Aurora Bay?")
        # so is a word only the arithmetic's phrases of several words hold ("start with"; "the start date")
        arithmetic = language.arithmetic.phrases()
        self.phrases = [p.lower().split() for entry in language.operators for p in entry.phrases
                        if len(p.split()) > 1 and "..." not in p] + [p.split() for p in arithmetic if len(p.split()) > 1]
        alone = {w for entry in language.operators for p in entry.phrases if len(p.split()) == 1 or "..." in p
                 for w in p.lower().split()} | {p for p in arithmetic if len(p.split()) == 1}
        in_phrases = {w for words in self.phrases for w in words} - alone - language.stop_words
        self.content_stop = language.stop_words | (language.operator_words() - (pronouns - listed) - in_phrases)
        # the store's words tell a compound from an abbreviation ("ship" / "shipyard": "yard" is a word)
        self.same = _SameWord(language, self.index.by_word)
        # what a negation sets aside ("height, not width") is told apart without units: "mm" measures both
        self.same_dimension = lambda a, b: language.same_word(a, b, units=False, known=self.index.by_word)

    choice_tokens = 24  # most tokens of the model's choice among tied candidates
    generate: Any = None
    tie_k = 20  # hits of the whole question that break a tie between documents holding one name

    async def _glued_name(self, question: str) -> bool:
        """Whether numbers glued to other marks name a record instead of being operands: a date ("filed on
        2021/03/14": two slashes, which no one writes to divide twice), or a code or a name a document holds as
        written ("application 63/488,145", "tar(5)"); "what is 144/12" divides."""
        glued = [m.group().rstrip(".,") for m in _SLASHED.finditer(question)]
        if any(s.count("/") >= 2 for s in glued):
            return True
        glued += [m.group() for m in BRACKETED_NAME.finditer(question) if any(ch.isdigit() for ch in m.group())]
        if not glued or not self.index.available:
            return False
        await self.index.refresh()
        return any(self.index.quote_holders(s) for s in glued)

    async def resolve(self, question: str, generate: Any = None) -> Resolution | None:
        """The answer from structure, or None. ``generate`` (the run's `Generator`), when given, breaks a tie
        between whole candidates the question's words do not tell apart: the model chooses among them."""
        self.generate = generate
        plain, places = rounding(question, self.language.arithmetic)  # ", rounded to two decimals": no step
        glued = await self._glued_name(plain)  # "application 63/488,145": a name, no division and no story
        expression = None if glued else parse(plain, self.language)
        if expression is not None:
            result = format_number(rounded(evaluate(expression), places))
            return Resolution([(ARITHMETIC_THOUGHT, self.calculator_action, expression, result)], result,
                              "calculation", 0)
        if not self.index.available:
            return None
        await self.index.refresh()
        if not self.index.available:
            return None
        names = self._not_opening_request(question, self.index.names(question))
        strong = [n for n in names if self._strong(n)]
        # a number the documents named by words hold ("ISO 4217", a year) names them; any other is an operand
        # ("3 Fjord licences"). With no other name, one number is the name ("Which currency is 978?")
        worded = [n for n in strong if not _STATED_NUMBER.fullmatch(n.span)]
        held = {w for n in worded for d in (n.subject_of or n.docs)[:3] for w in self.index.records[d].words} \
            | self._standards(question)
        stated = [m.group() for m in _STATED_NUMBER.finditer(_without(question, worded))
                  if m.group().replace(",", "") not in held]
        if not worded and len(stated) == 1:
            stated = []  # one number and no other name: the number names the record
        ops = self.language.operations(self._not_set_aside(_without(question, strong)))  # "(not the total)"
        if len(ops) > 1:  # "how much larger the gross total on X is compared with Y": an operator word of a label
            # the named records write ("gross total") is the label's word, no operation
            named_docs = {d for n in strong for d in (n.subject_of or n.docs)}
            labels = [n for n in names if n not in strong and " " in n.span and set(n.docs) & named_docs]
            ops = self.language.operations(self._not_set_aside(_without(question, strong + labels))) or ops
            if len(ops) > 1 and ops.get("-"):  # "the difference in total characters between A and B": a comparison
                ops = {"-": True}  # names the operation, "total" the values compared
        counted = _counted_nouns(question)
        plain_words = len(_STATED_NUMBER.findall(question)) >= 2  # a story's numbers: its words in small letters
        # ("a wheel ships 230 files; 12 are .pyc") are its things, not names of records
        generic = set(self.language.arithmetic.story.generic)
        question_words = [t.text.lower() for t in tokens(question)]
        spelled = self.language.arithmetic.number_words
        told = not [n for n in worded if not n.span[:1].isdigit()
                    and not (plain_words and n.span.lower() in spelled)  # "Six auditors each spent 35 hours": a count
                    and not (plain_words and n.span.lower() in self.language.months)  # "2 in March and 1 in April"
                    and not (n.span.islower() and (plain_words and _story_words(n.span)
                                                   or _counts(n.span, counted, self.same)))
                    and not (plain_words and 0 < n.start and question_words[n.start - 1] in generic)]
        # "3 root certificates" counts, names nothing; so does a word in small letters a stated number counts ("split
        # into 16 equal chunks, how many bytes is each chunk": a record named "chunk" is not asked); nor does a name
        # after an indefinite article in a story ("A PCT application has 30 months ...": any such application)
        apart = len(stated) >= 2 and len(stated) == len(_STATED_NUMBER.findall(_without(question, worded)))
        # "129 pkg-config files and 28 of them come from x11proto-dev": two numbers or more, none of them held by
        # the records the story's words name, tell the whole sum; the names say what is counted, no value to look up
        if (told or apart) and not glued and (story := read_story(plain, self.language)) is not None:
            result = format_number(rounded(evaluate(story), places))  # "60 seats and 47 are taken"
            return Resolution([(ARITHMETIC_THOUGHT, self.calculator_action, story, result)], result, "calculation", 0)
        plain_stated = {v.replace(",", "") for v in stated}
        numbered = [n for n in strong if n.span.replace(",", "") in plain_stated
                    and len(n.span.replace(",", "").split(".")[0]) >= NAMING_DIGITS]
        named_by_number = bool(not ops and len(stated) == 1 and numbered)  # no operation asked, and one record
        # alone holds the number ("a man page whose gzip file is 2126 bytes"): it names the record
        if stated and names and not named_by_number:
            return None  # a stated number with a looked-up value: the loop's guards combine them
        if named_by_number:
            names = numbered + [n for n in names if n not in numbered]
        if ops and not stated:
            best = [n for n in strong if n.subject_of or n.start < 0 or self._own_field(n)]
            distinct = _distinct_docs(best if len(_distinct_docs(best)) >= 2 else strong)
            if len(distinct) == 1 and (kin := self._kin(distinct[0], names)) is not None:
                distinct = sorted([distinct[0], kin], key=lambda n: n.start)  # "Tibetan than that of Greek"
            elif len(distinct) == 1 and (joint := self._joint([
                    n for n in names if n.doc != distinct[0].doc and not (n.start < distinct[0].end
                                                                          and distinct[0].start < n.end)])) \
                    and joint[0].doc != distinct[0].doc:
                distinct = sorted([distinct[0], joint[0]], key=lambda n: n.start)  # "... plus default of delay in
                # org.gnome.desktop.peripherals.keyboard": two names meeting in one record name the other operand
            if len(distinct) > 2 and set(ops) & set("-/"):
                distinct = sorted(sorted(distinct, key=lambda n: -n.weight)[:2], key=lambda n: n.start)
            if len(distinct) >= 2:
                return await self._combine(question, distinct, ops)
            missing = self._unfound(question, names)
            if len(distinct) == 1 and missing:
                record = self.index.records[distinct[0].doc]
                return Resolution([(LOOKUP_THOUGHT, self.search_action, distinct[0].span, self._show(record))],
                                  f"I could not find {missing} in the documents, so I cannot compute the answer.",
                                  "observation", 0, [record.id])
            if len(distinct) != 1:
                return None  # an operation over no named thing: the loop's guards combine what it finds
            if (fields := self._two_fields(question, distinct[0], {"-": ops["-"]} if "-" in ops else ops)) is not None:
                # "claimed total minus approved total": "total" labels both values, the difference is asked
                return fields  # "How many unused seats does X have (purchased minus assigned)?"
            # one named thing and nothing missing: the operator word labels a field of it ("the total
            # character count of X"), read below like any other
        quote = quoted(question)
        if quote and not any(n.start < 0 for n in names):
            names = []  # quoted text no document holds word for word: the quote is searched, not other words
        if (codes := self._coded_joint(question, names)) is not None:  # "control ITAM-C59 during engagement
            return await self._single(_without(question, [codes[1]]), codes[0])  # ENG-23-ITAM25"
        single = bool(names) and (self._strong(names[0]) or len(names[0].docs) <= 3)
        joint = self._joint(names) if names and len(set(names[0].subject_of or names[0].docs)) > 1 else None
        # "the midsummer flash sale campaign in Nordics": two values many records hold, one record both; sought only
        # where the first name alone leaves several records
        if joint is not None and (joint[0].span == names[0].span or not single):  # "Autumn Clearance in France": the
            # name of several records, the other says which
            return await self._single(_without(question, [joint[1]]), joint[0])
        if single:
            return await self._single(question, names[0])
        if stated and not quote:
            return None  # numbers and no name: arithmetic the parser did not read, the model writes it
        hits = await self.documents.search(quote or question, 1, "hybrid")
        if not hits or hits[0]["id"] not in self.index.records:
            return None
        record = self.index.records[hits[0]["id"]]
        return await self._read(question, record, quote or "", named_subject=False, query=quote or question)

    def _joint(self, names: list[Name]) -> tuple[Name, Name] | None:
        """Two names the question states apart that many records hold each as a value (not a label, "discount
        code") and one record holds both: that record, named by the heavier one, and the other name."""
        heaviest = sorted(names, key=lambda n: -n.weight)
        for a in heaviest:
            for b in heaviest:
                if b is a or a.start < 0 or b.start < 0 or a.start < b.end and b.start < a.end:
                    continue
                both = set(a.docs) & set(b.docs)
                if len(both) != 1:
                    continue
                doc = both.pop()
                held = [fold(c.text) for c in self._candidates(self.index.records[doc])]
                if all(any(fold(n.span) in text for text in held) for n in (a, b)):
                    return Name(a.span, a.start, a.end, (doc,), (), a.weight), b
        return None

    def _coded_joint(self, question: str, names: list[Name]) -> tuple[Name, Name] | None:
        """Two codes the question states apart, with a word each ("control ITAM-C59 during engagement
        ENG-23-ITAM25"), that one record alone holds both of, where the names found for them do not meet in it
        (another record writes "control ITAM-C59" word for word): that record, named by the first, and the other
        with the word that labels it ("engagement ENG-23-ITAM25": it says which record, it asks nothing)."""
        coded = [(n, code) for n in names if n.start >= 0
                 for code in [next((w for w in n.span.split() if CODED.search(w) and not w.isdigit()), "")] if code]
        for (a, code_a), (b, code_b) in itertools.permutations(coded, 2):
            if a.start > b.start or a.start < b.end and b.start < a.end or fold(code_a) == fold(code_b):
                continue
            held_a, held_b = self.index.holders([fold(code_a)]), self.index.holders([fold(code_b)])
            if len(held_a) >= self.index.many or len(held_b) >= self.index.many:
                continue  # "MD5 checksum": a word many records label a value with, no code of one
            both = set(held_a) & set(held_b)
            if len(both) == 1 and not set(a.docs) & set(b.docs) & both:
                toks = tokens(question)  # the tokens Name.start and Name.end count
                word = toks[b.start - 1] if b.start > 0 else None
                if word is not None and not word.mark and word.text.lower() not in self.language.stop_words:
                    b = replace(b, span=question[word.at: toks[b.end - 1].at + len(toks[b.end - 1].text)])
                return Name(a.span, a.start, a.end, (both.pop(),), (), a.weight), b
        return None

    def _standards(self, question: str) -> set[str]:
        """The numbers the question writes after a capitalised word, as several records write the two ("the ISO 639
        language code", "RFC 2822 dates"): a standard's number, no operand."""
        words = [t.text for t in tokens(question) if not t.mark]
        return {b for a, b in zip(words, words[1:]) if a[:1].isupper() and a.isalpha() and b.isdigit()
                and len(self.index.holders([fold(a), fold(b)])) >= 2}

    def _strong(self, name: Name) -> bool:
        """A name, not a common word that happens to be rare: a subject, an id, a quote, a rare word in
        capitals or with digits, a rare phrase of several words, or the one record's own name field."""
        cased = any(c.isupper() or c.isdigit() for c in name.span[1:]) or name.span[:1].isdigit() \
            or bool(BRACKETED_NAME.fullmatch(name.span))  # "ru(bak)": written as an identifier is
        return bool(name.subject_of) or name.start < 0 or (cased and len(name.docs) <= 3) \
            or (len(name.span.split()) >= 2 and len(name.docs) == 1) \
            or (len(name.docs) == 1 and name.start >= 0 and bool(CODED.search(name.span))) \
            or self._own_field(name)  # "cursor-size", "ep-torch-default": a code one record holds

    def _own_field(self, name: Name) -> bool:
        """The one record the name is found in calls itself so ("Official name: pim", id "ipproto-pim")."""
        return len(name.docs) == 1 and self._name_field(self.index.records[name.docs[0]], name.span)

    def _kin(self, found: Name, names: list[Name]) -> Name | None:
        """A second operand named by a common word ("the numeric code of Tibetan than that of Greek": "Greek" is
        in many records): the one record of the same collection as the first operand's (its id's first part,
        "script-") that the word names, by its subject or id, or as the only such record holding it."""
        kind = collection(found.doc)
        for name in sorted(names, key=lambda n: -n.weight):
            if name.start < 0 or found.start < name.end and name.start < found.end or name.doc == found.doc:
                continue
            if all(w.lower() in self.content_stop for w in name.span.split()):
                continue
            docs = [d for d in name.docs if collection(d) == kind and d != found.doc]
            own = [d for d in docs if fold(name.span) in (self.index.records[d].subject, self.index.records[d].alias)]
            docs = own or docs
            if len(docs) == 1:
                return Name(name.span, name.start, name.end, name.docs, (docs[0],), name.weight)
        return None

    def _unfound(self, question: str, names: list[Name]) -> str | None:
        """A name-shaped word of the question (capitals inside, or a code) that no document holds."""
        covered = {i for n in names if n.start >= 0 for i in range(n.start, n.end)}
        for t in tokens(question):
            if t.mark or t.index in covered or t.index == 0 or t.text.lower() in self.content_stop:
                continue
            if (t.text[:1].isupper() or any(c.isdigit() for c in t.text)) and not self.index.holders([t.text.lower()]):
                return t.text
        return None

    async def _doc(self, name: Name, question: str) -> str:
        """The document a name names: its subject's, else the one holding most of the question's other
        words; a tie goes to the one the hybrid search of the whole question ranks first."""
        holders = list(name.subject_of or name.docs)
        if len(holders) > 1:  # "the Lyon office": the record that writes the name with the same words around it
            reach = [sum(w.lower() not in self.language.stop_words  # "the login" reaches no further than "login"
                         for w in self._extended(question, name, self.index.records[d]).split()) for d in holders]
            holders = [d for d, r in zip(holders, reach) if r == max(reach)]
        if len(holders) > 1:
            wanted = self._wanted(question, [name.span])
            held = [sum(matches(w, set(self.index.records[d].words), self.same) for w in wanted) for d in holders]
            holders = [d for d, h in zip(holders, held) if h == max(held)]
        if len(holders) > 1:  # "US Dollar" names "The US Dollar has ...", not "The US Dollar (Next day) has ..."
            exact = [d for d in holders if self.index.records[d].head == name.span.lower()]
            holders = exact or holders
        tied = holders
        if len(tied) > 1:
            hits = [h["id"] for h in await self.documents.search(question, self.tie_k, "hybrid")]
            ranked = [d for d in hits if d in tied]
            if ranked:
                return ranked[0]
        return tied[0]

    async def _single(self, question: str, name: Name) -> Resolution | None:
        record = self.index.records[await self._doc(name, question)]
        field = not name.subject_of and bool(record.subject_text) and name.span != quoted(question) \
            and self._name_field(record, name.span)  # a quoted name describes
        used = self._extended(question, name, record)
        coded = 0 <= name.start and not name.subject_of and not field and len(name.docs) == 1 \
            and bool(CODED.search(name.span))  # "when had GA22-0137 been submitted": a reference one record holds
        coded = coded and (self.language.asks_time(question) or self.language.asks_quantity(question))  # a date or
        # an amount is no record's name: the code names the record whose field is asked
        if (name.start < 0 or coded) and self._asks_field(question) \
                and any(fold(c.text) == fold(name.span) for c in self._candidates(record)):
            # 'On what date was "The Brass Orchard" returned?': a quote the record holds as a whole value (a title)
            # names the record where the question asks one of its fields, not what the quoted thing is
            found = await self._read(question, record, name.span, named_subject=True, query=name.span, used=used)
            if found is not None and fold(found.answer) not in fold(question):
                return found
        found = await self._read(question, record, name.span, named_subject=bool(name.subject_of) or field,
                                 query=name.span, used=used)
        if found is None and field:  # "alarm 7; name ALM_GAS": no label says "number", the value near the name does
            found = await self._read(question, record, name.span, named_subject=False, query=name.span, used=used)
        return found

    def _own_name(self, record: Record, cands: list[Candidate], question: str) -> Candidate | None:
        """The value labelled as a name that the id names too ("Official name: statmon", id "rpc-statmon"), where
        the question does not state it: what the record calls its subject, where its title line is a ticket's or
        a card's ("Ticket NETREF-EDBU", "Reference card - PTP (EtherTypes)"). A name field the id does not
        name ("Unicode name: UP TACK", id "htmlent-perp") is one more value, and a title the id names is kept
        ("## iso8859_6" over "Lookup name: iso8859-6")."""
        if record.subject.replace("_", "-") == record.alias.replace("_", "-"):
            return None
        return next((c for c in cands if c.label and c.label[0].lower() in self.language.naming
                     and fold(c.text) == record.alias and fold(c.text) not in fold(question)), None)

    def _organisation(self, record: Record, cands: list[Candidate], question: str) -> Candidate | None:
        """The record's only name of an organisation ("Byrnefield Solar Farms Ltd") that the question does not state
        and few records hold (not a template's issuer every record names), where the record's subject is none."""
        ends = self.language.organisation_ends
        if _ends_with(record.subject_text, ends):
            return None  # the subject is one: the reading of the record's own name answers
        siblings = sum(collection(d) == collection(record.id) for d in self.index.records)

        def rare(name: str) -> bool:  # held by at most a tenth of the record's collection, and by few of the store
            held = self.index.holders([fold(w) for w in name.split()])
            return sum(collection(d) == collection(record.id) for d in held) * 10 <= max(siblings, 10) \
                and len(held) < self.index.many

        orgs = {c.text: c for c in cands if c.name and len(c.text.split()) >= 2 and _ends_with(c.text, ends)
                and fold(c.text) not in fold(question) and rare(c.text)}
        return next(iter(orgs.values())) if len(orgs) == 1 else None

    def _labelled_title(self, cands: list[Candidate], question: str) -> str | None:
        """The one value a title word labels ("Project title: ...", "title=...") that the question does not state."""
        titled = {c.text for c in cands if fold(c.text) not in fold(question) and any(
            p.lower() in self.language.titles for w in c.label[:NEAR_LABEL] for p in label_parts(w))}
        return titled.pop() if len(titled) == 1 else None

    def _as_file(self, name: str, cands: list[Candidate], asked: list[str]) -> str:
        """``name`` as the record writes it with a file's extension ("hgcommit.vim"), where the question asks for
        a file ("which syntax file ...", "the file name"): a file is called by its whole name."""
        if not set(asked) & self.language.files:
            return name
        return next((c.text for c in cands if fold(c.text).startswith(fold(name))
                     and _FILE_EXTENSION.fullmatch(fold(c.text)[len(fold(name)):])), name)

    def _name_field(self, record: Record, span: str) -> bool:
        """The record's own name (`_own_name`: "- name: Ukrainian_ghe", "Official name: dccp") is ``span``:
        the record is about what the span names, whatever its title line says ("### XK_Ukrainian_ghe", "Ticket
        NETREF-EDBU")."""
        own = self._own_name(record, self._candidates(record), "")
        return own is not None and fold(own.text) == fold(span)

    def _extended(self, question: str, name: Name, record: Record) -> str:
        """The name with the question's words around it that the document writes around it too ("Lyon"
        in "the Lyon office"): they name the record, not the value asked."""
        if name.start < 0:
            return name.span
        words = [t.text for t in tokens(question)]
        start, end = name.start, name.end
        while start > 0 and self.index.holders([w.lower() for w in words[start - 1: end]]) and \
                record.id in self.index.holders([w.lower() for w in words[start - 1: end]]):
            start -= 1
        while end < len(words) and record.id in self.index.holders([w.lower() for w in words[start: end + 1]]):
            end += 1
        return " ".join(words[start:end])

    async def _read(self, question: str, record: Record, span: str, named_subject: bool, query: str,
                    used: str = "") -> Resolution | None:
        cands = self._candidates(record)
        named = {t.text.lower() for t in tokens(used or span)}
        labels = {w.lower() for c in cands for w in c.label}
        options = self._offered(question)
        longer = [" " + fold(c.text) + " " for c in cands if c.name and " " in c.text]
        offered = [o for o in options if " " + " ".join(o) + " " in record.padded
                   and not any(" " + " ".join(o) + " " in n and n.strip() != " ".join(o) for n in longer)
                   and not set(o) & named and not set(o) <= labels]  # an option is a value, not a field's label
        # nor a word of a longer name ("hospital or clinic" in "Stavmere University Hospital")
        if len(offered) == 1 and len(options) >= 2:  # "the protocol (tcp or udp) of X": the
            # one option the record holds (when it holds both, "ISO number or telephone prefix", the words decide)
            written = next(t.text for t in tokens(question) if t.text.lower() == offered[0][0])
            answer = written if len(offered[0]) == 1 else " ".join(offered[0])
            return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))], answer,
                              "observation", 0, [record.id])
        if named_subject and record.alias in (fold(span), fold((used or span).split()[-1])) \
                and self._asks_identity(question):
            name = BRACKET_END.sub("", record.subject_text)  # "code xcw - what language is that?": the record's
            if name and fold(name) != record.alias and fold(name) not in fold(question):  # name, by its id's code
                return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))], name,
                                  "observation", 0, [record.id])
        wanted = self._wanted(question, [used or span])
        wanted += [w for w in _spelled_out(question, cands, used or span, wanted) if w not in wanted]  # "PI": the
        # words of the label it stands for
        low, named_words = [t.text.lower() for t in tokens(question)], [t.text.lower() for t in tokens(used or span)]
        places = [(i, i + len(named_words)) for i in range(len(low) - len(named_words) + 1)
                  if named_words and low[i: i + len(named_words)] == named_words]
        kinds = self._words_after(question, places)
        if self._opens_with_kind(question) and places:  # "Which package ships the lsipc manual page?": the
            # kind asked is the answer's; the words closing the question after the name say what the named thing is
            kinds |= self._closing_words(low, places[-1])
        wanted = [w for w in wanted if w not in kinds] or wanted  # "the on-call engineer on the <title> incident"
        if named_subject:  # "When was Debian Lenny released?": a name the record holds as a whole value states it
            capitals = {fold(t.text) for t in tokens(question)[1:] if t.text[:1].isupper()}  # as a name is written:
            # "When was site X closed?" asks the closure date of a record whose status reads "Closed"
            stated = {fold(c.text) for c in cands if c.text[:1].isupper() and " " not in c.text} & capitals
            wanted = [w for w in wanted if w not in stated or w in labels]  # a label's word asks ("Requires Python")
        phrase = self._asked_phrase(question)
        asking = self._asking_words(question) if not named_subject and span else []
        if set(wanted) & set(asking) and not {t.text.lower() for t in tokens(used or span)} & set(asking):
            # "There's a man page whose gzip file is 2126 bytes. Which command is it for?": the clause stating the
            # value says nothing asked
            wanted = [w for w in wanted if w in asking]
            phrase = self._asked_phrase(" ".join(asking))
        kind = phrase[0] if phrase else None  # "Which element ...": the kind of the answer, not its label
        if not named_subject and span:
            context = _context_of(record.text, span, cands) | {w.lower() for c in cands if _stated_as(c.text, span)
                                                               for w in c.label + c.after + c.note}  # a bracketed
            # one's too, and the note after the value ("1053 days (from creation to release)")
            # "Which media type ...": when the record's subject is labelled by the whole phrase ("Media type:
            # video/x-la-asf"), the kind names it; else it is what the records
            # are ("Which element ...", "Which errno symbol ..."), or a key of another value ("signal 1; name
            # SIGHUP": "Which signal ..." asks SIGHUP, not 1), no label of the answer
            labelled = self._subject_labelled(phrase, cands, record, len(phrase)) or len(phrase) >= 2 and any(
                fold(c.text) != record.subject and (
                    all(matches(p, [w.lower() for w in c.label[:NEAR_LABEL + 1]], self.same) for p in phrase)
                    or c.label[:1] and matches(phrase[-2], [c.label[0].lower()], self.same)
                    and is_value(c.text) and not NUMBER.fullmatch(c.text)
                    or c.label[:1] and matches(phrase[-1], [c.label[0].lower()], self.same) and (
                        c.column >= 0 or c.label[1:2] and matches(phrase[-2], [c.label[1].lower()], self.same)))
                for c in cands) or self._phrase_of(question, phrase, used or span)
            # "Give me the reorder point for X": a phrase of several words that labels one of X's
            # values asks that field, no kind; so does one whose modifier is a code's own label ("the policy number
            # for X": "... holds home buildings policy QFP-HBL-4730131"); so does one whose head is a column's header
            # ("which outside counsel firm handles ...": the column "firm") or whose last two words a key's are
            # ("Which ISO 639 language code ...": "Language codes: deu")
            if self._opens_with_kind(question):
                # "Which named X11 color is ...": the whole phrase is the kind, its head what the answer is called
                # ("the country whose alpha-3 code ...": "whose" opens no question); the question's own label of the
                # value it states asks nothing else ("Which EtherType has the hex value 88F7?")
                stating = _label_before(question, used or span, self.language.stop_words, self.language.stating,
                                        self.language.copulas)
                wanted = [w for w in wanted if not matches(w, context, self.same) and w not in stating
                          and (w not in phrase or labelled)]  # the label the question gives the value it states,
                # word for word: "booked" still asks in "the shipment with booking ref X was booked"
                context |= stating
                head = [w for w in phrase if w not in stating or w == phrase[0]]  # "the tool documented as ...":
                kind = head[-1] if head else kind  # "documented" says how the stated value is given, not the kind
            else:
                wanted = [w for w in wanted if not matches(w, context, self.same) and (w != kind or labelled)]
        if not named_subject and span and self.language.asks_organisation(question) \
                and (org := self._organisation(record, cands, question)) is not None:  # "Which company do they work
            # for?": the one organisation's name the record holds that few records do (not the issuer every one names)
            return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))], org.text,
                              "observation", 0, [record.id])
        if not named_subject and span and phrase and not any(  # a subject that says the kind is the answer
                matches(fold(w), phrase[-1:], self.same) for w in record.subject_text.split()) \
                and (named_kind := self._named_kind(question, cands, phrase, options)):
            # "Which hospital or clinic has X as its coordinator?": the one name the record holds that ends with the
            # kind asked ("Stavmere University Hospital"), whatever the record's subject
            return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))], named_kind.text,
                              "observation", 0, [record.id])
        # "Which of our suppliers ...": the subject's own label, near it, says that kind ("Supplier contract check:")
        subject_kind = not named_subject and span and self._subject_labelled(phrase, cands, record, NEAR_LABEL)
        if not named_subject and span and record.subject_text and fold(record.subject_text) == record.subject \
                and (set(wanted) & self.language.naming or subject_kind) and record.subject not in fold(question):
            # "I need the name of the instrument with asset tag AT-79653": what the record is about, by its name
            own = self._own_name(record, cands, question)
            title = (self._labelled_title(cands, question) or _title(record)) if set(wanted) & self.language.titles \
                else None  # "the title of the incident"; "Project title: Folk Fiddle Recordings" where a field says it
            answer = title or (own.text if own else record.subject_text)
            named_as = {c.text for c in cands if c.label and c.label[0].lower() in self.language.naming
                        and fold(c.text) not in fold(question) and fold(c.text) != fold(record.id)}
            if fold(answer) == fold(record.id) and len(named_as) == 1 and set(wanted) & self.language.naming:
                answer = named_as.pop()  # "record_id=pc-adwaita-icon-theme ... display_name=gnome-icon-theme": asked
                # what it is called, the one name field answers where the record's subject is only its id (not "which
                # incident", whose number is the id)
            elif fold(answer) == fold(record.id) and (kinded := self._kind_value(record, cands, phrase, question)):
                answer = kinded.text  # "Subject: ep-setuptools-build-ext ... entry point 'build_ext'"
            answer = self._as_file(answer, cands, wanted + phrase)
            kind_words = answer.split()[:len(phrase)]
            if phrase and len(answer.split()) > len(phrase) and all(matches(w.lower(), phrase, self.same)
                                                                    for w in kind_words):
                answer = " ".join(answer.split()[len(phrase):])  # "WORK ORDER WO-2532505" for "which work order"
            return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))],
                              answer, "observation", 0, [record.id])
        cands = [_split_label(c, wanted) for c in cands]
        plain = self._not_set_aside(question)  # "below U+0080 (not the total)": what the question asks
        plain_words = [t.text.lower() for t in tokens(plain)]
        counted = self.language.asks_quantity(plain)
        cell = next((c for c in cands if c.row >= 0 and fold(c.text) == fold(used or span)), None)
        if cell is not None and not named_subject:  # a table of many rows: the row the question names
            cands = [c for c in cands if c.row == cell.row]
        if named_subject:  # "the gross total of invoice X", "the hotel total": one record's field leaves nothing to
            # add up; an operator word that labels one of X's values names it
            wanted += [w for w in plain_words if w in self.content_stop and w not in self.language.stop_words and w in labels
                       and w not in wanted]
        ranking = ranked(cands, wanted, question, stop_words=self.language.stop_words, same=self.same)
        lasting = set(plain_words) & self.language.durations
        lasted = bool(lasting and ranking and NUMBER.fullmatch(ranking[0].text)
                      and lasting & {w.lower() for w in ranking[0].label[:NEAR_LABEL] + ranking[0].after[:1]})
        counted = counted or lasted  # "days past due at the report date": a count of the days the best value's
        # label says, not a date
        top = tied(ranking)
        if phrase and len(top) > 1 and 0 < len(own_asked := [c for c in top if any(
                matches(p, [w.lower() for w in c.label[:1]], self.same) for p in phrase)]) < len(top):
            # "What licence is declared by the distribution behind X": of two values the words label alike, the
            # one the question asks first, by its own label ("licence"), not the one a later word names
            ranking = own_asked + [c for c in ranking if all(c is not o for o in own_asked)]
        asking = self._asking_clause(question) if named_subject else set()
        if asking and (own := [w for w in wanted if w in asking]):  # "X shows up with a program number and a line
            # number; which line is it on?": the clause that asks, where its words label a value, says which
            narrowed = ranked(cands, own, question, stop_words=self.language.stop_words, same=self.same)
            if narrowed and narrowed[0].score > 0.5:
                ranking = narrowed + [c for c in ranking if all(c is not n for n in narrowed)]
        if not counted and named_subject and len(ranking) > 1:  # "the first dependency": "dependencies: 10" counts
            # them, an item of them answers; a count labelled only by the plural of the question's noun drops behind
            singular = {w for w in wanted if not w.endswith("s")}
            tallies = [c for c in ranking if c.text.isdigit() and any(
                w.lower() in (q + "s", q + "es", q[:-1] + "ies") for w in c.label[:NEAR_LABEL] for q in singular)]
            ranking = [c for c in ranking if c not in tallies] + tallies
        if counted and (named_subject or ranking and not NUMBER.fullmatch(ranking[0].text)):  # named by a value,
            # or found by the whole question: "How much did the parts come to on the job for asset X", "how many
            # openings are on the content strategist req in dublin": a number, not the job's code
            numbers = [c for c in ranking if NUMBER.fullmatch(c.text)]  # "How many lines ...": a number answers
            ranking = self._counts_first(numbers, wanted, plain) or ranking
        if (named_subject or span and not self._opens_with_kind(question)) and self.language.asks_time(plain) \
                and not lasted:  # "When was it formed?", "EXC-23660 - the date it was approved" (a value of the
            # record names it): a year or a date answers; with no label of the question's, the record's only one
            # does ("dates from 2009")
            unstated = [c for c in cands if _is_date(c, self.language) and c.text not in question]
            dated = [c for c in ranking if _is_date(c, self.language)]
            if not counted:  # "In which year did its validity begin?": "Validity (years): 28" is a length of time
                ranking = [c for c in ranking if _is_date(c, self.language) or not NUMBER.fullmatch(c.text)
                           or not any(self.language.asks_time(w) for w in c.label[:2] + c.after[:1])]
            followed = [c for c in unstated if any(matches(w.lower(), wanted, self.same) for w in c.after[:1])]
            if dated:
                ranking = dated
            elif len(followed) == 1 and not counted:  # "2022-09-05T12:51 SUBMIT ..." of a log: the event a date
                # stamps follows it, and the values after the event are its fields, no time
                ranking = followed
            elif unstated and not counted and (not ranking or not score(
                    ranking[0], [w for w in wanted if not self.language.asks_time(w)], self.language.stop_words,
                    same=self.same)):  # "which year does it stop": a date, not "30 years" (only the time word
                # found it); among several, the range's end asked, or the model's choice. A whole date before a year
                full = [c for c in unstated if c.date or "-" in c.text]
                ranking = full or unstated
                for c in ranking:
                    c.score = 0.0
            elif not ranking:
                ranking = unstated if len(unstated) == 1 else []
        if named_subject and self.language.asks_person(plain):  # "Who signed the upload?": a person's name
            # answers; with none the question's words label, the record's only one ("... -- Ann Lee, 2023-04-02")
            ranking = _answering_kind(ranking, cands, question, _person_shaped)
        if (shape := self.language.shape(plain)) is not None \
                and not any(shaped(w, shape) for w in question.split()):  # "CVD-P0561 attorney email": a value written
            # as an address answers, the same way (not "who has the e-mail x@y.example", which states the address)
            ranking = _answering_kind(ranking, cands, question, lambda c: shaped(c.text, shape))
        if not ranking and named_subject:  # "kiwisolver (v1.5.1)": "what version ..." (a family of "v", its prefix)
            tagged = [c for c in cands if VERSION.fullmatch(c.text) and any(self.same(c.text[0].lower(), w) for w in wanted)]
            ranking = tagged if len(tagged) == 1 else ranking
        if not ranking and kind and not named_subject and span:  # no other word of the question labels a value:
            # the kind is what the answer is called ("Which character ...": "The character ☄ is named COMET")
            ranking = [c for c in ranked(cands, [kind], question, stop_words=self.language.stop_words, same=self.same)
                       if matches(kind, [w.lower() for w in c.label[:1]], self.same)]  # its own label, right
            # before it: not a word of a sentence that goes on to another value ("a floor lamp with a brightness of
            # 1200", "the named shades in the Harbor paint catalogue")
        asked = self.language.notation(plain) if named_subject else None
        if asked is not None:  # "the hexadecimal opcode", "its decimal value": a number written so
            kinds = ("hex", "codepoint") if asked == "hex" else (asked,)  # "the hex code point": U+20AC
            written_so = {w.lower() for w in self.language.notations[asked]}
            rest = [w for w in wanted if w not in written_so]
            top = next((c for c in ranking if notation(c.text) in kinds), None)
            if top is not None and rest and any(w.lower() in written_so for w in top.label) and (unlabelled := [
                    c for c in ranked([copy.copy(c) for c in cands], rest, question, stop_words=self.language.stop_words,
                                      same=self.same) if notation(c.text) in kinds]):  # "the decimal keysym value" ("value: 0x06d8 / 1752"; "code
                # point, decimal: 1100"): the notation says how the value is written, the other words which value
                unlabelled[0].score = max(unlabelled[0].score, top.score)  # it is, over a label that says it
                ranking = unlabelled[:1] + [c for c in ranking if c.start != unlabelled[0].start]
            written = [c for c in cands if notation(c.text) in kinds and c.text not in question] or [
                Candidate(c.text.split()[0], c.start, c.start + 1, label=c.label) for c in cands  # "U+063A ARABIC
                if notation(c.text.split()[0]) in kinds and c.text.split()[0] not in question]  # LETTER GHAIN
            if [c for c in ranking if notation(c.text) in kinds]:
                ranking = [c for c in ranking if notation(c.text) in kinds]
            elif written and ranking:  # the value the words found, written otherwise: the one written nearest it,
                near = min(written, key=lambda c: abs(c.start - ranking[0].start))
                near.score = max(near.score, ranking[0].score)  # in its place
                ranking = [near] + [c for c in ranking if c is not near]
            elif len(written) == 1:
                ranking = written
        end = self.language.range_end(plain) if named_subject else None
        if end is not None:  # "the start date", "when does it finish": that end of a range the record writes
            if ranking and ranking[0].range_end and ranking[0].range_end != end:
                other = [c for c in cands if c.start == ranking[0].partner]
                for c in other:
                    c.score = max(c.score, ranking[0].score)  # in its place: a set-aside word drops no unlabelled end
                ranking = other + ranking
            elif not ranking:
                ends = [c for c in cands if c.range_end == end]
                ranking = ends if len(ends) == 1 else []
            elif len(top := tied(ranking)) > 1 and all(_is_date(c, self.language) for c in top):  # "starts 2012-01-12,
                # ends 2042-01-12" with no range word between: the first or the last the record writes
                ranking = [top[0] if end == "first" else top[-1]] + ranking
        if (asked_end := self.language.range_end(plain)) is not None and len(top := tied(ranking) or cands) > 1:
            # "the upper bound of the allowed range", "lowest allowed value": of the values the words tie, the one
            # whose own label names that end ("range_max", "Min")
            ends = self.language.range_ends[asked_end]
            labelled = [c for c in top if any(p.lower() in ends or len(p) >= 3 and any(e.startswith(p.lower())
                                                                                         for e in ends)
                                              for w in c.label[:2] for p in label_parts(w) if p)]
            if len(labelled) == 1:
                ranking = labelled + [c for c in ranking if c is not labelled[0]]
        nth = self.language.ordinal(plain) if named_subject else None
        if nth is not None:  # "Aliases: RSPF, CPHB": "the second alias" is the list's second item, stated or not
            lists = [[c for c in cands if c.colon == r.colon] for r in ranking if r.colon > 0]
            items = next((found for found in lists if len(found) >= max(2, abs(nth))), None)
            if items is not None:
                ranking = [items[nth - 1 if nth > 0 else nth]] + ranking
        if named_subject and set(plain_words) & self.language.naming and not counted:
            named_only = [c for c in ranking if not NUMBER.fullmatch(c.text) and not _is_date(c, self.language)]
            ranking = named_only or ranking  # "the name of the landlord company we rent X from": a name, no amount
        unwanted = [w for w in self._unwanted(question)
                    if w not in wanted and not (counted and w in self.language.quantity)]
        # "the numeric code, not the letter code": "code" is asked too, only "letter" is set aside; "the number of
        # Wants= entries, not the After= count": a quantity is asked too, only "After" is set aside
        if unwanted:  # "the alias, not its port": a value labelled by what is set aside drops below the others
            for c in ranking:
                c.score -= score(c, unwanted, self.language.stop_words, same=self.same_dimension)
            ranking = sorted((c for c in ranking if c.score > 0), key=lambda c: -c.score)
        best = await self._best(question, record, ranking)
        if best is not None and not span and best.score < 1.0:
            return None  # found by the whole question only: a weak match is no answer
        if best is not None and not named_subject and span and record.subject_text and best.score < NEAR_SCORE \
                and (self._asks_kind(question) or not any(matches(w.lower(), wanted, self.same)
                                                          for w in best.label[:NEAR_LABEL] + best.after[:2])):
            # a near label's word that several values' labels share ("Loss location", "Date of loss") still asks, where
            # the question names no kind of thing it asks ("Where did the loss on X's claim take place?")
            best = None  # "supplier for PO-436266": a word far from any value ("our catering supplier under contract
            # ... since August 1, 2021") says what the subject is, not which value is asked
        if best is None and not named_subject and span:  # asked by a value or a description: the subject, or the
            # value nearest the words that found the document when the record has no subject
            quote = quoted(question)  # a quoted description may hold the name it describes
            asked = (question.replace(quote, " ") if quote else question).lower()
            unstated = [c for c in cands if c.text.lower() not in asked]
            subject = record.subject_text if record.subject_text and fold(record.subject_text) == record.subject \
                and not re.search(r"(?<![\w-])" + re.escape(record.subject) + r"(?![\w-])", fold(asked)) else ""
            own = [w.lower() for c in cands if fold(c.text) == record.subject for w in c.label[:NEAR_LABEL]
                   if w.lower() not in self.language.stop_words | self.language.mail_subjects]
            title = _title(record) if set(phrase) & self.language.titles or phrase and own and not any(
                matches(w, phrase, self.same) for w in labels) else None  # "what title is that", "what book did Ann
            # have out" of "Loan notice LN-1 - "Salt Road"": a thing no label of the record names (the id's own label,
            # "Loan notice", says what the id names), where a title, as a name is written, follows the id
            title = title if title and (title[:1].isupper() or set(phrase) & self.language.titles) else None
            best = (Candidate(title, 0, 1) if title and fold(title) not in fold(asked) else None) \
                or (self._own_name(record, cands, asked) if subject else None) \
                or next((c for c in unstated if fold(c.text) == record.subject), None) \
                or (Candidate(subject, 0, 1) if subject else None) or _nearest(unstated, _position(record.text, span))
        if best is not None and named_subject and wanted and best.score < NEAR_SCORE:  # found by far words only:
            # the value whose clause holds more of the question's words, when one does ("Talia Oakhurst is the
            # contact person at the supplier" for "Who is the contact person at the supplier?")
            timed = self.language.asks_time(plain)
            held = {c.start: (c, n) for c, n in self._clause_hits(record, cands, question, wanted)
                    if (not timed or _is_date(c, self.language)) and (not counted or NUMBER.fullmatch(c.text))}
            # the kind the question asks holds here too: "When was Debian Lenny released?" is no "Debian release
            # record" title, however many of its words that clause holds
            most = max((n for _, n in held.values()), default=0)
            top = [c for c, n in held.values() if n == most]
            if most >= 2 and len(top) == 1 and most > held.get(best.start, (best, 0))[1]:
                best = top[0]
        if best is None and named_subject and wanted:  # no label or following word holds the question.s words:
            # the one value whose clause does ("the Westsea line operates her" for "Who operates ...?")
            holders = [c for c, n in self._clause_hits(record, cands, question, wanted) if n]
            best = holders[0] if len(holders) == 1 else None
        if best is None and named_subject and self.generate is not None:
            # no candidate's context holds the question's words ("Who wrote Dune?": "a novel by Frank
            # Herbert"): the model chooses among the record's whole values, never a label
            unstated = [c for c in cands if c.text.lower() not in question.lower() and fold(c.text) != record.subject]
            for c in unstated:
                c.score = 0.0
            best = await self._best(question, record, unstated, unranked=True) if len(unstated) > 1 else None
        if best is None:
            return None
        if not named_subject and fold(best.text) == fold(record.id) \
                and (kinded := self._kind_value(record, cands, phrase, question)) is not None:
            best = kinded  # "Which hook runs X?" of "hook 'orders_sync'" in record hk-orders-sync
        if not named_subject and fold(best.text) == record.subject \
                and (filed := self._as_file(best.text, cands, wanted + phrase)) != best.text:
            best = Candidate(filed, best.start, best.end)
        longer = [c.text for c in cands if fold(c.text).startswith(fold(best.text) + " ")]
        if record.subject_text and (fold(record.subject_text).startswith(fold(best.text) + " ") or (
                best.label and fold(record.subject_text).endswith(fold(" ".join(best.label[::-1] + [best.text]))))):
            best = Candidate(record.subject_text, best.start, best.end)  # "Mathematical" is "Mathematical notation";
            # "1", labelled "Amazon Root CA" in the title, is "Amazon Root CA 1"
        elif best.name and longer:  # "the script Mathematical notation. Registered name: Mathematical notation"
            best = Candidate(max(longer, key=len), best.start, best.end)
        if self.language.asks_person(plain) and self.language.shape(plain) != "email" \
                and not set(plain_words) & self.language.reaching and (addressed := _ADDRESSED.fullmatch(best.text)):
            best = Candidate(addressed.group(1), best.start, best.end)  # "Who maintained it?": the person, not
            # the mail address written after the name ("James Kidd <james.kidd@example.com>")
        if best.text.count("<") > best.text.count(">") and best.text + ">" in record.text:
            best = Candidate(best.text + ">", best.start, best.end)  # "Ann Lee <ann@example.org>": the bracket
            # closing the address is the value's, though no word
        if _ends_with(best.text, self.language.organisation_ends) and not best.text.endswith(".") \
                and re.search(re.escape(best.text) + r"\.(?!\w)", record.text):
            best = Candidate(best.text + ".", best.start, best.end)  # "Eldbrook Coffee Traders Co.": the dot is the
            # abbreviation's, not the sentence's
        return Resolution([(LOOKUP_THOUGHT, self.search_action, query, self._show(record))], best.text,
                          "observation", 0, [record.id])

    async def _combine(self, question: str, names: list[Name], ops: dict[str, bool]) -> Resolution | None:
        if len(ops) != 1:
            return None
        op, larger_first = next(iter(ops.items()))
        wanted = self._wanted(question, [n.span for n in names])
        kinds = self._kinds_after(question, names) | self._counted_kind(question, names)  # "the line number of the
        # udplite protocol entry": protocol, entry; "across two claims, A and B": claims
        wanted = [w for w in wanted if w not in kinds] or wanted
        values: list[str] = []
        steps = []
        for name in names:
            record = self.index.records[await self._doc(name, question)]
            steps.append((LOOKUP_THOUGHT, self.search_action, name.span, self._show(record)))
            cands = self._candidates(record)
            own = [] if name.subject_of or any(fold(c.text) == fold(name.span) for c in cands) \
                else self._wanted(name.span, [])  # "founded" labels the year it names; a name the record holds
            # whole ("Wedge Anchor M6x20") names it, and labels no number a description writes before its words
            ranking = ranked(cands, wanted + own, question.replace(name.span, " "), numeric=True,
                             stop_words=self.language.stop_words, same=self.same)
            if self.language.asks_quantity(question):
                ranking = self._counts_first(ranking, wanted + own, question)
            best = await self._best(question, record, ranking)
            if best is None:  # no number's context holds the question's words: the record's only number (its
                # only year when the question asks about time: "how many years older"), or the model's choice
                numbers = [c for c in cands if NUMBER.fullmatch(c.text) and c.text not in question]
                dated = [c for c in numbers if _is_date(c, self.language)]
                if self.language.asks_time(question) and len(dated) == 1:
                    numbers = dated
                for c in numbers:
                    c.score = 0.0
                best = numbers[0] if len(numbers) == 1 else await self._best(question, record, numbers, unranked=True) \
                    if self.generate is not None else None
            if best is None:
                return None
            value = best.text.replace(",", "").replace("−", "-").lstrip("+")
            values.append(f"({value})" if value.startswith("-") else value)
        if op in "-/":
            values = values[:2]
            first, second = names[0], names[1]
            if larger_first or first.start >= 0 and second.start >= 0:
                toks = tokens(question)
                values = self._in_order(values, larger_first, " ".join(t.text for t in toks[: first.start]),
                                        " ".join(t.text for t in toks[first.end: second.start]))
        return self._calculation(steps, op, values, [n.doc for n in names])

    def _in_order(self, values: list[str], larger_first: bool, before: str, between: str) -> list[str]:
        """Two operands as the question orders them: the larger first where a comparison names the operation ("the
        difference between ..."), the second first after "subtract ... from" (``before`` the first, ``between``)."""
        if larger_first:
            return values[::-1] if float(values[0].strip("()")) < float(values[1].strip("()")) else values
        return values[::-1] if self.language.reverses(before, between) else values

    def _calculation(self, steps: list[tuple[str, str, str, str]], op: str, values: list[str],
                     sources: list[str]) -> Resolution | None:
        """The looked-up ``values`` joined by ``op`` and computed, after the lookup ``steps``; None where the
        calculator refuses the expression."""
        expression = f" {op} ".join(values)
        try:
            result = format_number(evaluate(expression))
        except CalculatorError:
            return None
        steps.append((COMBINE_THOUGHT, self.calculator_action, expression, result))
        return Resolution(steps, result, "calculation", len(steps) - 1, sources)

    def _two_fields(self, question: str, name: Name, ops: dict[str, bool]) -> Resolution | None:
        """Two numbers of one named record that the question takes one from the other, or adds, by their labels ("X:
        purchased minus assigned", "for X, subtract the entry points from the RECORD files", "travel plus lodging on
        X"): each labelled by words of the question the other's label lacks, the operator's words labelling neither,
        in the order the question names them."""
        if len(ops) != 1 or (op := next(iter(ops))) not in "+-":
            return None
        larger_first = ops[op]
        record = self.index.records[name.doc]
        every = self._candidates(record)
        stated = {t.text for t in tokens(question)}  # whole words: "1" is no value "head1" states
        cands = [c for c in every if NUMBER.fullmatch(c.text) and c.text not in stated]
        labels = {w.lower() for c in every for w in c.label + c.after}
        low = [t.text.lower() for t in tokens(question)]
        if op not in self.language.operations(" ".join(w for w in low if w not in labels)):
            return None  # "the units listed in the Before= setting of X", "the total parameter count of X": the
            # operator's words label one field
        wanted = self._wanted(question, [name.span])
        ranking = ranked(cands, wanted, question.replace(name.span, " "), numeric=True,
                         stop_words=self.language.stop_words, same=self.same)

        def said(c: Candidate) -> set[str]:
            own = [w.lower() for w in c.label[:NEAR_LABEL] + c.after[:2]]  # its near label and the words after it
            return {w for w in wanted if matches(w, own, self.same)}
        found = [c for c in ranking if c.score >= 0.5 and said(c)]
        pair = next(((a, b) for i, a in enumerate(found) for b in found[i + 1:]
                     if said(a) - said(b) and said(b) - said(a) and a.text != b.text), None)
        if pair is None and (plain := self._unqualified(found[:1], cands, said)) is not None:
            pair = (found[0], plain)  # "heavier than at its previous visit": "Prev weight kg: 36.7" against the
            # field its label qualifies, "Weight kg: 38.5", which the question names by no word of its own
            found = [c for c in found if c is not plain]
        if pair is None or any(said(c) - said(pair[0]) - said(pair[1]) for c in found[:2]
                               if c is not pair[0] and c is not pair[1]):
            return None
        at = [min((low.index(w) for w in said(c) - said(other) if w in low), default=-1)
              for c, other in (pair, pair[::-1])]  # where the question names each by a word of its own
        if at[1] < 0 and at[0] >= 0 and not said(pair[1]) - said(pair[0]):
            at[1] = len(low)  # the unqualified field, named by no word: the qualified one is the reference
        if min(at) < 0:
            return None
        (at_a, a), (at_b, b) = sorted(zip(at, pair), key=lambda p: p[0])
        if op == "+" and not any(holds(low[at_a:at_b], p) for p in self.language.arithmetic.infix["+"]):
            return None  # "travel plus lodging": a sum only where an operator word joins the two labels, not "the
            # total parameter count ..., counting the ones that have defaults"
        values = self._in_order([v.text.replace(",", "") for v in (a, b)], larger_first, " ".join(low[:at_a]),
                                " ".join(low[at_a:at_b]))  # "the difference between ...", "subtract A from B"
        return self._calculation([(LOOKUP_THOUGHT, self.search_action, name.span, self._show(record))], op,
                                 values, [record.id])  # "travel plus lodging on X": a sum, in any order

    def _unqualified(self, found: list[Candidate], cands: list[Candidate], said: Any) -> Candidate | None:
        """The one number whose near label is the found one's less the words the question matched it by ("Weight
        kg" for "Prev weight kg", asked "previous"), or None."""
        if not found:
            return None
        near, asked = {w.lower() for w in found[0].label[:NEAR_LABEL]}, list(said(found[0]))

        def qualifies(c: Candidate) -> bool:
            label = {w.lower() for w in c.label[:NEAR_LABEL]}
            return bool(label) and label < near and all(matches(w, asked, self.same) for w in near - label)
        plain = [c for c in cands if c is not found[0] and c.text != found[0].text and qualifies(c)]
        return plain[0] if len(plain) == 1 else None

    def _clause_hits(self, record: Record, cands: list[Candidate], question: str,
                     wanted: list[str]) -> list[tuple[Candidate, int]]:
        """Each value the question does not state (the subject aside), in order, with how many of the question's
        words its clause holds."""
        toks = tokens(record.text)
        return [(c, len({t.text.lower() for t in _clause(toks, c) if matches(t.text.lower(), wanted, self.same)}))
                for c in cands if c.text.lower() not in question.lower() and fold(c.text) != record.subject]

    def _counts_first(self, numbers: list[Candidate], wanted: list[str], question: str = "") -> list[Candidate]:
        """Asked a quantity, a number whose next word is the thing asked ("registered under 12 aliases: 8859,
        cp819, ..." for "the alias count") before the numbers its words label (an item of the list it counts);
        the thing counted, where the question says it ("how many units are listed": units, not "listed")."""
        if not numbers or numbers[0].colon < 0:
            return numbers
        things = [w for w in self._counted(question) if w in wanted] or wanted
        counts = [c for c in numbers if c.after[:1] and matches(c.after[0].lower(), things, self.same)]
        for c in counts:
            c.score = max(c.score, numbers[0].score)
        return counts + [c for c in numbers if all(c is not n for n in counts)]

    def _counted(self, question: str) -> list[str]:
        """The words a quantity phrase says are counted: the content words right after "how many" / "number of"
        ("how many units are listed": units), those right before "count" ("the string capability counts")."""
        low = [t.text.lower() for t in tokens(question) if not t.mark]
        out = []
        for phrase in self.language.quantity:
            part = phrase.split()
            for i in range(len(low) - len(part) + 1):
                if low[i: i + len(part)] != part:
                    continue
                side = low[i + len(part):] if len(part) > 1 else low[:i][::-1]
                out += itertools.takewhile(lambda w: w not in self.language.stop_words, side)
        return out

    def _counted_kind(self, question: str, names: list[Name]) -> set[str]:
        """The noun a count puts right before the names it lists ("the receipts across two claims, A and B":
        claims): what the named things are, not the value asked."""
        first = min((n.start for n in names if n.start >= 0), default=-1)
        toks = tokens(question)
        k = first - 1
        while k >= 0 and toks[k].mark:
            k -= 1
        if k < 1 or not toks[k].text.isalpha():
            return set()
        count = toks[k - 1].text.lower()
        return {toks[k].text.lower()} if count.isdigit() or count in self.language.arithmetic.number_words else set()

    def _kinds_after(self, question: str, names: list[Name]) -> set[str]:
        """The words right after a name that follows "of" ("the line number of the udplite protocol entry"), up to
        a function word: what the named thing is, not the value asked ("the Bergen office headcount", with no
        "of" before it, asks its last word)."""
        return self._words_after(question, [(n.start, n.end) for n in names if n.start >= 0])

    def _closing_words(self, low: list[str], place: tuple[int, int]) -> set[str]:
        """The content words after the name at ``place`` (its last one) in the question ``low``, an article before
        it, when only they (and marks) close it ("... ships the lsipc manual page?"); else empty."""
        start, end = place
        if start == 0 or low[start - 1] not in self.language.arithmetic.articles:
            return set()  # "the lsipc manual page": a noun phrase the name opens; not "does qmtp use"
        after = low[end:]
        while after and not after[-1][:1].isalnum():
            after.pop()
        if not after or any(not w[:1].isalpha() or w in self.language.stop_words for w in after):
            return set()
        return set(after)

    def _words_after(self, question: str, places: list[tuple[int, int]]) -> set[str]:
        toks = tokens(question)
        low = [t.text.lower() for t in toks]
        out: set[str] = set()
        for start, end in places:
            k = start - 1
            before = []  # "the buyer responsible for stock item WH-95037": "stock item" says what WH-95037 is
            while k >= 0 and not toks[k].mark and low[k] not in self.language.stop_words:
                before.append(low[k])
                k -= 1
            if before and k >= 0 and low[k] in self.language.of_words:
                out.update(before)
            k = start - 1
            while k >= 0 and low[k] in self.language.arithmetic.articles:
                k -= 1
            if k < 0 or low[k] not in self.language.of_words:
                continue
            k = end
            while k < len(toks) and not toks[k].mark and low[k] not in self.language.stop_words:
                out.add(low[k])
                k += 1
        return out

    async def _best(self, question: str, record: Record, ranking: list[Candidate], unranked: bool = False
                    ) -> Candidate | None:
        """The top candidate. Where the question's words ranked nothing (``unranked``: every value is as likely),
        the one the model's constrained choice picks among the tied whole values (one call, the document and the
        question as its prompt). A tie the words left stays in the ranking's order: the document's order, or the
        place a reading gave ("the second alias", "the start date"), which a small model's choice would undo."""
        top = tied(ranking)
        if len(top) < 2 or self.generate is None or not unranked:
            return ranking[0] if ranking else None
        prompt = f"Document: {record.text}\nQuestion: {question}\nAnswer:"
        try:
            picked = (await self.generate(prompt, self.choice_tokens, choices=[f" {c.text}" for c in top])).strip()
        except Exception:  # noqa: BLE001 - the model is unavailable: the first in the document's order
            return top[0]
        return next((c for c in top if c.text == picked), top[0])

    def _kind_value(self, record: Record, cands: list[Candidate], phrase: list[str] | None,
                    question: str) -> Candidate | None:
        """The one value the kind asked labels right before it ("entry point 'build_ext'"), other than the record's id
        and what the question states, or None: where a catalogue's id is the record's subject, no name a user asks."""
        if not phrase:
            return None
        stated = {fold(t.text) for t in tokens(question)}
        kinded = [c for c in cands if not c.weak and c.label[:1]
                  and any(matches(p, [c.label[0].lower()], self.same) for p in phrase)
                  and fold(c.text) not in stated and fold(c.text) != fold(record.id)]
        return kinded[0] if len(kinded) == 1 else None

    def _subject_labelled(self, phrase: list[str], cands: list[Candidate], record: Record, width: int) -> bool:
        """Whether every word of ``phrase`` is among the first ``width`` words of the subject's own label, or its
        head is the word right after the subject ("The liblsan0 package"), or every word is among the words the
        subject writes before its last ("WORK ORDER WO-2532505" is a work order)."""
        own = record.subject.split()[:-1]
        return bool(phrase) and (any(all(matches(p, [w.lower() for w in c.label[:width]], self.same) for p in phrase)
                                     or matches(phrase[-1], [w.lower() for w in c.after[:1]], self.same)
                                     for c in cands if fold(c.text) == record.subject)  # "The liblsan0 package ..."
                                 or bool(own) and all(matches(p, own, self.same) for p in phrase))

    def _opens_with_kind(self, question: str) -> bool:
        """Whether the question's first word is a kind word ("Which named X11 color ..."), not a relative one,
        or a request whose object is the kind ("Name the script whose ...")."""
        first = next((t.text.lower() for t in tokens(question) if not t.mark), "")
        return first in self.language.kind_words or self._requested(question) is not None

    def _named_kind(self, question: str, cands: list[Candidate], phrase: list[str], options: list[list[str]]
                    ) -> Candidate | None:
        """The one name of several words, not in the question, whose last word is the kind asked or one of the kinds
        the question offers ("Which hospital or clinic ...": "... University Hospital"); else None."""
        kinds = [phrase[-1]] + [o[-1] for o in options if o]
        asked = fold(question)
        found: dict[str, Candidate] = {}
        for c in cands:
            text = BRACKET_END.sub("", c.text)  # "Stavmere University Hospital (Coimbra)": the name before its place
            last = fold(text.split()[-1]) if text.split() else ""
            if c.name and " " in text.strip() and fold(text) not in asked and matches(last, kinds, self.same) \
                    and not any(_plural_of(last, k) for k in kinds) \
                    and not (c.label[:1] and c.label[0].lower() in self.language.sorting):
                # "Marketing > Campaigns > ..." is a heading of all of them, not the name of the one asked ("Which
                # campaign ..."); "Kind: Find module" a sort of thing
                found[fold(text)] = Candidate(text, c.start, c.end)
        return next(iter(found.values())) if len(found) == 1 else None

    def _phrase_of(self, question: str, phrase: list[str], span: str) -> bool:
        """Whether the request's object is followed by a word that ties it to the name the question gives ("Give me
        the monthly service charge (not the rent) for Brindlecombe Exchange"): a field of that thing, no kind."""
        if not phrase or not span:
            return False
        ties = "|".join(re.escape(w) for w in self.language.of_words)
        return re.search(re.escape(" ".join(phrase)) + r"\s*(?:\([^()]*\)\s*)?(?:" + ties + r")\s+(?:\w+\s+)?"
                         + re.escape(fold(span)) + r"(?!\w)", fold(question)) is not None

    def _asks_field(self, question: str) -> bool:
        """Whether the question asks one of a thing's values, not what the thing is: a time, a person, the object of
        its request tied by "of" to what follows ("Give me the author of the book ..."), or no kind and no name."""
        words = [t.text.lower() for t in tokens(question) if not t.mark]
        if set(words) & self.language.naming:
            return False
        phrase = self._asked_phrase(question)
        tied = bool(phrase) and any(words[i: i + len(phrase)] == phrase and i + len(phrase) < len(words)
                                    and words[i + len(phrase)] in self.language.of_words for i in range(len(words)))
        return self.language.asks_time(question) or self.language.asks_person(question) or tied \
            or not self._asks_kind(question)

    def _asks_identity(self, question: str) -> bool:
        """Whether the question asks what the thing it names is: a kind word, its noun, a copula and a word standing
        for the thing ("what language is that", "which country is it")."""
        words = [t.text.lower() for t in tokens(question) if not t.mark]
        return any(w in self.language.kind_words and words[i + 2] in self.language.copulas
                   and words[i + 3] in self.language.demonstratives for i, w in enumerate(words[:-3]))

    def _asks_kind(self, question: str) -> bool:
        """Whether the question asks what kind of thing it means: a kind word before a noun or a word standing for
        one ("which command does that page cover", "Which one was it?"), not before a verb ("What was the ...")."""
        words = [t.text.lower() for t in tokens(question) if not t.mark]
        return self._requested(question) is not None or any(
            w in self.language.kind_words
            and (nxt not in self.language.stop_words or nxt in self.language.kind_pronouns)
            for w, nxt in zip(words, words[1:]))

    def _not_opening_request(self, question: str, names: list[Name]) -> list[Name]:
        """``names`` less those that are only the request verbs opening the question ("Look up the numeric code for
        Germany"), which ask for the answer even where a record's subject is that word (the `look` command)."""
        words = [t.text.lower() for t in tokens(question)]
        opening = self._requests_opening(words)
        return [n for n in names if not 0 <= n.start or not n.end <= opening < len(words)]

    def _requests_opening(self, words: list[str]) -> int:
        """How many request verbs open the question's ``words`` ("Please give me ...": two)."""
        return sum(1 for _ in itertools.takewhile(lambda w: w in self.language.requests, words))

    def _requested(self, question: str) -> int | None:
        """Where the object of a request that opens the question starts ("Name the script ...": at "script")."""
        words = [t.text.lower() for t in tokens(question)]
        i = self._requests_opening(words)
        if i == 0:
            return None
        while i < len(words) and words[i] in self.language.stop_words:
            i += 1
        return i if i < len(words) and words[i] not in DELIMITERS else None

    def _asking_clause(self, question: str) -> set[str]:
        """The words of the question's last clause that opens with a kind word, when an earlier clause states
        things first ("..., a program number and a line number; which line is it on?"); else none."""
        return set(self._asking_words(question))

    def _asking_words(self, question: str) -> list[str]:
        """`_asking_clause`'s words in their order."""
        clauses: list[list[str]] = [[]]
        for t in tokens(question):
            if t.text in ";.?!" or t.text in ("-", "—", "–", "--"):  # a dash between spaces ends a clause too
                clauses.append([])
            elif not t.mark:
                clauses[-1].append(t.text.lower())
        clauses = [c for c in clauses if c]
        asking = [k for k, c in enumerate(clauses) if k and c[0] in self.language.kind_words]
        return clauses[asking[-1]] if asking else []

    def _asked_phrase(self, question: str) -> list[str]:
        """The content words right after a kind word ("Which media type is ...": media, type), or a request's
        object ("Name the script whose ...": script), at most three."""
        words = [t.text.lower() for t in tokens(question)]
        opened = [i + 1 for i, w in enumerate(words[:-1]) if w in self.language.kind_words]
        requested = self._requested(question)
        for start in ([requested] if requested is not None else []) + opened:
            if words[start] == "of":  # "Which of our suppliers ...": suppliers
                start += 1
                while start < len(words) and words[start] in self.language.stop_words:
                    start += 1
                if start >= len(words):
                    continue
            if words[start] not in self.language.stop_words | DELIMITERS:
                phrase = list(itertools.takewhile(lambda x: x not in self.language.stop_words and x not in DELIMITERS,
                                                  words[start:]))
                return phrase[:3]
        return []

    def _candidates(self, record: Record) -> list[Candidate]:
        """The record's whole values, less a sentence's first word that the store also writes in small
        letters or that starts sentences of many records ("Described as ...", "Its code point"): a capital
        the sentence start gave, or a template's word, not a name."""
        found = candidates(record.text, self.language.name_connectors, self.language.stop_words,
                           self.language.clause_joiners | self.language.copulas, self.language.months,
                           self.language.copulas)
        toks = tokens(record.text)

        if record.subject and not any(fold(c.text) == record.subject for c in found):
            # a subject in small letters ("The nntp service uses ..."): a value, with its own following words
            at = next((t.index for t in toks if fold(t.text) == record.subject), None)
            if at is not None:
                after = [t.text for t in toks[at + 1: at + 2] if not t.mark and t.text.lower() not in self.language.stop_words]
                found.append(Candidate(toks[at].text, at, at + 1, label=[t.text for t in toks[:at]][::-1], after=after))

        for s in [i for i, t in enumerate(toks) if not t.mark and t.text.lower() in self.index.field_keys
                  and (i == 0 or toks[i - 1].text in FIELD_MARKS)]:  # "class server error;": the key, then its value (a
            # line with a colon further on is a key's: "code point, decimal: 1100")
            end = next((k for k in range(s + 1, len(toks)) if toks[k].mark), len(toks))
            line_end = next((k for k in range(end, len(toks)) if toks[k].text in FIELD_MARKS), len(toks))
            if 1 <= end - s - 1 <= 6 and toks[s].text.islower() \
                    and not any(toks[k].text == ":" for k in range(end, line_end)) \
                    and not any(not c.weak and s < c.end and c.start < end for c in found):
                found = [c for c in found if not s < c.start < end] + [Candidate(
                    record.text[toks[s + 1].at: toks[end - 1].at + len(toks[end - 1].text)], s + 1, end,
                    label=[toks[s].text])]
        found.sort(key=lambda c: c.start)
        for c in found:
            if (c.start == 0 or toks[c.start - 1].text in ("\n", "[")) and _is_date(c, self.language):
                c.label = _event(toks, c.end) + c.label  # "2024-09-03  PICKED UP  421 pkgs": a log line's event

        def opener(c: Candidate) -> bool:
            low = c.text.lower()
            return c.name and c.end - c.start == 1 and (c.start == 0 or toks[c.start - 1].text in ".!?") \
                and not is_value(c.text) and (low in self.index.lower_seen or len(self.index.by_word.get(low, ())) >= self.index.many)
        values = [c for c in found if not c.weak]
        for a, b in zip(values, values[1:]):  # "Runs 14 June 2025 to 23 June 2025": the two ends of a range
            between = toks[a.end: b.start]
            if len(between) == 1 and (between[0].text.lower() in self.language.range_joiners or between[0].text in
                                      "-–—" and _is_date(a, self.language) and _is_date(b, self.language)) \
                    and _shape(a, self.language) and _shape(a, self.language) == _shape(b, self.language):  # "Trip:
                # 19 Sep 2024 - 21 Sep 2024": two dates a dash joins are a range too
                a.range_end, a.partner, b.range_end, b.partner = "first", b.start, "last", a.start
        kept = []
        for c in found:
            if opener(c):  # "Built in Aarhus in 2016, ...", "Annual value is EUR 442,250": no value, but with the
                # words after it, the next value's label
                nxt = next((n for n in found if n.start >= c.end), None)
                if nxt is not None and not any(t.mark for t in toks[c.end: nxt.start]) and all(
                        w.lower() in self.language.stop_words or unit_code(w) for w in nxt.label):
                    own = [t.text for t in toks[c.end: nxt.start] if t.text not in nxt.label][::-1]
                    nxt.label = nxt.label + own + [c.text]
                continue
            kept.append(c)
        rates = self.language.rates
        for c in kept:  # "Price per seat is $575": a price, labelled by "Price", not by "seat"
            c.label = [w for k, w in enumerate(c.label) if not (k + 1 < len(c.label) and c.label[k + 1].lower() in rates)]
            c.after = [w for k, w in enumerate(c.after) if not (k > 0 and c.after[k - 1].lower() in rates)]
        return kept

    def _wanted(self, question: str, spans: list[str]) -> list[str]:
        """The question's content words that did not name the document and no negation set aside: what the
        answer's context should hold."""
        used = {t.text.lower() for s in spans for t in tokens(s) if not t.mark}
        toks = [t.text.lower() for t in tokens(question)]
        covered = _occurrences(toks, [[t.text.lower() for t in tokens(s) if not t.mark] for s in spans])
        if covered:  # the span's own words where it stands, not the same word elsewhere: "the blue channel of
            # midnight blue" still asks "blue"
            used = set()
        aside = self.language.set_aside(toks, with_cue=True) | covered  # "besides" labels no value
        aside |= _occurrences(toks, self.phrases)  # "how long after"
        aside |= set(itertools.takewhile(lambda i: toks[i] in self.language.requests, range(len(toks))))  # "Name
        # the module ...": the request's verb, not the "names" a record counts
        words = [w for i, w in enumerate(toks) if i not in aside and w not in DELIMITERS]
        keyed = {m.group(1).lower() for m in _WRITTEN_KEY.finditer(question)}  # "the Before= setting": a function
        # word written as a setting's key is that key
        words = [p for w in words for p in ([w, *w.split("-")] if "-" in w.strip("-") and all(
            part.isalpha() for part in w.split("-")) and not self.index.holders([w]) else [w])]  # "the highlight-link
        # counts", a compound no record writes: its words, as a label writes them apart ("Highlight Links: 20")
        wanted = [w for w in dict.fromkeys(words) if w not in used and (w not in self.content_stop or w in keyed)]
        owners = {m.group(1).lower() for m in _POSSESSIVE.finditer(question) if m.group(2).lower() in wanted
                  and m.group(2).lower() not in self.language.naming}  # "the owner's account code": the account
        # code is asked, the owner only says whose ("the owner's name" asks the owner)
        return [w for w in wanted if w not in owners] if len(owners) < len(wanted) else wanted

    def _offered(self, question: str) -> list[list[str]]:
        """The options a question offers on either side of an alternatives word, each the words up to a
        mark or a function word ("the protocol (tcp or udp)": [tcp], [udp]; "ISO number or telephone
        prefix": [iso, number], [telephone, prefix]); a list before it ("tcp, udp or sctp") too."""
        toks = tokens(question)
        out: list[list[str]] = []

        def run(k: int, step: int) -> list[str]:
            words: list[str] = []
            while 0 <= k < len(toks) and not toks[k].mark and toks[k].text.lower() not in self.content_stop \
                    and len(words) < 4:
                words.append(toks[k].text.lower())
                k += step
            return words[::-1] if step < 0 else words

        for i, t in enumerate(toks):
            if t.text.lower() not in self.language.alternatives or not 0 < i < len(toks) - 1:
                continue
            left = run(i - 1, -1)
            k = i - 1 - len(left)
            tie = k
            while tie >= 0 and toks[tie].text.lower() in self.language.arithmetic.articles:
                tie -= 1
            if tie >= 0 and toks[tie].text.lower() in self.language.of_words:
                continue  # "the fleet number of the van or truck they drive": what the asked value is of, no option
            out += [run(i + 1, 1), left]
            while k >= 1 and toks[k].text == "," and out[-1]:  # "tcp, udp or sctp"
                out.append(run(k - 1, -1))
                k -= 1 + len(out[-1])
        return [o for o in out if o]

    def _not_set_aside(self, text: str) -> str:
        """``text`` less a negation and the words it sets aside ("below U+0080 (not the total)")."""
        toks = tokens(text)
        aside = self.language.set_aside([t.text.lower() for t in toks], with_cue=True)
        return " ".join(t.text for i, t in enumerate(toks) if i not in aside)

    def _unwanted(self, question: str) -> list[str]:
        """The content words a negation sets aside ("not its port"): a value they label is not the answer."""
        toks = [t.text.lower() for t in tokens(question)]
        return [toks[i] for i in sorted(self.language.set_aside(toks)) if toks[i] not in self.content_stop]

    def _show(self, record: Record) -> str:
        text = record.text if len(record.text) <= self.max_chars else record.text[: self.max_chars - 3] + "..."
        return f"[{record.id}] {text}"


def _occurrences(toks: list[str], phrases: list[list[str]]) -> set[int]:
    """The indices of ``toks`` that any of ``phrases`` (word lists) covers, wherever it stands."""
    return {i + k for words in phrases if words for i in range(len(toks) - len(words) + 1)
            if toks[i: i + len(words)] == words for k in range(len(words))}


def _split_label(c: Candidate, wanted: list[str]) -> Candidate:
    """A run of capitals whose first word the question asks by ("ICAO EYWR" for "the ICAO code"): that word
    labels the rest, the value."""
    words = c.text.split()
    if not c.name or len(words) < 2 or words[0].lower() not in wanted:
        return c
    return Candidate(c.text[len(words[0]):].strip(), c.start + 1, c.end, label=[words[0]] + c.label, after=c.after,
                     name=True)


def _event(toks: list[Tok], at: int) -> list[str]:
    """The event a log line names in capitals after its date and time ("PICKED UP", "REQ_CREATED": picked up,
    created), nearest first as a label is; none where the line goes on otherwise."""
    while at < len(toks) and (toks[at].text in ("]", "\t") or CLOCK_TIME.fullmatch(toks[at].text)):
        at += 1
    words = []
    while at < len(toks) and toks[at].text.isupper() and toks[at].text.replace("_", "").isalpha():
        words += [w for w in toks[at].text.split("_") if w]
        at += 1
    return words[::-1]


def _clause(toks: list[Tok], c: Candidate) -> list[Tok]:
    """The words of the clause ``c`` stands in: back and on to the nearest marks, ``c`` itself left out."""
    start = c.start
    while start > 0 and not toks[start - 1].mark:
        start -= 1
    end = c.end
    while end < len(toks) and not toks[end].mark:
        end += 1
    return toks[start: c.start] + toks[c.end: end]


def _is_date(c: Candidate, language: Language) -> bool:
    """A date in words, or a year or an ISO date with no unit after it ("1395 metres" is no year)."""
    return c.date or bool(DATE.fullmatch(c.text)) and all(w.lower() in language.stop_words for w in c.after)


def _ends_with(name: str, last_words: frozenset[str]) -> bool:
    """Whether the last word of ``name``, in small letters and without a closing dot, is one of ``last_words``
    ("Byrnefield Solar Farms Ltd.")."""
    words = name.split()
    return bool(words) and words[-1].lower().strip(".") in last_words


_PERSON_WORD = re.compile(r"[^\W\d_][^\W\d_A-Z]+(?:[-'’][^\W\d_]+)*")  # "Ryan", "Mühlenhoff", "O'Neil"


def _answering_kind(ranking: list[Candidate], cands: list[Candidate], question: str,
                    fits: Callable[[Candidate], bool]) -> list[Candidate]:
    """``ranking`` with the values of the kind the question asks (a person, an e-mail address) first, the words
    choosing among them; with none ranked, the record's only such value the question does not state, scored as a
    near label would be (the kind of answer asked says which value); else ``ranking`` as it is."""
    ranked_kind = [c for c in ranking if fits(c)]
    if ranked_kind:
        return ranked_kind + [c for c in ranking if c not in ranked_kind]
    unstated = [c for c in cands if fits(c) and fold(c.text) not in fold(question)]
    if len(unstated) != 1:
        return ranking
    unstated[0].score = max(unstated[0].score, NEAR_SCORE)
    return unstated


def _spelled_out(question: str, cands: list[Candidate], span: str, wanted: list[str]) -> list[str]:
    """The words of a label an initialism of the question stands for ("PI" for "Principal investigator: ..."):
    a wanted word of two to five capitals (not one a negation sets aside) that no value of the record is and the
    first letters of a label's words spell."""
    values = {fold(c.text) for c in cands}
    out: list[str] = []
    for t in tokens(question):
        if not (2 <= len(t.text) <= 5 and t.text.isalpha() and t.text.isupper()) or fold(t.text) in values \
                or t.text in span or t.text.lower() not in wanted:
            continue
        for c in cands:
            words = [w for w in c.label[:len(t.text)] if w[:1].isalpha()][::-1]
            if len(words) == len(t.text) and "".join(w[0] for w in words).upper() == t.text:
                out += [w.lower() for w in words if w.lower() not in out]
                break
    return out


def _person_shaped(c: Candidate) -> bool:
    """A name of two to four capitalised words ("Ryan Tandy", "Fenna de Rooij"): what "who" asks for."""
    words = c.text.split()
    capitalised = [w for w in words if w[:1].isupper()]
    return c.name and 2 <= len(capitalised) <= 4 and len(words) - len(capitalised) <= 1 \
        and all(_PERSON_WORD.fullmatch(w) for w in words)


def _shape(c: Candidate, language: Language) -> str:
    """What kind of value ``c`` is, for the two ends of a range: a date, a number, or neither ("")."""
    if _is_date(c, language):
        return "date"
    return "number" if NUMBER.fullmatch(c.text) else ""


DATE = re.compile(r"[12]\d{3}(?:-\d{2}(?:-\d{2})?)?|\d{1,2}([./])\d{1,2}\1[12]\d{3}")  # a year ("2009"), an ISO date
# ("2000-06-29") or a day, a month and a year in numbers ("11.05.2003", "12/04/2025")


def _distinct_docs(names: list[Name]) -> list[Name]:
    """The names in question order, one per document."""
    seen: set[str] = set()
    out = []
    for name in sorted(names, key=lambda n: n.start):
        if name.doc not in seen:
            seen.add(name.doc)
            out.append(name)
    return out


def _title(record: Record) -> str | None:
    """The words after the subject on the first line that writes it, past a mark ("INC-2023-0013 - Elevated 5xx errors
    in fernhollow-tax"; "RFC 9110: HTTP Semantics"; a message's 'Subject: Loan notice LN-1 - "Salt Road"', quotes
    dropped): the record's title, where its subject is an id."""
    line = next((text for text in record.text.split("\n") if record.subject_text and record.subject_text in text), "")
    at = line.find(record.subject_text) if line else -1  # the first line, or a message's subject
    if at < 0:
        return None
    rest = line[at + len(record.subject_text):]
    toks = tokens(rest)
    if not toks or toks[0].text not in FIELD_MARKS | {":"}:
        return None
    title = rest[toks[0].at + len(toks[0].text):].strip().rstrip(".")
    title = title[1:-1] if len(title) > 2 and title[0] == title[-1] and title[0] in "\"'" else title  # quoted
    return title if 1 <= len(title.split()) <= ID_TITLE_WORDS and not re.search(r"[:;|]", title) else None


def _counted_nouns(question: str) -> list[str]:
    """The words right after a stated number, one word between at most ("16 equal chunks": equal, chunks)."""
    toks = [t.text.lower() for t in tokens(question)]
    return [toks[k] for i, t in enumerate(toks) if _STATED_NUMBER.fullmatch(t)
            for k in (i + 1, i + 2) if k < len(toks) and toks[k].isalpha()]


def _story_words(span: str) -> bool:
    """Words with no digits but those of whole numbers ("ships 230 files"): a story's, where it states numbers; a
    name with digits inside a word ("libcairo2") is a name."""
    return not any(ch.isdigit() for ch in re.sub(r"\b\d[\d,]*(?:\.\d+)?\b", "", span))


def _counts(span: str, counted: list[str], same: Any) -> bool:
    """Whether ``span`` is what a stated number counts, each word in any of its forms ("chunk" / "chunks", "44
    entry points")."""
    return all(any(same(word, w) for w in counted) for word in span.split())


def _plural_of(word: str, kind: str) -> bool:
    """Whether ``word`` is the plural of the singular ``kind`` ("campaigns" of "campaign", "branches" of "branch")."""
    return not kind.endswith("s") and word in (kind + "s", kind + "es", kind[:-1] + "ies")


def _without(question: str, names: list[Name]) -> str:
    text = question
    for name in names:
        text = text.replace(name.span, " ")
    return text


def _stated_as(value: str, span: str) -> bool:
    """Whether the record's ``value`` is the ``span`` a question states, whole or with a bracketed addition ("Pedro
    López <pl@example.org>", "Lyon (FR)"): its labels say what the question states, not what it asks."""
    value, span = value.lower(), span.lower()
    return value == span or value.startswith(span + " ") and value[len(span) + 1:][:1] in ("<", "(", "[")


def _context_of(text: str, span: str, cands: list[Candidate]) -> set[str]:
    """The words that label ``span`` in ``text`` (back to the previous value or mark, and up to two after
    it): they found the document, so they tell nothing about which other value is asked."""
    toks = tokens(text)
    low = [t.text.lower() for t in toks]
    words = [t.text.lower() for t in tokens(span) if not t.mark]
    inside = {i for c in cands if not c.weak for i in range(c.start, c.end)}
    for i in range(len(low) - len(words) + 1):
        if low[i: i + len(words)] == words:
            j = i + len(words)
            out: set[str] = set()
            k = i - 1
            while k >= 0 and not toks[k].mark and k not in inside:
                out.add(low[k])
                k -= 1
            k = j
            while k < len(toks) and k < j + 2 and not toks[k].mark and k not in inside:
                out.add(low[k])
                k += 1
            return out
    return set()


def _label_before(question: str, span: str, stop_words: frozenset[str],
                  stating: frozenset[str] = frozenset(), copulas: frozenset[str] = frozenset()) -> set[str]:
    """The question's words right before ``span`` (or its opening quote), back to a function word or a mark ("has
    the hex value 88F7": hex, value), past a copula ("where the owner's reply was '...'": owner, reply): what the
    asker calls the value they state."""
    toks = tokens(question)
    low = [t.text.lower() for t in toks]
    start = _position(question, span)  # marks ignored: "killall: Fallback to kill()"
    out: set[str] = set()
    k = (start or 0) - 1
    if k >= 0 and toks[k].text in "\"'‘“":  # 'says "Fallback to kill()"': the words before the quote's mark
        k -= 1
    if k >= 1 and low[k] in copulas and not toks[k - 1].mark and low[k - 1] not in stop_words:
        k -= 1  # "whose reply was '...'": the words before the copula name the value
    j = k - 1 if k >= 1 and low[k] in stop_words and low[k - 1] in stating else k  # "as a <description>"
    if j >= 1 and low[j] in stating and not toks[j - 1].mark and low[j - 1] not in stop_words:
        k = j - 1  # "documented as a <description>", "encoded as #EED8AE": the word before "as" names what is stated
    while start is not None and k >= 0 and not toks[k].mark and low[k] not in stop_words:
        out.add(low[k])
        k -= 1
    return out


def _position(text: str, span: str) -> int | None:
    """The token index where ``span``'s words start in ``text`` (marks ignored on both sides)."""
    toks = [t for t in tokens(text) if not t.mark]
    low = [t.text.lower() for t in toks]
    words = [t.text.lower() for t in tokens(span) if not t.mark]
    at = next((i for i in range(len(low) - len(words) + 1) if words and low[i: i + len(words)] == words), None)
    return None if at is None else toks[at].index


def _nearest(cands: list[Candidate], at: int | None) -> Candidate | None:
    if at is None or not cands:
        return None
    return min(cands, key=lambda c: abs(c.start - at))


def resolver_for(tools: dict[str, Any], documents: Any, settings: Any) -> Resolver | None:
    """The resolver when `agent.resolve_first` is on and the search and calculator tools exist (it records
    its steps as theirs); one name index per replica, kept between questions."""
    from deployments.agent.language import load_language

    if not getattr(settings, "resolve_first", False) or not {"search", "calculator"} <= set(tools):
        return None
    language = load_language(getattr(settings, "language_file", None))
    index = NameIndex(documents, language.stop_words, language.operator_words(), language.name_connectors,
                      mail=(language.mail_senders, language.mail_subjects), max_words=settings.max_span_words,
                      ttl_s=settings.name_index_ttl_s, max_documents=settings.name_index_max_documents)
    return Resolver(index, documents, language, settings.max_observation_chars)
