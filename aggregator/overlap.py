"""Requests that depend on earlier answers, overlapped up to a connection limit, their answers handled one at a time.

A connector whose next requests come from what earlier answers said (the next page of a feed, the reports of
the campaigns a page names) adds each request as a *call* with a *handler*. :class:`Overlap` runs the calls on
``workers`` threads, each taking the next waiting call the moment it is free, and hands every answer to its
handler on the caller's thread in the order the calls started, so the records a handler yields stream to the
spool as the answers arrive. Handlers add the calls that follow: an ``urgent`` one (the next page of a chain)
starts before the others waiting, a ``bulk`` one (one of hundreds of per-item look-ups) after every other. At most
``ahead`` calls are started and not yet handled: memory stays bounded by that many answers however long a feed is,
while the connections stay busy as the caller's thread spools a large page. The pages of one chain are handled
in order (a page is asked only once the one before it is being handled); answers of different chains interleave
as they arrive. Once a call fails no further call starts, and the failure is raised when its turn comes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Call = tuple[Callable[[], Any], Callable[[Any], Any]]


class Overlap(Generic[T]):
    """Calls on ``workers`` threads, at most ``ahead`` of them started and not yet handled; :meth:`run` hands the
    answers to their handlers in start order and yields what the handlers yield."""

    def __init__(self, workers: int, *, name: str = "dsar", ahead: int | None = None) -> None:
        self.workers = max(1, int(workers))
        self.ahead = max(self.workers, ahead or 8 * self.workers)
        self.name = name
        self._lock = threading.Condition()
        self._waiting: deque[Call] = deque()
        self._bulk: deque[Call] = deque()
        self._started: deque[tuple[Future[Any], Callable[[Any], Any]]] = deque()
        self._closed = False
        self._failed = False

    def add(self, call: Callable[[], Any], then: Callable[[Any], Iterable[T] | None], *,
            urgent: bool = False, bulk: bool = False) -> None:
        """Queue ``call``; its answer goes to ``then`` on the thread running :meth:`run` (it may yield records and
        add further calls). ``urgent``: start it before the calls already waiting; ``bulk``: after every call
        that is not bulk."""
        with self._lock:
            if urgent:
                self._waiting.appendleft((call, then))
            elif bulk:
                self._bulk.append((call, then))
            else:
                self._waiting.append((call, then))
            self._lock.notify_all()

    @property
    def waiting(self) -> int:
        """Calls added and not started yet."""
        with self._lock:
            return len(self._waiting) + len(self._bulk)

    def _work(self) -> None:
        """One worker: take the next call when there is room ahead, run it, keep its answer for the handler."""
        while True:
            with self._lock:
                while not self._closed and not (
                        (self._waiting or self._bulk) and len(self._started) < self.ahead and not self._failed):
                    self._lock.wait()
                if self._closed:
                    return
                call, then = (self._waiting or self._bulk).popleft()
                future: Future[Any] = Future()
                self._started.append((future, then))
                self._lock.notify_all()         # the handler may be waiting for a call to start
            try:
                future.set_result(call())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
                with self._lock:
                    self._failed = True
                future.set_exception(exc)

    def run(self) -> Iterator[T]:
        """Run until no call is left, yielding what the handlers yield; the first failure is raised."""
        threads = [threading.Thread(target=self._work, name=f"{self.name}-{i}", daemon=True)
                   for i in range(self.workers)]
        for thread in threads:
            thread.start()
        try:
            while True:
                with self._lock:
                    while not self._started and (self._waiting or self._bulk) and not self._failed:
                        self._lock.wait()
                    if not self._started:
                        return           # nothing started and nothing waiting (or a failure already raised)
                    future, then = self._started[0]
                result = future.result()        # a call's failure is raised here, in start order
                with self._lock:
                    self._started.popleft()
                    self._lock.notify_all()     # room ahead: a worker may start the next call
                out = then(result)
                if out is not None:
                    yield from out
        finally:
            with self._lock:
                self._closed = self._failed = True
                self._waiting.clear()
                self._bulk.clear()
                self._lock.notify_all()
            for thread in threads:
                thread.join()
            self._started.clear()
