"""The packaging stage keeps what grows with the data on disk (issue 21): the manifest's list of files, the
manifest.json written from it an entry at a time, the calendar's events until the e-mails are written."""

from __future__ import annotations

import json
import os
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator import formats
from aggregator.package import FileList, _manifest_json

STAMP = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class _Entry(dict):  # type: ignore[type-arg]
    """A file entry that can be watched (a plain dict takes no weak reference)."""

    __slots__ = ("__weakref__",)


def _files(n: int) -> list[dict[str, Any]]:
    return [{"path": f"formats/mail/info/2026-01-0{i % 9 + 1}_{i:010x}.eml", "bytes": i, "sha256": f"{i:064x}",
             "category": "communications", "processor": "microsoft", "format": "eml"} for i in range(n)]


def test_the_file_list_reads_back_what_was_listed_and_leaves_no_named_file(tmp_path: Path) -> None:
    listed = [{"path": "data/orders/lightspeed.json", "bytes": 10, "sha256": "a" * 64, "category": "orders",
               "processor": "lightspeed", "records": 3},
              {"path": "attachments/microsoft/factuur é\u2028.pdf", "bytes": 5, "sha256": "b" * 64,
               "category": "communications", "processor": "microsoft"},
              *_files(3)]
    files = FileList(tmp_path)
    for entry in listed:
        files.append(entry)
    assert os.listdir(tmp_path) == []                       # unnamed: nothing of the customer's left behind
    assert list(files) == listed and list(files) == listed  # read again and again, in order
    assert len(files) == 5 and files.exts == {"json", "pdf", "eml"} and files.attachments
    assert [f["path"] for f in files.data] == ["data/orders/lightspeed.json"]
    files.close()


def test_manifest_json_is_json_dumps_of_the_whole_manifest() -> None:
    manifest = {"schema_version": "1.0", "identifiers": {"files": ["\u0000files x\u0000"], "order": ["1", "2"]},
                "files": [], "language": "nl", "redaction": {"enabled": True}}
    for n in (0, 1, 7):
        entries = _files(n)
        whole = json.dumps({**manifest, "files": entries}, ensure_ascii=False, indent=2).encode("utf-8")
        assert b"".join(_manifest_json(manifest, iter(entries))) == whole


def test_manifest_json_holds_a_few_entries_at_a_time() -> None:
    """Fed by a generator, the writer keeps no list of entries: at every block it hands on, at most a block's
    worth of entries are alive (a list of all 5,000 would keep every one)."""
    made = gone = 0

    def forget() -> None:
        nonlocal gone
        gone += 1

    def entries() -> Any:
        nonlocal made
        for entry in _files(5000):
            made += 1
            watched = _Entry(entry)
            weakref.finalize(watched, forget)
            yield watched

    most = 0
    blocks = 0
    for _ in _manifest_json({"schema_version": "1.0", "files": []}, entries()):
        blocks += 1
        most = max(most, made - gone)
    assert made == 5000 and blocks > 10 and most <= 2


def test_the_calendar_streams_from_its_scratch_file_as_icalendar_writes_it(tmp_path: Path) -> None:
    events = [{"id": f"e{i}", "subject": f"Afspraak {i}", "start": {"dateTime": f"2026-0{i % 9 + 1}-02T10:00:00",
               "timeZone": "UTC"}, "end": {"dateTime": f"2026-0{i % 9 + 1}-02T11:00:00", "timeZone": "UTC"},
               "attendees": [], "body": {"content": "a;b,c\nd"}} for i in range(30)]
    events.append({"id": "nostart", "start": {}, "end": {}, "attendees": []})

    class Spool:
        attachments: list[Any] = []

        def groups(self) -> list[tuple[str, str, int]]:
            return [("communications", "microsoft", len(events))]

        def read(self, category: str, processor: str) -> Any:
            for data in events:
                yield {"data": data, "source": {}, "dataset": "event"}

    written = {name: b"".join(chunks) for name, chunks, _ in formats.files(Spool(), "a@b.be", STAMP, tmp_path)}
    assert written == {formats.ICS_PATH: formats.icalendar(events, STAMP)}
    assert written[formats.ICS_PATH].count(b"BEGIN:VEVENT") == 30 and os.listdir(tmp_path) == []
    events[:] = events[-1:]                                   # no event with a start: no calendar at all
    assert [name for name, _, _ in formats.files(Spool(), "a@b.be", STAMP, tmp_path)] == []
