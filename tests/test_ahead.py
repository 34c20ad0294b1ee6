"""Requests sent ahead (``aggregator.ahead``): each sent once, its answer or error handed over when asked for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from aggregator.ahead import SentAhead


def ran(calls: list[str], name: str, answer: Any, done: threading.Event) -> Callable[[], Any]:
    """A call that notes its name, signals it is done and answers ``answer``."""
    def call() -> Any:
        calls.append(name)
        done.set()
        return answer
    return call


def test_a_call_sent_ahead_is_taken_once_and_an_unsent_one_is_made_when_asked():
    calls: list[str] = []
    done = threading.Event()
    ahead = SentAhead(2)
    try:
        ahead.send("a", ran(calls, "a", "answer a", done))
        assert done.wait(5)
        ahead.send("a", ran(calls, "a again", "never", threading.Event()))   # already waiting: not sent twice
        assert ahead.take("a", lambda: calls.append("a live") or "live") == "answer a"
        assert ahead.take("a", lambda: calls.append("a live") or "live") == "live"   # taken: asked again, sent now
        assert ahead.take("b", lambda: calls.append("b live") or "b") == "b"
    finally:
        ahead.close()
    assert calls == ["a", "a live", "b live"]


def test_an_answer_the_caller_cannot_use_is_asked_for_again():
    calls: list[str] = []
    done = threading.Event()
    ahead = SentAhead(1)
    try:
        ahead.send("page 1", ran(calls, "ahead", {"items": [1] * 250}, done))
        assert done.wait(5)
        got = ahead.take("page 1", lambda: calls.append("now") or {"items": [1] * 251},
                         usable=lambda body: len(body["items"]) < 250)
    finally:
        ahead.close()
    assert calls == ["ahead", "now"] and len(got["items"]) == 251


def test_a_call_not_started_yet_is_made_by_the_caller_and_never_sent_ahead():
    release = threading.Event()
    sent: list[str] = []
    ahead = SentAhead(1)
    try:
        ahead.send("busy", lambda: release.wait(5))          # the one thread is busy
        ahead.send("queued", lambda: sent.append("ahead"))
        assert ahead.take("queued", lambda: "made now") == "made now"
        release.set()
    finally:
        ahead.close()
    assert sent == []


def test_the_error_of_a_call_sent_ahead_is_raised_where_it_is_taken():
    started = threading.Event()
    ahead = SentAhead(1)

    def fails() -> None:
        started.set()
        raise ZeroDivisionError

    try:
        ahead.send("x", fails)
        assert started.wait(5)
        with pytest.raises(ZeroDivisionError):
            ahead.take("x", lambda: "not this")
    finally:
        ahead.close()


def test_close_sends_nothing_more_and_lets_the_call_under_way_finish():
    started, release = threading.Event(), threading.Event()
    sent: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        sent.append("slow")

    ahead = SentAhead(1)
    ahead.send("slow", slow)
    ahead.send("queued", lambda: sent.append("queued"))
    assert started.wait(5)
    threading.Timer(0.05, release.set).start()
    ahead.close()                              # waits for the call under way; the queued one is never sent
    ahead.send("late", lambda: sent.append("late"))
    assert sent == ["slow"]
    assert ahead.take("queued", lambda: "made now") == "made now"
