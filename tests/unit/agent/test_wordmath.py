"""The arithmetic parser on generated English: random expression trees, each rendered in words by
forms chosen at random (nesting, precedence, lists, "more than", half, squared, "then" ...), with the
value computed from the tree, never from the parser. 300 phrasings per run, seeded."""

from __future__ import annotations

import random

import pytest

from deployments.agent.calculator import evaluate
from deployments.agent.language import load_language
from deployments.agent.wordmath import parse, tokenize

# levels: 0 a number or a function ("the sum of ..."), 1 unary ("half of 8", "9 squared"),
# 2 product, 3 sum, 4 comparison ("17 more than ..."); a slot takes a phrase of at most its level
ATOM, UNARY, PRODUCT, SUM, COMPARE = range(5)


def number(rng: random.Random) -> tuple[str, float]:
    value = rng.randint(2, 60)
    form = rng.randrange(10)
    if form == 0:
        value = rng.randint(1000, 9999)
        return f"{value:,}", value
    if form == 1:
        return f"0{value}", value  # a leading zero
    if form == 2:
        return f"{value}.5", value + 0.5
    return str(value), value


def phrase(rng: random.Random, level: int, depth: int) -> tuple[str, float, int]:
    """(words, value, level of the words) of a random tree of at most ``level``."""
    if depth <= 0 or rng.random() < 0.3:
        text, value = number(rng)
        return text, value, ATOM
    forms = [f for f, lv in FORMS if lv <= level]
    return rng.choice(forms)(rng, depth - 1)


def _sum_of(rng, d):
    parts = [phrase(rng, UNARY, d) for _ in range(rng.choice([2, 3, 4]))]
    words = ", ".join(p[0] for p in parts[:-1]) + " and " + parts[-1][0]
    return f"the {rng.choice(['sum', 'total'])} of {words}", sum(p[1] for p in parts), ATOM


def _product_of(rng, d):
    a, b = phrase(rng, UNARY, d), phrase(rng, UNARY, d)
    return f"the product of {a[0]} and {b[0]}", a[1] * b[1], ATOM


def _difference(rng, d):
    a, b = phrase(rng, UNARY, d), phrase(rng, UNARY, d)
    return f"the difference between {a[0]} and {b[0]}", abs(a[1] - b[1]), ATOM


def _mean(rng, d):
    parts = [phrase(rng, ATOM, d) for _ in range(3)]
    return (f"the average of {parts[0][0]}, {parts[1][0]} and {parts[2][0]}", sum(p[1] for p in parts) / 3, ATOM)


def _half(rng, d):
    a = phrase(rng, UNARY, d)
    word, factor = rng.choice([("half of", 0.5), ("halve", 0.5), ("double", 2), ("twice", 2), ("triple", 3),
                               ("quadruple", 4), ("four times", 4)])
    return f"{word} {a[0]}", a[1] * factor, UNARY


def _power(rng, d):
    value = rng.randint(2, 15)
    word, exponent = rng.choice([("squared", 2), ("cubed", 3)])
    return f"{value} {word}", value ** exponent, UNARY


def _times(rng, d):
    a, b = phrase(rng, PRODUCT, d), phrase(rng, UNARY, d)
    word = rng.choice(["times", "multiplied by"])
    return f"{a[0]} {word} {b[0]}", a[1] * b[1], PRODUCT


def _divided(rng, d):
    a = phrase(rng, PRODUCT, d)
    divisor = rng.choice([2, 4, 5, 8])
    return f"{a[0]} divided by {divisor}", a[1] / divisor, PRODUCT


def _plus(rng, d):
    a, b = phrase(rng, SUM, d), phrase(rng, PRODUCT, d)
    op = rng.choice([("plus", 1), ("minus", -1), ("increased by", 1), ("decreased by", -1)])
    return f"{a[0]} {op[0]} {b[0]}", a[1] + op[1] * b[1], SUM


def _more_than(rng, d):
    a, b = phrase(rng, UNARY, d), phrase(rng, COMPARE, d)
    word, sign = rng.choice([("more than", 1), ("less than", -1)])
    return f"{a[0]} {word} {b[0]}", b[1] + sign * a[1], COMPARE


FORMS = [(_sum_of, ATOM), (_product_of, ATOM), (_difference, ATOM), (_mean, ATOM), (_half, UNARY),
         (_power, UNARY), (_times, PRODUCT), (_divided, PRODUCT), (_plus, SUM), (_more_than, COMPARE)]


def then_step(rng: random.Random, value: float) -> tuple[str, float]:
    n, _ = number(rng)
    n_value = float(n.replace(",", ""))
    return rng.choice([
        (f"then add {n}", value + n_value), (f"then subtract {n}", value - n_value), ("then double it", value * 2),
        ("then halve it", value / 2), (f"then multiply it by {n}", value * n_value), (f"plus {n}", value + n_value),
        (f"then increased by {n}", value + n_value), ("then square it", value ** 2), (f"minus {n}", value - n_value),
        (f"then multiply the sum by {n}", value * n_value), (f"then divide the result by {n}", value / n_value),
    ])


def question(rng: random.Random) -> tuple[str, float]:
    text, value, _ = rng.choice([f for f, _ in FORMS])(rng, rng.randint(0, 2))  # an operation at the top
    if rng.random() < 0.4:
        step, value = then_step(rng, value)
        text = f"{text}, {step}"
    frame = rng.choice(["What is {}?", "Compute {}.", "How much is {}?", "Calculate {}", "what's {}?",
                        "Please work out {}."])
    return frame.format(text), value


def verb_question(rng: random.Random) -> tuple[str, float]:
    a, b = phrase(rng, UNARY, 1), phrase(rng, PRODUCT, 1)
    verb, value = rng.choice([(f"add {a[0]} to {b[0]}", b[1] + a[1]), (f"subtract {a[0]} from {b[0]}", b[1] - a[1]),
                              (f"multiply {a[0]} by {b[0]}", a[1] * b[1])])
    frame = rng.choice(["{}.", "What do you get if you {}?", "Please {}."])
    return frame.format(verb[0].upper() + verb[1:] if frame == "{}." else verb), value


CASES = [question(random.Random(seed)) for seed in range(260)] + [verb_question(random.Random(1000 + s)) for s in range(60)]


@pytest.mark.parametrize("text,value", CASES)
def test_generated_phrasing_computes_its_value(text: str, value: float) -> None:
    expression = parse(text, load_language())
    assert expression is not None, text
    assert evaluate(expression) == pytest.approx(value, rel=1e-9), (text, expression)


@pytest.mark.parametrize("text,value", [
    ("What is 17 more than the product of 12 and 9?", 125), ("Add 280 to the product of 32 and 19.", 888),
    ("What is the sum of 125, 375 and 48?", 548), ("What is half of 846, plus 12?", 435),
    ("What is 14 squared, minus 86?", 110), ("What is 2682 divided by 6, then increased by 65?", 512),
    ("Start with 250, take away 40, then double it.", 420), ("What is 040 plus 2?", 42),
    ("What is 1,200.5 minus 0.5?", 1200), ("What is seven times eight?", 56),
    ("What is twenty-five plus three hundred and twelve?", 337), ("What is 15% of 240?", 36),
    ("What is 15 percent of 240, plus 4?", 40), ("What is (3 + 4) * 5?", 35), ("Compute 100 - 7 x 3", 79),
    ("Begin with 8,192, halve it twice.", 2048), ("Start with 10, double it three times, then subtract 5.", 75),
    ("Take 7, triple it two times.", 63), ("Add 12 and 30, with that total divided by 6.", 7),
    ("Start with 9, then the result squared.", 81), ("If we have 75 and take away 20, what remains?", 55),
    ("I have 40, remove 8 and then 12. How many are left?", 20), ("add 24 and 16 then multiply the sum by 3", 120),
    ("How much larger is 9 times 7 than 50?", 13), ("how much less is 3,000 divided by 4 than 900", 150), ("Multiply 6 by 5, then by 2.", 60), ("Begin with 7, add 3, then another 5.", 15),
    ("By how much more than 60 is 8 squared?", 4), ("how much lower than 1,000 is 45 times 20", 100),
    ("Take a third of 99 after which we add 7.", 40),
    ("Subtract 200 from 1,000 and halve what remains.", 400),
    ("Multiply 6 by 9, then add 6 to the result. What is the answer?", 60),
    ("Take 90, add 30, then split it into 4 equal shares.", 30), ("begin with 72 and divide it into 8 piles", 9),
    ("Start with 90 and add a third of it.", 120), ("Take 400, subtract 0.25 of it, then add 7.", 307),
    ("Begin with 200, add 10 percent of that, then halve it.", 110),
])
def test_the_issue_examples(text: str, value: float) -> None:
    assert evaluate(parse(text, load_language())) == pytest.approx(value)


@pytest.mark.parametrize("text,value", [
    ("What are 3, 5 and 7 multiplied together?", 105), ("Tell me what 18, 22 and 60 total.", 100),
    ("What do 2.5, 7.5 and 10 come to?", 20),  # a list, then the phrase naming its operation
    ("Take 90, halve it, then shave off 5: the answer?", 40), ("Multiply 12 by 4 - result?", 48),  # a closing word
    ("Start with 300 and take off 45.", 255),
    ("Beginning with 80 we add 5, then double it.", 170),  # who does the step, right after the start
])
def test_a_list_named_after_it_and_a_closing_word(text: str, value: float) -> None:
    assert evaluate(parse(text, load_language())) == pytest.approx(value)


@pytest.mark.parametrize("text,value", [
    ("What is 1,400 reduced by 25%?", 1050), ("increase 64 by 50 percent", 96), ("Deduct 10% from 730.", 657),
    ("Begin with 80, then add 15%.", 92), ("What is 2,000 plus 3 percent?", 2060),
    ("What is 12% of 300 plus 4?", 40),  # a percentage of a number is no change of the left side
    ("a quote of 5,000 plus a 15 percent contingency on it", 5750),  # an article before the share
])
def test_a_percentage_added_or_taken_away_is_a_share_of_the_amount_it_changes(text: str, value: float) -> None:
    assert evaluate(parse(text, load_language())) == pytest.approx(value)


@pytest.mark.parametrize("text,value", [
    ("Take away 12 from 200 and then halve it, what is the total?", 94),
    ("Multiply 9 by 6 and add 1, what's the sum?", 55),
    ("Add 3 and 7, then multiply everything by 4.", 40), ("18 minus 6, all of it divided by 4", 3),
    ("What is 81 halved two times?", 20.25), ("Combine 45 and 55, then double it.", 200),
    ("What is 5 to the power of 3, minus 25?", 100), ("2 raised to the power of 8 plus 4", 260),
    ("Add 845 pages and 1,320 pages.", 2165), ("What do 12 m, 7.5 m and 30 m add up to?", 49.5),  # the numbers'
    ("Begin with 60 spare fuses, remove 12 and 9, then add 4.", 43),  # nouns are no operands
])
def test_a_closing_question_everything_so_far_a_repeated_step_a_power_and_the_numbers_nouns_are_read(text: str, value: float) -> None:
    assert evaluate(parse(text, load_language())) == pytest.approx(value)


@pytest.mark.parametrize("text", [
    "What is the numeric code of Aruba?", "How many employees does the Lyon office have?",
    "What is the numeric code of Aruba plus 10?", "Which package has version 1.2.8-1?", "How much do 3 licences cost?",
    "QX1048-2002 is an alias of which model?", "items below U+0080 minus",
    "Which contract ends on 2031-09-14?", "whose badge expires 14.09.2031", "the lease signed 03/11/2029",
    "What is the ISO 3166-2 code for Lowland?", "which IEC 61131-3 language is it",
    "Give me the entry number of Lowland in the 639-3 table.", "Which building has landlord reference HLR/2019/7860?",
])
def test_a_question_that_is_not_arithmetic_in_words_is_left_to_the_model(text: str) -> None:
    assert parse(text, load_language()) is None


def test_numbers_keep_their_value_whatever_their_form() -> None:
    assert [t.number for t in tokenize("040, 1,200 and 3.50") if t.number] == ["40", "1200", "3.50"]


@pytest.mark.parametrize(("text", "value"), [
    ("Multiply 16 by 3 please, it's for three invoices.", 48),
    ("Subtract 19 from 70. The request came from four people.", 51),
    ("What's 120 divided by 8? I am asking, like two colleagues did.", 15),
    ("Add 5 and 7, then add two", 14),  # a later clause with an operation of its own still counts its number
])
def test_a_number_word_in_a_later_clause_counts_the_users_things_not_an_operand(text: str, value: float) -> None:
    assert evaluate(parse(text, load_language())) == pytest.approx(value)
