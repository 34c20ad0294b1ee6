"""What ``--encrypt`` costs: one plain export of the demo customer against the sandbox, then the encryption step
(aggregator/encrypt.py) on that package, repeated; prints the package sizes and the seconds.

    .venv/bin/python benchmarks/bench_encrypt.py [--email E] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from aggregator import config as config_mod
from aggregator import encrypt
from aggregator.api import export
from aggregator.sandbox import Sandbox


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--email", default="jan.desmet@example.be")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    with Sandbox() as sb, tempfile.TemporaryDirectory() as out:
        mapping = sb.config_mapping()
        mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
        cfg = config_mod.from_mapping(mapping)
        t0 = time.perf_counter()
        result = export(args.email, config=cfg, out_dir=out, entry_points=False)
        wall = time.perf_counter() - t0
        plain = result.package.stat().st_size
        members = sum(f["bytes"] for f in result.manifest["files"])
        passphrase = encrypt.new_passphrase()
        target = Path(out) / "sealed.zip"
        times = []
        for _ in range(args.repeat):
            t1 = time.perf_counter()
            with target.open("wb") as fh:
                encrypt.encrypt_zip(result.package, fh, passphrase)
            times.append(time.perf_counter() - t1)
        sealed = target.stat().st_size
    median = statistics.median(times)
    print(f"export (plain):        {wall:7.2f} s   {len(result.manifest['files']) + 1} members, "
          f"{members / 1e6:.2f} MB uncompressed")
    print(f"package plain:         {plain:9d} bytes")
    grown = sealed - plain
    print(f"package encrypted:     {sealed:9d} bytes   (+{grown} bytes, {100 * grown / plain:.2f} %)")
    print(f"encryption step:       {median:7.3f} s median of {args.repeat} ({min(times):.3f}–{max(times):.3f}), "
          f"{100 * median / wall:.1f} % of the export")


if __name__ == "__main__":
    main()
