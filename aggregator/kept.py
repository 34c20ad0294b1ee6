"""Sign-ins kept for later exports in this process (a connector's ``reuse_sign_in``): one per vendor account, each
with its own lock, so exports started together sign in once (the first one, while the others wait for its token)
instead of once each.

A connector keys what it keeps by :func:`account_key` (the secret goes in hashed, never as it is) and takes it with
:meth:`Kept.take`; what it keeps (msal's application, PayPal's token) lives in this process's memory only, never on
disk, in a log or in the register, and :meth:`Kept.forget` drops it all. A sign-in that failed is remembered for
:data:`FAILURE_KEPT` seconds (:meth:`Slot.failed`), so the exports that waited for it fail at once with its reason
instead of each trying in turn (a token endpoint that is down would otherwise fail N exports one after another).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

TOKEN_MARGIN = 300.0     # seconds before its end a token is no longer used (msal's own margin): asked again instead
FAILURE_KEPT = 30.0      # seconds a failed sign-in answers the exports that waited for it


def account_key(*parts: object) -> str:
    """A key for one vendor account (address, client id, secret, trust): their SHA-256, so no secret is kept as a
    key."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def token_deadline(lifetime: float | None, now: float | None = None) -> float:
    """The ``time.monotonic()`` past which a token of ``lifetime`` seconds, received ``now``, is asked again:
    :data:`TOKEN_MARGIN` before its end (half its life when that is shorter); never when no lifetime was given."""
    if lifetime is None:
        return math.inf
    now = time.monotonic() if now is None else now
    return now + lifetime - min(TOKEN_MARGIN, lifetime / 2)


@dataclass
class Slot(Generic[T]):
    """What is kept for one account, the lock its exports hold while they sign in, and its last failure."""

    value: T = field(repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _failure: tuple[str, float] | None = field(default=None, repr=False)

    def failed(self, reason: str) -> None:
        """A sign-in for this account failed with ``reason`` (a one-line, redacted message)."""
        self._failure = (reason, time.monotonic())

    def failure(self) -> str | None:
        """The reason of a sign-in that failed within the last :data:`FAILURE_KEPT` seconds, else None."""
        if self._failure is None or time.monotonic() - self._failure[1] >= FAILURE_KEPT:
            return None
        return self._failure[0]

    def succeeded(self) -> None:
        """A sign-in worked: no failure to hand on."""
        self._failure = None


class Kept(Generic[T]):
    """One :class:`Slot` per account key, built on first use."""

    def __init__(self) -> None:
        self._slots: dict[str, Slot[T]] = {}
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def take(self, key: str, build: Callable[[], T]) -> Slot[T]:
        """The account's slot; ``build()`` makes its value the first time, under a lock of that account alone (two
        exports starting together never build two; another account's exports do not wait for it)."""
        with self._lock:
            slot = self._slots.get(key)
            if slot is not None:
                return slot
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                slot = self._slots.get(key)
            if slot is None:
                built = Slot(build())
                with self._lock:
                    slot = self._slots.setdefault(key, built)      # one slot per account, whatever forget() did
                    if self._building.get(key) is building:
                        del self._building[key]
            return slot

    def forget(self) -> None:
        """Drop everything kept (the tokens with it)."""
        with self._lock:
            self._slots.clear()
            self._building.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)


__all__ = ["FAILURE_KEPT", "TOKEN_MARGIN", "Kept", "Slot", "account_key", "token_deadline"]
