"""`POST /v1/experiments` and its command through the real local Serve app and the real SmolLM2 + MiniLM.

Four documents of the shipped corpus, two prompts x two temperatures: sixteen short completions,
which the LLMServer batches together. The multi-model path (extra LLMServer deployments, external
endpoints) is covered by unit tests with fakes: a second model does not fit the session's 2 cores.
"""

from __future__ import annotations

import json

import pytest

from cli.topics_batch import read_documents

pytestmark = pytest.mark.integration

METRICS_0_1 = ("nmi", "rdp", "trend_agreement")
METRICS_SIGNED = ("label_precision", "label_recall", "label_f1", "ari")  # rescaled or chance-adjusted


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return read_documents("data/art_corpus.jsonl", limit=4)


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["type"]
    return error


def test_prompts_x_temperatures_give_one_scored_row_per_cell(http, documents, model_name):
    response = http.post("/v1/experiments", json={
        "documents": documents, "prompts": [{"name": "few_shot_list"}, {"name": "zero_shot"}],
        "models": [model_name], "temperatures": [0, 0.7], "seed": 1, "max_tokens": 8})
    assert response.status_code == 200, response.text
    body = response.json()
    table = body["table"]
    assert [(r["prompt"], r["model"], r["temperature"]) for r in table] == [
        ("few_shot_list", model_name, 0.0), ("few_shot_list", model_name, 0.7),
        ("zero_shot", model_name, 0.0), ("zero_shot", model_name, 0.7)]
    for row in table:
        assert row["error"] is None and row["errors"] == 0 and row["documents"] == 4
        assert 0 <= row["documents_labelled"] <= 4 and row["latency_s"] > 0
        for name in METRICS_SIGNED:
            assert -1.0 <= row[name] <= 1.0, (name, row)
        for name in METRICS_0_1:
            assert row[name] is None or 0.0 <= row[name] <= 1.0, (name, row)
    assert any(row["documents_labelled"] > 0 for row in table)
    rows = [line for line in body["markdown"].strip().split("\n")[2:] if line.startswith("|")]
    assert len(rows) == 4 and rows[0].startswith(f"| few_shot_list | {model_name} | 0 |")
    cell = body["cells"][0]
    assert [r["id"] for r in cell["vibe_check"]] == [d["id"] for d in documents]
    assert "| doc-001 |" in cell["markdown"]


def test_an_unknown_prompt_is_400_and_an_unknown_model_404(http, documents):
    error = _error(http.post("/v1/experiments", json={"documents": documents, "prompts": [{"name": "nope"}]}), 400)
    assert error["param"] == "prompts.0" and "unknown prompt 'nope'" in error["message"]
    error = _error(http.post("/v1/experiments", json={"documents": documents, "models": ["no-such-model"]}), 404)
    assert error["code"] == "model_not_found" and "no-such-model" in error["message"]


def test_too_many_cells_is_400(http, documents):
    prompts = [{"name": f"p{i}", "template": "Document: {text}\nTopics:\n1."} for i in range(5)]
    error = _error(http.post("/v1/experiments", json={
        "documents": documents, "prompts": prompts, "temperatures": [0, 0.5, 1.0, 1.5]}), 400)
    assert error["code"] == "too_many_cells"


def test_the_command_prints_the_table_and_writes_the_answer(base_url, tmp_path, capsys):
    from cli.topics_experiment import main

    out = tmp_path / "run.json"
    main(["--url", base_url, "--corpus", "data/art_corpus.jsonl", "--limit", "2", "--prompts", "comma_line",
          "--max-tokens", "8", "--out", str(out)])
    printed = capsys.readouterr().out
    assert printed.startswith("| prompt | model | temperature |") and "| comma_line |" in printed
    answer = json.loads(out.read_text())
    assert len(answer["table"]) == 1 and answer["documents"] == 2
