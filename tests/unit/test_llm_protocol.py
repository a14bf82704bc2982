import pytest
from pydantic import ValidationError

from deployments.llm.protocol import ChatCompletionRequest, CompletionRequest


def test_defaults_and_single_prompt_list() -> None:
    request = CompletionRequest(prompt=["hello"])
    assert request.prompt == "hello"
    assert (request.n, request.temperature, request.top_p, request.stream) == (1, 1.0, 1.0, False)


def test_stop_string_becomes_a_list() -> None:
    assert CompletionRequest(prompt="x", stop="\n").stop == ["\n"]


@pytest.mark.parametrize(
    "fields",
    [
        {"n": 9},
        {"n": 0},
        {"logprobs": 6},
        {"presence_penalty": 2.5},
        {"logit_bias": {"1": 5}},
        {"echo": True},
        {"guided_regex": "("},
        {"guided_json": {"type": "strin"}},
        {"guided_choice": ["a"], "guided_regex": "a"},
        {"structured_outputs": {"choice": ["a"], "regex": "a"}},
        {"structured_outputs": {}},
        {"response_format": {"type": "json_schema"}},
        {"response_format": {"type": "xml"}},
        {"max_tokens": 0},
        {"temperature": -0.1},
        {"top_p": 0},
        {"stop": [""]},
        {"stop": ["a"] * 17},
        {"guided_choice": []},
        {"guided_choice": ["ok", ""]},
        {"prompt": ["a", "b"]},
        {"seed": -1},
    ],
)
def test_invalid_fields_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        CompletionRequest(**{"prompt": "x", **fields})


def test_unknown_fields_are_ignored_with_a_warning(caplog) -> None:
    with caplog.at_level("WARNING", logger="ray.serve"):
        request = CompletionRequest(prompt="x", frobnicate=3, echo=False, store=True)
    assert "frobnicate" not in request.model_dump() and "echo" not in request.model_dump()
    assert "frobnicate" in caplog.text and "store" not in caplog.text


def test_unsupported_openai_field_names_itself() -> None:
    with pytest.raises(ValidationError) as caught:
        ChatCompletionRequest(messages=[{"role": "user", "content": "x"}], logit_bias={"5": 1})
    assert caught.value.errors()[0]["loc"] == ("logit_bias",)


@pytest.mark.parametrize(
    ("fields", "kind", "value"),
    [
        ({"guided_choice": ["a", "b"]}, "choice", ["a", "b"]),
        ({"structured_outputs": {"choice": ["a"]}}, "choice", ["a"]),
        ({"structured_outputs": {"regex": "[0-9]+"}}, "regex", "[0-9]+"),
        ({"guided_regex": "[0-9]+"}, "regex", "[0-9]+"),
        ({"structured_outputs": {"json": {"type": "integer"}}}, "json", {"type": "integer"}),
        ({"guided_json": '{"type": "integer"}'}, "json", {"type": "integer"}),
        ({"response_format": {"type": "json_object"}}, "json", True),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "integer"}}}},
         "json", {"type": "integer"}),
        ({"structured_outputs": {"grammar": 'start: "a"+'}}, "grammar", 'start: "a"+'),
    ],
)
def test_every_spelling_gives_one_constraint(fields: dict, kind: str, value) -> None:
    spec = CompletionRequest(prompt="x", **fields).constraint_spec()
    assert (spec.kind, spec.value) == (kind, value)
    # the spec crosses the ingress -> replica handle as plain JSON and comes back the same
    again = CompletionRequest.model_validate(CompletionRequest(prompt="x", **fields).model_dump(mode="json"))
    assert again.constraint_spec() == spec


def test_response_format_text_and_no_constraint() -> None:
    assert CompletionRequest(prompt="x", response_format={"type": "text"}).constraint_spec() is None
    assert CompletionRequest(prompt="x").constraint_spec() is None


def test_chat_logprobs_fields() -> None:
    base = {"messages": [{"role": "user", "content": "x"}]}
    assert ChatCompletionRequest(**base, logprobs=True, top_logprobs=3).logprobs_k() == 3
    assert ChatCompletionRequest(**base, logprobs=True).logprobs_k() == 0
    assert ChatCompletionRequest(**base).logprobs_k() is None
    with pytest.raises(ValidationError):
        ChatCompletionRequest(**base, top_logprobs=3)
    assert CompletionRequest(prompt="x", logprobs=2).logprobs_k() == 2


def test_chat_text_parts_are_flattened_and_max_completion_tokens_counts() -> None:
    request = ChatCompletionRequest(
        messages=[{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
        max_completion_tokens=7,
    )
    assert request.messages[0].content == "ab"
    assert request.max_tokens == 7


def test_chat_refuses_images_and_empty_messages() -> None:
    with pytest.raises(ValidationError):
        ChatCompletionRequest(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}])
    with pytest.raises(ValidationError):
        ChatCompletionRequest(messages=[])
