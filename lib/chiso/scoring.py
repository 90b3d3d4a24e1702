"""Scoring: points from counts, group totals, the 100-point total, rank among peers and band.

`points = max_points × min(1, ratio / target)`; an empty denominator scores by the indicator's
empty rule (zero, full, or none = no score shown, 0 in the total). Unrounded points are kept for
explanations; the displayed values follow the methodology's rounding (indicators to 2 decimals,
a group as the sum of its rounded indicators, or the rounded sum where the file says so).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .contract import Dataset
from .counts import count, count_period, prepare, Prepared
from .methodology import Methodology, load_methodology
from .periods import Period, PeriodError, parse_period

INDICATOR_COLUMNS = ["unit_id", "unit_name", "unit_kind", "parent_id", "period", "group", "indicator",
                     "numerator", "denominator", "ratio", "points", "max_points", "status"]


class CountsError(ValueError):
    """Counts given to `score_counts` are unusable; the message names the row."""


def round_half_up(values, decimals: int) -> np.ndarray:
    """Round halves away from zero (as the portal displays), not to even; NaN stays NaN."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5 + 1e-9) / scale


def _points(num, den, max_points, target, empty_rule, measure):
    """(ratio, points) for arrays of counts: max × min(1, ratio / target), or the empty rule."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    empty = den <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(empty, np.nan, num / np.where(empty, 1.0, den))
    scored = max_points * np.minimum(1.0, np.nan_to_num(ratio) / target)
    scored = np.where(measure == "mean", 0.0, scored)
    empty_points = np.select([empty_rule == "zero", empty_rule == "full"], [0.0 * max_points, max_points],
                             default=np.nan)
    return ratio, np.where(empty, empty_points, scored)


def points_from_counts(num, den, ind) -> np.ndarray | float:
    """Unrounded points of one indicator for a numerator and denominator (scalars or arrays)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    shape = np.broadcast(num, den).shape
    _, points = _points(num, den, np.full(shape, ind.max_points), np.full(shape, ind.target),
                        np.full(shape, ind.empty), np.full(shape, ind.measure))
    return points if shape else float(points)


def score_counts(counts: pd.DataFrame, meth: Methodology) -> pd.DataFrame:
    """Add group, ratio, points, max_points, target, status and display points to counts rows."""
    info = pd.DataFrame({
        "indicator": [i.code for i in meth.indicators],
        "group": [i.group for i in meth.indicators],
        "max_points": [i.max_points for i in meth.indicators],
        "target": [i.target for i in meth.indicators],
        "empty_rule": [i.empty for i in meth.indicators],
        "measure": [i.measure for i in meth.indicators],
        "status": [i.status for i in meth.indicators],
    }).astype({"indicator": "str", "group": "str", "empty_rule": "str", "measure": "str", "status": "str"})
    out = counts.merge(info, on="indicator", how="left", validate="many_to_one")
    num = out["numerator"].to_numpy(dtype=np.float64)
    den = out["denominator"].to_numpy(dtype=np.float64)
    empty = den <= 0
    ratio, points = _points(num, den, out["max_points"].to_numpy(dtype=np.float64),
                            out["target"].to_numpy(dtype=np.float64), out["empty_rule"].to_numpy(),
                            out["measure"].to_numpy())
    out["ratio"] = ratio
    out["points"] = points
    out["points_display"] = round_half_up(points, meth.indicator_decimals)
    out["empty"] = empty
    return out.drop(columns=["empty_rule", "measure"])


def group_scores(scored: pd.DataFrame, meth: Methodology) -> pd.DataFrame:
    """One row per unit and period: displayed points per group, exact total, displayed total."""
    keys = ["unit_id", "period"]
    frame = scored.assign(
        points0=scored["points"].fillna(0.0),
        display0=scored["points_display"].fillna(0.0),
    )
    sums = frame.groupby(keys + ["group"], sort=False)[["points0", "display0"]].sum().reset_index()
    mode = sums["group"].map(meth.group_rounding)
    sums["group_points"] = np.where(
        mode == "round_of_sum",
        round_half_up(sums["points0"], meth.indicator_decimals),
        round_half_up(sums["display0"], meth.indicator_decimals),  # sum of already-rounded values
    )
    wide = sums.pivot(index=keys, columns="group", values="group_points")
    exact = sums.groupby(keys)["points0"].sum()
    wide = wide.reindex(columns=meth.group_codes).fillna(0.0)
    wide.columns.name = None
    wide["total"] = round_half_up(wide[meth.group_codes].sum(axis=1), meth.total_decimals)
    wide["total_exact"] = exact.reindex(wide.index)
    return wide.reset_index()


def rank_and_band(units: pd.DataFrame, meth: Methodology, lang: str = "vi") -> pd.DataFrame:
    """Rank by displayed total among units of the same kind and period (ties share); add band."""
    out = units.copy()
    out["rank"] = (out.groupby(["period", "unit_kind"])["total"].rank(method="min", ascending=False)
                   .astype("int64"))
    out["peers"] = out.groupby(["period", "unit_kind"])["total"].transform("size").astype("int64")
    bands = [meth.band_for(t) for t in out["total"]]
    out["band"] = pd.Series([b.code for b in bands], index=out.index, dtype="str")
    out["band_name"] = pd.Series([b.name_vi if lang == "vi" else b.name_en for b in bands], index=out.index,
                                 dtype="str")
    return out


def _unit_info(ds: Dataset) -> pd.DataFrame:
    return ds.units[["unit_id", "name", "kind", "parent_id"]].rename(
        columns={"name": "unit_name", "kind": "unit_kind"})


def indicator_table(ds: Dataset, counts: pd.DataFrame, meth: Methodology) -> pd.DataFrame:
    """Scored counts with unit names: the `--level indicator` table, in methodology order."""
    scored = score_counts(counts, meth).merge(_unit_info(ds), on="unit_id", how="left")
    order = {code: i for i, code in enumerate(meth.indicator_codes)}
    unit_order = {u: i for i, u in enumerate(ds.units["unit_id"])}
    scored = scored.assign(_u=scored["unit_id"].map(unit_order), _i=scored["indicator"].map(order))
    scored = scored.sort_values(["period", "_u", "_i"], kind="stable").drop(columns=["_u", "_i"])
    rest = [c for c in scored.columns if c not in INDICATOR_COLUMNS]
    return scored[INDICATOR_COLUMNS + rest].reset_index(drop=True)


def unit_table(ds: Dataset, counts: pd.DataFrame, meth: Methodology, lang: str = "vi") -> pd.DataFrame:
    """One row per unit and period: group points, total, rank among peers, band."""
    scored = score_counts(counts, meth)
    groups = group_scores(scored, meth).merge(_unit_info(ds), on="unit_id", how="left")
    ranked = rank_and_band(groups, meth, lang)
    cols = ["unit_id", "unit_name", "unit_kind", "parent_id", "period", *meth.group_codes, "total", "rank", "peers",
            "band", "band_name", "total_exact"]
    unit_order = {u: i for i, u in enumerate(ds.units["unit_id"])}
    ranked = ranked.assign(_u=ranked["unit_id"].map(unit_order)).sort_values(["period", "_u"]).drop(columns="_u")
    return ranked[cols].reset_index(drop=True)


def score(ds: Dataset, period: Period | str | Iterable, meth: Methodology | None = None, level: str = "indicator",
          lang: str = "vi", prepared: Prepared | None = None) -> pd.DataFrame:
    """Score every unit for one period (or several): the `chiso score` table."""
    meth = meth or load_methodology()
    if isinstance(period, (str, Period)):
        prep = prepared or prepare(ds, meth)
        counts = count_period(prep, period)
    else:
        counts = count(ds, meth, period)
    if level == "indicator":
        return indicator_table(ds, counts, meth)
    if level == "unit":
        return unit_table(ds, counts, meth, lang)
    raise ValueError(f"level must be 'indicator' or 'unit', not '{level}'")


COUNTS_REQUIRED = ["unit_id", "period", "indicator", "numerator", "denominator"]


def read_counts_csv(path, meth: Methodology, what: str = "counts file") -> pd.DataFrame:
    """Read and check a counts CSV (unit_id, period, indicator, numerator, denominator) as people
    save it: UTF-8 with or without BOM, comma, semicolon (Vietnamese-locale Excel) or tab."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise CountsError(f"{what} '{path}' does not exist")
    try:
        first = path.read_text(encoding="utf-8-sig").split("\n", 1)[0]
        sep = max((",", ";", "\t"), key=first.count)
        raw = pd.read_csv(path, dtype={"unit_id": "str", "period": "str", "indicator": "str"},
                          encoding="utf-8-sig", sep=sep)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CountsError(f"{what} '{path}' is not a readable UTF-8 CSV: {exc}") from None
    return check_counts(raw, meth, source=str(path))


def check_counts(counts: pd.DataFrame, meth: Methodology, source: str = "counts") -> pd.DataFrame:
    """Validate hand-entered counts; errors name the file line (header = line 1)."""
    missing = [c for c in COUNTS_REQUIRED if c not in counts.columns]
    if missing:
        raise CountsError(f"{source}: missing column(s) {missing}; need {COUNTS_REQUIRED}")
    out = counts.reset_index(drop=True).copy()
    for col in ("unit_id", "period", "indicator"):
        out[col] = out[col].astype("str").str.strip()
    codes = set(meth.indicator_codes)
    for col in ("numerator", "denominator"):
        values = pd.to_numeric(out[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            raise CountsError(f"{source}, line {bad[0] + 2}, column '{col}': not a number ({counts[col].iloc[bad[0]]!r})")
        neg = np.flatnonzero((values < 0).to_numpy())
        if len(neg):
            raise CountsError(f"{source}, line {neg[0] + 2}, column '{col}': negative count ({values.iloc[neg[0]]:g})")
        out[col] = values.astype("float64")
    unknown = np.flatnonzero(~out["indicator"].isin(codes).to_numpy())
    if len(unknown):
        i = unknown[0]
        raise CountsError(f"{source}, line {i + 2}, column 'indicator': unknown indicator code "
                          f"'{out['indicator'].iloc[i]}' (methodology '{meth.name}')")
    for i, label in enumerate(out["period"]):
        try:
            parse_period(label)
        except PeriodError as exc:
            raise CountsError(f"{source}, line {i + 2}, column 'period': {exc}") from None
    dup = np.flatnonzero(out.duplicated(["unit_id", "period", "indicator"]).to_numpy())
    if len(dup):
        i = dup[0]
        raise CountsError(f"{source}, line {i + 2}: a second row for unit {out['unit_id'].iloc[i]}, period "
                          f"{out['period'].iloc[i]}, indicator {out['indicator'].iloc[i]}")
    ratio_codes = [i.code for i in meth.indicators if i.measure == "ratio"]
    over = np.flatnonzero((out["indicator"].isin(ratio_codes) & (out["numerator"] > out["denominator"])).to_numpy())
    if len(over):
        i = over[0]
        raise CountsError(f"{source}, line {i + 2}: numerator {out['numerator'].iloc[i]:g} is above denominator "
                          f"{out['denominator'].iloc[i]:g} for {out['indicator'].iloc[i]}")
    return out
