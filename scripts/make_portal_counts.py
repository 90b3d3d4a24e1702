"""Make a sample "portal counts" CSV from a data directory, to demonstrate `chiso reconcile`.

The portal only sees what was synced to it, and its figures are copied by hand, so from chiso's
own counts for one period this script:

1. drops the unsynced dossiers from every dossier indicator (what the portal never received);
2. lowers the numerator of `--noise` random unit × indicator rows by a few counts (copying slips);
3. leaves out `--drop` random rows (missing on the portal);
4. lowers the numerator of the province-scope indicator with the largest denominator by one, shown
   by every unit (an inherited indicator), unless `--no-province-shift`.

Usage (after `chiso generate --out data/demo`):

    .venv/bin/python scripts/make_portal_counts.py --data data/demo --period 2025-06 \\
        --out output/demo/portal-counts-2025-06.csv
    .venv/bin/chiso reconcile --data data/demo --portal output/demo/portal-counts-2025-06.csv --period 2025-06

The output has the `score-counts` columns: unit_id, period, indicator, numerator, denominator.
Deterministic for a given `--seed`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from chiso.contract import load_dataset
from chiso.counts import COUNT_COLUMNS, count_period, prepare
from chiso.methodology import load_methodology
from chiso.periods import parse_period
from chiso.reconcile import unsynced_counts


def simulate_portal(ds, meth, period: str, seed: int = 7, noise: int = 2, drop: int = 1,
                    province_shift: bool = True) -> pd.DataFrame:
    """chiso's counts for `period` as the portal would show them (see the module docstring)."""
    label = parse_period(period).label
    prep = prepare(ds, meth)
    local = count_period(prep, label)
    uns = unsynced_counts(prep, label)
    out = local.merge(uns, on=["unit_id", "indicator"], how="left", suffixes=("", "_unsynced"))
    out["numerator"] = out["numerator"] - out["numerator_unsynced"].fillna(0.0)
    out["denominator"] = out["denominator"] - out["denominator_unsynced"].fillna(0.0)
    out = out[COUNT_COLUMNS].copy()
    rng = np.random.default_rng(seed)

    scope = {i.code: i.scope for i in meth.indicators}
    measure = {i.code: i.measure for i in meth.indicators}
    root = str(prep.unit_ids[prep.province])
    # copying slips: a few counts off the numerator of rows with something to lose
    candidates = np.flatnonzero(((out["indicator"].map(scope) == "unit") & (out["indicator"].map(measure) == "ratio")
                                 & (out["numerator"] >= 5)).to_numpy())
    picked = rng.choice(candidates, size=min(noise, len(candidates)), replace=False) if len(candidates) else []
    for row in picked:
        current = float(out.at[row, "numerator"])
        out.at[row, "numerator"] = current - float(rng.integers(1, max(2, int(current * 0.2)) + 1))
    # the province's own figure of one province-scope indicator, inherited by every unit
    changed = np.zeros(len(out), dtype=bool)
    changed[np.asarray(picked, dtype=np.int64)] = True
    if province_shift:
        prov = out[(out["unit_id"] == root) & (out["indicator"].map(scope) == "province") & (out["numerator"] >= 1)]
        if len(prov):  # the largest denominator: one count moves every unit's points a little
            code = prov.sort_values("denominator", ascending=False, kind="stable")["indicator"].iloc[0]
            rows = out["indicator"] == code
            out.loc[rows, "numerator"] = out.loc[rows, "numerator"] - 1.0
            changed |= rows.to_numpy()
    # rows the portal file leaves out (not the ones changed above)
    keep = np.ones(len(out), dtype=bool)
    free = np.flatnonzero(~changed)
    if drop and len(free):
        keep[rng.choice(free, size=min(drop, len(free)), replace=False)] = False
    return out[keep].reset_index(drop=True)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description="Write a sample portal counts CSV for `chiso reconcile`.")
    parser.add_argument("--data", required=True, type=Path, help="data directory (chiso generate --out DIR)")
    parser.add_argument("--period", required=True, help="period, e.g. 2025-06, or 'latest'")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write ('{period}' becomes the period)")
    parser.add_argument("--methodology", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise", type=int, default=2, help="rows whose numerator is copied a few counts short")
    parser.add_argument("--drop", type=int, default=1, help="rows left out of the file")
    parser.add_argument("--no-province-shift", action="store_true",
                        help="keep the province-scope indicators as counted")
    args = parser.parse_args(argv)
    ds = load_dataset(args.data)
    meth = load_methodology(args.methodology)
    period = args.period
    if period == "latest":
        from chiso.cli import latest_month

        period = latest_month(ds)
    label = parse_period(period).label
    table = simulate_portal(ds, meth, label, args.seed, args.noise, args.drop, not args.no_province_shift)
    out = Path(str(args.out).replace("{period}", label.replace("..", "_")))
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, encoding="utf-8-sig", float_format="%.10g")
    print(f"wrote {len(table):,} portal count rows for {label} to {out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
