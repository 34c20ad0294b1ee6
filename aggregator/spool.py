"""Records spooled to disk as they arrive, one directory per connector and one JSON-lines file per
category × processor in it, so memory stays flat however much a processor holds about one customer, and a
later run can replace one connector's records (resume of a failed connector) without touching the others'.

Directories are created 0700 and files 0600. Opening an existing directory rebuilds the counts and the
attachment list from the files, so a spool survives the process that wrote it (folders whose name starts with a
dot are a reader's scratch space, e.g. the redacted view's, not a connector's)."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, TextIO, cast

from aggregator.model import Attachment, Record

_ATTACHMENTS = "attachments.jsonl"   # per connector: one line per attachment (processor, category, name)


def _mkdir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def open_private(path: Path, mode: str) -> TextIO:
    """Open ``path`` for appending or writing text, creating it with mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    return cast(TextIO, open(os.open(path, flags, 0o600), mode, encoding="utf-8"))   # the caller closes it


class Records(Protocol):
    """What the package writer reads: the spool itself or a redacted view of it."""

    @property
    def attachments(self) -> list[tuple[str, str, str, Path]]:
        """(connector, processor, category, path) of every attachment."""

    def groups(self) -> list[tuple[str, str, int]]:
        """(category, processor, record count), sorted."""

    def read(self, category: str, processor: str) -> Iterator[dict[str, Any]]:
        """Every record of one category × processor."""


def entries(records: Records, category: str, processor: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every record of one group with its JSON text (``json.dumps``, one line): the reader's own when it keeps
    one (the redacted view), else encoded here."""
    own = getattr(records, "entries", None)
    if own is not None:
        yield from own(category, processor)
        return
    for record in records.read(category, processor):
        yield json.dumps(record, ensure_ascii=False), record


class Spool:
    """The run's records on disk, one JSON-lines file per connector × category × processor."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        _mkdir(self.directory)
        self._handles: dict[tuple[str, str, str], TextIO] = {}
        self._counts: dict[tuple[str, str, str], int] = {}   # (connector, category, processor) -> records
        self._lock = threading.Lock()
        self.attachments: list[tuple[str, str, str, Path]] = []  # (connector, processor, category, path)
        self._taken: dict[str, set[str]] = {}      # processor -> attachment names in use (built on first attach)
        self._reload()

    def _reload(self) -> None:
        """Rebuild counts and attachments from what an earlier run left in the directory."""
        for folder in sorted(p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
            connector = folder.name
            for file in sorted(folder.glob("*__*.jsonl")):
                category, _, processor = file.stem.partition("__")
                with file.open("rb") as fh:
                    self._counts[(connector, category, processor)] = sum(1 for line in fh if line.strip())
            index = folder / _ATTACHMENTS
            if index.is_file():
                for line in index.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        entry = json.loads(line)
                        path = folder / "attachments" / entry["processor"] / entry["name"]
                        self.attachments.append((connector, entry["processor"], entry["category"], path))

    def _file(self, connector: str, category: str, processor: str) -> Path:
        return self.directory / connector / f"{category}__{processor}.jsonl"

    def write(self, record: Record) -> None:
        """Append one record to its connector's file (thread-safe)."""
        key = (record.connector, record.category, record.processor)
        line = json.dumps(record.to_json(), ensure_ascii=False, default=str)
        with self._lock:
            handle = self._handles.get(key)
            if handle is None:
                path = self._file(*key)
                _mkdir(path.parent)
                handle = self._handles[key] = open_private(path, "a")
                self._counts.setdefault(key, 0)
            handle.write(line + "\n")
            self._counts[key] += 1

    def attach(self, connector: str, processor: str, attachment: Attachment) -> str:
        """Store a file for the package; returns its path there (names made safe and unique per processor)."""
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.filename)[:120].strip(".")
        safe = safe or "file"
        stem, dot, ext = safe.rpartition(".") if "." in safe.strip(".") else (safe, "", "")
        with self._lock:
            taken = self._taken.setdefault(processor, {p.name for (_, proc, _, p) in self.attachments
                                                       if proc == processor})
            name, n = safe, 1
            while name in taken:
                n += 1
                name = f"{stem}-{n}{dot}{ext}"
            path = self.directory / connector / "attachments" / processor / name
            _mkdir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(attachment.content)
            with open_private(self.directory / connector / _ATTACHMENTS, "a") as index:
                index.write(json.dumps({"processor": processor, "category": attachment.category, "name": name})
                            + "\n")
            self.attachments.append((connector, processor, attachment.category, path))
            taken.add(name)
        return f"attachments/{processor}/{name}"

    def discard(self, connector: str) -> None:
        """Forget everything ``connector`` spooled (before it is run again)."""
        with self._lock:
            for key in [k for k in self._handles if k[0] == connector]:
                self._handles.pop(key).close()
            for key in [k for k in self._counts if k[0] == connector]:
                del self._counts[key]
            self.attachments = [a for a in self.attachments if a[0] != connector]
            self._taken.clear()
            shutil.rmtree(self.directory / connector, ignore_errors=True)

    def connectors(self) -> list[str]:
        """The connectors that spooled at least one record or attachment."""
        with self._lock:
            return sorted({k[0] for k in self._counts} | {a[0] for a in self.attachments})

    def close(self) -> None:
        """Close every open file; reading goes on from disk."""
        with self._lock:
            for handle in self._handles.values():
                handle.close()
            self._handles.clear()

    def groups(self) -> list[tuple[str, str, int]]:
        """(category, processor, record count) over every connector, sorted."""
        totals: dict[tuple[str, str], int] = {}
        with self._lock:
            for (_, category, processor), n in self._counts.items():
                totals[(category, processor)] = totals.get((category, processor), 0) + n
        return sorted((c, p, n) for (c, p), n in totals.items())

    def read(self, category: str, processor: str) -> Iterator[dict[str, Any]]:
        """Every record of one category × processor, connector by connector (in name order)."""
        for line in self.lines(category, processor):
            yield json.loads(line)

    def lines(self, category: str, processor: str) -> Iterator[str]:
        """The same records as :meth:`read`, each as its JSON line (for a reader that can skip most unparsed)."""
        with self._lock:
            connectors = sorted(c for (c, cat, proc) in self._counts if cat == category and proc == processor)
        for connector in connectors:
            with self._file(connector, category, processor).open(encoding="utf-8") as fh:
                yield from fh
