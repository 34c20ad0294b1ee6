"""The packaging stage alone (redaction, data files, standard formats, readable pages, the zip), timed on the records
of one real export: prints seconds per run, records per second and the stage's peak traced memory. Not a test.

    .venv/bin/python benchmarks/bench_package.py [--scale 1] [--runs 3] [--profile out.prof]

The export runs once against the in-process sandbox (latency 0, limits off, fixtures of ``scale_fixtures``); its
``package.build`` call is then repeated ``--runs`` times on the same spool (each run a fresh redactor).
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import scale_fixtures  # noqa: E402

from aggregator import api, package  # noqa: E402
from aggregator import config as config_mod  # noqa: E402
from aggregator.sandbox import Sandbox  # noqa: E402

DEMO = "jan.desmet@example.be"


def main() -> None:
    """Run one export, then time its packaging stage again and again."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--profile", help="write a cProfile of the last run here")
    p.add_argument("--memory", action="store_true", help="trace memory (tracemalloc: slows the run several times)")
    args = p.parse_args()
    original = package.build
    figures: list[str] = []

    def timed(*a: Any, **k: Any) -> Any:
        spool = a[4]
        records = sum(n for _, _, n in spool.groups())
        redactor = k["record_redactor"]
        for run in range(args.runs):
            k["record_redactor"] = copy.deepcopy(redactor)      # untouched: it learns from the spool each run
            profiler = cProfile.Profile() if args.profile and run == args.runs - 1 else None
            if args.memory:
                tracemalloc.start()
            t0, c0 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            result = original(*a, **k)
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            peak = f", peak traced {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB" if args.memory else ""
            tracemalloc.stop()
            figures.append(f"run {run + 1}: {records} records, {wall:.1f} s wall, {cpu:.1f} s CPU, "
                           f"{records / cpu:.0f} records per CPU second{peak}, "
                           f"package {result[0].stat().st_size / 1024:.0f} KiB")
            print(figures[-1], flush=True)
        return result

    package.build = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="dsar-bench-package-") as tmp:
        fixtures = scale_fixtures.write(args.scale, Path(tmp) / "fixtures")
        with Sandbox(fixtures, enforce_limits=False) as sb:
            sb.apps["lightspeed"].limits = tuple(w * 10000 for w in (300, 3000, 12000))  # type: ignore[attr-defined]
            mapping = sb.config_mapping()
            mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
            cfg = config_mod.from_mapping(mapping, env={}, source="<bench>")
            api.export(DEMO, config=cfg, out_dir=Path(tmp) / "out", adapters=sb.adapters(), entry_points=False)


if __name__ == "__main__":
    main()
