"""Benchmark (not a test): score every unit for all 12 months of a 2 M-dossier province-year.

Target on the 2-core machine: ≤ 15 s and ≤ 3 GB peak memory, loading and validation included.
Run `python benchmarks/bench_generate.py --out data/bench` first (or `make bench`).
"""

from __future__ import annotations

import argparse
import resource
import time

from chiso.contract import load_dataset
from chiso.counts import count_period, prepare
from chiso.methodology import load_methodology
from chiso.periods import months_between
from chiso.scoring import indicator_table, unit_table


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data/bench")
    args = parser.parse_args()

    t0 = time.perf_counter()
    meth = load_methodology()
    ds = load_dataset(args.data)
    t1 = time.perf_counter()
    prep = prepare(ds, meth)
    t2 = time.perf_counter()
    months = months_between(ds.meta["first_month"], ds.meta["last_month"])
    import pandas as pd

    counts = pd.concat([count_period(prep, m) for m in months], ignore_index=True)
    t3 = time.perf_counter()
    indicators = indicator_table(ds, counts, meth)
    units = unit_table(ds, counts, meth)
    t4 = time.perf_counter()

    print(f"dossiers            {len(ds.dossiers):>12,}")
    print(f"petitions           {len(ds.petitions):>12,}")
    print(f"units × months      {len(ds.units):>6} × {len(months)} = {len(units):,} unit rows, "
          f"{len(indicators):,} indicator rows")
    print(f"load + validate     {t1 - t0:8.2f} s")
    print(f"prepare arrays      {t2 - t1:8.2f} s")
    print(f"count 12 months     {t3 - t2:8.2f} s")
    print(f"score + rank        {t4 - t3:8.2f} s")
    print(f"total               {t4 - t0:8.2f} s   (target ≤ 15 s)")
    print(f"peak RSS            {peak_rss_mb():8.0f} MB  (target ≤ 3,072 MB)")


if __name__ == "__main__":
    main()
