"""What every paging loop shares: paginators as small objects, one driver, a guard that ends a loop the vendor
does not let advance, and one bounded fan-out for per-item requests.

A vendor bug (or a proxy, or a fault) can answer the same page again and again, or never send the last page.
Each connector pages in its vendor's own way (page numbers, count/offset, next links, windows); all of them
pass each page's fingerprint (its item ids, its items, or its next link) to one :class:`PageGuard`, so a loop
that does not advance ends the connector with a one-line reason instead of running until the run is killed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import tempfile
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aggregator.errors import VendorError
from aggregator.text import clean

log = logging.getLogger("dsar.paging")

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


class PageGuard:
    """Call :meth:`check` once per page; it raises when a page repeats an earlier one or there are too many."""

    def __init__(self, vendor: str, where: str, max_pages: int, hint: str = "") -> None:
        self.vendor = vendor
        self.where = where
        self.max_pages = max_pages
        self.hint = hint
        self.pages = 0
        self._seen: set[bytes] = set()

    def check(self, fingerprint: object) -> None:
        """Count one page by its fingerprint; raise VendorError past ``max_pages`` or on a repeated page."""
        self.pages += 1
        if self.pages > self.max_pages:
            raise VendorError(f"{self.vendor}: paging did not end at {self.where} after {self.max_pages} pages; "
                              f"stopped{f' ({self.hint})' if self.hint else ''}")
        key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode("utf-8")).digest()
        if key in self._seen:
            raise VendorError(f"{self.vendor}: paging did not advance at {self.where} "
                              f"(page {self.pages} repeats an earlier page)")
        self._seen.add(key)


# --------------------------------------------------------------------------- paginators
class Paginator(ABC, Generic[T]):
    """How one vendor pages a list: the first page's token, and from each answer the next one (None: done).

    A token is whatever the fetch function needs for one page: query parameters for page numbers and
    offsets, a URL for next links. :func:`pages` drives any paginator through one :class:`PageGuard`.
    """

    @abstractmethod
    def first(self) -> T:
        """The token of the first page."""

    @abstractmethod
    def advance(self, token: T, body: Any, items: list[Any]) -> T | None:
        """The token of the page after ``token``, or None when ``token`` was the last page."""

    def fingerprint(self, token: T, body: Any, items: list[Any]) -> object:
        """What identifies a page, for the guard (default: its items' ids, or the items)."""
        return [i.get("id", i) if isinstance(i, dict) else i for i in items]


@dataclass
class PageNumberPaginator(Paginator[dict[str, Any]]):
    """``page=1, 2, …`` with a page size; the last page is short, empty, or says it is the last."""

    size: int
    page_param: str = "page"
    size_param: str | None = "limit"
    start: int = 1
    total_pages_key: str | None = None     # a body key holding the page count (PayPal ``total_pages``)

    def first(self) -> dict[str, Any]:
        """Page ``start``."""
        return self._token(self.start)

    def _token(self, page: int) -> dict[str, Any]:
        return {self.page_param: page, **({self.size_param: self.size} if self.size_param else {})}

    def advance(self, token: dict[str, Any], body: Any, items: list[Any]) -> dict[str, Any] | None:
        """The next page number, unless this page was short or the last one counted."""
        page = int(token[self.page_param])
        if self.total_pages_key is not None and isinstance(body, dict):
            total = body.get(self.total_pages_key)
            if isinstance(total, int) and not isinstance(total, bool):
                return self._token(page + 1) if page < total and items else None
        return self._token(page + 1) if len(items) >= self.size else None


@dataclass
class OffsetPaginator(Paginator[dict[str, Any]]):
    """``offset``/``count`` pages until the vendor's total is reached (Mailchimp ``total_items``)."""

    size: int
    offset_param: str = "offset"
    size_param: str = "count"
    total_key: str | None = "total_items"

    def first(self) -> dict[str, Any]:
        """Offset 0."""
        return {self.size_param: self.size, self.offset_param: 0}

    def advance(self, token: dict[str, Any], body: Any, items: list[Any]) -> dict[str, Any] | None:
        """The next offset, while items keep coming and the total is not reached."""
        offset = int(token[self.offset_param]) + len(items)
        total = body.get(self.total_key) if self.total_key and isinstance(body, dict) else None
        if not items or (isinstance(total, int) and offset >= total) or (total is None and len(items) < self.size):
            return None
        return {self.size_param: self.size, self.offset_param: offset}


@dataclass
class NextLinkPaginator(Paginator[str | None]):
    """A first request, then each answer's next link until there is none (Graph ``@odata.nextLink``)."""

    link_key: str = "@odata.nextLink"

    def first(self) -> str | None:
        """None: the fetch function sends the first request itself."""
        return None

    def advance(self, token: str | None, body: Any, items: list[Any]) -> str | None:
        """The answer's next link."""
        link = body.get(self.link_key) if isinstance(body, dict) else None
        return link if isinstance(link, str) and link else None

    def fingerprint(self, token: str | None, body: Any, items: list[Any]) -> object:
        """The page's own link and its next one: a vendor pointing back to a page it served is caught."""
        return [token, self.advance(token, body, items)]


def items_at(body: Any, key: str | None, vendor: str, where: str, *, empty: tuple[object, ...] = ()) -> list[Any]:
    """The list under ``key`` in a page (``key=None``: the page is the list); a page of another shape is a
    vendor error, never an empty page.

    ``empty`` lists values a vendor documents as "no items" (Lightspeed answers ``false``).
    """
    if key is None:
        if not isinstance(body, list):
            raise VendorError(f"{vendor}: {where} answered a {type(body).__name__} where a list was expected")
        return body
    if not isinstance(body, dict):
        raise VendorError(f"{vendor}: {where} answered a {type(body).__name__} where an object was expected")
    if key not in body:
        raise VendorError(f"{vendor}: {where} answered an object without its {key!r} list")
    items = body[key]
    if any(items is e for e in empty) or (items is None and None in empty):
        return []
    if not isinstance(items, list):
        raise VendorError(f"{vendor}: {where} answered a {type(items).__name__} where the {key!r} list was expected")
    return items


def pages(fetch: Callable[[T], Any], paginator: Paginator[T], records: Callable[[Any], list[Any]],
          guard: PageGuard) -> Iterator[list[Any]]:
    """Every page's items, in order: ``fetch(token)`` gives a body, ``records(body)`` its items, the paginator
    the next token; every page passes ``guard`` (a repeated page or too many pages end the loop)."""
    token: T | None = paginator.first()
    first = True
    while first or token is not None:
        first = False
        body = fetch(token)  # type: ignore[arg-type]
        items = records(body)
        guard.check(paginator.fingerprint(token, body, items))  # type: ignore[arg-type]
        log.info("%s: page %d of %s: %d item(s)", guard.vendor, guard.pages, guard.where, len(items))   # -v
        yield items
        token = paginator.advance(token, body, items)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parked listings
class Parked:
    """A listing kept on disk instead of in memory: items are appended as their pages arrive (to offer their
    identifiers early) and read back one at a time, as often as needed, so a customer's ten thousand orders never
    sit in memory at once. The file is anonymous (unlinked at once, mode 0600) and gone when closed or the process
    ends."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(mode="w+b", prefix="dsar-parked-")
        self._count = 0

    def append(self, item: Any) -> None:
        """Add one JSON-serialisable item at the end."""
        self._file.seek(0, 2)
        # ASCII escapes: a lone surrogate in vendor text (admission replaces it later) is kept exactly, not an error
        self._file.write(json.dumps(item, default=str).encode("ascii") + b"\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Any]:
        """Every item, in the order appended (each pass reads the file again)."""
        self._file.flush()
        position = index = 0
        while index < self._count:
            self._file.seek(position)
            line = self._file.readline()
            position = self._file.tell()
            index += 1
            yield json.loads(line)

    def close(self) -> None:
        """Drop the file."""
        self._file.close()

    def __enter__(self) -> Parked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ParkedMap:
    """A mapping of text keys to text values (or None) kept out of memory: in a private temporary SQLite database
    that holds at most ``cache_kib`` of it in memory and the rest in an anonymous temporary file SQLite deletes
    itself (on :meth:`close`, or when the map is dropped). For what a connector must remember about every item of a
    vendor's unfiltered listing (which customer each of the shop's invoices belongs to), not only the subject's."""

    def __init__(self, cache_kib: int = 512) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)   # "": temporary, on disk
        for pragma in (f"cache_size = -{int(cache_kib)}", "temp_store = FILE", "journal_mode = OFF",
                       "synchronous = OFF"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE map (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID")
        self._db.execute("CREATE INDEX by_value ON map (value)")

    def update(self, pairs: Iterable[tuple[str, str | None]]) -> None:
        """Set every ``(key, value)`` (a later value replaces an earlier one, as with a dict)."""
        rows = ((clean(key)[0], None if value is None else clean(value)[0]) for key, value in pairs)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO map VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")    # no journal: what was set stays (as in a dict), the map usable
                raise
            self._db.execute("COMMIT")

    def get(self, key: str) -> str | None:
        """The value of ``key`` (None when it has none or is absent)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM map WHERE key = ?", (clean(key)[0],)).fetchone()
        return None if row is None else row[0]

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM map WHERE key = ?",
                                    (clean(str(key))[0],)).fetchone() is not None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM map").fetchone()[0])

    def keys_with(self, values: Collection[str]) -> list[str]:
        """The keys whose value is one of ``values``."""
        wanted = sorted({clean(value)[0] for value in values})
        if not wanted:
            return []
        with self._lock:
            rows = self._db.execute(f"SELECT key FROM map WHERE value IN ({', '.join('?' * len(wanted))})",
                                    wanted).fetchall()
        return [key for (key,) in rows]

    def close(self) -> None:
        """Drop the database and its file."""
        with self._lock:
            self._db.close()


# --------------------------------------------------------------------------- bounded fan-out
def fan_out(func: Callable[[A], R], items: Iterable[A], *, workers: int, name: str = "dsar",
            ordered: bool = True) -> Iterator[tuple[A, R]]:
    """``func`` over ``items`` on at most ``workers`` threads, with at most ``2 × workers`` in flight (memory
    stays bounded however many items); yields ``(item, result)`` in input order (or as each completes with
    ``ordered=False``). Once one call fails, no further call starts (queued ones are skipped), and the
    first failure is raised."""
    workers = max(1, int(workers))
    source = iter(items)
    failed = threading.Event()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    pending: dict[Future[R], A] = {}
    order: deque[Future[R]] = deque()

    def guarded(item: A) -> R:
        if failed.is_set():
            raise _Skipped
        try:
            return func(item)
        except BaseException:
            failed.set()
            raise

    def submit_next() -> None:
        if failed.is_set():
            return
        for item in source:
            future = pool.submit(guarded, item)
            pending[future] = item
            order.append(future)
            return

    try:
        for _ in range(2 * workers):
            submit_next()
        while pending:
            if ordered:
                future = order[0]
                wait([future])
            else:
                future = next(iter(wait(pending, return_when=FIRST_COMPLETED).done))
            if future.exception() is not None:     # running calls end, queued ones are skipped; then the
                wait(list(pending))                 # first real failure in input order is raised
                raise _first_failure(list(order)) or future.exception()  # type: ignore[misc]
            order.remove(future)
            item = pending.pop(future)
            submit_next()
            yield item, future.result()
    finally:
        failed.set()
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


class _Skipped(Exception):
    """A fan-out call not started because an earlier one failed."""


def _first_failure(futures: list[Future[Any]]) -> BaseException | None:
    """The first real failure among finished futures (skipped calls do not count)."""
    for future in futures:
        if future.done() and not future.cancelled():
            exc = future.exception()
            if exc is not None and not isinstance(exc, _Skipped):
                return exc
    return None
