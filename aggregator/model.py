"""The shared vocabulary of one export: records, attachments, connector outcomes and their status, and the one
time helper. It imports nothing else from the project, so the runner, the package writer, the renderer, the
CLI and every connector can depend on it without depending on each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def iso(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with a ``Z`` and whole seconds (``2026-11-30T10:15:00Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utcnow() -> str:
    """Now, as :func:`iso` writes it."""
    return iso(datetime.now(UTC))


class Status(StrEnum):
    """What became of one connector in one run."""

    COMPLETE = "complete"              # every search it needs ran to its natural end
    INCOMPLETE = "incomplete"          # it answered, but a search was cut short (a cap, a budget, a limit)
    FAILED = "failed"                  # it could not be queried (one-line reason in ``Outcome.error``)
    NOT_CONFIGURED = "not_configured"  # no [connectors.<name>] section
    SKIPPED = "skipped"                # left out on purpose (``--only``)

    @property
    def gap(self) -> bool:
        """True when this status leaves the package short of what the processor holds."""
        return self in (Status.INCOMPLETE, Status.FAILED)


@dataclass(frozen=True)
class Record:
    """One piece of personal data, with where it came from."""

    connector: str
    processor: str
    category: str
    dataset: str                      # what kind of object: "order", "order_line", "member", "message"
    data: Mapping[str, Any]
    endpoint: str                     # "GET /nl/orders.json?customer=…" (no secrets, no host)
    vendor_id: str | None = None
    retrieved_at: str = field(default_factory=utcnow)
    third_parties: tuple[str, ...] = ()   # other people's addresses found in ``data`` (to redact later)

    def to_json(self) -> dict[str, Any]:
        """The record as it is spooled and written to the package."""
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "source": {"processor": self.processor, "connector": self.connector, "endpoint": self.endpoint,
                       "vendor_id": self.vendor_id, "retrieved_at": self.retrieved_at},
            "data": self.data,
        }
        if self.third_parties:
            out["third_parties"] = list(self.third_parties)
        return out


@dataclass
class Attachment:
    """A file for the package (an invoice PDF), filed under a category."""

    category: str
    filename: str
    content: bytes


@dataclass
class Outcome:
    """One connector's result in one run: its status, counts, reason and notes."""

    name: str
    processor: str
    status: Status
    records: int = 0
    error: str | None = None
    calls: int = 0
    notes: list[str] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    coverage: list[str] = field(default_factory=list)   # what was searched, one line per search
    shortfalls: list[str] = field(default_factory=list)  # each search cut short, with what it did not cover
    undeclared: list[str] = field(default_factory=list)  # "dataset: field.path" a vendor sent undeclared
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None


def overall_status(outcomes: Mapping[str, Outcome]) -> str:
    """``partial`` when any connector failed or was cut short, else ``complete``."""
    return "partial" if any(Status(o.status).gap for o in outcomes.values()) else "complete"
