"""The plan step: which spans of a question name a document (structure, not words)."""

from __future__ import annotations

import asyncio

from deployments.agent.plan import EntityPlan, plan_for
from deployments.agent.settings import AgentSettings
from deployments.agent.tools import SearchTool, build_tools
from tests.unit.fakes import FakeDocuments

# (the fake search splits words on spaces only, so names stand apart from punctuation here)
DOCS = {
    "pkg-a": "libfoo1 is the shared library for foo and qux. Version 1.2, installed size 120 kB.",
    "pkg-b": "libbar-dev is the development files for bar and baz. Version 3.4, installed size 85 kB.",
    "pkg-c": "foo-utils is the command line tools for foo files. Version 2.0, installed size 40 kB.",
    "pkg-d": "libbaz0 is the runtime for baz and foo. Version 0.9, installed size 12 kB.",
}


def _lookups(question: str, docs=DOCS, **kwargs) -> list[tuple[str, str]]:
    documents = FakeDocuments(docs)
    plan = EntityPlan(documents, SearchTool(documents), **kwargs)
    return [(lk.query, lk.hit["id"]) for lk in asyncio.run(plan.lookups(question))]


def test_each_named_document_is_looked_up_once_in_question_order():
    found = _lookups("What is the combined installed size of libbar-dev and libfoo1?")
    assert found == [("libbar-dev", "pkg-b"), ("libfoo1", "pkg-a")]


def test_a_phrase_every_document_holds_names_nothing():
    assert _lookups("What is the installed size?") == []


def test_a_description_names_its_document_and_words_inside_it_do_not_name_others():
    found = _lookups("Which package is described as 'command line tools for foo files'?")
    assert [doc for _, doc in found] == ["pkg-c"]


def test_the_number_of_lookups_is_capped():
    assert len(_lookups("Compare libfoo1, libbar-dev and libbaz0.", max_lookups=2)) == 2


def test_a_failing_search_names_nothing_and_the_plan_can_be_switched_off():
    class Broken(FakeDocuments):
        async def search(self, query, k, mode):
            raise RuntimeError("no index")

    documents = Broken(DOCS)
    assert asyncio.run(EntityPlan(documents, SearchTool(documents)).lookups("libfoo1?")) == []
    tools = build_tools(documents)
    assert plan_for(tools, documents, AgentSettings(plan_lookups=0)) is None
    assert plan_for(tools, documents, AgentSettings()) is not None


def test_a_name_written_in_other_letter_case_is_not_that_name_and_common_words_score_too_low():
    docs = {**DOCS, "code-do": "Country code DO is assigned to one state."}
    assert ("do", "code-do") not in _lookups("What do libfoo1 users get?", docs=docs)

    class Scored(FakeDocuments):
        async def search(self, query, k, mode):  # rare words score high, as BM25 scores them
            hits = await super().search(query, k, mode)
            return [{**hit, "score": 9.0 if "lib" in query else 1.0} for hit in hits]

    documents = Scored(DOCS)
    found = asyncio.run(EntityPlan(documents, SearchTool(documents)).lookups("Is the libfoo1 for qux?"))
    assert [lk.hit["id"] for lk in found] == ["pkg-a"]


def test_a_span_starting_or_ending_with_a_function_word_names_nothing():
    docs = {**DOCS, "note": "Nothing is better than this tool; get it now."}
    words = frozenset({"than", "get", "is", "the", "it", "what"})
    assert _lookups("Is libfoo1 cheaper than libbaz0 to get?", docs=docs) != \
        _lookups("Is libfoo1 cheaper than libbaz0 to get?", docs=docs, stop_words=words)
    found = _lookups("Is libfoo1 cheaper than libbaz0 to get?", docs=docs, stop_words=words)
    assert [doc for _, doc in found] == ["pkg-a", "pkg-d"]  # "than" and "to get" name the note only without the list
    assert plan_for(build_tools(FakeDocuments(DOCS)), FakeDocuments(DOCS), AgentSettings()).stop_words  # English


def test_a_name_a_few_documents_hold_is_the_one_sharing_the_question_s_other_words():
    docs = {"founding": "The company was founded in Lyon by two engineers.",
            "summit": "The summit took place in Lyon with many visitors.",
            "office-lyon": "The Lyon office has 120 employees.",
            "office-porto": "The Porto office has 85 employees.",
            **{f"filler-{i}": f"Filler record {i} about nothing." for i in range(4)}}
    found = _lookups("How many employees do the Lyon and Porto offices have?", docs=docs, stop_words=frozenset(
        {"how", "many", "do", "the", "and", "have"}))
    assert found == [("Lyon", "office-lyon"), ("Porto", "office-porto")]
    assert _lookups("Where is Lyon?", docs=docs) == []  # no other word tells the holders apart


def test_a_name_inside_a_longer_span_wins_when_its_document_holds_more_of_the_question():
    docs = {"product": "Tessera is a warehouse robot. It costs 42000 dollars.",
            "revenue": "Revenue was 96 million dollars. The Tessera robot brought the largest share.",
            "office": "The Lagos office sells the Tessera product.",
            **{f"filler-{i}": f"Filler record {i} about nothing." for i in range(4)}}
    words = frozenset({"how", "much", "does", "the"})
    assert _lookups("How much does the Tessera robot cost?", docs=docs, stop_words=words) == [("Tessera", "product")]
    # without a word outside the longer span to tell them apart, the longer span names its document
    found = _lookups("Where is the Tessera robot?", docs=docs, stop_words=words | {"where", "is"})
    assert [doc for _, doc in found] == ["revenue"]


def test_a_name_the_index_splits_scores_per_piece():
    from deployments.agent.plan import _per_word

    assert _per_word("libxcb-dri2-0", {"score": 12.0}) == 4.0 and _per_word("libmnl0", {"score": 6.0}) == 6.0
