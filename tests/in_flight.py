"""A sandbox vendor app's requests in flight, counted per key (a mailbox, say), for tests of concurrency limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from aggregator.sandbox.base import Request, Response


class InFlight:
    """Counts the requests in flight per key (None: not counted) and the most at once, per key and across keys;
    ``delay`` seconds are slept in every request (a slow vendor), counted ones while counted."""

    def __init__(self, key: Callable[[Request], str | None],
                 delay: Callable[[Request], float] | float = 0.0) -> None:
        self.key = key
        self.delay = delay if callable(delay) else (lambda _request, d=float(delay): d)
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.peak_keys = 0                  # the most keys with a request in flight at once
        self._lock = threading.Lock()

    def wrap(self, handle: Callable[[Request], Response | None]) -> Callable[[Request], Response | None]:
        """``handle`` counted (and slowed down)."""
        def counted(request: Request) -> Response | None:
            key = self.key(request)
            if key is not None:
                with self._lock:
                    self.now[key] = self.now.get(key, 0) + 1
                    self.peak[key] = max(self.peak.get(key, 0), self.now[key])
                    self.peak_keys = max(self.peak_keys, sum(1 for n in self.now.values() if n))
            try:
                time.sleep(self.delay(request))
                return handle(request)
            finally:
                if key is not None:
                    with self._lock:
                        self.now[key] -= 1
        return counted


def count_in_flight(monkeypatch: pytest.MonkeyPatch, app: Any, key: Callable[[Request], str | None],
                    delay: Callable[[Request], float] | float = 0.0) -> InFlight:
    """Count (and slow down) ``app``'s requests in flight for the rest of the test (or the monkeypatch context)."""
    counter = InFlight(key, delay)
    monkeypatch.setattr(app, "handle", counter.wrap(app.handle))
    return counter


def graph_mailbox(request: Request, *, groups: bool = True) -> str | None:
    """The Graph mailbox a sandbox request reads (``/v1.0/users/{id}/…``; with ``groups``, a group's too)."""
    parts = request.path.split("/")
    return parts[3] if len(parts) > 3 and parts[2] in (("users", "groups") if groups else ("users",)) else None


def graph_download(request: Request) -> str | None:
    """The mailbox of a Graph attachment download (``…/attachments/{id}/$value``); None for any other request."""
    return graph_mailbox(request, groups=False) if request.path.endswith("/$value") else None
