"""Benchmark (not a test): how fast the explorer controller redraws on the demo province.

Target (issue 5): changing unit or period redraws in ≤ 300 ms. A redraw = the score card, the
ranking, the group scores, the waterfall, the drill-down, the 12-month trend and what-if.
Run `chiso generate --out data/demo` first (or `make demo`).
"""

from __future__ import annotations

import argparse
import statistics
import time

from chiso.contract import load_dataset
from chiso.explain import Explainer
from chiso.explorer import Explorer
from chiso.methodology import load_methodology


def redraw(ex: Explorer) -> None:
    ex.score_card(), ex.ranking(), ex.groups(), ex.waterfall(), ex.drilldown(), ex.trend(), ex.whatif()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data/demo")
    args = parser.parse_args()
    ds = load_dataset(args.data)
    period = ds.meta["last_month"]
    t0 = time.perf_counter()
    ex = Explorer(Explainer(ds, load_methodology()), ds.units["unit_id"].iloc[0], period)
    redraw(ex)
    first = time.perf_counter() - t0
    units = ds.units["unit_id"].tolist()
    unit_times = []
    for unit in units[::5]:
        start = time.perf_counter()
        ex.select_unit(unit)
        redraw(ex)
        unit_times.append(time.perf_counter() - start)
    months = [p["period"] for p in ex.trend().to_dict("records")]
    period_times = []
    for month in months[:-1]:
        start = time.perf_counter()
        ex.select_period(month)
        redraw(ex)
        period_times.append(time.perf_counter() - start)
    print(f"first view (load counts for 12 months)   {first:8.2f} s")
    print(f"change unit → redraw   median {1000 * statistics.median(unit_times):7.0f} ms, "
          f"max {1000 * max(unit_times):6.0f} ms over {len(unit_times)} units   (target ≤ 300 ms)")
    print(f"change period → redraw median {1000 * statistics.median(period_times):7.0f} ms, "
          f"max {1000 * max(period_times):6.0f} ms over {len(period_times)} months")


if __name__ == "__main__":
    main()
