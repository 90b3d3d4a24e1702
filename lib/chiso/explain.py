"""Explaining scores: why a unit's total changed, what points are left on the table, what-if.

Change attribution is exact. For a ratio indicator with segments s (field, procedure, channel or
child unit), ratio r = Σ w_s r_s with weights w_s = d_s / D. The midpoint (symmetric) identity

    r¹ − r⁰ = Σ_s  w̄_s (r_s¹ − r_s⁰)   +   Σ_s  (r̄_s − r̄) (w_s¹ − w_s⁰)
                   └── rate effect ──┘       └──────── mix effect ────────┘

holds exactly (w̄, r̄_s, r̄ are the two periods' means; the r̄ term sums to zero because the
weights' changes do, and centres each segment's mix effect: a below-average segment that grows
pulls the ratio down). A segment empty in one period takes its other period's rate, so it is
pure mix. Points are a piecewise-linear function of the ratio, so the
points change is apportioned to segments with the factor k = ΔP / Δr: segments add up to the
indicator's change, indicators to their group's, groups to the total (unrounded points).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .contract import Dataset
from .counts import WHOLE, Prepared, count_period, prepare, segment_counts
from .methodology import Indicator, Methodology
from .periods import Period, parse_period
from .scoring import points_from_counts, rank_and_band, score_counts, group_scores


# ------------------------------------------------------------------------- decomposition core
@dataclass
class Decomposition:
    """Points change of one indicator split into per-segment rate and mix effects."""

    change: float
    points0: float
    points1: float
    ratio0: float
    ratio1: float
    rate_effect: np.ndarray
    mix_effect: np.ndarray
    saturated: bool
    comparable: bool  # False when one period has an empty denominator (no rate to compare)

    @property
    def contribution(self) -> np.ndarray:
        return self.rate_effect + self.mix_effect


def decompose(n0, d0, n1, d1, ind: Indicator) -> Decomposition:
    """Split an indicator's points change between two periods over segments (arrays)."""
    n0, d0, n1, d1 = (np.asarray(x, dtype=np.float64) for x in (n0, d0, n1, d1))
    N0, D0, N1, D1 = n0.sum(), d0.sum(), n1.sum(), d1.sum()
    p0 = float(points_from_counts(N0, D0, ind))
    p1 = float(points_from_counts(N1, D1, ind))
    p0z = 0.0 if math.isnan(p0) else p0
    p1z = 0.0 if math.isnan(p1) else p1
    change = p1z - p0z
    zeros = np.zeros_like(n0)
    if D0 <= 0 or D1 <= 0 or ind.measure != "ratio":
        # Nothing to split into rates: the whole change is reported on the whole.
        r0 = N0 / D0 if D0 > 0 else float("nan")
        r1 = N1 / D1 if D1 > 0 else float("nan")
        mix = zeros.copy()
        if change and len(mix):
            mix[np.argmax(d1 + d0)] = change
        return Decomposition(change, p0, p1, r0, r1, zeros, mix, False, bool(D0 > 0 and D1 > 0))
    r0, r1 = N0 / D0, N1 / D1
    w0, w1 = d0 / D0, d1 / D1
    with np.errstate(divide="ignore", invalid="ignore"):
        rs0 = np.where(d0 > 0, n0 / np.where(d0 > 0, d0, 1), np.nan)
        rs1 = np.where(d1 > 0, n1 / np.where(d1 > 0, d1, 1), np.nan)
    rs0 = np.where(np.isnan(rs0), rs1, rs0)
    rs1 = np.where(np.isnan(rs1), rs0, rs1)
    rs0, rs1 = np.nan_to_num(rs0), np.nan_to_num(rs1)
    rate_r = 0.5 * (w0 + w1) * (rs1 - rs0)
    # Centred mix: Σ Δw = 0, so subtracting the overall midpoint rate keeps the sum and makes a
    # segment's mix effect negative when a below-average segment grows (and vice versa).
    mix_r = (0.5 * (rs0 + rs1) - 0.5 * (r0 + r1)) * (w1 - w0)
    dr = r1 - r0
    saturated = r0 >= ind.target and r1 >= ind.target
    if saturated or ind.max_points == 0:
        k = 0.0
    elif abs(dr) > 1e-15:
        k = change / dr
    else:
        k = ind.max_points / ind.target
    rate, mix = k * rate_r, k * mix_r
    # Floating-point residue (≈1e-16) goes to the largest segment so the sum is exact to the bit.
    residue = change - (rate.sum() + mix.sum())
    if len(rate) and residue:
        i = int(np.argmax(np.abs(rate) + np.abs(mix)))
        if abs(rate[i]) >= abs(mix[i]):
            rate[i] += residue
        else:  # keep an exactly-zero rate effect exactly zero (a pure mix change)
            mix[i] += residue
    return Decomposition(change, p0, p1, r0, r1, rate, mix, bool(saturated), True)


# ------------------------------------------------------------------------------- attribution
@dataclass
class SegmentEffect:
    segment: str
    label: str
    numerator0: float
    denominator0: float
    numerator1: float
    denominator1: float
    ratio0: float | None
    ratio1: float | None
    rate_effect: float
    mix_effect: float
    contribution: float


@dataclass
class IndicatorChange:
    indicator: str
    name: str
    group: str
    status: str
    points0: float | None
    points1: float | None
    change: float
    ratio0: float | None
    ratio1: float | None
    numerator0: float
    denominator0: float
    numerator1: float
    denominator1: float
    max_points: float
    target: float
    saturated: bool
    comparable: bool
    split: bool  # False when the indicator does not split along the chosen dimension
    segments: list[SegmentEffect] = field(default_factory=list)


@dataclass
class GroupChange:
    group: str
    name: str
    points0: float
    points1: float
    change: float
    indicators: list[IndicatorChange] = field(default_factory=list)


@dataclass
class Attribution:
    unit_id: str
    unit_name: str
    unit_kind: str
    period: str
    baseline: str
    by: str
    lang: str
    total0: float
    total1: float
    total_change: float
    displayed_total0: float
    displayed_total1: float
    rank0: int
    rank1: int
    peers: int
    band1: str
    synthetic: bool
    groups: list[GroupChange] = field(default_factory=list)
    narrative: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _clean(asdict(self))

    def segments_frame(self) -> pd.DataFrame:
        """One row per group × indicator × segment (the CSV form)."""
        rows = []
        for g in self.groups:
            for ind in g.indicators:
                for s in ind.segments:
                    rows.append({"unit_id": self.unit_id, "period": self.period, "baseline": self.baseline,
                                 "group": g.group, "group_change": g.change, "indicator": ind.indicator,
                                 "indicator_change": ind.change, "saturated": ind.saturated, "by": self.by,
                                 **asdict(s)})
        return pd.DataFrame(rows)


def _clean(obj):
    """NaN → None and numpy scalars → Python, so JSON is valid."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return None if math.isnan(v) else v
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _nan_to_none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class Explainer:
    """Counts and scores for a dataset, cached per period, to explain many units quickly."""

    def __init__(self, ds: Dataset, meth: Methodology, prepared: Prepared | None = None):
        self.ds = ds
        self.meth = meth
        self.prep = prepared or prepare(ds, meth)
        self._counts: dict[str, pd.DataFrame] = {}
        self._units: dict[tuple[str, str], pd.DataFrame] = {}
        self._segments: dict[tuple[str, str, str], pd.DataFrame] = {}
        self._explained: dict[tuple, Attribution] = {}
        self.names = dict(zip(ds.units["unit_id"], ds.units["name"]))
        self.kinds = dict(zip(ds.units["unit_id"], ds.units["kind"]))

    def counts(self, period: Period | str) -> pd.DataFrame:
        label = parse_period(period).label
        if label not in self._counts:
            self._counts[label] = count_period(self.prep, label)
        return self._counts[label]

    def unit_scores(self, period: Period | str, lang: str = "vi") -> pd.DataFrame:
        key = (parse_period(period).label, lang)
        if key not in self._units:
            scored = score_counts(self.counts(key[0]), self.meth)
            groups = group_scores(scored, self.meth)
            groups["unit_kind"] = groups["unit_id"].map(self.kinds)
            self._units[key] = rank_and_band(groups, self.meth, lang).set_index("unit_id")
        return self._units[key]

    def segments(self, unit_id: str, period: Period | str, by: str) -> pd.DataFrame:
        """Segment counts of a unit (cached: reports ask for the same split several times)."""
        key = (unit_id, parse_period(period).label, by)
        if key not in self._segments:
            self._segments[key] = segment_counts(self.prep, key[1], unit_id, by, self.counts(key[1]))
        return self._segments[key]

    def check_unit(self, unit_id: str) -> None:
        if unit_id not in self.names:
            raise KeyError(f"unknown unit '{unit_id}'")

    def explain(self, unit_id: str, period: Period | str, baseline: Period | str | None = None,
                by: str = "field", lang: str = "vi") -> Attribution:
        """Attribute the change of a unit's total between `baseline` (default: previous) and `period`."""
        from .narrative import attribution_sentences

        self.check_unit(unit_id)
        cur = parse_period(period)
        base = parse_period(baseline) if baseline else cur.previous()
        key = (unit_id, cur.label, base.label, by, lang)
        if key in self._explained:
            return self._explained[key]
        seg1 = self.segments(unit_id, cur, by)
        seg0 = self.segments(unit_id, base, by)
        groups = {g.code: GroupChange(g.code, g.name(lang), 0.0, 0.0, 0.0) for g in self.meth.groups}
        merged_all = seg0.merge(seg1, on=["indicator", "segment"], how="outer", suffixes=("0", "1"))
        merged_all["label"] = merged_all["label1"].fillna(merged_all["label0"])
        for col in ("numerator0", "denominator0", "numerator1", "denominator1"):
            merged_all[col] = merged_all[col].fillna(0.0)
        parts = dict(tuple(merged_all.groupby("indicator", sort=False)))
        for ind in self.meth.indicators:
            merged = parts.get(ind.code, merged_all.iloc[:0])  # no segment with counts in either period
            n0, d0 = merged["numerator0"].to_numpy(), merged["denominator0"].to_numpy()
            n1, d1 = merged["numerator1"].to_numpy(), merged["denominator1"].to_numpy()
            dec = decompose(n0, d0, n1, d1, ind)
            rate, mix, contribution = dec.rate_effect.tolist(), dec.mix_effect.tolist(), dec.contribution.tolist()
            segments = [
                SegmentEffect(
                    segment=seg, label=lab, numerator0=float(n0[i]), denominator0=float(d0[i]),
                    numerator1=float(n1[i]), denominator1=float(d1[i]),
                    ratio0=float(n0[i] / d0[i]) if d0[i] else None, ratio1=float(n1[i] / d1[i]) if d1[i] else None,
                    rate_effect=rate[i], mix_effect=mix[i], contribution=contribution[i],
                )
                for i, (seg, lab) in enumerate(zip(merged["segment"].tolist(), merged["label"].tolist()))
            ]
            segments.sort(key=lambda s: -abs(s.contribution))
            split = not (len(segments) == 1 and segments[0].segment == WHOLE)
            change = IndicatorChange(
                indicator=ind.code, name=ind.name(lang), group=ind.group, status=ind.status,
                points0=_nan_to_none(dec.points0), points1=_nan_to_none(dec.points1), change=dec.change,
                ratio0=_nan_to_none(dec.ratio0), ratio1=_nan_to_none(dec.ratio1),
                numerator0=float(n0.sum()), denominator0=float(d0.sum()),
                numerator1=float(n1.sum()), denominator1=float(d1.sum()),
                max_points=ind.max_points, target=ind.target, saturated=dec.saturated,
                comparable=dec.comparable, split=split, segments=segments,
            )
            grp = groups[ind.group]
            grp.indicators.append(change)
            grp.points0 += 0.0 if math.isnan(dec.points0) else dec.points0
            grp.points1 += 0.0 if math.isnan(dec.points1) else dec.points1
            grp.change += dec.change
        ordered = sorted(groups.values(), key=lambda g: -abs(g.change))
        for g in ordered:
            g.indicators.sort(key=lambda i: -abs(i.change))
        u1 = self.unit_scores(cur, lang).loc[unit_id]
        u0 = self.unit_scores(base, lang).loc[unit_id]
        total0 = sum(g.points0 for g in ordered)
        total1 = sum(g.points1 for g in ordered)
        result = Attribution(
            unit_id=unit_id, unit_name=self.names[unit_id], unit_kind=self.kinds[unit_id],
            period=cur.label, baseline=base.label, by=by, lang=lang,
            total0=total0, total1=total1, total_change=sum(g.change for g in ordered),
            displayed_total0=float(u0["total"]), displayed_total1=float(u1["total"]),
            rank0=int(u0["rank"]), rank1=int(u1["rank"]), peers=int(u1["peers"]), band1=str(u1["band_name"]),
            synthetic=self.ds.synthetic, groups=ordered,
        )
        result.narrative = attribution_sentences(result, lang)
        self._explained[key] = result
        return result


def waterfall_steps(attr: Attribution) -> pd.DataFrame:
    """Baseline total, each group's change, current total (unrounded points): the waterfall."""
    rows = [{"label": attr.baseline, "change": None, "value": attr.total0}]
    rows += [{"label": g.name, "change": g.change, "value": None} for g in attr.groups if abs(g.change) >= 0.005]
    rows += [{"label": attr.period, "change": None, "value": attr.total1}]
    return pd.DataFrame(rows)


def top_drivers(attr: Attribution, top: int = 8) -> pd.DataFrame:
    """The largest segment contributions across the indicators that split along `attr.by`."""
    rows = [{"label": x.label, "indicator": i.name, "contribution": x.contribution,
             "rate_effect": x.rate_effect, "mix_effect": x.mix_effect}
            for g in attr.groups for i in g.indicators if i.split for x in i.segments if abs(x.contribution) >= 0.005]
    frame = pd.DataFrame(rows, columns=["label", "indicator", "contribution", "rate_effect", "mix_effect"])
    return frame.sort_values("contribution", key=abs, ascending=False).head(top).reset_index(drop=True)


def unit_trend(explainer: "Explainer", unit_id: str, period: Period | str, periods: int = 12,
               lang: str = "vi") -> pd.DataFrame:
    """The unit's displayed total for the last `periods` periods (months before the data start are left out)."""
    cur = parse_period(period)
    first = explainer.ds.meta.get("first_month", "")
    rows = []
    for k in range(periods - 1, -1, -1):
        p = cur.shift(-k)
        if cur.kind == "month" and first and p.label < first:
            continue
        rows.append({"period": p.label, "total": float(explainer.unit_scores(p, lang).loc[unit_id, "total"])})
    return pd.DataFrame(rows)


def explain(ds: Dataset, unit_id: str, period: Period | str, baseline: Period | str | None = None,
            by: str = "field", meth: Methodology | None = None, lang: str = "vi") -> Attribution:
    """One-shot change attribution (use Explainer to explain many units)."""
    from .methodology import load_methodology

    return Explainer(ds, meth or load_methodology()).explain(unit_id, period, baseline, by, lang)
