"""Mailchimp alone, as issue 21 measures it: requests, refusals, duplicates, seconds alone, floor and ratio at each
scale (latency 50 ms, the sandbox's limits enforced), and the peak memory (tracemalloc) of a Mailchimp-only export at
latency 0 while it collects (vendor → spool). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_mailchimp.py [--scales 1,10] [--mem-scales 1,10,100] [--latency-ms 50]
                                                   [--repeat 3]

Besides the floor of ``bench_scale.floor`` it prints the time the sandbox took to answer each request on average
(its latency plus this process's own CPU per request) and the floor at that latency: on a shared machine the
difference between the two floors is the load, not the connector.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_scale  # noqa: E402
import scale_fixtures  # noqa: E402

from aggregator.connector import ConnectorContext  # noqa: E402
from aggregator.http import Redactor  # noqa: E402
from aggregator.identifiers import IdentifierBus  # noqa: E402
from aggregator.sandbox import Sandbox  # noqa: E402
from aggregator.spool import Spool  # noqa: E402
from aggregator.subject import Subject  # noqa: E402
from connectors.mailchimp import MailchimpConnector  # noqa: E402


def timed_answers(sb: Sandbox) -> list[float]:
    """Wrap the sandbox's answer so each request's time in it is recorded."""
    spans: list[float] = []
    answer = sb.answer

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return answer(*args, **kwargs)
        finally:
            spans.append(time.perf_counter() - t0)

    sb.answer = timed  # type: ignore[method-assign]
    return spans


def speed(fixtures: Path, scale: int, latency: float, work: Path, repeat: int) -> None:
    """One table row per run."""
    with Sandbox(fixtures, enforce_limits=True) as sb:
        spans = timed_answers(sb)
        for _ in range(repeat):
            spans.clear()
            run = bench_scale.measure(sb, scale, latency, work / f"out-{scale}", only=["mailchimp"])
            fl, which = bench_scale.floor(run, "mailchimp", latency)
            secs = run.seconds["mailchimp"]
            n = run.requests("mailchimp")
            mean = statistics.fmean(spans) if spans else 0.0
            measured = max(n * mean / bench_scale.CONCURRENCY["mailchimp"], mean * bench_scale.chain(run.log,
                                                                                                   "mailchimp"))
            print(f"| {scale} | {run.status['mailchimp']} | {n} | {run.refusals('mailchimp')} | "
                  f"{run.duplicates('mailchimp')} | {secs:.2f} | {fl:.2f} | {which} "
                  f"(chain {bench_scale.chain(run.log, 'mailchimp')}) | **{secs / fl:.2f}** | {mean * 1000:.0f} | "
                  f"{measured:.2f} | {secs / measured:.2f} |", flush=True)


def memory(fixtures: Path, scale: int, work: Path) -> None:
    """Peak traced memory while Mailchimp collects alone at latency 0, each record written to a spool as the runner
    does (vendor → spool; the package is not written: that stage is not the connector's)."""
    with Sandbox(fixtures) as sb:
        bench_scale.prepare(sb, scale, 0.0)
        settings = MailchimpConnector.check_settings(sb.config_mapping(["mailchimp"])["connectors"]["mailchimp"])
        ctx = ConnectorContext(name="mailchimp", processor="mailchimp", subject=Subject.parse(bench_scale.DEMO),
                               settings=settings, ca_bundle=str(sb.ca_path), redactor=Redactor(),
                               bus=IdentifierBus({}), adapters=sb.adapters())
        spool = Spool(work / f"spool-{scale}")
        app = sb.apps["mailchimp"]
        for data in ("lists", "audiences", "reports", "abuse_reports", "ecommerce", "conversations"):
            getattr(app, data)          # the sandbox's own fixtures are loaded before tracing starts
        tracemalloc.start()
        t0 = time.perf_counter()
        records = 0
        for record in MailchimpConnector(ctx).collect():
            spool.write(record)
            records += 1
        secs = time.perf_counter() - t0
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        spool.close()
    print(f"| {scale} | {records} | {len(sb.log)} | {peak / 2**20:.1f} | {current / 2**20:.1f} | {secs:.1f} | "
          f"{'; '.join(ctx.shortfalls) or 'complete'} |", flush=True)


def mailchimp_fixtures(scale: int, target: Path) -> Path:
    """The shipped fixtures with Mailchimp scaled by ``scale`` (what ``scale_fixtures.write`` does to Mailchimp,
    without the minutes it spends on the other vendors at scale 100)."""
    shutil.copytree(scale_fixtures.SHIPPED, target, ignore=shutil.ignore_patterns("generate.py", "__pycache__"))
    if scale > 1:
        scale_fixtures.scale_mailchimp(target / "mailchimp", scale)
    return target


def main() -> None:
    """Measure and print."""
    p = argparse.ArgumentParser()
    p.add_argument("--scales", default="1,10")
    p.add_argument("--mem-scales", default="1,10")
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    latency = args.latency_ms / 1000
    scales = [int(s) for s in args.scales.split(",") if s]
    mem_scales = [int(s) for s in args.mem_scales.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="dsar-mc-") as tmp:
        work = Path(tmp)
        fixtures = {}
        for k in scales:
            t0 = time.perf_counter()
            fixtures[k] = scale_fixtures.write(k, work / f"fx-{k}")
            print(f"(fixtures {k}: {time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
        if scales:
            print(f"Mailchimp alone, latency {args.latency_ms:.0f} ms, limits enforced\n")
            print("| scale | status | requests | refused | dupl. | alone s | floor s | bound | alone/floor "
                  "| answer ms | floor at answer ms | alone/that |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for k in scales:
                speed(fixtures[k], k, latency, work, args.repeat)
        if mem_scales:
            print("\nMailchimp collecting alone (vendor → spool), latency 0: peak traced memory (tracemalloc)\n")
            print("| scale | records | requests | peak MiB | at the end MiB | s | status |")
            print("|---|---|---|---|---|---|---|")
            for k in mem_scales:
                memory(fixtures.get(k) or mailchimp_fixtures(k, work / f"mc-{k}"), k, work)


if __name__ == "__main__":
    main()
