"""The agent through the real Serve app and the real model, over the shipped corpus."""

import json
from pathlib import Path

import pytest

from deployments.agent.react import PLAN_THOUGHT
from deployments.agent.voting import normalise_answer

pytestmark = pytest.mark.integration


def _check_shape(body):
    assert set(body) >= {"answer", "steps", "stop_reason", "usage"}
    assert body["stop_reason"] in {"final_answer", "max_steps", "repeated_action"} and body["answer"]
    for step in body["steps"]:
        assert set(step) >= {"thought", "action", "action_input", "observation", "recovered", "latency_s"}
    assert set(body) >= {"sources", "stopped_early"} and body["stopped_early"] == (body["stop_reason"] != "final_answer")
    # a question the resolver answers (arithmetic in words, a named record) needs no model call
    assert body["usage"]["llm_calls"] >= 0 and (body["usage"]["llm_calls"] == 0) == (body["usage"]["total_tokens"] == 0)


def test_ask_a_question_answered_by_a_document(http):
    reply = http.post("/v1/agent/ask", json={"question": "How many employees does the Krakow office have?",
                                             "max_steps": 4})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    _check_shape(body)
    searches = [s for s in body["steps"] if s["action"] == "search"]
    assert searches and "office-krakow" in searches[0]["observation"]  # a real tool result, not a made-up one
    assert "210" in body["answer"], body
    assert body["sources"] == ["office-krakow"]


def test_arithmetic_goes_through_the_calculator(http):
    body = http.post("/v1/agent/ask", json={"question": "What is 17 * 23?", "max_steps": 3}).json()
    _check_shape(body)
    assert any(s["action"] == "calculator" and s["observation"] == "391" for s in body["steps"])
    assert "391" in body["answer"]


def test_max_steps_still_ends_with_an_answer(http):
    # a word problem the parser does not read and that names no document: the model loop, cut at one step
    body = http.post("/v1/agent/ask", json={"question": "If a crate holds 12 bottles, how many bottles do 7 "
                                                        "crates hold?", "max_steps": 1}).json()
    _check_shape(body)
    decided = [s for s in body["steps"] if s["thought"] != PLAN_THOUGHT]  # the plan's lookups are not model steps
    assert len(decided) == 1
    if body["stop_reason"] == "max_steps":
        assert decided[0]["action"] != "Final Answer" and body["stopped_early"] is True


def test_naive_mode_runs_the_classic_loop(http):
    body = http.post("/v1/agent/ask", json={"question": "What is 2 + 2?", "max_steps": 1, "mode": "naive"}).json()
    _check_shape(body)
    assert body["mode"] == "naive" and "parse_failures" in body


def test_self_consistency_votes_over_sampled_runs(http):
    qa = Path(__file__).resolve().parents[2] / "data" / "agent_qa.jsonl"
    question = json.loads(qa.read_text(encoding="utf-8").splitlines()[0])["question"]
    reply = http.post("/v1/agent/ask", json={"question": question, "max_steps": 2, "samples": 3}, timeout=600)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    _check_shape(body)
    samples = body["samples"]
    assert len(samples) == 3 and sorted(s["seed"] for s in samples) == [0, 1, 2]
    finished = [s for s in samples if "answer" in s]
    assert len(finished) == 3, [s.get("error") for s in samples]  # the model is up: no run should fail
    assert sum(vote["count"] for vote in body["votes"]) == 3
    # the answer is the top vote, as written by the first run that gave it; its steps are that run's
    first = next(s for s in finished if normalise_answer(s["answer"]) == body["votes"][0]["answer"])
    assert body["answer"] == first["answer"] and body["steps"] == first["steps"]
    assert body["usage"]["llm_calls"] == sum(s["usage"]["llm_calls"] for s in samples)
    assert body["usage"]["total_tokens"] == sum(s["usage"]["total_tokens"] for s in samples)


@pytest.mark.parametrize("body, param", [
    ({"question": ""}, "question"), ({"question": "  "}, "question"), ({}, "question"),
    ({"question": "q?", "max_steps": 0}, "max_steps"), ({"question": "q?", "max_steps": 99}, "max_steps"),
    ({"question": "q?", "mode": "fast"}, "mode"),
    ({"question": "q?", "samples": 0}, "samples"), ({"question": "q?", "samples": 9}, "samples"),
])
def test_bad_ask_is_400(http, body, param):
    reply = http.post("/v1/agent/ask", json=body)
    assert reply.status_code == 400 and reply.json()["error"]["param"] == param


# Answered by the resolver (resolve.py) before the model loop: "warehouse robot" names one record whose
# subject is the answer, "Lyon" and "Porto" are the subjects of two records whose "employees" values
# are added (the words name one operation), and the arithmetic in words is parsed.
@pytest.mark.parametrize("question, expected, source", [
    ("Which product is a warehouse robot?", "Tessera", "observation"),  # reverse lookup: a name by a description
    ("How many employees do the Lyon and Porto offices have together?", "205", "calculation"),  # two hops
    ("What is 40 multiplied by 33, plus 5?", "1325", "calculation"),  # arithmetic stated in words
])
def test_reverse_lookup_two_hop_and_word_arithmetic(http, question, expected, source):
    reply = http.post("/v1/agent/ask", json={"question": question}, timeout=900)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    _check_shape(body)
    assert expected.lower() in body["answer"].lower(), body["steps"]
    assert body["answer_source"]["kind"] == source
    step = body["steps"][body["answer_source"]["step"]]
    assert body["answer"] in step["observation"]  # copied from what a tool returned, not written


def test_stream_sends_each_step_then_the_answer_then_done(http):
    events = []
    with http.stream("POST", "/v1/agent/ask", json={"question": "What is 17 * 23?", "max_steps": 3, "stream": True},
                     timeout=900) as reply:
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if line.startswith("data: "):
                events.append(line[len("data: "):])
    assert events[-1] == "[DONE]"
    parsed = [json.loads(e) for e in events[:-1]]
    steps, answer = parsed[:-1], parsed[-1]
    assert answer["type"] == "answer" and all(e["type"] == "step" for e in steps)
    assert [e["index"] for e in steps] == list(range(len(answer["steps"])))
    assert [e["step"] for e in steps] == answer["steps"]
    _check_shape(answer)


SHIPPED = Path(__file__).resolve().parents[2] / "data" / "agent_sets"


def _shipped(name: str, doc_id: str) -> dict:
    """A record of a shipped agent set, under an id of this test's own (deleted afterwards)."""
    for line in (SHIPPED / f"{name}_docs.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        if doc["id"] == doc_id:
            return {"id": f"agent-it-{doc_id}", "text": doc["text"]}
    raise AssertionError(f"{doc_id} is not in {name}")


@pytest.fixture
def records(http):
    docs = [_shipped("countries", "iso-fi"), _shipped("countries", "iso-vc"), _shipped("debian", "deb-libcairo2"),
            _shipped("services", "svc-datametrics"), _shipped("unicode", "uni-2604")]
    assert http.post("/v1/documents", json={"documents": docs}).status_code == 200
    yield [d["id"] for d in docs]
    for doc in docs:
        http.delete(f"/v1/documents/{doc['id']}")


@pytest.mark.parametrize("question,expected,kind", [
    ("Name the package summarized as 'Cairo 2D vector graphics library'.", "libcairo2", "observation"),
    ("Which alpha-3 code does Finland carry?", "FIN", "observation"),  # a record with three codes
    ("Which country has the alpha-3 code VCT?", "Saint Vincent and the Grenadines", "observation"),
    ("What is 17 more than the product of 12 and 9?", "125", "calculation"),  # three operands in words
    ("Which service has the alias old-radius?", "datametrics", "observation"),  # a subject in small letters
    ("Which character has the code point U+2604?", "COMET", "observation"),  # the kind names the answer
])
def test_other_wordings_are_answered_by_the_resolver(http, records, question, expected, kind):
    body = http.post("/v1/agent/ask", json={"question": question, "max_steps": 4}).json()
    _check_shape(body)
    assert body["answer"] == expected, body
    assert body["answer_source"]["kind"] == kind and body["stop_reason"] == "final_answer"
    if kind == "observation":
        assert len(body["sources"]) == 1 and body["sources"][0] in records
