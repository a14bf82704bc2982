"""The resolver without the model: names matched against a small store, whole candidates scored, two
documents combined, a missing side said so (a hand-written in-memory store; no Ray, no model)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from deployments.agent.language import load_language
from deployments.agent.names import NameIndex
from deployments.agent.records import candidates
from deployments.agent.resolve import Resolver
from deployments.agent.trace import Run, Step

DOCS = {
    "c-fi": "Finland has the ISO 3166-1 alpha-2 code FI, the alpha-3 code FIN and the numeric code 246.",
    "c-vc": "Saint Vincent and the Grenadines has the ISO 3166-1 alpha-2 code VC, the alpha-3 code VCT and the "
            "numeric code 670.",
    "c-aw": "Aruba has the ISO 3166-1 alpha-2 code AW, the alpha-3 code ABW and the numeric code 533.",
    "p-cairo": "libcairo2: Cairo 2D vector graphics library. Version 1.16.0-7, section libs, installed size 2014 kB.",
    "p-pixman": "libpixman-1-0: pixel-manipulation library for X and cairo. Version 0.42.2-1, section libs, "
                "installed size 747 kB.",
    "note-sum": "The sum is what is left when the rest is taken away.",  # junk: holds "sum", "is", "the"
}


class MemoryDocuments:
    """A store with the calls the resolver makes: count, page, search (word overlap), get."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = [{"id": k, "text": v} for k, v in docs.items()]
        self.searched: list[str] = []

    async def count(self) -> int:
        return len(self.docs)

    async def page(self, limit: int, offset: int) -> dict[str, Any]:
        return {"documents": self.docs[offset: offset + limit]}

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        return next((d for d in self.docs if d["id"] == doc_id), None)

    async def search(self, query: str, k: int, mode: str) -> list[dict[str, Any]]:
        self.searched.append(query)
        words = set(re.findall(r"\w+", query.lower()))
        ranked = sorted(self.docs, key=lambda d: -len(words & set(re.findall(r"\w+", d["text"].lower()))))
        return [{**d, "score": 1.0} for d in ranked[:k]]


def resolver(docs: dict[str, str] = DOCS) -> tuple[Resolver, MemoryDocuments]:
    language = load_language()
    store = MemoryDocuments(docs)
    index = NameIndex(store, language.stop_words, language.operator_words(), language.name_connectors,
                      mail=(language.mail_senders, language.mail_subjects))
    return Resolver(index, store, language), store


def resolve(text: str, docs: dict[str, str] = DOCS):
    return asyncio.run(resolver(docs)[0].resolve(text))


def test_a_quoted_description_finds_its_record_and_the_answer_is_its_subject() -> None:
    result = resolve("Name the package summarized as 'Cairo 2D vector graphics library'.")
    assert result.answer == "libcairo2"
    assert result.steps[0][2] == "Cairo 2D vector graphics library" and result.sources == ["p-cairo"]


def test_a_span_of_only_function_or_operator_words_is_never_a_name() -> None:
    res, _ = resolver()
    asyncio.run(res.index.refresh())
    language = load_language()
    common = language.stop_words | language.operator_words()
    # the note holds "the sum", "is" and "taken away": none of them names it
    spans = [n.span.lower() for n in res.index.names("What is the sum, and what is taken away?")]
    assert spans == []
    for name in res.index.names("Is the sum of the numeric codes of Aruba and Finland more than 700?"):
        assert any(w.lower() not in common for w in name.span.split()), name.span
        assert name.span.split()[0].lower() not in language.stop_words


def test_a_field_label_is_never_a_candidate_and_the_asked_field_wins() -> None:
    language = load_language()
    texts = [c.text for c in candidates(DOCS["c-fi"], language.name_connectors, language.stop_words)]
    assert "alpha-2" not in texts and "alpha-3" not in texts and "ISO" not in texts
    assert {"FI", "FIN", "246"} <= set(texts)
    assert resolve("What is the alpha-2 code of Finland?").answer == "FI"
    assert resolve("Give Finland's alpha-3 code.").answer == "FIN"
    assert resolve("Which numeric code does Finland carry?").answer == "246"


def test_a_name_with_and_the_inside_is_kept_whole() -> None:
    language = load_language()
    texts = [c.text for c in candidates(DOCS["c-vc"], language.name_connectors, language.stop_words)]
    assert "Saint Vincent and the Grenadines" in texts
    assert resolve("Which country has the alpha-3 code VCT?").answer == "Saint Vincent and the Grenadines"


def test_two_named_records_are_combined_with_the_operation_the_words_name() -> None:
    result = resolve("What is the sum of the numeric codes of Aruba and Finland?")
    assert result.answer == "779" and result.source == "calculation"
    assert result.steps[-1][1:3] == ("calculator", "533 + 246")
    result = resolve("How much larger is the installed size of libcairo2 than that of libpixman-1-0?")
    assert result.answer == "1267"


def test_a_two_hop_question_whose_second_thing_is_missing_says_so() -> None:
    result = resolve("What is the sum of the numeric codes of Narnia and Finland?")
    assert "Narnia" in result.answer and "could not find" in result.answer
    assert "246" not in result.answer


def test_arithmetic_in_words_is_computed_without_a_document() -> None:
    res, store = resolver()
    result = asyncio.run(res.resolve("What is 17 more than the product of 12 and 9?"))
    assert (result.answer, result.steps[0][1], result.steps[0][2]) == ("125", "calculator", "(12 * 9) + 17")
    assert store.searched == []


def test_a_stated_number_beside_a_looked_up_value_is_left_to_the_loop() -> None:
    assert resolve("What is the numeric code of Aruba plus 10?") is None  # the loop's guards combine them


def test_the_reply_names_its_sources_and_says_when_it_stopped_early() -> None:
    run = Run("q", "improved")
    asyncio.run(run.record(Step("t", "search", "Aruba", "[c-aw] Aruba has ...")))
    run.finish("533", "max_steps", "observation", 0)
    reply = run.to_dict()
    assert reply["sources"] == ["c-aw"] and reply["stopped_early"] is True
    run.finish("533", "final_answer", "observation", 0)
    assert run.to_dict()["stopped_early"] is False


def test_a_tie_the_words_left_keeps_the_document_s_order_and_the_model_chooses_only_where_nothing_ranked() -> None:
    offered: list[list[str]] = []

    async def generate(prompt, max_tokens, stop=None, choices=None, grammar=None):
        offered.append(choices)
        return choices[-1]

    res, _ = resolver()
    # "code" labels three values alike: the first the record writes, the model is not asked
    assert asyncio.run(res.resolve("What is the three-letter code of Finland?", generate)).answer == "FI"
    assert offered == []
    # no word of the question labels any value: the model chooses among whole values, never a label
    docs = {"ship-wave": "Silver Wave: built in Turku in 2003, 142 metres long, crew of 60.",
            "ship-star": "North Star: built in Gdansk in 1998, 120 metres long, crew of 45."}
    res, _ = resolver(docs)
    found = asyncio.run(res.resolve("Tell me about the tonnage of Silver Wave", generate))
    assert len(offered) == 1 and {" Turku", " 2003", " 60"} <= set(offered[0]) and " Silver Wave" not in offered[0]
    assert found.answer == offered[0][-1].strip()  # the model's choice


def test_a_word_problem_naming_no_record_is_read_as_a_story_and_one_number_can_name_one() -> None:
    story = resolve("If a crate holds 12 bottles, how many bottles do 7 crates hold?")
    assert (story.steps[0][2], story.answer) == ("12 * 7", "84")
    assert resolve("Which country has the numeric code 533?").answer == "Aruba"


def test_a_word_a_stated_number_counts_names_no_record_in_a_story() -> None:
    # a made-up module record named "batch": in the story, "6 equal batches" and "each batch" count, name nothing
    docs = {**DOCS, "mod-batch": "batch: Helpers to group items into fixed-size lists. Source lines: 212."}
    result = resolve("A 1,200-page manual is split into 6 equal batches. How many pages is each batch?", docs)
    assert result is not None and result.answer == "200" and result.source == "calculation"
    assert resolve("How many source lines does batch have?", docs).answer == "212"


def test_words_in_small_letters_of_a_story_with_two_numbers_name_no_record() -> None:
    # a made-up module record named "belt": in a story stating two numbers, "by the belt" is the story's own thing
    docs = {**DOCS, "mod-belt": "belt: Conveyor control helpers. Source lines: 340."}
    result = resolve("We had 500 parcels and 120 of them were sorted by the belt. How many were not sorted?", docs)
    assert result is not None and result.answer == "380" and result.source == "calculation"
    assert resolve("How many source lines does belt have?", docs).answer == "340"


def test_a_story_whose_numbers_no_named_record_holds_is_computed() -> None:
    # "libcairo2" and "libpixman-1-0" name records, but neither holds 40 or 15: the story tells the whole sum
    result = resolve("A build box has 40 shared libraries and 15 of them come from libcairo2. How many come from "
                     "other packages?")
    assert result is not None and (result.answer, result.source) == ("25", "calculation")
    assert resolve("What is the installed size of libcairo2 plus 10?") is None  # a looked-up value: the loop's


ROUNDS = {  # each name held by four records, each region by four: only one record holds both
    f"rnd-r-{n}": (f"Tour > Rounds > {region} > R-{n}\n- Name: {name} Relay\n- Organiser: {who} {region[:4]}son\n"
                   f"- Entry code: HOPX{n}\n- Status: open")
    for n, (name, region, who) in enumerate(((name, region, who) for name, who in (
        ("Spring", "Ada"), ("Autumn", "Bo"), ("Winter", "Cy"), ("Summer", "Di"))
        for region in ("Lowlands", "Highlands", "Coastlands", "Midlands")), start=100)
} | {"rnd-r-200": "Tour > Rounds > Coastlands > R-200\n- Name: Spring Relay\n- Organiser: Fi Garrow\n- Entry code: "
                   "HOPX200\n- Note: in; for; the; me; who"}  # the words of the
# question, for a search of the whole question to find


def test_two_values_many_records_hold_name_the_one_record_holding_both() -> None:
    assert resolve("give me the entry code for the spring relay round in Highlands", ROUNDS).answer == "HOPX101"
    assert resolve("who organises the winter relay in midlands", ROUNDS).answer == "Cy Midlson"


def test_a_snake_case_header_word_tells_no_value_apart_when_two_keys_hold_it() -> None:
    docs = {"cmp-1": "campaign_code,campaign_name,agency,agency_contact\nKQ-17,Harvest Days,Fenwick Ads,"
                     "lo@fenwick.example"}
    assert resolve("Which agency ran campaign KQ-17?", docs).answer == "Fenwick Ads"


def test_a_heading_of_all_records_and_a_sort_label_are_no_name_of_the_one_asked() -> None:
    docs = {"mod-findzq": "Docs > Tools > Modules > Find modules > FindZq\n- kind: Find module\n- summary: Locate the Zq "
                          "compression library.\n- first command: zq_probe_headers\n- lines: 210",
            "mod-usezq": "Docs > Tools > Modules > Utility modules > UseZq\n- kind: utility module\n- summary: Helpers "
                         "for Zq archives.\n- first command: zq_add_archive\n- lines: 95",
            "cmp-kq-17": "Marketing > Campaigns > 2025 > Nordics > KQ-17\n- Name: Harvest Days\n- Agency: Fenwick Ads\n"
                         "- Comment: Headline \"Bright mornings, every day\" beat the control."}
    assert resolve("which module has zq_probe_headers as its first command", docs).answer == "FindZq"
    assert resolve('Which campaign had the headline "Bright mornings, every day"?', docs).answer != "Marketing Campaigns"


def test_a_name_of_several_records_is_narrowed_by_another_value_only_one_of_them_holds() -> None:
    docs = {f"cmp-{n}": f"{name}\nCode: {code}\nRegion: {region}\nImpressions: {imp}"
            for n, (code, name, region, imp) in enumerate([
                ("QA-1", "Autumn Clearance", "France", "11 200"), ("QA-2", "Autumn Clearance", "Iberia", "22 300"),
                ("QA-3", "Spring Saver", "France", "33 400"), ("QA-4", "Spring Saver", "Iberia", "44 500"),
                ("QA-5", "Autumn Clearance", "Benelux", "55 600"), ("QA-6", "Spring Saver", "Benelux", "66 700"),
                ("QA-7", "Winter Warmers", "France", "77 800"), ("QA-8", "Winter Warmers", "Iberia", "88 900")])}
    assert resolve("How many impressions did Autumn Clearance in Iberia get?", docs).answer.replace(",", "") == "22300"


def test_the_end_of_a_range_asked_picks_the_value_whose_label_names_that_end() -> None:
    docs = {"key-zoom": "schema | key | type | default | range_min | range_max\n"
                        "org.example.viewer | zoom-level | d | 2.0 | 0.25 | 16.0",
            "key-blink": "schema | key | type | default | range_min | range_max\n"
                         "org.example.shell | blink-rate | i | 1200 | 100 | 2500"}
    assert resolve("What is the upper bound of the allowed range for zoom-level?", docs).answer == "16.0"
    assert resolve("blink-rate: the lower bound of its range?", docs).answer == "100"


def test_a_comparison_names_the_operation_where_total_names_the_values_compared() -> None:
    docs = {"map-qx1": "Charmap: QX1\nCharacters: 249\nCharacters below U+0080: 127",
            "map-qx2": "Charmap: QX2\nCharacters: 230\nCharacters below U+0080: 128"}
    assert resolve("I need the difference in total characters between QX1 and QX2.", docs).answer == "19"


def test_the_noun_a_count_puts_before_the_names_it_lists_asks_nothing() -> None:
    docs = {"clm-qa-101": "Quaile Instruments - expense claim\nClaim number: QA-101\nClaimant: Ann Lee\n"
                          "Claimed total: 1,425.95\nReceipts: 10\nNote: includes one taxi receipt",
            "clm-qa-102": "Quaile Instruments - expense claim\nClaim number: QA-102\nClaimant: Bo Ray\n"
                          "Claimed total: 2,435.71\nReceipts: 5\nNote: hotel receipt re-issued"}
    assert resolve("I need the total number of receipts across two claims, QA-101 and QA-102, for the audit.",
                   docs).answer == "15"


def test_numbers_glued_by_a_slash_that_a_record_holds_name_it_and_a_plain_one_divides() -> None:
    docs = {**DOCS, "ord-1": "Order register\n- order: 41/227,906\n- lines: 17\n- shipped: 2024/05/03"}
    assert resolve("How many lines are on order 41/227,906?", docs).answer == "17"
    assert resolve("Which order shipped on 2024/05/03?", docs).source != "calculation"  # a date, no division
    assert resolve("What is 144/12?", docs).answer == "12"


def test_a_name_after_an_indefinite_article_in_a_story_is_any_such_thing() -> None:
    # a made-up record that the phrase "Orbit tender" names: the story speaks of any such tender
    docs = {**DOCS, "tnd-orbit": "Orbit tender\n- Owner: Ilse Varg\n- Duration: 40 weeks"}
    result = resolve("An Orbit tender runs for 26 weeks and 9 weeks have gone by. How many weeks remain?", docs)
    assert result is not None and (result.answer, result.source) == ("17", "calculation")


def test_a_quoted_export_cell_keeps_its_delimiter_and_a_column_header_is_the_kind_asked() -> None:
    docs = {"dsp-1": 'case,ref,title,agent,agency,state\nDS-88,"4/119,520","Quiet hinge, long arm","Ola Brek",'
                     '"Fenlow & Garth LLP",open'}
    assert resolve("which outside agency handles case DS-88", docs).answer == "Fenlow & Garth LLP"
    assert resolve("What is the ref of DS-88?", docs).answer == "4/119,520"


def test_a_value_written_in_the_shape_asked_answers_where_no_label_names_it() -> None:
    docs = {"tkt-77": "TICKET OPS-77 | queue: fleet\nAssignee: Rune Dalby / Kestrel Haulage / rune.dalby@kestrel.example"
                      "\nbuild ....... 4e1f0c2a9b7d36e5a8c4f1b209d7e6a3\nwiki ........ https://wiki.kestrel.example/ops77"}
    assert resolve("OPS-77 assignee e-mail address?", docs).answer == "rune.dalby@kestrel.example"
    assert resolve("the build checksum for OPS-77", docs).answer == "4e1f0c2a9b7d36e5a8c4f1b209d7e6a3"
    assert resolve("Which web page documents OPS-77?", docs).answer == "https://wiki.kestrel.example/ops77"


def test_a_name_written_with_brackets_inside_is_one_identifier() -> None:
    docs = {"man-tar-1": "Manual tar(1)\n- section: 1\n- lines: 1,214", "man-tar-5": "Manual tar(5)\n- section: 5\n- "
            "lines: 306", "man-tarcat": "Manual tarcat(1)\n- section: 1\n- lines: 88"}
    assert resolve("how long is tar(5) in lines", docs).answer == "306"
    assert resolve("How many more lines has tar(1) than tar(5)?", docs).answer == "908"


def test_a_key_with_a_bracketed_part_labels_its_values_and_its_bracketed_count_counts_them() -> None:
    docs = {"plg-gamma": "Plugin: gamma-sync\nMirrors (3): north, south, harbour\nHook file (bytes): 2,048\n"
                         "Fee (15%): 120.50"}
    assert resolve("how many mirrors does gamma-sync have", docs).answer == "3"
    assert resolve("gamma-sync hook file size", docs).answer == "2,048"
    assert resolve("What fee does gamma-sync charge?", docs).answer == "120.50"  # a rate in brackets is no count


def test_a_standard_s_number_inside_a_name_many_records_hold_is_no_operand() -> None:
    # the record asked does not write the standard's name; the others do
    docs = {f"cty-{n}": f"Country: {n}\n- {s}alpha-2 code: {c}\n- Calling code: {p}"
            for n, c, p, s in (("Norlund", "NL", 47, "ISO 3166 "), ("Vestria", "VS", 52, ""), ("Carnow", "CW", 61,
                               "ISO 3166 "), ("Osterby", "OB", 33, "ISO 3166 "), ("Pellin", "PL", 29, "ISO 3166 "))}
    assert resolve("What ISO 3166 alpha-2 code does Vestria have?", docs).answer == "VS"


VISITS = {"vst-4410": "Site visits > North > VR-4410\n- Inspector: Halla Brenn\n- Visit: 3 Mar 2025 - 6 Mar 2025\n"
                      "- Signed off by: Odo Karsk\n- Signed off on: 12 Mar 2025\n- Filed: 8 Mar 2025"}


def test_a_dash_between_two_dates_is_a_range_and_a_set_aside_end_leaves_the_other() -> None:
    assert resolve("VR-4410: when did the visit finish (not when it began)?", VISITS).answer == "6 Mar 2025"
    assert resolve("VR-4410 visit start date", VISITS).answer == "3 Mar 2025"


def test_a_date_asked_of_a_record_a_value_names_is_a_date_not_the_person_beside_it() -> None:
    docs = {"vst-0001": "Harbour Authority - site visit\nVisit ref: VR-4410\nInspector: Halla Brenn\nApprover: Odo "
                        "Karsk\nSubmitted: 8 Mar 2025\nApproved on: 12 Mar 2025\nStatus: approved"}
    assert resolve("VR-4410 - the date it was approved, not submitted", docs).answer == "12 Mar 2025"


def test_a_record_whose_subject_is_its_own_id_answers_a_kind_with_the_value_the_kind_labels() -> None:
    docs = {"hk-orders-sync": "From: audit@corp.example\nSubject: [hook audit] hk-orders-sync\n\nThe audit found hook "
                              "'orders_sync' (stage post-commit). It runs billing.jobs.orders:sync_all nightly."}
    assert resolve("Which hook runs billing.jobs.orders:sync_all?", docs).answer == "orders_sync"


def test_a_quoted_amount_with_its_currency_is_a_number_to_combine() -> None:
    docs = {f"bk-{n}": f'booking={n}\nguest="Ana Rell"\nfare.base="{b} EUR"\nfare.tax="{t} EUR"'
            for n, b, t in (("BK-101", "1,240.50", "88.10"), ("BK-102", "310.00", "21.70"))}
    assert resolve("Add the base fares of BK-101 and BK-102.", docs).answer == "1550.5"
    assert resolve('What is the tax on BK-102?', docs).answer == "21.70"


def test_an_operand_named_by_two_names_that_meet_in_one_record_is_combined() -> None:
    docs = {f"st-{n}": f"- key: {key}\n- schema: {schema}\n- default: {default}\n- type: u"
            for n, (schema, key, default) in enumerate((("app.panel", "timeout", 30), ("app.dock", "timeout", 45),
                                                        ("app.panel", "spacing", 4)))}
    docs["st-ah-k"] = "AH-K autohide delay\n- schema: app.dock\n- default: 250"
    assert resolve("default of AH-K plus default of timeout in app.panel", docs).answer == "280"


def test_a_code_one_record_holds_is_a_strong_name_for_a_difference() -> None:
    docs = {"cfg-1": "Settings file report\n- entries: panel-height, panel-width\n- file size: 4,100 bytes",
            "cfg-2": "Settings file report\n- entries: dock-edge, dock-size\n- file size: 3,250 bytes"}
    assert resolve("How many bytes larger is the settings file holding panel-width than the one holding dock-edge?",
                   docs).answer == "850"


def test_a_log_line_timestamp_dates_the_event_after_it_and_a_reference_names_the_record_for_a_date_or_count() -> None:
    docs = {"req-0412": "2024-03-02T08:10 OPEN RQ-0412 title: \"Spare pump seals\" ; owner: \"Ilse Varn\"\n"
                        "2024-03-09T14:45 APPROVE RQ-0412 vendor ref: VND/88-217\n"
                        "2024-03-20T09:30 CLOSE RQ-0412 lines: 6 ; total: 1,840",
            "req-0413": "2024-04-01T10:00 OPEN RQ-0413 title: \"Valve grease\" ; owner: \"Tor Hald\"\n"
                        "2024-04-05T16:20 APPROVE RQ-0413 vendor ref: VND/91-004\n"
                        "2024-04-11T11:05 CLOSE RQ-0413 lines: 2 ; total: 310"}
    assert resolve("when was VND/88-217 approved?", docs).answer.startswith("2024-03-09")
    assert resolve("How many lines were on VND/91-004?", docs).answer == "2"
