"""The scale benchmark of issue 21: prints, in one run, the figures the issue asks for. Not a test: it asserts nothing.

    .venv/bin/python benchmarks/bench_scale.py [--latency-ms 50] [--scales 1,10] [--rss-scales 1,10,100]
                                               [--many 10] [--skip single,sequential,many,rss]

For each scale factor (fixtures written by ``benchmarks/scale_fixtures.py`` into a temporary directory) it runs,
against the sandbox with the vendors' limits enforced (``aggregator/sandbox/limits.py``) and ``--latency-ms`` on
every answer, answered in this process (``Sandbox.adapters``; the latency is slept per request, so overlap is real):

* the full export of the demo customer, each connector alone, and the sequential baseline (every concurrency
  setting 1; Office 365's mailboxes one at a time — its per-mailbox searches have no setting); Office 365's OpenID
  discovery is kept between them (``discovery_cache``, as beside a register): only the first export asks it;
* per vendor: requests, refusals (the sandbox's 429s, Silvasoft's "Ratelimit exceeded" 401s) and duplicates (the
  same request answered successfully more than once);
* per connector: its floor — the largest of latency × its longest chain of dependent requests (estimated: its
  longest run of pages of one listing, plus two steps of look-up before it), its requests over the vendor's rate,
  and its requests × latency over the vendor's allowed concurrency — and the ratio of its time alone to it;
* "many at once": ``--many`` exports of different customers started together in this process (Silvasoft's
  ``rate_limit_wait`` at 5 s, sign-ins kept: see ``MANY_SETTINGS``);
* peak RSS of the export process alone (``ru_maxrss`` of a child process; the HTTPS sandbox in another process;
  latency 0, limits off, Lightspeed's pace lifted) at ``--rss-scales``.

Lightspeed's 5-minute/hour/day windows (300/3,000/12,000) vary by shop; at scale ``k`` the sandbox's shop gets ``k``
times them (a shop a hundred times busier has the plan to match), its 20 requests/s stay. Wall times on a shared
machine are noisy: read the request counts and the ratios first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import scale_fixtures  # noqa: E402

from aggregator import config as config_mod  # noqa: E402
from aggregator.api import export  # noqa: E402
from aggregator.sandbox import Sandbox  # noqa: E402
from aggregator.sandbox.server import Logged  # noqa: E402

DEMO = "jan.desmet@example.be"
CONNECTORS = ("lightspeed", "mailchimp", "office365", "paypal", "silvasoft")
LS_WINDOWS = (300, 3000, 12000)
PAGING = re.compile(r"(^|&)(page|offset|(\$|%24)skip|(\$|%24)skiptoken|Offset)=[^&]*", re.IGNORECASE)
# The vendor's own rate (requests/s) and allowed concurrency, for the floors; None: not published.
RATE = {"lightspeed": 20.0, "silvasoft": 2.0}
# PayPal publishes no rate (it answers "anomalous traffic" with 429 RATE_LIMIT_REACHED): the connector's own pace
# (``requests_per_second``, default 20) is the bound it keeps, so its floor counts that pace.
OWN_PACE = {"paypal": 20.0}
CONCURRENCY = {"mailchimp": 10, "paypal": 8}     # PayPal publishes none: 8 is the connector's own maximum
GRAPH_PER_MAILBOX = 4
SEQUENTIAL = {"lightspeed": {"concurrency": 1}, "mailchimp": {"concurrency": 1}, "paypal": {"concurrency": 1}}
# Many at once: a Silvasoft refusal costs its connector 60 s, doubling, up to 30 min a run; 5 s keeps a run that is
# refused in minutes. The refusals are the figure; the wall time of a refused run is then an underestimate.
# A process running many exports keeps its sign-ins (the README's advice for the portal's embedded workers): Office
# 365's msal application and PayPal's token, asked once for the exports started together.
MANY_SETTINGS = {"silvasoft": {"rate_limit_wait": 5.0}, "office365": {"reuse_sign_in": True},
                 "paypal": {"reuse_sign_in": True}}


@dataclass
class Run:
    """One export's figures: wall time, per-connector seconds and the sandbox's log of it."""

    wall: float
    seconds: dict[str, float]
    status: dict[str, str]
    log: list[Logged]
    refused: dict[str, int] = field(default_factory=dict)

    def requests(self, vendor: str) -> int:
        """Requests to ``vendor`` (refusals included)."""
        return sum(1 for x in self.log if x.vendor == vendor)

    def refusals(self, vendor: str) -> int:
        """The vendor's limit answers: 429s (the sandbox layer's and the vendor app's), the layer's Silvasoft 401s."""
        return sum(1 for x in self.log if x.vendor == vendor and x.status == 429) + (
            self.refused.get(vendor, 0) if vendor == "silvasoft" else 0)

    def duplicates(self, vendor: str) -> int:
        """Requests answered successfully more than once (the same method, path and query)."""
        seen = Counter((x.method, x.path, x.query) for x in self.log if x.vendor == vendor and 200 <= x.status < 400)
        return sum(n - 1 for n in seen.values() if n > 1)


# --------------------------------------------------------------------------- running exports
def prepare(sb: Sandbox, scale: int, latency: float) -> None:
    """Fresh sandbox state: latency on every vendor, the shop's Lightspeed windows for this scale."""
    sb.clear()
    for vendor in sb.apps:
        sb.latency[vendor] = latency
    sb.apps["lightspeed"].limits = tuple(w * scale for w in LS_WINDOWS)  # type: ignore[attr-defined]


def config_for(sb: Sandbox, extra: dict[str, dict[str, Any]] | None = None) -> config_mod.Config:
    """The sandbox's configuration with ``extra`` settings merged per connector."""
    mapping = sb.config_mapping()
    for name, settings in (extra or {}).items():
        mapping["connectors"].setdefault(name, {}).update(settings)
    return config_mod.from_mapping(mapping, env={}, source="<bench>")


def run_export(sb: Sandbox, cfg: config_mod.Config, email: str, out: Path,
               only: list[str] | None = None) -> tuple[float, Any]:
    """Export ``email`` through the in-process sandbox; returns wall seconds and the result."""
    t0 = time.perf_counter()
    result = export(email, config=cfg, out_dir=out, only=only, adapters=sb.adapters(), entry_points=False)
    return time.perf_counter() - t0, result


def measure(sb: Sandbox, scale: int, latency: float, out: Path, email: str = DEMO,
            only: list[str] | None = None, extra: dict[str, dict[str, Any]] | None = None,
            before: Callable[[], None] | None = None) -> Run:
    """One export of ``email`` from a fresh sandbox state, with its figures."""
    prepare(sb, scale, latency)
    if before:
        before()
    # Office 365's OpenID discovery kept between exports, as beside a register (the CLI's, a worker's): the first
    # export of a run asks it, every later one signs in with the token request alone
    extra = {**(extra or {}), "office365": {"discovery_cache": str(out.parent / "office365-discovery.json"),
                                            **(extra or {}).get("office365", {})}}
    wall, result = run_export(sb, config_for(sb, extra), email, out, only)
    chosen = [n for n in CONNECTORS if not only or n in only]
    return Run(wall, {n: result.connectors[n].seconds or 0.0 for n in chosen},
               {n: str(result.connectors[n].status) for n in chosen}, list(sb.log), dict(sb.limits.refused))


def sequential(sb: Sandbox, scale: int, latency: float, out: Path) -> Run:
    """The sequential baseline: every concurrency setting 1, Office 365's mailboxes one at a time."""
    import connectors.office365 as o365

    saved = o365.MAILBOXES_AT_ONCE
    try:
        return measure(sb, scale, latency, out, extra=SEQUENTIAL,
                       before=lambda: setattr(o365, "MAILBOXES_AT_ONCE", 1))
    finally:
        o365.MAILBOXES_AT_ONCE = saved


# --------------------------------------------------------------------------- floors
def chain(log: list[Logged], vendor: str) -> int:
    """Estimated longest chain of dependent requests: the longest run of pages of one listing, plus two look-ups."""
    runs = Counter((x.method, x.path, PAGING.sub("", x.query)) for x in log if x.vendor == vendor)
    return (max(runs.values()) if runs else 0) + 2


def floor(run: Run, vendor: str, latency: float) -> tuple[float, str]:
    """The connector's floor in seconds and which bound sets it."""
    n = run.requests(vendor)
    bounds = {"chain": latency * chain(run.log, vendor)}
    if vendor in RATE:
        bounds["rate"] = n / RATE[vendor]
    if vendor in OWN_PACE:
        bounds["own pace"] = n / OWN_PACE[vendor]
    if vendor == "silvasoft":
        # 50 a minute (sliding), 2 a second inside each minute: request 51 goes a minute after request 1
        bounds["rate"] = max(bounds["rate"], (n - 1) // 50 * 60.0 + (n - 1) % 50 / RATE[vendor])
    if vendor in CONCURRENCY:
        bounds["concurrency"] = n * latency / CONCURRENCY[vendor]
    if vendor == "office365":
        bounds["concurrency"] = busiest_mailbox(run) * latency / GRAPH_PER_MAILBOX
    which = max(bounds, key=lambda k: bounds[k])
    return bounds[which], which


def busiest_mailbox(run: Run) -> int:
    """The requests to the Graph mailbox that had most of them."""
    boxes = Counter(x.path.split("/")[3].lower() for x in run.log
                    if x.vendor == "office365" and x.path.startswith("/v1.0/users/") and x.path.count("/") >= 3)
    return max(boxes.values(), default=0)


def graph_floor(run: Run, latency: float) -> tuple[float, int, int]:
    """Office 365's floor with its sign-in, a tighter lower bound than :func:`floor`'s largest single bound: the
    sign-in requests the export made (OpenID discovery, then the token: each waits for the one before, and every
    Graph request waits for the token), then the busiest mailbox's requests at most 4 at a time. Returns (floor,
    sign-in requests, the busiest mailbox's requests)."""
    signin = sum(1 for x in run.log if x.vendor == "office365"
                 and ("/oauth2/" in x.path or x.path.endswith("/openid-configuration")))
    busiest = busiest_mailbox(run)
    return max(floor(run, "office365", latency)[0], latency * (signin + busiest / GRAPH_PER_MAILBOX)), signin, busiest


# --------------------------------------------------------------------------- many at once
def customers(fixtures: Path, count: int) -> list[str]:
    """``count`` different customers' e-mail addresses: the demo customer first, then the shop's others."""
    data = json.loads((fixtures / "lightspeed" / "customers.json").read_text(encoding="utf-8"))
    emails = [c["email"] for c in data["customers"]]
    return emails[:count]


def many(sb: Sandbox, fixtures: Path, count: int, latency: float, out: Path,
         shared: bool) -> tuple[float, Run, list[str]]:
    """``count`` exports of different customers started together in this process; ``shared``: through the portal
    service's shared vendor limits (``aggregator/service/limits.py``), as its worker runs them."""
    from aggregator.service.limits import SharedLimits

    prepare(sb, 1, latency)
    cfg = config_for(sb, MANY_SETTINGS)
    emails = customers(fixtures, count)
    statuses: list[str] = [""] * len(emails)
    errors: list[str] = []
    limits = SharedLimits(cfg, window=(300, 300.0), per_second=20.0) if shared else None

    def one(i: int, email: str) -> None:
        try:
            adapters = limits.adapters(sb.adapters()) if limits else sb.adapters()
            result = export(email, config=cfg, out_dir=out / f"c{i}", adapters=adapters, entry_points=False)
            statuses[i] = result.status
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
            errors.append(f"{email}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(i, e)) for i, e in enumerate(emails)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return wall, Run(wall, {}, {}, list(sb.log), dict(sb.limits.refused)), statuses + errors


# --------------------------------------------------------------------------- peak RSS (child processes)
SANDBOX_CHILD = """
import json, sys, time
from pathlib import Path
from aggregator.sandbox import Sandbox
scale = int(sys.argv[2])
with Sandbox(Path(sys.argv[1])) as sb:
    sb.apps["lightspeed"].limits = tuple(w * scale * 1000 for w in (300, 3000, 12000))
    mapping = sb.config_mapping()
    mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
    Path(sys.argv[3]).write_text(json.dumps(mapping))
    print("ready", flush=True)
    sys.stdin.read()
"""


def own_peak_kib() -> int:
    """This process's own peak RSS (``VmHWM``): ``ru_maxrss`` of a child started from Python inherits the parent's
    peak (writing the scale-100 fixtures), so it would report the benchmark's memory, not the export's."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)      # not Linux: the best there is


def rss_child(config_path: str, email: str, out: str) -> None:
    """In a child process: one export with the given config; prints its peak RSS in KiB and its seconds."""
    mapping = json.loads(Path(config_path).read_text(encoding="utf-8"))
    cfg = config_mod.from_mapping(mapping, env={}, source="<bench>")
    t0 = time.perf_counter()
    result = export(email, config=cfg, out_dir=out, entry_points=False)
    seconds = time.perf_counter() - t0
    records = sum(o.records for o in result.connectors.values())
    print(json.dumps({"maxrss_kib": own_peak_kib(), "seconds": seconds,
                      "records": records, "status": result.status,
                      "package_bytes": result.package.stat().st_size}))


def peak_rss(fixtures: Path, scale: int, work: Path) -> dict[str, Any]:
    """Peak RSS of one export process against an HTTPS sandbox in another process."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    cfg = work / f"config-{scale}.json"
    sandbox = subprocess.Popen([sys.executable, "-c", SANDBOX_CHILD, str(fixtures), str(scale), str(cfg)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert sandbox.stdout is not None and sandbox.stdout.readline().strip() == "ready"
        child = subprocess.run([sys.executable, __file__, "--rss-child", str(cfg), DEMO, str(work / f"out-{scale}")],
                               capture_output=True, text=True, env=env, check=False)
        if child.returncode != 0:
            return {"error": child.stderr.strip().splitlines()[-1:] or ["?"]}
        return dict(json.loads(child.stdout.strip().splitlines()[-1]))
    finally:
        if sandbox.stdin:
            sandbox.stdin.close()
        sandbox.wait(timeout=30)


# --------------------------------------------------------------------------- printing
def table(rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` (the first is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    line.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(line)


def scale_report(scale: int, latency: float, full: Run, single: dict[str, Run], seq: Run | None) -> str:
    """The per-scale table and its summary lines."""
    rows = [["connector", "status", "requests", "refused", "dupl.", "alone s", "in full s", "floor s", "bound",
             "alone/floor", "seq. requests"]]
    for name in CONNECTORS:
        alone = single.get(name)
        basis = alone or full
        fl, which = floor(basis, name, latency)
        secs = alone.seconds.get(name, alone.wall) if alone else None
        rows.append([name, full.status.get(name, "?"), str(full.requests(name)), str(full.refusals(name)),
                     str(full.duplicates(name)), f"{secs:.1f}" if secs is not None else "-",
                     f"{full.seconds.get(name, 0):.1f}", f"{fl:.1f}", which,
                     f"{secs / fl:.2f}" if secs is not None and fl else "-",
                     str(seq.requests(name)) if seq else "-"])
    out = [f"### scale {scale}, latency {latency * 1000:.0f} ms, limits enforced", "", table(rows), ""]
    graph = single.get("office365")
    if graph is not None and latency and graph_floor(graph, latency)[0]:
        fl, signin, busiest = graph_floor(graph, latency)
        secs = graph.seconds.get("office365", graph.wall)
        out.append(f"- office365 with its sign-in ({signin} request(s) before any Graph request, then the busiest "
                   f"mailbox's {busiest} at 4 at a time): floor {fl:.2f} s, alone {secs:.2f} s, ratio {secs / fl:.2f}")
    longest = max((r.wall for r in single.values()), default=0.0)
    out.append(f"- full export: {full.wall:.1f} s; slowest connector alone: {longest:.1f} s"
               + (f"; full / max(single) = {full.wall / longest:.2f} (goal ≤ 1.15)" if longest else ""))
    if seq:
        out.append(f"- sequential baseline: {seq.wall:.1f} s; sequential / full = {seq.wall / full.wall:.2f}; "
                   f"refused in it: {sum(seq.refusals(n) for n in CONNECTORS)}")
    out.append(f"- requests: {sum(full.requests(n) for n in CONNECTORS)}; refused: "
               f"{sum(full.refusals(n) for n in CONNECTORS)}; "
               f"duplicates: {sum(full.duplicates(n) for n in CONNECTORS)}")
    return "\n".join(out)


def lightspeed_allows(n: int, window: tuple[int, float] = (LS_WINDOWS[0], 300.0)) -> float:
    """Seconds Lightspeed's own limits need for ``n`` requests: 20 a second and at most ``window[0]`` in any
    ``window[1]`` seconds (request k goes at k / 20 s, and not before request k − window[0] left the window)."""
    sent: list[float] = []
    for k in range(n):
        t = k / RATE["lightspeed"]
        if k >= window[0]:
            t = max(t, sent[k - window[0]] + window[1])
        sent.append(t)
    return sent[-1] if sent else 0.0


def print_many(fixtures: Path, count: int, latency: float, out: Path, shared: bool) -> None:
    """Run and print the "many at once" figures."""
    with Sandbox(fixtures, enforce_limits=True) as sb:
        wall, run, statuses = many(sb, fixtures, count, latency, out, shared)
    ls = run.requests("lightspeed")
    goal = 1.2 * ls / RATE["lightspeed"]
    how = "through the service's shared limits (as its worker)" if shared else "plain export() calls"
    print(f"### many at once: {count} exports of different customers in one process, {how}, scale 1, "
          f"latency {latency * 1000:.0f} ms\n")
    rows = [["vendor", "requests", "refused", "duplicates"]]
    rows += [[n, str(run.requests(n)), str(run.refusals(n)), str(run.duplicates(n))] for n in CONNECTORS]
    print(table(rows) + "\n")
    print(f"- total wall {wall:.1f} s; Lightspeed requests / 20 per s = {ls / 20:.1f} s "
          f"(goal: wall ≤ {goal:.1f} s; wall / that = {wall / (ls / 20):.2f}); refused in all: "
          f"{sum(run.refusals(n) for n in CONNECTORS)} (goal 0)")
    allowed = lightspeed_allows(ls)
    print(f"- what Lightspeed's limits allow for those requests (20/s and {LS_WINDOWS[0]} per 5 min): "
          f"{allowed:.1f} s; wall / that = {wall / allowed:.2f}" if allowed else "- no Lightspeed requests")
    print(f"- statuses: {', '.join(sorted(Counter(statuses).elements()))}\n", flush=True)


def main() -> None:
    """Parse the options, run the benchmark and print its tables."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--scales", default="1,10")
    p.add_argument("--rss-scales", default="1,10,100")
    p.add_argument("--many", type=int, default=10)
    p.add_argument("--skip", default="", help="comma-separated: single, sequential, many, rss")
    p.add_argument("--rss-child", nargs=3, metavar=("CONFIG", "EMAIL", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    skip = set(filter(None, args.skip.split(",")))
    latency = args.latency_ms / 1000
    scales = [int(s) for s in args.scales.split(",") if s]
    rss_scales = [int(s) for s in args.rss_scales.split(",") if s] if "rss" not in skip else []
    print(f"# dsar-aggregator scale benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs (shared), "
          f"Python {platform.python_version()}; command: {' '.join(sys.argv)}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="dsar-bench-") as tmp:
        work = Path(tmp)
        fixtures: dict[int, Path] = {}
        for scale in sorted(set(scales) | set(rss_scales)):
            t0 = time.perf_counter()
            fixtures[scale] = scale_fixtures.write(scale, work / f"fixtures-{scale}")
            print(f"(fixtures at scale {scale} written in {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        for scale in scales:
            with Sandbox(fixtures[scale], enforce_limits=True) as sb:
                out = work / f"out-{scale}"
                full = measure(sb, scale, latency, out)
                single = {} if "single" in skip else {n: measure(sb, scale, latency, out, only=[n])
                                                      for n in CONNECTORS}
                seq = None if "sequential" in skip else sequential(sb, scale, latency, out)
                print(scale_report(scale, latency, full, single, seq) + "\n", flush=True)
        if "many" not in skip and args.many:
            for shared in (False, True):
                print_many(fixtures.get(1) or scale_fixtures.write(1, work / "fixtures-1"), args.many, latency,
                           work / f"many-{shared}", shared)
        if rss_scales:
            rows = [["scale", "records", "peak RSS MiB", "× scale 1", "export s", "package KiB", "status"]]
            base = None
            for scale in rss_scales:
                r = peak_rss(fixtures[scale], scale, work)
                if "error" in r:
                    rows.append([str(scale), "-", "-", "-", "-", "-", f"error: {r['error']}"])
                    continue
                mib = r["maxrss_kib"] / 1024
                base = base or mib
                rows.append([str(scale), str(r["records"]), f"{mib:.0f}", f"{mib / base:.2f}", f"{r['seconds']:.0f}",
                             f"{r['package_bytes'] / 1024:.0f}", r["status"]])
                print(f"(rss at scale {scale} done)", file=sys.stderr, flush=True)
            print("### peak RSS of the export process (sandbox in another process, latency 0, limits off)\n")
            print(table(rows) + "\n", flush=True)


if __name__ == "__main__":
    main()
