from deployments import errors
from deployments.api.errors import as_service_error


class RayTaskErrorLike(Exception):
    """Ray wraps a replica's exception and keeps it as `.cause`."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("wrapped")
        self.cause = cause


class BackPressureError(Exception):
    pass


def test_service_error_body_is_openai_shaped() -> None:
    body = errors.bad_request("bad max_tokens", param="max_tokens").to_dict()
    assert body == {
        "error": {"message": "bad max_tokens", "type": "invalid_request_error", "param": "max_tokens",
                  "code": "invalid_value"}
    }


def test_a_wrapped_service_error_keeps_its_status() -> None:
    found = as_service_error(RayTaskErrorLike(errors.timeout("too slow")))
    assert (found.status, found.message) == (504, "too slow")


def test_overload_is_503_and_anything_else_is_a_bare_500() -> None:
    assert as_service_error(BackPressureError()).status == 503
    internal = as_service_error(ValueError("secret detail"))
    assert internal.status == 500 and "secret" not in internal.message


class RayActorError(Exception):
    """Stands in for ray.exceptions.RayActorError: matched by class name, as Ray's own is."""


class ActorDiedError(RayActorError):
    pass


class RequestCancelledError(Exception):
    pass


class BackPressureError429(BackPressureError):
    status_code = 429


def test_a_replica_that_died_under_the_request_is_503_not_500() -> None:
    for exc in (ActorDiedError(), RayActorError(), RequestCancelledError(), RayTaskErrorLike(ActorDiedError())):
        mapped = as_service_error(exc)
        assert (mapped.status, mapped.type) == (503, "service_unavailable"), exc


def test_backpressure_keeps_the_429_serve_was_configured_with() -> None:
    mapped = as_service_error(BackPressureError429())
    assert (mapped.status, mapped.code) == (429, "overloaded")
    assert as_service_error(BackPressureError()).code == "overloaded"


def test_a_read_whose_replica_died_is_sent_again_and_a_bad_read_is_not(monkeypatch) -> None:
    import asyncio

    from deployments.api import calls

    monkeypatch.setattr(calls, "READ_RETRY_PAUSE_S", 0.0)
    sent: list[int] = []

    async def answer(fail_with: BaseException | None) -> str:
        sent.append(1)
        if fail_with is not None:
            raise fail_with
        return "the document"

    outcomes = iter([ActorDiedError(), None])
    assert asyncio.run(calls.call_read(lambda: answer(next(outcomes)))) == "the document"
    assert len(sent) == 2

    sent.clear()  # a replica that stays lost: every try made, then the 503
    try:
        asyncio.run(calls.call_read(lambda: answer(ActorDiedError())))
    except errors.ServiceError as error:
        assert (error.status, len(sent)) == (503, calls.READ_TRIES)
    else:
        raise AssertionError("no error")

    sent.clear()  # a 404 from the replica is an answer, not a lost replica: asked once
    try:
        asyncio.run(calls.call_read(lambda: answer(errors.not_found("no such job"))))
    except errors.ServiceError as error:
        assert (error.status, len(sent)) == (404, 1)
    else:
        raise AssertionError("no error")
