"""Where the time of "many at once" goes (issue 21): ``--count`` exports of different customers started together in
this process through the service's shared vendor limits, as its worker runs them, with every stage timed per export.
Not a test: it asserts nothing.

    .venv/bin/python benchmarks/bench_many.py [--count 10] [--latency-ms 50] [--ls-window 300] [--workers 10]

The set-up is ``bench_scale.py``'s ``many`` (scale-1 fixtures, the sandbox's vendor limits enforced, ``--latency-ms``
on every answer, Silvasoft's ``rate_limit_wait`` at 5 s, the same ``SharedLimits``); ``--ls-window`` sets the
shop's Lightspeed 5-minute window in the sandbox *and* in the shared limiter (300 is the default plan; a larger
plan shows what is left when that window does not bind). ``--workers`` runs the exports on a pool of that many
threads (the portal's embedded workers), in submission order. Printed per export: its connectors' seconds, the
seconds its requests waited in the shared limiters and gates (per vendor), the seconds its connectors slept on their
own pacing (per connector), when its collection ended, and its packaging (wall and CPU seconds of the export's
thread after collection); then the totals per vendor (requests, refused, duplicates), Lightspeed's timeline and the
process's CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import scale_fixtures  # noqa: E402

from aggregator import config as config_mod  # noqa: E402
from aggregator.api import export  # noqa: E402
from aggregator.sandbox import Sandbox  # noqa: E402
from aggregator.service.limits import LimitedAdapter, SharedLimits  # noqa: E402

try:
    from aggregator.service.reads import SharingAdapter
except ImportError:                   # before the shared reads existed
    class SharingAdapter:  # type: ignore[no-redef]
        """Stands in for the class this tree does not have."""

CONNECTORS = ("lightspeed", "mailchimp", "office365", "paypal", "silvasoft")
# A process running many exports keeps its sign-ins (the README's advice for the portal's embedded workers): Office
# 365's msal application and PayPal's token, asked once for the exports started together.
MANY_SETTINGS = {"silvasoft": {"rate_limit_wait": 5.0}, "office365": {"reuse_sign_in": True},
                 "paypal": {"reuse_sign_in": True}}
LS_WINDOWS = (300, 3000, 12000)


class Clocked(BaseAdapter):
    """Wraps one export's :class:`LimitedAdapter`: records, per request, when it entered, when the shared limiters
    let it through (the inner adapter's start) and when it was answered."""

    def __init__(self, limited: BaseAdapter, vendor: str, export_no: int, out: list[tuple[Any, ...]]) -> None:
        super().__init__()
        self.limited, self.vendor, self.no, self.out = limited, vendor, export_no, out
        self.local = threading.local()
        if not isinstance(limited, LimitedAdapter):
            return
        inner = limited.inner
        outer = self

        class Mark(BaseAdapter):
            def send(self, request: requests.PreparedRequest, *a: Any, **k: Any) -> requests.Response:
                outer.local.through = time.perf_counter()
                return inner.send(request, *a, **k)

            def close(self) -> None:
                inner.close()

        limited.inner = Mark()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Send through the limited adapter, timing the wait and the answer."""
        entered = time.perf_counter()
        self.local.through = entered
        response = self.limited.send(request, *args, **kwargs)
        self.out.append((self.no, self.vendor, entered, self.local.through, time.perf_counter(),
                         response.status_code, request.url))
        return response

    def close(self) -> None:
        """Close the wrapped adapter."""
        self.limited.close()


def own_sleep(no: int, slept: dict[tuple[int, str], float]) -> Any:
    """A sleep for one export that adds each wait to its connector's total (the caller is the runner's _Waits)."""
    def sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_locals.get("self")
        name = getattr(caller, "name", "?")
        slept[(no, name)] += seconds
        time.sleep(seconds)
    return sleep


def main() -> None:  # noqa: C901 - a benchmark script, read top to bottom
    """Run the exports and print where their time went."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--ls-window", type=int, default=300)
    p.add_argument("--workers", type=int, default=0, help="0: one thread per export")
    p.add_argument("--dump", help="write every request (export, vendor, entered, let through, answered, status, "
                   "path) as JSON lines to this file")
    args = p.parse_args()
    latency = args.latency_ms / 1000
    print(f"# many at once, timed — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs (shared), "
          f"Python {platform.python_version()}; command: {' '.join(sys.argv)}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="dsar-many-") as tmp, \
            Sandbox(scale_fixtures.write(1, Path(tmp) / "fixtures"), enforce_limits=True) as sb:
        sb.clear()
        for vendor in sb.apps:
            sb.latency[vendor] = latency
        factor = args.ls_window / 300
        sb.apps["lightspeed"].limits = tuple(int(w * factor) for w in LS_WINDOWS)  # type: ignore[attr-defined]
        mapping = sb.config_mapping()
        for name, settings in MANY_SETTINGS.items():
            mapping["connectors"].setdefault(name, {}).update(settings)
        cfg = config_mod.from_mapping(mapping, env={}, source="<bench>")
        data = json.loads((sb.fixtures / "lightspeed" / "customers.json").read_text(encoding="utf-8"))
        emails = [c["email"] for c in data["customers"]][: args.count]
        limits = SharedLimits(cfg, window=(args.ls_window, 300.0), per_second=20.0)
        reqs: list[tuple[Any, ...]] = []
        slept: dict[tuple[int, str], float] = defaultdict(float)
        rows: dict[int, dict[str, Any]] = {}

        def one(no: int, email: str) -> None:
            mounted = limits.adapters(sb.adapters())
            for name, prefix in {**getattr(limits, "read_prefixes", {}), **limits.prefixes}.items():
                outer = mounted[prefix]
                if isinstance(outer, SharingAdapter):     # the shared reads sit in front of the limits
                    outer.inner = Clocked(outer.inner, name, no, reqs)
                else:
                    mounted[prefix] = Clocked(outer, name, no, reqs)
            last: dict[str, float] = {}

            def progress(connector: str, records: int, status: str) -> None:
                last[connector] = time.perf_counter()

            started, cpu0 = time.perf_counter(), time.thread_time()
            try:
                result = export(email, config=cfg, out_dir=Path(tmp) / f"c{no}", adapters=mounted,
                                entry_points=False, sleep=own_sleep(no, slept), progress=progress)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
                rows[no] = {"email": email, "status": f"{type(exc).__name__}: {exc}"}
                return
            ended, cpu = time.perf_counter(), time.thread_time() - cpu0
            outcomes = result.connectors
            package_wall = ended - max(last.values(), default=ended)
            rows[no] = {"email": email, "status": result.status, "started": started, "ended": ended,
                        "seconds": {n: outcomes[n].seconds or 0.0 for n in CONNECTORS},
                        "records": sum(o.records for o in outcomes.values()),
                        "package_wall": package_wall, "cpu": cpu}

        cpu0, t0 = time.process_time(), time.perf_counter()
        if args.workers:
            with ThreadPoolExecutor(args.workers) as pool:
                for f in [pool.submit(one, i, e) for i, e in enumerate(emails)]:
                    f.result()
        else:
            threads = [threading.Thread(target=one, args=(i, e)) for i, e in enumerate(emails)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        log = list(sb.log)

    waits: dict[tuple[int, str], float] = defaultdict(float)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            for x in reqs:
                fh.write(json.dumps([x[0], x[1], x[2] - t0, x[3] - t0, x[4] - t0, x[5], x[6]]) + "\n")
    for no, vendor, entered, through, _end, _status, _url in reqs:
        waits[(no, vendor)] += through - entered
    head = ["#", "records", "status", "start s", "collected s", "end s", "pkg wall s", "thread CPU s"]
    head += [f"{n[:5]} s" for n in CONNECTORS] + ["shared waits s (ls/si/mc/o365)", "own sleeps s (ls/si)"]
    lines = [head]
    for no in sorted(rows):
        r = rows[no]
        if "seconds" not in r:
            lines.append([str(no), "-", r["status"]] + ["-"] * (len(head) - 3))
            continue
        lines.append([str(no), str(r["records"]), r["status"], f"{r['started'] - t0:.1f}",
                      f"{r['ended'] - t0 - r['package_wall']:.1f}", f"{r['ended'] - t0:.1f}",
                      f"{r['package_wall']:.1f}", f"{r['cpu']:.1f}"]
                     + [f"{r['seconds'][n]:.1f}" for n in CONNECTORS]
                     + ["/".join(f"{waits[(no, v)]:.0f}" for v in ("lightspeed", "silvasoft", "mailchimp",
                                                                    "office365")),
                        "/".join(f"{slept[(no, v)]:.0f}" for v in ("lightspeed", "silvasoft"))])
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |" for x in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\n".join(out) + "\n")

    print("| vendor | requests | refused | duplicates |\n|---|---|---|---|")
    for n in CONNECTORS:
        mine = [x for x in log if x.vendor == n]
        ok = Counter((x.method, x.path, x.query) for x in mine if 200 <= x.status < 400)
        refused = sum(1 for x in mine if x.status == 429) + (sb.limits.refused.get(n, 0) if n == "silvasoft" else 0)
        print(f"| {n} | {len(mine)} | {refused} | {sum(k - 1 for k in ok.values() if k > 1)} |")
    for n in CONNECTORS:        # which requests were answered more than once (method and path, query left out)
        ok = Counter((x.method, x.path, x.query) for x in log if x.vendor == n and 200 <= x.status < 400)
        again = Counter(f"{method} {path}" for (method, path, _), k in ok.items() for _ in range(k - 1))
        if again:
            print(f"- {n}, answered more than once: " + ", ".join(f"{k} × {w}" for w, k in again.most_common(4)))
    ls = sorted(x[3] - t0 for x in reqs if x[1] == "lightspeed")
    n_ls = len(ls)
    print(f"\n- total wall {wall:.1f} s; process CPU {cpu:.1f} s; Lightspeed requests {n_ls} "
          f"(/ 20 per s = {n_ls / 20:.1f} s; goal 1.2 × that = {1.2 * n_ls / 20:.1f} s)")
    if ls:
        marks = [i for i in (1, 100, 200, args.ls_window, args.ls_window + 1, n_ls) if 0 < i <= n_ls]
        print("- Lightspeed request k let through at: "
              + ", ".join(f"#{i} {ls[i - 1]:.1f} s" for i in sorted(set(marks))))
    floor = (300.0 + (n_ls - args.ls_window) / 20) if n_ls > args.ls_window else n_ls / 20
    print(f"- Lightspeed floor under a window of {args.ls_window}/5 min: {floor:.1f} s")
    ends = sorted(r["ended"] - t0 for r in rows.values() if "ended" in r)
    print(f"- exports finished at: {', '.join(f'{e:.0f}' for e in ends)} s")
    pk = [r for r in rows.values() if "cpu" in r]
    print(f"- packaging: wall {sum(r['package_wall'] for r in pk):.1f} s summed over exports; export threads' CPU "
          f"{sum(r['cpu'] for r in pk):.1f} s (the rest of the process CPU, {cpu - sum(r['cpu'] for r in pk):.1f} s, "
          "is collection: connectors, parsing, the in-process sandbox)")
    reads = getattr(limits, "reads", None)
    if reads is not None:
        print(f"- shared reads: {reads.shared} answers handed on without a request of their own; "
              f"{len(reads)} kept at the end ({reads.bytes / 2**20:.1f} MiB)")
    shared: dict[str, float] = defaultdict(float)
    for (_, v), s in waits.items():
        shared[v] += s
    print("- waits in the shared limiters, summed over requests: "
          + ", ".join(f"{v} {s:.0f} s" for v, s in sorted(shared.items())))
    own: dict[str, float] = defaultdict(float)
    for (_, c), s in slept.items():
        own[c] += s
    print("- connectors' own sleeps, summed: " + ", ".join(f"{c} {s:.0f} s" for c, s in sorted(own.items())),
          flush=True)


if __name__ == "__main__":
    main()
