import asyncio

import pytest

from deployments import errors
from deployments.errors import ServiceError
from deployments.topics.labeling import PromptLabeler, build_prompt, clean_label, parse_labels
from tests.unit.fakes import FakeLLMClient


def test_prompt_opens_the_numbered_list_and_holds_the_document():
    prompt = build_prompt("Monet  painted\nwater lilies.", 3)
    assert prompt.endswith("Document: Monet painted water lilies.\nTopics:\n1.")
    assert "up to 3" in prompt


def test_continuation_of_the_opened_list_parses():
    assert parse_labels(" Impressionism\n2. Claude Monet\n3. Oil painting", 3) == [
        "Impressionism", "Claude Monet", "Oil painting"]


def test_full_list_bullets_and_comma_line_parse():
    assert parse_labels("1. Sculpture\n2) Bronze\n", 3) == ["Sculpture", "Bronze"]
    assert parse_labels("- Photography\n* Portraits", 3) == ["Photography", "Portraits"]
    assert parse_labels(" Ukiyo-e, Hokusai, Woodblock prints", 3) == ["Ukiyo-e", "Hokusai", "Woodblock prints"]


def test_parsing_stops_at_a_blank_line_or_a_new_document_and_caps_at_k():
    assert parse_labels(" Textiles\n2. Weaving\n\nDocument: other\nTopics:\n1. Noise", 3) == ["Textiles", "Weaving"]
    assert parse_labels(" Textiles\nDocument: other", 3) == ["Textiles"]
    assert parse_labels(" A1 art\n2. B2 art\n3. C3 art\n4. D4 art", 2) == ["A1 art", "B2 art"]


def test_duplicates_and_junk_labels_are_dropped_broad_ones_kept_for_assembly():
    # which labels are too broad depends on the corpus: assembly decides (shared_words), not the parser
    assert parse_labels(' "Impressionism".\n2. impressionism\n3. Art\n4. 1999\n5. Art and History', 5) == [
        "Impressionism", "Art", "Art and History"]
    assert parse_labels(" Art Deco", 3) == ["Art Deco"]
    assert clean_label("3. " + "x" * 80) == ""
    assert parse_labels("", 3) == []


def test_labeler_sends_greedy_short_requests_and_parses_answers():
    client = FakeLLMClient({"Monet": " Impressionism\n2. Monet", "Rodin": " Sculpture"})
    labeler = PromptLabeler(client, max_labels=2, max_tokens=12)
    labels = asyncio.run(labeler.label(["Monet's lilies", "Rodin's bronze", "nothing known"]))
    assert labels == [["Impressionism", "Monet"], ["Sculpture"], ["Miscellany"]]
    assert {r["temperature"] for r in client.requests} == {0.0}
    assert {r["max_tokens"] for r in client.requests} == {12}
    assert "guided_choice" not in client.requests[0]


class FlakyClient(FakeLLMClient):
    """Fails (with `error`) for documents containing `bad`; counts requests in flight."""

    def __init__(self, answers: dict[str, str], bad: str, error: Exception, delay: float = 0.0) -> None:
        super().__init__(answers)
        self.bad, self.error, self.delay = bad, error, delay
        self.in_flight = self.most_in_flight = 0

    async def complete(self, request: dict) -> dict:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.bad in request["prompt"].rsplit("Document:", 1)[-1]:
                raise self.error
            return await super().complete(request)
        finally:
            self.in_flight -= 1


def test_a_failing_document_is_reported_not_lost():
    client = FlakyClient({"Monet": " Impressionism"}, bad="broken", error=errors.unavailable("model restarting"))
    run = asyncio.run(PromptLabeler(client).label_run(["Monet", "broken doc", "Monet again"]))
    assert run.labels == [["Impressionism"], [], ["Impressionism"]]
    assert run.errors == [{"index": 1, "message": "model restarting"}]


def test_when_every_document_fails_the_first_error_is_raised():
    client = FlakyClient({}, bad="", error=errors.unavailable("model restarting"))
    with pytest.raises(ServiceError) as info:
        asyncio.run(PromptLabeler(client).label(["a", "b"]))
    assert info.value.status == 503


def test_branch_timeouts_become_errors_and_a_504_when_all_time_out():
    slow = FlakyClient({}, bad="never", error=RuntimeError(), delay=0.2)
    with pytest.raises(ServiceError) as info:
        asyncio.run(PromptLabeler(slow, timeout_s=0.01).label(["a", "b"]))
    assert info.value.status == 504
    internal = FlakyClient({"ok": " Sculpture"}, bad="boom", error=RuntimeError("secret detail"))
    run = asyncio.run(PromptLabeler(internal).label_run(["ok", "boom"]))
    assert run.errors == [{"index": 1, "message": "internal error (RuntimeError)"}]  # no detail leaks


def test_label_concurrency_bounds_requests_in_flight():
    client = FlakyClient({}, bad="never", error=RuntimeError(), delay=0.01)
    asyncio.run(PromptLabeler(client, concurrency=3).label([f"doc {i}" for i in range(10)]))
    assert client.most_in_flight == 3 and len(client.requests) == 10


def test_prompt_temperature_model_and_seed_reach_the_request():
    client = FakeLLMClient({})
    labeler = PromptLabeler(client, prompt=lambda text, k: f"<{k}>{text}", temperature=0.7, model="big", seed=3)
    assert asyncio.run(labeler.label_one("doc")) == ["Miscellany"]
    request = client.requests[0]
    assert request["prompt"] == "<3>doc" and request["temperature"] == 0.7
    assert request["model"] == "big" and request["seed"] == 3
    greedy = PromptLabeler(client).request("doc")
    assert "model" not in greedy and "seed" not in greedy


def test_concurrent_calls_share_the_bound():
    client = FlakyClient({}, bad="never", error=RuntimeError(), delay=0.01)
    labeler = PromptLabeler(client, concurrency=2)

    async def two_calls():
        await asyncio.gather(labeler.label(["a", "b", "c"]), labeler.label(["d", "e", "f"]))

    asyncio.run(two_calls())
    assert client.most_in_flight == 2 and len(client.requests) == 6


# --- labels as a schema-constrained JSON array (label_format="json") ---

def test_json_prompt_shows_examples_as_arrays_and_ends_where_the_array_goes():
    from deployments.topics.domain import Domain, DomainExample
    from deployments.topics.labeling import few_shot_prompt

    domain = Domain(examples=[DomainExample(text="A cake recipe.", labels=["Baking", "Recipes", "Food", "Extra"])])
    prompt = few_shot_prompt(domain, "json")("Some  new\ntext.", 3)
    assert 'Document: A cake recipe.\nTopics: ["Baking", "Recipes", "Food"]\n\n' in prompt
    assert prompt.endswith("Document: Some new text.\nTopics: ")
    assert "1." not in prompt


def test_json_labeler_requests_a_schema_constrained_array_and_reads_it():
    from deployments.topics.labeling import labels_schema

    client = FakeLLMClient({"Monet": '["Impressionism", "impressionism", " Oil painting. "]'})
    labeler = PromptLabeler(client, max_labels=3, max_tokens=24, label_format="json")
    assert asyncio.run(labeler.label(["Monet's lilies"])) == [["Impressionism", "Oil painting"]]
    request = client.requests[0]
    assert request["structured_outputs"] == {"json": labels_schema(3)}
    assert request["structured_outputs"]["json"]["maxItems"] == 3
    assert request["structured_outputs"]["json"]["items"]["type"] == "string"
    assert request["max_tokens"] == 24 + 4 * 3
    assert not any(key.startswith("guided_") for key in request)
    assert "structured_outputs" not in PromptLabeler(client).request("x")  # the list format is unconstrained


def test_json_labels_cut_by_the_token_budget_keep_their_complete_strings():
    from deployments.topics.labeling import parse_json_labels

    assert parse_json_labels('["Astronomy", "Star cat', 3) == ["Astronomy"]
    assert parse_json_labels('["A \\"quoted\\" label", "B"]', 3) == ['A "quoted" label', "B"]
    assert parse_json_labels('["One", "Two", "Three"]', 2) == ["One", "Two"]
    assert parse_json_labels('{"not": "an array"}', 3) == []
    assert parse_json_labels("", 3) == []


def test_the_label_format_is_part_of_the_cache_key():
    from deployments.topics.label_cache import prompt_key

    listed = PromptLabeler(FakeLLMClient({}), prompt=lambda text, k: text)
    as_json = PromptLabeler(FakeLLMClient({}), prompt=lambda text, k: text, label_format="json")
    assert prompt_key(listed) != prompt_key(as_json)
