"""A document as a record of labelled values, and the choice of one value by scoring whole candidates.

Records hold several values ("the alpha-2 code FI, the alpha-3 code FIN and the numeric code 246";
"Version 43-1, section gnome, installed size 20899 kB"). A 135M model writing the answer token by
token picks a label ("alpha-2") or a neighbour's value. Here every candidate is a whole value:

- an identifier, a code, a version or a number (a token holding a digit, two capitals, or inner
  marks such as "libcap-ng0", "2:1.2.3-1");
- a name: a run of capitalised words, with the language's name connectors inside when another
  capitalised word follows ("Saint Vincent and the Grenadines", "Heard Island and McDonald Islands");
- the last word of a short clause ("section gnome").

A candidate right before another value, with only content words between ("alpha-2" in "alpha-2 code
FI", "Version" in "Version 43-1"), is that value's label and never an answer. A candidate's context is
its label (the words back to the previous value or mark) and the few words after it ("120 employees",
"689 kB"); its score is how many of the question's words (those not used to find the document) that
context holds, the nearer the more. Nothing here knows a corpus: only the shape of tokens.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from deployments.agent.choices import same_word

# a symbol outside ASCII ("€", "∪", "→") is a word of its own: a record and a question can name a thing by it
# a line break and a table's bar end a value as a comma does ("Site: Kestrel Ridge\nRegion code: KR-7")
# a sign written before a number after a space is the number's ("-22.27", "+11 hours"), never inside a word
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # an e-mail address is one value ("ann.lee@example.org")
_LINK = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")  # "https://example.org/x", "www.example.org"
_DIGEST = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}"
                     r"|(?:[0-9A-Fa-f]{2}:){15,}[0-9A-Fa-f]{2}")  # an MD5, SHA-1 or SHA-256 digest; a fingerprint
SHAPES = {"email": _ADDRESS, "url": _LINK, "digest": _DIGEST}
_COLUMN_GAP = r"(?<=[^\s.!?:;,|])(?: {2,}|\t+)(?=[^\s|:])"  # "Hours 8  Materials 986.44": a gap of spaces or a tab
# inside a line, not after a sentence's end, separates two fields as a bar does
_TOKEN = re.compile(_ADDRESS.pattern + "|" + _COLUMN_GAP
                    + r"|(?<![^\s(\[:])[-+−](?=\d)\d+(?:\.\d+)?(?![\w-]|\.\d)"
                    r"|&#?[^\W_]+;"  # a character reference ("&otimes;", "&#x2297;") is one value
                    r"|°[^\W\d_]?"  # a degree and its scale ("°C") are one unit
                    r"|(?<![\w.])\.[^\W_]+(?:[-+_][^\W_]+)*"  # a leading dot ("an .iges file", ".NET") is the word's
                    r"|(?<![\w#])#[^\W_]+"  # and a leading hash ("#F4A460", "#123")
                    r"|(?<![\w<>=!~])(?:[<>]=?|[!=~]=)\d[\w.*]*"  # a version bound (">=3.11", "!=3.0.*")
                    r"|0[xX][0-9A-Fa-f]+(?:,0[xX][0-9A-Fa-f]+)+"  # a pair of hex bytes ("0xC0,0x21") is one value
                    r"|(?<=\s)(?:/|->|--?)(?=\s)"  # a slash, an arrow or a dash between spaces separates two fields
                    r"|(?<![^\s(\[=:,])--?[^\W\d_][\w-]*"  # a command's option with its dashes ("--create", "-i")
                    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?|_*[^\W_]+(?:[-.:+~'’/_]+[^\W_]+)*_*[+]*|[,;:.()\[\]!?\"\n|•·—–]"
                    r"|[^\x00-\x7f\w\s‘’“”«»…]|\$(?=\d)")  # a dollar sign before a number is a word: the amount's unit
DELIMITERS = frozenset(",;:.()[]!?\"\n\t|•·—–") | {"/", "->", "→", "-", "--"}
# what ends one field of a record and starts the next: a bullet, a middle dot and a dash separate fields as a
# semicolon does ("42 files · 1,234 KiB", "harbor-kit — Tools for ..."), and so do a slash, an arrow and a hyphen
# between spaces ("First reg: 2017 / Last major overhaul: 2023", "Inspected: 24/03/2025 -> Next due: 24/03/2026",
# "INC-0542 - Message backlog", a typed dash: "urgency=high -- Ann Lee")
FIELD_MARKS = frozenset(";\n\t|•·—–") | {"/", "->", "→", "-", "--"}
FIELD_KEYS = 2  # fields after gaps written "Key value" that make a line's gapped fields open with their key
PAIRS = 3  # "KEY=value" pairs that make a record a list of them ("x=3" alone is no field)
NEAR_WORDS = 3  # the content words of a label nearest its value: its own (farther ones the record shares)
NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?")  # a value that is a number, signed or not
UNIT_LETTERS = 3  # the most letters of a unit written after its number ("KiB", "mm", "GHz"); one more in small
# letters ("sqft", "days"), where a capitalised word of four is a label ("2nd floor, Unit 7")
SENTENCE_STOPS = 3  # a line's key holds fewer function words than this; a sentence ending with a colon, more
KEY_WORDS = 3  # the most words before a comma inside a line's key ("code point, decimal: 1100")
LINE_WORDS = 8  # the most words of a key's value read as one value
KIN = 0.9  # another unit of the asked unit's dimension ("feet" for "metres", both lengths) counts less than the unit
UNASKED = 0.01  # per label word the question does not hold: less than any match counts, so only ties move
QUOTED_WORDS = 12  # the most tokens of a quoted value; a longer quotation is prose, read word by word
VOWELS = frozenset("aeiou")  # of the Latin script: a key written without them after its first letter is shortened
ABBREVIATED = (3, 6)  # the fewest and most letters of a key in capitals read as a shortened word ("QTY", "SCHED")
AFTER_WORDS = 2  # content words after a value that still describe it: a unit ("kB"), a noun ("employees");
# one after a name ("the Bergen office"): the next words begin another value's label ("opened in 2014")


@dataclass(frozen=True)
class Tok:
    text: str
    index: int
    at: int = -1  # character offset in the text

    @property
    def mark(self) -> bool:
        return self.text in DELIMITERS


_POSSESSIVE = re.compile(r"['’]s$")


def tokens(text: str) -> list[Tok]:
    """Words (a possessive "'s" dropped: "Madagascar's" is "Madagascar"), values and marks; an abbreviation's dot
    right before a key's colon ("Invoice No.: 17") is the key's, no mark."""
    found = [m for m in _TOKEN.finditer(text) if not (m.group() == "." and text[m.end(): m.end() + 1] == ":"
                                                        and text[m.start() - 1: m.start()].isalpha())]
    return [Tok("\t" if not m.group().strip(" \t")  # a column gap, one mark whatever its width
                else _POSSESSIVE.sub("", m.group()) if len(m.group()) > 3 else m.group(), i, m.start())
            for i, m in enumerate(found)]


_PAIR = re.compile(r"(?:(?<=^)|(?<=[\s;,|(]))([^\W\d][\w.-]*)=(?=[^\s=]|[ \t]*(?:\n|$))")  # "QTY_ON_HAND=26",
# "ITEM=\"Cable Tie\"", and a key with no value at the end of its line ("WantsFirst=")
_KEY_WORD_BREAK = re.compile(r"(?<=[^\W\d])[_.](?=[^\W\d])|(?<=[a-z])(?=[A-Z][a-z])")  # "QTY_ON_HAND", "FragmentLines",
# "seats.purchased" (a nested key written with dots)


_LEADER = re.compile(r"(?<=\w) ?\.{2,} ?(?=\S)(?<!\d\.\.(?=\d))")  # "size on disk ... 3150": leader dots after a key,
# never the two dots of a range ("52000..64000")


_DOUBLE_COLON = re.compile(r"(?m)^([^:\n]{1,40}?) :: (?=\S)")  # "Summary :: ICU stream library": a key's colon
# written doubled, with spaces around it, first on its line (never a scope inside one word: "File::Spec")


_SPACED_NUMBER = re.compile(r"(?:(?<![\w,.-])|(?<=\d-))\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?=(?:\.\d+)?(?!\w|-[^\W\d]|[.,]\d|\s\d))")
# "1 112", "GBP 48 000-61 000": thousands grouped by spaces, as much of Europe writes them; never two numbers side
# by side ("Root CA 1 2020", "Wyse 60 132-column", a phone number: a longer or a shorter group, a word after)


def spaced_as_commas(text: str) -> str:
    """``text`` with thousands grouped by spaces written with commas ("77 683 KiB" as "77,683 KiB"): one length,
    one value, read as any other grouped number."""
    return _SPACED_NUMBER.sub(lambda m: re.sub(r"\s", ",", m.group()), text)


def _in_line(text: str, at: int) -> bool:
    """Whether a pair at ``at`` follows another field of its line (not only spaces or a timestamp's bracket)."""
    line = text[text.rfind("\n", 0, at) + 1: at]
    return "=" in line and line.rstrip(" \t")[-1:] not in ";,|"  # "A=1 ; B=2": parted already


def readable(text: str) -> str:
    """A record written as a JSON object ('{"owner_team": "Core", "port": 8080}'), with doubled key colons ("Bytes
    :: 1 254"), or as "KEY=value" pairs (an ERP export, a log line: 'SKU=WH-95037 ; QTY_ON_HAND=26') as the "key:
    value" fields the readings here know ("owner team: Core", "QTY ON HAND: 26", "FragmentLines=59" as "Fragment
    Lines: 59"), nested keys joined ("limits memory: 512"); any other text as it is."""
    text = spaced_as_commas(text)
    if len(_DOUBLE_COLON.findall(text)) >= PAIRS:  # a layout of such lines, not one heading ("EXPORT :: PART: A1")
        text = _DOUBLE_COLON.sub(r"\1:   ", text)  # one length, as the leader dots below keep theirs
    text = _LEADER.sub(lambda m: ":" + " " * (len(m.group()) - 1), text)  # "section ..... libdevel": a key's
    # colon written as dots leading to its value; here, so that the record's words and its values index alike
    if len(_PAIR.findall(text)) >= PAIRS:
        return _PAIR.sub(lambda m: ("; " if m.start() and text[m.start() - 1] in " \t" and _in_line(text, m.start())
                                    else "") + _KEY_WORD_BREAK.sub(" ", m.group(1)) + ": ", text)  # "name=x group=y"
        # on one line: each pair its own field, as "; " parts them
    if not text.lstrip().startswith("{"):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    lines: list[str] = []

    def walk(key: str, item: Any) -> None:
        if isinstance(item, dict):
            for k, v in item.items():
                walk(f"{key} {k}".strip(), v)
        elif isinstance(item, list) and not any(isinstance(v, (dict, list)) for v in item):
            lines.append(f"{key}: {', '.join(str(v) for v in item)}")
        elif isinstance(item, list):
            for n, v in enumerate(item, 1):
                walk(f"{key} {n}", v)
        else:
            lines.append(f"{key}: {item}")

    walk("", value)
    return "\n".join(re.sub(r"(?<=[^\W\d])[_-](?=[^\W\d])", " ", key) + ": " + item
                     for key, item in (line.split(": ", 1) for line in lines))


def fold(text: str) -> str:
    """Lower case without accents ("Côte" -> "cote"): users type names without the marks records write."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def is_value(word: str) -> bool:
    """A code, identifier, version or number: the shape of a value, not of a word."""
    return (any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 2
            or bool(re.search(r"[^\W_][-.:+~/_]+[^\W_]", word)) or (word[:1] == "&" and word[-1:] == ";")
            or (word[:1] in ".#" and word[1:2].isalnum()) or (word[:1] == "-" and word.lstrip("-")[:1].isalpha())
            or (word[:1] in "<>=!~" and any(c.isdigit() for c in word)))


_CODEPOINT = re.compile(r"[Uu]\+[0-9A-Fa-f]{4,6}")  # a Unicode code point ("U+20AC"), a hex number too
_DECIMAL_REFERENCE = re.compile(r"&#\d+;")  # a character reference by its decimal number ("&#8472;")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+(?:,0[xX][0-9A-Fa-f]+)*|#[0-9A-Fa-f]{3,8}|&#[xX][0-9A-Fa-f]+;"
                  r"|(?=[0-9A-F ]*[A-F])(?=[0-9A-F ]*[0-9])[0-9A-F]{2}(?: ?[0-9A-F]{2})*")


_BYTE = re.compile(r"[0-9A-F]{2}")  # a byte written in hex ("E2"), one of a run that is one value


def shaped(text: str, shape: str) -> bool:
    """Whether a value is written in ``shape`` (`Language.shapes`), brackets, quotes and a closing mark aside."""
    return bool(SHAPES[shape].fullmatch(text.strip("<>()[]\"'").rstrip(".,;:?!")))


def notation(text: str) -> str:
    """How a number value is written: "codepoint" ("U+20AC"), "hex" ("0xA4", "#FFEFD5", "&#x2135;", "E2 99 A0", "88CC"),
    "decimal" ("164", "49,185", "&#8472;"), or "" (no number)."""
    if _CODEPOINT.fullmatch(text):
        return "codepoint"
    if _HEX.fullmatch(text):
        return "hex"
    return "decimal" if NUMBER.fullmatch(text) or _DECIMAL_REFERENCE.fullmatch(text) else ""


def unit_code(word: str) -> bool:
    """A currency's code or sign before an amount ("EUR", "USD", "$"): its unit, no value and no label word."""
    return word in ("$", "€", "£", "¥") or word.isalpha() and word.isupper() and 2 <= len(word) <= UNIT_LETTERS


def _capital(word: str) -> bool:
    return word[:1].isupper()


@dataclass
class Candidate:
    text: str
    start: int  # token index
    end: int  # token index after it
    label: list[str] = field(default_factory=list)  # words before it, nearest last
    after: list[str] = field(default_factory=list)  # words after it, nearest first
    score: float = 0.0
    weak: bool = False  # the last word of a clause: a value, but no bound of its neighbours' labels
    name: bool = False  # a run of capitalised words
    colon: int = -1  # the token index of the colon of the "Label: a, b" list it stands in
    column: int = -1  # the column of the table cell it fills, counted from 0
    row: int = -1  # the row of that cell, counted from 0 below the header
    date: bool = False  # a day, a month and a year written in words ("2 February 2025")
    unit: str = ""  # the unit a hyphen glues to the number ("4-hour": 4, "hour"): its first following word
    note: list[str] = field(default_factory=list)  # the words of a bracket right after it ("(final session)")
    range_end: str = ""  # "first" or "last": an end of a range ("14 June 2025 to 23 June 2025")
    partner: int = -1  # the token index where the range's other end starts


_RATE_UNIT = re.compile(r"[^\W\d_]{1,4}/[^\W\d_]{1,5}")  # "35 h/week", "90 km/h": a unit per another


def candidates(text: str, connectors: frozenset[str], stop_words: frozenset[str],
               joiners: frozenset[str] = frozenset(), months: frozenset[str] = frozenset(),
               copulas: frozenset[str] = frozenset()) -> list[Candidate]:
    """The whole values of ``text``, in order, each with its label and following words; labels dropped."""
    toks = tokens(text)
    keys = _key_words(toks, stop_words)
    field_keys = _field_keys(toks)
    found: list[Candidate] = []
    listed = False  # inside "label: a, b" up to the sentence's end: each single word there is a value
    colon = -1
    i = 0
    while i < len(toks):
        word = toks[i].text
        if i in keys:  # "Characters below U+0080: 128": the key of a line, words of a label even where value-shaped
            if _counted_key(toks, i):  # "Registered aliases (8): euckr, ...": the count of the list the key labels
                found.append(Candidate(word, i, i + 1))
            i += 1
            continue
        if months and (end := _date_end(toks, i, months)) is not None:  # "starts on 2 February 2025": one value
            found.append(Candidate(text[toks[i].at: toks[end - 1].at + len(toks[end - 1].text)], i, end, date=True))
            i = end
            continue
        keyed = i > 0 and (not toks[i - 1].mark or toks[i - 1].text == ")")  # "Language codes (1): deu": a key
        # with a bracketed part
        if word == ":" and keyed and (end := _line_value(toks, i, months)) is not None:
            in_sentence = end < len(toks) and toks[end].text in ".!?;" and end + 1 < len(toks) \
                and toks[end + 1].text not in FIELD_MARKS  # "Kind: base instruction. Takes ...": no name
            found.append(Candidate(text[toks[i + 1].at: toks[end - 1].at + len(toks[end - 1].text)], i + 1, end,
                                   name=not in_sentence or _capital(toks[i + 1].text)))
            i = end
            continue
        close = next((k for k in range(i + 2, min(len(toks), i + QUOTED_WORDS + 2)) if toks[k].text == '"'), None) \
            if word == '"' else None
        if close is not None:  # message "Streams pipe error": a quoted value is one value, as the record writes it
            inner = text[toks[i].at + 1: toks[close].at].strip()
            number = next((k for k in range(i + 1, close) if NUMBER.fullmatch(toks[k].text)), None)
            if (amount := _AMOUNT.fullmatch(inner)) is not None and number is not None \
                    and toks[number].text == amount[2]:  # fee="1,258.10 EUR": the amount, its unit after it
                found.append(Candidate(amount[2], number, number + 1))
            else:
                found.append(Candidate(inner, i + 1, close, name=True))
            i = close + 1
            continue
        if toks[i].mark:
            listed = word == ":" and keyed or (listed and word == ",")
            colon = i if word == ":" else colon
            i += 1
            continue
        if len(word) == 2 and word.isalpha() and word.isupper() and i + 1 < len(toks) and toks[i + 1].text.isdigit() \
                and word.lower() not in stop_words:  # "NR 2515", "BA 117": a carrier's code and its number, one value
            found.append(Candidate(f"{word} {toks[i + 1].text}", i, i + 2))
            i += 2
            continue
        if i + 1 < len(toks) and NUMBER.fullmatch(toks[i + 1].text) and unit_code(word):
            i += 1  # "EUR 219,650", "USD 40": a currency's code before its amount is its unit, no value
            continue
        if i > 0 and NUMBER.fullmatch(toks[i - 1].text) and not toks[i].mark \
                and (len(word) <= UNIT_LETTERS or len(word) == UNIT_LETTERS + 1 and word.islower()
                     or _RATE_UNIT.fullmatch(word)) \
                and not any(ch.isdigit() for ch in word) and word.lower() not in stop_words \
                and (i + 1 == len(toks) or toks[i + 1].mark or not _capital(toks[i + 1].text)):
            i += 1  # "1,234 KiB", "-28 °C": a short word right after a number is its unit, no value of its own
            continue
        run = i
        while run < len(toks) and _BYTE.fullmatch(toks[run].text):
            run += 1
        if run - i >= 2 and _HEX.fullmatch(" ".join(t.text for t in toks[i:run])):  # "UTF-8 encoding: E2 99 A0":
            found.append(Candidate(text[toks[i].at: toks[run - 1].at + 2], i, run))  # bytes in hex are one value
            i = run
            continue
        if _capital(word) and not is_value(word) or (is_value(word) and word[:1].isalpha() and _capital(word)
                                                         and i + 1 < len(toks) and _capital(toks[i + 1].text)):
            j = i + 1
            while j < len(toks):
                if _capital(toks[j].text) and not toks[j].mark:
                    j += 1
                    continue
                k = j
                while k < len(toks) and toks[k].text.lower() in connectors:
                    k += 1
                if k > j and k < len(toks) and _capital(toks[k].text) and not toks[k].mark:
                    j = k
                    continue
                break
            first = i
            while i < j and toks[i].text.lower() in stop_words:  # "The Lyon" -> "Lyon"
                i += 1
            if i in field_keys:  # "Engineer Nerys Gallowe  Hours 2", "Ext. 4652": the field's first word is its key
                i += 1
            if i < j:
                found.append(Candidate(" ".join(t.text for t in toks[i:j]), i, j, name=True))
            i = max(j, first + 1)  # "At 109 metres": the word after a capitalised function word is read too
            continue
        if (glued := _GLUED_UNIT.fullmatch(word)) is not None:  # "this 4-hour programme": 4, its unit "hour"
            found.append(Candidate(glued[1], i, i + 1, unit=glued[2], colon=colon if listed and _item(toks, i) else -1))
        elif is_value(word) and not (i > 0 and NUMBER.fullmatch(toks[i - 1].text) and _HYPHENED.fullmatch(word)):
            # "135 dpkg-tracked paths", "84 on-time deliveries": a hyphened word after a number describes it
            found.append(Candidate(word, i, i + 1, colon=colon if listed and _item(toks, i) else -1))
        elif word.lower() not in stop_words and listed and _alone(toks, i):
            found.append(Candidate(word, i, i + 1, weak=True, colon=colon))
        elif word.lower() not in stop_words and _clause_end(toks, i):
            found.append(Candidate(word, i, i + 1, weak=True))
        i += 1
    strong = [c for c in found if not c.weak]
    kept = [c for c in found if c.weak or not _is_label(c, next((n for n in strong if n.start >= c.end), None), toks,
                                                        stop_words, text)]
    kept = _bracketed_names(text, toks, kept)
    bounds = [c for c in kept if not c.weak]
    taken: set[int] = set()  # token indices that are some value's following words
    for c in kept:
        nxt = min((b.start for b in bounds if b.start >= c.end), default=len(toks))
        after: list[str] = []
        content = 0
        for k in range(c.end, nxt):
            t = toks[k]
            close = next((m for m in range(k, nxt) if toks[m].text == ")"), None) if t.text == "(" else None
            unit_only = len(after) == 1 and NUMBER.fullmatch(c.text) and len(after[0]) <= UNIT_LETTERS + 1
            if (k == c.end or unit_only) and close is not None:  # "23 March 2025 (final session)": a bracket of
                # words right after a value (and its unit: "1053 days (from creation to release)") says what it is,
                # as a note (it may describe more than the value: "400 to 499 (syllabic scripts)")
                c.note = [u.text for u in toks[k + 1: close] if not u.mark]
                break
            if k == c.end and (title := _signed(toks, c, bounds)) is not None:  # "Priya Dandekar, Claims Adjuster":
                after = [u.text for u in toks[title.start: title.end] if not u.mark]  # a line of a name and the title
                break  # after its comma: the title says who the name is
            if t.text.lower() in copulas and k == c.end and _predicate(toks, k, nxt, stop_words):
                after += [t.text, toks[k + 1].text]  # "£75,605.99 was claimed against a reserve of ...": a verb and
                taken.update((k, k + 1))  # the word ending its clause, right after the value, say what it is; the
                break  # words after them label the next value
            if t.mark or content >= (1 if c.name else AFTER_WORDS) or t.text.lower() in joiners \
                    or (c.name and t.text.lower() in stop_words):  # a name's noun follows it at once
                break
            after.append(t.text)
            taken.add(k)  # "the Bergen office opened in 2014": "office" is Bergen's, not 2014's label;
            # "210 mm wide and 297 mm high": "wide" is 210's
            content += t.text.lower() not in stop_words
        counted = next((b for b in bounds if b.start == c.end and _named(b)), None) \
            if not after and c.text.isdigit() else None
        if counted is not None and counted.end < len(toks) and not toks[counted.end].mark \
                and toks[counted.end].text.islower():  # "13 SEE ALSO references": the name and its noun say what
            after = [t.text for t in toks[counted.start: counted.end + 1] if not t.mark]  # the number counts
        c.after = [c.unit] + after if c.unit else after
    for c in kept:  # the words back to the previous value, less those that describe that value
        back = max((b.end for b in bounds if b.end <= c.start), default=0)
        label = []
        keyed = -1  # the colon the label's words run back to: "Terms: Net 15" labels 15 "Net" and "Terms"
        for k in range(c.start - 1, back - 1, -1):
            t = toks[k]
            if (t.mark and label) or k in taken or t.text in FIELD_MARKS:  # never the previous field's words
                keyed = k if t.text == ":" and label else -1
                break
            if not t.mark:
                label.append(t.text)
        opened = c.start - 1 if c.start > 1 and toks[c.start - 1].text == '"' else c.start  # 'ITEM: "Ball Valve"'
        colon = c.colon if c.colon > 0 else opened - 1 if opened > 0 and toks[opened - 1].text == ":" else -1
        if colon > 0:  # "Latitude (decimal degrees): -22.27", "Aliases: sink, null": the key labels every value
            label = [t.text for k, t in enumerate(toks[_key_start(toks, colon): colon], _key_start(toks, colon))
                     if not t.mark and k != c.start and not _counted_key(toks, k)][::-1] or label  # not its own count
        elif keyed > 0:  # "Terms: Net 15": the key labels the words after it and their value, after those words
            label += [t.text for k, t in enumerate(toks[_key_start(toks, keyed): keyed], _key_start(toks, keyed))
                      if not t.mark and k >= back and k not in taken][::-1]
        opening = _key_start(toks, colon) - 1 if colon > 0 else c.start - len(label) - 1  # "U+219C (decimal
        # 8604)", "Before= entries: 1 (first: sysinit.target)": a value restated or detailed in brackets right after
        outer = next((b for b in bounds if opening in (b.end, b.end + len(b.after))), None) \
            if opening > 0 and toks[opening].text == "(" else None  # "4 code units (8 bytes)": after its words too
        if outer is None and (outer := next((b for b in bounds if c.start - 1 <= b.end <= c.start), None)) is not None \
                and not _equals(text, toks, outer, c):  # "Value 0x07ab = 1963": the same value restated, labelled
            outer = None  # as the first
        if outer is not None and label and bool(notation(outer.text)) != bool(notation(c.text)) and colon <= opening:
            outer = None  # "extension 5796 (desk BRS-4-44)": a labelled code beside a number is another field; a
            # key inside the bracket names a part of the field outside ("entries: 1 (first: sysinit.target)")
        c.label = label + (outer.label if outer is not None else [])  # another: its label is the outer one's too
    _pair_lists(toks, [c for c in kept if not c.weak], joiners, stop_words)
    _slashed_pairs(toks, kept)
    return _table_cells(text, toks, _dated_times(toks, _whole_references(text, toks, kept)))


CLOCK_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")  # "15:16", "09:05:30": a time of day
_NUMERIC_DATE = re.compile(r"\d{4}([-/.])\d{1,2}\1\d{1,2}|\d{1,2}([-/.])\d{1,2}\2\d{4}")  # "2025/04/12", "12.04.2025"


def _dated_times(toks: list[Tok], found: list[Candidate]) -> list[Candidate]:
    """A time of day right after a date written in numbers is one value with it ("last modified 2025/04/12 15:16"):
    the date is when, not the time's label."""
    out = []
    for c in found:
        before = toks[c.start - 1].text if c.start > 0 else ""
        if CLOCK_TIME.fullmatch(c.text) and _NUMERIC_DATE.fullmatch(before) \
                and not any(o.start <= c.start - 1 < o.end for o in found if o is not c):
            c = dataclasses.replace(c, text=f"{before} {c.text}", start=c.start - 1,
                                    label=c.label[1:] if c.label[:1] == [before] else c.label)
        out.append(c)
    return out


def _whole_references(text: str, toks: list[Tok], found: list[Candidate]) -> list[Candidate]:
    """A path from the root keeps its leading slash ("/usr/libexec/packagekitd"), and a bracket glued to a word
    ("man:agetty(8)", "printf(3)") stays with it: the tokens split both, as they must where a slash or a bracket
    separates words."""
    kept: list[Candidate] = []
    for c in found:
        a = toks[c.start].at
        if a > 0 and text[a - 1] == "/" and (a == 1 or text[a - 2] in " \t\n(:=,\"'") \
                and c.text.startswith(toks[c.start].text):
            c.text = "/" + c.text
        last = toks[c.end - 1]
        glued = _GLUED_BRACKET.match(text, last.at + len(last.text)) if c.end < len(toks) else None
        if glued is not None and c.text.endswith(last.text):
            c.text += glued.group()
            c.end = next((k for k in range(c.end, len(toks)) if toks[k].at >= glued.end()), len(toks))
            c.after, c.note = [], []
        if kept and kept[-1].end > c.start and kept[-1].start < c.start and text[toks[kept[-1].end - 1].at] == ")":
            continue  # inside a bracket glued to the value before it
        kept.append(c)
    return kept


_GLUED_BRACKET = re.compile(r"\([0-9A-Za-z]{1,4}\)")  # "(8)", "(3p)": a manual's section, right after its page


def _signed(toks: list[Tok], c: Candidate, bounds: list[Candidate]) -> Candidate | None:
    """The capitalised title that a comma and the line's end close ``c`` with, when ``c`` is a name that opens its
    line ("Priya Dandekar, Claims Adjuster"), as a letter is signed; else None."""
    if not c.name or (c.start > 0 and toks[c.start - 1].text != "\n") or c.end >= len(toks) or toks[c.end].text != ",":
        return None
    title = next((b for b in bounds if b.start == c.end + 1), None)
    return title if title is not None and title.name and (title.end == len(toks) or toks[title.end].text == "\n") \
        else None


def _predicate(toks: list[Tok], k: int, bound: int, stop_words: frozenset[str]) -> bool:
    """Whether the joiner at ``k`` opens a one-word predicate of the value before it: a word, not a value, then a
    function word or a mark ("was claimed against ..."), not the label of the next value ("is assigned opcode 130")
    or a second value ("12 and 9")."""
    if k + 2 >= min(bound + 1, len(toks)):
        return False
    word, then = toks[k + 1], toks[k + 2]
    return not word.mark and word.text.lower() not in stop_words and not is_value(word.text) \
        and not _capital(word.text) and (then.mark or then.text.lower() in stop_words)


def _slashed_pairs(toks: list[Tok], values: list[Candidate]) -> None:
    """A key of several labels joined by slashes over as many values joined so ("Target / screened / enrolled:
    42 / 0 / 0"): the i-th value is labelled by the i-th label. Hand-written, as `_pair_lists`."""
    for colon, t in enumerate(toks):
        if t.text != ":" or colon == 0:
            continue
        groups: list[list[str]] = [[]]
        k = colon - 1
        while k >= 0 and (not toks[k].mark or toks[k].text == "/"):
            if toks[k].text == "/":
                groups.append([])
            else:
                groups[-1].append(toks[k].text)
            k -= 1
        if len(groups) < 2 or not all(groups):
            continue
        groups.reverse()  # each group's words, nearest first, as a label is
        end = next((m for m in range(colon + 1, len(toks)) if toks[m].mark and toks[m].text != "/"), len(toks))
        line = [c for c in values if colon < c.start < end]
        between = [toks[a.end: b.start] for a, b in zip(line, line[1:])]
        if len(line) == len(groups) and line[0].start == colon + 1 and line[-1].end == end \
                and all(len(b) == 1 and b[0].text == "/" for b in between):
            for c, words in zip(line, groups):
                c.label = words


def _field_keys(toks: list[Tok]) -> set[int]:
    """The first words of the fields that gaps part (`_COLUMN_GAP`) on a line where such a field opens with a key
    word and then its value ("Engineer Nerys Gallowe  Hours 2  Materials £1,618.03"): a word in capitals, then a
    value-shaped one (a code, a number, an amount), at least FIELD_KEYS such fields in the record. Empty where no
    layout writes keys so."""
    if not any(t.text == "\t" for t in toks):  # every record is read here: most hold no columns
        return set()
    lines: list[list[int]] = [[]]  # token indices, per line
    for k, t in enumerate(toks):
        if t.text == "\n":
            lines.append([])
        else:
            lines[-1].append(k)

    def keyed(k: int) -> bool:
        nxt = next((m for m in range(k + 1, len(toks)) if toks[m].text != "."), len(toks))  # "Ext. 4652"
        return nxt < len(toks) and _capital(toks[k].text) and not is_value(toks[k].text) \
            and (is_value(toks[nxt].text) or toks[nxt].text in "$€£¥")

    found: set[int] = set()
    count = 0
    for line in lines:
        if not any(toks[k].text == "\t" for k in line):
            continue
        opening = [k for n, k in enumerate(line) if n == 0 or toks[line[n - 1]].text == "\t"]
        keys = sum(1 for k in opening if keyed(k))
        count += keys
        if keys:
            found |= {k for k in opening if _capital(toks[k].text) and not is_value(toks[k].text)}
    return found if count >= FIELD_KEYS else set()


_HYPHENED = re.compile(r"[a-z]+(?:-[a-z]+)+")  # words in small letters joined by hyphens ("dpkg-tracked")
VERSION = re.compile(r"[vV]\d+(?:\.\d+)+\S*")  # "v1.5.1": a version, its "v" the word that says so
_GLUED_UNIT = re.compile(r"(\d+(?:\.\d+)?)-([a-z]+)")  # "4-hour", "64-bit", "3-day": a number and its unit


def _date_end(toks: list[Tok], i: int, months: frozenset[str]) -> int | None:
    """The end of a date written with a month's name starting at token ``i``: "2 February 2025", "2 Feb",
    "February 2, 2025", "March 17 2025", "Sep 2024"; None when none starts there. The month is capitalised
    ("may" is a verb) and the day at most 31."""
    def month(k: int) -> bool:
        return k < len(toks) and toks[k].text[:1].isupper() and toks[k].text.lower() in months

    def day(k: int) -> bool:
        return k < len(toks) and toks[k].text.isdigit() and 1 <= int(toks[k].text) <= 31 and len(toks[k].text) <= 2

    def year(k: int) -> bool:
        return k < len(toks) and toks[k].text.isdigit() and len(toks[k].text) == 4

    if day(i) and month(i + 1):
        return i + 3 if year(i + 2) else i + 2
    if month(i) and day(i + 1):
        if i + 2 < len(toks) and toks[i + 2].text == "," and year(i + 3):
            return i + 4
        return i + 3 if year(i + 2) else i + 2
    if month(i) and year(i + 1):
        return i + 2
    return None


_RULE = re.compile(r"\s*[|+]?\s*:?-{2,}:?\s*(?:[|+]\s*:?-{2,}:?\s*)*[|+]?\s*")  # "|---|:--:|", "----+----"


_TITLED = re.compile(r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*")  # "Sabine", "Okafor-Lind", "O'Neil": a word of a name


def _bracketed_names(text: str, toks: list[Tok], found: list[Candidate]) -> list[Candidate]:
    """A name whose field ends with a short bracket ("Comment: Enhanced Interior Routing Protocol (Cisco)", "Section:
    RESOURCE USAGE (except WAL)") is written whole with it: the bracket is part of what the record calls it."""
    out = list(found)
    for c in found:
        if not c.name or c.date or c.end >= len(toks) or toks[c.end].text != "(":
            continue
        close = next((k for k in range(c.end + 1, min(len(toks), c.end + 6)) if toks[k].text in ")("), None)
        if close is None or toks[close].text != ")" or close == c.end + 1 \
                or not (close + 1 == len(toks) or toks[close + 1].text in FIELD_MARKS):
            continue
        inside = [t.text for t in toks[c.end + 1: close] if not t.mark]
        if len(c.text.split()) >= 2 and all(_TITLED.fullmatch(w) for w in c.text.split()) \
                and len(inside) >= 2 and all(w.isalpha() and w.islower() for w in inside):  # not a code: "(fgr)"
            out = [d for d in out if not (d.weak and c.end < d.start < close)]  # "Cc: Sabine Okafor-Lind (second
            continue  # reviewer)": a person's name and a note in small letters of who the person is, no value
        whole = Candidate(text[toks[c.start].at: toks[close].at + 1], c.start, close + 1, label=c.label, name=True,
                          colon=c.colon, column=c.column, row=c.row)
        out = [whole if d is c else d for d in out if d is c or not c.end <= d.start < close]
    return out


def _equals(text: str, toks: list[Tok], first: Candidate, second: Candidate | None) -> bool:
    """Two numbers joined by "=" ("0x07ab = 1963"), or by a slash when written in two notations ("value: 0x06d8 /
    1752"): one value restated, neither the label of the other (a key before "=", "shared_buffers = 128MB", is no
    number; "3 / 4" is a ratio)."""
    if second is None or second.start - first.end > 1 or not notation(first.text) or not notation(second.text):
        return False
    last = toks[first.end - 1]
    between = text[last.at + len(last.text): toks[second.start].at].strip()
    return between == "=" or between == "/" and notation(first.text) != notation(second.text)


def _table_cells(text: str, toks: list[Tok], found: list[Candidate]) -> list[Candidate]:
    """A table written with bars, a header row over a rule ("| Server | RAM (GB) |", "|---|---|"), or with tabs (a
    header row over rows of as many cells): each cell of a row below is one value labelled by its column's header,
    and the header is no value. Hand-written:
    markdown parsers give a tree without the character offsets the labels here are read from."""
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    bar = "|" if "|" in text else "\t" if "\t" in text else _delimiter(lines)  # a tab- or semicolon-separated
    # export is a table too
    if bar is None:  # every record is read here: most hold no table
        return found
    header = next((k for k in range(len(lines) - 1) if lines[k][1].count("|") >= 2 and _RULE.fullmatch(lines[k + 1][1])),
                  None) if bar == "|" else None
    skip = 2  # the header and its rule
    least = 3 if bar == "|" else 2  # the fewest bars (or tabs) of a row with no rule under its header
    if header is None:  # a header row right over rows of as many cells, no rule between ("| keysym | hex |")
        header = next((k for k in range(len(lines) - 1) if lines[k][1].count(bar) >= least
                       and lines[k + 1][1].count(bar) >= least
                       and (len(_cells(lines[k][1], bar)) == len(_cells(lines[k + 1][1], bar)) if bar in "|\t"
                            else _export_header(lines[k][1], lines[k + 1][1], bar))), None)
        skip = 1
    if header is None:
        return found
    names = [cell.strip() for cell in _cells(lines[header][1], bar)]
    spans: list[tuple[int, int, int, int]] = []  # (start, end, column, row) in characters, of the rows' cells
    for row, (start, line) in enumerate(lines[header + skip:]):
        if line.count(bar) < (2 if bar == "|" else len(names) - 1):
            break
        offset = 0
        for column, cell in enumerate(_cells(line, bar, len(names))):
            if (found_at := line.find(cell, offset)) < 0:  # a quoted cell with its quotes doubled: not as written
                continue
            offset = found_at
            if cell.strip() and column < len(names):
                lead = len(cell) - len(cell.lstrip())
                spans.append((start + offset + lead, start + offset + len(cell.rstrip()), column, row))
            offset += len(cell)
    table_end = lines[header + skip - 1][0] + len(lines[header + skip - 1][1])
    kept = [c for c in found if not lines[header][0] <= toks[c.start].at <= table_end
            and not any(a <= toks[c.start].at < b for a, b, _, _ in spans)]
    for a, b, column, row in spans:
        inside = [t.index for t in toks if a <= t.at < b and not t.mark]
        if inside:
            label = [t.text for t in tokens(names[column]) if not t.mark][::-1]
            cell = text[a:b]
            if (amount := _AMOUNT.fullmatch(cell)) is not None:  # "EUR 454,000", "87.7 %": the number, its unit
                after = amount[3] or amount[4]
                kept.append(Candidate(amount[2], inside[0], inside[-1] + 1, label=([amount[1]] if amount[1] else []) + label,
                                      after=[after] if after else [], column=column, row=row))
                continue
            kept.append(Candidate(cell, inside[0], inside[-1] + 1, label=label, name=True, column=column, row=row))
    return sorted(kept, key=lambda c: c.start)


_AMOUNT = re.compile(r"(?:([A-Z]{2,3}(?=\s)|[$€£¥])\s*)?(-?\d[\d,]*(?:\.\d+)?)(?:\s*(%)|\s+([A-Za-z]{1,3}))?")
# a table cell's amount and its unit: "EUR 454,000", "$12", "87.7 %", "350 kg" (not "PO-608268")


def _delimiter(lines: list[tuple[int, str]]) -> str | None:
    """The delimiter of an export's header line over a row of as many cells ("site_no;city;target" over
    "SN-4;Lyon;18"), or more where the last cell is free text: ";" or ",", when every header cell is a short label
    (words, no digits alone, no colon), or None. Hand-written: the csv module's Sniffer guesses from a sample with no
    character offsets and takes a sentence's commas for a table."""
    for bar in (";", ","):
        for (_, head), (_, row) in zip(lines, lines[1:]):
            if head.count(bar) < HEADER_CELLS - 1:  # most lines: too few cells, no split
                continue
            if len(head.split(bar)) >= HEADER_CELLS and _export_header(head, row, bar):
                return bar
    return None


def _export_header(head: str, row: str, bar: str) -> bool:
    """Whether ``head`` is an export's header over ``row``: every cell a short label, and the row as many cells or
    more (its free-text last cell may hold the delimiter)."""
    names = head.split(bar)
    return len(row.split(bar)) >= len(names) and all(_HEADER_CELL.fullmatch(n.strip()) for n in names)


HEADER_CELLS = 4  # the fewest cells of an export's header that a delimiter other than a bar or a tab makes a table
_HEADER_CELL = re.compile(r"(?=[^\d]*[^\W\d])[\w.#%()/ -]{1,40}")  # "site_no", "Last visit/closure", "Weight (kg)"


def _cells(line: str, bar: str = "|", columns: int = 0) -> list[str]:
    """The cells of a table row, without the bars at its ends (a tab-separated row: split at its tabs). Given its
    header's ``columns``, an export's row keeps the delimiters of its last cell, free text ("Letter of credit
    shipment; original docs by courier."), and of a quoted cell, read by the csv module ('"17/686,775"')."""
    if bar not in "|\t" and columns:
        if '"' not in line:
            return line.split(bar, columns - 1)
        cells = next(csv.reader([line], delimiter=bar))  # '"17/686,775",IDF-21-970': a quoted cell keeps its bar
        return cells[:columns - 1] + [bar.join(cells[columns - 1:])] if len(cells) > columns else cells
    if bar != "|":
        return line.split(bar)
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return inner.split("|")


_SENTENCE_ENDS = frozenset(".!?") | FIELD_MARKS


def _pair_lists(toks: list[Tok], values: list[Candidate], joiners: frozenset[str], stop_words: frozenset[str]) -> None:
    """A list of values after a list of as many words in one sentence ("its north, south and east squads have
    12, 7 and 9 members"): the i-th value is labelled by the i-th word and the words between the lists. Hand-
    written: no parser library reads such parallel lists, and a model per record would be slower than the rest."""
    def separated(a: int, b: int) -> bool:  # only "," and joiners between token a and token b
        return a < b and all(t.text == "," or t.text.lower() in joiners for t in toks[a:b])

    def joined(a: int, b: int) -> bool:  # a joiner between token a and token b
        return any(t.text.lower() in joiners for t in toks[a:b])

    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and separated(values[j].end, values[j + 1].start):
            j += 1
        group = values[i: j + 1]
        i = j + 1
        if len(group) < 2:
            continue
        start = group[0].start
        begin = next((k + 1 for k in range(start - 1, -1, -1) if toks[k].text in _SENTENCE_ENDS), 0)
        words = [k for k in range(begin, start) if not toks[k].mark and toks[k].text.lower() not in joiners]
        lists: list[list[int]] = []  # runs of single words joined by "," / joiners, in order
        for k in words:
            if lists and separated(lists[-1][-1] + 1, k):
                lists[-1].append(k)
            else:
                lists.append([k])
        match = next((run for run in reversed(lists) if len(run) == len(group)
                      and all(toks[k].text.lower() not in stop_words and not is_value(toks[k].text) for k in run)), None)
        if match is None or not (joined(group[-2].end, group[-1].start) and joined(match[-2] + 1, match[-1])):
            continue  # "peak error rate 35.8%, 36 alerts paged": two fields one after the other, no list ("12, 7
            # and 9"; "north, south and east") joined by a word
        head = [toks[k].text for k in range(start - 1, match[-1], -1) if not toks[k].mark]  # "squads have"
        for c, k in zip(group, match):
            c.label = [toks[k].text] + [w for w in head if w.lower() not in stop_words]


def _counted_key(toks: list[Tok], k: int) -> bool:
    """Whether token ``k`` is the count a key writes in brackets before its colon ("Registered aliases (8):")."""
    return bool(NUMBER.fullmatch(toks[k].text)) and 0 < k and toks[k - 1].text == "(" \
        and [t.text for t in toks[k + 1: k + 3]] == [")", ":"] \
        and toks[k].at + len(toks[k].text) == toks[k + 1].at  # not "Tax (25%):", a rate


def _key_start(toks: list[Tok], colon: int) -> int:
    """Where the key before ``colon`` starts: back to the previous mark, across a bracketed part
    ("Latitude (decimal degrees): -22.27")."""
    k = colon
    while k > 0:
        before = toks[k - 1].text
        if before in ")]":
            opener = next((j for j in range(k - 2, -1, -1) if toks[j].text in "([" or toks[j].text in FIELD_MARKS), -1)
            if opener < 0 or toks[opener].text in FIELD_MARKS:
                break
            k = opener
            continue
        if before == ",":  # "- code point, decimal: 1100": a line's key may hold a comma, back to the line's start
            start = next((j for j in range(k - 2, -1, -1) if toks[j].mark), -1)
            if (start < 0 or toks[start].text in FIELD_MARKS) and 0 < k - 2 - start <= KEY_WORDS:
                k = start + 1
            break
        if toks[k - 1].mark or STAMP.fullmatch(before):  # "2022-09-05T12:51 SUBMIT X funder ref: ...": a log
            break  # line's timestamp is the date of its event, never a word of a key
        k -= 1
    return k


STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def _key_words(toks: list[Tok], stop_words: frozenset[str] = frozenset()) -> set[int]:
    """The token indices of multi-word keys before a colon ("Minimum bytes per character: 1", "Wants First:" with
    no value); a one-word key ("libcairo2: Cairo 2D ...") may be the record's subject, so it is left to the rest,
    and a sentence that ends with a colon ("It is registered under 12 aliases: ...", several function words; "It
    covers 26 line items:", a function word and then a count) is no key."""
    out: set[int] = set()
    for i, t in enumerate(toks):
        if t.text != ":" or i + 1 < len(toks) and toks[i + 1].mark and toks[i + 1].text != "\n":
            continue  # a key with no value closes its line ("Wants First:")
        k = _key_start(toks, i)
        if sum(not toks[j].mark for j in range(k, i)) >= 2 and not _sentence_key(toks, k, i, stop_words):
            out.update(range(k, i))
    return out


_SMALL_NUMBER = re.compile(r"\d{1,3}")  # the number closing a name ("Net 30", "Amazon Root CA 1"), never a year


def _sentence_key(toks: list[Tok], start: int, colon: int, stop_words: frozenset[str]) -> bool:
    """Whether the words before a colon are a sentence, not a key: several function words ("It is registered
    under 12 aliases:"), a count first ("(Economy, 4 seat(s)):"), or a function word and then a count ("It covers 26
    line items:")."""
    return sum(toks[j].text.lower() in stop_words for j in range(start, colon)) >= SENTENCE_STOPS \
        or bool(NUMBER.fullmatch(toks[start].text)) \
        or toks[start].text.lower() in stop_words \
        and any(NUMBER.fullmatch(toks[j].text) for j in range(start + 1, colon))


def _line_value(toks: list[Tok], colon: int, months: frozenset[str] = frozenset()) -> int | None:
    """The end of a key's value when it is words only, the rest of its line ("Registered name: Mathematical
    notation") or of its sentence, or words closed by a small number ("Terms: Net 15"): one value, not a capitalised word and a
    clause's end. None for a list, a bracket, a date or other numbers."""
    end = next((k for k in range(colon + 1, len(toks)) if toks[k].text in FIELD_MARKS), len(toks))
    stop = next((k for k in range(colon + 2, end) if toks[k].text in ".!?;"), end)
    if stop + 1 < end and _capital(toks[stop + 1].text):  # "Cause: accidental damage. What happened: ...": a key
        end = stop  # inside a paragraph, its value up to the sentence's end
    while end > colon + 1 and toks[end - 1].text in ".!?":
        end -= 1
    inner = toks[colon + 1: end]
    numbered = len(inner) >= 2 and _SMALL_NUMBER.fullmatch(inner[-1].text) and _capital(inner[0].text) \
        and not unit_code(inner[0].text) and inner[0].text.lower() not in months  # "Terms: Net 15", "Root CA 1"
    if not 2 <= len(inner) <= LINE_WORDS or any(t.mark or any(c.isdigit() for c in t.text)
                                                for t in (inner[:-1] if numbered else inner)):
        return None
    return end


def _item(toks: list[Tok], i: int) -> bool:
    """The value opening an item of a labelled list ("Prices: 196 EUR list, 185 EUR on sale"): the list's
    label is its label too, whatever words follow it in its item."""
    return i == 0 or toks[i - 1].text in ",:"


def _alone(toks: list[Tok], i: int) -> bool:
    """One word between marks ("Aliases: sink, null."): an item of a labelled list."""
    return (i == 0 or toks[i - 1].mark) and (i + 1 == len(toks) or toks[i + 1].mark)


def _clause_end(toks: list[Tok], i: int) -> bool:
    """The last word of a short clause ("section gnome,"): a lowercase value a record names by a label."""
    if i + 1 < len(toks) and (not toks[i + 1].mark or toks[i + 1].text == ":"):  # "Region code:" labels
        return False
    start = i
    while start > 0 and not toks[start - 1].mark:
        start -= 1
    return 2 <= i - start + 1 <= 3


def _named(c: Candidate) -> bool:
    """A run of capitalised words, or one word in capitals ("NEEDED"): a name a count may go before ("12 NEEDED
    libraries", "13 SEE ALSO references")."""
    return c.name or c.text.isalpha() and c.text.isupper()


def _is_label(c: Candidate, nxt: Candidate | None, toks: list[Tok], stop_words: frozenset[str], text: str) -> bool:
    """Right before the next value, with at most two content words between: "alpha-2 code FI". A number with
    its glued unit ("a 4096-bit RSA key") is a value, never a label, and so is one the next value restates
    ("Value 0x07ab = 1963")."""
    if c.unit or _equals(text, toks, c, nxt):
        return False
    if nxt is not None and c.name and _ADDRESS.fullmatch(nxt.text):
        return False  # "Ann Lee <ann.lee@example.org>": a name and its address, two values
    if c.name and not is_value(c.text) and c.end + 1 < len(toks) and toks[c.end].text == ":" \
            and (not toks[c.end + 1].mark or toks[c.end + 1].text == '"'):  # "Aliases: sink": a word before a
        return True  # colon labels what follows it, a quoted value too ('BUYER: "Priya Oduya"')
    if nxt is None or (c.name and c.end - c.start >= 2 and not any(is_value(t.text) for t in toks[c.start: c.end])):
        return False  # "Bright Tern measures 118 m": a name of several words is what the sentence is about
    between = toks[c.end: nxt.start]
    if not between and NUMBER.fullmatch(c.text) and _named(nxt) and c.text.isdigit() and nxt.end < len(toks) \
            and not toks[nxt.end].mark and toks[nxt.end].text.islower():
        return False  # "13 SEE ALSO references": a count of the things a name and a noun after it say
    if 2 <= len(between) <= 3 and between[-1].text == ":" and NUMBER.fullmatch(c.text) \
            and all(t.text.islower() and not t.mark for t in between[:-1]):
        return False  # "registered under 12 aliases: 8859, cp819, ...", "It covers 26 line items: Soil survey": a
        # count and its noun, then what it counts
    if between and between[-1].text == '"' and nxt.name:  # 'BUYER: "Priya Oduya"': the quote opens the value
        between = between[:-1]
    if between and between[-1].text == ":":  # "Aliases: old-radius", "Version: 1.2"
        between = between[:-1]
    return len(between) <= 2 and all(not t.mark and t.text.lower() not in stop_words for t in between)


Same = Callable[[str, str], bool]  # two lower-case words that label the same thing (the language's morphology)


def matches(word: str, wanted: list[str] | set[str], same: Same | None = None) -> bool:
    w = word.lower()
    return any(same_word(w, q) or _stem(q) == _stem(w) or (same is not None and same(w, q)) for q in wanted)


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:  # "flies" / "fly"
        return word[:-3] + "y"
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: -len(ending)]
            return stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem  # "running" / "run"
    return word


_KEY_JOINED = re.compile(r"[^\W_][_/][^\W_]|[^\W\d_]-[^\W\d_]")  # "owner_team", "units/ctn", "Changelog-Entries"
_KEY_PARTS = re.compile(r"[_/]|(?<=[^\W\d_])-(?=[^\W\d_])")


def score(c: Candidate, wanted: list[str], stop_words: frozenset[str] = frozenset(),
          weights: dict[str, float] | None = None, same: Same | None = None) -> float:
    """How many of ``wanted`` (question words) the candidate's context holds: the two content words
    nearest it count fully (its own label, "alpha-3 code", or unit, "kB"), farther ones little (words
    the whole record shares, "ISO 4217", label every value after them). ``weights`` scale a question
    word by how few candidates it describes (a word every value's label holds tells none apart)."""
    total = 0.0
    seen: set[str] = set()
    kin = getattr(same, "kin", None)  # another unit of the asked unit's dimension, not the asked unit
    for words, near, far in ((c.label, 1.0, 0.35), (c.after, 0.9, 0.3), (c.note, 0.3, 0.3)):
        distance = 0
        for k, word in enumerate(words):
            low = word.lower()
            if words is c.after and k and low in stop_words:  # "2017 at a purchase price of EUR 172,100": past
                distance = 2  # a function word, the words after a value begin another value's label: far
            shown = label_parts(word)  # a key in snake case,
            # "owner_team", two words joined by a slash, "units/ctn", or a header's hyphens, "Changelog-Entries":
            # each word asks, and so does the whole ("on-call")
            parts = [p.lower() for p in shown]
            hits = {q for p in parts if p for q in wanted if matches(p, [q], same)} if low not in seen else set()
            if not hits and low not in seen:  # "PO" for "purchase order", "LAB_HRS" for "labour hours"
                hits = {a for p in shown if p and (a := _abbreviated(p, wanted)) is not None}
            if not hits and low not in seen and same is not None:  # "dynsyms" for "dynamic symbols"
                hits = set(_compounded(low, wanted, same))
            if hits:
                seen.add(low)
                total += (near if distance <= 1 else far) * sum(
                    (weights or {}).get(hit, 1.0) * (KIN if kin is not None and all(kin(p, hit) for p in parts)
                                                     else 1.0) for hit in hits)
            distance += low not in stop_words
    return total


def _initials_of(word: str, wanted: list[str]) -> str | None:
    """The asked word whose parts (a compound: "purchase-order") or which with the next asked words ("purchase
    order") ``word`` abbreviates by their initials, written in capitals ("PO"), or None."""
    if not (2 <= len(word) <= 4 and word.isalpha() and word.isupper()):
        return None
    low = word.lower()
    for k, q in enumerate(wanted):
        parts = q.split("-")
        if len(parts) == len(low) and "".join(p[:1] for p in parts) == low:
            return q
        if "".join(w[:1] for w in wanted[k: k + len(low)]) == low and len(wanted[k: k + len(low)]) == len(low) \
                and all(w.isalpha() and len(w) > 2 for w in wanted[k: k + len(low)]):
            return q
    return None


def _abbreviated(word: str, wanted: list[str]) -> str | None:
    """The asked word that ``word``, written in capitals as an export's header writes its keys, abbreviates: by
    initials ("PO", `_initials_of`), by its first letters ("SCHED" for "scheduled", "INV" for "invoice"), or by
    some of its letters in order from its first to its last ("HRS" for "hours", "QTY" for "quantity"), the last
    also capitalised only, where no vowel follows its first letter ("Hrs", "Amt"); or None."""
    if (initialled := _initials_of(word, wanted)) is not None:
        return initialled
    low = word.lower()
    skeleton = not any(ch in VOWELS for ch in low[1:])  # "Hrs", "Qty", "Amt": written without its vowels
    if not (ABBREVIATED[0] <= len(word) <= ABBREVIATED[1] and word.isalpha()
            and (word.isupper() or skeleton and word[:1].isupper())):
        return None
    for q in wanted:
        if not q.isalpha() or len(q) <= len(low):
            continue
        if word.isupper() and q.startswith(low) or q[0] == low[0] and q[-1] == low[-1] and _in_order(low, q):
            return q
    return None


def _compounded(word: str, wanted: list[str], same: Same) -> list[str]:
    """The two asked words, next to each other in the question, that ``word`` writes as one key, each shortened
    or whole ("dynsyms" for "dynamic symbols", "filesize" for "file size"); else none."""
    if not word.isalpha() or len(word) < 6:
        return []
    for k in range(3, len(word) - 2):
        head, tail = word[:k], word[k:]
        for first, second in zip(wanted, wanted[1:]):
            if first != second and same(head, first) and same(tail, second):
                return [first, second]
    return []


def _in_order(letters: str, word: str) -> bool:
    """Every one of ``letters`` in ``word``, in their order."""
    rest = iter(word)
    return all(ch in rest for ch in letters)


def _weights(cands: list[Candidate], wanted: list[str], same: Same | None = None) -> dict[str, float]:
    """1 / the number of candidates whose context holds the word (at least one)."""
    out = {}
    for q in wanted:
        n = sum(any(matches(p, [q], same) for w in c.label + c.after + c.note for p in label_parts(w)) for c in cands)
        out[q] = 1.0 / max(1, n)
    return out


def label_parts(word: str) -> list[str]:
    """A word and, for a key in snake case or two words joined ("campaign_code", "units/ctn"), each of its parts:
    the words `score` matches a question word against."""
    return [word] + _KEY_PARTS.split(word) if _KEY_JOINED.search(word.lower()) else [word]


def ranked(cands: list[Candidate], wanted: list[str], stated: str, numeric: bool = False,
           stop_words: frozenset[str] = frozenset(), same: Same | None = None) -> list[Candidate]:
    """The candidates the question does not state with a positive score, best first (ties in text order)."""
    lowered = stated.lower()
    weights = _weights(cands, wanted, same)
    kept = []
    for c in cands:
        if re.search(r"(?<![\w-])" + re.escape(c.text.lower().lstrip("#")) + r"(?![\w-])", lowered):
            continue  # stated, with its hash ("#4793") or without
        if numeric and not NUMBER.fullmatch(c.text):
            continue
        c.score = score(c, wanted, stop_words, weights, same)
        if c.score > 0:
            # a tie goes to the value whose own label says least beside the question's words ("Characters: 416"
            # over "Characters below U+0080: 128" for "how many characters")
            near, content = [], 0
            for w in c.label:  # up to its third content word; function words count ("below" / "from ... up")
                if content == NEAR_WORDS:
                    break
                near.append(w)
                content += w.lower() not in stop_words
            c.score -= UNASKED * sum(1 for w in near if not w[:1].isdigit() and w.lower() not in lowered
                                     and not matches(w, wanted, same))
            kept.append(c)
    return sorted(kept, key=lambda c: -c.score)


def tied(ranking: list[Candidate]) -> list[Candidate]:
    """The candidates sharing the best score: the question's words do not tell them apart."""
    return [c for c in ranking if ranking and abs(c.score - ranking[0].score) < 1e-9]


def choose(cands: list[Candidate], wanted: list[str], stated: str, numeric: bool = False) -> Candidate | None:
    """The best-scoring candidate the question does not state (a positive score), or None."""
    ranking = ranked(cands, wanted, stated, numeric)
    return ranking[0] if ranking else None
