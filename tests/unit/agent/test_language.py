"""The language file: which operation a question's words name, in which operand order (no model)."""

from __future__ import annotations

import pytest

from deployments.agent.choices import numbers
from deployments.agent.language import Language, OperatorWords, holds, load_language, words

EN = load_language()


def stated(question: str):
    return EN.stated(question, numbers(question, distinct=False))


def test_the_bundled_english_file_names_each_operation():
    assert EN.operation("What is A minus B?").op == "-"
    assert EN.operation("What is the total of A and B?").op == "+"
    assert EN.operation("A multiplied by B").op == "*" and EN.operation("A divided by B").op == "/"
    comparison = EN.operation("How many kB larger is A than B?")
    assert comparison.op == "-" and comparison.larger_first
    assert EN.operation("How many more people live in A than in B?").larger_first
    assert EN.operation("What is the size of A?") is None  # names none: the model chooses
    assert EN.operation("A plus B, multiplied by C") is None  # names several: the model chooses


def test_a_gapped_phrase_needs_its_parts_in_order():
    assert holds(words("more apples than pears"), "more ... than")
    assert not holds(words("than pears more"), "more ... than")
    assert holds(words("Divided by two"), "divided by")


def test_each_gap_between_stated_numbers_is_read_on_its_own():
    assert stated("What is 348 minus 48, plus 4?") == (("348", "48", "4"), ("-", "+"))
    assert stated("What is the difference between 26 and 32, multiplied by 2?") == (("32", "26", "2"), ("-", "*"))
    assert stated("What is the sum of 216, 36 and 2?") == (("216", "36", "2"), ("+", "+"))  # a list
    assert stated("What is 3 and 4?") == (("3", "4"), ("+-*/",))  # nothing named: the model chooses
    assert stated("What is 5 or 6?") == (("5", "6"), ("+-*/",))
    assert EN.stated("What is 5 minus 6?", ["6", "5"]) is None  # not the question's numbers in order


def test_subtract_a_from_b_puts_b_first():
    assert stated("What do you get when you subtract 47 from 120?") == (("120", "47"), ("-",))
    assert stated("What is 120 minus 47?") == (("120", "47"), ("-",))
    assert EN.reverses("subtract ", " from ") and not EN.reverses("", " from ")


def test_a_language_is_data_and_stop_words_are_its_function_words():
    other = Language(operators=[OperatorWords(op="-", phrases=["moins"])], stop_words=frozenset({"le"}))
    assert other.operation("12 moins 5").op == "-" and EN.operation("12 moins 5") is None
    assert other.is_stop_phrase("le") and not other.is_stop_phrase("le chat")
    assert {"than", "the", "is", "get"} <= EN.stop_words and "which" in EN.kind_words


def test_words_yaml_reads_as_booleans_are_quoted_and_an_unquoted_one_is_refused(tmp_path):
    assert {"on", "off", "no"} <= EN.stop_words and not {"true", "false"} & EN.stop_words
    bad = tmp_path / "bad.yaml"
    bad.write_text("stop_words: [the, on]\n", encoding="utf-8")
    try:
        load_language(str(bad))
    except ValueError as exc:
        assert "quote" in str(exc)
    else:
        raise AssertionError("an unquoted boolean was accepted")


@pytest.mark.parametrize("a,b", [
    ("writes", "writer"), ("operates", "operator"), ("installation", "installs"), ("min", "minimum"),
    ("num", "number"), ("widths", "wide"), ("heights", "tall"), ("described", "description"),
    ("alternates", "additional"), ("extras", "secondary"), ("currencies", "money"),
    ("voltage", "volts"), ("printable", "prints"), ("convertible", "converted"),
    ("departure", "departs"), ("failures", "failed"), ("pressure", "pressed"), ("objectives", "targeted"),
    ("accommodation", "hotels"),
])
def test_word_formation_joins_words_it_was_not_written_from(a: str, b: str) -> None:
    assert load_language().same_word(a, b) and load_language().same_word(b, a)


@pytest.mark.parametrize("a,b", [("currency", "current"), ("port", "sport"), ("code", "country"), ("max", "mix")])
def test_word_formation_keeps_other_words_apart(a: str, b: str) -> None:
    assert not load_language().same_word(a, b)


@pytest.mark.parametrize("question,aside", [
    ("aside from the postcode, what else is on the label", ["the", "postcode"]),
    ("Apart from red, which colours does it come in?", ["red"]),
    ("besides its weight what does the sheet give", ["its", "weight", "what", "does", "the", "sheet", "give"]),
])
def test_a_set_aside_phrase_covers_the_words_up_to_the_next_mark(question: str, aside: list[str]) -> None:
    words = [w for w in question.lower().replace(",", " , ").replace("?", " ?").split()]
    got = [words[i] for i in sorted(load_language().set_aside(words))]
    assert got == aside


def test_a_unit_is_of_each_dimension_it_measures_unless_two_dimensions_are_told_apart() -> None:
    language = load_language()
    assert language.same_word("centimetres", "height") and language.same_word("feet", "depth")
    assert language.same_word("pounds", "heavy") and not language.same_word("pounds", "width")
    assert not language.same_word("mm", "width", units=False)


def test_a_compound_is_no_abbreviation_when_its_rest_is_a_known_word() -> None:
    language = load_language()
    assert not language.same_word("fire", "firewall", known={"wall", "door"})
    assert language.same_word("temp", "temperature", known={"wall", "door"})


def test_a_word_s_consonants_abbreviate_it_and_a_word_with_vowels_does_not() -> None:
    same = load_language().same_word
    assert same("ctn", "carton") and same("qty", "quantity") and same("mfr", "manufacturer") and same("amt", "amount")
    assert not same("cat", "contract") and not same("ct", "carton")  # a vowel inside; two letters


def test_two_words_joined_by_a_slash_in_a_label_are_each_matched() -> None:
    from deployments.agent.records import Candidate, score
    assert score(Candidate("2", 0, 1, label=["Units/Ctn"]), ["carton"], same=load_language().same_word) > 0


def test_prepositions_are_function_words_and_a_kind_word_before_one_asks_a_kind() -> None:
    assert {"across", "among", "towards", "via", "beyond"} <= EN.stop_words
    assert "one" in EN.kind_pronouns and {"is", "was"} <= EN.copulas and not {"is", "was"} & EN.clause_joiners


@pytest.mark.parametrize("a,b,same", [("cols", "columns", True), ("secs", "seconds", True), ("refs", "references", True),
                                      ("keys", "keysym", False), ("bytes", "bytecode", False)])
def test_an_abbreviation_in_the_plural_matches_its_word_in_the_plural_only(a: str, b: str, same: bool) -> None:
    assert EN.same_word(a, b) is same and "that" in EN.demonstratives


@pytest.mark.parametrize("a,b,same", [("behaviour", "behavior", True), ("neighbours", "neighbor", True),
                                      ("organisation", "organization", True), ("analysed", "analyzed", True),
                                      ("catalogue", "catalogs", True), ("licence", "license", True),
                                      ("four", "for", False), ("hours", "hors", False), ("honour", "honey", False)])
def test_one_word_in_british_and_american_spelling_is_the_same_word(a: str, b: str, same: bool) -> None:
    assert EN.same_word(a, b) is same


@pytest.mark.parametrize("a,b,same", [("emergency", "emerged", True), ("references", "refers", True),
                                      ("sequence", "sequel", False), ("fence", "fed", False)])
def test_a_noun_in_ency_or_ence_is_of_its_verb_s_stem(a: str, b: str, same: bool) -> None:
    assert EN.same_word(a, b) is same


@pytest.mark.parametrize("question,shape", [
    ("Where do I write to the owner? I need their email.", "email"),
    ("What's the link to the vendor's status page?", "url"),
    ("Print the SHA256 of the release tarball.", "digest"),
    ("Which address is on the invoice?", None),  # a postal address: no shape asked
    ("How big is the page in bytes?", None),
])
def test_a_shape_word_asks_a_value_written_in_that_shape(question: str, shape: str | None) -> None:
    assert load_language().shape(question) == shape
