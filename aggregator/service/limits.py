"""Vendor limits shared by every export of a service, per vendor account: in one process (embedded jobs) or through
Redis (every ``dsar worker`` on every machine), so ten exports together never exceed one account's limits.

The limits are enforced at the transport: :class:`LimitedAdapter` wraps the adapter that sends a vendor's
requests, takes a slot of every shared concurrency gate and asks the shared limiters. The connector's own pacing
still applies inside each export. Shared: Lightspeed's window and its 20 a second, Silvasoft's 2/s and 50/min (answered
windows: a request's place is kept until the window's span after its answer; Redis or in-process) and its plan's
hourly requests (Redis or in-process), Mailchimp's 10 connections per key and Graph's 4 requests per mailbox (gates:
Redis or in-process). Each export's Silvasoft connector still keeps the plan for itself, with its waiting budget; the
shared plan, when the exports together have used it up, ends the export's Silvasoft search (incomplete, resumable)
instead of holding a worker for up to an hour without a word.
Identical shop-wide reads of exports running together in one process are answered once
(:mod:`aggregator.service.reads`).
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from aggregator.config import Config
from aggregator.http import (
    ANSWER_DEADLINE,
    ANSWERED_POLL,
    MAX_ANSWER_BYTES,
    Answered,
    AnsweredWindow,
    Limiter,
    SlidingWindow,
    answered_per_second,
    hold_all,
    read_body,
)
from aggregator.service.reads import SHOP_WIDE, SharedReads, SharingAdapter

JITTER = 1.0    # seconds added to a window: a request reaches the vendor a little after it is let through
# Silvasoft: 2 requests in any second and 50 in any minute, counted as they arrive. Under load (ten exports packaging
# on two cores) a request reached the sandbox up to ~0.2 s after its slot (measured: 4 of 34 refused with
# MinInterval's 0.11 s of slack); answered windows, like Lightspeed's 20 a second, need no guessed slack.
SILVASOFT_WINDOWS = ((50, 60.0, "minute"), (2, 1.0, "second"))     # the longer first: the second's place goes last
SILVASOFT_PATIENCE = 60.0       # seconds an export may wait for the shared hourly plan before its search ends
# Lightspeed: 20 requests in any second, counted as they arrive. Evenly spaced slots (MinInterval) bunch when the
# process stalls (ten exports parsing and packaging on two cores): threads whose slots passed all go at once, and 10
# of 456 requests were refused with 5-8 let through within 30 ms (issue 21). A sliding window of 20 per 1.2 s capped
# such bursts with a guessed 0.2 s of slack (16.7/s at most); an AnsweredWindow, taken last, just before the send,
# needs no guess: each request keeps its place until a second after its answer (see there).
MAILCHIMP_CONNECTIONS = 10      # simultaneous connections per API key
GRAPH_PER_MAILBOX = 4           # Graph's "MailboxConcurrency": concurrent requests per app and mailbox
# Each export's Lightspeed connector paces on the vendor's X-RateLimit headers once less than 5 % (at least 10) of a
# window is left, spreading its requests over the rest of the window (connectors/lightspeed.py, RateLimitHeaders);
# the values are read from there when it can be imported.
LIGHTSPEED_RESERVE = (0.05, 10)


def lightspeed_budget(limit: int) -> int:
    """The requests of one Lightspeed window that the exports sharing it may use together: the window less the
    reserve at which each export's own header pacing starts. Ten exports draining one window would otherwise bring
    it within that reserve, and each export's pacer, seeing it, would queue its requests a fraction of the window
    apart, holding them back well past the window's reset (measured: 85 s lost after a 300-request window, issue
    21). Stopping short, the shared window alone decides: nothing goes out until the window has slid, then at the
    full rate."""
    share, least = LIGHTSPEED_RESERVE
    try:
        from connectors.lightspeed import RateLimitHeaders

        share, least = RateLimitHeaders.reserve, RateLimitHeaders.reserve_min
    except ImportError:          # pragma: no cover - the connector ships with the package
        pass
    return max(1, limit - max(least, math.ceil(limit * share)))

# A sliding window in a sorted set: at most ARGV[1] members in the last ARGV[2] ms (Redis' own clock, shared by
# every machine); returns 0 when this request may go (and counts it), else the milliseconds to wait.
_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, span = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], span)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + span - now)
"""

# A concurrency gate in a sorted set of holders scored by when their lease ends: a holder that died (its process
# killed mid-request) frees its slot when the lease runs out. Returns 1 when this holder got a slot, else 0.
_GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""
GATE_LEASE = ANSWER_DEADLINE + 30.0     # longer than any request may take (its answer's deadline, a connect timeout)
GATE_POLL = 0.02                        # seconds between tries while a gate is full (with jitter)


class RedisWindow:
    """At most ``limit`` requests in any ``seconds``, counted in Redis for every process sharing ``key``."""

    def __init__(self, client: Any, key: str, limit: int, seconds: float, sleep: Any = time.sleep) -> None:
        self.client, self.key, self.limit, self.ms = client, key, limit, int(seconds * 1000)
        self.sleep = sleep
        self._script = client.register_script(_WINDOW)
        self._counter = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until the shared window has room, then count this request in it."""
        while True:
            with self._lock:
                self._counter += 1
                member = f"{id(self)}-{threading.get_ident()}-{self._counter}"
            wait = int(self._script(keys=[self.key], args=[self.limit, self.ms, member]))
            if wait <= 0:
                return
            self.sleep(wait / 1000)

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the window is fixed."""
        return None


class SharedPlan:
    """A vendor plan's requests per hour for every export sharing it (in Redis when ``client`` is given, else in this
    process): a request waits for the window to slide only up to ``patience`` seconds; past that the plan is used
    up by the exports together, and :meth:`acquire` raises ``error`` (the connector's own "plan used up" error, which
    ends its search incomplete, to be resumed) rather than hold the export for up to an hour."""

    def __init__(self, limit: int, seconds: float, patience: float, error: Callable[[str], Exception], *,
                 client: Any = None, key: str = "", sleep: Any = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.patience, self.error = limit, seconds, patience, error
        self.client, self.key, self.sleep, self.clock = client, key, sleep, clock
        self._script = client.register_script(_WINDOW) if client is not None else None
        self._local = SlidingWindow(limit, seconds, clock=clock)     # the count when there is no Redis

    def _try(self) -> float:
        """Count this request when the window has room (0), else the seconds until it will have."""
        if self._script is not None:
            member = f"{uuid.uuid4().hex}"
            return int(self._script(keys=[self.key], args=[self.limit, int(self.seconds * 1000), member])) / 1000
        return self._local.try_count()

    def acquire(self) -> None:
        """Count this request in the plan, waiting at most ``patience`` for room; past it, raise ``error``."""
        waited = 0.0
        while (wait := self._try()) > 0:
            if waited + wait > self.patience:
                raise self.error(f"the plan's {self.limit} requests an hour are used up by the exports running "
                                 f"together (room again in {wait / 60:.0f} min); resume this request later")
            self.sleep(wait)
            waited += wait

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the window is fixed."""
        return None


def _silvasoft_plan_error(text: str) -> Exception:
    """Silvasoft's "plan used up" error, which its connector turns into an incomplete, resumable search."""
    try:
        from connectors.silvasoft import PlanLimitReached

        return PlanLimitReached(f"silvasoft: {text}")
    except ImportError:          # pragma: no cover - the connector ships with the package
        from aggregator.errors import VendorError

        return VendorError(f"silvasoft: {text}")


# An answered window in a sorted set scored by when each request was answered; a request in flight is scored with
# the end of its lease (in the future), so it holds its place until answered, or until the lease runs out when its
# process died. Enter: returns 0 when this request took a place, else the milliseconds to wait.
_ANSWERED_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, span, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease + span)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local score = tonumber(oldest[2])
if score > now then return -1 end
return math.max(1, score + span - now)
"""
# Leave: the request was answered now (by Redis' clock); it keeps its place for the window's span from here.
_ANSWERED_LEAVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
return 0
"""


class RedisAnsweredWindow:
    """An answered window (see :class:`~aggregator.http.AnsweredWindow`) counted in Redis for every process sharing
    ``key`` (Redis' clock for every machine); a place held by a process that died is freed when its lease (longer
    than any answer may take) ends."""

    def __init__(self, client: Any, key: str, limit: int, seconds: float, sleep: Any = time.sleep,
                 lease: float = GATE_LEASE) -> None:
        self.limit, self.seconds, self.sleep = limit, seconds, sleep
        self.client, self.key = client, key
        self.ms, self.lease_ms = int(seconds * 1000), int(lease * 1000)
        self._enter = client.register_script(_ANSWERED_ENTER)
        self._leave_script = client.register_script(_ANSWERED_LEAVE)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for a place in Redis, keep it while the request is sent and answered, then for ``seconds``."""
        member = uuid.uuid4().hex
        while (wait := int(self._enter(keys=[self.key], args=[self.limit, self.ms, self.lease_ms, member]))) != 0:
            self.sleep(ANSWERED_POLL * (0.5 + random.random()) if wait < 0 else wait / 1000)
        try:
            yield
        finally:
            self._leave_script(keys=[self.key], args=[member, self.lease_ms, self.ms])


class Gate:
    """At most ``limit`` requests in flight at once per key (the key taken from the request; None: not limited),
    across every export in this process."""

    def __init__(self, limit: int, key: Callable[[requests.PreparedRequest], str | None] = lambda r: "") -> None:
        self.limit, self.key = limit, key
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, request: requests.PreparedRequest) -> Iterator[None]:
        """Hold one of the key's slots while the request is sent and answered."""
        key = self.key(request)
        if key is None:
            yield
            return
        with self._lock:
            slot = self._slots.setdefault(key, threading.BoundedSemaphore(self.limit))
        with slot:
            yield


class RedisGate(Gate):
    """At most ``limit`` requests in flight at once per key, counted in Redis for every process sharing ``name``
    (every ``dsar worker`` on every machine); a slot is a lease of ``lease`` seconds, freed when the request is
    answered, or when the lease runs out if its process died."""

    def __init__(self, client: Any, name: str, limit: int,
                 key: Callable[[requests.PreparedRequest], str | None] = lambda r: "",
                 lease: float = GATE_LEASE, sleep: Any = time.sleep) -> None:
        super().__init__(limit, key)
        self.client, self.name, self.lease_ms, self.sleep = client, name, int(lease * 1000), sleep
        self._script = client.register_script(_GATE)

    @contextmanager
    def enter(self, request: requests.PreparedRequest) -> Iterator[None]:
        """Hold one of the key's slots in Redis while the request is sent and answered."""
        key = self.key(request)
        if key is None:
            yield
            return
        slots = f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        holder = uuid.uuid4().hex
        while not int(self._script(keys=[slots], args=[self.limit, self.lease_ms, holder])):
            self.sleep(GATE_POLL * (0.5 + random.random()))
        try:
            yield
        finally:
            self.client.zrem(slots, holder)


def graph_mailbox(request: requests.PreparedRequest) -> str | None:
    """The mailbox a Graph request reads (``…/users/{id}/…``), lower-cased; None for any other request."""
    parts = urlsplit(request.url or "").path.split("/")
    if "users" in parts[:-1]:
        return unquote(parts[parts.index("users") + 1]).lower() or None
    return None


class LimitedAdapter(BaseAdapter):
    """A transport adapter that passes each request through shared gates and limiters before ``inner`` sends it."""

    def __init__(self, inner: BaseAdapter, limiters: Sequence[Limiter], gates: Sequence[Gate] = (),
                 vendor: str = "vendor", deadline: float = ANSWER_DEADLINE, max_bytes: int = MAX_ANSWER_BYTES,
                 answered: Sequence[Answered] = ()) -> None:
        super().__init__()
        self.inner = inner
        self.limiters = tuple(limiters)
        self.gates = tuple(gates)
        self.answered = tuple(answered)
        self.vendor, self.deadline, self.max_bytes = vendor, deadline, max_bytes

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Take a slot of every gate, wait for every limiter, take a place in every answered window (last, just
        before the send; kept until the answer's headers are in), send, and let each limiter learn from the answer.
        The answer is read whole before a gate's slot is given back: a connection (Mailchimp) or a request in
        progress (Graph) lasts until its body has arrived, not only its headers."""
        with ExitStack() as held:
            for gate in self.gates:
                held.enter_context(gate.enter(request))
            for limiter in self.limiters:
                limiter.acquire()
            with hold_all(self.answered):
                started = time.monotonic()
                response = self.inner.send(request, *args, **kwargs)
            # read here, against the deadline counted from the send: the session would count it from before this
            # request's waits in the shared limiters (up to a whole Lightspeed window)
            read_body(response, self.vendor, f"{request.method} {urlsplit(request.url or '').path}", started,
                      self.deadline, self.max_bytes)
            response.raw = io.BytesIO(response.content)    # read: the session finds the content there
        for limiter in self.limiters:
            limiter.observe(response)
        return response

    def close(self) -> None:
        """Close the wrapped adapter."""
        self.inner.close()


def shop_key(cfg: Config, connector: str) -> str | None:
    """A stable name for one vendor account (its base URL and a hash of its key, never the key itself)."""
    settings = cfg.connectors.get(connector)
    if not settings or not settings.get("base_url"):
        return None
    ident = f"{settings['base_url']}|{settings.get('api_key', '')}".encode()
    return hashlib.sha256(ident).hexdigest()[:24]


def _hashed(value: object) -> str:
    """A short stable name for an account's credential or id in Redis keys (never the value itself)."""
    return hashlib.sha256(str(value or "").encode()).hexdigest()[:24]


def vendor_prefix(cfg: Config, connector: str) -> str | None:
    """The URL prefix of a configured connector's API (where its requests go), or None when not configured."""
    settings = cfg.connectors.get(connector)
    if not settings:
        return None
    if connector == "mailchimp" and not settings.get("base_url"):
        dc = str(settings.get("api_key", "")).rpartition("-")[2]
        return f"https://{dc}.api.mailchimp.com/3.0" if dc else None
    if connector == "office365":
        return str(settings.get("graph_url") or "https://graph.microsoft.com/v1.0")
    return str(settings["base_url"]) if settings.get("base_url") else None


class SharedLimits:
    """The limiters every export of this service shares, by connector; ``redis`` makes them span processes. The
    Lightspeed window is ``window`` less the reserve of :func:`lightspeed_budget`; ``share_reads`` answers identical
    shop-wide reads once for the exports of this process (:class:`SharedReads`)."""

    def __init__(self, cfg: Config, *, window: tuple[int, float], per_second: float, redis: Any = None,
                 sleep: Any = time.sleep, share_reads: bool = True) -> None:
        self.prefixes: dict[str, str] = {}
        self.limiters: dict[str, tuple[Limiter, ...]] = {}
        self.gates: dict[str, tuple[Gate, ...]] = {}
        self.answered: dict[str, tuple[Answered, ...]] = {}
        self.reads = SharedReads() if share_reads else None
        self.read_prefixes: dict[str, str] = {n: p for n in SHOP_WIDE if (p := vendor_prefix(cfg, n)) is not None}
        self._answers = {n: (float(s.get("answer_deadline") or ANSWER_DEADLINE),
                             int(s.get("max_answer_mb") or MAX_ANSWER_BYTES // 2**20) * 2**20)
                         for n, s in cfg.connectors.items()}
        self._others(cfg, redis, sleep)
        key = shop_key(cfg, "lightspeed")
        if key is None:
            return
        limit, seconds = lightspeed_budget(window[0]), window[1]
        per_second_window = answered_per_second(per_second, sleep)     # 20/s: 20 in any second; 0.5/s: 1 in 2 s
        self.prefixes["lightspeed"] = str(cfg.connectors["lightspeed"]["base_url"])
        if redis is not None:
            self.limiters["lightspeed"] = (RedisWindow(redis, f"dsar:limit:lightspeed:{key}:window", limit,
                                                       seconds + JITTER, sleep),)
            self.answered["lightspeed"] = tuple(
                RedisAnsweredWindow(redis, f"dsar:limit:lightspeed:{key}:second", w.limit, w.seconds, sleep)
                for w in per_second_window)
        else:
            self.limiters["lightspeed"] = (SlidingWindow(limit, seconds + JITTER, sleep=sleep),)
            self.answered["lightspeed"] = per_second_window

    def _others(self, cfg: Config, redis: Any, sleep: Any) -> None:
        """Silvasoft's pace and minute window, Mailchimp's connections, Graph's requests per mailbox."""
        for name in ("silvasoft", "mailchimp", "office365"):
            prefix = vendor_prefix(cfg, name)
            if prefix is not None:
                self.prefixes[name] = prefix
        if "silvasoft" in self.prefixes:
            key = shop_key(cfg, "silvasoft")
            per_hour = int(cfg.connectors["silvasoft"].get("requests_per_hour") or 15)   # the connector's default
            plan = SharedPlan(per_hour, 3600.0 + JITTER, SILVASOFT_PATIENCE, _silvasoft_plan_error, client=redis,
                              key=f"dsar:limit:silvasoft:{key}:hour", sleep=sleep)
            self.limiters["silvasoft"] = (plan,)
            self.answered["silvasoft"] = tuple(
                RedisAnsweredWindow(redis, f"dsar:limit:silvasoft:{key}:{name}", limit, seconds, sleep)
                if redis is not None else AnsweredWindow(limit, seconds, sleep)
                for limit, seconds, name in SILVASOFT_WINDOWS)
        if "mailchimp" in self.prefixes:
            key = _hashed(cfg.connectors["mailchimp"].get("api_key"))          # the limit is per API key
            self.gates["mailchimp"] = ((RedisGate(redis, f"dsar:gate:mailchimp:{key}", MAILCHIMP_CONNECTIONS,
                                                  sleep=sleep),)
                                       if redis is not None else (Gate(MAILCHIMP_CONNECTIONS),))
        if "office365" in self.prefixes:
            graph = cfg.connectors["office365"]                                  # … per app and mailbox
            tenant = _hashed(f"{graph.get('authority', '')}|{graph.get('client_id', '')}")
            self.gates["office365"] = ((RedisGate(redis, f"dsar:gate:graph:{tenant}", GRAPH_PER_MAILBOX, graph_mailbox,
                                                  sleep=sleep),)
                                       if redis is not None else (Gate(GRAPH_PER_MAILBOX, graph_mailbox),))

    def adapters(self, base: Mapping[str, BaseAdapter] | None = None) -> dict[str, BaseAdapter]:
        """Transport adapters for one export: ``base`` (e.g. the tests' in-process sandbox) plus, for each
        limited vendor, its base URL mounted on a :class:`LimitedAdapter` around what would have sent it."""
        mounted: dict[str, BaseAdapter] = dict(base or {})
        prefixes = {**(self.read_prefixes if self.reads is not None else {}), **self.prefixes}
        for name, prefix in prefixes.items():
            adapter = next((a for p, a in sorted(mounted.items(), key=lambda kv: -len(kv[0]))
                            if prefix.lower().startswith(p.lower())), None) or HTTPAdapter()
            if name in self.prefixes:
                deadline, most = self._answers.get(name, (ANSWER_DEADLINE, MAX_ANSWER_BYTES))
                adapter = LimitedAdapter(adapter, self.limiters.get(name, ()), self.gates.get(name, ()), name,
                                         deadline, most, self.answered.get(name, ()))
            if self.reads is not None and name in self.read_prefixes:
                deadline, most = self._answers.get(name, (ANSWER_DEADLINE, MAX_ANSWER_BYTES))
                adapter = SharingAdapter(adapter, self.reads, name, SHOP_WIDE[name], deadline=deadline,
                                         max_bytes=most)
            mounted[prefix] = adapter
        return mounted


__all__ = ["Gate", "LimitedAdapter", "RedisAnsweredWindow", "RedisGate", "RedisWindow",
           "SharedLimits", "SharedPlan", "graph_mailbox", "lightspeed_budget", "shop_key", "vendor_prefix"]
