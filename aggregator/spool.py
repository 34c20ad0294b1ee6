"""Records spooled to disk as they arrive: one JSON-lines file per category × processor, so memory stays
flat however much a processor holds about one customer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from aggregator.connector import Attachment, Record


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._handles: dict[tuple[str, str], TextIO] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.attachments: list[tuple[str, str, Path]] = []  # (processor, category, path)

    def write(self, record: Record) -> None:
        key = (record.category, record.processor)
        line = json.dumps(record.to_json(), ensure_ascii=False, default=str)
        with self._lock:
            handle = self._handles.get(key)
            if handle is None:
                path = self.directory / f"{record.category}__{record.processor}.jsonl"
                handle = self._handles[key] = path.open("a", encoding="utf-8")
                self._counts[key] = 0
            handle.write(line + "\n")
            self._counts[key] += 1

    def attach(self, processor: str, attachment: Attachment) -> None:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.filename)[:120] or "file"
        path = self.directory / "attachments" / processor / safe
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(attachment.content)
        with self._lock:
            self.attachments.append((processor, attachment.category, path))

    def close(self) -> None:
        with self._lock:
            for handle in self._handles.values():
                handle.close()
            self._handles.clear()

    def groups(self) -> list[tuple[str, str, int]]:
        """(category, processor, record count), sorted."""
        with self._lock:
            return sorted((c, p, n) for (c, p), n in self._counts.items())

    def read(self, category: str, processor: str) -> Iterator[dict[str, Any]]:
        path = self.directory / f"{category}__{processor}.jsonl"
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)
