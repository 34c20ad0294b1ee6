"""The invoice index: for a vendor whose API cannot filter invoices by customer (Silvasoft), which invoice number
belongs to which customer number and is dated when, kept in the request register's SQLite file so the sweep
through every invoice is paid once, then brought up to date incrementally.

It lives in ``aggregator`` beside the register, not in a connector: it is storage in the register's database
(table ``invoice_index``, schema v4), scoped per connector and vendor-neutral; *how* it is filled and kept up to date
(which endpoint, how far back, when to re-check) is the connector's business. It holds no names, amounts, lines or
addresses: only invoice number, customer number, invoice date and the sync bookkeeping (what dates it covers,
when it last synced, when it was last fully re-checked).

:func:`refresh` runs a connector's ``refresh_index`` outside an export (``dsar index silvasoft [--full]``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from aggregator.errors import ConfigError, InputError, RegisterError
from aggregator.model import iso

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter

    from aggregator.config import Config
    from aggregator.http import Sleep
    from aggregator.register import Register
    from aggregator.runner import Progress

SINCE_THE_START = ""      # covered_from when the index reaches back to the administration's first invoice


class Entry(NamedTuple):
    """One invoice as the index knows it."""

    number: str
    customer: str | None
    invoice_date: date | None


@dataclass(frozen=True)
class Coverage:
    """The invoice dates the index holds completely (``start`` None: since the first invoice), up to the day of
    the last sweep that reached the newest invoice, and when it was last synced and fully re-checked."""

    start: date | None
    end: date
    synced_at: datetime
    checked_at: datetime | None


class InvoiceIndex:
    """The invoice index of one connector in the register file at ``path`` (already created and migrated by
    :class:`aggregator.register.Register`). Every call opens its own short connection, like the register."""

    def __init__(self, path: Path, connector: str) -> None:
        self.path = path
        self.connector = connector

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise RegisterError(f"register: cannot open {self.path}: {exc}") from None
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"register: {self.path}: invoice index: {exc}") from None
        finally:
            conn.close()

    # ------------------------------------------------------------------ reading
    def coverage(self) -> Coverage | None:
        """What the index covers, or None when it was never filled."""
        with self._connect() as conn:
            row = conn.execute("SELECT covered_from, covered_to, synced_at, checked_at FROM invoice_index_sync "
                               "WHERE connector = ?", (self.connector,)).fetchone()
        if row is None:
            return None
        start = date.fromisoformat(row[0]) if row[0] != SINCE_THE_START else None
        return Coverage(start, date.fromisoformat(row[1]), _parse(row[2]), _parse(row[3]) if row[3] else None)

    def customers(self) -> dict[str, str | None]:
        """Every indexed invoice number with its customer number."""
        with self._connect() as conn:
            return dict(conn.execute("SELECT number, customer FROM invoice_index WHERE connector = ?",
                                     (self.connector,)).fetchall())

    def of_customers(self, customers: Iterable[str]) -> list[Entry]:
        """The indexed invoices of these customer numbers, newest number first."""
        wanted = sorted(set(customers))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        with self._connect() as conn:
            rows = conn.execute(f"SELECT number, customer, invoice_date FROM invoice_index WHERE connector = ? "
                                f"AND customer IN ({marks})", (self.connector, *wanted)).fetchall()
        entries = [Entry(n, c, date.fromisoformat(d) if d else None) for n, c, d in rows]
        return sorted(entries, key=lambda e: (len(e.number), e.number), reverse=True)

    def __len__(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM invoice_index WHERE connector = ?",
                                    (self.connector,)).fetchone()[0])

    # ------------------------------------------------------------------ writing
    def put(self, entries: Iterable[Entry]) -> int:
        """Add or update these invoices; returns how many were written."""
        with self._connect() as conn:
            return self._put(conn, entries)

    def _put(self, conn: sqlite3.Connection, entries: Iterable[Entry]) -> int:
        rows = [(self.connector, e.number, e.customer, e.invoice_date.isoformat() if e.invoice_date else None)
                for e in entries]
        conn.executemany("INSERT INTO invoice_index (connector, number, customer, invoice_date) VALUES "
                         "(?, ?, ?, ?) ON CONFLICT (connector, number) DO UPDATE SET customer = excluded.customer, "
                         "invoice_date = excluded.invoice_date", rows)
        return len(rows)

    def forget(self, numbers: Iterable[str]) -> None:
        """Remove invoices the vendor no longer has."""
        with self._connect() as conn:
            conn.executemany("DELETE FROM invoice_index WHERE connector = ? AND number = ?",
                             [(self.connector, n) for n in numbers])

    def replace(self, entries: Iterable[Entry], start: date | None) -> int:
        """A complete sweep of every invoice dated from ``start`` (None: all): write them and drop the indexed
        invoices of those dates it did not see (deleted, or since re-dated); returns how many were dropped."""
        entries = list(entries)
        seen = {e.number for e in entries}
        with self._connect() as conn:
            rows = conn.execute("SELECT number, invoice_date FROM invoice_index WHERE connector = ?",
                                (self.connector,)).fetchall()
            gone = [n for n, d in rows if n not in seen
                    and (start is None or d is None or date.fromisoformat(d) >= start)]
            conn.executemany("DELETE FROM invoice_index WHERE connector = ? AND number = ?",
                             [(self.connector, n) for n in gone])
            self._put(conn, entries)
        return len(gone)

    def set_coverage(self, start: date | None, end: date, *, checked: bool = False,
                     now: datetime | None = None) -> None:
        """Record what the index now covers (``checked``: a full re-check just completed)."""
        stamp = iso(now or datetime.now(UTC))
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO invoice_index_sync (connector, covered_from, covered_to, synced_at, checked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (connector) DO UPDATE SET covered_from = excluded.covered_from, "
                "covered_to = excluded.covered_to, synced_at = excluded.synced_at, "
                "checked_at = COALESCE(excluded.checked_at, invoice_index_sync.checked_at)",
                (self.connector, start.isoformat() if start else SINCE_THE_START, end.isoformat(), stamp,
                 stamp if checked else None))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------- refresh outside an export
@dataclass
class RefreshResult:
    """What ``dsar index <connector>`` did: complete or incomplete (with the reasons), the requests it cost."""

    connector: str
    status: str
    indexed: int
    calls: int
    coverage: list[str] = field(default_factory=list)
    shortfalls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The ``dsar index --json`` object."""
        return {"connector": self.connector, "status": self.status, "indexed": self.indexed, "calls": self.calls,
                "coverage": self.coverage, "shortfalls": self.shortfalls, "notes": self.notes}


def refresh(name: str, config: Config, register: Register, *, full: bool = False, sleep: Sleep = time.sleep,
            progress: Progress | None = None, adapters: Mapping[str, BaseAdapter] | None = None,
            entry_points: bool = True) -> RefreshResult:
    """Bring connector ``name``'s invoice index in ``register`` up to date (``full``: re-check every invoice)."""
    from aggregator.api import prepare
    from aggregator.connector import ConnectorContext
    from aggregator.identifiers import IdentifierBus
    from aggregator.plugins import build_registry, plugin_manager
    from aggregator.runner import check
    from aggregator.subject import Subject

    known = build_registry(plugin_manager(entry_points=entry_points), config.processors).connectors
    if name not in known:
        raise InputError(f"unknown connector: {name} (known: {', '.join(known)})")
    if not hasattr(known[name], "refresh_index"):
        raise InputError(f"connector {name} keeps no invoice index (only: "
                         f"{', '.join(n for n, c in known.items() if hasattr(c, 'refresh_index'))})")
    registry, redactor = prepare(config, [name], (), entry_points)
    cls = registry.connectors[name]
    typed = check(config, registry, [name])
    if name not in typed:
        raise ConfigError(f"no [connectors.{name}] section in the configuration")

    def status(text: str) -> None:
        if progress is not None:
            progress(name, 0, text)

    # No data subject: refreshing the index reads invoice headers only, for every customer alike.
    ctx = ConnectorContext(name=name, processor=cls.processor, subject=Subject.parse("index@dsar.invalid"),
                           settings=typed[name], ca_bundle=config.ca_bundle, redactor=redactor,
                           bus=IdentifierBus({}), sleep=sleep, adapters=adapters, register=register.path,
                           status=status)
    connector = cls(ctx)
    connector.refresh_index(full=full)    # type: ignore[attr-defined]
    index = ctx.invoice_index()
    return RefreshResult(name, "incomplete" if ctx.shortfalls else "complete", len(index) if index else 0,
                         ctx.calls, list(ctx.coverage), list(ctx.shortfalls), list(ctx.notes))


__all__ = ["Coverage", "Entry", "InvoiceIndex", "RefreshResult", "refresh"]
