"""Identifiers one connector finds (order numbers, invoice numbers, PayPal ids) offered to the others.

A consumer iterates :meth:`IdentifierBus.stream`; it gets what was offered so far at once, then each new
one as it arrives, and the stream ends when every connector that declared it provides that kind has
finished (or failed, or is not part of this run). Independent work never waits on it: a connector reads
the stream in its own thread beside its own scan.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aggregator.text import clean

# The well-known kinds. A plugin may use others; these are the ones the built-ins exchange.
CUSTOMER_NUMBER = "customer_number"   # the shop's customer number (also Silvasoft's RelationNumber)
CUSTOMER_ID = "customer_id"           # the webshop's internal customer id
ORDER_NUMBER = "order_number"         # attrs: date (ISO 8601), total, currency
INVOICE_NUMBER = "invoice_number"     # attrs: date
PAYPAL_TRANSACTION_ID = "paypal_transaction_id"
EMAIL = "email"                       # another address the subject used (e.g. PayPal payer e-mail)

CACHE_KIB = 512    # the bus's database pages kept in memory; beyond it they wait in a temporary file
BATCH = 256        # identifiers a consumer reads from the database at once


@dataclass(frozen=True)
class Identifier:
    """One identifier on the bus: its kind, value, the connector that found it and any attributes."""

    kind: str
    value: str
    source: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


class IdentifierBus:
    """Thread-safe hand-over of identifiers between the connectors of one run.

    The identifiers wait in a private temporary SQLite database, not in Python objects: a customer with tens of
    thousands of orders offers tens of thousands of order numbers (with their dates and totals), and every one of
    them must stay available to a consumer that starts late, to the manifest and to a resumed run. SQLite keeps at
    most ``CACHE_KIB`` of them in memory and spills the rest to an anonymous temporary file it deletes itself
    (when the bus is dropped, or the process ends). A repeat is found by the database's unique index, not by a set.
    """

    def __init__(self, providers: Mapping[str, Iterable[str]]) -> None:
        # kind -> names of the connectors in this run that may still offer it
        self._pending: dict[str, set[str]] = {k: set(v) for k, v in providers.items()}
        self._counts: dict[str, int] = {}      # kind -> identifiers offered so far (their seq is 0 .. count - 1)
        self._cond = threading.Condition()
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)   # "": temporary, on disk
        for pragma in (f"cache_size = -{CACHE_KIB}", "temp_store = FILE", "journal_mode = OFF", "synchronous = OFF"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE items (kind TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, "
                         "source TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (kind, seq), UNIQUE (kind, value))")

    def offer(self, source: str, kind: str, value: object, **attrs: Any) -> None:
        """Offer ``value`` of ``kind`` from ``source`` to every consumer; blank values and repeats are dropped."""
        self.offer_all(source, [(kind, value, attrs)])

    def offer_all(self, source: str, offers: Iterable[tuple[str, object, Mapping[str, Any]]]) -> None:
        """Offer several ``(kind, value, attrs)`` at once, as :meth:`offer` does each, under one hold of the lock:
        the consumers are woken once for all of them. One by one, each offer woke every waiting consumer, which then
        took the lock and the GIL from the offering connector in turn (half a second for a page of 250 orders)."""
        rows = []
        for kind, value, attrs in offers:
            text = clean(str(value).strip())[0]     # SQLite takes no lone surrogate (vendor text may hold one)
            if text:                                # ASCII escapes keep any such character in the attributes
                rows.append((kind, text, json.dumps(attrs, default=str) if attrs else "{}"))
        if not rows:
            return
        origin = clean(source)[0]
        with self._cond:
            added = False
            try:
                for kind, text, extra in rows:
                    seq = self._counts.get(kind, 0)
                    if self._db.execute("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?)",
                                        (kind, seq, text, origin, extra)).rowcount:
                        self._counts[kind] = seq + 1
                        added = True
            finally:
                if added:                       # those added before a failure still reach the consumers
                    self._cond.notify_all()

    def close(self, source: str, kind: str) -> None:
        """``source`` will offer no more of ``kind`` (it may still be busy with other work)."""
        with self._cond:
            self._pending.get(kind, set()).discard(source)
            self._cond.notify_all()

    def finished(self, source: str) -> None:
        """Mark ``source`` done: its kinds end for every consumer once no other provider is pending."""
        with self._cond:
            for names in self._pending.values():
                names.discard(source)
            self._cond.notify_all()

    def stream(self, kind: str) -> Iterator[Identifier]:
        """Every identifier of ``kind``: those offered so far at once, then each new one until no provider is left."""
        index = 0
        while True:
            with self._cond:
                while index >= self._counts.get(kind, 0) and self._pending.get(kind):
                    self._cond.wait()
                if index >= self._counts.get(kind, 0):
                    return
                rows = self._db.execute("SELECT kind, value, source, attrs FROM items WHERE kind = ? AND seq >= ? "
                                        "ORDER BY seq LIMIT ?", (kind, index, BATCH)).fetchall()
            index += len(rows)
            for row in rows:
                yield _identifier(row)

    def items(self) -> list[Identifier]:
        """Everything offered so far, with source and attributes (to hand to a later run)."""
        with self._cond:
            rows = self._db.execute("SELECT kind, value, source, attrs FROM items ORDER BY kind, seq").fetchall()
        return [_identifier(row) for row in rows]

    def drop(self) -> None:
        """Drop the database and its temporary file: the identifiers are gone (call once the run is recorded)."""
        with self._cond:
            self._db.close()

    def snapshot(self) -> dict[str, list[str]]:
        """Everything offered so far, by kind (for the manifest)."""
        found: dict[str, list[str]] = {}
        with self._cond:
            for kind, value in self._db.execute("SELECT kind, value FROM items ORDER BY kind, seq"):
                found.setdefault(kind, []).append(value)
        return found


def _identifier(row: tuple[str, str, str, str]) -> Identifier:
    kind, value, source, attrs = row
    return Identifier(kind, value, source, json.loads(attrs))
