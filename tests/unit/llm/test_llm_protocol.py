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
        {"n": 2},
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


def test_unknown_fields_are_ignored() -> None:
    assert not hasattr(CompletionRequest(prompt="x", stream_options={"include_usage": True}), "stream_options")


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
