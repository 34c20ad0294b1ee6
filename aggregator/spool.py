"""Records spooled to disk as they arrive, one directory per connector and one JSON-lines file per
category × processor in it, so memory stays flat however much a processor holds about one customer, and a
later run can replace one connector's records (resume of a failed connector) without touching the others'."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from aggregator.model import Attachment, Record


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._handles: dict[tuple[str, str, str], TextIO] = {}
        self._counts: dict[tuple[str, str, str], int] = {}   # (connector, category, processor) -> records
        self._lock = threading.Lock()
        self.attachments: list[tuple[str, str, str, Path]] = []  # (connector, processor, category, path)

    def _file(self, connector: str, category: str, processor: str) -> Path:
        return self.directory / connector / f"{category}__{processor}.jsonl"

    def write(self, record: Record) -> None:
        key = (record.connector, record.category, record.processor)
        line = json.dumps(record.to_json(), ensure_ascii=False, default=str)
        with self._lock:
            handle = self._handles.get(key)
            if handle is None:
                path = self._file(*key)
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = self._handles[key] = path.open("a", encoding="utf-8")
                self._counts[key] = 0
            handle.write(line + "\n")
            self._counts[key] += 1

    def attach(self, connector: str, processor: str, attachment: Attachment) -> str:
        """Store a file for the package; returns its path there (names made safe and unique per processor)."""
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.filename)[:120].strip(".")
        safe = safe or "file"
        stem, dot, ext = safe.rpartition(".") if "." in safe.strip(".") else (safe, "", "")
        with self._lock:
            taken = {p.name for (_, proc, _, p) in self.attachments if proc == processor}
            name, n = safe, 1
            while name in taken:
                n += 1
                name = f"{stem}-{n}{dot}{ext}"
            path = self.directory / connector / "attachments" / processor / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(attachment.content)
            self.attachments.append((connector, processor, attachment.category, path))
        return f"attachments/{processor}/{name}"

    def close(self) -> None:
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
        with self._lock:
            connectors = sorted(c for (c, cat, proc) in self._counts if cat == category and proc == processor)
        for connector in connectors:
            with self._file(connector, category, processor).open(encoding="utf-8") as fh:
                for line in fh:
                    yield json.loads(line)
