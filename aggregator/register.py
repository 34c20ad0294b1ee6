"""The request register: one SQLite file (WAL mode, ``secure_delete`` on) recording every data-subject request,
its deadline and extension, each connector's outcome, the package, the delivery and an audit trail.

The schema is versioned (table ``schema_version``): opening an older file upgrades it in one transaction, a file
written by a newer version of the tool is refused. Every operation opens its own short connection, so threads
and processes may share one register. Nothing secret is stored: connector errors arrive already redacted.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aggregator.errors import RegisterError, RequestBusy, UnknownRequest
from aggregator.model import Status
from aggregator.model import iso as model_iso

if TYPE_CHECKING:
    from aggregator.api import ExportResult
    from aggregator.config import Config

SCHEMA_VERSION = 5
TYPES = ("access", "portability", "erasure")
STATUSES = ("received", "in_progress", "complete", "partial", "failed", "delivered")
FAILED_LIKE = frozenset(s.value for s in Status if s.gap)   # connector statuses that resume runs again
NOT_RUN = frozenset({Status.NOT_CONFIGURED.value, Status.SKIPPED.value})
MAX_EXTENSION_MONTHS = 2                              # GDPR Art. 12(3)
ENV_VAR = "DSAR_REGISTER"
SPOOL_GRACE_DAYS = 30                                 # a spool outlives its request's deadline by this much

# Each migration takes the schema from version n-1 to n; statements are separated by ";\n".
MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    email TEXT,
    customer_number TEXT,
    received_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    package_path TEXT,
    package_sha256 TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE connector_outcomes (
    request_id TEXT NOT NULL REFERENCES requests(id),
    connector TEXT NOT NULL,
    processor TEXT NOT NULL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (request_id, connector)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
)
""",
    2: """
ALTER TABLE requests ADD COLUMN original_due_at TEXT;
UPDATE requests SET original_due_at = due_at;
ALTER TABLE requests ADD COLUMN extension_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN extension_reason TEXT;
ALTER TABLE requests ADD COLUMN delivered_to TEXT;
ALTER TABLE requests ADD COLUMN delivered_at TEXT;
ALTER TABLE requests ADD COLUMN verified_by TEXT;
ALTER TABLE requests ADD COLUMN anonymised_at TEXT;
ALTER TABLE connector_outcomes ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE connector_outcomes ADD COLUMN categories TEXT NOT NULL DEFAULT '{}';
ALTER TABLE connector_outcomes ADD COLUMN started_at TEXT;
ALTER TABLE connector_outcomes ADD COLUMN finished_at TEXT;
ALTER TABLE connector_outcomes ADD COLUMN seconds REAL;
CREATE TABLE known_addresses (
    request_id TEXT NOT NULL REFERENCES requests(id),
    address TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (request_id, address)
);
CREATE INDEX requests_due_at ON requests (due_at)
""",
    3: """
ALTER TABLE connector_outcomes ADD COLUMN coverage TEXT NOT NULL DEFAULT '[]';
ALTER TABLE connector_outcomes ADD COLUMN shortfalls TEXT NOT NULL DEFAULT '[]'
""",
    # The invoice index (aggregator/invoice_index.py): only what finds a customer's invoices, no names or amounts.
    4: """
CREATE TABLE invoice_index (
    connector TEXT NOT NULL,
    number TEXT NOT NULL,
    customer TEXT,
    invoice_date TEXT,
    PRIMARY KEY (connector, number)
);
CREATE INDEX invoice_index_customer ON invoice_index (connector, customer);
CREATE TABLE invoice_index_sync (
    connector TEXT PRIMARY KEY,
    covered_from TEXT NOT NULL,
    covered_to TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    checked_at TEXT
)
""",
    # dsar export --encrypt: whether the current package is an AES-256 zip (the passphrase is never stored).
    5: """
ALTER TABLE requests ADD COLUMN package_encrypted INTEGER NOT NULL DEFAULT 0
""",
}


iso = model_iso     # a UTC timestamp as stored and shown: ``2026-11-30T09:15:00Z``


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def add_months(dt: datetime, months: int) -> datetime:
    """``dt`` plus whole calendar months (the day clamped to the month's last day)."""
    month0 = dt.month - 1 + months
    year, month = dt.year + month0 // 12, month0 % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31,
            30, 31, 30, 31][month - 1]
    return dt.replace(year=year, month=month, day=min(dt.day, days))


def default_actor() -> str:
    """Who is acting when no ``--actor`` is given: ``$USER`` (or ``unknown``)."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def default_path() -> Path:
    """``<user data dir>/dsar-aggregator/register.sqlite3`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("dsar-aggregator", appauthor=False)) / "register.sqlite3"


def resolve_path(explicit: str | os.PathLike[str] | None = None, configured: str | None = None,
                 env: Mapping[str, str] | None = None) -> Path:
    """The register file: ``explicit`` (``--register``), else ``$DSAR_REGISTER``, else the config's
    ``[register] path``, else :func:`default_path`."""
    env = os.environ if env is None else env
    chosen = explicit or env.get(ENV_VAR) or configured
    return Path(chosen) if chosen else default_path()


@dataclass(frozen=True)
class ConnectorEntry:
    """One connector's outcome as last recorded for a request."""

    name: str
    processor: str
    status: str
    records: int = 0
    calls: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    coverage: list[str] = field(default_factory=list)
    shortfalls: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``connectors`` entry of ``dsar requests show --json``."""
        return {"processor": self.processor, "status": self.status, "records": self.records, "calls": self.calls,
                "error": self.error, "notes": list(self.notes), "categories": dict(self.categories)}


@dataclass(frozen=True)
class Event:
    """One line of the audit trail."""

    at: str
    actor: str
    event: str
    detail: str | None


@dataclass(frozen=True)
class RequestEntry:
    """A request as the register holds it (personal fields are None once anonymised)."""

    id: str
    type: str
    email: str | None
    customer_number: str | None
    received_at: datetime
    due_at: datetime
    original_due_at: datetime
    extension_months: int
    extension_reason: str | None
    status: str
    package: Path | None
    sha256: str | None
    delivered_to: str | None
    delivered_at: str | None
    verified_by: str | None
    anonymised_at: str | None
    created_at: str
    updated_at: str
    connectors: dict[str, ConnectorEntry]
    known_addresses: dict[str, str]
    events: list[Event]
    encrypted: bool = False                 # the current package is an AES-256 zip (dsar export --encrypt)

    @property
    def is_open(self) -> bool:
        """Still needs work: not delivered, and not an anonymised (finished) erasure request."""
        return self.status != "delivered" and self.anonymised_at is None

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until ``due_at`` (negative when overdue)."""
        now = now or datetime.now(UTC)
        return (self.due_at.date() - now.astimezone(UTC).date()).days

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Open and past its (possibly extended) deadline."""
        return self.is_open and (now or datetime.now(UTC)) > self.due_at

    def failed_connectors(self) -> list[str]:
        """The connectors a resume would run again."""
        return [n for n, c in self.connectors.items() if c.status in FAILED_LIKE]

    def summary_json(self, now: datetime | None = None) -> dict[str, Any]:
        """One row of ``dsar requests list --json``."""
        return {"id": self.id, "type": self.type, "status": self.status, "email": self.email,
                "received_at": iso(self.received_at), "due_at": iso(self.due_at),
                "days_left": self.days_left(now), "overdue": self.is_overdue(now), "open": self.is_open,
                "extended": self.extension_months > 0, "anonymised": self.anonymised_at is not None}

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        """The object ``dsar requests show --json`` prints."""
        return {
            **self.summary_json(now),
            "customer_number": self.customer_number,
            "original_due_at": iso(self.original_due_at),
            "extension": {"months": self.extension_months, "reason": self.extension_reason},
            "package": {"path": str(self.package) if self.package else None, "sha256": self.sha256,
                        "encrypted": self.encrypted},
            "delivery": {"to": self.delivered_to, "at": self.delivered_at, "verified_by": self.verified_by},
            "anonymised_at": self.anonymised_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "connectors": {n: c.to_json() for n, c in self.connectors.items()},
            "known_addresses": [{"address": a, "source": s} for a, s in self.known_addresses.items()],
            "events": [{"at": e.at, "actor": e.actor, "event": e.event, "detail": e.detail} for e in self.events],
        }


class Register:
    """The request register in one SQLite file; see the module docstring. Open with :meth:`open`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()   # the spool lives beside it: never relative to a later cwd

    # ------------------------------------------------------------------ opening, schema
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Register:
        """Open (creating unless ``create`` is false, and upgrading as needed) the register at ``path``
        (default: :func:`resolve_path`)."""
        register = cls(resolve_path(path))
        if not create and not register.path.is_file():
            raise RegisterError(f"register: {register.path} does not exist (check --register, $DSAR_REGISTER or "
                                "the config's [register] path)")
        register._migrate()
        return register

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Register:
        """Create a new, empty register at ``path``; an existing file is an error."""
        if Path(path).exists():
            raise RegisterError(f"register: {path} already exists")
        return cls.open(path)

    @property
    def spool_root(self) -> Path:
        """``<register dir>/spool``: one directory (0700) per request whose records are kept for a resume."""
        return self.path.parent / "spool"

    def spool_dir(self, request_id: str) -> Path:
        """Where the spooled records of ``request_id`` live until it is delivered or anonymised."""
        return self.spool_root / request_id

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise RegisterError(f"register: cannot open {self.path}: {exc}") from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"register: {self.path}: {exc}") from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise RegisterError(f"register: cannot create {self.path}: {exc.strerror}") from None
        with self._connect() as conn:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise RegisterError(f"register: {self.path} cannot use WAL mode")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                version = row[0] or 0
                if version > SCHEMA_VERSION:
                    raise RegisterError(f"register: {self.path} has schema version {version}, newer than this "
                                        f"tool knows ({SCHEMA_VERSION}): upgrade dsar-aggregator")
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[target].split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute("DELETE FROM schema_version")
                    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema version of the file."""
        with self._connect() as conn:
            return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # ------------------------------------------------------------------ reading
    def get(self, request_id: str) -> RequestEntry:
        """The request ``request_id``; raises :class:`UnknownRequest`."""
        with self._connect() as conn:
            entry = self._load(conn, request_id)
        if entry is None:
            raise UnknownRequest(f"no request {request_id!r} in the register {self.path}")
        return entry

    def list(self, *, open_only: bool = False, overdue: bool = False, due_within: int | None = None,
             now: datetime | None = None) -> list[RequestEntry]:
        """Requests sorted by due date; filters: still open, overdue, or open and due within ``due_within`` days."""
        now = now or datetime.now(UTC)
        with self._connect() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM requests ORDER BY due_at, id")]
            entries = [e for e in (self._load(conn, i) for i in ids) if e is not None]
        if open_only:
            entries = [e for e in entries if e.is_open]
        if overdue:
            entries = [e for e in entries if e.is_overdue(now)]
        if due_within is not None:
            entries = [e for e in entries if e.is_open and e.days_left(now) <= due_within]
        return entries

    def _load(self, conn: sqlite3.Connection, request_id: str) -> RequestEntry | None:
        row = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            return None
        connectors = {
            c["connector"]: ConnectorEntry(c["connector"], c["processor"], c["status"], c["records"], c["calls"],
                                           c["error"], json.loads(c["notes"]), json.loads(c["categories"]),
                                           c["started_at"], c["finished_at"], c["seconds"],
                                           coverage=json.loads(c["coverage"]), shortfalls=json.loads(c["shortfalls"]))
            for c in conn.execute("SELECT * FROM connector_outcomes WHERE request_id = ? ORDER BY connector",
                                  (request_id,))
        }
        known = {a["address"]: a["source"] for a in conn.execute(
            "SELECT address, source FROM known_addresses WHERE request_id = ? ORDER BY address", (request_id,))}
        events = [Event(e["at"], e["actor"], e["event"], e["detail"]) for e in conn.execute(
            "SELECT at, actor, event, detail FROM events WHERE request_id = ? ORDER BY id", (request_id,))]
        return RequestEntry(
            id=row["id"], type=row["type"], email=row["email"], customer_number=row["customer_number"],
            received_at=parse_iso(row["received_at"]), due_at=parse_iso(row["due_at"]),
            original_due_at=parse_iso(row["original_due_at"] or row["due_at"]),
            extension_months=row["extension_months"], extension_reason=row["extension_reason"],
            status=row["status"], package=Path(row["package_path"]) if row["package_path"] else None,
            sha256=row["package_sha256"], delivered_to=row["delivered_to"], delivered_at=row["delivered_at"],
            verified_by=row["verified_by"], anonymised_at=row["anonymised_at"], created_at=row["created_at"],
            updated_at=row["updated_at"], connectors=connectors, known_addresses=known, events=events,
            encrypted=bool(row["package_encrypted"]))

    # ------------------------------------------------------------------ writing (used by export and resume)
    @staticmethod
    def _event(conn: sqlite3.Connection, request_id: str, event: str, actor: str | None,
               detail: str | None = None, at: datetime | None = None) -> str:
        stamp = iso(at or datetime.now(UTC))
        conn.execute("INSERT INTO events (request_id, at, actor, event, detail) VALUES (?, ?, ?, ?, ?)",
                     (request_id, stamp, actor or default_actor(), event, detail))
        conn.execute("UPDATE requests SET updated_at = ? WHERE id = ?", (stamp, request_id))
        return stamp

    def _require(self, conn: sqlite3.Connection, request_id: str) -> RequestEntry:
        entry = self._load(conn, request_id)
        if entry is None:
            raise UnknownRequest(f"no request {request_id!r} in the register {self.path}")
        return entry

    def start(self, request_id: str, *, request_type: str, email: str, customer_number: str | None,
              received_at: datetime, response_days: int, received_given: bool = False,
              actor: str | None = None) -> RequestEntry:
        """Record a new request, or attach a new export run to an existing one; marks it ``in_progress``."""
        if request_type not in TYPES:
            raise RegisterError(f"request type must be one of {', '.join(TYPES)}, not {request_type!r}")
        with self._transaction() as conn:
            entry = self._load(conn, request_id)
            if entry is None:
                due = received_at + timedelta(days=response_days)
                now = iso(datetime.now(UTC))
                conn.execute(
                    "INSERT INTO requests (id, type, email, customer_number, received_at, due_at, original_due_at, "
                    "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)",
                    (request_id, request_type, email, customer_number, iso(received_at), iso(due), iso(due),
                     now, now))
                self._event(conn, request_id, "received", actor, f"{request_type} request, due {iso(due)}")
            else:
                if entry.anonymised_at or entry.status == "delivered":
                    state = "anonymised" if entry.anonymised_at else "delivered"
                    raise RegisterError(f"request {request_id} is {state}: start a new request instead")
                if entry.email != email:
                    raise RegisterError(f"request {request_id} is about another e-mail address")
                if received_given and entry.received_at != received_at:
                    raise RegisterError(f"request {request_id} was received at {iso(entry.received_at)}; "
                                        "--received-at cannot change it")
            conn.execute("UPDATE requests SET status = 'in_progress' WHERE id = ?", (request_id,))
            self._event(conn, request_id, "export_started", actor)
            return self._require(conn, request_id)

    def finish(self, request_id: str, *, outcomes: Mapping[str, Any], status: str, package: Path, sha256: str,
               known_addresses: Mapping[str, str], event: str = "export_finished",
               actor: str | None = None, encrypted: bool = False) -> RequestEntry:
        """Record a finished run: every connector's outcome, the package (``encrypted``: an AES-256 zip, see
        aggregator/encrypt.py) and the addresses found."""
        with self._transaction() as conn:
            self._require(conn, request_id)
            conn.execute("DELETE FROM connector_outcomes WHERE request_id = ?", (request_id,))
            for name, o in outcomes.items():
                conn.execute(
                    "INSERT INTO connector_outcomes (request_id, connector, processor, status, records, calls, "
                    "error, notes, categories, started_at, finished_at, seconds, coverage, shortfalls) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (request_id, name, o.processor, str(o.status), o.records, o.calls, o.error,
                     json.dumps(list(o.notes), ensure_ascii=False), json.dumps(dict(o.categories)), o.started_at,
                     o.finished_at, o.seconds, json.dumps(list(o.coverage), ensure_ascii=False),
                     json.dumps(list(o.shortfalls), ensure_ascii=False)))
            for address, source in known_addresses.items():
                conn.execute("INSERT OR IGNORE INTO known_addresses (request_id, address, source) VALUES (?, ?, ?)",
                             (request_id, address, source))
            conn.execute("UPDATE requests SET status = ?, package_path = ?, package_sha256 = ?, package_encrypted = ? "
                         "WHERE id = ?", (status, str(package), sha256, int(encrypted), request_id))
            counts = ", ".join(f"{n} {o.status} {o.records}" for n, o in outcomes.items()
                               if str(o.status) not in NOT_RUN)
            sealed = "; encrypted (AES-256, passphrase sent separately)" if encrypted else ""
            self._event(conn, request_id, event, actor, f"{status}: {counts}; sha256 {sha256}{sealed}")
            return self._require(conn, request_id)

    def fail(self, request_id: str, reason: str, *, actor: str | None = None) -> None:
        """Record a run that ended without a package (interrupted, or an unexpected error)."""
        with self._transaction() as conn:
            if self._load(conn, request_id) is not None:
                conn.execute("UPDATE requests SET status = 'failed' WHERE id = ?", (request_id,))
                self._event(conn, request_id, "export_failed", actor, reason)

    def mark_resuming(self, request_id: str, connectors: Sequence[str], *, actor: str | None = None) -> None:
        """Record that a resume of ``connectors`` started."""
        with self._transaction() as conn:
            conn.execute("UPDATE requests SET status = 'in_progress' WHERE id = ?", (request_id,))
            self._event(conn, request_id, "resume_started", actor, ", ".join(connectors))

    def receive(self, request_id: str, *, request_type: str, email: str, customer_number: str | None,
                received_at: datetime, response_days: int, actor: str | None = None) -> RequestEntry:
        """Record a new request that is queued but not yet running (status ``received``); an existing id is an
        error. Its export later attaches to it through :meth:`start`."""
        if request_type not in TYPES:
            raise RegisterError(f"request type must be one of {', '.join(TYPES)}, not {request_type!r}")
        with self._transaction() as conn:
            if self._load(conn, request_id) is not None:
                raise RegisterError(f"request {request_id} already exists")
            due = received_at + timedelta(days=response_days)
            now = iso(datetime.now(UTC))
            conn.execute(
                "INSERT INTO requests (id, type, email, customer_number, received_at, due_at, original_due_at, "
                "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)",
                (request_id, request_type, email, customer_number, iso(received_at), iso(due), iso(due), now, now))
            self._event(conn, request_id, "received", actor, f"{request_type} request, due {iso(due)}")
            return self._require(conn, request_id)

    def note(self, request_id: str, event: str, detail: str | None = None, *, actor: str | None = None) -> None:
        """Add one line to the request's audit trail."""
        with self._transaction() as conn:
            self._require(conn, request_id)
            self._event(conn, request_id, event, actor, detail)

    def record_use(self, request_id: str, event: str, key: str, limit: int, *, actor: str | None = None) -> int:
        """Record one more use of ``key`` as ``event`` (detail ``"<key> use n of limit"``) unless ``limit`` uses
        are recorded already; returns n, or 0 when used up. Counting and recording are one transaction."""
        with self._transaction() as conn:
            self._require(conn, request_id)
            used = conn.execute("SELECT COUNT(*) FROM events WHERE request_id = ? AND event = ? AND detail LIKE ?",
                                (request_id, event, f"{key} use %")).fetchone()[0]
            if used >= limit:
                return 0
            self._event(conn, request_id, event, actor, f"{key} use {used + 1} of {limit}")
            return int(used) + 1

    # ------------------------------------------------------------------ the officer's operations
    def extend(self, request_id: str, months: int, reason: str, *, actor: str | None = None,
               now: datetime | None = None) -> RequestEntry:
        """Extend the deadline by ``months`` (Art. 12(3): at most two in total, with a reason, only before the
        original deadline has passed); ``due_at`` moves."""
        now = now or datetime.now(UTC)
        if months not in (1, 2):
            raise RegisterError("an extension is 1 or 2 months")
        if not reason or not reason.strip():
            raise RegisterError("an extension needs a reason (it must be told to the data subject)")
        with self._transaction() as conn:
            entry = self._require(conn, request_id)
            if not entry.is_open:
                raise RegisterError(f"request {request_id} is closed ({entry.status})")
            if now > entry.original_due_at:
                raise RegisterError(f"request {request_id}: the original deadline {iso(entry.original_due_at)} has "
                                    "passed; it can no longer be extended")
            total = entry.extension_months + months
            if total > MAX_EXTENSION_MONTHS:
                raise RegisterError(f"request {request_id} is already extended by {entry.extension_months} month(s); "
                                    f"at most {MAX_EXTENSION_MONTHS} in total")
            due = add_months(entry.original_due_at, total)
            conn.execute("UPDATE requests SET extension_months = ?, extension_reason = ?, due_at = ? WHERE id = ?",
                         (total, reason.strip(), iso(due), request_id))
            self._event(conn, request_id, "extended", actor, f"+{months} month(s), due {iso(due)}", at=now)
            return self._require(conn, request_id)

    def deliver(self, request_id: str, to: str, *, verified_by: str | None = None,
                actor: str | None = None) -> RequestEntry:
        """Record that the package goes to ``to``; refused (:class:`DeliveryRefused`) for an address the shop
        does not know for this subject unless ``verified_by`` says how the recipient's identity was checked."""
        from aggregator.delivery import check_recipient

        entry = self.get(request_id)
        if entry.anonymised_at or entry.status not in ("complete", "partial"):
            state = "anonymised" if entry.anonymised_at else entry.status
            raise RegisterError(f"request {request_id} is {state}: only a complete or partial package is delivered")
        if entry.package is None or not entry.package.is_file():
            raise RegisterError(f"request {request_id}: the package {entry.package} is missing")
        address, how = check_recipient(to, entry.known_addresses, verified_by)
        if _sha256(entry.package) != entry.sha256:
            raise RegisterError(f"request {request_id}: {entry.package} no longer matches the recorded sha256")
        with self.lock(request_id), self._transaction() as conn:
            current = self._require(conn, request_id)
            if current.status not in ("complete", "partial") or current.sha256 != entry.sha256:
                raise RegisterError(f"request {request_id} changed meanwhile ({current.status}); try again")
            stamp = iso(datetime.now(UTC))
            conn.execute("UPDATE requests SET status = 'delivered', delivered_to = ?, delivered_at = ?, "
                         "verified_by = ? WHERE id = ?", (address, stamp, how, request_id))
            self._event(conn, request_id, "delivered", actor, f"verified: {how}; sha256 {entry.sha256}")
            result = self._require(conn, request_id)
        self.discard_spool(request_id)
        return result

    def resume(self, request_id: str, *, config: Config | str | os.PathLike[str] | None = None,
               out_dir: str | os.PathLike[str] | None = None, actor: str | None = None,
               **kwargs: Any) -> ExportResult:
        """Re-run only the connectors that failed, rebuild the package (same id, new sha256) and record it;
        returns the :class:`aggregator.api.ExportResult`. Extra keyword arguments go to the runner
        (``progress``, ``plugins``, ``entry_points``, ``sleep``)."""
        from aggregator.requests_api import resume

        return resume(self, request_id, config=config, out_dir=out_dir, actor=actor, **kwargs)

    def anonymise(self, request_id: str, *, actor: str | None = None) -> RequestEntry:
        """Remove everything personal from the entry (e-mail, customer number, package path, addresses, free
        text), keeping type, dates, status, processors and counts; the database file is vacuumed so the bytes
        are gone too, and the request's spool is deleted."""
        with self.lock(request_id):
            return self._anonymise(request_id, actor=actor)

    def _anonymise(self, request_id: str, *, actor: str | None = None) -> RequestEntry:
        """:meth:`anonymise` for a caller that already holds the request's lock."""
        with self._transaction() as conn:
            entry = self._require(conn, request_id)
            if entry.status == "in_progress":
                raise RegisterError(f"request {request_id} is in progress")
            conn.execute("UPDATE requests SET email = NULL, customer_number = NULL, package_path = NULL, "
                         "delivered_to = NULL, verified_by = NULL, extension_reason = NULL, anonymised_at = ? "
                         "WHERE id = ?", (iso(datetime.now(UTC)), request_id))
            conn.execute("UPDATE connector_outcomes SET error = NULL, notes = '[]' WHERE request_id = ?",
                         (request_id,))
            conn.execute("DELETE FROM known_addresses WHERE request_id = ?", (request_id,))
            conn.execute("UPDATE events SET detail = NULL WHERE request_id = ?", (request_id,))
            self._event(conn, request_id, "anonymised", actor)
        self.discard_spool(request_id)
        self.compact()
        return self.get(request_id)

    def compact(self) -> None:
        """VACUUM and truncate the WAL, so no freed page keeps removed bytes."""
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ the spool beside the register
    @contextlib.contextmanager
    def lock(self, request_id: str) -> Iterator[None]:
        """Hold the request's run lock (one export, resume, delivery or anonymisation at a time per request;
        released by the OS should the process die)."""
        self.spool_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.spool_root / f"{request_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RequestBusy(f"request {request_id} is being processed by another run; try again later") from None
            yield
        finally:
            os.close(fd)

    def expire_spools(self, *, grace_days: int = SPOOL_GRACE_DAYS, now: datetime | None = None,
                      actor: str | None = None) -> builtins.list[str]:
        """Delete the spools of requests that are closed, or more than ``grace_days`` past both their deadline and
        their last activity (their records are personal data kept only for a resume); returns the request ids
        whose spool went."""
        now = now or datetime.now(UTC)
        if not self.spool_root.is_dir():
            return []
        gone = []
        with self._connect() as conn:
            for folder in sorted(p for p in self.spool_root.iterdir() if p.is_dir()):
                entry = self._load(conn, folder.name)
                last = max(entry.due_at, parse_iso(entry.updated_at)) if entry is not None else now
                if entry is not None and entry.is_open and now <= last + timedelta(days=grace_days):
                    continue
                if entry is not None and entry.status == "in_progress":
                    continue
                why = f"{grace_days} days past the deadline and the last activity" if entry and entry.is_open \
                    else "request closed"
                gone.append((folder.name, why))
        expired = []
        for request_id, why in gone:
            try:
                with self.lock(request_id):
                    self.discard_spool(request_id)
                    with self._transaction() as conn:
                        if self._load(conn, request_id) is not None:
                            self._event(conn, request_id, "spool_expired", actor, f"spooled records deleted: {why}")
                expired.append(request_id)
            except RequestBusy:
                continue
        return expired

    def discard_spool(self, request_id: str) -> None:
        """Delete the request's spooled records (after delivery or anonymisation)."""
        shutil.rmtree(self.spool_dir(request_id), ignore_errors=True)


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["ConnectorEntry", "Event", "Register", "RequestEntry", "add_months", "default_path", "resolve_path"]
