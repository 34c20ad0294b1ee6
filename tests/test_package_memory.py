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
from aggregator.package import _BLOCK, FileList, _blocks, _manifest_json, _Writer

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


class _Member:
    """A zip member that records what is written into it."""

    def __init__(self, got: list[bytes]) -> None:
        self.got = got

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def write(self, data: bytes) -> int:
        self.got.append(data)
        return len(data)


class _Zip:
    def __init__(self) -> None:
        self.got: list[bytes] = []

    def open(self, path: str, mode: str) -> _Member:
        return _Member(self.got)


def test_a_whole_page_reaches_the_zip_as_it_is_and_tiny_chunks_in_blocks(tmp_path: Path) -> None:
    """A chunk of a block or more (a rendered page) is written as it is, not copied into the block buffer and out
    again; the template's tiny chunks are gathered into blocks; the member holds everything in order."""
    page = b"p" * (_BLOCK * 3)
    tiny = [b"t" * 10] * (_BLOCK // 10 + 5)
    chunks = [*tiny, page, page, b"end"]
    zf, files = _Zip(), FileList(tmp_path)
    _Writer(zf, files).write("pages/orders.html", iter(chunks), format="html")  # type: ignore[arg-type]
    assert b"".join(zf.got) == b"".join(chunks)
    assert any(part is page for part in zf.got)                 # the page itself, not a copy
    assert all(len(part) >= _BLOCK for part in zf.got[:1])      # the tiny ones went out as one block
    assert [f["bytes"] for f in files] == [len(b"".join(chunks))]
    files.close()


def test_an_attachment_is_read_a_block_at_a_time(tmp_path: Path) -> None:
    """An attachment goes into the zip in 64 KiB blocks, never read whole (an e-mail's may be tens of MB)."""
    content = os.urandom(_BLOCK * 2 + 123)
    path = tmp_path / "factuur.pdf"
    path.write_bytes(content)
    blocks = list(_blocks(path))
    assert max(len(b) for b in blocks) == _BLOCK and len(blocks) == 3 and b"".join(blocks) == content
    (tmp_path / "leeg.txt").write_bytes(b"")
    assert list(_blocks(tmp_path / "leeg.txt")) == []
