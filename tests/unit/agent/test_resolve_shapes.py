"""Record shapes the resolver meets in other corpora: a subject in small letters, "Label: values" lists,
a value restated in brackets, symbols as names, options and negations in the question. The records are
made up for these tests (no corpus of the repository), the store is the in-memory one of test_resolve."""

from __future__ import annotations

import asyncio

from deployments.agent.records import candidates, readable, tokens
from deployments.agent.language import load_language
from tests.unit.agent.test_resolve import resolver

DOCS = {
    "svc-gopherd": "The gopherd service uses port 70 over tcp. Aliases: gopher-old, gph.",
    "svc-chargen": "The chargen service uses port 19 over udp. Described as \"character generator\".",
    "svc-lpd": "The lpd service uses port 515 over tcp. Aliases: printer. Described as \"line printer spooler\".",
    "glyph-2295": "The glyph ⊕ is named CIRCLED PLUS. Its code point is U+2295 (decimal 8853).",
    "glyph-25cb": "The glyph ○ is named ORBIT MARK. Its code point is U+25CB (decimal 9675).",
    "plan-orbit": "The Orbit plan costs 30 dollars a month and includes 5 seats.",
    **{f"glyph-x{i}": f"The glyph x{i} is named FILLER {i}. Its code point is U+E00{i} (decimal {57344 + i})."
       for i in range(6)},  # enough records opening alike that "glyph" is the template's word, no subject
}


def ask(question: str, docs: dict[str, str] = DOCS) -> str | None:
    result = asyncio.run(resolver(docs)[0].resolve(question))
    return result.answer if result else None


def test_a_subject_in_small_letters_is_found_by_its_id_and_answers_a_reverse_lookup() -> None:
    assert ask("Which service has the alias gph?") == "gopherd"
    assert ask('name the service described as "line printer spooler"') == "lpd"
    assert ask("what service listens on port 19") == "chargen"


def test_a_word_before_a_colon_labels_the_list_after_it_and_is_never_an_answer() -> None:
    found = [c.text for c in candidates(DOCS["svc-gopherd"], frozenset(), load_language().stop_words)]
    assert "Aliases" not in found and {"gopher-old", "gph"} <= set(found)
    assert ask("What is the alias of the lpd service?") == "printer"


def test_a_negation_sets_its_words_aside() -> None:
    assert ask("For lpd I want the alias rather than the port number") == "printer"
    assert ask("lpd: its alias, not its port") == "printer"


def test_an_option_the_question_offers_and_the_record_holds_is_the_answer() -> None:
    assert ask("Tell me the protocol (tcp or udp) of chargen.") == "udp"
    assert ask("does gopherd run over tcp or udp") == "tcp"


def test_a_value_restated_in_brackets_shares_the_label_of_the_value_before_it() -> None:
    assert ask("In decimal, what is the code point of CIRCLED PLUS?") == "8853"
    assert ask("The glyph with decimal code point 9675 is called what?") == "ORBIT MARK"


def test_a_symbol_names_its_record_and_the_kind_names_the_answer() -> None:
    assert ask("What is the name of the glyph ⊕?") == "CIRCLED PLUS"
    assert ask("Which glyph has the code point U+25CB?") == "ORBIT MARK"


def test_a_longer_run_written_as_a_name_wins_over_a_record_named_by_its_first_word() -> None:
    assert ask("Code point of ORBIT MARK?") == "U+25CB"
    assert ask("How much does the Orbit plan cost?") == "30"


LINES = {
    "site-kestrel": "Site: Kestrel Ridge\nRegion code: KR-7\nOpened: 2009\nStaff: 42\nManager: Dana Holt",
    "site-marram": "Site: Marram Bay\nRegion code: MB-2\nOpened: 2015\nStaff: 17\nManager: Ivo Petrov",
    **{f"site-f{i}": f"Site: Filler {i}\nRegion code: FL-{i}\nOpened: {1990 + i}\nStaff: {i}\nManager: Pat {i}"
       for i in range(6)},
}


def test_a_record_written_as_key_value_lines_answers_by_its_keys() -> None:
    assert ask("Who is the manager of Kestrel Ridge?", LINES) == "Dana Holt"
    assert ask("What is the region code of Marram Bay?", LINES) == "MB-2"
    assert ask("which site has region code KR-7", LINES) == "Kestrel Ridge"
    assert ask("How many staff does Marram Bay have?", LINES) == "17"
    assert ask("What is the total staff of Kestrel Ridge and Marram Bay?", LINES) == "59"


FIELDS = {
    **{f"code-{n}": f"code {n}; label {label}; group {group}; \"{note}\"" for n, label, group, note in [
        (701, "Gate Open", "entry signal", "The gate has opened"), (702, "Gate Closed", "entry signal", "The gate shut"),
        (801, "Belt Jam", "fault report", "A belt stopped moving"), (802, "Motor Hot", "fault report", "Motor overheated"),
        (901, "Shift Start", "shift event", "A shift began"), (902, "Shift End", "shift event", "A shift ended")]},
    **{f"bin-{n}": f"Bin: B{n}\nItems below shelf 3: {n * 2}\nItems from shelf 3 up: {n + 5}\nItems: {n * 3 + 5}"
       for n in (11, 12, 13, 14, 15, 16)},
}


def test_a_field_opened_by_a_key_many_records_share_holds_a_value_in_small_letters() -> None:
    assert ask("Which group does code 801 belong to?", FIELDS) == "fault report"
    assert ask("label of code 902", FIELDS) == "Shift End"


def test_a_quoted_value_is_whole() -> None:
    found = [c.text for c in candidates(FIELDS["code-802"], frozenset(), load_language().stop_words)]
    assert "Motor overheated" in found and "Motor" not in found


def test_a_key_of_several_words_is_a_label_and_an_operation_word_set_aside_is_no_operation() -> None:
    assert ask("How many items are below shelf 3 in bin B12 (not the total)?", FIELDS) == "24"
    assert ask("give the total items of bin B13 rather than those below shelf 3", FIELDS) == "44"


def test_a_name_typed_without_its_accents_finds_its_record() -> None:
    docs = {**DOCS, "b-evora": "Évora Plaza has the site code EVP and 14 floors.",
            "b-malmo": "Malmö Tower has the site code MLT and 31 floors."}
    assert ask("site code of evora plaza", docs) == "EVP"
    assert ask("How many floors does Malmo Tower have?", docs) == "31"


def test_a_phrase_never_spans_the_record_s_punctuation() -> None:
    docs = {"g-1": "The guide serves readers in Ruritania (alpha-3 RRT, plate code RU).",
            "c-ru": "Ruritania has the alpha-2 code RU and the alpha-3 code RRT."}
    res, _ = resolver(docs)
    asyncio.run(res.index.refresh())
    assert res.index.holders(["ruritania", "alpha-3"]) == []
    assert res.index.holders(["alpha-3", "rrt"]) == ["g-1"]


# made-up "Key: value" sheets of a build tool's file formats: a leading dot, a kind that is a field's label
FORMATS = {
    f"fmt-{name}": f"Format family: {family}\nArchive kind: {kind}\nMain suffix: .{main}\nOther suffixes: .{other}\n"
                   f"Number of registered suffixes: 2"
    for name, family, kind, main, other in [("quill", "ledger/quill", "columnar", "qlr", "quillz"),
                                            ("tern", "ledger/tern-log", "row", "trn", "ternlog"),
                                            ("skiff", "media/skiff", "stream", "skf", "skiffv"),
                                            ("moth", "media/moth+raw", "stream", "mth", "mothr"),
                                            ("wren", "sheet/wren", "row", "wrn", "wrenx"),
                                            ("lark", "sheet/lark", "columnar", "lrk", "larkz")]}
FORMATS["guide-suffixes"] = "Suffix guide: the build tool reads every format family listed in the suffix sheets."


def test_a_word_with_a_leading_dot_is_one_value_and_names_its_record() -> None:
    found = [c.text for c in candidates(FORMATS["fmt-quill"], frozenset(), load_language().stop_words)]
    assert {".qlr", ".quillz"} <= set(found)
    assert ask("main suffix of ledger/tern-log", FORMATS) == ".trn"
    assert ask("format family for files ending in .mothr", FORMATS) == "media/moth+raw"


def test_a_kind_that_a_value_s_label_holds_names_that_value_not_the_records() -> None:
    assert ask("Which format family is the suffix .skf registered to?", FORMATS) == "media/skiff"
    assert ask("Which archive kind is ledger/quill?", FORMATS) == "columnar"


def test_a_set_aside_cue_labels_nothing_and_a_synonym_reads_its_label() -> None:
    assert ask("Apart from the main suffix, which suffix does sheet/lark use?", FORMATS) == ".larkz"
    assert ask("the alternate suffix of sheet/wren", FORMATS) == ".wrenx"


def test_an_identifier_names_its_record_before_a_rare_phrase_of_words() -> None:
    # "suffix sheets" is held by one document too (the guide): the code, not the phrase, is what is looked up
    assert ask("According to the suffix sheets, which format family owns .mothr?", FORMATS) == "media/moth+raw"


def test_a_word_of_one_family_reads_a_label_written_with_another() -> None:
    kiosks = {"kiosk-quay": "The Quay kiosk sells maps, keeps its money in NOK and opens at 9.",
              "kiosk-dune": "The Dune kiosk sells water, keeps its money in EUR and opens at 8."}
    assert ask("Which currency does the Dune kiosk use?", kiosks) == "EUR"
    assert ask("quay kiosk currency", kiosks) == "NOK"


def test_a_request_s_opening_verb_labels_nothing() -> None:
    teams = {"team-otter": "The Otter team keeps a roster that names 7 people. Described as \"night shift for the docks\".",
             "team-heron": "The Heron team keeps a roster that names 4 people. Described as \"day shift for the yard\"."}
    assert ask("Name the team described as: day shift for the yard", teams) == "Heron"
    assert ask("List the team whose description reads night shift for the docks", teams) == "Otter"


def test_common_words_side_by_side_describe_a_field_and_name_no_record() -> None:
    docs = {"tool-slate": "The slate tool needs 80 MB on disk and reads 9 formats.",
            "tool-crate": "The crate tool needs 120 MB on disk and reads 14 formats.",
            "word-slate": "A slate is a flat board of stone.",
            "warn-w7": 'Warning W7 reads "Disk space is running low" on the console.',
            **{f"note-{i}": f"Note {i}: the disk in bay {i} is full, and the space on shelf {i} is taken."
               for i in range(30)},
            **{f"item-{i}": f"Item {i} weighs {i} grams." for i in range(3000)}}  # a store of thousands:
    # there a phrase held by one record looks rarer than a subject two records hold
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    # "disk space" is held by one record only, but its words by many: the tool is what the question names
    assert [n.span for n in index.names("for slate, the disk space rather than the formats")][:2] == ["slate",
                                                                                                      "disk space"]


def test_a_template_s_opening_word_is_no_subject_however_large_the_store() -> None:
    alarms = {f"alarm-{code}": f'alarm {n}; name {code}; description "{text}"'
              for n, code, text in [(3, "ALM_FIRE", "Fire in hall"), (4, "ALM_FLOOD", "Water on floor"),
                                    (7, "ALM_GAS", "Gas leak"), (9, "ALM_DOOR", "Door forced"),
                                    (11, "ALM_POWER", "Mains lost"), (12, "ALM_HEAT", "Room too hot")]}
    letters = "abcdefghijklmnopqrstuvwxyz"
    docs = {**alarms, **{f"note-{i}": f"A note on the {letters[i % 26]}{letters[i // 26 % 26]}{letters[i // 676]} shelf."
                         for i in range(3000)}}  # a store of thousands: six records are a small share of it
    assert ask("ALM_GAS number (not its description)", docs) == "7"


LAMPS = {
    "lamp-osprey": "Osprey is a cool floor lamp with a brightness of 1200 lumens. It draws 14 watts; the shop code is "
                   "OSP-14.",
    "lamp-wren": "A small reading lamp, Wren gives 350 lumens from 5 watts at 3000 kelvin. Order it as WRN-05.",
    "kit-harbor": "harbor-kit (v3.2.1) — Tools for mooring boats\n• Size: 42 files · 1,234 KiB on disk\n"
                  "• Needs: ropelib, knotter · Extras: docs, tests",
}


def test_the_kind_asked_labels_a_value_only_right_before_it() -> None:
    # "lamp" is in the sentence that goes on to 1200, but it labels no value: the record's subject answers
    assert ask("Which lamp has the shop code OSP-14?", LAMPS) == "Osprey"


def test_bullets_middle_dots_and_dashes_separate_fields_and_a_unit_follows_its_number() -> None:
    found = {c.text: c for c in candidates(LAMPS["kit-harbor"], frozenset(), load_language().stop_words)}
    assert found["1,234"].after[:1] == ["KiB"] and "KiB" not in found
    assert found["docs"].label == ["Extras"] and found["knotter"].label == ["Needs"]
    assert ask("harbor-kit size on disk in KiB", LAMPS) == "1,234"
    assert ask("what extras does harbor-kit offer besides docs", LAMPS) == "tests"


TEAMS = {
    "team-alder": "The Alder team has three squads. Its north, south and east squads have 12, 7 and 9 members "
                  "respectively. The team was formed in 2011.",
    "team-cedar": "The Cedar team counts 5 people in the north squad, 8 in the south squad and 2 in the east squad, "
                  "and dates from 2009.",
}


def test_a_list_of_values_after_a_list_of_as_many_words_pairs_them_in_order() -> None:
    assert ask("How many members are in the south squad of Alder?", TEAMS) == "7"
    assert ask("alder east squad size", TEAMS) == "9"


def test_a_question_asking_when_is_answered_by_a_year_or_a_date() -> None:
    assert ask("When was the Cedar team formed?", TEAMS) == "2009"
    assert ask("since when has the Alder team existed", TEAMS) == "2011"


def _barges() -> dict[str, str]:
    """Made-up prose records in four templates, enough of them that a template's opening word is known."""
    templates = [
        "The {n} ({c}) was launched in {y} at the {yard} yard. She is {l} metres long and carries {t} tonnes.",
        "Launched at {yard} in {y}, {n} measures {l} m from bow to stern and carries {t} tonnes. Code {c}.",
        "{n} is a river barge, code {c}. Length: {l} metres. Load: {t} tonnes. Year launched: {y}.",
        "Since {y} the {n} has worked the canals. At {l} metres and {t} tonnes she came from {yard}; code {c}.",
    ]
    firsts = ["Slow", "Brown", "Flat", "Long", "Wide", "Low"]
    seconds = ["Mule", "Ox", "Carp", "Eel", "Reed", "Lock"]
    docs = {}
    for i, (a, b) in enumerate((a, b) for a in firsts for b in seconds):
        code = f"{a[0]}{b[0]}-{100 + i}"
        docs[f"barge-{code.lower()}"] = templates[i % 4].format(
            n=f"{a} {b}", c=code, y=1950 + i, yard=["Ghent", "Lille", "Liege"][i % 3], l=40 + i, t=500 + 10 * i)
    return docs


def test_prose_records_of_several_templates() -> None:
    barges = _barges()  # Slow Mule: template 0, Flat Ox: 1, Brown Ox: 3
    assert ask("How long is the Slow Mule?", barges) == "40"  # "long": an operator word only in "how long after"
    assert ask("Where was Flat Ox launched?", barges) == "Lille"  # the template's opening word labels the yard
    assert ask("Flat Ox tonnage", barges) == "630"  # "tonnage" / "tonnes"; the name of two words is no label
    assert ask("Brown Ox load in tonnes", barges) == "570"
    assert ask("How many metres long is Brown Ox?", barges) == "47"  # "At 47 metres": read after "At"


def test_a_unit_names_the_dimension_it_measures() -> None:
    tools = {"tool-anvil": "The Ostrava anvil is 40 kg of cast steel and 0.6 metres across; it dates from 1931.",
             "tool-bench": "The Tallinn bench is 2.4 metres of oak and 95 kg in all; it dates from 1968."}
    assert ask("How heavy is the Ostrava anvil?", tools) == "40"
    assert ask("What is the length of the Tallinn bench?", tools) == "2.4"
    assert ask("the weights of the Ostrava anvil and the Tallinn bench added together", tools) == "135"


STATIONS = {
    "stn-kelda": "The Kelda site has measured the weather since 1931. It lies at 412 metres. Codes: WMO 10417 and "
                 "ICAO EKLD.",
    "stn-morrow": "Opened in 1958, Morrow records temperatures between -19 °C and 36 °C. Elevation 95 m. "
                  "Identifiers: ICAO EMRW, WMO 10533.",
    "stn-tarn": "The Tarn site has measured the weather since 1902. It lies at 88 metres. Codes: WMO 10620 and "
                "ICAO ETRN.",
}


def test_a_code_run_is_split_from_the_label_the_question_asks_it_by() -> None:
    assert ask("Give the ICAO code of Kelda, not its WMO number.", STATIONS) == "EKLD"  # "ICAO EKLD" is one run


def test_a_degree_sign_is_a_unit_and_a_year_has_no_unit() -> None:
    found = [c.text for c in candidates(STATIONS["stn-morrow"], frozenset(), load_language().stop_words)]
    assert "-19" in found and "C" not in found and "°C" not in found
    assert ask("Kelda opening year", STATIONS) == "1931"  # "since 1931": 412 is followed by its unit
    assert ask("How high above sea level is Kelda?", STATIONS) == "412"
    assert ask("the elevation of Kelda plus that of Tarn", STATIONS) == "500"


SERVERS = {
    "srv-dune": "| Server | Asset tag | CPU cores | RAM (GB) | OS |\n|---|---|---|---|---|\n"
                "| Dune Grid | DUGR-26 | 4 | 32 | Debian 12 |",
    "srv-flint": "| Server | Asset tag | CPU cores | RAM (GB) | OS |\n|---|---|---|---|---|\n"
                 "| Flint Node | FLNO-27 | 16 | 64 | Rocky 9 |",
    "racks": "Rack inventory\n\n| Rack | Room | Height (U) | Power (kW) |\n| :-- | :-- | --: | --: |\n"
             "| R7 | North hall | 42 | 12 |\n| R8 | South hall | 48 | 18 |",
}


def test_a_table_cell_is_one_value_labelled_by_its_column_header() -> None:
    found = {c.text: c.label for c in candidates(SERVERS["srv-dune"], frozenset(), load_language().stop_words)}
    assert found["Debian 12"] == ["OS"] and found["32"] == ["GB", "RAM"] and "Server" not in found
    assert ask("How many CPU cores does Dune Grid have?", SERVERS) == "4"
    assert ask("Which server has asset tag FLNO-27?", SERVERS) == "Flint Node"
    assert ask("total RAM of Dune Grid and Flint Node", SERVERS) == "96"


def test_a_row_of_a_table_answers_for_the_cell_the_question_names() -> None:
    assert ask("What is the power of rack R8 in kW?", SERVERS) == "18"
    assert ask("height of R7", SERVERS) == "42"


def test_a_record_written_as_a_json_object_is_read_by_its_keys() -> None:
    services = {"svc-ledger-api": '{"service": "ledger-api", "port": 8946, "replicas": 6, "owner_team": "Payments", '
                                  '"limits": {"memory_mb": 512}, "tags": ["billing", "core"]}',
                "svc-mailer-cron": '{"service": "mailer-cron", "port": 7001, "replicas": 2, "owner_team": "Growth", '
                                   '"limits": {"memory_mb": 256}, "tags": ["email"]}'}
    assert readable(services["svc-mailer-cron"]).splitlines()[3:5] == ["owner team: Growth", "limits memory mb: 256"]
    assert ask("Which team owns ledger-api?", services) == "Payments"
    assert ask("memory limit of mailer-cron in MB", services) == "256"
    assert ask("total replicas of ledger-api and mailer-cron", services) == "8"
    assert ask("Which service listens on port 7001?", services) == "mailer-cron"


def test_a_key_in_snake_case_is_read_by_its_words() -> None:
    configs = {"cfg-thumbs": "[thumbs-api]\nport = 7311\nowner_team = Growth\nmemory_limit_mb = 1024",
               "cfg-audit": "[audit-cron]\nport = 7420\nowner_team = Core\nmemory_limit_mb = 256"}
    assert ask("Which team is the owner of audit-cron?", configs) == "Core"
    assert ask("thumbs-api memory limit", configs) == "1024"


def test_a_reverse_lookup_in_prose_answers_the_name_not_a_compound_s_value_or_a_year() -> None:
    barges = _barges()  # Flat Ox: "Launched at Lille in 1963, Flat Ox measures 53 m ... Code FO-113."
    barges["yard-lille"] = "The Lille boatyard builds barges."
    assert ask("Name the barge with code FO-113.", barges) == "Flat Ox"  # "barge" is no abbreviation of "boatyard"
    assert ask("Which barge carries 630 tonnes?", barges) == "Flat Ox"  # the name, not the year 1963


def test_two_values_compared_in_years_are_the_records_years() -> None:
    barges = _barges()  # Slow Mule launched 1950 (template 0), Flat Ox 1963 (template 1)
    assert ask("By how many years is Slow Mule older than Flat Ox?", barges) == "13"
    assert ask("What is the combined length of Slow Mule and Flat Ox?", barges) == "93"  # 40 metres, 53 m


def test_a_value_whose_clause_holds_the_question_s_verb_answers_when_no_label_does() -> None:
    owners = ["Harbour Board", "City Council", "Ferry Trust", "Island Guild", "Canal Office"]
    ferries = {f"ferry-{bird.lower()}": f"Operated by Lakeway, the {bird} Ferry entered service in {1990 + i}; the "
                                        f"{owners[i]} of the old port owns her."
               for i, bird in enumerate(["Tern", "Skua", "Auk", "Gannet", "Shag"])}  # enough to know the template
    assert ask("Who owns the Skua Ferry?", ferries) == "City Council"


def _products() -> dict[str, str]:
    """Made-up product sheets: one maker name shared by several products, prices in a labelled list."""
    docs = {}
    for i, maker in enumerate(["Delph", "Garth", "Kelso"]):
        for j, kind in enumerate(["kettle", "toaster", "radio", "fan", "clock"]):
            sku = f"{maker[:3].upper()}{kind[:2].upper()}{100 + 10 * i + j}"
            docs[f"prod-{sku.lower()}"] = (f"SKU {sku} is the {maker} {kind}. Prices: {90 + 10 * j} EUR list, "
                                           f"{80 + 10 * j - i} EUR on sale.")
    docs["prod-delph-fan-old"] = "Delph fan: 40 EUR list; 35 EUR on sale."  # "Delph" opens this one, its subject
    return docs


def test_a_maker_many_products_share_is_narrowed_by_the_word_after_it() -> None:
    assert ask("What is the sale price of the Delph radio?", _products()) == "100"  # not the Delph fan sheet


def test_every_item_of_a_labelled_list_carries_its_label() -> None:
    assert ask("the Kelso clock's sale price", _products()) == "118"


def test_a_hash_code_and_a_version_bound_are_whole_values() -> None:
    paints = {"paint-moss": "Moss paint is mixed as #5A6E3A; it needs primer >=2.1 and dries in 4 hours.",
              "paint-clay": "Clay paint is mixed as #B86B4B; it needs primer >=1.4 and dries in 6 hours."}
    assert ask("What hex code is Clay paint mixed as?", paints) == "#B86B4B"
    assert ask("which paint is #5A6E3A", paints) == "Moss"
    assert ask("primer version Moss paint needs", paints) == ">=2.1"


def test_a_question_opening_with_a_kind_phrase_asks_its_head_not_its_words() -> None:
    shades = {f"shade-{name.replace(' ', '-')}": f"{name.capitalize()} is one of the named shades in the Harbor "
                                                 f"paint catalogue. Its hex code is {code}, its hue {hue} degrees."
              for name, code, hue in [("storm grey", "#5F6A72", 205), ("kelp green", "#3E5B3A", 113),
                                      ("brick red", "#8E3B2E", 8), ("sail white", "#F4F1EA", 43),
                                      ("harbour blue", "#2B4F6E", 208)]}
    assert ask("Which named paint shade is #3E5B3A?", shades) == "Kelp green"  # not "Harbor" of "named shades in"


def test_a_name_s_word_asked_again_elsewhere_in_the_question_still_asks() -> None:
    wanted = resolver({"dye-sand": "Sand."})[0]._wanted(
        "Add the blue channel of midnight blue to the blue channel of powder blue.", ["midnight blue", "powder blue"])
    assert wanted == ["blue", "channel"]  # the names' own words only where the names stand


def test_an_id_of_several_words_names_its_record_even_where_the_text_holds_them() -> None:
    tints = {f"tint-{name.replace(' ', '-')}": f"The tint called {name} sits at a saturation of {sat} percent."
             for name, sat in [("dark olive green", 39), ("pale gold", 67), ("deep teal", 100), ("soft rose", 41),
                               ("ash grey", 5)]}
    assert ask("what saturation does dark olive green have", tints) == "39"


def test_the_id_s_words_in_the_first_line_are_the_subject() -> None:
    keys = {f"key-{name.lower().replace(' ', '-')}": f"Key ring entry: {name}\nHolder: {holder}.\nFingerprint: {fp}."
            for name, holder, fp in [("North Gate Key 1", "Ada Lind", "5B6E68D0CC15"),
                                     ("North Gate Key 2", "Bo Strand", "8ECDE6884F3D"),
                                     ("Vault Key v3", "Cy Holm", "B999CDD17350"),
                                     ("Lab Key 7", "Di Berg", "E75E72ED9F56"), ("Roof Key 4", "Ed Wall", "242B69742FCB")]}
    assert ask("Which key has the fingerprint 8ECDE6884F3D?", keys) == "North Gate Key 2"  # not the "2" alone


def test_a_title_line_names_its_record_and_a_currency_code_is_its_amount_s_unit() -> None:
    kit = {f"kit-{code.lower()}": f"{maker} {kind} {code}\nOwned by {team}, the {kind} carries asset tag {tag}. "
                                  f"Purchased for EUR {price:,} in {year}."
           for maker, kind, code, team, tag, price, year in [
               ("Pellinor", "incubator", "PB-249", "Assay", "AT-33394", 21800, 2010),
               ("Veltrani", "balance", "BK-924", "Chemistry", "AT-83038", 4200, 2016),
               ("Fenwyth", "plate reader", "MM-688", "Biology", "AT-40644", 52300, 2019),
               ("Thaskel", "freezer", "LC-946", "Assay", "AT-79653", 9900, 2012),
               ("Brakmere", "dryer", "NR-603", "Biology", "AT-75538", 17400, 2021)]}
    assert ask("Which instrument has asset tag AT-40644?", kit) == "Fenwyth plate reader MM-688"
    assert ask("purchase price of the Veltrani balance BK-924 in euros", kit) == "4,200"


TRIPS = {f"trip-{name.lower().replace(' ', '-')}": text for name, text in [
    ("Fjord Walk", "Fjord Walk, a 6-day trek led by Ola Brekke. Departs 3 May 2026 (first night at the lodge) and returns "
                   "8 May 2026 (last night at the hut). Group size 12."),
    ("Salt Road", "Salt Road is a 4-day ride. Runs 14 June 2026 to 17 June 2026, guide Ines Mora, group size 9."),
    ("Lake Loop", "Lake Loop: a 2-day paddle, guide Tom Reed. It runs from Sep 2, 2026 through Sep 3, 2026. "
                  "Group size 16."),
    ("Cedar Ridge", "Cedar Ridge is a 9-day climb with guide Mia Holt, 21 July 2026 to 29 July 2026, group size 6."),
    ("Moor Crossing", "Moor Crossing, 3-day hike, guide Lev Dahl: 1 August 2026 to 3 August 2026. Group size 14."),
]}


def test_a_date_in_words_is_one_value_and_a_number_keeps_its_glued_unit() -> None:
    found = {c.text: c for c in candidates(TRIPS["trip-salt-road"], frozenset(), load_language().stop_words,
                                           months=load_language().months)}
    assert {"14 June 2026", "17 June 2026", "4"} <= set(found) and found["14 June 2026"].date
    assert found["4"].after[:1] == ["day"]
    assert ask("How many days does the Salt Road take?", TRIPS) == "4"
    assert ask("how long is Cedar Ridge in days", TRIPS) == "9"


def test_a_question_for_one_end_of_a_range_gets_that_end() -> None:
    assert ask("When does the Salt Road start?", TRIPS) == "14 June 2026"
    assert ask("What is the end date of Cedar Ridge?", TRIPS) == "29 July 2026"
    assert ask("Lake Loop: when does it finish", TRIPS) == "Sep 3, 2026"
    assert ask("Moor Crossing, when does it begin?", TRIPS) == "1 August 2026"


def test_a_bracket_of_words_after_a_value_says_what_it_is() -> None:
    assert ask("When is the last night of the Fjord Walk?", TRIPS) == "8 May 2026"
    assert ask("Fjord Walk date of the first night", TRIPS) == "3 May 2026"


def test_a_request_names_the_kind_of_thing_it_asks_for() -> None:
    coded = {key: text + f" Trip code TR-{n}." for n, (key, text) in enumerate(TRIPS.items())}
    assert ask("Name the trip whose guide is Ines Mora.", coded) == "Salt Road"  # not its trip code
    assert ask("Give me the trip with guide Lev Dahl", coded) == "Moor Crossing"


def test_the_word_after_a_rate_labels_nothing_and_a_dollar_sign_is_a_cost() -> None:
    halls = {f"hall-{name.lower()}": f"{name} Hall: capacity {seats} seats. Hire per seat is ${price}; {staff} staff."
             for name, seats, price, staff in [("Birch", 120, 35, 4), ("Cedar", 80, 50, 3), ("Alder", 200, 28, 6),
                                               ("Rowan", 60, 75, 2), ("Hazel", 150, 40, 5)]}
    assert ask("How many seats does Cedar Hall have?", halls) == "80"  # not the price per seat
    assert ask("What does a seat at Alder Hall cost?", halls) == "28"


def test_a_time_asked_is_a_date_not_a_span_of_years_and_an_end_picks_among_dates() -> None:
    leases = {f"lease-{name.lower()}": f"{name} Yard is let to {tenant}. Term: starts {a}, ends {b}, {n} years in all. "
                                       f"Floor area {area} m2."
              for name, tenant, a, b, n, area in [
                  ("Kestrel", "Ovid Print", "2014-03-01", "2029-02-28", 15, 410),
                  ("Merlin", "Tansy Labs", "2019-07-01", "2024-06-30", 5, 220),
                  ("Osprey", "Brume Foods", "2021-01-01", "2031-12-31", 11, 980),
                  ("Harrier", "Quill & Co", "2016-05-15", "2026-05-14", 10, 150),
                  ("Falcon", "Wren Data", "2012-09-01", "2032-08-31", 20, 620)]}
    assert ask("In which year does the Osprey Yard lease stop?", leases) == "2031-12-31"  # not "11 years"
    assert ask("When does the lease of Harrier Yard end?", leases) == "2026-05-14"
    assert ask("Falcon Yard: when does its lease begin?", leases) == "2012-09-01"


def test_a_notation_asked_picks_the_number_written_so() -> None:
    valves = {f"valve-{tag.lower()}": f"Valve {tag} sits on line {line}. Modbus register {reg}, written {reg:#04X} in "
                                      f"the PLC dump. Panel colour #{colour}."
              for tag, line, reg, colour in [("VX-12", 3, 41, "A0B1C2"), ("VX-19", 5, 164, "00FF7F"),
                                             ("VX-23", 2, 77, "FFEFD5"), ("VX-31", 8, 250, "123ABC"),
                                             ("VX-40", 1, 18, "C0FFEE")]}
    assert ask("I need the hexadecimal register of valve VX-19, not the decimal one.", valves) == "0XA4"
    assert ask("What is the decimal register number of valve VX-23?", valves) == "77"
    assert ask("hex colour code of valve VX-40", valves) == "#C0FFEE"


def test_a_name_asked_by_another_value_is_the_record_s_subject() -> None:
    kit = {f"kit-{tag.lower()}": f"{maker} {kind} {tag}\nLocated in Room {room}, asset tag {asset}, serviced by {who}."
           for maker, kind, tag, room, asset, who in [
               ("Orvik", "centrifuge", "CF-12", "R2.14", "AT-5521", "Lena Voss"),
               ("Hallam", "microscope", "MS-40", "R1.02", "AT-1180", "Ravi Shah"),
               ("Pellin", "oven", "OV-77", "R3.30", "AT-9043", "Mia Kord"),
               ("Dresk", "scale", "SC-09", "R2.01", "AT-3317", "Tom Eyre"),
               ("Vantor", "mixer", "MX-22", "R4.11", "AT-6650", "Ana Lutz")]}
    assert ask("I need the name of the equipment with asset tag AT-9043.", kit) == "Pellin oven OV-77"
    assert ask("what is the item tagged AT-3317 called", kit) == "Dresk scale SC-09"
    assert ask("There's a mixer in Room R4.11 - what is its full name?", kit) == "Vantor mixer MX-22"  # not "MX-22"


def test_a_glued_number_is_no_label_and_a_bracket_after_a_value_s_words_restates_it() -> None:
    disks = {f"disk-{name.lower()}": f"{name} is a 2048-bit AES volume on host {host}. Quota: {units} blocks "
                                     f"({units * 4} KiB), snapshot every {hours} hours."
             for name, host, units, hours in [("Ledger", "db1", 300, 6), ("Archive", "db2", 900, 24),
                                              ("Scratch", "app3", 120, 1), ("Media", "app4", 650, 12),
                                              ("Backup", "db5", 1500, 48)]}
    assert ask("key size in bits of the Media volume", disks) == "2048"  # not AES's label
    assert ask("What is the Scratch quota in KiB?", disks) == "480"  # the bracket shares "Quota"


def test_a_second_operand_named_by_a_common_word_is_taken_from_the_first_one_s_collection() -> None:
    names = ["Tibetan", "Greek", "Tamil", "Hebrew", "Coptic", "Thai"] + [f"Lang{chr(65 + i)}x" for i in range(30)]
    docs = {f"lang-{100 + 7 * i}": f"Language registry entry: {name}.\nRegistry code: {100 + 7 * i}"  # a template's
            for i, name in enumerate(names)}  # first words, so no record's subject is its first value
    docs |= {f"dish-{n}": f"{dish} costs {price} euros at the canteen."  # in many records of another kind, and
             for n, (dish, price) in enumerate([("Greek salad", 9), ("Yoghurt, greek style,", 4), ("Greek pie", 6),
                                                ("Greek soup", 5), ("Hebrew bread", 3), ("Bread, hebrew style,", 7),
                                                ("Hebrew tea", 2), ("Hebrew rolls", 8)])}  # in small letters
    assert ask("How far apart are the registry codes of Tibetan and that of Greek?", docs) == "7"
    assert ask("registry code of Tamil minus registry code of Hebrew", docs) == "-7"


def test_an_id_writes_a_name_s_underscores_as_dashes() -> None:
    ops = {f"op-{name.lower().replace('_', '-')}": f"Reference notes for {name}: this call uses slot {slot}, written "
                                                   f"{slot:#04x} in dumps; its group is {name.split('_')[0]}."
           for name, slot in [("LOAD_FAST", 124), ("KW_NAMES", 172), ("DICT_MERGE", 164), ("DELETE_NAME", 91),
                              ("STORE_ATTR", 95)] + [(f"FILLER_{i}", 200 + i) for i in range(8)]}
    assert ask("Tell me which call sits at slot 172", ops) == "KW_NAMES"  # not its hex form
    assert ask("slot 0x5b name", ops) == "DELETE_NAME"


def test_a_name_cut_short_by_small_letters_is_the_record_s_longer_value() -> None:
    dishes = {f"dish-{code.lower()}": f"Internal catalogue record for the dish {name}.\nRegistered name: {name}\n"
                                      f"Menu code: {code}\nPrice band: {band}"
              for name, code, band in [("Lemon tart", "LT9", 3), ("Onion soup", "OS4", 1), ("Duck confit", "DC2", 5),
                                       ("Pear sorbet", "PS7", 2), ("Beef stew", "BS1", 4)] + [
                  (f"Filler {i}", f"F{i}X", i) for i in range(8)]}
    dishes |= {f"farm-{i}": f"Farm {i} keeps Duck breeds and sells eggs." for i in range(6)}  # "Duck" is common
    assert ask("Which dish has the menu code DC2?", dishes) == "Duck confit"  # not "Duck"


def test_a_v_before_a_version_says_it_is_one() -> None:
    tools = {f"tool-{name}": f"{name} (v{version}) — {summary}.\n• footprint: {files} files, {kib} KiB on disk"
             for name, version, summary, files, kib in [
                 ("quillpad", "2.4.1", "A small note editor", 40, 812), ("tarnfetch", "0.9.12", "Fetches mirrors", 12, 96),
                 ("gorsewatch", "5.0.3", "Watches files for changes", 77, 2310),
                 ("lintelbox", "1.1.0", "Boxes of reusable widgets", 19, 404)]}
    assert ask("what version of tarnfetch is installed", tools) == "v0.9.12"


def test_words_after_a_value_past_a_function_word_label_the_next_value() -> None:
    kilns = {f"kiln-{tag.lower()}": f"Kiln {tag}\nIt was installed in {year} at a purchase price of EUR {price:,}. "
                                    f"It fires {loads} loads a week."
             for tag, year, price, loads in [("KX-2", 2015, 48000, 12), ("KX-5", 2019, 61500, 9),
                                             ("KX-7", 2011, 39900, 15), ("KX-9", 2021, 75250, 7)]}
    assert ask("What was the purchase price of Kiln KX-5?", kilns) == "61,500"  # not the year before "at a"


def test_a_sentence_opener_labels_the_amount_after_its_currency_code() -> None:
    deals = {f"deal-{n}": f"Renewal note for {name} (contract {code}). Scope is {scope}. Annual value is EUR {value:,}, "
                          f"notice {notice} days."
             for n, (name, code, scope, value, notice) in enumerate([
                 ("Harlow Freight", "SC-101", "inbound pallets", 442250, 90), ("Mossdale Print", "SC-102", "labels", 61000, 30),
                 ("Crane and Sons", "SC-103", "lifting gear", 125500, 60), ("Tidewell Foods", "SC-104", "canteen", 88900, 45),
                 ("Orrin Steel", "SC-105", "coil", 510000, 90), ("Pell Cleaning", "SC-106", "offices", 43800, 30)])}
    # six records open a sentence with "Annual": a template's word, no value
    assert ask("What is the annual value of the Crane and Sons contract?", deals) == "125,500"


def test_the_kind_a_question_asks_labelling_the_subject_makes_the_subject_the_answer() -> None:
    tickets = {f"tkt-{n}": f"[PROC-{4400 + n}] Supplier contract check: {name}\nValue USD {value:,}. Price review due.\n"
                           f"Supplier contact: {contact}"
               for n, (name, value, contact) in enumerate([
                   ("Gorrow Gases", 385500, "Delia Prent"), ("Hask Metals", 120000, "Ivo Marr"),
                   ("Lune Paper", 56000, "Oda Finch"), ("Brell Freight", 240750, "Sam Udo")])}
    assert ask("We got an email from Ivo Marr about a price increase. Which of our suppliers does he work for?",
               tickets) == "Hask Metals"


def test_a_code_point_asked_in_u_plus_form_and_a_want_set_aside() -> None:
    keys = {f"key-{name.lower()}": f"Key {name}: value {value:#06x} (decimal {value}). Character: U+{cp:04X} {char}. "
                                   f"Code point decimal {cp}. Tint {tint} percent, shade {shade} percent."
            for name, value, cp, char, tint, shade in [
                ("Ghainx", 0x5DA, 0x63A, "ARABIC LETTER GHAIN", 24, 80), ("Zhex", 0x6D6, 0x436, "CYRILLIC SMALL ZHE", 30, 70),
                ("Alefx", 0x5C7, 0x627, "ARABIC LETTER ALEF", 11, 65), ("Tethx", 0x7E8, 0x3B8, "GREEK SMALL THETA", 50, 40)]}
    assert ask("What U+ code point does key Ghainx map to? I don't want the keysym hex.", keys) == "U+063A"
    assert ask("Alefx tint as a percentage (I don't want its shade)", keys) == "11"


def test_a_table_cell_s_amount_is_its_number_and_unit() -> None:
    head = "Supplier register, extract\n\n| Supplier | Contract no. | Annual value | On-time % |\n|---|---|---|---|\n"
    rows = {f"sup-{n}": head + f"| {name} | SC-{n:03d} | EUR {value:,} | {rate} |"
            for n, (name, value, rate) in enumerate([("Harlow Gas and Welding", 454000, 87.7),
                                                      ("Tarn Forklift Rental", 227500, 91.3), ("Mossby Cartons", 98250, 84.3),
                                                      ("Quill Print Works", 61000, 95.0)])}
    assert ask("What is the combined annual value of Harlow Gas and Welding and Tarn Forklift Rental?", rows) == "681500"


def test_a_title_line_names_its_record_and_two_numbers_joined_by_equals_are_one_value() -> None:
    # the id's tail is written in the title and as a value ("official name: QXP"): asked by it, the record is named
    frames = {f"frame-{name.lower()}": f"Reference card - {name} (frame kinds)\n- official name: {name}\n"
                                       f"- frame kind (hex): {code:04X}\n- decimal value: {code}\n- line in file: {line}"
              for name, code, line in [("QXP", 0x88CC, 38), ("TRVL", 0x86DD, 12), ("MBRK", 0x8847, 51), ("ZOLT", 0x88F7, 7)]}
    assert ask("Give me the frame kind hex value for QXP.", frames) == "88CC"
    assert ask("What decimal value does TRVL have?", frames) == "34525"
    # "Value 0x05da = 1498 decimal": the hex value is a value, not the label of its decimal form
    keys = {f"key-{name.lower()}": f"Key note {name}\nLooked up in the table (line {line}). Value {value:#06x} = {value} "
                                   f"decimal. If you need the wide form instead, use {wide:#010x}."
            for name, value, line, wide in [("Pelqa", 0x5DA, 1268, 0x100063A), ("Zunth", 0x6D6, 1301, 0x1000436),
                                            ("Orvix", 0x5C7, 1290, 0x1000627), ("Tamsu", 0x7E8, 1402, 0x10003B8)]}
    assert ask("Pelqa hex value, not the wide form", keys) == "0x05da"
    assert ask("What is the decimal value of Zunth?", keys) == "1750"


def test_a_name_field_the_id_names_is_the_record_s_own_name_under_a_ticket_s_title() -> None:
    tickets = {f"prog-{name}": f"Ticket NR-{code}\nSubject: registry entry check - {name}\nNote: verified against the "
                               f"registry. Details:\n  Official name: {name}\n  Program number: {number}\n  Hex: {number:#x}\n"
                               f"  Aliases: {alias}\n  Line in file: {line}"
               for name, code, number, alias, line in [("brevin", "KQTA", 100231, "brv", 26), ("tollux", "WEPH", 100457, "tlx", 31),
                                                       ("marsk", "OBDU", 100612, "msk", 12), ("quenby", "ZARF", 100733, "qby", 40)]}
    assert ask("program 100457 name?", tickets) == "tollux"
    assert ask("tell me the official program name that has msk as one of its aliases", tickets) == "marsk"
    assert ask("Which program has the hex value 0x1897d?", tickets) == "quenby"
    assert ask("Which hex value does the entry brevin have? Not the line.", tickets) == "0x18787"


def test_a_title_line_of_cells_names_its_record_and_i_don_t_mean_sets_a_value_aside() -> None:
    units = {f"unit-{fleet.lower()}": f"SERVICE SHEET | Unit {fleet} | Reg {reg}\nStatus: closed\nPayload rating: {payload:,} kg; "
                                      f"Fuel tank: {tank} L\nOdo at close: {odo:,} km"
             for fleet, reg, payload, tank, odo in [("UN-0880", "LL22 HTK", 5350, 198, 326440), ("UN-0412", "KD19 MMX", 2100, 80, 98000),
                                                    ("UN-0555", "BX70 QQR", 7400, 300, 410200), ("UN-0923", "PL66 TRE", 3300, 120, 150500)]}
    assert ask("Tell me the fuel tank capacity of UN-0880 - I don't mean the payload.", units) == "198"
    assert ask("odo reading for UN-0412?", units) == "98,000"


def test_a_slash_or_an_arrow_between_spaces_separates_two_fields() -> None:
    vans = {f"van-{n}": f"JOB CARD | Van {n}\nFirst reg: {first} / Last major overhaul: {overhaul}\n"
                        f"Inspected: {seen} -> Next inspection due: {due}"
            for n, first, overhaul, seen, due in [("VN-0829", 2017, 2023, "24/03/2025", "24/03/2026"),
                                                  ("VN-0345", 2021, 2026, "21/12/2025", "20/09/2026"),
                                                  ("VN-0110", 2012, 2019, "02/02/2024", "01/02/2025")]}
    assert ask("In what year was VN-0829 first registered?", vans) == "2017"
    assert ask("When was VN-0110 inspected?", vans) == "02/02/2024"


def test_a_run_that_cuts_a_name_the_question_writes_names_nothing() -> None:
    head = "| Van | Driver | Depot |\n|---|---|---|\n"
    vans = {"van-1": "Van VN-0158: Tamsin Vosper is the assigned driver; depot Quarry Lane.",
            "van-2": "Van VN-0586: Edern Vosper is the assigned driver; depot Mill Road.",
            "van-3": head + "| VN-0446 | Lowen Vosper | Harbour Gate |",
            "van-4": "Van VN-0301: Kerra Penrose is the assigned driver; depot Mill Road.",
            "van-5": head + "| VN-0990 | Jory Hendra | Quarry Lane |"}
    vans |= {f"note-{n}": f"Depot note {n}: yard swept, {n} pallets stacked." for n in range(60)}  # a store of some size
    assert ask("Lowen Vosper is the assigned driver of which van?", vans) == "VN-0446"


def test_a_breadcrumb_s_last_step_is_the_record_s_subject() -> None:
    pages = {f"chan-{name}": f"Registries > Radio channels > {name} :: channel number {number}; hex {number:#x}; "
                             f"line in file {line}"
             for name, number, line in [("brask", 262, 51), ("tollow", 88, 43), ("mirren", 132, 12), ("quade", 94, 7)]}
    assert ask("I saw channel 0x106 in a trace - what's the name of that channel entry?", pages) == "brask"
    assert ask("line in file of the quade channel?", pages) == "7"


def test_an_ordinal_asks_for_that_item_of_a_labelled_list() -> None:
    entries = {f"proto-{name}": f"Entry note\n  Official name: {name}\n  Protocol number: {number}\n"
                                f"  Aliases: {', '.join(aliases)}\n  Line in file: {line}"
               for name, number, aliases, line in [("rask", 73, ["RASK", "CPHB", "RSK1"], 41), ("tolm", 88, ["TOLM", "TLX"], 43),
                                                   ("mirv", 12, ["MIRV", "MV2", "MVX", "MV4"], 12), ("quod", 94, ["QUOD"], 7)]}
    assert ask("The rask protocol entry lists several aliases. What is the second one?", entries) == "CPHB"
    assert ask("third alias of mirv", entries) == "MVX"
    assert ask("What is the protocol number of tolm?", entries) == "88"


def test_the_clause_that_asks_says_which_of_the_values_an_earlier_clause_states() -> None:
    entries = {f"prog-{name}": f"Registries > Programs > {name} :: program number {number}; line in file {line}; "
                               f"source file /etc/progs"
               for name, number, line in [("yppwd", 100009, 12), ("tollen", 100231, 26), ("marsk", 100612, 31), ("quib", 100733, 40)]}
    assert ask("marsk shows up with a program number and a line number in the registry; which line is it on?",
               entries) == "31"
    assert ask("quib has a line number too. What is its program number?", entries) == "100733"


def test_two_operands_named_by_their_name_fields_and_the_words_after_of_a_name_say_what_it_is() -> None:
    protocols = {f"proto-{name}": f"Registry: radio protocols\nOfficial name: {name}\nProtocol number: {number}\n"
                                  f"Line in file: {line}\nSource file: /etc/radio"
                 for name, number, line in [("vask", 124, 54), ("pell", 103, 50), ("udrin", 136, 58), ("omst", 17, 9)]}
    assert ask("What do you get if you add the protocol numbers of vask and pell?", protocols) == "227"
    assert ask("Sum the file line number of the udrin protocol entry and the file line number of the omst protocol "
               "entry.", protocols) == "67"


def test_a_hex_colour_asked_without_its_hash_finds_the_record() -> None:
    paints = {f"paint-{name.lower().replace(' ', '-')}": f"The paint {name} renders as {code}, with a red value of "
                                                       f"{int(code[1:3], 16)}."
              for name, code in [("Harbor Teal", "#7AC5CD"), ("Dusk Plum", "#8B4789"), ("Sand Dune", "#EED8AE"),
                                 ("Moss Bank", "#556B2F")]}
    assert ask("paint with hex 8b4789", paints) == "Dusk Plum"
    assert ask("What is the red value of the paint 7AC5CD?", paints) == "122"


def test_a_slash_between_two_notations_restates_a_value_and_a_notation_asked_is_no_label() -> None:
    keys = {f"key-{name.lower()}": f"### KEY_{name}\n- name: {name}\n- value: {value:#06x} / {value}\n"
                                   f"- code point, decimal: {cp}\n- source line: {line}"
            for name, value, cp, line in [("Softa", 0x6D8, 1100, 1210), ("Pyurx", 0x5D3, 1363, 1905),
                                          ("Gjeth", 0x6B2, 1027, 1165), ("Tamb", 0x7E1, 962, 1302)]}
    assert ask("What is the decimal keysym value of Softa?", keys) == "1752"
    assert ask("What is the hex value of Pyurx?", keys) == "0x05d3"
    assert ask("What is the code point of Gjeth?", keys) == "1027"


def test_a_reverse_question_s_word_far_from_any_value_says_what_the_subject_is() -> None:
    suppliers = {f"sup-{n}": f"{name} has been our {kind} supplier under contract SC-{n:04d} since {since}; before that the "
                             f"relationship ran on purchase order PO-{po}. The contract is worth EUR {value:,} a year."
                 for n, (name, kind, since, po, value) in enumerate([
                     ("Raskel Fresh Foods", "catering", "August 1, 2021", 436266, 23250),
                     ("Dunmore Guarding", "security", "March 3, 2020", 512300, 88000),
                     ("Pellow Print Works", "printing", "May 9, 2022", 600125, 14500),
                     ("Quarrel Cartons", "packaging", "June 30, 2019", 377010, 61000)])}
    assert ask("supplier for PO-436266", suppliers) == "Raskel Fresh Foods"
    assert ask("Since when has Dunmore Guarding been our supplier?", suppliers) == "March 3, 2020"


def test_a_number_ending_the_title_s_name_is_the_name_whole() -> None:
    roots = {f"root-{name.lower().replace(' ', '-')}": f"Trust store entry: {name}\nIssuing organization: {org}.\n"
                                                      f"Fingerprint prefix: SHA-256 {fp}."
             for name, org, fp in [("Amazon Root CA 1", "Amazon", "8ECDE6884F3D"), ("Harbor Root CA 2", "Harbor", "1A2B3C4D5E6F"),
                                   ("Quill Trust Root 3", "Quill", "77AA88BB99CC"), ("Tarn Global Root 1", "Tarn", "0F1E2D3C4B5A")]}
    assert ask("SHA-256 prefix 8ECDE6884F3D: which CA?", roots) == "Amazon Root CA 1"


def test_a_short_bracket_ending_a_name_s_field_is_part_of_the_name() -> None:
    settings = {f"conf-{key}": f"Configuration parameter: {key}\nDefault value: {default}\nSection: {section}\n"
                               f"Registered name: {name}"
                for key, default, section, name in [
                    ("cost_page_hit", 1, "RESOURCE USAGE (except WAL)", "Page Hit Cost"),
                    ("wal_level", "replica", "WRITE AHEAD LOG", "Write Ahead Level (Legacy)"),
                    ("log_temp", -1, "REPORTING AND LOGGING", "Temp File Logging"),
                    ("work_mem", "4MB", "RESOURCE USAGE (except WAL)", "Work Memory")]}
    assert ask("Under what section heading would I find cost_page_hit?", settings) == "RESOURCE USAGE (except WAL)"
    assert ask("What is the default value of Write Ahead Level?", settings) == "replica"


def test_a_count_before_its_noun_and_a_colon_is_a_value_and_a_sentence_ending_with_a_colon_no_key() -> None:
    codecs = {f"codec-{n}": f"{n} is a built-in codec in the standard library. It is registered under {len(al)} aliases: "
                            f"{', '.join(al)}. Its module runs to {lines} lines of source."
              for n, al, lines in [("latin_9", ["8859", "cp819", "l9", "latin9"], 50), ("kroat", ["cp1", "hr8"], 44),
                                   ("velsh", ["cy1", "cy2", "wx"], 61), ("pomx", ["pm"], 20)]}
    assert ask("How many aliases is latin_9 registered under?", codecs) == "4"
    assert ask("alias count of kroat", codecs) == "2"
    assert ask("Add the alias counts of latin_9 and velsh.", codecs) == "7"  # the counts, not a listed alias


def test_bytes_written_in_hex_are_one_value() -> None:
    glyphs = {f"glyph-{name}": f"Glyph: &{name};\nHex reference: &#x{cp:X};\nUTF-8 encoding: {enc} ({len(enc.split())} bytes)\n"
                               f"UTF-16 length: 2 bytes"
              for name, cp, enc in [("spadex", 0x2660, "E2 99 A0"), ("clubx", 0x2663, "E2 99 A3"),
                                    ("starx", 0x2605, "E2 98 85"), ("degx", 0xB0, "C2 B0")]}
    assert ask("i need the utf-8 bytes for &spadex; in hex", glyphs) == "E2 99 A0"
    assert ask("What is the UTF-8 encoding of &degx;?", glyphs) == "C2 B0"


def test_found_by_far_words_only_the_value_whose_clause_holds_more_of_the_question_answers() -> None:
    suppliers = {f"sup-{n}": f"{name} has been our {kind} supplier under contract SC-{n:04d} since {since}. "
                             f"{contact} is the contact person at the supplier, and {ours} manages the account for us."
                 for n, (name, kind, since, contact, ours) in enumerate([
                     ("Nythel Gases", "industrial gases", "January 15, 2022", "Talia Oakhurst", "Casimir Gill"),
                     ("Dunmore Guarding", "security", "March 3, 2020", "Orrin Treloar", "Delphine Whit"),
                     ("Pellow Print Works", "printing", "May 9, 2022", "Mira Sands", "Ivo Marr"),
                     ("Quarrel Cartons", "packaging", "June 30, 2019", "Edda Pole", "Sam Udo")])}
    assert ask("Nythel Gases is missing from my sheet. Who is the contact person at the supplier for that one?",
               suppliers) == "Talia Oakhurst"
    assert ask("Since when has Dunmore Guarding been our supplier?", suppliers) == "March 3, 2020"


def test_a_title_every_record_of_a_layout_shares_names_none_and_a_stated_name_is_no_label() -> None:
    # made-up lighthouse register: each coast's title line is the layout's, the value the id ends with the subject
    docs = {f"beacon-{key}": f"{coast} light register\nCoast: {coast}\nLight name: {name}\nLit: {lit}\n"
                             f"Range: {rng} nautical miles\nFocal height: {height} m"
            for key, coast, name, lit, rng, height in [
                ("harrow", "Norland", "Harrow Point", "12 March 1871", 18, 41),
                ("skellig", "Norland", "Skellig Rock", "3 May 1899", 22, 57),
                ("brae", "Norland", "Brae Ness", "1 July 1880", 19, 52),
                ("tamsin", "Osterby", "Tamsin Head", "9 June 1902", 15, 33),
                ("kell", "Osterby", "Kell Bay", "9 June 1922", 13, 23),
                ("velloc", "Osterby", "Velloc Spit", "30 August 1911", 11, 24)]}
    assert ask("Which lighthouse has a range of 11 nautical miles?", docs) == "Velloc Spit"  # not the coast's title
    assert ask("When did Norland Skellig Rock light up?", docs) == "3 May 1899"  # "Norland" labels no value
    assert ask("focal height of Tamsin Head", docs) == "33"


def test_the_words_after_a_name_that_follows_on_say_what_the_named_thing_is() -> None:
    # made-up change board: "ticket" after the title names what the title is, the header "Ticket" labels no answer
    header = "Ticket | Title | Owner | Reviewer | Hours"
    rows = [("CB-101", "Quay lights retrofit", "Ansel Varga", "Mirela Osk", 12),
            ("CB-102", "Dock scale calibration", "Tove Brandt", "Ilse Haring", 7),
            ("CB-103", "Gate camera refresh", "Oren Paik", "Lys Amundi", 30)]
    docs = {f"cb-{n[-3:]}": f"{header}\n{n} | {title} | {owner} | {rev} | {hours}" for n, title, owner, rev, hours in rows}
    assert ask("who was the reviewer on the Quay lights retrofit ticket", docs) == "Mirela Osk"
    assert ask("hours logged on the Gate camera refresh ticket?", docs) == "30"


def test_two_fields_one_after_the_other_are_no_parallel_list() -> None:
    # made-up outage notes: "rate 12.5%, 40 pages" is two fields; "north, south and east ... 12, 7 and 9" a list
    docs = {"out-1": "Outage OUT-1. Impact: 310 users affected, peak drop rate 12.5%, 40 pages sent.",
            "out-2": "Outage OUT-2. Impact: 95 users affected, peak drop rate 3.25%, 9 pages sent.",
            "crew-1": "Crew Brightwater: its north, south and east squads have 12, 7 and 9 members."}
    assert ask("peak drop rate of OUT-1?", docs) == "12.5"
    assert ask("How many pages were sent for OUT-2?", docs) == "9"
    assert ask("How many members does the south squad of Crew Brightwater have?", docs) == "7"


def test_a_quoted_description_with_marks_inside_is_found_word_for_word() -> None:
    # made-up job catalogue: the quote holds a bracket and a semicolon, as the record does
    docs = {"job-sweeper": "Sweeper\nSchedule: 02:00\nPurpose: clears the build cache (nightly); keeps 3 copies",
            "job-rotator": "Rotator\nSchedule: 03:00\nPurpose: rotates the audit logs (weekly); keeps 8 copies",
            "job-pruner": "Pruner\nSchedule: 04:00\nPurpose: keeps 8 copies; rotates the audit logs (weekly) as the "
                          "job described in the runbook"}  # the quote's words, not its phrase
    question = 'Which job is described as "rotates the audit logs (weekly); keeps 8 copies"?'
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    assert [n.docs for n in index.names(question) if n.start < 0] == [("job-rotator",)]  # the quote names it
    assert ask(question, docs) == "Rotator"


def test_each_of_two_quoted_names_names_one_operand() -> None:
    # made-up outage log: two quoted titles, each the name of one record
    docs = {"out-11": "OUT-11 - Slow search on harbor-web\n- pages: 14\n- minutes: 95",
            "out-12": "OUT-12 - Full outage of quay-api\n- pages: 31\n- minutes: 240",
            "out-13": "OUT-13 - Stale cache in quay-web\n- pages: 6\n- minutes: 40"}
    assert ask('Add up the pages for "Slow search on harbor-web" and "Full outage of quay-api".', docs) == "45"


def test_a_hyphen_between_spaces_separates_an_id_from_its_title() -> None:
    # made-up work tickets titled "<id> - <title>": the id and the title are two values, never one name
    docs = {"tk-3": "TK-3 - Crane refit at Pier 4\n- owner: Ana Lee\n- hours: 12",
            "tk-4": "TK-4 - Gantry Inspection\n- owner: Bo Hart\n- hours: 30",
            "tk-5": "TK-5 - Fender replacement\n- owner: Cy Moss\n- hours: 7"}
    found = [c.text for c in candidates(docs["tk-4"], load_language().name_connectors, load_language().stop_words)]
    assert found[:2] == ["TK-4", "Gantry Inspection"]
    assert ask("Which ticket is owned by Bo Hart?", docs) == "TK-4 - Gantry Inspection"
    assert ask("hours on TK-5", docs) == "7"


def test_a_title_asked_is_the_first_line_s_words_after_the_id() -> None:
    # made-up knowledge-base articles "<id> - <title>": "title" and "headline" ask the words, an article its id
    docs = {"kb-101": "KB-101 - How to reset a locked door badge at the front desk\n- owner: Ana Lee\n- views: 120",
            "kb-102": "KB-102 - Booking the large meeting room on the third floor\n- owner: Bo Hart\n- views: 45",
            "kb-103": "KB-103 - Requesting a parking permit for a visitor's car\n- owner: Cy Moss\n- views: 300"}
    assert ask("What's the title of the article owned by Bo Hart?", docs) == \
        "Booking the large meeting room on the third floor"
    assert ask("headline of the article Ana Lee owns", docs) == "How to reset a locked door badge at the front desk"
    assert ask("Which article has 300 views?", docs) == "KB-103"


def test_key_equals_value_pairs_are_labelled_fields_and_a_plus_rule_underlines_a_header() -> None:
    # made-up parts export ("KEY=value ; ...") and a table whose rule joins columns with "+"
    docs = {"part-a1": 'PARTS EXPORT :: PART=A1 ; NAME="Brass Hinge 40mm" ; QTY_ON_HAND=140 ; REORDER_POINT=60 ; '
                      'UNIT_COST=2.35 ; LIST_PRICE=4.10',
            "part-b2": 'PARTS EXPORT :: PART=B2 ; NAME="Steel Hasp 75mm" ; QTY_ON_HAND=35 ; REORDER_POINT=20 ; '
                      'UNIT_COST=3.80 ; LIST_PRICE=6.95',
            "part-c3": "Part | Name | On Hand | Reorder Point | Unit Cost | List Price\n"
                       "-----+------+---------+---------------+-----------+-----------\n"
                       "C3 | Zinc Latch 50mm | 410 | 150 | 1.15 | 2.40"}
    assert readable(docs["part-a1"]).startswith("PARTS EXPORT :: PART: A1 ; NAME: \"Brass Hinge 40mm\" ; QTY ON HAND: 140")
    assert readable("Value 0x07ab = 1963") == "Value 0x07ab = 1963"  # one spaced "=" restates, no pair
    assert ask("What's the list price of the Steel Hasp 75mm, not the unit cost?", docs) == "6.95"
    assert ask("reorder point for Zinc Latch 50mm", docs) == "150"


def test_a_key_labels_its_quoted_value_and_the_words_between_for_and_a_name_say_what_it_is() -> None:
    # made-up stock export: quoted values after their keys; "stock item" says what WH-2 is, asks no ITEM
    docs = {f"sku-wh-{n}": f'STOCK EXPORT :: SKU=WH-{n} ; ITEM="{item}" ; BUYER="{buyer}" ; QTY_ON_HAND={qty}'
            for n, item, buyer, qty in [(1, "Cable Tie 200mm", "Ana Lee", 40), (2, "Hose Clamp 32mm", "Bo Hart", 12),
                                        (3, "Wall Plug 8mm", "Cy Moss", 300)]}
    assert [(c.text, c.label) for c in candidates('BUYER: "Ana Lee" ; QTY: 3', frozenset(),
                                                  load_language().stop_words)] == [("Ana Lee", ["BUYER"]), ("3", ["QTY"])]
    assert ask("Who is the buyer responsible for stock item WH-2?", docs) == "Bo Hart"
    assert ask("Which item is bought by Cy Moss?", docs) == "Wall Plug 8mm"


def test_a_number_glued_to_its_part_names_a_standard_and_is_no_operand() -> None:
    # made-up regions: "ISO 3166-2" names the code asked, neither a subtraction nor a stated number
    docs = {f"reg-{code.lower()}": f"Region name: {name}\n{label}: {code}\nRegion type: {kind}\nTowns: {towns}"
            for name, label, code, kind, towns in [
                ("Lowland", "ISO 3166-2 code", "ZZ-LW", "Province", 14), ("Highmoor", "Region code", "ZZ-HM", "County", 9),
                ("Eastfen", "ISO 3166-2 code", "ZZ-EF", "Province", 21), ("Westdale", "ISO 3166-2 code", "ZZ-WD",
                                                                              "County", 6),
                ("Northcape", "ISO 3166-2 code", "ZZ-NC", "Province", 11), ("Southmere", "ISO 3166-2 code", "ZZ-SM",
                                                                               "County", 8)]}  # Highmoor's never writes "3166"
    assert ask("What is the ISO 3166-2 code for Highmoor?", docs) == "ZZ-HM"


def test_a_number_asked_without_its_hash_finds_the_record_that_writes_it_with_one() -> None:
    # made-up entries of a list: "entry #204" in the record, "entry 204" in the question
    docs = {f"ent-{name.lower()}": f"Record - {name}\n- Name: {name}\n- Kind: {kind}\n- Position in list: entry #{n}"
            for n, name, kind in [(204, "Harrowgate", "Borough"), (517, "Linmoor", "Parish"), (880, "Caddow", "Ward")]}
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    assert [n.docs for n in index.names("Name the place at entry 517 of the list.") if n.span == "517"] == [
        ("ent-linmoor",)]
    assert ask("Name the place at entry 517 of the list.", docs) == "Linmoor"


def test_a_name_the_record_holds_whole_labels_no_number_its_description_writes_before_its_words() -> None:
    # made-up stock notes: "Grade 8.8 wedge anchor ..." in the description is no value of the name's words
    docs = {f"sku-{n}": f'Update on {name} (our SKU WH-{n}). Description on file: "Grade 8.8 {name.lower()} for '
                        f'the mezzanine handrail fixings on the north side; supplier changed packaging in spring". The reorder point is {rop} and the reorder quantity is {qty}.'
            for n, name, rop, qty in [(1, "Wedge Anchor M6x20", 1200, 4800), (2, "Socket Screw M4x12", 80, 400),
                                      (3, "Hex Bolt M10x40", 300, 900)]}
    assert ask("What is the difference between the reorder point of Wedge Anchor M6x20 and the reorder point of "
               "Socket Screw M4x12?", docs) == "1120"


def test_a_request_s_object_that_labels_one_of_the_named_thing_s_values_asks_that_field() -> None:
    # made-up stock notes: "Give me the reorder point for X" asks a field of X, not which record is a "reorder point"
    docs = {f"sku-{n}": f"Subject: Stock status WH-{n} / {name}\n\nUpdate on {name} (our SKU WH-{n}). We hold {qty} "
                        f"units on hand. The reorder point is {rop} and the standard reorder quantity is {rq}."
            for n, name, qty, rop, rq in [(11, "Cable Gland M32 Black", 195, 50, 250),
                                          (12, "Pipe Saddle 22mm Grey", 640, 200, 800),
                                          (13, "Hose Clip 40mm Zinc", 75, 30, 120)]}
    assert ask("Give me the reorder point for Pipe Saddle 22mm Grey, not the quantity on hand.", docs) == "200"


# made-up service tickets in a "- Field: value" list, to test a line's value and the key before it
TICKETS = {f"tkt-{n}": f"Ticket: TKT-{n}\n- Client: {client}\n- Opened: {opened}\n- Queue: {queue}\n- Plan: {plan}\n"
                       f"- Hours: {hours}\n- Charge (final): {charge} EUR\n- Total: {total} EUR"
           for n, client, opened, queue, plan, hours, charge, total in [
               (4410, "Brindle Optics", "03 March 2025", "Desk 4", "Tier 2", 6, "410.50", "488.50"),
               (4411, "Marrow Lane Foods", "11 March 2025", "Field crew 12", "Tier 3", 9, "612.00", "728.28"),
               (4412, "Ostler Print", "19 March 2025", "Desk 7", "Tier 1", 2, "96.00", "114.24")]}


def test_a_line_s_value_of_words_closed_by_a_small_number_is_one_value() -> None:
    found = {c.text: c.label for c in candidates(TICKETS["tkt-4411"], frozenset(), load_language().stop_words,
                                                  months=frozenset(["march"]))}
    assert found["Field crew 12"] == ["Queue"] and found["Tier 3"] == ["Plan"]
    assert found["11 March 2025"] == ["Opened"]  # a date stays a date
    assert ask("What plan is TKT-4412 on?", TICKETS) == "Tier 1"


def test_a_key_labels_its_value_after_the_words_that_open_the_line() -> None:
    # "Charge (final): 612.00": the bracket's word is nearest, the key behind it labels the value too
    found = {c.text: c.label for c in candidates("Ticket 9 - Charge (final): Tier 612.00 EUR", frozenset(),
                                                  load_language().stop_words)}
    assert found["612.00"][:1] == ["Tier"] and "Charge" in found["612.00"]


def test_an_operator_word_that_labels_a_value_of_the_named_record_asks_that_field() -> None:
    # "the gross total of TKT-4411": no word but "total" labels a value, and one record's field adds nothing up
    assert ask("What is the gross total of ticket TKT-4411?", TICKETS) == "728.28"


# made-up upload lines: "urgency=low -- Ann Lee" is the urgency "low", then who signed the upload
UPLOADS = {f"up-{pkg}": f"Upload: {pkg} ({version}) unstable; urgency={urgency} -- {who}, {day}\nFiles: {files} changed "
                        f"files in the signed upload"
           for pkg, version, urgency, who, day, files in [
               ("quillsort", "2.1-1", "low", "Ann Lee", "2023-04-02", 12),
               ("brackenfs", "0.9-3", "critical", "Tomas Ruiz", "2021-11-30", 7),
               ("marlwatch", "5.0-2", "medium", "Ines Vale", "2024-01-15", 31)]}


def test_a_typed_double_dash_between_spaces_ends_a_field() -> None:
    assert ask("urgency of the brackenfs upload", UPLOADS) == "critical"
    assert ask("What is the urgency of marlwatch?", UPLOADS) == "medium"


def test_who_asks_for_a_person_s_name_even_where_no_label_says_so() -> None:
    # "Files: 12 changed files in the signed upload" holds more of the question's words than the name does
    assert ask("Who signed the quillsort upload?", UPLOADS) == "Ann Lee"
    assert ask("who signed off the marlwatch upload files", UPLOADS) == "Ines Vale"


def test_a_message_is_about_what_its_subject_line_names_not_its_sender() -> None:
    # made-up confirmation mails from two senders: the sender's name opens each record
    docs = {f"order-{n.lower()}": f"From: {sender} <desk@{firm}.example>\nTo: buying@ourco.example\n"
                                  f"Subject: Order {n} - delivery confirmed\n\nHello,\nyour order {n} (your ref {ref}) "
                                  f"ships on {day} in {boxes} boxes.\n\nRegards,\n{sender}"
            for n, sender, firm, ref, day, boxes in [
                ("OR-5521", "Mira Holt", "larchline", "PUR/8812", "2025-03-04", 6),
                ("OR-5522", "Mira Holt", "larchline", "PUR/8840", "2025-03-09", 11),
                ("OR-5530", "Dev Okafor", "stonegate", "PUR/9017", "2025-04-01", 3)]}
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    assert index.records["order-or-5522"].subject_text == "OR-5522"
    assert ask("Which order has our reference PUR/9017?", docs) == "OR-5530"
    assert ask("How many boxes is order OR-5522 shipped in?", docs) == "11"


def test_an_abbreviation_s_dot_before_a_key_s_colon_belongs_to_the_key() -> None:
    # made-up delivery notes: "Note No.: DN-77" is the key "Note No" and its value, the record's subject
    docs = {f"dn-{n}": f"Note No.: DN-{n}\nCarrier: {carrier}\nCustomer ref.: {ref}\nParcels: {parcels}"
            for n, carrier, ref, parcels in [(77, "Fastway Couriers", "CR-1180", 4), (78, "Nordline Freight", "CR-1193", 9),
                                             (79, "Fastway Couriers", "CR-1207", 2)]}
    found = {c.text: c.label for c in candidates(docs["dn-78"], frozenset(), load_language().stop_words)}
    assert found["DN-78"] == ["No", "Note"] and found["CR-1193"] == ["ref", "Customer"]
    assert ask("note number for customer ref CR-1207", docs) == "DN-79"


# made-up release headers: "Key-Words: value" lines, one of them quoting a change that holds marks
RELEASES = {f"rel-{pkg}": f"Source: {pkg}\nLatest-Version: {version}\nOn-Call: {who}\nChangelog-Entries: {entries}\n"
                          f"Latest-Entry-Bullets: {bullets}\nSample-Change: \"{change}\""
            for pkg, version, who, entries, bullets, change in [
                ("fernpack", "2.4-1", "Ada Quill", 58, 3, "parser: accept empty lists (closes: #4410)"),
                ("glimmerd", "0.7-2", "Bo Strand", 131, 6, "daemon: retry on EINTR"),
                ("hollyfmt", "1.0-5", "Cy Marsh", 12, 1, "Drop the old config loader.")]}


def test_each_word_of_a_hyphenated_key_asks_and_so_does_the_whole_key() -> None:
    assert ask("How many changelog entries does glimmerd have?", RELEASES) == "131"
    assert ask("combined number of changelog entries for fernpack and hollyfmt", RELEASES) == "70"
    assert ask("Who is on-call for hollyfmt?", RELEASES) == "Cy Marsh"


def test_the_words_before_a_quote_say_where_it_stands_not_what_is_asked() -> None:
    assert ask('Which package\'s latest changelog entry says "daemon: retry on EINTR"?', RELEASES) == "glimmerd"
    assert ask('Name the source whose last changelog entry reads "parser: accept empty lists (closes: #4410)".',
               RELEASES) == "fernpack"


# made-up site cards: an area in two units after one label, a span of days with a bracketed note
SITES = {f"site-{code.lower()}": f"Sites > {city} > {name} > {code}\nSpace: {sqm} sqm | {sqft} sqft | desks {desks}\n"
                                 f"Build time: {days} days (from groundbreaking to opening)\nOpened: {opened}"
         for code, city, name, sqm, sqft, desks, days, opened in [
             ("ST-101", "Leeds", "Harrow Court", "1,210", "13,024", 88, 412, "3 May 2019"),
             ("ST-102", "Turin", "Ostwick House", "2,950", "31,754", 240, 655, "9 June 2021"),
             ("ST-103", "Ghent", "Pellam Yard", "780", "8,396", 51, 298, "1 July 2016")]}


def test_a_short_word_in_small_letters_after_a_number_is_its_unit_and_a_unit_asks_by_its_family() -> None:
    assert ask("What is the area of Ostwick House in square feet?", SITES) == "31,754"
    assert ask("floor space of Pellam Yard in square metres", SITES) == "780"


def test_a_bracket_after_a_value_and_its_unit_says_what_the_value_is() -> None:
    assert ask("One site took 412 days from groundbreaking to opening. Which one?", SITES) == "ST-101"


def test_a_message_opening_with_its_subject_is_about_the_name_its_id_s_code_is_bracketed_after() -> None:
    # made-up requests: "Subject: Colour code request - Dusk Amber (dam)", id "col-dam"
    docs = {f"col-{code}": f"Subject: Colour code request - {name} ({code})\nFrom: paint-desk@example.org\n\n"
                           f"Please add {name} to the palette, mixing batch {batch}.\nThanks"
            for code, name, batch in [("dam", "Dusk Amber", 4410), ("fgr", "Fern Grey", 4418), ("rvt", "River Teal", 4425)]}
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    assert index.records["col-fgr"].subject_text == "Fern Grey (fgr)"
    assert ask("Which colour has mixing batch 4425?", docs) in ("River Teal", "River Teal (rvt)")


def test_a_count_before_a_colon_in_a_sentence_is_a_value_and_an_id_ends_the_subject_it_names() -> None:
    # made-up invoices in prose: "It covers 26 line items: ..." counts what follows the colon
    docs = {f"inv-{n.lower()}": f"Invoice {n} was issued on {day} to {client}. It covers {lines} line items: {what}. "
                                f"The net amount is EUR {net}."
            for n, day, client, lines, what, net in [
                ("QX-2201", "3 May 2024", "Harlow Mills", 26, "Soil compaction survey at plot 14", "1,740.23"),
                ("QX-2202", "9 May 2024", "Brenton Dairy", 7, "Water sampling at the north well", "412.00"),
                ("QX-2203", "2 June 2024", "Osgood Tiles", 13, "Crack monitoring on the east wall", "2,005.50")]}
    found = [c.text for c in candidates(docs["inv-qx-2201"], frozenset(), load_language().stop_words)]
    assert "26" in found
    assert ask("qx-2201 number of line items", docs) == "26"
    assert ask("How many line items are on invoice QX-2203?", docs) == "13"


def test_what_two_named_things_have_between_them_is_a_sum() -> None:
    assert ask("How many desks do Harrow Court and Pellam Yard have between them?", SITES) == "139"


def test_the_unit_asked_outranks_another_unit_of_its_dimension() -> None:
    # made-up floor notes: "metres" asks the metres value, not the feet one (both lengths)
    docs = {f"fl-{name.split()[0].lower()}": f"Floor note. {name} measures {sqm} square metres, i.e. {sqft} square feet."
            for name, sqm, sqft in [("Harbour Rooms", "4,002", "43,077"), ("Quarry Hall", "3,974", "42,776"),
                                    ("Mill Loft", "1,150", "12,378")]}
    assert ask("By how many square metres is Harbour Rooms larger than Quarry Hall?", docs) == "28"
    assert ask("How many square feet do Mill Loft and Quarry Hall have between them?", docs) == "55154"


def test_which_company_asks_the_one_organisation_s_name_the_record_holds_not_the_issuer_all_records_name() -> None:
    # made-up delivery notes of one issuer: "Tolvane Freight GmbH" is in every record, the client's name in one
    clients = ["Marsh End Foods Ltd", "Ollery Water Authority", "Pike Row Tools AB", "Quenby Print plc",
               "Redwater Glass Oy", "Sallow Farms Ltd", "Tunstall Labs Inc", "Umber Cove Trust", "Vellacott Mills SA",
               "Wrexley Dairy Ltd", "Yarrow Hill Bank", "Zennor Tiles AG"]
    docs = {f"dn-{k}": f"Delivery note DN-{500 + k} was issued by Tolvane Freight GmbH to {client}. It lists "
                       f"{3 + k} parcels. Contact at the client is {first} {last}."
            for k, (client, first, last) in enumerate(zip(clients, ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal",
                                                                      "Ida", "Jo", "Kit", "Lou"],
                                                          ["Akers", "Bryce", "Cole", "Dunn", "Eames", "Frost", "Gale",
                                                           "Hume", "Irwin", "Joyce", "Kemp", "Lowe"]))}
    docs["mail-1"] = ("From: dispatch@tolvane.example\nTo: Mo Nash, Ashcombe Water Authority <mo@ashcombe.example>\n"
                      "Subject: Delivery note DN-600 is ready\n\nYour reference is PO-77-41. Regards, Tolvane Freight GmbH")
    assert ask("Ida Irwin is the contact on one of our delivery notes. Which company do they work for?", docs) \
        == "Vellacott Mills SA"
    assert ask("which company sent us reference po-77-41", docs) == "Ashcombe Water Authority"


def test_a_name_and_the_address_after_it_are_two_values() -> None:
    found = [c.text for c in candidates("To: Mo Nash, Ashcombe Water Authority <mo.nash@ashcombe.example>\nCc: Ed Lowe",
                                        frozenset(), load_language().stop_words)]
    assert "Ashcombe Water Authority" in found and "mo.nash@ashcombe.example" in found


def test_a_label_in_capitals_abbreviates_the_asked_words_by_their_initials() -> None:
    # made-up register rows: "PO number" and "Customer" label two codes of one row
    docs = {"reg-1": "Order register extract\n| Order | PO number | Customer | Lines |\n| OR-11 | PX-5521 | CU-870 | 4 |",
            "reg-2": "Order register extract\n| Order | PO number | Customer | Lines |\n| OR-12 | PX-5530 | CU-812 | 9 |",
            "reg-3": "Order register extract\n| Order | PO number | Customer | Lines |\n| OR-13 | PX-5547 | CU-833 | 2 |"}
    assert ask("What is the customer's own purchase-order number on order OR-12?", docs) == "PX-5530"
    assert ask("which purchase order is quoted on OR-13", docs) == "PX-5547"


def test_a_two_letter_code_in_capitals_and_the_number_after_it_are_one_value() -> None:
    # made-up trips: a carrier's code and its number ("KQ 311") are one flight number, never a unit and an amount
    docs = {f"trip-{n}": f"Trip {n}\nOutbound flight: {out} departing 4 May 2025\nReturn flight: {back} on 9 May 2025\n"
                         f"Seats booked: {seats}\nNightly rate: {rate} GBP"
            for n, out, back, seats, rate in [("TR-101", "KQ 311", "KQ 318", 2, "180.00"),
                                              ("TR-102", "LM 4410", "LM 4427", 3, "134.50"),
                                              ("TR-103", "ZB 77", "ZB 79", 1, "95.25")]}
    found = [c.text for c in candidates(docs["trip-TR-102"], frozenset(), load_language().stop_words)]
    assert "LM 4427" in found
    assert ask("What is the return flight number (not the outbound one) on trip TR-102?", docs) == "LM 4427"
    assert ask("difference between the nightly rate on TR-101 and the nightly rate on TR-103", docs) == "84.75"


def test_a_count_that_opens_the_words_before_a_colon_is_a_value_not_a_key() -> None:
    # made-up itineraries: "(Economy, 4 seat(s)): outbound ..." counts seats; it is no key of what follows
    docs = {f"it-{n}": f"Itinerary {n}\nFlights ({cabin}, {seats} seat(s)): outbound {out} on 4 May 2025; return {back}."
            for n, cabin, seats, out, back in [("IT-7", "Economy", 4, "KQ 311", "KQ 318"),
                                               ("IT-8", "Business", 2, "LM 4410", "LM 4427"),
                                               ("IT-9", "Economy", 6, "ZB 77", "ZB 79")]}
    assert ask("I need the number of seats booked on the flights for IT-8.", docs) == "2"


def test_an_operator_word_after_a_label_word_asks_that_field_of_the_one_named_record() -> None:
    # made-up stays: "the hotel total" is the "total" column, not the "hotel" one
    docs = {f"stay-{n}": f"ref | hotel | city | nights | rate_per_night | total | currency\n{n} | {hotel} | Leeds | "
                         f"{nights} | {rate} | {total} | GBP"
            for n, hotel, nights, rate, total in [("ST-41", "Copper Inn", 4, "116.50", "466.00"),
                                                  ("ST-42", "Harbour Lodge", 2, "99.00", "198.00"),
                                                  ("ST-43", "Mill House", 3, "80.25", "240.75")]}
    assert ask("For ST-41, give me the hotel total for the whole stay, not the nightly rate.", docs) == "466.00"


def test_an_id_writes_a_dotted_name_with_dashes() -> None:
    # made-up review mails: "Subject: [api-audit] fmtlib.pad reviewed", id "fn-fmtlib-pad"
    docs = {f"fn-fmtlib-{name}": f"Subject: [api-audit] fmtlib.{name} reviewed\n\nHi team,\nfmtlib.{name} takes "
                                 f"{params} parameters.\n-- docs rotation"
            for name, params in [("pad", 3), ("trim", 2), ("wrap", 5)]}
    index = resolver(docs)[0].index
    asyncio.run(index.refresh())
    assert index.records["fn-fmtlib-trim"].subject_text == "fmtlib.trim"
    assert ask("how many parameters does fmtlib.wrap take", docs) == "5"


def test_a_dotted_name_the_id_writes_whole_names_its_record_and_param_abbreviates_parameter() -> None:
    # made-up reference pages under a breadcrumb: "fmtlib.pad" is the record's name though the crumb ends "pad"
    docs = {f"fn-fmtlib-{name}": f"Toolkit 2.0 > Reference > fmtlib > {name}\n\nfmtlib.{name}({args})\n    {doc}\n\n"
                                 f"Params: {n} | Defaults: {d} | Docstring: {lines} lines"
            for name, args, doc, n, d, lines in [
                ("pad", "text, width, fill=' '", "Pad text to a width.", 3, 1, 4),
                ("trim", "text, chars=None", "Trim characters from both ends.", 2, 1, 6),
                ("wrap", "text, width=70, indent=0, tabs=8, keep=False", "Wrap text into lines.", 5, 4, 11)]}
    assert ask("Quick one while I review a pull request: how many parameters does fmtlib.wrap take altogether?",
               docs) == "5"
    assert ask("fmtlib.trim parameter count", docs) == "2"


def test_a_gap_of_spaces_or_a_tab_inside_a_line_separates_two_fields() -> None:
    # made-up dispatch slips laid out in columns: "Crates 14   Weight 312 kg   Driver Ola Berg"
    docs = {f"slip-{n}": f"DISPATCH SLIP {n}\nCrates {crates}   Weight {kg} kg\tPallets {pallets}\nDriver {driver}"
            for n, crates, kg, pallets, driver in [(4410, 14, 312, 3, "Ola Berg"), (4411, 9, 188, 2, "Ines Varga"),
                                                  (4412, 21, 530, 5, "Tom Reyes")]}
    found = {c.text: c.label for c in candidates(docs["slip-4411"], frozenset(), load_language().stop_words)}
    assert found["9"] == ["Crates"] and found["188"] == ["Weight"] and found["2"] == ["Pallets"]
    assert ask("how many pallets on slip 4412", docs) == "5"
    assert ask("Weight of dispatch slip 4410?", docs) == "312"
    assert "\t" not in [t.text for t in tokens("The kiln runs hot.  Its vent is 40 cm wide.\n  Indented line")]


def test_an_export_header_in_capitals_abbreviates_the_asked_words() -> None:
    # made-up repair-shop export: "RPR_NO|CUST_REF|LAB_HRS|PARTS_QTY|INV_AMT|DISP_DATE"
    header = "RPR_NO|CUST_REF|LAB_HRS|PARTS_QTY|INV_AMT|DISP_DATE|PO_REF"
    docs = {f"rpr-{n}": f"{header}\nRPR-{n}|CR/{ref}|{hours}|{parts}|{amount}|{day}|PO{ref + 4000}"
            for n, ref, hours, parts, amount, day in [(301, 5521, 2.5, 4, "180.00", "2025-01-09"),
                                                      (302, 5590, 6, 11, "742.40", "2025-01-14"),
                                                      (303, 5602, 1, 2, "95.10", "2025-02-02")]}
    assert ask("labour hours spent on RPR-302", docs) == "6"
    assert ask("What quantity went into repair RPR-301?", docs) == "4"
    assert ask("invoice amount for RPR-303", docs) == "95.10"
    assert ask("RPR-301 dispatch date", docs) == "2025-01-09"
    assert ask("Which purchase order number is RPR-302 billed against?", docs) == "PO9590"  # initials of a key's part
    # asked by a value, not the record's name, "how much" still wants a number, not the record's code
    assert ask("How much was invoiced on the repair with customer reference CR/5590?", docs) == "742.40"


def test_a_command_option_keeps_its_dashes_and_ignoring_sets_a_field_aside() -> None:
    # made-up tool pages: "flags: 12; first flag: --dry-run; examples: 3"
    docs = {f"tool-{name}": f"{name}(1) page digest\n- flags: {flags}; first flag: {first}\n- examples: {examples}\n"
                            f"- shipped in: {package}"
            for name, flags, first, examples, package in [("grindle", 12, "--dry-run", 3, "grindle-tools"),
                                                          ("mopctl", 7, "-q", 5, "mop-utils"),
                                                          ("tarsk", 19, "--level", 2, "tarsk-bin")]}
    assert ask("first flag of mopctl", docs) == "-q"
    assert ask("Tell me the first flag in the grindle page.", docs) == "--dry-run"
    assert ask("tarsk: how many, ignoring the flags, examples?", docs) == "2"
    assert ask("Which package ships the tarsk page digest?", docs) == "tarsk-bin"


def test_a_header_written_without_its_vowels_abbreviates_the_asked_word() -> None:
    # made-up timesheet rows: "| Job | Crew | Hrs | Amt |", no word of the question written whole
    docs = {f"job-{n}": f"| Job | Crew | Hrs | Amt |\n|---|---|---|---|\n| JB-{n} | {crew} | {hours} | {amount} |"
            for n, crew, hours, amount in [(71, "Delta", 5, "410.00"), (72, "Kilo", 9, "1,020.50"), (73, "Echo", 3, "99.99")]}
    assert ask("How many hours were booked on JB-72?", docs) == "9"
    assert ask("JB-73 amount?", docs) == "99.99"


def test_the_word_before_as_gives_the_stated_value_and_the_record_s_subject_answers() -> None:
    # made-up gadget register: "Summary: ..." beside "Manuals documented: 3"; asked "Name the device documented as ..."
    docs = {f"gad-{name}": f"Gadget: {name}\nSummary: {summary}\nManuals documented: {manuals}\nShelf: {shelf}"
            for name, summary, manuals, shelf in [("brisklet", "a pocket timer for kitchen shifts", 3, "B4"),
                                                  ("humwick", "a candle-sized air freshener", 2, "C1"),
                                                  ("tallyo", "a tally counter with a wrist loop", 5, "A7")]}
    assert ask("Name the device documented as a tally counter with a wrist loop.", docs) == "tallyo"
    assert ask("Which gadget is listed as a candle-sized air freshener?", docs) == "humwick"


def test_a_number_one_record_holds_names_it_and_the_last_clause_asks() -> None:
    # made-up print-job log: the word "toner" is also the subject of another record, the number names the job
    docs = {**{f"job-{n}": f"Print job: {n}\nQueue: {queue}\nToner used: {toner} mg\nPages: {pages}"
               for n, queue, toner, pages in [("PJ-401", "east", 5813, 12), ("PJ-402", "west", 2207, 40),
                                              ("PJ-403", "north", 9120, 3)]},
            "part-toner": "Toner\nPart: TN-88\nStocked: yes"}
    assert ask("A job used exactly 2207 mg of toner. Which print job was it?", docs) == "PJ-402"
    assert ask("There is a job whose toner use is 9120 mg. Which queue did it go to?", docs) == "north"
    assert ask("one job used 5813 mg of toner - which queue was it sent to", docs) == "east"  # a dash too


def test_a_request_verb_opening_the_question_names_no_record_even_where_it_is_a_subject() -> None:
    # made-up registers: a command called "show" beside made-up islands
    docs = {"cmd-show": "Command: show\nPurpose: prints a stored note\nOptions: 4",
            **{f"isle-{code.lower()}": f"Island: {name}\nCode: {code}\nArea: {area} km2"
               for name, code, area in [("Brisland", "BRL", 412), ("Tovmark", "TVK", 98), ("Ennacy", "ENY", 1210)]},
            "ferry-1": "Ferry route: Brisland to Tovmark, 2 sailings a day",
            "ferry-2": "Ferry route: Tovmark to Ennacy, 1 sailing a day"}  # Tovmark in three records, show in one
    assert ask("Show me the code of Tovmark.", docs) == "TVK"
    assert ask("What are the options of show?", docs) == "4"


def test_a_time_question_is_answered_by_a_date_not_by_a_title_holding_its_words() -> None:
    # made-up ferry register: the title "Pell launch record" holds "Pell" and "launch"; the date is labelled
    docs = {f"boat-{name.lower()}": f"Pell launch record\nOperator: Pell\nHull: {hull}\nName: {name}\n"
                                    f"Keel laid: {laid}\nLaunch date: {launched}\nLaunch crew: {years + 3}\nLaunch yard: Pell\n"
                                    f"Service years: {years}"
            for name, hull, laid, launched, years in [("Wrenna", "F-12", "2 March 2001", "19 May 2003", 21),
                                                     ("Osprey", "F-14", "8 July 2004", "1 October 2006", 17),
                                                     ("Tamsin", "F-17", "5 May 2010", "30 June 2012", 12)]}
    assert ask("When was Pell Osprey launched?", docs) == "1 October 2006"


def test_the_words_after_a_verb_label_the_next_value_not_the_code_before_the_verb() -> None:
    # made-up instruction table: "PUSH_PAIR is assigned slot 41 (0x29) ..."; the code's words end at "is"
    docs = {f"ins-{code.lower()}": f"{code} is assigned slot {slot} in the reference build. It pops {pops} values."
            for code, slot, pops in [("PUSH_PAIR", 41, 2), ("DROP_TOP", 7, 1), ("SWAP_TWO", 19, 0)]}
    assert ask("What slot is DROP_TOP given?", docs) == "7"
    assert ask("What is the sum of the slots of PUSH_PAIR and SWAP_TWO?", docs) == "60"


def test_a_code_further_on_that_is_the_id_s_tail_is_the_subject_of_a_record_opening_with_shared_words() -> None:
    # made-up handover notes: every one opens "Night log, <shared site>."; the job's code comes later
    docs = {f"log-{code.lower()}": f"Night log, {site}. {who} took {code} in the North Annex after {caller} phoned "
                                   f"it in: {fault}."
            for code, site, who, caller, fault in [
                ("JB-7710", "Pell Yard", "Ana Rusk", "Ola Berg", "gate motor jammed"),
                ("JB-7711", "Pell Yard", "Tom Reyes", "Ines Varga", "roof drain blocked"),
                ("JB-7712", "Dunmore Quay", "Ana Rusk", "Kit Moss", "lamp post down"),
                *[(f"JB-78{n}", ("Pell Yard", "Dunmore Quay")[n % 2], "Tom Reyes", f"Caller {n}", "alarm test")
                  for n in range(10, 16)]]}
    assert ask("Which job did Ines Varga phone in?", docs) == "JB-7711"


def test_a_subject_written_after_its_kind_answers_which_of_that_kind() -> None:
    # made-up cards: "SERVICE ORDER SO-301" titles each; the purchase order's label also holds "order"
    docs = {f"so-{n}": f"SERVICE ORDER SO-{n}\nDevice: {device}\nPurchase order: PO{n + 5000}\nInvoice: £{amount}"
            for n, device, amount in [(301, "scanner", "120.50"), (302, "kiosk", "88.00"), (303, "till", "410.75")]}
    assert ask("An invoice for £88.00 came in. Which service order is it for?", docs) == "SO-302"


def test_a_dotted_name_the_id_writes_whole_is_the_subject_over_the_breadcrumb_s_last_step() -> None:
    # made-up API reference: the breadcrumb ends at "fold_left", the signature writes "seqtools.fold_left"
    docs = {f"api-seqtools-{name}": f"Toolkit 2.1 > Reference > seqtools > {name}\n\nseqtools.{name}{signature}\n"
                                    f"    {summary}\n\nParams: {params} | Defaults: {defaults}"
            for name, signature, summary, params, defaults in [
                ("fold_left", "(fn, items, start=0)", "Reduce the items from the left.", 3, 1),
                ("chunked", "(items, size)", "Split the items into lists of a given size.", 2, 0),
                ("pairwise_max", "(a, b, key=None)", "Return the larger item of each pair.", 3, 1)]}
    assert ask('Which function\'s summary reads "Split the items into lists of a given size"?', docs) == "seqtools.chunked"


def test_a_tab_separated_header_labels_the_cells_of_the_row_under_it() -> None:
    # made-up roster export: one header row and one row, cells parted by tabs
    header = "crew_id\tname\tvessel\tberth\tshift_hours\tgrade"
    docs = {f"crew-{cid.lower()}": f"Roster extract\n{header}\n{cid}\t{name}\t{vessel}\t{berth}\t{hours}\t{grade}"
            for cid, name, vessel, berth, hours, grade in [("CR-118", "Ona Pike", "Gannet", "B4", 36, "G2"),
                                                          ("CR-119", "Eli Marsh", "Tern", "C1", 40, "G3"),
                                                          ("CR-120", "Ruth Hale", "Skua", "A7", 32, "G1")]}
    found = {c.text: c.label for c in candidates(docs["crew-cr-119"], frozenset(), load_language().stop_words)}
    assert found["Tern"] == ["vessel"] and found["40"] == ["shift_hours"]
    assert ask("Which grade is Ruth Hale on?", docs) == "G1"
    assert ask("shift hours of Ona Pike", docs) == "36"


def test_a_labelled_code_in_brackets_after_a_number_is_another_field() -> None:
    # made-up staff lines: "extension 412 (desk NTH-2-07)"; a restated number in brackets keeps the outer label
    docs = {f"staff-{name.split()[0].lower()}": f"{name} sits in {team}. You can reach them on extension {ext} "
                                                f"(desk {desk}). Badge {badge}."
            for name, team, ext, desk, badge in [("Ola Berg", "Payroll", 412, "NTH-2-07", "B-1180"),
                                                 ("Ines Varga", "Audit", 577, "STH-1-11", "B-1193"),
                                                 ("Tom Reyes", "Legal", 230, "EST-4-02", "B-1207")]}
    assert ask("What's the phone extension for Ines Varga?", docs) == "577"
    assert ask("Which desk is Tom Reyes at?", docs) == "EST-4-02"


def test_on_a_line_of_keyed_columns_each_field_s_first_word_is_its_key() -> None:
    # made-up directory cards: "Ext. 412   Desk NTH-2-07   Mentor Ola Berg" (keys with no colon, columns apart)
    docs = {f"card-{n}": f"STAFF CARD {n}\nExt. {ext}   Desk {desk}   Mentor {mentor}\nTeam: {team}"
            for n, ext, desk, mentor, team in [(71, 412, "NTH-2-07", "Ola Berg", "Payroll"),
                                               (72, 577, "STH-1-11", "Ines Varga", "Audit"),
                                               (73, 230, "EST-4-02", "Tom Reyes", "Legal")]}
    found = {c.text: c.label for c in candidates(docs["card-72"], frozenset(), load_language().stop_words)}
    assert found["577"] == ["Ext"] and found["STH-1-11"] == ["Desk"] and found["Ines Varga"] == ["Mentor"]
    assert ask("Who is the mentor on staff card 73?", docs) == "Tom Reyes"


def test_a_hyphened_word_after_a_number_describes_it() -> None:
    # made-up crate audits: "holds 40 kiln-dried planks and 6 spare pallets"
    docs = {f"crate-{n}": f"Crate {n} audit: it holds {planks} kiln-dried planks and {pallets} spare pallets, "
                          f"weighing {kg} kg."
            for n, planks, pallets, kg in [("C71", 40, 6, 310), ("C72", 55, 2, 402), ("C73", 18, 9, 150)]}
    assert ask("How many kiln-dried planks are in crate C72?", docs) == "55"
    assert ask("how many planks does crate C73 hold", docs) == "18"


def test_the_kind_named_right_after_the_subject_makes_it_the_answer_to_which_of_that_kind() -> None:
    # made-up plugin notes: "The quillpad plugin, version 2.1, ... built from the source plugin inkbase"
    docs = {f"plg-{name}": f"The {name} plugin, version {version}, is enabled. Its summary reads \"{summary}\". It is "
                           f"built from the source plugin {source} and needs {deps} libraries."
            for name, version, summary, source, deps in [
                ("quillpad", "2.1", "Ink strokes for tablets", "inkbase", 3),
                ("tallyfox", "0.9", "Counts words as you type", "wordcore", 1),
                ("glossmark", "4.0", "Marks glossary terms", "termkit", 2)]}
    assert ask('Which enabled plugin is described as "Counts words as you type"?', docs) == "tallyfox"


def test_no_and_nr_abbreviate_number() -> None:
    # made-up locker slips: "Locker no. L-114, key nr K-9"; asked by "number"
    docs = {f"slip-{who.split()[0].lower()}": f"{who}\nLocker no. {locker}\nKey nr {key}\nFloor: {floor}"
            for who, locker, key, floor in [("Ola Berg", "L-114", "K-9", 2), ("Ines Varga", "L-208", "K-31", 3),
                                            ("Tom Reyes", "L-017", "K-4", 1)]}
    assert ask("What is the locker number of Ines Varga?", docs) == "L-208"
    assert ask("key number for Tom Reyes", docs) == "K-4"


def test_a_request_for_a_field_whose_modifier_labels_a_code_asks_that_field() -> None:
    # made-up claim notes: "Ada Voss holds motor policy QMP-4410-7 ..."; the claim number is each record's subject
    docs = {f"clm-{n.lower()}": f"File note, claim {n}. {who} holds {line} policy {policy} with us. The loss was reported "
                                f"on {day} and handled by {adjuster}."
            for n, who, line, policy, day, adjuster in [
                ("QC-3301", "Ada Voss", "motor", "QMP-4410-7", "2 May 2024", "Ola Berg"),
                ("QC-3302", "Bram Tull", "home", "QHP-5521-2", "9 May 2024", "Ines Varga"),
                ("QC-3303", "Cleo Marr", "travel", "QTP-6630-9", "4 June 2024", "Tom Reyes")]}
    assert ask("Give me the policy number for Bram Tull.", docs) == "QHP-5521-2"


def test_a_semicolon_export_under_its_header_labels_each_cell_by_its_column() -> None:
    # made-up shelter register lines: a header of snake_case keys over one row, an empty cell
    docs = {f"bay-{n.lower()}": f"Shelter export - harbour bays\nbay_no;legacy_bay_no;town;capacity;occupied;screen_fail\n"
                                f"{n};{old};{town};{cap};{occ};{fail}"
            for n, old, town, cap, occ, fail in [("BY-101", "", "Tarnwick", 40, 12, 3), ("BY-102", "OB-77", "Pellow", 25, 20, 1),
                                                  ("BY-103", "OB-78", "Corrin", 60, 9, 4)]}
    assert ask("how many occupied at Pellow", docs) == "20"
    assert ask("What is the capacity of bay BY-103?", docs) == "60"
    assert ask("screen failures at BY-101", docs) == "3"


def test_labels_joined_by_slashes_over_values_joined_so_pair_in_order() -> None:
    # made-up kennel cards: "Capacity / occupied / reserved: 40 / 12 / 3"
    docs = {f"kennel-{n.lower()}": f"Kennel {n} ({town})\n- Capacity / occupied / reserved: {cap} / {occ} / {res}\n"
                                   f"- Inspections: {insp}"
            for n, town, cap, occ, res, insp in [("KN-11", "Tarnwick", 40, 12, 3, 7), ("KN-12", "Pellow", 25, 20, 1, 2),
                                                 ("KN-13", "Corrin", 60, 9, 4, 5)]}
    assert ask("How many places are reserved at kennel KN-11?", docs) == "3"
    assert ask("occupied count for KN-13", docs) == "9"
    assert ask("capacity of KN-12", docs) == "25"


def test_a_word_ending_ure_is_of_its_verbs_family_and_a_status_word_in_small_letters_still_asks() -> None:
    # made-up depot table: "Last visit/closure" beside a status "Closed"
    docs = {f"depot-{n.lower()}": f"Depot tracker\n| Depot | Old depot | Opened | Last visit/closure | Status |\n"
                                  f"|---|---|---|---|---|\n| {n} | {old} | {opened} | {closed} | {status} |"
            for n, old, opened, closed, status in [("DP-501", "OD-11", "2020-01-04", "2023-02-24", "Closed"),
                                                   ("DP-502", "OD-12", "2021-03-09", "2024-06-30", "Open"),
                                                   ("DP-503", "OD-13", "2019-11-20", "2022-08-15", "Closed")]}
    assert ask("When was depot DP-501 closed?", docs) == "2023-02-24"
    assert ask("closure date of depot DP-503", docs) == "2022-08-15"


def test_a_camel_case_key_is_its_words_a_rooted_path_keeps_its_slash_and_a_glued_bracket_stays() -> None:
    # made-up daemon dumps in KEY=value lines, one key with no value
    docs = {f"unit-{n}": f"Id={n}.unit\nUnitType=daemon\nDocFirst=man:{n}({sec})\nWantsFirst=\n"
                         f"ExecPath=/usr/sbin/{n}d\nFileLines={lines}\nFileSizeBytes={size}"
            for n, sec, lines, size in [("quorra", 8, 59, 2003), ("tessel", 1, 47, 1520), ("vintry", 5, 12, 410)]}
    assert ask("Give me the line count of quorra.unit, not the byte size.", docs) == "59"
    assert ask("the program path of tessel.unit", docs) == "/usr/sbin/tesseld"
    assert ask("first documentation entry of vintry.unit", docs) == "man:vintry(5)"
    found = [c.text for c in candidates(readable(docs["unit-quorra"]), frozenset(), load_language().stop_words)]
    assert "Wants First" not in found and "UnitType" not in found and "Unit Type" not in found


def test_a_quantity_word_set_aside_beside_a_quantity_asked_sets_aside_only_its_field() -> None:
    # made-up daemon cards: "Wants Count: 5" beside "After Count: 7"
    docs = {f"svc-{n}": f"Id: {n}.unit\nAfter Count: {after}\nWants Count: {wants}\nLine Count: {lines}"
            for n, after, wants, lines in [("quorra", 7, 5, 30), ("tessel", 2, 9, 41), ("vintry", 4, 1, 12)]}
    assert ask("quorra.unit: number of Wants entries, not the After count", docs) == "5"
    assert ask("tessel.unit: the After count, not the number of lines", docs) == "2"


def test_a_key_padded_to_its_colon_labels_its_value() -> None:
    # made-up audit mails with aligned "Key   : value" lines
    docs = {f"job-{n}": f"Notes for {n}.job (shipped by {pkg}):\n  Description  : {desc}\n  Retries      : {retries}\n"
                        f"  Timeout      : {timeout}\n"
            for n, pkg, desc, retries, timeout in [("quorra", "qpkg", "Nightly ledger sweep", 3, 90),
                                                   ("tessel", "tpkg", "Hourly cache trim", 5, 30),
                                                   ("vintry", "vpkg", "Weekly archive roll", 1, 600)]}
    assert ask("What is the timeout of tessel.job?", docs) == "30"
    assert ask("retries for vintry.job", docs) == "1"


def test_a_name_written_with_underscores_and_dots_is_the_subject_its_id_writes_with_dashes() -> None:
    # made-up inventory dumps under one shared first line; the id writes "e9_sweep.job" as "e9-sweep-job"
    docs = {f"unit-{n.replace('_', '-').replace('.', '-')}": f"# unit-inventory dump (selected keys)\nId={n}\n"
                                                             f"Description={desc}\nLineCount={lines}"
            for n, desc, lines in [("e9_sweep.job", "Sweep the ledger at night", 12),
                                   ("k4_trim.job", "Trim the hourly cache", 30),
                                   ("z2_roll.job", "Roll the weekly archive", 7)]}
    assert ask("Which unit is described as 'Trim the hourly cache'?", docs) == "k4_trim.job"


def test_a_function_word_written_as_a_key_asks_that_key_and_the_thing_counted_is_the_noun_after_how_many() -> None:
    # made-up unit cards: "Docs: 1 listed" beside "Before: 5 — first ..."
    docs = {f"unit-{n}": f"{n}.unit card\n- Docs: {docs_n} listed, first man:{n}(1)\n- After: {after} — first a.target\n"
                         f"- Before: {before} — first b.target\n- Lines: {lines}"
            for n, docs_n, after, before, lines in [("quorra", 1, 1, 5, 38), ("tessel", 2, 3, 1, 20),
                                                    ("vintry", 1, 4, 2, 11)]}
    assert ask("How many units are listed in the Before= setting of quorra.unit (not After=)?", docs) == "5"


def test_a_key_inside_a_bracket_after_a_value_names_a_part_of_that_field() -> None:
    # made-up unit records: "Before= entries: 2 (first: b1.target)"
    docs = {f"unit-{n}": f"Unit: {n}.unit\nAfter= entries: {a} (first: {af})\nBefore= entries: {b} (first: {bf})\n"
                         f"Line count: {lines}"
            for n, a, af, b, bf, lines in [("quorra", 2, "a1.target", 1, "b1.target", 25),
                                           ("tessel", 3, "a2.target", 4, "b2.target", 19),
                                           ("vintry", 1, "a3.target", 2, "b3.target", 40)]}
    assert ask("For quorra.unit I need the first unit in Before=, not the first one in After=.", docs) == "b1.target"
    assert ask("first After= entry of vintry.unit", docs) == "a3.target"


def test_a_field_asked_of_a_record_named_by_a_value_answers_by_its_near_label_when_no_kind_is_asked() -> None:
    # made-up claim cards: the claim number is the subject; the claimant names the record
    docs = {f"clm-{n.lower()}": f"CLAIM CARD\nClaim number: {n}\nClaimant: {who}\nDate of loss: {day}\n"
                                f"Loss location: {town}\nCause of loss: {cause}"
            for n, who, day, town, cause in [("QZ-101", "Ottilie Brandreth", "15/01/2021", "Stroud", "fire"),
                                             ("QZ-102", "Bastian Quarrie", "02/03/2021", "Ludlow", "flood"),
                                             ("QZ-103", "Mirela Tosh", "09/09/2021", "Hexham", "theft")]}
    assert ask("Where did the loss on Bastian Quarrie's claim take place?", docs) == "Ludlow"
    assert ask("Which claim is Mirela Tosh's?", docs) == "QZ-103"


def test_a_verb_closing_its_clause_right_after_a_value_describes_that_value() -> None:
    # made-up file notes: "A total of £X was claimed against a reserve of £Y."
    docs = {f"clm-{n.lower()}": f"File note, claim {n}. {who} holds a home policy. A total of £{claimed} was claimed "
                                f"against a reserve of £{reserve}. After the £250.00 excess, £{paid} was paid."
            for n, who, claimed, reserve, paid in [("QZ-201", "Ottilie Brandreth", "75,605.99", "91,900.00", "75,355.99"),
                                                   ("QZ-202", "Bastian Quarrie", "12,000.00", "15,500.00", "11,750.00"),
                                                   ("QZ-203", "Mirela Tosh", "8,420.10", "9,000.00", "8,170.10")]}
    assert ask("How much did Ottilie Brandreth claim for in total?", docs) == "75,605.99"
    assert ask("the reserve on Mirela Tosh's claim", docs) == "9,000.00"


def test_a_title_after_a_signed_name_says_who_the_name_is() -> None:
    # made-up settlement letters signed "Name, Claims Adjuster"
    docs = {f"clm-{n.lower()}": f"Our ref: {n}\n\nDear {who},\n\nYour claim for £{amount} is settled.\n\nYours sincerely,\n"
                                f"{adjuster}, Claims Adjuster\n\n-- footer: loss assessor {assessor} --"
            for n, who, amount, adjuster, assessor in [("QZ-301", "Isolde Penhallow", "1,200.00", "Priya Dandekar", "Lorcan Tighe"),
                                                       ("QZ-302", "Bastian Quarrie", "3,400.00", "Grant Ollivant", "Mira Hesketh"),
                                                       ("QZ-303", "Mirela Tosh", "560.00", "Saoirse Kinsella", "Oren Falk")]}
    assert ask("who was the adjuster on isolde penhallow claim", docs) == "Priya Dandekar"


def test_the_one_name_ending_with_the_kind_asked_answers_and_an_option_inside_a_name_is_no_option() -> None:
    # made-up site cards: the site number is the subject, the hospital a title line below it
    docs = {f"site-{n.lower()}": f"Operations > Sites > {n}\n\n{place} ({town})\n- PI: Dr. {pi}\n- Coordinator: {coord}\n"
                                 f"- Enrolled: {enrolled}"
            for n, place, town, pi, coord, enrolled in [
                ("SN-101", "Stavmere University Hospital", "Coimbra", "Niamh Mallory", "Dario Kovacic", 38),
                ("SN-102", "Ulvdale Neurology Clinic", "Lyon", "Piers Verhoeven", "Oskar Lamberti", 12),
                ("SN-103", "Garbrook Research Clinic", "Nantes", "Idris Tellefsen", "Lucien Pellegrini", 7)]}
    assert ask("Which hospital or clinic has Dario Kovacic as its study coordinator?", docs) \
        == "Stavmere University Hospital"
    assert ask("which clinic has Oskar Lamberti as coordinator", docs) == "Ulvdale Neurology Clinic"


def test_a_request_tied_to_the_name_by_for_asks_a_field_and_a_title_s_head_names_its_record() -> None:
    # made-up lease cards titled "Building (City) - lease QL-..." and one export row
    docs = {f"lease-{n.lower()}": f"{b} ({city}) - lease {n}\n- Landlord's ref: {ref}\n- Landlord: {owner}\n"
                                  f"- Rent: {rent}/month; service charge {svc}/month\n- Capacity: {desks} desks, {park} parking spaces"
            for n, b, city, ref, owner, rent, svc, desks, park in [
                ("QL-3926W", "Corvane Yard", "Gothenburg", "AGR/2014/6576", "Meridale Investments", "790,930", "191,735", 354, 31),
                ("QL-6624B", "Brindlecombe Exchange", "Denver", "AGR/2019/6457", "Pellbright Partners", "48,940", "16,080", 95, 4),
                ("QL-5198B", "Ingleford Point", "Leeds", "AGR/2020/1187", "Hartwell Estates", "22,100", "5,300", 60, 18)]}
    assert ask("Give me the monthly service charge (not the rent) for Brindlecombe Exchange.", docs) == "16,080"
    assert ask("I need the name of the landlord company we rent Corvane Yard from.", docs) == "Meridale Investments"
    assert ask("I need the total number of parking spaces across Ingleford Point and Corvane Yard.", docs) == "49"


def test_what_kind_is_that_asked_by_the_id_s_code_is_the_record_s_name() -> None:
    # made-up language requests, ids ending with the language's code
    docs = {f"lang-{code}": f"Subject: Language code request - {name} ({code})\nFrom: desk@example.org\n\nplease add "
                            f"{name} to the picker. Use the identifier {code}.\nRegistry: entry {entry} of 7910."
            for code, name, entry in [("qzw", "Velmoric", 7224), ("qzx", "Tarnish Creole", 5623), ("qzy", "Old Brask", 811)]}
    assert ask("code qzw - what language is that", docs) == "Velmoric"
    assert ask("We must add the language with identifier qzx. Which language is it?", docs) == "Tarnish Creole"
    assert ask("entry number for qzy", docs) == "811"


def test_abbreviations_in_the_plural_match_and_a_count_before_a_name_counts_what_it_names() -> None:
    # made-up terminal cards ("96 cols · 66 lines") and page audits ("13 SEE ALSO references")
    docs = {f"ti-{n}": f"Terminal {n}\nGeometry: {cols} cols · {lines} lines\nStored at /usr/share/t/{n}"
            for n, cols, lines in [("vq100", 96, 66), ("vq200", 132, 24), ("vq300", 80, 43)]}
    docs |= {f"man-{n}": f"Subject: page audit - {n}(8)\nFrom: docs@example.internal\n\nCounted {opts} documented options (first one: -t) and {refs} SEE ALSO "
                         f"references (first: fs(5))."
             for n, opts, refs in [("qmkfs", 3, 13), ("qfind", 2, 3), ("qlsx", 7, 5)]}
    assert ask("columns of vq200 plus columns of vq300", docs) == "212"
    assert ask("how many SEE ALSO entries does qmkfs have", docs) == "13"


def test_alternatives_after_of_name_what_the_value_is_of_not_options_to_answer() -> None:
    # made-up fleet cards: "Type: truck" is a value, but "the van or truck" names what the asked number is of
    docs = {f"veh-{n.lower()}": f"Fleet number: {n}\nType: {kind}\nDriver: {who}\nPayload (kg): {kg}"
            for n, kind, who, kg in [("FL-0709", "truck", "Jory Hendrawe", 3800), ("FL-0710", "van", "Ama Pike", 1200),
                                     ("FL-0711", "truck", "Odo Rask", 5200)]}
    assert ask("what's the payload of the van or truck that Jory Hendrawe drives?", docs) == "3800"
    assert ask("FL-0710: van or truck?", docs) == "van"


def test_a_quoted_whole_value_names_its_record_where_the_question_asks_one_of_its_fields() -> None:
    # made-up loan notices: the loan number is the subject, the quoted book title one of its values
    docs = {f"loan-{n.lower()}": f"From: desk@library.example\nTo: {who}\nSubject: Loan notice {n} - \"{title}\"\n\n"
                                 f"Dear {who}, \"{title}\" (barcode {code}) was borrowed on {out} and was due back on "
                                 f"{due}. Date returned: {back}."
            for n, who, title, code, out, due, back in [
                ("LN-101", "Ada Quorn", "The Brass Orchard", "31900111", "2026-01-03", "2026-01-24", "2026-02-02"),
                ("LN-102", "Ivo Pell", "A Map of Wending", "31900222", "2026-03-01", "2026-03-22", "2026-03-20"),
                ("LN-103", "Oona Marsh", "Salt and Lantern", "31900333", "2026-05-05", "2026-05-26", "2026-06-09")]}
    assert ask('On what date was "The Brass Orchard" returned, not the due date?', docs) == "2026-02-02"
    assert ask('Which loan notice is about "A Map of Wending"?', docs) == "LN-102"
    # a kind no label of the record names ("title", "book"): the title after the id in the message's subject line
    assert ask("barcode 31900333 - what title is that", docs) == "Salt and Lantern"
    assert ask("what book did Ivo Pell have out", docs) == "A Map of Wending"


def test_compared_with_asks_a_difference_and_an_operator_word_of_a_label_is_the_label_s() -> None:
    docs = {f"inv-{n.lower()}": f"Invoice {n} to {who}. Net amount USD {net}; gross total of USD {gross}."
            for n, who, net, gross in [("QV-7001", "Arbel Mills", "1,000.00", "1,190.00"),
                                       ("QV-7002", "Tarrow Dyes", "400.00", "476.00"),
                                       ("QV-7003", "Lune Felt", "250.00", "297.50")]}
    assert ask("how much larger is the gross total on QV-7001 compared with QV-7002?", docs) == "714"
    assert ask("net amount of QV-7002 versus QV-7003", docs) == "150"


def test_a_key_joining_two_shortened_words_and_a_count_before_a_word_in_capitals() -> None:
    # made-up shared-object lines: "dynsyms" writes "dynamic symbols"; "lists 12 NEEDED libraries"
    docs = {"so-libqa": "libqa.so.1.2\nsoname=libqa.so.1 | bytes=60128 | needed=2 | dynsyms=126 | links=libqa.so",
            "so-libqb": "libqb.so.3.0\nsoname=libqb.so.3 | bytes=90100 | needed=5 | dynsyms=480 | links=libqb.so",
            "so-libqc": "The object libqc.so.2.1 takes 18,592 bytes. Its dynamic section lists 12 NEEDED libraries; "
                        "nm counts 31 exported symbols.",
            "so-libqd": "The object libqd.so.4.0 takes 9,100 bytes. Its dynamic section lists 3 NEEDED libraries; "
                        "nm counts 77 exported symbols."}
    assert ask("How many dynamic symbols does libqa.so.1.2 export? Not the needed count.", docs) == "126"
    assert ask("number of NEEDED libraries for libqc.so.2.1 (not its symbol count)", docs) == "12"


def test_a_length_of_time_in_years_does_not_answer_which_year() -> None:
    docs = {f"ca-{n.lower()}": f"Root CA: {n}\n- Operator: {op}\n- Not before: {start}\n- Not after: {end}\n"
                               f"- Validity (years): {years}"
            for n, op, start, end, years in [("Quellmark Root G2", "Quellmark Ltd", "2009-09-01", "2037-12-31", 28),
                                             ("Tessary Root R1", "Tessary SA", "2014-05-12", "2039-05-12", 25),
                                             ("Orvane Root E3", "Orvane Inc", "2019-12-18", "2042-07-18", 22)]}
    assert ask("In which year did the validity of the Quellmark Root G2 root begin?", docs) == "2009-09-01"
    assert ask("How many years is Tessary Root R1 valid for?", docs) == "25"


def test_a_key_inside_a_paragraph_holds_its_value_up_to_the_sentence_s_end() -> None:
    # made-up repair notes: "Fault: worn drive belt." is one value, though the paragraph goes on
    docs = {f"rep-{n.lower()}": f"Repair note {n}. The unit came in on {day}. Fault: {fault}. Bench: {bench}. "
                                f"Part code {code}. Kind: field repair. Hours booked: {hours}."
            for n, day, fault, bench, code, hours in [
                ("RP-5101", "3 May 2025", "worn drive belt", "north bench", "0x4A", 3),
                ("RP-5102", "9 May 2025", "cracked housing seal", "south bench", "0x5C", 5),
                ("RP-5103", "14 May 2025", "blown input fuse", "north bench", "0x6E", 1)]}
    assert ask("RP-5102 fault", docs) == "cracked housing seal"
    assert ask("Which repair note has part code 0x6E?", docs) == "RP-5103"


def test_a_count_labelled_by_the_plural_does_not_answer_the_question_s_singular() -> None:
    # made-up add-on audits: "Declared plugins: 4" counts them, "first one is qz-audio" is one of them
    docs = {f"addon-{n}": f"Audit of {n}\nVersion: {ver}\nDeclared plugins: {count}, first one is {first}.\nSize: {kb} KiB"
            for n, ver, count, first, kb in [("qzpack", "1.4", 4, "qz-audio", 88), ("vrmix", "2.0", 7, "vr-core", 140),
                                             ("tolbox", "0.9", 2, "tol-io", 51)]}
    assert ask("first plugin listed for vrmix", docs) == "vr-core"
    assert ask("how many plugins does tolbox declare", docs) == "2"


def test_leader_dots_between_a_key_and_its_value_are_its_colon() -> None:
    # made-up inventory cards written "key ...... value"
    docs = {f"inv-{n}": f"Inventory entry: {n}\n- version ........ {ver}\n- section ........ {sec} (priority {prio})\n"
                        f"- size on disk ... {kb} KiB\n- tracked paths .. {paths}"
            for n, ver, sec, prio, kb, paths in [("qzlib-dev", "3.4-1", "libdevel", "optional", 3150, 18),
                                                 ("vrtool", "0.9-2", "utils", "important", 420, 7),
                                                 ("tolfont", "1.1-1", "fonts", "optional", 88, 12)]}
    assert ask("i need the archive section that qzlib-dev is filed under", docs) == "libdevel"
    assert ask("how many tracked paths does vrtool have", docs) == "7"


def test_a_range_written_with_two_dots_is_no_leader_and_leaders_keep_the_record_s_words_in_step() -> None:
    # made-up intake logs: "cap=USD 41000..52000" is a range, not a key's dots; the values after it, read with
    # the words of their clause, must index the record's own words (a leader read in one place only put them off)
    docs = {f"intake-{n.lower()}": f"[2024-02-0{d} 09:12] OPENED {n} unit={unit} lead={lead!r}\n"
                                   f"[2024-02-0{d} 10:40] SIZED cap=USD {lo}..{hi} seats={seats}\n"
                                   f"[2024-03-1{d} 16:05] STATUS -> CLOSED days_taken={days}"
            for n, d, unit, lead, lo, hi, seats, days in [
                ("QZ-401", 2, "Optics", "Orla Vance", 41000, 52000, 3, 41),
                ("QZ-402", 5, "Metrology", "Ivor Penhale", 60000, 71000, 1, 38),
                ("QZ-403", 7, "Assembly", "Tamsin Reeve", 35000, 43000, 2, 40)]}
    assert ask("how many days did QZ-402 take", docs) == "38"
    assert ask("number of seats on QZ-401", docs) == "3"


def test_thousands_grouped_by_spaces_are_one_number_and_two_numbers_side_by_side_stay_two() -> None:
    # made-up tender sheets: "2 340" is two thousand three hundred and forty, "lot 4 120-page" two values
    docs = {f"tender-{n.lower()}": f"| Tender | Lot | Bidders | Budget | Pages |\n|---|---|---|---|---|\n"
                                   f"| {n} | {lot} | {bidders} | EUR {budget} | {pages} |\n"
                                   f"Notes: lot {lot} {pages}-page brief."
            for n, lot, bidders, budget, pages in [("QT-71", 4, "1 215", "2 340 000", 120),
                                                   ("QT-72", 2, "86", "918 500", 64),
                                                   ("QT-73", 7, "3 002", "12 750", 210)]}
    assert ask("How many bidders did QT-71 draw?", docs) == "1,215"
    assert ask("QT-73 budget", docs) == "12,750"
    assert ask("how many pages is the QT-72 brief", docs) == "64"


def test_an_export_row_whose_free_text_last_cell_holds_the_delimiter_is_still_a_row() -> None:
    # made-up delivery exports: the note says "; handled by night crew", one cell more than the header splits
    docs = {f"dlv-{n.lower()}": f"# nightly export\ndelivery;depot;crates;pallets;note\n{n};{depot};{crates};{pallets};"
                                f"{note}; handled by night crew."
            for n, depot, crates, pallets, note in [("DV-301", "Harrowgate", 48, 6, "Fragile load"),
                                                    ("DV-302", "Kelmsby", 120, 15, "Late gate"),
                                                    ("DV-303", "Orrin Vale", 72, 9, "Split drop")]}
    assert ask("How many pallets were on DV-302?", docs) == "15"
    assert ask("Which depot handled DV-303?", docs) == "Orrin Vale"


def test_a_volume_is_read_by_its_unit() -> None:
    # made-up container logs: "31.4 cbm" is the volume, "6,020 kg" the weight
    docs = {f"box-{n.lower()}": f"LOG {n}\n2024-03-0{d} LOADED {pk} pkgs, {kg} kg gross, {cbm} cbm\nStatus: {st}"
            for n, d, pk, kg, cbm, st in [("QC-5101", 2, 88, "6,020", 31.4, "At sea"), ("QC-5102", 5, 140, "9,310", 52.8, "Landed"),
                                          ("QC-5103", 7, 61, "3,775", 18.9, "Booked")]}
    assert ask("What volume does QC-5102 take up?", docs) == "52.8"
    assert ask("By how much does the volume of QC-5101 exceed that of QC-5103?", docs) == "12.5"


def test_a_log_line_s_event_in_capitals_labels_its_date() -> None:
    # made-up courier logs: "2024-05-02  COLLECTED  by ..." dates the collection; the question names the log by
    # its ref, which the question labels "order ref", and asks with another form of that word ("ordered")
    docs = {f"trk-{n.lower()}": f"COURIER LOG {n}\nRef {ref} | depot {depot}\n"
                                f"{d1}  ORDERED     by desk\n{d2}  COLLECTED   at {depot}\n{d3}  DELIVERED   signed"
            for n, ref, depot, d1, d2, d3 in [
                ("CL-8801", "ORD5KQ2", "Harrow", "2024-05-01", "2024-05-02", "2024-05-06"),
                ("CL-8802", "ORD7ZT9", "Kelby", "2024-06-11", "2024-06-13", "2024-06-14"),
                ("CL-8803", "ORD3MW4", "Orrin", "2024-07-20", "2024-07-22", "2024-07-25")]}
    assert ask("When was CL-8802 collected?", docs) == "2024-06-13"
    assert ask("Tell me the date the parcel with order ref ORD3MW4 was ordered.", docs) == "2024-07-20"


def test_a_key_written_with_dots_is_read_as_its_words() -> None:
    # made-up permit dumps: "date.expiry=" is the expiry date, "date.issued=" the issue date
    docs = {f"pmt-{n.lower()}": f"permit.id={n}\nholder=\"{holder}\"\nsite.name={site}\ndate.issued={issued}\n"
                                f"date.expiry={expiry}\nworkers.max={most}\ndump.generated=2024-02-01"
            for n, holder, site, issued, expiry, most in [("PX-301", "Orla Vance", "Harrow", "2023-03-01", "2025-03-01", 12),
                                                          ("PX-302", "Ivor Penhale", "Kelby", "2023-06-15", "2024-12-15", 30),
                                                          ("PX-303", "Tamsin Reeve", "Orrin", "2022-09-09", "2026-09-09", 8)]}
    assert ask("PX-302 expiry date", docs) == "2024-12-15"
    assert ask("most workers allowed on PX-303", docs) == "8"


def test_of_two_values_the_words_label_alike_the_one_asked_first_answers() -> None:
    # made-up plug-in register: "What colour is used by the vendor behind X?" names both the colour and the vendor
    docs = {f"plg-{n.lower()}": f"| plug-in | vendor | colour | seats |\n|---|---|---|---|\n| {n} | {vendor} | {colour} | {seats} |"
            for n, vendor, colour, seats in [("QP-11", "Harrowsoft", "teal", 40), ("QP-12", "Kelbyware", "amber", 25),
                                             ("QP-13", "Orrin Labs", "violet", 12)]}
    assert ask("What colour is used by the vendor behind plug-in QP-12?", docs) == "amber"
    assert ask("Which vendor ships the colour of QP-13?", docs) == "Orrin Labs"


def test_pairs_on_one_line_are_each_a_field() -> None:
    # made-up plug-in dumps: "name=... vendor=... build=2024.3.7 api=2.1" on one line, each pair its own field
    docs = {f"plg-{n.lower()}": f"id={n} name={name} vendor={vendor} build={build} api={api} seats={seats} "
                                f"summary=\"{summary}\""
            for n, name, vendor, build, api, seats, summary in [
                ("QP-21", "lumen", "Harrowsoft", "2024.3.7", "2.1", 40, "Lighting presets"),
                ("QP-22", "tessel", "Kelbyware", "2025.1.2", "3.0", 25, "Tile grids"),
                ("QP-23", "orrin", "Orrin Labs", "2023.9.30", "1.4", 12, "Shape import")]}
    assert ask("Give me the build of QP-22.", docs) == "2025.1.2"
    assert ask("which vendor makes QP-23", docs) == "Orrin Labs"


def test_two_fields_of_one_record_are_taken_one_from_the_other_by_their_labels() -> None:
    # made-up room cards: "beds fitted" and "beds booked" of one ward, combined as the question names them
    docs = {f"ward-{n.lower()}": f"Ward {n}\n- beds fitted: {fitted}\n- beds booked: {booked}\n- nurses on shift: {nurses}"
            for n, fitted, booked, nurses in [("QW-7", 32, 27, 6), ("QW-8", 24, 9, 4), ("QW-9", 40, 38, 8)]}
    assert ask("How many free beds does QW-8 have (fitted minus booked)?", docs) == "15"
    assert ask("For QW-9, subtract the nurses on shift from the beds booked.", docs) == "30"
    assert ask("How many beds are booked on QW-7?", docs) == "27"
    assert ask("nurses on shift plus beds booked on QW-8, what does that come to", docs) == "13"  # a sum by an
    # operator word between the two labels
    assert ask("How much was freed on QW-9, i.e. beds fitted total minus beds booked total?", docs) == "2"  # "total"
    # labels both, the difference is asked


def test_a_unit_per_another_after_a_number_is_its_unit_and_a_unit_of_time_is_of_its_word_s_family() -> None:
    # made-up directory cards: "35 h/week" is 35 with its unit, read by "weekly hours"
    docs = {f"staff-{n.lower().replace(' ', '-')}": f"{n.upper()}\n{title}\nExt. {ext}   Staff no. {no}\n"
                                                     f"Permanent, {hours} h/week · band {band}\nHoliday left: {left} days"
            for n, title, ext, no, hours, band, left in [
                ("Orla Vance", "Metrology Analyst", 7448, "QZ-1586", 35, "S5", 14),
                ("Tamsin Reeve", "Optics Technician", 7312, "QZ-1601", 30, "S3", 9),
                ("Ivor Penhale", "Test Engineer", 7501, "QZ-1622", 37.5, "S6", 21)]}
    assert ask("What are Tamsin Reeve's contracted weekly hours?", docs) == "30"
    assert ask("Add together the weekly hours of Orla Vance and Ivor Penhale.", docs) == "72.5"


def test_an_organisation_s_abbreviated_last_word_keeps_its_dot() -> None:
    docs = {f"shp-{n.lower()}": f"Shipment {n}\nShipper: {who}\nWaybill: {bill}\nPieces: {pieces}"
            for n, who, bill, pieces in [("QX-101", "Varlow Tea Importers Co.", "812-3168 8871", 12),
                                         ("QX-102", "Hembry Tiles Ltd.", "812-4410 1203", 40),
                                         ("QX-103", "Ostrel Pumps", "812-5521 9930", 7)]}
    assert ask("who shipped the goods on waybill 812-3168 8871", docs) == "Varlow Tea Importers Co."
    assert ask("Who is the shipper of QX-103?", docs) == "Ostrel Pumps"


def test_an_initialism_asks_the_label_its_letters_spell() -> None:
    docs = {f"prj-{n}": f"Project record\nProject code: {code}\nSponsor ref: {ref}\nLead organisation: {org}\n"
                        f"Technical lead: {lead}\nBudget holder: {holder}"
            for n, (code, ref, org, lead, holder) in enumerate((
                ("PR-31", "SPN/44-09", "Orvale Works", "Mira Kestle", "Jon Arvid"),
                ("PR-32", "SPN/44-12", "Brume Labs", "Teo Sallow", "Ada Quist")))}
    assert ask("TL on SPN/44-12?", docs) == "Teo Sallow"
    assert ask("BH for SPN/44-09", docs) == "Jon Arvid"


def test_a_time_of_day_after_a_date_in_numbers_is_one_value_with_it() -> None:
    language = load_language()
    found = candidates("Backup finished 2024/11/03 02:45, verified on 04.11.2024 08:10 by the night shift.",
                       language.name_connectors, language.stop_words, language.clause_joiners | language.copulas,
                       language.months, language.copulas)
    texts = [c.text for c in found]
    assert "2024/11/03 02:45" in texts and "04.11.2024 08:10" in texts and "02:45" not in texts


def test_a_field_labelled_title_answers_the_title_of_a_record_named_by_a_reference() -> None:
    docs = {f"thesis-{n}": f"No.|Library ref|Thesis title|Author|Pages\nTH-{n}|{ref}|{title}|{author}|{pages}"
            for n, (ref, title, author, pages) in enumerate((("QX/118-2", "Salt Marsh Carbon Budgets", "Ines Varo", 212),
                                                              ("QX/121-7", "Tidal Mills of the Estuary", "Per Lund", 180)))}
    assert ask("Title of the thesis with library ref QX/121-7?", docs) == "Tidal Mills of the Estuary"


def test_most_recent_and_oldest_ask_the_ends_of_a_pair_of_years() -> None:
    docs = {"lic-a": "licence,holder,first_issued,renewed_last\nLC-88,Orvale Works,2009,2023",
            "lic-b": "licence,holder,first_issued,renewed_last\nLC-91,Brume Labs,2012,2021"}
    assert ask("most recent year for LC-88", docs) == "2023"
    assert ask("LC-91 oldest year", docs) == "2012"


def test_a_family_of_words_tells_a_value_the_question_names_otherwise() -> None:
    docs = {"bid-7": "Bid BD-7 for the harbour survey was sent on 3 May. The bid asks for EUR 48,000 over 12 months. "
                     "The amount awarded is EUR 41,500.",
            "bid-8": "Bid BD-8: Requested amount: 12,000\nAwarded amount: 12,000\nDuration: 6 months"}
    assert ask("What is the combined amount requested on BD-7 and BD-8?", docs) == "60000"


def test_two_labels_of_one_record_with_digits_in_them_are_added() -> None:
    docs = {f"doc-{name}": f"scan of {name}.md\nlines: {lines} ; level1: {one} ; level2: {two} ; links: 7"
            for name, lines, one, two in (("guide", 420, 4, 1), ("notes", 96, 2, 6), ("faq", 130, 1, 9),
                                          ("intro", 75, 3, 3), ("howto", 210, 5, 8))}  # labels of many records
    assert ask("total number of level1 plus level2 sections in guide.md", docs) == "5"  # "1" is no word stated


def test_a_number_word_opening_a_story_counts_and_names_no_record() -> None:
    docs = {f"pkg-{name}": f"{name} {version}: {summary}\nFiles: {files}"
            for name, version, summary, files in (("seven", "1.4.0", "compatibility helpers", 12),
                                                  ("tern", "0.9.2", "a small parser", 30),
                                                  ("quill", "2.1.0", "a markup writer", 41))}
    assert ask("Seven couriers each drove 120 km and a van added 45 km. Total km?", docs) == "885"


def test_asked_for_a_file_the_subject_is_named_with_its_extension() -> None:
    docs = {f"cfg-{stem}": f"Config record\nFile name: {stem}.cfg\nProgram: {stem}\nChecksum: {digest}\nLines: {n}"
            for stem, digest, n in (("brewlog", "a1f09c77e2", 40), ("kilnctl", "b7d3e0915f", 62),
                                    ("vatmon", "c55e81a0d4", 18))}
    assert ask("which config file has the checksum b7d3e0915f", docs) == "kilnctl.cfg"
    assert ask("checksum a1f09c77e2: what is the program?", docs) == "brewlog"  # no file asked: the name as it is


def test_the_label_of_a_stated_name_written_with_its_address_asks_nothing() -> None:
    docs = {f"repo-{name}": f"Repository: {name}\nOwner: {owner} <{owner.split()[0].lower()}@forge.example>\n"
                            f"Former owner: {former} <{former.split()[0].lower()}@forge.example>\nStars: {stars}"
            for name, owner, former, stars in (("quillkit", "Ines Varo", "Per Lund", 310),
                                               ("tarnbox", "Ada Quist", "Teo Sallow", 88))}
    assert ask("Find the repository whose former owner was Teo Sallow.", docs) == "tarnbox"
    assert ask("Who is the owner of quillkit?", docs) == "Ines Varo"  # a person asked: the name, not its address
    assert ask("What is the contact for the owner of quillkit?", docs) == "Ines Varo <ines@forge.example>"


def test_two_codes_one_record_holds_name_it_over_a_code_written_with_its_word_elsewhere() -> None:
    docs = {"fnd-fn-101": "Finding FN-101: control PAY-C7 tested in engagement EN-31; owner Ada Quist.",
            "fnd-fn-102": "2024-02-01 10:00 INFO finding FN-102 eng: EN-44 ; ctl: PAY-C7 ; owner: Per Lund",
            "fnd-fn-103": "2024-03-05 09:30 INFO finding FN-103 eng: EN-44 ; ctl: INV-C2 ; owner: Teo Sallow"}
    assert ask("Which finding was raised against control PAY-C7 in engagement EN-44?", docs) == "FN-102"


def test_a_count_of_days_the_label_says_answers_though_a_date_is_named() -> None:
    docs = {f"inv-{n}": f"Invoice IV-{n}\nDue date: 2024-0{n}-10\nPaid on: 2024-0{n + 1}-02\nDays late: {d}"
            for n, d in ((3, 23), (5, 17))}
    assert ask("IV-5: days late as of the payment date?", docs) == "17"


def test_a_role_in_small_letters_after_a_name_is_its_note_not_a_value() -> None:
    docs = {"memo-1": "From: Ada Quist <ada@example.org>\nCc: Teo Sallow (deputy approver)\nSubject: [PO-77] Pumps\n"
                      "Order PO-77 for 4 pumps was approved on 2 May 2024."}
    assert ask("Who was the deputy approver on PO-77?", docs) == "Teo Sallow"


def test_a_month_s_name_in_a_story_names_no_record() -> None:
    docs = {f"month-{m.lower()}": f"{m}: month {k} of the calendar, {days} days" for m, k, days in (
        ("March", 3, 31), ("June", 6, 30), ("April", 4, 30))}  # a calendar whose records the months name
    assert ask("We hired 4 people in March and 7 in June. How many hires in total?", docs) == "11"


def test_a_compound_no_record_writes_asks_its_words_as_a_label_writes_them() -> None:
    docs = {f"lint-{name}": f"Lint report for {name}.py\nLine Count: {lines}\nWarning Lines: {warn}\nErrors: {err}"
            for name, lines, warn, err in (("parser", 410, 12, 3), ("writer", 220, 5, 1), ("loader", 98, 7, 0))}
    assert ask("How many warning-lines does writer.py have?", docs) == "5"


def test_a_day_month_and_year_in_numbers_is_a_date() -> None:
    docs = {f"mod-{name}": f"The module {name}.lua is kept in /opt/mods. Its header gives a last revision of {dated}; "
                           f"the installed copy was last modified on {modified}, 05:23 UTC. It has {lines} lines."
            for name, dated, modified, lines in (("tidal", "11.05.2003", "16 Feb 2025", 24),
                                                 ("breeze", "02.09.2019", "3 Mar 2025", 80))}
    assert ask("When was tidal.lua last revised according to its header (not the file modification time)?",
               docs) == "11.05.2003"


def test_the_words_before_a_copula_and_a_quote_name_the_quoted_value() -> None:
    docs = {f"tkt-{n.lower()}": f"2024-0{k}-02 09:00 INFO ticket {n} owner: \"{who}\"\n"
                                f"2024-0{k}-02 11:30 NOTE reply {n} \"{reply}\""
            for k, n, who, reply in ((3, "TK-81", "Ada Quist", "we will swap the pump next week"),
                                     (4, "TK-82", "Per Lund", "the valve was replaced on site"))}
    assert ask('Give me the ticket number where the owner\'s reply was "the valve was replaced on site".',
               docs) == "TK-82"


def test_a_key_colon_written_doubled_labels_its_value_and_a_name_field_answers_a_reverse_lookup() -> None:
    docs = {**DOCS,  # a made-up audit ticket whose title line is its own number; its fields use " :: " as colons
            "lib-zq-net": "[AUD-5531] Review of shared object zqnet.so\nState: open\n---\nRecord :: lib-zq-net\n"
                          "Object file :: zqnet.so\nDisplay name :: zq-net\nSummary :: Zephyr queue network layer\n"
                          "Release :: 4.2.7\nBytes on disk :: 18 230\nBuilt on :: 2024-03-09",
            "lib-zq-core": "[AUD-5532] Review of shared object zqcore.so\nState: closed\n---\nRecord :: lib-zq-core\n"
                           "Object file :: zqcore.so\nDisplay name :: zq-core\nSummary :: Zephyr queue core engine\n"
                           "Release :: 4.2.1\nBytes on disk :: 40 114\nBuilt on :: 2024-02-11"}
    assert readable("EXPORT :: PART: A1 ; NAME: Hinge") == "EXPORT :: PART: A1 ; NAME: Hinge"  # one heading line
    assert ask("how many bytes on disk does zq-core take", docs) == "40,114"
    assert ask("Which library is summarised as 'Zephyr queue network layer'? Give its name.", docs) == "zq-net"


def test_a_possessor_says_whose_value_is_asked_and_an_abbreviated_label_is_its_word() -> None:
    docs = {**DOCS,  # made-up boat-hire bookings: the hirer's name and account code sit side by side
            "bk-7731": "Booking BK-7731\nHirer: Tamsin Ollerenshaw\nAcct: HR-2210\nBoat: Heron\nCharge: 300.00\n"
                       "Waived: 30.00\nPaid: 270.00",
            "bk-7732": "Booking BK-7732\nHirer: Piers Gallantree\nAcct: HR-5518\nBoat: Osprey\nCharge: 180.00\n"
                       "Waived: 0.00\nPaid: 180.00"}
    assert ask("What is the hirer's account code on BK-7731?", docs) == "HR-2210"
    assert ask("the hirer's name for booking BK-7732", docs) == "Piers Gallantree"


def test_a_field_and_its_previous_value_are_compared_where_the_question_qualifies_only_one() -> None:
    docs = {**DOCS,  # made-up tank gauge readings: the current level and the one before it, in one record each
            "gauge-t88": "reading=GR-5501 tank=T-88 site=\"North Basin\" level_m=4.6 prev_level_m=3.9 temp_c=11",
            "gauge-t91": "reading=GR-5502 tank=T-91 site=\"South Basin\" level_m=2.2 prev_level_m=2.8 temp_c=12"}
    assert ask("How much higher was the level in reading GR-5501 than at the previous reading, in m?", docs) == "0.7"


def test_a_record_whose_subject_is_only_its_id_is_called_by_its_one_name_field() -> None:
    docs = {**DOCS,  # made-up font-package records: the id opens each, a name field says what the thing is called
            "fp-orla-sans": 'record_id=fp-orla-sans\nfont_file=orla-sans.otf\nfamily_name=Orla Grotesk\n'
                            'summary="A humanist sans for signage and wayfinding"\nglyphs=912\nweights=6',
            "fp-brennet": 'record_id=fp-brennet\nfont_file=brennet.otf\nfamily_name=Brennet Serif\n'
                          'summary="A bookish serif with long descenders"\nglyphs=640\nweights=4'}
    assert ask('the font described as "A humanist sans for signage and wayfinding": what is it called?', docs) \
        == "Orla Grotesk"
