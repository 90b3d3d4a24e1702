"""Reconciliation with the national portal: local counts beside the portal's, differences explained.

`reconcile(ds, portal_counts, period, meth)` puts the numerator and denominator chiso counts for
every unit (rolled up, as `chiso.counts.count_period` does) and indicator beside the counts copied
from the portal (the `score-counts` CSV: unit_id, period, indicator, numerator, denominator), with
the points each side scores, and lists the differences largest first: by absolute points
difference, then by absolute count difference (the larger of the numerator's and the
denominator's). Differences are *local − portal*. `unit_summary` adds them up per unit (the
difference of the unrounded totals).

Each difference gets a likely cause, decided from evidence in the local data and checked in this
order (the first that fits wins):

1. `missing_on_portal` / `missing_locally` — the unit × indicator row exists on one side only
   (a unit unknown locally, a unit or indicator the portal file leaves out). The missing side
   counts as 0 points in the differences.
2. `unsynced_dossiers` — dossier indicators (the rule counts dossiers: `counts.RULE_NOUNS`) of
   unit scope: the local denominator exceeds the portal's, and dropping the unit's dossiers with
   `synced == False` (the unit's own and every unit below it, since counts roll up by summing)
   reproduces the portal: |portal − (local − unsynced)| ≤ tolerance for the denominator and for
   the numerator (the numerator only for ratio indicators; a mean's numerator is not a count).
   `unsynced` is not a global tally: each indicator's rule is re-run on the unsynced dossiers only,
   so it is exactly what that indicator's counts lose when they are dropped (ON_TIME loses
   carried-over dossiers too; ORIGINAL_RESULT_AVAILABLE only those with a result in the period).
   Tolerance: `max(UNSYNCED_TOLERANCE_ABS, UNSYNCED_TOLERANCE_REL × local denominator)`, i.e. one
   dossier, or 1 % of the local denominator when that is larger (portal syncs trickle in and are
   re-counted nightly).
3. `period_boundary` — dossier and petition indicators of unit scope: the gap (the larger of the
   absolute numerator and denominator differences) is not larger than the number of the unit's
   dossiers (petitions) received or ended (resolved) within `BOUNDARY_WINDOW_HOURS` (24 h) of the
   period's start or end, on either side of it, that the indicator counts (its rule run on those
   items over the period widened by the window on both sides); likewise the numerator gap (ratio
   indicators) is within those of them in the numerator. Those are the items a portal cutting
   periods at another hour or in another time zone can move in or out. (Open dossiers judged at
   the period end can also change verdict with another cut-off; they are not counted.)
4. `inherited_indicator` — an indicator of province scope (the methodology's `scope: province`:
   computed once for the province and shown by every unit, as `count_period` does) on a unit
   other than the province: the difference comes from the province's own figure, which the
   detail quotes.
5. `unexplained` — none of the above.

Rows whose counts agree get `match` (kept only with `include_equal=True`). The notebook
`notebooks/reconcile.py` displays the result with the HTML helpers at the end of this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import SYNTHETIC_BANNER, Dataset
from .counts import RULE_NOUNS, US_PER_HOUR, PeriodCounter, Prepared, RULES, count_period, prepare
from .methodology import Methodology, load_methodology
from .narrative import esc, fmt_number, fmt_points
from .periods import Period, parse_period
from .scoring import COUNTS_REQUIRED, CountsError, check_counts, read_counts_csv, score_counts

UNSYNCED_TOLERANCE_ABS = 1.0
UNSYNCED_TOLERANCE_REL = 0.01
BOUNDARY_WINDOW_HOURS = 24
EQUAL_EPSILON = 1e-6  # counts closer than this are equal (mean numerators are sums of days)

CAUSES: dict[str, tuple[str, str]] = {
    "missing_on_portal": ("Không có trên Cổng DVCQG", "Missing on the portal"),
    "missing_locally": ("Không có trong dữ liệu địa phương", "Missing in the local data"),
    "unsynced_dossiers": ("Hồ sơ chưa đồng bộ lên Cổng DVCQG", "Dossiers not synced to the portal"),
    "period_boundary": ("Lệch mốc đầu/cuối kỳ (giờ chốt, múi giờ)", "Period boundary (cut-off hour, time zone)"),
    "inherited_indicator": ("Chỉ số cấp tỉnh, đơn vị nhận giá trị của tỉnh", "Province indicator inherited by the unit"),
    "unexplained": ("Chưa rõ nguyên nhân", "Unexplained"),
    "match": ("Khớp", "Match"),
}

COLUMNS = ["unit_id", "unit_name", "unit_kind", "period", "group", "indicator", "status",
           "numerator_local", "denominator_local", "numerator_portal", "denominator_portal",
           "numerator_diff", "denominator_diff", "count_diff", "points_local", "points_portal", "points_diff",
           "cause", "cause_label", "unsynced_dossiers", "boundary_items", "detail"]

SUMMARY_COLUMNS = ["unit_id", "unit_name", "unit_kind", "indicators_differing", "points_local", "points_portal",
                   "points_diff", "abs_points_diff", "largest_indicator", "main_cause", "main_cause_label", "causes"]


def cause_label(code: str, lang: str = "vi") -> str:
    """The reader's words for a cause code."""
    vi, en = CAUSES[code]
    return vi if lang == "vi" else en


# ------------------------------------------------------------------------------- portal file
def read_portal_counts(path: str | Path, meth: Methodology) -> pd.DataFrame:
    """Read and validate a portal counts CSV (UTF-8 with or without BOM; comma, semicolon or tab);
    errors name the file."""
    return read_counts_csv(path, meth, "portal counts file")


def period_mismatch(counts: pd.DataFrame, period: Period | str) -> tuple[int, str] | None:
    """(file line, label) of the first row whose period is not `period` (header = line 1), or None."""
    label = parse_period(period).label
    labels = counts["period"].astype("str").str.strip()
    normal = labels.map({p: parse_period(p).label for p in labels.unique()})
    bad = np.flatnonzero((normal != label).to_numpy())
    if not len(bad):
        return None
    return int(bad[0]) + 2, str(labels.iloc[bad[0]])


# ---------------------------------------------------------------------------------- evidence
class _OnlyCounter(PeriodCounter):
    """A PeriodCounter whose counts keep only the dossiers in `dossiers` and the petitions in
    `petitions` (None: all); the rules run unchanged."""

    def __init__(self, prep: Prepared, period: Period, dossiers: np.ndarray | None = None,
                 petitions: np.ndarray | None = None):
        super().__init__(prep, period)
        self.keep_dossiers = dossiers
        self.keep_petitions = petitions

    def per_unit(self, mask, units=None, weights=None):
        keep = self.keep_dossiers if units is None else self.keep_petitions  # only petition rules pass units
        return super().per_unit(mask if keep is None else mask & keep, units, weights)


def _indicators_counting(meth: Methodology, nouns: tuple[str, ...]) -> list:
    return [i for i in meth.indicators if i.scope == "unit" and RULE_NOUNS.get(i.rule) in nouns]


def _rolled_up(prep: Prepared, counter: PeriodCounter, indicators: list) -> pd.DataFrame:
    frames = [pd.DataFrame({"unit_id": prep.unit_ids, "indicator": ind.code,
                            "numerator": prep.ancestor_matrix @ np.asarray(num, dtype=np.float64),
                            "denominator": prep.ancestor_matrix @ np.asarray(den, dtype=np.float64)})
              for ind in indicators for num, den in [RULES[ind.rule][0](counter, ind)]]
    if not frames:
        return pd.DataFrame({"unit_id": pd.Series([], dtype="str"), "indicator": pd.Series([], dtype="str"),
                             "numerator": pd.Series([], dtype="float64"),
                             "denominator": pd.Series([], dtype="float64")})
    return pd.concat(frames, ignore_index=True).astype({"unit_id": "str", "indicator": "str"})


def unsynced_counts(prep: Prepared, period: Period | str) -> pd.DataFrame:
    """What each dossier indicator's counts lose without the unsynced dossiers, per unit (rolled up).

    Each rule runs on the dossiers with `synced == False` only. Columns: unit_id, indicator,
    numerator, denominator (unit-scope dossier indicators only).
    """
    counter = _OnlyCounter(prep, parse_period(period), dossiers=~prep.d_synced)
    return _rolled_up(prep, counter, _indicators_counting(prep.meth, ("dossier",)))


def boundary_items(prep: Prepared, period: Period | str) -> pd.DataFrame:
    """Per unit (rolled up) and dossier or petition indicator: the items near the period's edges
    that the indicator counts, i.e. a portal cutting the period elsewhere could move in or out.

    Items: dossiers received or ended (petitions received or resolved) within
    `BOUNDARY_WINDOW_HOURS` of the period's start or end, on either side; counted by the
    indicator's own rule over the period widened by the window on both sides (its denominator).
    Columns: unit_id, indicator, items (in the denominator), numerator_items (of those, in the numerator).
    """
    period = parse_period(period)
    start = int(period.start.astype(np.int64))
    end = int(period.end_exclusive.astype(np.int64))
    window = BOUNDARY_WINDOW_HOURS * US_PER_HOUR

    def near(t: np.ndarray) -> np.ndarray:
        return ((t >= start - window) & (t < start + window)) | ((t >= end - window) & (t < end + window))

    counter = _OnlyCounter(prep, period, dossiers=near(prep.d_received) | near(prep.d_ended),
                           petitions=near(prep.q_received) | near(prep.q_resolved))
    counter.start, counter.end_exclusive = start - window, end + window
    counter.end = counter.end_exclusive - 1
    counts = _rolled_up(prep, counter, _indicators_counting(prep.meth, ("dossier", "petition")))
    return counts.rename(columns={"denominator": "items", "numerator": "numerator_items"})[
        ["unit_id", "indicator", "items", "numerator_items"]]


# ---------------------------------------------------------------------------------- compare
def _indicator_info(meth: Methodology) -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": [i.code for i in meth.indicators],
        "group": [i.group for i in meth.indicators],
        "status": [i.status for i in meth.indicators],
        "scope": [i.scope for i in meth.indicators],
        "measure": [i.measure for i in meth.indicators],
        "noun": [RULE_NOUNS.get(i.rule, "") if i.scope == "unit" else "" for i in meth.indicators],
        "order": np.arange(len(meth.indicators)),
    }).astype({"indicator": "str", "group": "str", "status": "str", "scope": "str", "measure": "str", "noun": "str"})


def _points(counts: pd.DataFrame, meth: Methodology) -> pd.Series:
    return score_counts(counts[COUNTS_REQUIRED], meth)["points"]


def reconcile(ds: Dataset, portal_counts: pd.DataFrame, period: Period | str, meth: Methodology | None = None,
              *, include_equal: bool = False, lang: str = "vi", prepared: Prepared | None = None,
              source: str = "portal counts") -> pd.DataFrame:
    """Local counts beside the portal's per unit and indicator, differences largest first, with a cause.

    `portal_counts`: the score-counts columns (validated here with `scoring.check_counts`; every
    row must be for `period`). Columns: see `COLUMNS`; differences are local − portal.
    """
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not '{lang}'")
    meth = meth or load_methodology()
    period = parse_period(period)
    prep = prepared or prepare(ds, meth)
    portal = check_counts(portal_counts, meth, source=source)
    mismatch = period_mismatch(portal, period)
    if mismatch is not None:
        raise CountsError(f"{source}, line {mismatch[0]}: period '{mismatch[1]}' differs from the period "
                          f"reconciled ({period.label})")
    portal = portal.assign(period=period.label)[COUNTS_REQUIRED]
    local = count_period(prep, period)

    local = local.assign(points=_points(local, meth).to_numpy())
    portal = portal.assign(points=_points(portal, meth).to_numpy())
    keys = ["unit_id", "period", "indicator"]
    m = local.merge(portal, on=keys, how="outer", suffixes=("_local", "_portal"), indicator="_side", sort=False)
    m = m.merge(_indicator_info(meth), on="indicator", how="left", validate="many_to_one")
    units = ds.units[["unit_id", "name", "kind"]].rename(columns={"name": "unit_name", "kind": "unit_kind"})
    m = m.merge(units.astype({"unit_id": "str"}), on="unit_id", how="left", validate="many_to_one")
    unit_order = pd.Series(np.arange(len(units)), index=units["unit_id"].astype("str"))
    m["_u"] = m["unit_id"].map(unit_order).fillna(len(units))

    # evidence from the local data
    uns = unsynced_counts(prep, period).rename(columns={"numerator": "_uns_num", "denominator": "_uns_den"})
    m = m.merge(uns, on=["unit_id", "indicator"], how="left", validate="many_to_one")
    m = m.merge(boundary_items(prep, period), on=["unit_id", "indicator"], how="left", validate="many_to_one")
    m["boundary_items"] = m["items"].fillna(0.0)
    m["_bnd_num"] = m["numerator_items"].fillna(0.0)
    m["unsynced_dossiers"] = m["_uns_den"].fillna(0.0)
    m["_uns_num"] = m["_uns_num"].fillna(0.0)

    side = m["_side"].astype("str")
    has_local, has_portal = side != "right_only", side != "left_only"
    nl, dl = m["numerator_local"].fillna(0.0), m["denominator_local"].fillna(0.0)
    np_, dp = m["numerator_portal"].fillna(0.0), m["denominator_portal"].fillna(0.0)
    m["numerator_diff"] = nl - np_
    m["denominator_diff"] = dl - dp
    is_ratio = m["measure"] == "ratio"
    num_gap = m["numerator_diff"].abs().where(is_ratio, 0.0)
    m["count_diff"] = np.maximum(num_gap, m["denominator_diff"].abs())
    m["points_diff"] = m["points_local"].fillna(0.0) - m["points_portal"].fillna(0.0)

    tol = np.maximum(UNSYNCED_TOLERANCE_ABS, UNSYNCED_TOLERANCE_REL * dl)
    unsynced = ((m["noun"] == "dossier") & (dl > dp) & (m["unsynced_dossiers"] > 0)
                & ((dp - (dl - m["unsynced_dossiers"])).abs() <= tol)
                & (~is_ratio | ((np_ - (nl - m["_uns_num"])).abs() <= tol)))
    boundary = (m["noun"].isin(["dossier", "petition"]) & (m["count_diff"] > 0)
                & (m["denominator_diff"].abs() <= m["boundary_items"]) & (num_gap <= m["_bnd_num"]))
    root = str(prep.unit_ids[prep.province])
    inherited = (m["scope"] == "province") & (m["unit_id"] != root)
    equal = (m["count_diff"] <= EQUAL_EPSILON) & (m["numerator_diff"].abs() <= EQUAL_EPSILON)
    m["cause"] = pd.Series(np.select(
        [~has_portal, ~has_local, equal, unsynced, boundary, inherited],
        ["missing_on_portal", "missing_locally", "match", "unsynced_dossiers", "period_boundary",
         "inherited_indicator"], "unexplained"), index=m.index, dtype="str")
    m["cause_label"] = m["cause"].map({c: cause_label(c, lang) for c in CAUSES}).astype("str")
    m["detail"] = pd.Series(_details(m, meth, root, lang), index=m.index, dtype="str")

    if not include_equal:
        m = m[m["cause"] != "match"]
    m = m.assign(_abs=m["points_diff"].abs().round(9), _cnt=m["count_diff"].round(9))
    m = m.sort_values(["_abs", "_cnt", "_u", "order"], ascending=[False, False, True, True], kind="stable")
    out = m[COLUMNS].reset_index(drop=True)
    return out.astype({c: "str" for c in ("unit_id", "period", "indicator", "cause", "cause_label", "detail")})


TEXT = {
    "vi": {
        "missing_on_portal": "Tệp số liệu Cổng không có dòng này; địa phương: {nl}/{dl}.",
        "missing_locally": "Không có số liệu địa phương cho dòng này; Cổng: {np}/{dp}.",
        "unknown_unit": "Mã đơn vị không có trong danh mục đơn vị địa phương; Cổng: {np}/{dp}.",
        "unsynced_dossiers": "{u} hồ sơ chưa đồng bộ; mẫu số địa phương {dl} − {u} = {exp}, Cổng {dp}.",
        "period_boundary": "Chênh {gap} {noun}, không quá {b} {noun} tiếp nhận hoặc kết thúc trong vòng "
                           "{h} giờ quanh mốc đầu/cuối kỳ.",
        "inherited_indicator": "Giá trị của tỉnh ({root}): địa phương {rnl}/{rdl}, Cổng {rnp}/{rdp}.",
        "unexplained": "Chênh tử số {dn}, mẫu số {dd}; hồ sơ chưa đồng bộ: {u}, sát mốc kỳ: {b}.",
        "match": "Khớp.",
        "noun": {"dossier": "hồ sơ", "petition": "PAKN"},
    },
    "en": {
        "missing_on_portal": "The portal file has no such row; local: {nl}/{dl}.",
        "missing_locally": "No local figure for this row; portal: {np}/{dp}.",
        "unknown_unit": "The unit id is not in the local unit list; portal: {np}/{dp}.",
        "unsynced_dossiers": "{u} dossiers not synced; local denominator {dl} − {u} = {exp}, portal {dp}.",
        "period_boundary": "A gap of {gap} {noun}, within the {b} {noun} received or ended within {h} hours "
                           "of the period's start or end.",
        "inherited_indicator": "The province's figure ({root}): local {rnl}/{rdl}, portal {rnp}/{rdp}.",
        "unexplained": "Numerator differs by {dn}, denominator by {dd}; unsynced dossiers: {u}, near the "
                       "period boundary: {b}.",
        "match": "Match.",
        "noun": {"dossier": "dossiers", "petition": "petitions"},
    },
}


def _n(value, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt_number(float(value), lang, 0 if float(value).is_integer() else 2)


def _signed_n(value: float, lang: str) -> str:
    return ("+" if value > 0 else "") + _n(value, lang)


def _details(m: pd.DataFrame, meth: Methodology, root: str, lang: str) -> list[str]:
    """One sentence per row, every number from the row (or the province's row for inherited ones)."""
    t = TEXT[lang]
    rows = m.set_index(["unit_id", "indicator"])
    root_rows = rows.xs(root, level="unit_id") if root in rows.index.get_level_values(0) else rows.iloc[:0]
    known_units = set(m.loc[m["unit_name"].notna(), "unit_id"])
    out = []
    for r in m[["unit_id", "indicator", "cause", "numerator_local", "denominator_local", "numerator_portal",
                "denominator_portal", "numerator_diff", "denominator_diff", "count_diff", "unsynced_dossiers",
                "boundary_items", "noun"]].itertuples(index=False):
        args = dict(nl=_n(r.numerator_local, lang), dl=_n(r.denominator_local, lang),
                    np=_n(r.numerator_portal, lang), dp=_n(r.denominator_portal, lang),
                    dn=_signed_n(r.numerator_diff, lang), dd=_signed_n(r.denominator_diff, lang),
                    u=_n(r.unsynced_dossiers, lang), b=_n(r.boundary_items, lang), gap=_n(r.count_diff, lang),
                    h=BOUNDARY_WINDOW_HOURS, noun=t["noun"].get(r.noun, ""))
        cause = r.cause
        if cause == "missing_locally" and r.unit_id not in known_units:
            cause = "unknown_unit"
        if cause == "unsynced_dossiers":
            args["exp"] = _n(r.denominator_local - r.unsynced_dossiers, lang)
        if cause == "inherited_indicator":
            prov = root_rows.loc[r.indicator] if r.indicator in root_rows.index else None
            get = (lambda col: None if prov is None else prov[col])
            args |= dict(root=root, rnl=_n(get("numerator_local"), lang), rdl=_n(get("denominator_local"), lang),
                         rnp=_n(get("numerator_portal"), lang), rdp=_n(get("denominator_portal"), lang))
        out.append(t[cause].format(**args))
    return out


def unit_summary(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Per unit: how many indicators differ, points local vs portal summed over the rows given, the
    total difference (local − portal, unrounded), the largest indicator and its cause.

    Rows with cause `match` add their (equal) points to both sums, so a table made with
    `include_equal=True` gives full totals; the difference is the same either way. Largest first.
    """
    if table.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in SUMMARY_COLUMNS})
    t = table.assign(_abs=table["points_diff"].abs(), _diff=(table["cause"] != "match").astype("int64"),
                     _pl=table["points_local"].fillna(0.0), _pp=table["points_portal"].fillna(0.0),
                     _pos=np.arange(len(table)))
    differing = t[t["_diff"] == 1]
    # the table comes sorted largest first: the first differing row of a unit is its largest
    first = differing.sort_values("_pos").drop_duplicates("unit_id").set_index("unit_id")
    causes = (differing.groupby(["unit_id", "cause"], sort=False).size().rename("n").reset_index()
              .sort_values(["unit_id", "n", "cause"], ascending=[True, False, True]))
    causes_text = (causes["cause"] + ": " + causes["n"].astype("str")).groupby(causes["unit_id"]).agg("; ".join)
    g = t.groupby("unit_id", sort=False)
    out = pd.DataFrame({
        "unit_name": g["unit_name"].first(),
        "unit_kind": g["unit_kind"].first(),
        "indicators_differing": g["_diff"].sum(),
        "points_local": g["_pl"].sum(),
        "points_portal": g["_pp"].sum(),
        "points_diff": g["points_diff"].sum(),
        "abs_points_diff": g["_abs"].sum(),
        "_first": g["_pos"].min(),
    })
    out["largest_indicator"] = first["indicator"].reindex(out.index)
    out["main_cause"] = first["cause"].reindex(out.index)
    out["main_cause_label"] = out["main_cause"].map({c: cause_label(c, lang) for c in CAUSES})
    out["causes"] = causes_text.reindex(out.index)
    out = out.reset_index().assign(_key=lambda f: f["points_diff"].abs().round(9))
    out = out.sort_values(["_key", "abs_points_diff", "_first"], ascending=[False, False, True], kind="stable")
    out = out[SUMMARY_COLUMNS].reset_index(drop=True)
    return out.astype({"unit_id": "str"})


# ------------------------------------------------------------------------------ notebook display
@dataclass
class ReconcileView:
    """What the reconciliation notebook shows: the full table, the differences and the unit summary."""

    ds: Dataset
    meth: Methodology
    period: str
    lang: str
    portal_file: str
    table: pd.DataFrame  # every row, equal ones included

    @property
    def differences(self) -> pd.DataFrame:
        return self.table[self.table["cause"] != "match"].reset_index(drop=True)

    @property
    def summary(self) -> pd.DataFrame:
        return unit_summary(self.table, self.lang)


def reconcile_view(data_dir: str | Path, portal_file: str | Path, period: str, lang: str = "vi",
                   methodology: str | Path | None = None) -> ReconcileView:
    """Load the data (cached per process), read the portal file, reconcile: one call for the notebook."""
    from .report import cached_explainer

    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not '{lang}'")
    explainer = cached_explainer(data_dir, str(methodology) if methodology else None)
    ds, meth = explainer.ds, explainer.meth
    label = parse_period(period).label
    portal = read_portal_counts(portal_file, meth)
    table = reconcile(ds, portal, label, meth, include_equal=True, lang=lang, prepared=explainer.prep,
                      source=str(portal_file))
    return ReconcileView(ds, meth, label, lang, str(portal_file), table)


def header_html(view: ReconcileView) -> str:
    """Title, files, and how many rows differ by cause."""
    lang = view.lang
    diffs = view.differences
    n_rows = len(view.table)
    counts = diffs["cause"].value_counts()
    items = "".join(f"<li>{esc(cause_label(c, lang))}: {fmt_number(int(counts[c]), lang)}</li>"
                    for c in CAUSES if c in counts.index)
    banner = f'<div class="banner">{esc(SYNTHETIC_BANNER)}</div>' if view.ds.synthetic else ""
    if lang == "vi":
        title = f"Đối chiếu với Cổng DVCQG, kỳ {view.period}"
        sub = (f"Tệp số liệu Cổng: {view.portal_file}. Phương pháp: {view.meth.title_vi}. "
               f"{fmt_number(len(diffs), lang)} trên {fmt_number(n_rows, lang)} dòng đơn vị × chỉ số chênh lệch; "
               f"chênh lệch = địa phương − Cổng.")
    else:
        title = f"Reconciliation with the national portal, {view.period}"
        sub = (f"Portal file: {view.portal_file}. Methodology: {view.meth.title_en}. "
               f"{fmt_number(len(diffs), lang)} of {fmt_number(n_rows, lang)} unit × indicator rows differ; "
               f"differences are local − portal.")
    return f"{banner}<h1>{esc(title)}</h1><p class='muted'>{esc(sub)}</p><ul>{items}</ul>"


def summary_html(view: ReconcileView, top: int = 20) -> str:
    """The units with the largest total difference."""
    from .report import table

    lang = view.lang
    summary = view.summary
    summary = summary[summary["indicators_differing"] > 0].head(top)
    heads = {"vi": ["Mã", "Đơn vị", "Số chỉ số chênh", "Điểm địa phương", "Điểm Cổng", "Chênh lệch",
                    "Chỉ số chênh nhiều nhất", "Nguyên nhân chính"],
             "en": ["Id", "Unit", "Indicators differing", "Local points", "Portal points", "Difference",
                    "Largest indicator", "Main cause"]}[lang]
    cols = dict(zip(["unit_id", "unit_name", "indicators_differing", "points_local", "points_portal", "points_diff",
                     "largest_indicator", "main_cause_label"], heads))
    pts = lambda v: fmt_points(float(v), lang)  # noqa: E731
    h2 = {"vi": "Tổng chênh lệch theo đơn vị", "en": "Total difference per unit"}[lang]
    return f"<h2>{esc(h2)}</h2>" + table(summary, cols, f"doi-chieu-don-vi-{view.period}.csv", lang,
                                           {"points_local": pts, "points_portal": pts, "points_diff": pts})


def differences_html(view: ReconcileView, top: int = 50) -> str:
    """The differences, largest first, with points on both sides and the likely cause."""
    from .report import download_link, table

    lang = view.lang
    diffs = view.differences
    shown = diffs.head(top).assign(indicator_name=[view.meth.indicator(c).name(lang) for c in
                                                   diffs["indicator"].head(top)])
    heads = {"vi": ["Mã", "Đơn vị", "Chỉ số", "Tên chỉ số", "Tử số ĐP", "Mẫu số ĐP", "Tử số Cổng", "Mẫu số Cổng",
                    "Điểm ĐP", "Điểm Cổng", "Chênh điểm", "Nguyên nhân", "Chi tiết"],
             "en": ["Id", "Unit", "Indicator", "Name", "Local num.", "Local den.", "Portal num.", "Portal den.",
                    "Local points", "Portal points", "Points diff.", "Cause", "Detail"]}[lang]
    cols = dict(zip(["unit_id", "unit_name", "indicator", "indicator_name", "numerator_local", "denominator_local",
                     "numerator_portal", "denominator_portal", "points_local", "points_portal", "points_diff",
                     "cause_label", "detail"], heads))
    pts = lambda v: "–" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt_points(float(v), lang)  # noqa: E731
    num = lambda v: _n(v, lang)  # noqa: E731
    h2 = {"vi": "Chênh lệch, lớn nhất trước", "en": "Differences, largest first"}[lang]
    more = ""
    if len(diffs) > top:
        more = {"vi": f"<p class='muted'>{top} trên {len(diffs)} dòng; tải CSV để xem tất cả.</p>",
                "en": f"<p class='muted'>{top} of {len(diffs)} rows; download the CSV for all.</p>"}[lang]
    if diffs.empty:
        return f"<h2>{esc(h2)}</h2><p>" + ("Không có chênh lệch." if lang == "vi" else "No differences.") + "</p>"
    link = download_link(diffs, f"doi-chieu-{view.period}.csv", lang)  # every difference, every column
    return (f"<h2>{esc(h2)}</h2>" + link + table(shown, cols, None, lang,
                                                   {"points_local": pts, "points_portal": pts, "points_diff": pts,
                                                    "numerator_local": num, "denominator_local": num,
                                                    "numerator_portal": num, "denominator_portal": num})
            + more)


def difference_chart(view: ReconcileView, top: int = 15):
    """Bars of the total points difference (local − portal) of the units that differ most, coloured by
    their main cause; an Altair chart (render it with `chiso.charts` for offline output)."""
    import altair as alt

    lang = view.lang
    s = view.summary
    s = s[s["indicators_differing"] > 0].head(top)
    data = s.assign(label=s["unit_name"].fillna(s["unit_id"]).astype("str"))[
        ["label", "unit_id", "points_diff", "main_cause_label", "largest_indicator"]]
    words = {"vi": ("Chênh lệch điểm (địa phương − Cổng)", "Nguyên nhân chính", "Chỉ số chênh nhiều nhất", "Mã"),
             "en": ("Points difference (local − portal)", "Main cause", "Largest indicator", "Id")}[lang]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=alt.SortField("points_diff", order="descending"), title=None,
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("points_diff:Q", title=words[0]),
        color=alt.Color("main_cause_label:N", title=words[1]),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("unit_id:N", title=words[3]),
                 alt.Tooltip("points_diff:Q", format="+.2f", title=words[0]),
                 alt.Tooltip("main_cause_label:N", title=words[1]),
                 alt.Tooltip("largest_indicator:N", title=words[2])],
    ).properties(width=480, height=max(60, 22 * len(data)))


def causes_html(lang: str = "vi") -> str:
    """How causes are decided, with the tolerances, for the reader."""
    rel = fmt_number(100 * UNSYNCED_TOLERANCE_REL, lang, 0)
    if lang == "vi":
        items = [
            "Không có trên Cổng / trong dữ liệu địa phương: dòng đơn vị × chỉ số chỉ có ở một bên.",
            f"Hồ sơ chưa đồng bộ: bỏ các hồ sơ chưa đồng bộ (của đơn vị và các đơn vị trực thuộc) thì tử số, mẫu số "
            f"địa phương khớp với Cổng, sai số tối đa {fmt_number(UNSYNCED_TOLERANCE_ABS, lang)} hồ sơ hoặc {rel} % mẫu số.",
            f"Lệch mốc đầu/cuối kỳ: chênh lệch không vượt quá số hồ sơ (PAKN) tiếp nhận hoặc kết thúc trong vòng "
            f"{BOUNDARY_WINDOW_HOURS} giờ quanh mốc đầu và cuối kỳ.",
            "Chỉ số cấp tỉnh: mọi đơn vị nhận giá trị của tỉnh, chênh lệch đến từ số liệu của tỉnh.",
            "Chưa rõ nguyên nhân: không thuộc các trường hợp trên.",
        ]
        h2 = "Cách xác định nguyên nhân"
    else:
        items = [
            "Missing on the portal / locally: the unit × indicator row exists on one side only.",
            f"Dossiers not synced: dropping the unsynced dossiers (of the unit and the units below it) makes the local "
            f"numerator and denominator match the portal's within {fmt_number(UNSYNCED_TOLERANCE_ABS, lang)} dossier "
            f"or {rel}% of the denominator.",
            f"Period boundary: the gap is within the dossiers (petitions) received or ended within "
            f"{BOUNDARY_WINDOW_HOURS} hours of the period's start or end.",
            "Province indicator: every unit shows the province's value; the difference comes from the province's figure.",
            "Unexplained: none of the above.",
        ]
        h2 = "How causes are decided"
    return f"<h2>{esc(h2)}</h2><ol>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ol>"
