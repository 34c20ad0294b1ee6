"""Probe for issue 21's floors: PayPal and Office 365 alone at scales 1 and 10 (requests, refusals, duplicates,
seconds alone, floor, ratio), each alone against the sandbox with its limits enforced, through bench_scale's own
``measure`` and ``floor``. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/floors_probe.py [--scales 1,10] [--only paypal,office365] [--latency-ms 50]
        [--set paypal.requests_per_second=1000] [--timeline] [--paths]

``--timeline`` prints requests in flight per 100 ms (overall and per Graph mailbox) and each path's span;
``--latency-ms 0`` shows the CPU time alone (the sandbox answers in this process).
``--set office365.reuse_sign_in=true`` measures a later export of a process that keeps msal's application (the
portal's worker): the warm-up export before the measured one signs in, the measured one does not (no OpenID
discovery, no token request); without it every export signs in, as ``bench_scale`` measures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_scale
import scale_fixtures

from aggregator.sandbox import Sandbox


def main() -> None:
    """Run each chosen connector alone at each scale and print one row per run."""
    p = argparse.ArgumentParser()
    p.add_argument("--scales", default="1,10")
    p.add_argument("--only", default="paypal,office365")
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--paths", action="store_true", help="print request counts per path shape")
    p.add_argument("--set", action="append", default=[], metavar="CONNECTOR.KEY=VALUE",
                   help="a connector setting for the run (e.g. paypal.requests_per_second=1000)")
    p.add_argument("--timeline", action="store_true", help="print requests in flight per 100 ms")
    args = p.parse_args()
    latency = args.latency_ms / 1000
    extra: dict[str, dict[str, object]] = {}
    for item in args.set:
        key, value = item.split("=", 1)
        name, setting = key.split(".", 1)
        extra.setdefault(name, {})[setting] = json.loads(value)
    print("| connector | scale | status | requests | refused | dupl. | alone s | floor s | bound | chain | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="floors-") as tmp:
        for scale in [int(s) for s in args.scales.split(",")]:
            fixtures = scale_fixtures.write(scale, Path(tmp) / f"fx-{scale}")
            with Sandbox(fixtures, enforce_limits=True) as sb:
                for name in args.only.split(","):
                    # as in bench_scale (the full export runs first): the vendor app's data is loaded before the
                    # measured run, so its one-off parsing is not counted as the connector's time
                    # (with the same settings: ``--set office365.reuse_sign_in=true`` then measures a later export of
                    # a process that keeps msal's application, as the portal's worker does)
                    bench_scale.measure(sb, scale, 0.0, Path(tmp) / "warm", only=[name], extra=extra)
                    spans: list[tuple[float, float, str]] = []
                    answer = sb.answer

                    def timed(*a: object, answer: Any = answer, spans: list[tuple[float, float, str]] = spans,
                              **k: object) -> object:
                        t0 = time.perf_counter()
                        try:
                            return answer(*a, **k)
                        finally:
                            spans.append((t0, time.perf_counter(), str(a[1]).split("?")[0]))

                    sb.answer = timed  # type: ignore[method-assign,assignment]
                    t_start = time.perf_counter()
                    run = bench_scale.measure(sb, scale, latency, Path(tmp) / "out", only=[name], extra=extra)
                    sb.answer = answer  # type: ignore[method-assign]
                    fl, which = bench_scale.floor(run, name, latency)
                    secs = run.seconds[name]
                    print(f"| {name} | {scale} | {run.status[name]} | {run.requests(name)} | {run.refusals(name)} | "
                          f"{run.duplicates(name)} | {secs:.2f} | {fl:.2f} | {which} | "
                          f"{bench_scale.chain(run.log, name)} | {secs / fl if fl else float('inf'):.2f} |", flush=True)
                    if name == "office365" and latency and bench_scale.graph_floor(run, latency)[0]:
                        setup, signin, n = bench_scale.graph_floor(run, latency)
                        print(f"    with its sign-in ({signin} request(s) before any Graph request, then the busiest "
                              f"mailbox's {n} at 4 at a time): floor {setup:.2f} s, ratio {secs / setup:.2f}")
                    if args.timeline and spans:
                        end = max(e for _, e, _ in spans)
                        step, t = 0.1, t_start
                        line = []
                        while t < end:
                            busy = sum(min(e, t + step) - max(s0, t) for s0, e, _ in spans if s0 < t + step and e > t)
                            line.append(f"{busy / step:.1f}")
                            t += step
                        print("    in flight per 100 ms:", " ".join(line))
                        boxes = sorted({x.split("/")[4] for _, _, x in spans if x.startswith(f"/{name}/v1.0/users/")})
                        for box in boxes:
                            mine = [(a, b) for a, b, x in spans if x.startswith(f"/{name}/v1.0/users/{box}/")]
                            t, line = t_start, []
                            while t < end:
                                busy = sum(min(e, t + step) - max(s0, t) for s0, e in mine if s0 < t + step and e > t)
                                line.append(f"{busy / step:.1f}")
                                t += step
                            print(f"    {box[:12]:12s}", " ".join(line))
                        print(f"    first request at {min(s0 for s0, _, _ in spans) - t_start:.2f} s, last answer at "
                              f"{end - t_start:.2f} s, connector {secs:.2f} s, export {run.wall:.2f} s")
                    if args.timeline and spans:
                        by: dict[str, list[tuple[float, float]]] = {}
                        for s0, e, path in spans:
                            parts = path.split("/")
                            key = "/".join(parts[:6] + (["…", parts[-1]] if len(parts) > 7 else parts[6:7]))[-70:]
                            by.setdefault(key, []).append((s0 - t_start, e - t_start))
                        for key, got in sorted(by.items(), key=lambda kv: min(a for a, _ in kv[1])):
                            print(f"    {key:70s} n={len(got):4d} from {min(a for a, _ in got):6.2f} to "
                                  f"{max(b for _, b in got):6.2f}, mean {sum(b - a for a, b in got) / len(got):.3f} s")
                    if args.paths:
                        shapes = Counter((x.method, bench_scale.PAGING.sub("", x.path)) for x in run.log
                                         if x.vendor == name)
                        for (m, path), n in shapes.most_common(25):
                            print(f"    {n:5d} {m} {path}")


if __name__ == "__main__":
    main()
