"""Times one export against the sandbox and prints figures (wall time, per-connector time and calls, peak memory).

    .venv/bin/python benchmarks/bench_export.py [--email E] [--latency SECONDS] [--only a,b] [--real-pace]

``--latency`` adds that delay to every sandbox answer (all vendors), to see how far the connectors overlap.
By default Lightspeed's 20 requests/s pace is lifted so the figures show our own cost; ``--real-pace`` keeps it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from aggregator import config as config_mod
from aggregator.api import export
from aggregator.sandbox import Sandbox


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--email", default="jan.desmet@example.be")
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--only")
    p.add_argument("--real-pace", action="store_true")
    args = p.parse_args()
    only = args.only.split(",") if args.only else None
    with Sandbox() as sb, tempfile.TemporaryDirectory() as out:
        mapping = sb.config_mapping()
        if not args.real_pace and "lightspeed" in mapping["connectors"]:
            mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
        for vendor in sb.apps:
            sb.latency[vendor] = args.latency
        cfg = config_mod.from_mapping(mapping)
        t0 = time.perf_counter()
        result = export(args.email, config=cfg, out_dir=out, only=only)
        wall = time.perf_counter() - t0
        size = result.package.stat().st_size
    busy = sum(o.seconds or 0 for o in result.connectors.values())
    print(f"export of {args.email}: status {result.status}, latency {args.latency * 1000:.0f} ms per answer")
    print(f"{'connector':<12} {'status':<15} {'records':>8} {'calls':>6} {'seconds':>8}")
    for name, o in result.connectors.items():
        print(f"{name:<12} {o.status:<15} {o.records:>8} {o.calls:>6} {o.seconds or 0:>8.2f}")
    print(f"wall time {wall:.2f} s; sum of connector times {busy:.2f} s (overlap {busy / wall:.1f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"package {size / 1024:.0f} KiB; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
