"""Where the export's memory goes (issue 21): peak RSS per stage and per connector, and the top allocation sites.

    .venv/bin/python benchmarks/bench_memory.py [--scales 1,10] [--only lightspeed,...] [--per-connector]
                                                [--trace] [--top 15] [--fast] [--fixtures DIR]

Like ``bench_scale.py``'s peak-RSS figure (whose child-process set-up this copies): the HTTPS sandbox runs in one
process with limits off and latency 0, the export in another, and the export process reports its own peak RSS
(``VmHWM``, see :func:`hwm_mib`) in the collection stage (``runner.run``) and in the packaging stage
(``package.build``), the high-water mark reset between them. With ``--trace``
(tracemalloc, 25 frames; slow, and its own bookkeeping inflates RSS) it also prints, per stage, the traced peak and
the largest live allocations at the highest sample, grouped by the innermost frame in this project's code
(``aggregator/``, ``connectors/``) and by the innermost frame of all. ``--fast`` lets every wait return at once
(the connectors' own pacing — Silvasoft's 2/s and 50/min — then costs no time; what is fetched is the same), so
scale 100 finishes in minutes; without it the figures are ``bench_scale.py``'s. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import scale_fixtures  # noqa: E402
from bench_scale import SANDBOX_CHILD  # noqa: E402  (the HTTPS sandbox child of the scale benchmark)

DEMO = "jan.desmet@example.be"


def _mib(kib: int) -> float:
    return kib / 1024


def hwm_mib() -> float:
    """This process's own peak RSS (``VmHWM``). Not ``ru_maxrss``: a child started by ``subprocess`` (vfork, exec)
    inherits its parent's peak in ``ru_maxrss``, so the benchmark's own memory would count as the export's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def reset_hwm() -> None:
    """Start a new peak (``echo 5 > /proc/self/clear_refs``), so each stage's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


class _Sampler:
    """Samples tracemalloc every ``every`` seconds and keeps the snapshot taken at the highest traced size."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.best: tracemalloc.Snapshot | None = None
        self.best_size = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        current, _ = tracemalloc.get_traced_memory()
        if current > self.best_size * 1.05:
            self.best = tracemalloc.take_snapshot()
            self.best_size = current

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _ours(filename: str) -> bool:
    return filename.startswith(str(ROOT)) and "/.venv/" not in filename and "/benchmarks/" not in filename


def _top(snapshot: tracemalloc.Snapshot, n: int) -> dict[str, list[tuple[str, float, int]]]:
    """The largest live allocations: by the innermost project frame and by the innermost frame of all."""
    by_ours: dict[str, list[int]] = {}
    by_any: dict[str, list[int]] = {}
    for trace in snapshot.traces:
        frames = trace.traceback  # innermost first
        inner = frames[0]
        key_any = f"{Path(inner.filename).name}:{inner.lineno}"
        ours = next((f for f in frames if _ours(f.filename)), None)
        key_ours = f"{Path(ours.filename).relative_to(ROOT)}:{ours.lineno}" if ours else "(outside the project)"
        for table, key in ((by_any, key_any), (by_ours, key_ours)):
            slot = table.setdefault(key, [0, 0])
            slot[0] += trace.size
            slot[1] += 1

    def rows(table: dict[str, list[int]]) -> list[tuple[str, float, int]]:
        return [(k, v[0] / 2**20, v[1]) for k, v in sorted(table.items(), key=lambda kv: -kv[1][0])[:n]]

    return {"project": rows(by_ours), "any": rows(by_any)}


def child(config_path: str, email: str, out: str, only: str, trace: bool, top: int, fast: bool) -> None:
    """In a child process: one export, with peak RSS (and traced memory) per stage, printed as JSON."""
    from aggregator import api
    from aggregator import config as config_mod

    figures: dict[str, Any] = {}
    sampler: _Sampler | None = None
    if trace:
        tracemalloc.start(25)
        sampler = _Sampler()
        sampler.start()
    real_run, real_build = api.run, api.package.build

    def stage_end(name: str) -> None:
        nonlocal sampler
        figures[f"rss_peak_{name}_mib"] = hwm_mib()
        figures["rss_peak_mib"] = max(figures.get("rss_peak_mib", 0.0), figures[f"rss_peak_{name}_mib"])
        reset_hwm()
        if sampler is not None:
            sampler.stop()
            figures[f"traced_peak_{name}_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            figures[f"traced_sampled_{name}_mib"] = sampler.best_size / 2**20
            if sampler.best is not None:
                figures[f"top_{name}"] = _top(sampler.best, top)
            tracemalloc.reset_peak()
            sampler = _Sampler()
            sampler.start()

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_run(*args, **kwargs)
        finally:
            stage_end("collection")

    def build(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_build(*args, **kwargs)
        finally:
            stage_end("packaging")

    api.run = run  # type: ignore[assignment]
    api.package.build = build  # type: ignore[assignment]
    mapping = json.loads(Path(config_path).read_text(encoding="utf-8"))
    cfg = config_mod.from_mapping(mapping, env={}, source="<bench>")
    reset_hwm()
    t0 = time.perf_counter()
    result = api.export(email, config=cfg, out_dir=out, entry_points=False, only=only.split(",") if only else None,
                        **({"sleep": lambda _s: None} if fast else {}))
    figures["rss_peak_mib"] = max(figures.get("rss_peak_mib", 0.0), hwm_mib())
    figures.update({
        "ru_maxrss_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), "seconds": time.perf_counter() - t0,
        "records": sum(o.records for o in result.connectors.values()), "status": result.status,
        "statuses": {n: str(o.status) for n, o in result.connectors.items() if o.records or o.calls},
        "package_kib": result.package.stat().st_size / 1024,
    })
    if sampler is not None:
        sampler.stop()
    print(json.dumps(figures))


def measure(fixtures: Path, scale: int, work: Path, only: str, trace: bool, top: int, fast: bool) -> dict[str, Any]:
    """One export process against an HTTPS sandbox in another process; its figures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cfg = work / f"config-{scale}.json"
    sandbox = subprocess.Popen([sys.executable, "-c", SANDBOX_CHILD, str(fixtures), str(scale), str(cfg)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert sandbox.stdout is not None and sandbox.stdout.readline().strip() == "ready"
        argv = [sys.executable, __file__, "--child", str(cfg), DEMO, str(work / f"out-{scale}"), only or "-",
                "1" if trace else "0", str(top), "1" if fast else "0"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        if sandbox.stdin:
            sandbox.stdin.close()
        sandbox.wait(timeout=30)


def report(scale: int, only: str, r: dict[str, Any]) -> None:
    """Print one measurement."""
    who = only or "all connectors"
    if "error" in r:
        print(f"## scale {scale}, {who}: error: {r['error']}\n", flush=True)
        return
    print(f"## scale {scale}, {who}: peak RSS {r['rss_peak_mib']:.0f} MiB (collection "
          f"{r.get('rss_peak_collection_mib', 0):.0f}, packaging {r.get('rss_peak_packaging_mib', 0):.0f}; "
          f"ru_maxrss {r['ru_maxrss_mib']:.0f}); "
          f"{r['records']} records; {r['seconds']:.0f} s; package {r['package_kib']:.0f} KiB; {r['status']} "
          f"{r['statuses']}")
    for stage in ("collection", "packaging"):
        if f"traced_peak_{stage}_mib" not in r:
            continue
        print(f"\n### {stage}: traced peak {r[f'traced_peak_{stage}_mib']:.1f} MiB, highest sample "
              f"{r[f'traced_sampled_{stage}_mib']:.1f} MiB")
        for kind in ("project", "any"):
            rows = r.get(f"top_{stage}", {}).get(kind, [])
            print(f"\nlive at the highest sample, by the innermost {'project ' if kind == 'project' else ''}frame:\n")
            print("| MiB | blocks | where |\n|---|---|---|")
            for where, mib, count in rows:
                print(f"| {mib:.2f} | {count} | {where} |")
    print(flush=True)


def main() -> None:
    """Parse the options, measure, print."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", default="1,10")
    p.add_argument("--only", default="", help="comma-separated connectors (default: all)")
    p.add_argument("--per-connector", action="store_true", help="also each connector alone")
    p.add_argument("--trace", action="store_true")
    p.add_argument("--fast", action="store_true", help="waits return at once (pacing costs no time)")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--fixtures", default="", help="a directory to keep the scaled fixtures in (reused)")
    p.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        config, email, out, only, trace, top, fast = args.child
        child(config, email, out, "" if only == "-" else only, trace == "1", int(top), fast == "1")
        return
    with tempfile.TemporaryDirectory(prefix="dsar-mem-") as tmp:
        work = Path(tmp)
        keep = Path(args.fixtures) if args.fixtures else work
        for scale in [int(s) for s in args.scales.split(",") if s]:
            fixtures = keep / f"fixtures-{scale}"
            if not (fixtures / "lightspeed").is_dir():
                scale_fixtures.write(scale, fixtures)
            runs = [args.only] + (["lightspeed", "mailchimp", "office365", "paypal", "silvasoft"]
                                  if args.per_connector else [])
            for only in runs:
                report(scale, only, measure(fixtures, scale, work, only, args.trace, args.top, args.fast))


if __name__ == "__main__":
    main()
