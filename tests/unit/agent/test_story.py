"""Arithmetic told as a story (`story.read_story`): one made-up case per cue, and two tables written blind.

Both tables were written by helpers that saw neither this reader nor its words. The dev table
(`data/agent_sets/story_problems_dev.jsonl`, d713a23) was tuned on; the test table
(`story_problems.jsonl` here, 06e4994) was only measured: once when the first reader landed, once
after the tuning on the dev table, once after stop 42's two story readings, and at stops 45 and 46 (each
tuned on agent dev sets), never read. Their figures are held as floors: a change that reads
fewer stories right, answers more wrongly or computes a lookup fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployments.agent.calculator import evaluate
from deployments.agent.language import load_language
from deployments.agent.story import read_story
from deployments.agent.wordmath import parse


@pytest.mark.parametrize("text,value", [
    ("A shelf holds 80 jars and 26 were sold today. How many jars remain?", 54),  # a removal
    ("Our depot had 310 pallets; 45 pallets left on Monday. How many are still there?", 265),
    ("Nine drivers each deliver 35 parcels. How many parcels in all?", 315),  # a rate
    ("The printer prints 42 pages per minute. How many pages in 15 minutes?", 630),
    ("A carton holds 24 cans. How many cans do 11 cartons hold?", 264),  # one item, then many
    ("2,400 flyers are shared equally among 16 volunteers. How many does each volunteer get?", 150),  # sharing
    ("We ordered 120 chairs and 35 more arrived later. What is the total?", 155),  # an addition
    ("Four teams scored 18, 22 and 30 and 25 points. How many points altogether?", 95),  # a counted list
    ("The lease was signed in 2019 and runs for 7 years. In which year does it end?", 2026),  # a year and a span
    ("The plant opened in 1987 and closed in 2015. How many years was it open?", 28),
    ("Five boxes of 12 pens each, and 8 loose pens: how many pens in total?", 68),  # two steps
    ("We had 900 mugs, sold 300, and shared the rest equally among 4 shops. How many mugs per shop?", 150),
    ("Three trucks brought 410, 385 and 290 crates, then 120 crates were returned. How many did we keep?", 965),  # a
    # list that opens the story is one amount
    ("My bill was 3 nights at 95.50 each and I got a 40 refund. How much did I pay in total?", 246.5),  # money back
    ("We split 1,500 across 5 regions and then add 20 to each region's budget. What is one region's budget?",
     320),  # the verb right before a number names its step, whatever follows it
    ("2,400 divided by 8, and then 60 subtracted from that", 240),  # arithmetic's own verbs remove too
    ("A van carried 120 boxes and 35 were deducted at the depot. How many remain?", 85),
    ("72 tickets are shared equally among 8 clubs, and then each club gets 3 more. How many per club?", 12),  # an
    # addition said right after its number, whatever rate word comes before it; a total asked later is no step
    ("We packed 4 boxes of 50 pens and 3 boxes of 20 pens. How many pens is that altogether?", 260),
    ("One report has 3,400 words and another has 2,150 words. How many words longer is the first?", 1250),  # a
    # comparative asks a difference
    ("A dinner bill is 480 minus a 60 voucher, split evenly by 6 guests. What does each pay?", 70),  # a sharing
    # shares the whole so far
    ("Our fund held 900; we used 250 and later used another 100. How much remains?", 550),  # "another" repeats
    # its own clause's removal
    ("We raised 3,000 and spent 600, then shared that across 4 charities. How much does each get?", 600),  # a step
    # after "then" applies to the result so far
    ("Of 200 parcels, 15 were not delivered on time. How many were delivered on time?", 185),  # the question says
    # a part's clause the other way round: the rest of the whole
    ("A class has 30 pupils and 12 of them do not own a bike. How many own a bike?", 18),
    ("There were 64 tickets, 20 were sold on Monday and 16 on Tuesday. How many were unsold?", 28),  # a denying
    # prefix
    ("A survey had 500 answers and 120 of them were incomplete. How many complete answers were there?", 380),
    ("The permitted temperature runs from 18 to 26 degrees. How wide is that window?", 8),  # a range's width
    ("halfway point of a 300 to 900 metre stretch", 600),  # and its middle
    ("Of 40 trainees, 30 passed the exam. What share passed, as a decimal?", 0.75),  # a part over its whole
    ("A broker takes 5% commission. It sold 4 flats at 250,000 each. What is the commission?", 50000),  # a
    # percentage of what the other numbers come to
    ("A courier made 120 deliveries on Monday and 150 on Tuesday with 9 vans. How many deliveries per van?", 30),
    ("The depot ran 3 lorries carrying 1,250 kg, 2,400 kg and 1,980 kg. What is the combined load?", 5630),  # a
    # count of a list written in digits; weights of four digits are no years
    ("Two crates weigh 1850 kg and 1620 kg. What is their total weight?", 3470),
    ("The tank held 5,000 litres; 1,200 litres went to the farm and another 800 litres were lost. How much is in "
     "the tank now?", 3000),  # "another" in a removal says the number before it was removed too, and adds nothing
    ("Headcount went from 120 to 134 over the year. How many people joined?", 14),  # the size of a change
    ("Our stock dropped from 900 to 760 units. How many units were sold?", 140),
    ("Hire costs 12 crew at 150.50 each plus a one-off booking fee of 300. What is the total?", 2106),  # an
    # operator word between two numbers of one clause beats a rate's "of"
    ("Sum these three payments: 1250, 2480 and 1975.", 5705),  # four-digit amounts of a list are no years
    ("two crews of 18 and 14 workers share one canteen, then 5 of them quit. How many workers are left?", 27),  # a
    # list its count announces is one amount; "share one canteen" shares out no number
    ("A class of 30 students went on a trip and 12 of them brought lunch. How many did not bring lunch?", 18),  # a
    # part of the whole before it: another part is the rest
    ("A report has 80 pages, 25 of which are appendices and 10 of which are blank. How many pages are neither?", 45),
    ("Each of 4 teams has 6 developers and 2 testers. How many people are there in total?", 32),  # a rate applies
    # to the list after it
    ("Work out the cost per seat. We spent 4,500 and booked 150 seats.", 30),  # the per-item noun asked in a
    # sentence of no number
    ("Cost per lead please: 27,000 GBP spent, 1,080 leads.", 25),  # the nouns of both numbers around "per"
    ("She ran 10 km in 50 minutes. How many minutes per km?", 5),  # both nouns around "per"
    ("Sum up the hours for four weeks: 38, 41, 36 and 40.", 155),  # the asking sentence before the numbers
    ("Conversion rate for 240 sales from 6,000 visits (sales divided by visits, times 100)?", 4),  # a formula over
    # the nouns of the story's numbers
    ("There are 300 crates and 2/5 of them are empty. How many crates are not empty?", 180),  # a fraction of a whole
    ("A tray held 45 rolls and two thirds of them were sold. How many were sold?", 30),
    ("Jo has read 12 of the 60 chapters. What percentage has she read?", 20),  # a share asked in percent
    ("The fee went from 50 to 60 dollars. What is the percentage increase?", 20),  # a change asked in percent
    ("The lift went from floor 3 to floor 17. How many floors did it climb?", 14),  # the size of a change
    ("Four tasters rated the soup 6, 8, 7 and 9 out of 10. What was its average rating?", 7.5),  # the scale is
    # no item of the list averaged
    ("A 96,000 maintenance contract covers 24 months. What is the average monthly cost?", 4000),  # the unit's
    # adverb after an average word: per month
    ("Over 9 matches she scored 2 goals a match. How many goals in total?", 18),  # "a match" per the matches counted
    ("How much does each of the 8 stores get if 2,400 units are shared equally?", 300),  # the sharing told after
    ("A club charges a 40 dollar sign-up fee and then 25 dollars a month. What do 6 months cost in total?", 190),
    # a rate "a month" belongs to the number of months, not to the number before it
    ("The kiosk received 75 crates every week. How many crates came over 8 weeks?", 600),  # "over" is no division
    ("The ward had 900 gloves and used 40 of them a day. How many gloves are left after 15 days?", 300),
    ("Of the 320 chairs delivered to the hall, 28 came broken. How many came whole?", 292),  # the sentence opens
    # with the whole
    ("Each minibus takes 15 riders. How many minibuses do 90 riders need?", 6),
    ("A plumber bills 50 dollars an hour plus 35 dollars for parts. The repair took 3 hours. What is the bill?", 185),
    # a rate times the number that counts its unit, another amount added
    ("A van costs 40 dollars per day plus 0.25 per mile. What is the cost for 2 days and 100 miles?", 105),
    ("We cycled 30 km on Monday and 45 km on Tuesday and are paid 0.40 per km. How much is that?", 30),  # a rate per
    # the unit the sum so far counts
    ("Begin with 900, deduct 120 for breakage and another 30 for the late fee. What is left?", 750),  # "another"
    # with its verb left out repeats the removal
    ("They had 500 cans. They sold 180 and then received another 60. How many cans now?", 380),  # not with a verb
    ("A pallet measures 1.5 m by 1.2 m by 2 m at 150 kg per cubic metre. What does it weigh?", 540),  # the sides
    ("Budgeted 2,400 but only 2,150 was spent. How much was saved?", 250),  # a difference asked as "saved"
    ("Change 400 USD to EUR at a rate of 0.92 EUR per USD.", 368),  # a rate stated, not asked
    ("If one rinse cycle lasts 40 minutes, how many full cycles fit into 480 minutes?", 12),  # the item after its
    # adjective
    ("The cook used 1.5 litres of milk from a 6 litre jug, and later another 2 litres. How much milk is left?", 2.5),
    # the whole the part was taken from comes first
    ("Three parcels were weighed on the dock at 4.2 kg, 3.9 kg and 5.1 kg. What do they weigh together?", 13.2),  # the count
    # opens the clause of its list
    ("Work out the total: a deposit of 2,000 plus 4 late weeks at 35 each.", 2140),  # "the total" asks, before any
    # number: the rate binds to its own count
    ("A library had 310 books. It gave 45 to a school and then bought 20 more. How many books does it have now?",
     285),  # "gave" removes
    ("A bus has 9 rows of 4 seats and every seat has a rider. If 5 riders are missing, how many are aboard?", 31),
    # a removal of what the rate counts, not a rate
    ("A hotel adds a 12 percent service charge. How much service charge is added to a bill of 300? I mean how much tax "
     "is added.", 36),  # the change itself asked
    ("A coat is 25% off its price of 120. How much do I save?", 30),
    ("The venue has 24 tables in the hall and 16 in the annex, and every table gets 6 chairs. How many chairs in total?",
     240),  # a
    # rate per the unit the sum counts, its unit left out after 16
    ("Shave a 15-minute intro off a 90-minute talk and split the rest into 5 segments. How long is each segment?", 15),
    # "off", like "from", names the whole a part is taken from
    ("A loan of 12,000: 4,500 was repaid and 500 was forgiven. How much is still outstanding?", 7000),  # the rest
    ("How many servers in total if each of 9 racks holds 24 of them?", 216),  # "each of 9 racks": a count of
    # items that each hold the next number, which is no part of 9
    ("A dog weighs 10 kg and takes 1.5 mg per kg, administered 2 times daily. Total mg daily?", 30),  # a count of
    # repetitions multiplies
    ("Each of 7 .deb archives is 880 KiB; what do they come to?", 6160),  # a file suffix is a word, not a full stop
    ("Work out 15% of 3,200 and then take away 80.", 400),  # the share first, then the step after it
    ("A 90 invoice is cut by 20%, then a further 12 is paid off. What remains?", 60),
    ("The north printer used 2,300 sheets and the south one used 1,450; how many did they use altogether?", 3750),
    # both clauses remove and the question totals the removal: the removed amounts are summed
    ("The archive takes 64 210 KiB on disk and the index takes 3 900 KiB. Together they take how much?", 68110),
    # thousands set apart by spaces
    ("A depot has 80 vans and 30 of them come from one maker. How many come from other makers?", 50),  # "other"
    # says the part's words the other way round: the rest
    ("Every shipping crate holds 30 jars of which 4 are cracked; for 5 such crates, how many jars are not cracked?",
     130),  # "of which" before the part, and the later count counts the noun the rate word names
])
def test_each_cue_joins_its_number(text: str, value: float) -> None:
    expression = read_story(text, load_language())
    assert expression is not None, text
    assert evaluate(expression) == pytest.approx(value), (text, expression)


@pytest.mark.parametrize("text", [
    "A crate set has 40 crates and the depot keeps 12 in the yard. How many crates go out as surplus?",  # what
    # "40 crates" counts is asked: no rate's items, and no cue for "surplus"
    "Which invoice from 2023 has the number 4471?", "What is the port of service 22 on host 10?",
    "The room holds 40 people and 12 chairs.",  # no cue joins the two numbers
    "Which paint has the red, green and blue values 72, 61 and 139?",  # a list alone is no sum
    "When 30 is subtracted from 90 and the result is doubled, what do you get?",  # a step with no number of its own
    "There are 48 laptops and 15 of them need repair. How many need repair?",  # the part itself is asked
    "8 servers each run 16 cores and 4 of them also have GPUs. How many cores in total?",  # a part, a total asked
    "Packs 5 boxes of 12 eggs and 8 loose eggs. How many eggs?",  # a size, no rate over the list (no cue for 8)
    "We have 300 bolts and each frame needs 14. After building as many frames as we can, how many bolts are left?",
    # a remainder, not a division
    "The quote is 5000 a year for 20 desks, but we need 12 of them at the same price. What would that cost?",  # a
    # part of a whole asked as an amount, neither a count nor what remains
])
def test_no_story_without_a_cue(text: str) -> None:
    assert read_story(text, load_language()) is None


TABLES = {  # path -> (right at least, wrong at most), measured when the reader's last change landed
    Path(__file__).parent / "story_problems.jsonl": (62, 6),  # test: 80 stories, 20 lookups (58, 9 before stop 42;
    # 60, 7 at stop 45; 61, 6 at stop 46; 59, 8 after stop 47's first rules, 62, 5 at its last; 61, 6 at stop 48,
    # after its third story commit; 62, 6 at stop 51; no rule chosen by it)
    Path(__file__).parents[3] / "data" / "agent_sets" / "story_problems_dev.jsonl": (95, 3),  # dev: 100 and 25
    Path(__file__).parents[3] / "data" / "agent_sets" / "story_problems_dev2.jsonl": (80, 9),  # dev: 120 and 30
}


@pytest.mark.parametrize("path", list(TABLES), ids=lambda p: p.name)
def test_the_blind_tables_stay_at_their_measured_floors(path: Path) -> None:
    language = load_language()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    right = wrong = fired = 0
    for row in rows:
        expression = parse(row["question"], language) or read_story(row["question"], language)
        value = None if expression is None else evaluate(expression)
        if row["kind"] != "story":
            fired += value is not None
        elif value is not None:
            right += abs(value - row["answer"]) < 1e-6
            wrong += abs(value - row["answer"]) >= 1e-6
    assert fired == 0  # a lookup with numbers in it is never computed
    floor, ceiling = TABLES[path]
    assert right >= floor and wrong <= ceiling, (right, wrong)
