"""Names found by matching the question's words against what the store holds.

The model choosing a span to search picks "is", "the" or "Python package" often enough to fail a
third of reverse lookups. Here nothing is chosen: every run of the question's words (up to
`max_words`, not crossing punctuation, quoted text kept whole) is matched, as whole words, against
every document the store holds, read once through the store's `page` API and kept until the
store's count changes (or `ttl_s` passes). A run matches a document when the document holds it; the
fewer documents hold it, the more it names one. A run made only of function words or operator words
(the language file's) is never a name; neither is a run that starts or ends with a function word
("the Tessera", "than"), unless the question writes that word in capitals ("DO", "ALL": a code).
A document's subject (its first words: "Saint Vincent and the Grenadines", "libcairo2", "Lyon") and
the tail of its id ("deb-libcap-ng0" -> "libcap-ng0") name it best.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Sequence

from deployments.agent.records import (FIELD_MARKS, NUMBER, STAMP, Candidate, Tok, candidates, fold, is_value, readable,
                                       tokens)

_QUOTED = re.compile(r"(?:(?<=\s)|^)[\"'“‘«](.+)[\"'”’»](?=[\s?.!,;:]|$)")
_QUOTED_EACH = re.compile(r"(?:(?<=\s)|^)[\"'“‘«](.+?)[\"'”’»](?=[\s?.!,;:]|$)")
PAGE = 500
COMMON_HOLDERS = 5  # a run in small letters more records than this hold is a word, whatever record it names
CODED = re.compile(r"\d|^\.\w|\w[-.:+~/_]+\w")  # a digit, a leading dot or inner punctuation: a code's shape
BRACKETED_NAME = re.compile(r"(?<![\w(])[\w.+-]+\([\w.+-]+\)")  # "in(guru)", "printf(3)": one name, brackets and all
IDENTIFIER = 3.0  # the weight an identifier-shaped run adds: a code names one thing; a rare phrase of words may not
TITLE_WORDS = 6  # the most words of a record's first line read as its title
TEMPLATE_OPENERS = 5  # records opening with one word that make it a template's ("signal 15; ..."), not a subject:
# a count, not a share of the store, since one corpus's template is a small share of a store of many corpora
RARE_HOLDERS = 3  # a value at most this many records hold can be a record's subject
SHARED_TITLE = 3  # records of one collection with the same first words: a layout's title, no record's name


@dataclass
class Record:
    id: str
    text: str
    words: list[str]  # lower-cased, marks dropped
    padded: str  # " w1 w2 ... " for whole-word phrase tests
    subject: str  # the first words, lower-cased
    alias: str  # the id's tail, lower-cased
    subject_text: str = ""  # the first words as written
    head: str = ""  # the words before the first function word, lower-cased ("us dollar (next day)")
    field_openers: frozenset[str] = frozenset()  # the first word of each field, lower-cased ("class" in "...; class x")
    title_words: str = ""  # the first line's words as `padded`, when the record has several lines ("" otherwise)


@dataclass(frozen=True)
class Name:
    span: str  # as the question writes it
    start: int  # word index in the question
    end: int
    docs: tuple[str, ...]  # ids of the documents holding it
    subject_of: tuple[str, ...]  # ids of the documents whose subject or id it is
    weight: float  # how strongly it names one document

    @property
    def doc(self) -> str:
        return (self.subject_of or self.docs)[0]


def quoted(question: str) -> str | None:
    m = _QUOTED.search(question)
    return m.group(1).strip() if m and len(m.group(1).strip()) >= 3 else None


def quotes(question: str) -> list[str]:
    """Each quoted text of the question, when it quotes several ('add "A" and "B"'), in order."""
    found = [m.group(1).strip() for m in _QUOTED_EACH.finditer(question)]
    return [q for q in found if len(q) >= 3] if len(found) >= 2 else []


def _id_ends_with(doc_id: str, word: str) -> bool:
    """Whether the id's last part is ``word`` ("svc-nntp", "pystdlib-difflib"; "KW_NAMES" for "op-kw-names",
    "textwrap.indent" for "pyfn-textwrap-indent": an id writes a name's underscores and dots as dashes); both as the
    caller normalised them."""
    return any(re.search(r"(?:^|[-_:/.])" + re.escape(w) + "$", doc_id)
               for w in {word, word.replace("_", "-"), word.replace(".", "-"), re.sub(r"[_.]", "-", word)})


def _norm(words: Sequence[str]) -> str:
    return " " + " ".join(words) + " "


_TITLE_HEAD = re.compile(r"\s+(?:\(|[-–—]\s)")  # where a title's own name ends: a bracket or a dash after it
BRACKET_END = re.compile(r"\s*\([^()]*\)$")  # a bracket closing a name ("Old North Arabian (Ancient North
# Arabian)", "Stavmere University Hospital (Coimbra)")
_HEX_DIGITS = re.compile(r"(?=.*\d)[0-9a-f]{6}|(?=.*\d)[0-9a-f]{8}")  # a colour's hex digits without their hash
_CRUMB = re.compile(r"\s+(?:>|»|›)\s+")  # the steps of a breadcrumb ("Wiki > Input > X11 keysyms > Henkan_Mode")
_CRUMB_END = re.compile(r"\s*(?:::|:\s|\s[-–—]\s)")  # what the page's own text starts with after the last step


def _last_crumb(text: str) -> tuple[int, int] | None:
    """Where the last step of a breadcrumb opening ``text`` stands (its start and end offsets): a first line of at
    least three steps; the last one ends where the line goes on with a label or a dash. None without one."""
    line = text.split("\n", 1)[0]
    steps = list(_CRUMB.finditer(line))
    if len(steps) < 2:
        return None
    start = steps[-1].end()
    cut = _CRUMB_END.search(line, start)
    end = cut.start() if cut else len(line.rstrip())
    return (start, end) if 0 < len(line[start:end].split()) <= TITLE_WORDS else None


class NameIndex:
    def __init__(self, documents: Any, stop_words: frozenset[str], operator_words: frozenset[str],
                 connectors: frozenset[str], mail: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
                 max_words: int = 6, ttl_s: float = 30.0, max_documents: int = 20000) -> None:
        self.documents, self.stop_words, self.operator_words = documents, stop_words, operator_words
        self.mail_senders, self.mail_subjects = mail  # a message's header keys (the language file's)
        self.connectors, self.max_words, self.ttl_s = connectors, max_words, ttl_s
        self.max_documents = max_documents
        self.records: dict[str, Record] = {}
        self.by_word: dict[str, set[str]] = {}
        self.field_keys: set[str] = set()  # small-letter words that open a field in many records: keys
        self.many = 5  # records enough that a word they all share is a template's, not a value (set at refresh)
        self.lower_seen: set[str] = set()  # words some document writes in small letters after its start
        self._loaded_at, self._count = 0.0, -1
        self._lock = asyncio.Lock()
        self._usable = True  # False once the store turned out to have no page/count (a bare handle)

    @property
    def available(self) -> bool:
        return self._usable and hasattr(self.documents, "page") and hasattr(self.documents, "count") \
            and self._count <= self.max_documents

    async def refresh(self) -> None:
        """Read every document again when the store's count changed or the copy is older than ``ttl_s``."""
        async with self._lock:
            try:
                count = await self.documents.count()
            except AttributeError:
                self._usable = False
                return
            if count == self._count and time.monotonic() - self._loaded_at < self.ttl_s:
                return
            if count > self.max_documents:  # too many to copy: names come from the model's searches only
                self.records, self.by_word, self._count, self._loaded_at = {}, {}, count, time.monotonic()
                return
            docs: list[dict[str, Any]] = []
            while len(docs) < count:
                page = await self.documents.page(PAGE, len(docs))
                batch = page.get("documents", [])
                if not batch:
                    break
                docs += batch
            self.records = {d["id"]: self._record(d) for d in docs}
            self.by_word = {}
            self.lower_seen = {t.text for d in docs for t in tokens(readable(d.get("text", "")))[1:]
                               if t.text.islower() and t.text.isalpha()}
            for rec in self.records.values():
                for w in set(rec.words):
                    self.by_word.setdefault(w, set()).add(rec.id)
            self.many = max(5, len(self.records) // 100)
            keys: dict[str, int] = {}  # words that open a field ("...; class server error; ...") of many records
            for rec in self.records.values():
                for w in rec.field_openers:
                    keys[w] = keys.get(w, 0) + 1
            self.field_keys = {w for w, n in keys.items() if n >= TEMPLATE_OPENERS and w not in self.stop_words}
            openers: dict[str, int] = {}  # the first content word of each record
            for rec in self.records.values():
                first = next((w for w in rec.words if w not in self.stop_words), "")
                openers[first] = openers.get(first, 0) + 1
            titles: dict[tuple[str, str], int] = {}  # each subject within a collection (the id's first part)
            for rec in self.records.values():
                titles[collection(rec.id), rec.subject] = titles.get((collection(rec.id), rec.subject), 0) + 1
            for rec in self.records.values():  # "The character ² is named ...": a word many records open with is
                opened = openers.get(rec.subject, 0) >= TEMPLATE_OPENERS
                shared = bool(rec.subject) and not opened and "\n" in rec.text \
                    and titles[collection(rec.id), rec.subject] >= SHARED_TITLE
                if rec.subject and rec.subject != rec.alias and (opened or shared):
                    rec.subject = rec.subject_text = ""  # the template's, not this record's subject ("Debian release
                    # record" over the fields of every Debian release)
                if not rec.subject:
                    self._first_rare_value(rec, titled=shared)
            self._count, self._loaded_at = count, time.monotonic()

    def _record(self, doc: dict[str, Any]) -> Record:
        text = readable(doc.get("text", ""))
        toks = tokens(text)
        words_at = [(i, fold(t.text)) for i, t in enumerate(toks) if not t.mark]  # each word and its token index
        words = [w for _, w in words_at]
        found = candidates(text, self.connectors, self.stop_words)
        lead = 1 if toks and toks[0].text.lower() in self.stop_words else 0  # "The Lyon office" -> "Lyon"
        first = next((c for c in found if c.column == 0), None) \
            or next((c for c in found if c.start == lead), None)  # a table's first cell before a title above it
        if first is None and found and found[0].start <= lead + 3 and toks[found[0].start - 1].text == ":" \
                and all(t.text[:1].isupper() and not is_value(t.text) for t in toks[lead: found[0].start - 1]):
            first = found[0]  # "Site: Kestrel Ridge\n...": the value of the record's first label ("kubectl: ..."
            # in small letters is a key, below)
        doc_id = str(doc["id"])
        alias = doc_id.split("-", 1)[1].lower() if "-" in doc_id else doc_id.lower()
        if len(toks) > 1 and toks[0].text.lower() in self.mail_senders | self.mail_subjects and toks[1].text == ":":
            first = self._mail_subject(doc_id, toks, found)
        if first is None:  # "The nntp service uses ...": a small-letter subject the id ends with, among the first words
            at = next((i for i, t in enumerate(toks[:lead + 3]) if not t.mark and (is_value(t.text) or t.text.islower())
                       and _id_ends_with(doc_id.lower(), t.text.lower())), None)
            first = Candidate(toks[at].text, at, at + 1) if at is not None else None
        if first is None and lead + 1 < len(toks) and not toks[lead].mark and \
                (toks[lead + 1].text == ":" or is_value(toks[lead + 1].text)):  # "rich 13.7.1: ...", "adduser: ..."
            first = Candidate(toks[lead].text, lead, lead + 1)
        named = alias.replace("-", " ").replace("_", " ").split()  # "Sandy brown is one of ...", id
        # "x11-sandy-brown"; "Trust store entry: Amazon Root CA 1", id "ca-amazon-root-ca-1": the id's words in
        # the record's first line are its subject, whatever their letter case
        line_end = next((i for i, t in enumerate(toks) if t.text == "\n"), len(toks))
        if first is not None and first.start == 0 and STAMP.fullmatch(first.text):  # "2023-05-20 07:15 INFO
            # finding.detail IAF-2023-0196 ...": a log line's stamp dates its event; the id's tail on the line names
            # the record
            own = next((k for k, t in enumerate(toks[:line_end]) if not t.mark and fold(t.text) == alias), None)
            first = Candidate(toks[own].text, own, own + 1) if own is not None else first
        at = next((k for k in range(len(words_at) - len(named) + 1) if words_at[k][0] < line_end
                   and [w for _, w in words_at[k: k + len(named)]] == named), None) if len(named) > 1 else None
        if at is not None:
            a, b = words_at[at][0], words_at[at + len(named) - 1][0]
            first = Candidate(text[toks[a].at: toks[b].at + len(toks[b].text)], a, b + 1)
        title = text.split("\n", 1)[0].strip()  # "Pellinor incubator PB-249\nOwned by ...": a title line of its
        # own, a few words with no label or sentence in it, names the record whole
        if "\n" in text and 2 <= len(title.split()) <= TITLE_WORDS and not re.search(r"[:;.!?|]", title) \
                and title[:1].isupper() and (first is None or fold(first.text) in fold(title)):
            first = Candidate(title, 0, len(tokens(title)))
        crumb = _last_crumb(text)
        if crumb is not None:  # "Registries > IP protocols > mptcp :: protocol number 262": a breadcrumb's last
            # step is the page, what the record is about
            at, end = crumb
            inside = [k for k, t in enumerate(toks) if at <= t.at < end and not t.mark]
            if inside:
                first = Candidate(text[at:end], inside[0], inside[-1] + 1)
        dashed = alias.replace("_", "-")
        dotted = next((t for t in toks if re.search(r"[._]", t.text) and re.sub(r"[._]", "-", fold(t.text)) == dashed),
                      None)
        if dotted is not None and (first is None or fold(dotted.text).endswith("." + fold(first.text))
                                   or "\n" in text and "\n" not in text[:toks[first.start].at]
                                   and dashed not in re.sub(r"[._]", "-", fold(first.text))):
            # "# unit-inventory dump\nId=systemd-sysext.service", id "unit-systemd-sysext-service": below a
            # shared first line, the word the whole id tail writes is the subject
            first = Candidate(dotted.text, dotted.index, dotted.index + 1)  # "... > statistics > median_low" over
            # "statistics.median_low(data)", id "pyfn-statistics-median_low": the dotted name the id writes whole
        subject = fold(first.text) if first else ""
        written = next((t.text for t in toks if not t.mark), "")
        start = 1 if toks and toks[0].text.lower() in self.stop_words else 0
        end = next((i for i in range(start, len(toks)) if toks[i].text.lower() in self.stop_words
                    and not toks[i].text[:1].isupper()), len(toks))
        head = " ".join(t.text for t in toks[start:end] if t.text not in ",.;:").lower()
        # a phrase never spans punctuation ("Madagascar (alpha-3 MDG" holds no "madagascar alpha-3")
        padded = _norm([fold(t.text) if not t.mark else "\u00a6" for t in toks])
        openers = frozenset(t.text.lower() for i, t in enumerate(toks) if not t.mark
                            and (i == 0 or toks[i - 1].text in FIELD_MARKS))
        lines = text.strip().split("\n", 1)
        title_words = _norm(re.findall(r"\w[\w.+-]*", fold(lines[0]))) if len(lines) > 1 else ""
        return Record(doc_id, text, words, padded, subject, alias, first.text if first else written, head, openers,
                      title_words)

    def _mail_subject(self, doc_id: str, toks: list[Tok], found: list[Candidate]) -> Candidate | None:
        """What a message is about ("From: Ann Lee <ann@example.org>\nSubject: Lease QL-9145C - Elverstone Point"):
        on its subject line, the value the id ends with (with the name it is bracketed after: "Rongpo (rnp)"),
        else the line's first value; never its sender."""
        line = next((i for i, t in enumerate(toks[:-1]) if t.text.lower() in self.mail_subjects
                     and toks[i + 1].text == ":" and (i == 0 or toks[i - 1].text == "\n")), None)
        if line is None:
            return None
        end = next((i for i in range(line, len(toks)) if toks[i].text == "\n"), len(toks))
        own = next((i for i in range(line + 2, end)
                    if not toks[i].mark and _id_ends_with(fold(doc_id), fold(toks[i].text))), None)
        named = next((c for c in found if c.start < own < c.end), None) if own is not None \
            and toks[own - 1].text == "(" else None
        if named is not None:  # "Rongpo (rnp)", id "lang-rnp": the name the id's code stands for, as a title writes it
            return named
        if own is not None:  # "Lease QL-9145C", id "lease-ql-9145c": the word the id ends with
            return Candidate(toks[own].text, own, own + 1)
        return next((c for c in found if line + 1 < c.start and c.end <= end), None)

    def _first_rare_value(self, rec: Record, titled: bool = False) -> None:
        """A record opening with a template's words ("Writing system reference card for Tibetan.", "Time zone
        profile: Pacific/Noumea") has as subject the first value of its first line or sentence that few
        records hold. Under a title line ``titled`` (records of its collection share it), the title's words
        name none of them: the value the id ends with, below it, does."""
        if titled:  # "Debian release record\nDistribution: Debian\n...\nCodename: Lenny", id "rel-debian-lenny"
            line_end = next((i for i, t in enumerate(tokens(rec.text)) if t.text == "\n"), 0)
            own = next((c for c in candidates(rec.text, self.connectors, self.stop_words)
                        if c.start > line_end and not NUMBER.fullmatch(c.text)
                        and _id_ends_with(fold(rec.id), fold(c.text.split()[0]))), None)
            if own is not None:  # the whole value: "Quantal Quetzal" for "rel-ubuntu-quantal"
                rec.subject, rec.subject_text = fold(own.text), own.text
            return
        toks = tokens(rec.text)
        end = next((i for i, t in enumerate(toks) if t.text in FIELD_MARKS or t.text in ".!?"), len(toks))
        for t in toks[:end]:  # "Standard library module difflib (...)", id "pystdlib-difflib": the word the id ends with
            if not t.mark and t.text.lower() not in self.stop_words and _id_ends_with(fold(rec.id), fold(t.text)):
                rec.subject, rec.subject_text = fold(t.text), t.text
                return
        found = candidates(rec.text, self.connectors, self.stop_words)
        rare = [c for c in found if c.start < end and (words := [fold(t.text) for t in tokens(c.text) if not t.mark])
                and len(self.holders(words)) <= RARE_HOLDERS]
        # a name before a number: "Built in Turku in 2003, Silver Wave measures ..." is about Silver Wave
        rare.sort(key=lambda c: bool(NUMBER.fullmatch(c.text)))
        if rare:  # "card for Mathematical notation." -> the record's whole value "Mathematical notation"
            longer = [d.text for d in found if fold(d.text).startswith(fold(rare[0].text) + " ")]
            text = max(longer, key=len) if longer else rare[0].text
            rec.subject, rec.subject_text = fold(text), text
            return
        own = next((t for t in toks[end:] if is_value(t.text) and fold(t.text) == rec.alias), None)
        if own is not None:  # "Shift handover note, Fennick Data Hall. Greta Nettleford picked up WO-2488217 ...", id
            rec.subject, rec.subject_text = fold(own.text), own.text  # "mwo-wo-2488217": a code further on that is
            # the id's whole tail, where the opening sentence holds no rare value

    @staticmethod
    def _is_subject(span: str, record: Record, written_lower: bool = False) -> bool:
        """The document's first words or its id's tail, written as the document writes them (a capital a
        sentence start adds counts only for a span that is a name itself: "Employees may" is no subject),
        or in other letter case when no document writes the span's words in small letters mid-sentence
        ("haiti": a user who does not capitalise)."""
        low = fold(span)
        if "." in low and low.replace(".", "-") == record.alias:
            return True  # "math.isclose", id "pyfn-math-isclose": a dotted name the id writes whole
        if (low == record.alias or low == record.alias.replace("-", " ")) and (
                _norm(low.split()) not in record.padded or len(low.split()) > 1
                or _norm(low.split()) in record.title_words or record.subject.endswith(" " + low)):
            return True  # the id names it and the text does not hold that name as a value ("iso-aw" holds "AW"),
            # does as a name of several words ("dark olive green", id "x11-dark-olive-green"), or its title line,
            # the first of several, does ("Reference card - LLDP (EtherTypes)", id "ethertype-lldp"; "WORKSHOP
            # TICKET | Vehicle FL-0880 | Reg LL22 HTK"), or the subject ends with it ("Invoice CFW-24A-01903 was ...")
        if span == record.subject_text or span == BRACKET_END.sub("", record.subject_text) \
                or " " in span and span == _TITLE_HEAD.split(record.subject_text, 1)[0]:
            return True  # "Old North Arabian" names "Old North Arabian (Ancient North Arabian)"; "Corvane Yard" names
            # "Corvane Yard (Gothenburg) - lease QL-3926W", the title's words before its bracket or dash
        named = any(c.isupper() or c.isdigit() for c in span[1:])  # "zerabin fume hood fv-608": a code in it too
        return (named or written_lower or len(span.split()) > 1 and any(is_value(w) for w in span.split())) \
            and fold(span) == record.subject

    def holders(self, words: Sequence[str]) -> list[str]:
        """Ids of the documents holding ``words`` as a phrase."""
        found = self._holding(words, _norm(words))
        if not found and len(words) == 1 and (_HEX_DIGITS.fullmatch(words[0]) or words[0].isdigit()):  # "color with
            return self.holders(["#" + words[0]])  # hex 7AC5CD", "entry 4793": the record writes "#7AC5CD",
            # "entry #4793", the user leaves the hash out
        return found

    def quote_holders(self, quote: str) -> list[str]:
        """Ids of the documents holding ``quote`` as written, its marks where they stand."""
        return self.holders([fold(t.text) for t in tokens(quote) if not t.mark]) or self._holders_marked(quote)

    def _holders_marked(self, quote: str) -> list[str]:
        """Ids of the documents holding ``quote`` with its marks where they stand ('"Maintenance (ESM) ends on"'):
        a phrase of words alone never spans a mark."""
        toks = tokens(quote)
        return self._holding([fold(t.text) for t in toks if not t.mark],
                             _norm([fold(t.text) if not t.mark else "\u00a6" for t in toks]))

    def _holding(self, words: Sequence[str], phrase: str) -> list[str]:
        """Ids of the documents holding every one of ``words`` and, in their padded text, ``phrase``."""
        if not words:
            return []
        ids = set.intersection(*[self.by_word.get(w, set()) for w in words])
        return sorted(i for i in ids if phrase in self.records[i].padded)

    def names(self, question: str) -> list[Name]:
        """The runs of the question that name documents, strongest first, none overlapping."""
        total = max(1, len(self.records))
        q = [t for t in tokens(question)]
        found: list[Name] = []
        held = {q: self.quote_holders(q) for q in quotes(question)}
        several = [q for q, docs in held.items() if docs]  # 'the pages of "A" and "B"': each quote names one
        single = quoted(question)
        named_quotes = several if len(several) >= 2 else [single] if single else []
        for quote in named_quotes:
            docs = held.get(quote) or self.quote_holders(quote)
            if docs:  # a quoted name ('the version of "libcairo2"') is a subject; a quoted description is not
                subject_of = tuple(d for d in docs if self._is_subject(quote, self.records[d]))
                found.append(Name(quote, -1, -1, tuple(docs), subject_of, 100.0 / len(docs)))
        pieces: list[list[tuple[int, str]]] = [[]]  # runs of words between marks
        for n, t in enumerate(q):
            if t.mark:
                pieces.append([])
            else:
                pieces[-1].append((n, t.text))
        for m in BRACKETED_NAME.finditer(question):  # a name written with brackets inside: a phrase of words never
            # spans a mark, so it is found as written
            docs = self.quote_holders(m.group())
            inside = [n for n, t in enumerate(q) if m.start() <= t.at < m.end()]
            if docs and inside:
                subject_of = tuple(d for d in docs if self._is_subject(m.group(), self.records[d]))
                found.append(Name(m.group(), inside[0], inside[-1] + 1, tuple(docs), subject_of,
                                  math.log((total + 1) / len(docs)) + IDENTIFIER + (3.0 if subject_of else 0)))
        for piece in pieces:
            for i in range(len(piece)):
                for j in range(i + 1, min(len(piece), i + self.max_words) + 1):
                    run = piece[i:j]
                    if not self._may_name([w for _, w in run]):
                        continue
                    words = [fold(w) for _, w in run]
                    docs = self.holders(words)
                    if not docs:
                        continue
                    span = " ".join(w for _, w in run)
                    plain = all(w not in self.lower_seen for w in words)
                    subject_of = tuple(d for d in docs if self._is_subject(span, self.records[d], plain))
                    if span.islower() and len(docs) > COMMON_HOLDERS:
                        subject_of = ()  # "numbers", a module's name and a word many records write: a word here
                    if run[0][0] == 0 and len(run) == 1 and not subject_of and not is_value(run[0][1]):
                        continue  # "Find", "Give": capitalised only because the question starts there
                    rarity = math.log((total + 1) / len(docs))
                    if len(run) > 1 and span.islower():  # "the file size": common words rarely side by side
                        # describe a field; a name's words are rare alone too ("kestrel ridge")
                        alone = max(math.log((total + 1) / max(1, len(self.by_word.get(w, ())))) for w in words)
                        rarity = (rarity + alone) / 2
                    cased = any(any(c.isupper() or c.isdigit() for c in w) for _, w in run[1:] or run) \
                        and not (run[0][0] == 0 and len(run) == 1 and not any(c.isdigit() for c in run[0][1]))
                    coded = len(run) == 1 and bool(CODED.search(run[0][1]))  # ".zirz", "U+2604", "es_GT": one
                    # identifier (capitals alone may be an acronym used as a word: "the MIME type")
                    weight = rarity * (1 + 0.3 * (len(run) - 1)) + (3.0 if subject_of else 0) + (1.0 if cased else 0) \
                        + (IDENTIFIER if coded else 0)
                    found.append(Name(" ".join(w for _, w in run), run[0][0], run[-1][0] + 1, tuple(docs),
                                      subject_of, weight))
        bracketed = [n for n in found if n.start >= 0 and BRACKETED_NAME.fullmatch(n.span)]
        found = [n for n in found if not any(b is not n and b.start <= n.start and n.end <= b.end for b in bracketed)]
        # "tar(5)" names one record: "5" inside it names nothing of its own
        # "HRYVNIA SIGN" held by one record, "HRYVNIA" by that one and another: the longer run, written as a
        # name, is what the question names, so a run inside it that it narrows is no name of its own ("the
        # Tessera robot" still names Tessera: "robot" is an ordinary word), nor is a name many records share
        # that an ordinary word narrows to one ("the Delph radio" among eight Delph products)
        def named_longer(m: Name, n: Name) -> bool:
            extra = [t.text for t in q[m.start: n.start] + q[n.end: m.end] if not t.mark]
            narrows = bool(extra) and set(m.docs) < set(n.docs)
            return narrows and (all(w[:1].isupper() or any(c.isdigit() for c in w) for w in extra)
                                or (len(m.docs) == 1 and len(n.docs) > RARE_HOLDERS))
        found = [n for n in found if n.start < 0 or not any(
            m is not n and m.start >= 0 and m.start <= n.start and n.end <= m.end and named_longer(m, n) for m in found)]
        # "Lowen Vosper is the assigned driver ...": a run that cuts a name the question writes in capitals, where
        # that whole name names a document too, is no name ("Vosper is the assigned driver" is a template's words)
        def cuts(m: Name, n: Name) -> bool:
            whole = [t.text for t in q[m.start: m.end]]
            return len(whole) > 1 and all(w[:1].isupper() for w in whole) and m.start < n.start < m.end < n.end
        found = [n for n in found if n.start < 0 or not any(m.start >= 0 and cuts(m, n) for m in found)]
        found.sort(key=lambda n: -n.weight)
        kept: list[Name] = []
        for name in found:
            if name.start >= 0 and any(k.start >= 0 and name.start < k.end and k.start < name.end for k in kept):
                continue
            if name.start >= 0 and any(name.span.lower() in quote.lower() for quote in named_quotes):
                continue
            kept.append(name)
        return kept

    def _may_name(self, run: list[str]) -> bool:
        """Not only function or operator words, and no function word at either edge (unless in capitals)."""
        def common(word: str) -> bool:
            return word.lower() in self.stop_words and not (word.isupper() and len(word) >= 2)

        if common(run[0]) or common(run[-1]):
            return False
        return not all(common(w) or w.lower() in self.operator_words for w in run)


def collection(doc_id: str) -> str:
    """The first part of a document's id ("script" of "script-grek"): records of one collection share it."""
    return re.split(r"[-_:/.]", doc_id, maxsplit=1)[0]
