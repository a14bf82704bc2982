"""The start-up refusal: open only on loopback or on purpose; one log line when open."""

from __future__ import annotations

import logging

import pytest

from deployments.security.keys import Keys
from deployments.security.startup import OpenServiceRefused, check_open, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", None])
def test_loopback_binds(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "medici.internal", "unknown", ""])
def test_other_binds_are_not_loopback(host):
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "unknown"])
def test_an_open_service_on_a_reachable_address_refuses_to_start(host):
    with pytest.raises(OpenServiceRefused) as caught:
        check_open(Keys(), allow_open=False, host=host)
    message = str(caught.value)
    assert "MEDICI_API_KEY" in message and "MEDICI_API_KEY_FILE" in message and "security.allow_open" in message


def test_a_key_or_allow_open_lets_it_start(caplog):
    caplog.set_level(logging.INFO, logger="ray.serve")
    check_open(Keys(admin=b"k"), allow_open=False, host="0.0.0.0")
    check_open(Keys(), allow_open=True, host="0.0.0.0")
    assert "security.allow_open is true" in caplog.text and "b'k'" not in caplog.text


def test_loopback_runs_open_and_says_so_in_one_line(caplog):
    caplog.set_level(logging.INFO, logger="ray.serve")
    check_open(Keys(), allow_open=False, host="127.0.0.1")
    lines = [r.getMessage() for r in caplog.records if "OPEN" in r.getMessage()]
    assert len(lines) == 1 and "127.0.0.1" in lines[0] and "MEDICI_API_KEY" in lines[0]
