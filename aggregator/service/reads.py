"""Identical shop-wide reads shared by the exports a service runs together in one process (issue 21).

Every customer's export reads some of the same things: PayPal's transaction-search windows (PayPal has no payer
filter, so each export scans the same 31-day windows), the mailboxes' and groups' listings that Graph cannot search,
Lightspeed's contact-form and blog-comment pages, Mailchimp's audience and store metadata. Ten exports started
together asked PayPal the same question up to ten times (178 of 205 requests). Here the first export's request goes
to the vendor and the others, asking the same (same vendor account, method GET, URL and the headers that shape the
answer) while it is in flight or within :data:`TTL` seconds after, get a copy of its answer.

What it holds: only successful (200) answers to the reads listed in :data:`SHOP_WIDE`, never an answer to a request
that names a customer (a search, a filter, an e-mail address, a member's hash), at most :data:`TTL` seconds
(60), at most :data:`MAX_ENTRY` bytes (8 MiB) each and :data:`MAX_BYTES` (64 MiB) in all, the least recently used
dropped first; in this process's memory only (nothing in Redis, nothing on disk), one store per service
configuration, so per vendor account. A failed or refused answer is not shared: each export then asks for itself.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from aggregator.http import ANSWER_DEADLINE, MAX_ANSWER_BYTES, read_body

TTL = 60.0                      # seconds an answer is shared after it arrived
MAX_ENTRY = 8 * 2**20           # a larger answer is passed on, not kept
MAX_BYTES = 64 * 2**20          # all kept answers together
VARY = ("accept", "prefer", "consistencylevel")    # request headers that change an answer besides its URL
_HASH = re.compile(r"^[0-9a-f]{32}$")              # a Mailchimp member's subscriber hash

Shareable = Callable[[str, dict[str, str]], bool]    # (URL path, query) -> a shop-wide read


def paypal_search(path: str, query: dict[str, str]) -> bool:
    """A Transaction Search page of a date window (not a look-up of one transaction id)."""
    return path.endswith("/v1/reporting/transactions") and "transaction_id" not in query


_GRAPH_LISTINGS = re.compile(
    r"/(users/[^/]+/(contactFolders(/[^/]+/childFolders)?|events|mailFolders/recoverableitemsdeletions/messages)"
    r"|groups/[^/]+(/threads(/[^/]+/posts)?)?)$", re.IGNORECASE)


def graph_listing(path: str, query: dict[str, str]) -> bool:
    """A mailbox's or group's listing that Graph cannot narrow to the customer, read whole by every export: its
    contact folders and their child folders, its calendar, its Recoverable Items deletions, a group and its
    threads and posts; named one by one, with no search or filter (anything else, a look-up of one item
    included, goes to Graph itself)."""
    return bool(_GRAPH_LISTINGS.search(path)) and not {"$search", "$filter"} & set(query)


def lightspeed_sweep(path: str, query: dict[str, str]) -> bool:
    """A page of the contact-form messages or blog comments (no customer filter exists: read and matched)."""
    return path.endswith(("/contacts.json", "/blogs/comments.json")) and set(query) <= {"page", "limit"}


def mailchimp_metadata(path: str, query: dict[str, str]) -> bool:
    """Audience and store metadata, abuse reports, conversations and carts: reads naming no member (no subscriber
    hash in the path, no e-mail address or search in the query)."""
    parts = path.split("/")
    return (not any(_HASH.match(p) for p in parts) and "search-members" not in parts
            and not any("email" in k or k == "query" for k in query)
            and bool(re.search(r"/(ecommerce/stores(/[^/]+/carts)?|lists/[^/]+/(merge-fields|interest-categories"
                               r"(/[^/]+/interests)?|abuse-reports)|conversations)$", path)))


SHOP_WIDE: dict[str, Shareable] = {"paypal": paypal_search, "office365": graph_listing,
                                   "lightspeed": lightspeed_sweep, "mailchimp": mailchimp_metadata}


@dataclass
class _Answer:
    """One shared read: in flight until ``ready`` is set; then ``kept`` (status, headers, body, encoding, reason)
    when it may be shared, else None."""

    ready: threading.Event = field(default_factory=threading.Event)
    kept: tuple[int, dict[str, str], bytes, str | None, str] | None = None
    until: float = 0.0


class SharedReads:
    """The answers to shop-wide reads, shared by every export of one service configuration in this process."""

    def __init__(self, ttl: float = TTL, max_bytes: int = MAX_BYTES, max_entry: int = MAX_ENTRY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_bytes, self.max_entry, self.clock = ttl, max_bytes, max_entry, clock
        self.follow_timeout = ANSWER_DEADLINE
        self._answers: OrderedDict[tuple[Any, ...], _Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.shared = 0          # answers handed on without a request of their own (for the benchmark)

    def fetch(self, key: tuple[Any, ...], request: requests.PreparedRequest,
              send: Callable[[], tuple[requests.Response, bytes | None]]) -> requests.Response:
        """The answer to ``request``: a copy of one already kept (or in flight) under ``key``, else ``send()``'s,
        kept when it returns a body to keep."""
        with self._lock:
            self._expire()
            answer = self._answers.get(key)
            leader = answer is None
            if answer is None:
                answer = self._answers[key] = _Answer()
            elif answer.kept is not None:
                self._answers.move_to_end(key)
        if not leader:
            # not longer than the leader's answer may take: past that, this export asks for itself
            answer.ready.wait(self.follow_timeout)
            if answer.ready.is_set() and answer.kept is not None:
                with self._lock:
                    self.shared += 1
                return _copy(answer.kept, request)
            return send()[0]        # the first one failed or was not kept: ask for ourselves
        try:
            response, body = send()
        except BaseException:
            self._drop(key, answer)
            raise
        if body is None or response.status_code != 200 or len(body) > self.max_entry:
            self._drop(key, answer)
            return response
        with self._lock:
            answer.kept = (response.status_code, dict(response.headers), body, response.encoding,
                           response.reason)
            answer.until = self.clock() + self.ttl
            self.bytes += len(body)
            self._answers.move_to_end(key)
            self._evict()
        answer.ready.set()
        return response

    def _drop(self, key: tuple[Any, ...], answer: _Answer) -> None:
        with self._lock:
            if self._answers.get(key) is answer:
                del self._answers[key]
        answer.ready.set()

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, a in self._answers.items() if a.kept is not None and a.until <= now]:
            self.bytes -= len(self._answers.pop(key).kept[2])  # type: ignore[index]

    def _evict(self) -> None:
        for key in list(self._answers):
            if self.bytes <= self.max_bytes:
                return
            answer = self._answers[key]
            if answer.kept is not None:
                self.bytes -= len(answer.kept[2])
                del self._answers[key]

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for a in self._answers.values() if a.kept is not None)


def _copy(kept: tuple[int, dict[str, str], bytes, str | None, str],
          request: requests.PreparedRequest) -> requests.Response:
    """A response of its own for ``request`` from a kept answer, without the vendor's rate-limit headers: it cost
    no request, and an export pacing itself on them would read another request's (older) count."""
    status, headers, body, encoding, reason = kept
    response = requests.Response()
    response.status_code, response.reason, response.encoding = status, reason, encoding
    response.headers = CaseInsensitiveDict({k: v for k, v in headers.items()
                                            if not k.lower().startswith(("x-ratelimit", "retry-after"))})
    response.raw = io.BytesIO(body)
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    response.url = request.url or ""
    response.request = request
    return response


class SharingAdapter(BaseAdapter):
    """A transport adapter that answers a vendor's shop-wide reads (``shareable``) through :class:`SharedReads` and
    sends everything else straight to ``inner`` (which applies the shared limits)."""

    def __init__(self, inner: BaseAdapter, reads: SharedReads, vendor: str, shareable: Shareable, *,
                 deadline: float = ANSWER_DEADLINE, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        super().__init__()
        self.inner, self.reads, self.vendor, self.shareable = inner, reads, vendor, shareable
        self.deadline, self.max_bytes = deadline, max_bytes

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Share the answer to a shop-wide GET with the exports asking the same; send anything else as it is."""
        parts = urlsplit(request.url or "")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if request.method != "GET" or not self.shareable(parts.path, query):
            return self.inner.send(request, *args, **kwargs)
        vary = tuple(sorted((k.lower(), str(v)) for k, v in request.headers.items() if k.lower() in VARY))
        key = (self.vendor, request.url, vary)

        def send() -> tuple[requests.Response, bytes | None]:
            started = time.monotonic()
            response = self.inner.send(request, *args, **kwargs)
            if response.status_code != 200:
                return response, None
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.reads.max_entry:
                return response, None          # left for the session to read, as any other answer
            read_body(response, self.vendor, f"GET {parts.path}", started, self.deadline, self.max_bytes)
            body = response.content
            response.raw = io.BytesIO(body)    # read: the session finds the content there
            return response, body

        return self.reads.fetch(key, request, send)

    def close(self) -> None:
        """Close the wrapped adapter."""
        self.inner.close()


__all__ = ["MAX_BYTES", "MAX_ENTRY", "SHOP_WIDE", "TTL", "SharedReads", "SharingAdapter", "graph_listing",
           "lightspeed_sweep", "mailchimp_metadata", "paypal_search"]
