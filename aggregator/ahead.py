"""Requests a connector is sure to make later, sent ahead on threads of their own and handed over when asked for.

A vendor whose rate, not its latency, bounds an export (Lightspeed's 20 a second) loses time wherever the connector
asks one thing after another: at the start, while its first listings are read and parsed, and at the end, where
one short list per resource follows another. The first page of a list that depends on nothing an answer says (a
customer's invoices, reviews …) can go at once instead. :class:`SentAhead` sends such calls on a few threads, and
:meth:`SentAhead.take` gives the connector a call's outcome (its answer, or the error it raised) at the moment it
would have sent it: every check, coverage line and record then follows exactly as before. Each call is sent ahead
once and taken at most once; it is made again only when the caller rejects its answer (``usable``: a Lightspeed
page that is full, its list read moments apart). One the connector never asks for (it failed first) is dropped on
:meth:`SentAhead.close`, and calls still queued then are never sent; one still under way is waited for, so a connector
ends its waits first (:meth:`aggregator.connector.ConnectorContext.halt`): a call waiting out a 429 then ends at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any


class SentAhead:
    """Calls sent ahead on ``workers`` threads, their outcomes kept by key until taken."""

    def __init__(self, workers: int, *, name: str = "dsar-ahead") -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
        self._sent: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def send(self, key: Hashable, call: Callable[[], Any]) -> None:
        """Queue ``call`` under ``key`` (a key already waiting is left as it is; nothing is sent once closed)."""
        with self._lock:
            if self._closed or key in self._sent:
                return
            self._sent[key] = self._pool.submit(call)

    def take(self, key: Hashable, call: Callable[[], Any], usable: Callable[[Any], bool] | None = None) -> Any:
        """The outcome of the call sent ahead under ``key`` (waiting for it; its error raised here), or of ``call``
        made now: when none was sent, when it has not started yet (the caller need not wait for these threads),
        or when ``usable`` rejects the answer it got ahead of time."""
        with self._lock:
            future = self._sent.pop(key, None)
        if future is None or future.cancel():
            return call()
        try:
            answer = future.result()
        except CancelledError:                  # dropped by close() meanwhile
            return call()
        return answer if usable is None or usable(answer) else call()

    def close(self) -> None:
        """Send nothing more: calls still queued are dropped, those under way finish (within their timeouts)."""
        with self._lock:
            self._closed = True
            self._sent.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
