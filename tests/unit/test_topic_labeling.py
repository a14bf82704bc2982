import asyncio

from deployments.topics.labeling import PromptLabeler, build_prompt, clean_label, parse_labels
from tests.unit.topic_fakes import FakeLLMClient


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


def test_duplicates_generic_and_junk_labels_are_dropped():
    assert parse_labels(' "Impressionism".\n2. impressionism\n3. Art\n4. 1999\n5. Art and History', 5) == [
        "Impressionism"]
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
