"""Main-thread waits that Ctrl-C always ends: a process-directed SIGINT may land on any thread, and Python runs
its handler only when the main thread next executes bytecode, so the main thread never blocks without a timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from typing import TypeVar

T = TypeVar("T")
SLICE = 0.25        # seconds the main thread blocks at most before Python may run a pending signal handler


def results(futures: Iterable[Future[T]]) -> list[T]:
    """Every future's result in the given order, the first failure raised as soon as it happens."""
    ordered = list(futures)
    pending = set(ordered)
    while pending:
        done, pending = wait(pending, timeout=SLICE, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                future.result()
    return [future.result() for future in ordered]


def wait_forever() -> None:
    """Block until Ctrl-C (KeyboardInterrupt), waking every slice so the interrupt is seen wherever it landed."""
    forever = threading.Event()
    while not forever.wait(SLICE):
        pass
