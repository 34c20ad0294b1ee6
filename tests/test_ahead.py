"""Requests sent ahead (``aggregator.ahead``): each sent once, its answer or error handed over when asked for."""

from __future__ import annotations

import threading

import pytest

from aggregator.ahead import SentAhead


def test_a_call_sent_ahead_is_taken_once_and_an_unsent_one_is_made_when_asked():
    calls: list[str] = []
    ahead = SentAhead(2)
    try:
        ahead.send("a", lambda: calls.append("a") or "answer a")
        ahead.send("a", lambda: calls.append("a again") or "never")       # already waiting: not sent twice
        assert ahead.take("a", lambda: calls.append("a live") or "live") == "answer a"
        assert ahead.take("a", lambda: calls.append("a live") or "live") == "live"   # taken: asked again, sent now
        assert ahead.take("b", lambda: calls.append("b live") or "b") == "b"
    finally:
        ahead.close()
    assert calls == ["a", "a live", "b live"]


def test_the_error_of_a_call_sent_ahead_is_raised_where_it_is_taken():
    ahead = SentAhead(1)
    try:
        ahead.send("x", lambda: 1 / 0)
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
