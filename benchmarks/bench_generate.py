"""Benchmark: generate the full-size demo province-year (≈ 2 million dossiers) and write it.

    PYTHONPATH=lib .venv/bin/python benchmarks/bench_generate.py [--out data/bench] [--scale 6.7]

Prints the rows of each table, the seconds spent generating and writing Parquet, and the peak
resident memory of the process. Exits 1 when the total exceeds --budget seconds (default 90, the
project's limit for this machine).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import chiso  # noqa: F401
except ImportError:  # run without PYTHONPATH=lib
    sys.path.insert(0, str(ROOT / "lib"))

from chiso.contract import TABLES, write_dataset  # noqa: E402
from chiso.demo import DEFAULT_SEED, generate  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ru_maxrss in KB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "data" / "bench"), help="output directory")
    parser.add_argument("--scale", type=float, default=6.7, help="6.7 ≈ 2 million dossiers a year")
    parser.add_argument("--months", type=int, default=None)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--budget", type=float, default=90.0, help="seconds allowed for generate + write")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ds = generate(seed=args.seed, scale=args.scale, months=args.months)
    t1 = time.perf_counter()
    out = write_dataset(ds, args.out)
    t2 = time.perf_counter()

    print(f"chiso.demo benchmark: seed {args.seed}, scale {args.scale}, months {ds.meta['months']} "
          f"({ds.meta['first_month']} .. {ds.meta['last_month']}) -> {out}")
    for name in TABLES:
        size = (Path(out) / f"{name}.parquet").stat().st_size / 1e6
        print(f"  {name:<11} {len(ds.table(name)):>10,} rows  {size:8.1f} MB")
    total = t2 - t0
    print(f"  generate    {t1 - t0:8.2f} s")
    print(f"  write       {t2 - t1:8.2f} s")
    print(f"  total       {total:8.2f} s  (budget {args.budget:.0f} s)")
    print(f"  peak RSS    {peak_rss_mb():8.0f} MB")
    return 0 if total <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
