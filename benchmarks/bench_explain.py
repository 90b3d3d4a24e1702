"""Benchmark (not a test): explanation speed on the demo province.

What-if must be fast enough for a slider: ≤ 50 ms per evaluation. Also times change attribution
and points-left per unit, the way reports and the explorer call them.
Run `chiso generate --out data/demo` first (or `make demo`).
"""

from __future__ import annotations

import argparse
import statistics
import time

from chiso.contract import load_dataset
from chiso.explain import Explainer
from chiso.methodology import load_methodology
from chiso.whatif import Change, WhatIf, points_left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data/demo")
    parser.add_argument("--evaluations", type=int, default=2000)
    args = parser.parse_args()
    meth = load_methodology()
    ds = load_dataset(args.data)
    period = ds.meta.get("last_month")
    t0 = time.perf_counter()
    explainer = Explainer(ds, meth)
    t1 = time.perf_counter()
    whatif = WhatIf(explainer, period)
    t2 = time.perf_counter()
    units = list(ds.units["unit_id"])
    samples = []
    for i in range(args.evaluations):
        unit = units[i % len(units)]
        start = time.perf_counter()
        whatif.evaluate(unit, [Change("ON_TIME", numerator=i % 50), Change("ONLINE_PAYMENT_DOSSIER", ratio=0.9)])
        samples.append(time.perf_counter() - start)
    samples.sort()
    explain_times, left_times = [], []
    for unit in units[::10]:
        start = time.perf_counter()
        explainer.explain(unit, period, by="field")
        explain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        points_left(explainer, unit, period)
        left_times.append(time.perf_counter() - start)
    print(f"dossiers               {len(ds.dossiers):>10,}   period {period}")
    print(f"prepare (once)         {1000 * (t1 - t0):8.1f} ms")
    print(f"what-if setup (once)   {1000 * (t2 - t1):8.1f} ms  (counts and scores for the period)")
    print(f"what-if evaluation     {1000 * statistics.median(samples):8.3f} ms median, "
          f"{1000 * samples[int(0.99 * len(samples))]:.3f} ms p99 over {len(samples)}  (target ≤ 50 ms)")
    print(f"explain by field       {1000 * statistics.median(explain_times):8.1f} ms median per unit "
          f"({len(explain_times)} units; first call includes counting the baseline)")
    print(f"points left            {1000 * statistics.median(left_times):8.1f} ms median per unit")


if __name__ == "__main__":
    main()
