"""The one place that builds HTTP sessions: trust, timeouts, User-Agent, retries, vendor limits, redaction.

Every connector (and every SDK, through its transport hook) sends through a :class:`VendorSession`, so:

* ``verify`` is passed on every request, so ``tls.ca_bundle`` holds even where ``REQUESTS_CA_BUNDLE``
  is set in the environment (psf/requests #3829);
* connection errors, timeouts, 429 and 5xx are retried by one tenacity policy (exponential back-off with
  jitter, ``Retry-After`` honoured, bounded attempts and total time);
* a vendor's limits (concurrent connections, requests per window, its own rate-limit headers) are
  declared as small limiter objects and enforced here, so no connector sleeps on its own;
* every message that leaves this module has the run's secrets redacted;
* an answer's body, once dropped, goes back to the system (see :func:`return_large_buffers`).
"""

from __future__ import annotations

import base64
import ctypes
import email.utils
import functools
import json
import logging
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, quote_plus, urljoin, urlsplit

import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from aggregator.errors import ConnectorError, VendorError

log = logging.getLogger("dsar.http")

USER_AGENT = "dsar-aggregator/0.1 (+GDPR data-subject access request)"
DEFAULT_TIMEOUT = (5.0, 30.0)
ANSWER_DEADLINE = 300.0            # seconds one whole answer may take, however slowly it trickles in
MAX_ANSWER_BYTES = 100 * 2**20     # one answer larger than this is a vendor fault, not a customer's data
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Sleep = Callable[[float], None]
Clock = Callable[[], float]

MMAP_THRESHOLD = 128 * 1024        # bytes: every allocation this large is mapped on its own and unmapped when freed
_M_MMAP_THRESHOLD = -3             # glibc's mallopt parameter number (malloc.h)


@functools.cache
def return_large_buffers() -> bool:
    """Make glibc serve every allocation of ``MMAP_THRESHOLD`` bytes or more by a mapping of its own, returned to
    the system when freed; False where that cannot be set (another C library).

    By default glibc raises that threshold each time such a mapping is freed (up to 32 MB), so after the first
    page bodies (a PayPal page of 500 transactions is 1 MB of bytes and 1 MB of text) every later one comes from a
    thread's heap, and each of the connectors' threads keeps its heap's highest level: the export's resident memory
    grew with the pages' size and the number of threads, not with what it held (PayPal alone at scale 10: 92 MiB,
    71 MiB with the threshold fixed, 65 MiB at scale 1). A fixed threshold also ends that dynamic adjustment.
    Process-wide, so it is set when a run starts (:func:`aggregator.runner.run`), not when this module is imported
    by a program that may never export (the portal's web process)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))



# --------------------------------------------------------------------------- redaction
class Redactor:
    """Replaces every known secret (and Authorization header values) in a text with ``***``: each secret as
    it is, URL-encoded, and base64-encoded (a ``key:secret`` pair as HTTP Basic sends it is registered by the
    session the moment it is used, see :meth:`VendorSession.prepare_request`)."""

    _AUTH = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Know these secrets (and their encoded forms) from now on."""
        with self._lock:
            for s in secrets:
                if s and len(str(s)) >= 4:
                    self._secrets.update(v for v in _forms(str(s)) if len(v) >= 4)

    def merge(self, other: Redactor) -> None:
        """Know every secret ``other`` knows, too."""
        with other._lock:
            known = set(other._secrets)
        with self._lock:
            self._secrets.update(known)

    def __call__(self, text: object) -> str:
        """``text`` with every known secret replaced by ``***``."""
        out = str(text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            out = out.replace(s, "***")
        return self._AUTH.sub(lambda m: f"{m.group(1)} ***", out)

    def line(self, text: object, limit: int = 300) -> str:
        """Redacted first, then made one line and shortened: a secret cut by the shortening cannot survive."""
        return one_line(self(text), limit)


def _forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    return {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode("ascii"),
            base64.urlsafe_b64encode(raw).decode("ascii"), base64.b64encode(raw).decode("ascii").rstrip("="),
            base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}


def one_line(text: object, limit: int | None = 300) -> str:
    """Collapse whitespace so an error can never span lines; cap its length (``limit=None``: do not). Text
    that may hold a secret is shortened only after redaction: use :meth:`Redactor.line` for that."""
    flat = " ".join(str(text).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- limits
class Limiter(Protocol):
    """Something that may make a request wait before it is sent and learns from each response."""

    def acquire(self) -> None:
        """Wait, if need be, until the next request may be sent."""

    def observe(self, response: requests.Response) -> None:
        """Learn from a response (e.g. the vendor's rate-limit headers)."""


# A vendor counts requests as they arrive, a variable few milliseconds after we let them go: paced exactly at its
# rate, every other window would see one too many (measured: 3 of 14 Silvasoft requests refused, issue 21). Pacing
# at (1 - HEADROOM) × the rate leaves HEADROOM / (1 - HEADROOM) seconds of slack per second (0.11 s).
HEADROOM = 0.1


@dataclass
class MinInterval:
    """At most ``per_second`` requests per second, spread evenly (e.g. Lightspeed 20/s, Silvasoft 2/s), with
    ``headroom`` (a fraction of the rate) left free for the jitter between our send and the vendor's count."""

    per_second: float
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    headroom: float = HEADROOM

    def acquire(self) -> None:
        """Take the next free slot and sleep until it comes (never waits when ``per_second`` is 0 or less)."""
        if self.per_second <= 0:
            return
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / (self.per_second * (1.0 - self.headroom))
        if slot > now:
            self.sleep(slot - now)

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the interval is fixed."""
        return None


@dataclass
class SlidingWindow:
    """At most ``limit`` requests in any ``seconds`` (e.g. Silvasoft's hourly plan budget)."""

    limit: int
    seconds: float
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def try_count(self) -> float:
        """Count this request when the window has room (0.0), else the seconds until it will have."""
        with self._lock:
            now = self.clock()
            while self._sent and now - self._sent[0] >= self.seconds:
                self._sent.popleft()
            if len(self._sent) < self.limit:
                self._sent.append(now)
                return 0.0
            return self.seconds - (now - self._sent[0])

    def acquire(self) -> None:
        """Sleep until fewer than ``limit`` requests were sent in the last ``seconds``, then count this one."""
        while (wait := self.try_count()) > 0:
            self.sleep(max(wait, 0.01))

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the window is fixed."""
        return None


ANSWERED_POLL = 0.01      # seconds between looks while every place in an answered window is held by a request in flight


class Answered(Protocol):
    """At most ``limit`` requests the vendor can count within any ``seconds``: :meth:`hold` a place around a send."""

    limit: int
    seconds: float

    def hold(self) -> AbstractContextManager[None]:
        """Wait for a place, keep it while the request is sent and answered (or fails), then for ``seconds``."""


@contextmanager
def hold_all(windows: Iterable[Answered]) -> Iterator[None]:
    """Take a place in every one of ``windows``, in order, and keep them all until the block ends."""
    with ExitStack() as places:
        for window in windows:
            places.enter_context(window.hold())
        yield


class AnsweredWindow:
    """At most ``limit`` requests that the vendor can count within any ``seconds``, in this process.

    A vendor counts a request at some moment between the one we let it go and the one its answer comes back; where
    exactly depends on the network and on how long this process stalls before sending it. So a request takes its
    place in the window when it is let through and keeps it until ``seconds`` after its answer. Then no ``seconds``
    at the vendor can hold more than ``limit`` counts: were there ``limit + 1``, the last of them let through would
    have found the other ``limit`` still holding their places (each was answered after its count, later than that
    request's own count less ``seconds``) and waited. No slack to guess; a request that a stall or the network
    delays simply holds its place longer. One case is outside the proof: a request that fails with no answer (a read
    timeout, a reset connection) keeps its place until ``seconds`` after the failure, and a vendor that counted it
    later still (after sitting on it for the whole read timeout) could see one more."""

    def __init__(self, limit: int, seconds: float, sleep: Any = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.sleep, self.clock = limit, seconds, sleep, clock
        self._answered: deque[float] = deque()      # when each answered request was answered, oldest first
        self._in_flight = 0
        self._lock = threading.Lock()

    def _try_enter(self) -> float:
        """Take a place (0.0) or say how long until one may be free."""
        with self._lock:
            now = self.clock()
            while self._answered and now - self._answered[0] >= self.seconds:
                self._answered.popleft()
            if self._in_flight + len(self._answered) < self.limit:
                self._in_flight += 1
                return 0.0
            if not self._answered:              # every place held by a request still in flight
                return ANSWERED_POLL
            return max(self._answered[0] + self.seconds - now, 0.001)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._answered.append(self.clock())

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for a place, keep it while the request is sent and answered (or fails), then for ``seconds``."""
        while (wait := self._try_enter()) > 0:
            self.sleep(wait)
        try:
            yield
        finally:
            self._leave()


def answered_per_second(rate: float, sleep: Sleep = time.sleep) -> tuple[AnsweredWindow, ...]:
    """``rate`` requests a second as an answered window (20/s: 20 in any second; 0.5/s: 1 in any 2 s); none for
    a rate of 0 or less (no pacing)."""
    if rate <= 0:
        return ()
    if rate >= 1:
        return (AnsweredWindow(math.floor(rate), 1.0, sleep),)
    return (AnsweredWindow(1, 1.0 / rate, sleep),)


@dataclass(frozen=True)
class Limits:
    """A vendor's declared limits: concurrent connections, any number of limiters (asked before a request may
    go), and answered windows (a place taken last, just before the send, and kept until the answer's headers)."""

    concurrency: int = 8
    limiters: tuple[Limiter, ...] = ()
    answered: tuple[Answered, ...] = ()


# --------------------------------------------------------------------------- retries
def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """The shared policy. ``classify`` lets a vendor mark other responses as retryable (returning a wait
    in seconds, 0 for "use back-off") or veto a default one (returning ``False``)."""

    attempts: int = 5
    deadline: float = 120.0
    base: float = 0.5
    max_wait: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES
    classify: Callable[[requests.Response], float | bool | None] | None = None

    def wait_for(self, response: requests.Response) -> float | None:
        """None: do not retry. A number: retry after that many seconds (0 = exponential back-off)."""
        if self.classify is not None:
            verdict = self.classify(response)
            if verdict is False:
                return None
            if verdict is not None and verdict is not True:
                return float(verdict)
        if response.status_code in self.statuses:
            return parse_retry_after(response.headers.get("Retry-After")) or 0.0
        return None


# The connection dropped while the body was being read (a truncated chunked or Content-Length body).
_BROKEN_BODY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class _RetryableResponse(Exception):
    def __init__(self, response: requests.Response, wait: float) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.wait = wait


# --------------------------------------------------------------------------- the session
class VendorSession(requests.Session):
    """A ``requests.Session`` bound to one vendor: every request goes through trust, limits and retries.

    It is a real Session, so SDKs that accept one (msal's ``http_client``) can use it directly; SDKs that
    call ``requests`` themselves are routed here by their connector.
    """

    def __init__(
        self,
        vendor: str,
        *,
        ca_bundle: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        redactor: Redactor | None = None,
        sleep: Sleep = time.sleep,
        stop: threading.Event | None = None,
        answer_deadline: float = ANSWER_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        super().__init__()
        self.vendor = vendor
        self.answer_deadline = answer_deadline
        self.max_answer_bytes = max_answer_bytes
        self.stop = stop   # set when the run is interrupted: no further request is sent
        self.verify_path: str | bool = ca_bundle or True
        self.timeout = timeout
        self.limits = limits or Limits()
        self.retry = retry or RetryPolicy()
        self.redactor = redactor or Redactor()
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max(1, self.limits.concurrency))
        self._count_lock = threading.Lock()
        self.calls = 0
        self.headers["User-Agent"] = USER_AGENT
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(4, self.limits.concurrency))
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Prepare as requests does, and register the credential of the Authorization header it carries
        (a Basic pair, a bearer token issued during the run) with the redactor before anything is sent."""
        prepared = super().prepare_request(request)
        scheme, _, credential = str(prepared.headers.get("Authorization", "")).partition(" ")
        if credential:
            self.redactor.add(credential)
            if scheme.lower() == "basic":
                try:
                    self.redactor.add(base64.b64decode(credential, validate=True).decode("utf-8"))
                except ValueError:
                    pass
        return prepared

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send one request, taking a place in every answered window of the vendor first, kept until its headers
        are in; a redirect followed is a request of its own there, as the vendor counts it, and takes its own place
        once the hop before it has given its back (held across the redirect, a window of one place would wait for
        itself forever). Redirects are then resolved as ``requests.Session.send`` resolves them."""
        follow = kwargs.pop("allow_redirects", True)
        with hold_all(self.limits.answered):
            response = super().send(request, allow_redirects=False, **kwargs)
        if not follow:
            return response
        history = list(self.resolve_redirects(response, request, **kwargs))
        if history:
            history.insert(0, response)
            response = history.pop()
            response.history = history
        if not kwargs.get("stream"):
            response.content        # noqa: B018 - read, as requests does for a request that is not streamed
        return response

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """Follow a redirect only within the same origin (scheme, host, port): ``requests`` strips only
        ``Authorization`` on a host change, so a custom credential header or a re-POSTed client secret would
        reach the other host. A redirect elsewhere fails the connector, naming the host, before any request."""
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        here, there = urlsplit(resp.url), urlsplit(urljoin(resp.url, target))
        try:
            moved = _origin(here) != _origin(there)
        except ValueError:                  # an unreadable port in the Location
            moved = True
        if moved:
            raise ConnectorError(f"{self.vendor}: refused to follow a redirect to another host "
                                 f"({there.scheme}://{there.hostname or '?'})")
        return target

    # requests.Session.request is the single funnel for get/post/... and for msal's calls.
    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send through trust, limits and retries, reading the body against the deadline and size cap (the last
        answer once retries run out); a timeout, broken body, TLS failure or failed connection is a ConnectorError."""
        kwargs["verify"] = self.verify_path
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True           # the body is read here, against a deadline and a size cap
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts) | stop_after_delay(self.retry.deadline),
            wait=self._wait,
            retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout, *_BROKEN_BODY,
                                           _RetryableResponse)),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, url, *args, **kwargs)
        except _RetryableResponse as exc:
            return exc.response  # attempts exhausted: the caller turns the last answer into an error
        except requests.Timeout:
            raise ConnectorError(f"{self.vendor}: timed out calling {_where(method, url)}") from None
        except _BROKEN_BODY:
            raise ConnectorError(f"{self.vendor}: connection broken while reading {_where(method, url)}") from None
        except requests.exceptions.SSLError:
            raise ConnectorError(f"{self.vendor}: TLS verification failed for {_host(url)}") from None
        except requests.ConnectionError:
            raise ConnectorError(f"{self.vendor}: cannot connect to {_host(url)}") from None

    def _send_once(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.stop is not None and self.stop.is_set():
            raise ConnectorError(f"{self.vendor}: interrupted")
        for limiter in self.limits.limiters:
            limiter.acquire()
        with self._slots:
            with self._count_lock:
                self.calls += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s %s", self.vendor, method, self.redactor(url))
            verb = method.decode("ascii") if isinstance(method, bytes) else method
            response = super().request(verb, url, *args, **kwargs)
            # the deadline counts from the (last hop's) send, as the service's adapter counts it: not the wait for
            # an answered window's place before it (``elapsed``: from that send until the headers were in)
            started = time.monotonic() - response.elapsed.total_seconds()
            self._read_body(response, _where(method, url), started)
        for limiter in self.limits.limiters:
            limiter.observe(response)
        wait = self.retry.wait_for(response)
        if wait is not None:
            log.info("%s: HTTP %s on %s, will retry", self.vendor, response.status_code, _where(method, url))
            raise _RetryableResponse(response, wait)
        return response

    def _read_body(self, response: requests.Response, where: str, started: float) -> None:
        """Read the whole body now, against ``answer_deadline`` and ``max_answer_bytes`` (see :func:`read_body`)."""
        read_body(response, self.vendor, where, started, self.answer_deadline, self.max_answer_bytes)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.wait > 0:
            return min(exc.wait, self.retry.max_wait)
        backoff = self.retry.base * (2 ** (state.attempt_number - 1))
        return min(random.uniform(0, backoff) + self.retry.base / 2, self.retry.max_wait)

    # ---------------------------------------------------------------- JSON convenience
    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200,),
        describe: Callable[[requests.Response], str] | None = None,
        empty: Any = None,
    ) -> Any:
        """GET ``url`` and return its JSON; any other status or an unreadable body is a VendorError."""
        response = self.get(url, params=params, headers=headers)
        return self.parse(response, ok=ok, describe=describe, empty=empty)

    def parse(
        self,
        response: requests.Response,
        *,
        ok: Iterable[int] = (200,),
        describe: Callable[[requests.Response], str] | None = None,
        empty: Any = None,
    ) -> Any:
        """The JSON of ``response`` (``empty`` for an empty body); a status not in ``ok`` or a body that is not JSON
        is a VendorError."""
        where = _where(response.request.method or "GET", response.url)
        if response.status_code not in set(ok):
            detail = describe(response) if describe else default_describe(response)
            raise VendorError(self.redactor.line(f"{self.vendor}: {response.status_code} {detail} ({where})"),
                              status=response.status_code)
        if not response.content.strip():
            return empty
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise VendorError(f"{self.vendor}: unreadable response from {where} (not valid JSON; {kind})",
                              status=response.status_code) from None


def read_body(response: requests.Response, vendor: str, where: str, started: float,
              deadline: float = ANSWER_DEADLINE, max_bytes: int = MAX_ANSWER_BYTES) -> None:
    """Read a streamed answer's whole body now, as it arrives: a vendor trickling bytes (each within the read
    timeout) cannot hold the export past ``deadline`` seconds from ``started``, nor fill memory past ``max_bytes``
    (an answer an in-process adapter made already holds its content)."""
    raw = response.raw
    if not isinstance(raw, urllib3.response.HTTPResponse):
        return
    body = bytearray()
    try:
        while chunk := raw.read1(65536, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                response.close()
                raise ConnectorError(f"{vendor}: the answer to {where} is larger than "
                                     f"{max_bytes // 2**20} MB; stopped reading")
            if time.monotonic() - started > deadline:
                response.close()
                raise ConnectorError(f"{vendor}: {where} did not finish its answer within "
                                     f"{deadline:g} s; stopped waiting")
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc) from None
    response._content = bytes(body)
    response._content_consumed = True  # type: ignore[attr-defined]
    raw.release_conn()


def default_describe(response: requests.Response) -> str:
    """A short reason from a JSON error body, whatever the vendor's shape, else the HTTP reason."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "error"
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "detail", "error_description", "errorMessage", "title", "code", "name"):
                if err.get(key):
                    return str(err[key])
        elif isinstance(err, str):
            return str(body.get("error_description") or err)
    return response.reason or "error"


def _origin(parts: Any) -> tuple[str, str, int | None]:
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _host(url: str | bytes) -> str:
    parts = urlsplit(url.decode() if isinstance(url, bytes) else url)
    return parts.netloc or str(url)


def _where(method: str | bytes, url: str | bytes) -> str:
    parts = urlsplit(url.decode() if isinstance(url, bytes) else url)
    m = method.decode() if isinstance(method, bytes) else method
    return f"{m.upper()} {parts.path}"


__all__ = [
    "Limiter", "Limits", "MinInterval", "Redactor", "RetryPolicy", "SlidingWindow",
    "USER_AGENT", "VendorSession", "default_describe", "one_line", "parse_retry_after", "read_body",
]
