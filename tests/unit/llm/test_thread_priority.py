"""The decoding thread's nice value: set per thread, refused without raising, applied again after a reconfigure."""

from __future__ import annotations

import logging
import os
import sys
import threading

import pytest

from deployments.llm import thread_priority
from deployments.llm.jobs import GenerationJob
from deployments.llm.settings import LLMRuntimeConfig
from tests.unit.llm.tiny_model import CharTokenizer, tiny_engine

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice values are per thread on Linux only")

TOK = CharTokenizer()


def _in_thread(fn):
    """``fn()``'s result in a fresh thread, so the test process's own nice value is left alone."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def test_a_thread_gets_its_own_nice_value_and_the_process_keeps_its() -> None:
    process_nice = os.getpriority(os.PRIO_PROCESS, 0)
    wanted = min(process_nice + 3, 19)  # raising a nice value needs no privilege

    def set_and_read():
        return thread_priority.set_current_thread_nice(wanted), thread_priority.current_thread_nice()

    assert _in_thread(set_and_read) == (True, wanted)
    assert thread_priority.current_thread_nice() == process_nice


def test_a_refused_nice_value_is_logged_and_the_thread_keeps_its_value(monkeypatch, caplog) -> None:
    def refuse(*_args) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(thread_priority.os, "setpriority", refuse)
    before = _in_thread(thread_priority.current_thread_nice)
    def ask_and_read():
        return thread_priority.set_current_thread_nice(-5), thread_priority.current_thread_nice()

    with caplog.at_level(logging.WARNING, logger="ray.serve"):
        assert _in_thread(ask_and_read) == (False, before)
    assert "CAP_SYS_NICE" in caplog.text and "RAY_worker_niceness" in caplog.text


def _stop(engine) -> None:
    engine.shutdown()
    engine._thread.join(10)


def _run(engine, prompt: str) -> None:
    job = GenerationJob(prompt_ids=TOK.encode(prompt), max_tokens=2, temperature=0.0)
    engine.generate([job])
    assert job.completion_tokens == 2


def test_the_decoding_thread_takes_the_configured_nice_value_and_a_new_one_after_reconfigure() -> None:
    process_nice = os.getpriority(os.PRIO_PROCESS, 0)
    first, second = min(process_nice + 2, 19), min(process_nice + 4, 19)
    engine = tiny_engine(decode_thread_nice=first)
    try:
        _run(engine, "hello")
        tid = engine._thread.native_id
        assert os.getpriority(os.PRIO_PROCESS, tid) == first
        engine.reconfigure(LLMRuntimeConfig(decode_thread_nice=second))
        _run(engine, "again")  # applied by the thread itself, before its next step
        assert os.getpriority(os.PRIO_PROCESS, tid) == second
    finally:
        _stop(engine)
    assert os.getpriority(os.PRIO_PROCESS, 0) == process_nice  # the caller's own priority is untouched


def test_no_nice_value_leaves_the_decoding_thread_as_it_starts() -> None:
    engine = tiny_engine(decode_thread_nice=None)
    try:
        _run(engine, "hello")
        assert os.getpriority(os.PRIO_PROCESS, engine._thread.native_id) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        _stop(engine)
