"""The portability package: one zip holding manifest.json, index.html and data/<category>/<processor>.json
(+ .csv where the records are flat), written to a temporary name, then renamed, with file mode 0600."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from aggregator import formats, i18n, render
from aggregator.categories import CATEGORIES
from aggregator.errors import InputError
from aggregator.model import Outcome, Status, iso
from aggregator.processors import Processor
from aggregator.redact import RecordRedactor, RedactedSpool
from aggregator.render import Readable, cards
from aggregator.spool import Records, Spool, entries
from aggregator.subject import Subject

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class RequestInfo:
    """The request the package answers: its id, subject, controller, dates and status."""

    request_id: str
    subject: Subject
    controller: Mapping[str, Any]
    received_at: datetime
    due_at: datetime
    status: str


def _publish(partial: Path, out_dir: Path, request_id: str, supersede: Path | None) -> Path:
    """Give the finished zip its name atomically: replace ``supersede``, or claim a free name with a hard link
    (which fails if another run claimed it first), so two runs never write over each other."""
    if supersede is not None:
        os.replace(partial, supersede)
        return supersede
    while True:
        final = package_path(out_dir, request_id)
        try:
            os.link(partial, final)
        except FileExistsError:
            continue
        except OSError:                     # no hard links on this filesystem: claim the name, then move in
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                continue
            os.replace(partial, final)
            return final
        partial.unlink()
        return final


def package_path(out_dir: Path, request_id: str) -> Path:
    """Where a new package of ``request_id`` goes: ``dsar-<id>.zip``, or, when that exists, the first free
    ``dsar-<id>-<n>.zip``. A directory or link in the way is an error (checked before any request)."""
    first = out_dir / f"dsar-{request_id}.zip"
    if first.is_dir() or first.is_symlink():
        raise InputError(f"the package path {first} is a directory or a link; remove it or choose another --out")
    if not first.exists():
        return first
    n = 2
    while (candidate := out_dir / f"dsar-{request_id}-{n}.zip").exists() or candidate.is_symlink():
        n += 1
    return candidate


class _Hashing(io.RawIOBase):
    """Counts and hashes what is written through it into a zip member."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)


_BLOCK = 1 << 16


class FileList:
    """The manifest's list of files, kept on disk as it grows (one JSON line per file in an unnamed scratch file,
    0600, gone when closed): a package of tens of thousands of e-mails lists as many files, and only their
    count, their extensions and the data files (a few per category) stay in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)
        self._end = 0
        self.count = 0
        self.exts: set[str] = set()                       # every listed file's extension, lower case
        self.data: list[dict[str, Any]] = []              # the entries of data/<category>/<processor>.json|csv
        self.attachments = False                          # any file under attachments/
        self._shared: dict[str, str] = {}                 # keys and short values (category, processor, format)

    def __len__(self) -> int:
        return self.count

    def append(self, entry: dict[str, Any]) -> None:
        """List one file (its entry as the manifest shows it)."""
        line = json.dumps(entry).encode("ascii") + b"\n"        # escaped: any text round-trips
        os.pwrite(self._file.fileno(), line, self._end)
        self._end += len(line)
        self.count += 1
        path = str(entry["path"])
        self.exts.add(path.rsplit(".", 1)[-1].lower())
        if path.startswith("data/"):
            self.data.append(entry)
        elif path.startswith("attachments/"):
            self.attachments = True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every entry, in the order listed (those listed up to this call)."""
        end, offset, rest = self._end, 0, b""
        while offset < end:
            block = os.pread(self._file.fileno(), min(_BLOCK, end - offset), offset)
            offset += len(block)
            *lines, rest = (rest + block).split(b"\n")
            for line in lines:
                yield self._entry(line)

    def _entry(self, line: bytes) -> dict[str, Any]:
        """One entry read back, its keys and short values shared with the other entries' (one copy each)."""
        shared = self._shared
        return {shared.setdefault(k, k): v if k in ("path", "sha256") or not isinstance(v, str)
                else shared.setdefault(v, v) for k, v in json.loads(line).items()}

    def close(self) -> None:
        """Drop the scratch file."""
        self._file.close()


class _Writer:
    def __init__(self, zf: ZipFile, files: FileList) -> None:
        self.zf = zf
        self.files = files

    def write(self, path: str, chunks: Iterable[bytes], **meta: Any) -> None:
        with self.zf.open(path, "w") as member:
            sink = _Hashing(member)
            buffer = bytearray()            # a template yields thousands of tiny chunks: write in 64 KiB blocks
            for chunk in chunks:
                if not buffer and len(chunk) >= _BLOCK:     # a whole page or file: as it is, not copied twice
                    sink.write(chunk)
                    continue
                buffer += chunk
                if len(buffer) >= _BLOCK:
                    sink.write(bytes(buffer))
                    buffer.clear()
            if buffer:
                sink.write(bytes(buffer))
        self.files.append({"path": path, "bytes": sink.size, "sha256": sink.sha.hexdigest(), **meta})


@dataclass
class _Columns:
    """A group's CSV columns, gathered while its JSON is written: the union of data keys, while all are flat."""

    flat: bool = True
    keys: dict[str, None] = field(default_factory=dict)

    def see(self, data: Mapping[str, Any]) -> None:
        """Take one record's data into account."""
        for key, value in data.items():
            if isinstance(value, dict | list):
                self.flat = False
                self.keys.clear()
                return
            self.keys.setdefault(key, None)

    def columns(self) -> list[str] | None:
        """The columns when every record's data was flat (scalars only), else None."""
        return list(self.keys) if self.flat else None


def _json_array(items: Iterable[tuple[str, dict[str, Any]]], columns: _Columns) -> Iterator[bytes]:
    """A JSON array with one record per line (json's C encoder; an indented dump took as long as the redaction),
    from (JSON text, record) pairs; on the way, ``columns`` gathers the CSV's columns."""
    yield b"[\n"
    first = True
    for text, record in items:
        yield (b"" if first else b",\n") + text.encode("utf-8")
        first = False
        if columns.flat:
            columns.see(record["data"])
    yield b"\n]\n"


def forget_values() -> None:
    """Drop what the formatters remembered while writing a package (dates, amounts, e-mail headers, record keys):
    values of this customer's data, never to stay in a long-running process (the portal's worker) after it."""
    i18n.forget()
    formats.forget()
    cards.forget()


def build(
    out_dir: Path,
    info: RequestInfo,
    outcomes: Mapping[str, Outcome],
    processors: Mapping[str, Processor],
    spool: Spool,
    identifiers: Mapping[str, list[str]],
    generated_at: datetime,
    *,
    supersede: Path | None = None,
    record_redactor: RecordRedactor | None = None,
    readable: Readable | None = None,
) -> tuple[Path, str, dict[str, Any]]:
    """Write the package; returns (path, sha256 of the zip, manifest). An existing package of the same request
    is never silently overwritten: the new one gets the next free name (``dsar-<id>-2.zip``), unless it
    ``supersede``s that very file (a resume replacing the partial package it completes). With
    ``record_redactor``, every file sees the records redacted (other people's details pseudonymised, internal
    fields left out) and redactions.json logs it. ``readable`` sets the language and facts of the pages a
    person reads."""
    readable = readable or Readable()

    redacted = RedactedSpool(spool, record_redactor) if record_redactor is not None else None
    source: Records = redacted if redacted is not None else spool
    try:
        return _build(out_dir, info, outcomes, processors, spool, source, identifiers, generated_at,
                      supersede, record_redactor, readable)
    finally:
        if redacted is not None:
            redacted.close()
        forget_values()


def _build(out_dir: Path, info: RequestInfo, outcomes: Mapping[str, Outcome], processors: Mapping[str, Processor],
           spool: Spool, source: Records, identifiers: Mapping[str, list[str]], generated_at: datetime,
           supersede: Path | None, record_redactor: RecordRedactor | None,
           readable: Readable) -> tuple[Path, str, dict[str, Any]]:
    """:func:`build`, reading every record from ``source`` (the spool or its redacted view)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    supersede = supersede if supersede is not None and supersede.parent == out_dir else None
    groups = spool.groups()
    matrix: dict[str, dict[str, int]] = {}
    for category, processor, count in groups:
        matrix.setdefault(processor, {})[category] = count
    total = sum(n for _, _, n in groups)

    # A unique temporary name (mode 0600 from mkstemp), so two runs of one request id never share a file.
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".dsar-{info.request_id}-", suffix=".zip.part")
    partial = Path(tmp)
    manifest = _manifest(info, outcomes, processors, matrix, identifiers, total, generated_at)
    files = FileList(spool.directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            _write_zip(raw, manifest, files, groups, info, processors, spool, source, generated_at,
                       record_redactor, readable)
            raw.flush()
            os.fsync(raw.fileno())
        digest = hashlib.sha256()
        with partial.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        final = _publish(partial, out_dir, info.request_id, supersede)
        manifest["files"] = list(files)         # the caller's copy, read back once the zip is written
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        files.close()
    return final, digest.hexdigest(), manifest


def _write_zip(raw: IO[bytes], manifest: dict[str, Any], files: FileList, groups: list[tuple[str, str, int]],
               info: RequestInfo, processors: Mapping[str, Processor], spool: Spool, source: Records,
               generated_at: datetime, record_redactor: RecordRedactor | None, readable: Readable) -> None:
    """Write every member into ``raw``, listing each in ``files``; manifest.json last, its list streamed from
    ``files`` (the zip's own table of members goes when this returns)."""
    with ZipFile(raw, "w", compression=ZIP_DEFLATED) as zf:
        writer = _Writer(zf, files)
        for category, processor, count in groups:
            base = f"data/{category}/{processor}"
            gathered = _Columns()
            writer.write(f"{base}.json", _json_array(entries(source, category, processor), gathered),
                         category=category, processor=processor, records=count)
            columns = gathered.columns()
            if columns is not None:
                writer.write(f"{base}.csv", formats.csv_rows(source.read(category, processor), columns),
                             category=category, processor=processor, records=count)
        for _, processor, category, path in spool.attachments:
            writer.write(f"attachments/{processor}/{path.name}", _blocks(path), category=category, processor=processor)
        # -- the readable answer: standard formats, a page per category, the Art. 20 subset, index.html
        for name, content, meta in formats.files(source, info.subject.email, generated_at, scratch=spool.directory):
            writer.write(name, content, **meta)
        if record_redactor is not None:
            writer.write("redactions.json", record_redactor.document())
            manifest["redaction"] = record_redactor.summary()
        manifest["language"] = readable.language
        pages = render.Pages(manifest, processors, source, readable, scratch=spool.directory, files=files)
        for name, chunks in pages.category_pages():
            writer.write(name, chunks, format="html")
        writer.write("portability.json", [render.portability(manifest, readable, source, pages.census())])
        manifest["portability"] = "portability.json"
        writer.write("index.html", pages.index(files))
        stamp = ZipInfo("manifest.json", date_time=time.localtime(time.time())[:6])   # as ZipFile.writestr's
        stamp.compress_type = zf.compression
        stamp.external_attr = 0o600 << 16
        with zf.open(stamp, "w") as member:
            for chunk in _manifest_json(manifest, files):
                member.write(chunk)


def _blocks(path: Path) -> Iterator[bytes]:
    """A file's bytes in 64 KiB blocks (an e-mail's attachment may be tens of megabytes)."""
    with path.open("rb") as fh:
        yield from iter(lambda: fh.read(_BLOCK), b"")


def _manifest_json(manifest: Mapping[str, Any], files: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """manifest.json as ``json.dumps(manifest, ensure_ascii=False, indent=2)`` writes it, its ``files`` array
    streamed from ``files`` an entry at a time (in 64 KiB blocks) instead of a list in memory."""
    marker = f"\0files {uuid.uuid4()}\0"
    text = json.dumps({**manifest, "files": marker}, ensure_ascii=False, indent=2)
    before, found, after = text.partition(f'\n  "files": {json.dumps(marker, ensure_ascii=False)}')
    if not found:
        raise AssertionError("manifest.json: the files marker is missing")
    buffer = [before, '\n  "files": [']
    size, first = 0, True
    for entry in files:
        item = json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        buffer.append(("\n    " if first else ",\n    ") + item)
        first = False
        size += len(item)
        if size >= _BLOCK:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            size = 0
    buffer.append("]" if first else "\n  ]")
    buffer.append(after)
    yield "".join(buffer).encode("utf-8")


def _manifest(info: RequestInfo, outcomes: Mapping[str, Outcome], processors: Mapping[str, Processor],
              matrix: Mapping[str, Mapping[str, int]], identifiers: Mapping[str, list[str]], total: int,
              generated_at: datetime) -> dict[str, Any]:
    failed = [o.name for o in outcomes.values() if o.status == Status.FAILED]
    short = [o.name for o in outcomes.values() if o.status == Status.INCOMPLETE]
    if total:
        statement = (f"{len(matrix)} processor(s) hold {total} record(s) about {info.subject.email}.")
    else:
        statement = f"We hold no data about {info.subject.email} at any processor we could query."
    if failed:
        statement += f" Not complete: {', '.join(failed)} could not be queried (see connectors)."
    if short:
        statement += f" Not complete: {', '.join(short)} could not be searched to the end (see connectors)."
    unasked = [o.name for o in outcomes.values() if o.status in (Status.NOT_CONFIGURED, Status.SKIPPED)]
    if unasked:
        statement += f" Not asked in this run: {', '.join(unasked)}."
    return {
        "schema_version": SCHEMA_VERSION,
        "request_id": info.request_id,
        "status": info.status,
        "subject": {"email": info.subject.email, "customer_number": info.subject.customer_number},
        "controller": dict(info.controller),
        "received_at": iso(info.received_at),
        "generated_at": iso(generated_at),
        "due_at": iso(info.due_at),
        "summary": {"records": total, "no_data": total == 0, "statement": statement},
        "connectors": {
            name: {k: v for k, v in asdict(o).items() if k != "name"} for name, o in outcomes.items()
        },
        "processors": [
            {**asdict(p), "categories": dict(sorted(matrix.get(key, {}).items())),
             "connectors": sorted(o.name for o in outcomes.values() if o.processor == key)}
            for key, p in processors.items()
        ],
        "categories": {slug: {"en": c.en, "nl": c.nl, "iri": c.iri} for slug, c in CATEGORIES.items()},
        "identifiers": dict(identifiers),
        "files": [],
    }
