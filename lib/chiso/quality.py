"""Data-quality report: what is wrong in a unit's records for a period, and what it may cost in points.

One row per unit × check (`quality_checks`). Counts are rolled up the unit tree exactly like the
score: a unit's row covers its own records and those of every unit below it, and its points are
the change of *its* score. Every cost is computed with the real engine: the problem is "fixed"
in a copy of the coded arrays (`counts.Prepared`), the period is recounted with
`counts.count_period` and re-scored with `scoring.score_counts`, and the unit's unrounded total
is compared before and after. Each check says what kind of number its cost is (`cost_kind`):

- `exact`: the score change if the problem were fixed, all else equal (unsynced → synced);
- `upper_bound`: the most the fix could change the score (the true values are unknown; the
  best case is assumed, or for missing due dates the swing between all on time and all late);
- `estimate`: the change if the legal time limit replaced an impossible or suspicious due date;
  negative when the unit's score may be overstated;
- `uncertain`: count only (dates in the future, rows in the import's quarantine).

The checks, their populations and their costs are defined in `CHECKS` and `DEFINITIONS` (both
languages) and in the README. Received on a weekend or public holiday is *not* a check: online
and postal dossiers arrive any day and the legal clock starts on the next working day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import quarantine as qmod
from .contract import LOCAL_TZ, SYNTHETIC_BANNER, Dataset
from .counts import NEVER, US_PER_DAY, PeriodCounter, Prepared, _day, _end_of_day, count_period, legal_due, prepare
from .methodology import Methodology, load_methodology
from .narrative import esc, fmt_number, fmt_percent, fmt_signed_points
from .periods import Period, parse_period
from .scoring import score_counts

#: Days past the effective due date after which an open dossier or petition with no end recorded
#: is taken as "never closed in the system" rather than genuinely still being processed.
STALE_DAYS = 30
#: Working days of slack before a recorded due date later than the legal time limit is flagged.
GRACE_WORKING_DAYS = 2
#: "Certainly on time" / "certainly late" in the counterfactuals: a due date a century away.
_FAR = 100 * 365 * US_PER_DAY


@dataclass(frozen=True)
class Check:
    code: str
    table: str          # dossiers | petitions
    severity: str       # missing | impossible | suspicious | quarantine
    cost_kind: str      # exact | upper_bound | estimate | uncertain
    indicators: tuple   # indicators whose points the counterfactual can move
    vi: str
    en: str

    def label(self, lang: str = "vi") -> str:
        return self.vi if lang == "vi" else self.en


_ON_TIME_INDS = ("ON_TIME", "DOSSIER_RECEIVING_SATISFACTION")
_PETITION_INDS = ("PETITION_PROCESSING_ON_TIME", "PETITION_HANDLING_SATISFACTION")

CHECKS: dict[str, Check] = {c.code: c for c in (
    Check("unsynced", "dossiers", "missing", "exact", ("DOSSIER_SYNC", "FEE_DATA_PROCEDURE"),
          "Hồ sơ chưa đồng bộ lên Cổng DVCQG", "Dossiers not synced to the national portal"),
    Check("missing_due", "dossiers", "missing", "upper_bound", _ON_TIME_INDS,
          "Hồ sơ không ghi ngày hẹn trả", "Dossiers without a due date"),
    Check("open_past_due", "dossiers", "missing", "upper_bound", _ON_TIME_INDS,
          "Hồ sơ chưa có ngày kết thúc dù đã quá hạn lâu", "Dossiers with no end date, long past due"),
    Check("supplement_undated", "dossiers", "missing", "upper_bound", _ON_TIME_INDS,
          "Hồ sơ có yêu cầu bổ sung nhưng không ghi ngày", "Dossiers with a supplement request but no dates"),
    Check("due_before_receipt", "dossiers", "impossible", "estimate", _ON_TIME_INDS,
          "Hồ sơ có ngày hẹn trả trước ngày tiếp nhận", "Dossiers due before they were received"),
    Check("due_beyond_legal", "dossiers", "suspicious", "estimate", _ON_TIME_INDS,
          "Hồ sơ có ngày hẹn trả muộn hơn thời hạn luật định", "Dossiers due later than the legal time limit"),
    Check("dossier_future_date", "dossiers", "impossible", "uncertain", (),
          "Hồ sơ có ngày sau thời điểm xuất dữ liệu", "Dossiers with a date after the data were exported"),
    Check("petition_open_past_due", "petitions", "missing", "upper_bound", _PETITION_INDS,
          "PAKN chưa có ngày xử lý xong dù đã quá hạn lâu", "Petitions with no resolution date, long past due"),
    Check("petition_due_before_receipt", "petitions", "impossible", "estimate", _PETITION_INDS,
          "PAKN có hạn xử lý trước ngày tiếp nhận", "Petitions due before they were received"),
    Check("petition_future_date", "petitions", "impossible", "uncertain", (),
          "PAKN có ngày sau thời điểm xuất dữ liệu", "Petitions with a date after the data were exported"),
    Check("quarantined_dossiers", "dossiers", "quarantine", "uncertain", (),
          "Dòng hồ sơ bị cách ly khi nhập", "Dossier rows quarantined at import"),
    Check("quarantined_petitions", "petitions", "quarantine", "uncertain", (),
          "Dòng PAKN bị cách ly khi nhập", "Petition rows quarantined at import"),
)}
CHECK_ORDER = {code: i for i, code in enumerate(CHECKS)}

SEVERITY_LABELS = {"missing": ("Thiếu dữ liệu", "missing"), "impossible": ("Không thể xảy ra", "impossible"),
                   "suspicious": ("Đáng ngờ", "suspicious"), "quarantine": ("Bị cách ly", "quarantined")}
COST_LABELS = {
    "exact": ("chính xác", "exact"),
    "upper_bound": ("giới hạn trên", "upper bound"),
    "estimate": ("ước tính theo thời hạn luật định", "estimate (legal time limit)"),
    "uncertain": ("không xác định, chỉ đếm", "uncertain, count only"),
}

#: What each check counts and what its cost means; shown by the notebook, pasted into the README.
DEFINITIONS: dict[str, dict[str, str]] = {
    "en": {
        "unsynced": "Dossiers received in the period with synced = false. Base: dossiers received in the period "
                    "(the DOSSIER_SYNC denominator). Cost (exact): the score gain if they were synced "
                    "(DOSSIER_SYNC numerator + n; FEE_DATA_PROCEDURE can move too).",
        "missing_due": "Dossiers counted by ON_TIME in the period (received in it or carried over) with no due_at. "
                       "The engine then uses receipt + the procedure's legal time limit. Cost (upper bound): the "
                       "swing between all of them on time and all of them late (ON_TIME and "
                       "DOSSIER_RECEIVING_SATISFACTION); max_gain is the all-on-time side.",
        "open_past_due": "Dossiers counted by ON_TIME with no end recorded at all (ended_at empty), not waiting for "
                         "a supplement, whose effective due date is more than 30 days before the end of the period "
                         "(or the data's export time, if earlier). They count as late every period until closed. "
                         "Cost (upper bound): the gain if they had in fact ended on their due date.",
        "supplement_undated": "Dossiers counted by ON_TIME with supplement_count ≥ 1 but no request date: the "
                              "waiting time cannot be excluded. Cost (upper bound): the gain if all were on time.",
        "due_before_receipt": "Dossiers counted by ON_TIME whose recorded due_at is before received_at: always late. "
                              "Cost (estimate): the gain with the legal time limit as due date.",
        "due_beyond_legal": "Dossiers counted by ON_TIME whose recorded due_at is more than 2 working days after "
                            "receipt + the legal time limit (a rescheduled date written over the promised one, or a "
                            "wrong limit). Cost (estimate, usually negative): the change with the legal time limit "
                            "as due date — points the unit may be getting that it should not.",
        "dossier_future_date": "Dossiers counted by ON_TIME with a receipt, end or supplement date after the moment "
                               "the data were taken (dataset.json `exported_at`, else `imported_at`, else "
                               "`generated_at`, else the time of the check). Not the last receipt: exports cut by "
                               "receipt date legitimately hold later end dates. Count only.",
        "petition_open_past_due": "Petitions counted by PETITION_PROCESSING_ON_TIME with no resolution date, more "
                                  "than 30 days past due. Cost (upper bound): the gain if resolved on their due date.",
        "petition_due_before_receipt": "Petitions counted in the period whose recorded due_at is before received_at. "
                                       "Cost (estimate): the gain with the 15-working-day deadline.",
        "petition_future_date": "Petitions counted in the period received or resolved after the export time. "
                                "Count only.",
        "quarantined_dossiers": "Rows of the dossier export that `chiso import` could not accept (quarantine.parquet), "
                                "with this unit's code and a receipt date in the period (exact duplicates that were "
                                "merged are not counted). Base: kept + quarantined. The unit may be missing these "
                                "dossiers from its denominators; the effect on points is unknown (uncertain).",
        "quarantined_petitions": "As above, for the petition export.",
    },
    "vi": {
        "unsynced": "Hồ sơ tiếp nhận trong kỳ có synced = false. Cơ sở: hồ sơ tiếp nhận trong kỳ (mẫu số DOSSIER_SYNC). "
                    "Điểm (chính xác): điểm tăng thêm nếu các hồ sơ này được đồng bộ.",
        "missing_due": "Hồ sơ thuộc mẫu số ON_TIME của kỳ (tiếp nhận trong kỳ hoặc kỳ trước chuyển sang) không ghi "
                       "ngày hẹn trả; hạn được tính bằng ngày tiếp nhận + thời hạn luật định. Điểm (giới hạn trên): "
                       "chênh lệch giữa trường hợp tất cả đúng hạn và tất cả trễ hạn.",
        "open_past_due": "Hồ sơ thuộc mẫu số ON_TIME chưa có ngày kết thúc, không chờ bổ sung, đã quá hạn hơn 30 ngày "
                         "tính đến cuối kỳ (hoặc thời điểm xuất dữ liệu nếu sớm hơn); bị tính trễ hạn ở mọi kỳ cho "
                         "tới khi được đóng. Điểm (giới hạn trên): nếu thực tế đã kết thúc đúng hạn.",
        "supplement_undated": "Hồ sơ có số lần bổ sung ≥ 1 nhưng không ghi ngày yêu cầu: không trừ được thời gian chờ. "
                              "Điểm (giới hạn trên): nếu tất cả đúng hạn.",
        "due_before_receipt": "Ngày hẹn trả trước ngày tiếp nhận: luôn bị tính trễ hạn. Điểm (ước tính): nếu hạn là "
                              "thời hạn luật định.",
        "due_beyond_legal": "Ngày hẹn trả muộn hơn hạn luật định quá 2 ngày làm việc (ngày hẹn lại ghi đè, hoặc thời "
                            "hạn sai). Điểm (ước tính, thường âm): điểm có thể đang được tính cao hơn thực tế.",
        "dossier_future_date": "Ngày tiếp nhận, kết thúc hoặc bổ sung sau thời điểm lấy dữ liệu (`exported_at` trong "
                               "dataset.json, nếu không có: `imported_at`, `generated_at`, hoặc thời điểm kiểm tra). "
                               "Chỉ đếm.",
        "petition_open_past_due": "PAKN chưa có ngày xử lý xong, quá hạn hơn 30 ngày. Điểm (giới hạn trên): nếu đã "
                                  "xử lý xong đúng hạn.",
        "petition_due_before_receipt": "PAKN có hạn trước ngày tiếp nhận. Điểm (ước tính): với hạn 15 ngày làm việc.",
        "petition_future_date": "PAKN tiếp nhận hoặc xử lý xong sau thời điểm xuất dữ liệu. Chỉ đếm.",
        "quarantined_dossiers": "Dòng hồ sơ `chiso import` không nhận được (quarantine.parquet), có mã đơn vị này và "
                                "ngày tiếp nhận trong kỳ (không tính bản trùng đã gộp). Cơ sở: đã nhận + bị cách ly. "
                                "Đơn vị có thể thiếu các hồ sơ này ở mẫu số; ảnh hưởng tới điểm không xác định.",
        "quarantined_petitions": "Như trên, với dữ liệu PAKN.",
    },
}

NOTES = {
    "vi": {
        "unsynced": "Nếu được đồng bộ: DOSSIER_SYNC {num}/{den} → {num1}/{den}.",
        "missing_due": "Hạn tính theo thời hạn luật định; hiện {ok}/{n} hồ sơ được tính đúng hạn. Nếu tất cả đúng "
                       "hạn: {gain} điểm; nếu tất cả trễ hạn: {loss} điểm.",
        "open_past_due": "Đang bị tính trễ hạn; nếu thực tế đã kết thúc đúng hạn: {gain} điểm.",
        "supplement_undated": "{late} hồ sơ đang bị tính trễ hạn; nếu tất cả đúng hạn: {gain} điểm.",
        "due_before_receipt": "Luôn bị tính trễ hạn; nếu hạn là thời hạn luật định: {gain} điểm.",
        "due_beyond_legal": "Nếu hạn là thời hạn luật định: {gain} điểm (điểm có thể đang bị tính cao).",
        "dossier_future_date": "Sau thời điểm lấy dữ liệu {as_of}; ảnh hưởng tới điểm không xác định.",
        "petition_open_past_due": "Đang bị tính trễ hạn; nếu đã xử lý xong đúng hạn: {gain} điểm.",
        "petition_due_before_receipt": "Luôn bị tính trễ hạn; với hạn {days} ngày làm việc: {gain} điểm.",
        "petition_future_date": "Sau thời điểm lấy dữ liệu {as_of}; ảnh hưởng tới điểm không xác định.",
        "quarantined_dossiers": "Có thể thiếu ở mẫu số; ảnh hưởng tới điểm không xác định.",
        "quarantined_petitions": "Có thể thiếu ở mẫu số; ảnh hưởng tới điểm không xác định.",
        "undated": " Thêm {n} dòng của đơn vị không có ngày tiếp nhận đọc được (không rõ kỳ).",
    },
    "en": {
        "unsynced": "If synced: DOSSIER_SYNC {num}/{den} → {num1}/{den}.",
        "missing_due": "Due date taken from the legal time limit; {ok} of {n} now judged on time. All on time: "
                       "{gain} points; all late: {loss} points.",
        "open_past_due": "Counted late; if they in fact ended on time: {gain} points.",
        "supplement_undated": "{late} now counted late; if all were on time: {gain} points.",
        "due_before_receipt": "Always counted late; with the legal time limit: {gain} points.",
        "due_beyond_legal": "With the legal time limit: {gain} points (the score may be overstated).",
        "dossier_future_date": "After the data were taken ({as_of}); effect on points unknown.",
        "petition_open_past_due": "Counted late; if resolved on time: {gain} points.",
        "petition_due_before_receipt": "Always counted late; with the {days}-working-day deadline: {gain} points.",
        "petition_future_date": "After the data were taken ({as_of}); effect on points unknown.",
        "quarantined_dossiers": "May be missing from the denominators; effect on points unknown.",
        "quarantined_petitions": "May be missing from the denominators; effect on points unknown.",
        "undated": " Plus {n} rows of this unit with no readable receipt date (period unknown).",
    },
}

CHECK_COLUMNS = ["unit_id", "unit_name", "unit_kind", "parent_id", "period", "check", "label", "severity", "count",
                 "base", "share", "indicators", "points_at_stake", "max_gain", "cost_kind", "cost_label", "note"]
SUMMARY_COLUMNS = ["unit_id", "unit_name", "unit_kind", "period", "dossiers", "petitions", "flagged", "quarantined",
                   "exact_gain", "max_gain", "overstated", "worst_check"]


# ----------------------------------------------------------------------------------- helpers
def _us(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.to_datetime64(), "us").astype(np.int64))


#: dataset.json keys that say when the data were taken, most precise first.
AS_OF_KEYS = ("exported_at", "imported_at", "generated_at")


def data_as_of(ds: Dataset, now: pd.Timestamp | None = None) -> tuple[pd.Timestamp, str]:
    """The latest instant the data can describe, as (local time, source): dataset.json
    `exported_at`, else `imported_at`, else `generated_at`, else `now` (the time of the check).

    Not the last receipt: exports are often cut by receipt date ("dossiers received in June",
    exported in mid-July), so ends after the last receipt are normal.
    """
    for key in AS_OF_KEYS:
        raw = ds.meta.get(key)
        if not raw:
            continue
        try:
            ts = pd.Timestamp(raw)
        except (ValueError, TypeError):
            continue
        if pd.isna(ts):
            continue
        if ts.tzinfo is not None:
            ts = ts.tz_convert(LOCAL_TZ).tz_localize(None)
        return ts, key
    now = now if now is not None else pd.Timestamp.now(tz=LOCAL_TZ).tz_localize(None)
    return now, "now"


def _totals(prep: Prepared, period: Period) -> np.ndarray:
    """Every unit's unrounded total (empty indicators count 0), in `prep.unit_ids` order."""
    scored = score_counts(count_period(prep, period), prep.meth)
    points = scored["points"].fillna(0.0).groupby(scored["unit_id"], sort=False).sum()
    return points.reindex(pd.Index(prep.unit_ids.astype(str), dtype="str")).to_numpy(dtype=np.float64)


class _Engine:
    """Base totals of a period, and totals after a hypothetical fix of some coded arrays."""

    def __init__(self, prep: Prepared, period: Period):
        self.prep, self.period = prep, period
        self.base = _totals(prep, period)

    def delta(self, mask: np.ndarray, **arrays) -> np.ndarray:
        """Per unit: total after replacing `arrays` in the coded data − base total (0 when nothing to fix)."""
        if not mask.any():
            return np.zeros(self.prep.n_units)
        return _totals(replace(self.prep, **arrays), self.period) - self.base


def _fmt_notes(code: str, count: np.ndarray, lang: str, **values) -> list[str]:
    """The check's note for each unit with something to report ("" otherwise)."""
    template = NOTES[lang][code]
    out = []
    for i, n in enumerate(count):
        if n <= 0:
            out.append("")
            continue
        fields = {}
        for key, arr in values.items():
            v = arr[i] if isinstance(arr, np.ndarray) else arr
            if key in ("gain", "loss"):
                fields[key] = fmt_signed_points(float(v), lang)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                fields[key] = fmt_number(float(v), lang)
            else:
                fields[key] = v
        out.append(template.format(n=fmt_number(float(n), lang), **fields))
    return out


def resolve_period(ds: Dataset, period: str | Period) -> Period:
    """`latest` → the last month with receipts (as `chiso score` does); otherwise parse the label."""
    if isinstance(period, Period):
        return period
    if str(period).strip() == "latest":
        if ds.meta.get("last_month"):
            return parse_period(str(ds.meta["last_month"]))
        last = ds.dossiers["received_at"].max()
        if pd.isna(last):
            raise ValueError("the dataset has no dossiers, so there is no latest month; give a period")
        return parse_period(f"{last:%Y-%m}")
    return parse_period(period)


# -------------------------------------------------------------------------------- quarantine
def _quarantine_for(ds: Dataset, quarantine: pd.DataFrame | None) -> pd.DataFrame:
    if quarantine is not None:
        return qmod.normalise(quarantine)
    return qmod.read(ds.path) if ds.path is not None else qmod.empty()


def quarantine_by_unit(quarantine: pd.DataFrame, ds: Dataset | None = None, period: Period | str | None = None,
                       lang: str = "vi") -> pd.DataFrame:
    """Quarantined rows per unit code (as read), table and reason: rows, rows received in `period`,
    rows with no readable receipt date; `known_unit` says whether the code is in the unit table.
    Rows without a unit code are left out (see `chiso.quarantine.summary` for them)."""
    cols = ["unit_id", "unit_name", "known_unit", "table", "reason", "label", "rows", "in_period", "undated"]
    q = qmod.normalise(quarantine)
    q = q[q["unit_id"].str.strip() != ""]
    if q.empty:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in zip(
            cols, ["str", "str", "bool", "str", "str", "str", "int64", "int64", "int64"])})
    if period is not None:
        p = parse_period(period)
        in_period = (q["received_at"] >= pd.Timestamp(p.first_day)) & \
                    (q["received_at"] < pd.Timestamp(p.last_day) + pd.Timedelta(days=1))
    else:
        in_period = pd.Series(False, index=q.index)
    frame = q.assign(in_period=in_period.fillna(False).astype("int64"),
                     undated=q["received_at"].isna().astype("int64"))
    out = frame.groupby(["unit_id", "table", "reason"], as_index=False).agg(
        rows=("reason", "size"), in_period=("in_period", "sum"), undated=("undated", "sum"))
    names = dict(zip(ds.units["unit_id"], ds.units["name"])) if ds is not None else {}
    out["unit_name"] = pd.Series([names.get(u, "") for u in out["unit_id"]], index=out.index, dtype="str")
    out["known_unit"] = out["unit_id"].isin(list(names)) if ds is not None else False
    out["label"] = pd.Series([qmod.reason_label(r, lang) for r in out["reason"]], index=out.index, dtype="str")
    out = out.astype({"rows": "int64", "in_period": "int64", "undated": "int64"})
    return out.sort_values(["rows", "unit_id", "table", "reason"], ascending=[False, True, True, True])[
        cols].reset_index(drop=True)


def _quarantine_counts(prep: Prepared, c: PeriodCounter, q: pd.DataFrame, table: str) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (own rows): quarantined rows of `table` received in the period, and undated ones."""
    rows = qmod.missing_records(q)
    rows = rows[rows["table"] == table]
    unit = pd.Index(prep.unit_ids.astype(str), dtype="str").get_indexer(rows["unit_id"])
    received = rows["received_at"]
    start = pd.Timestamp(c.period.first_day)
    end = pd.Timestamp(c.period.last_day) + pd.Timedelta(days=1)
    known = unit >= 0
    dated = (received >= start) & (received < end)
    in_period = known & dated.fillna(False).to_numpy(dtype=bool)
    undated = known & received.isna().to_numpy()
    n = prep.n_units
    return (np.bincount(unit[in_period], minlength=n).astype(np.float64),
            np.bincount(unit[undated], minlength=n).astype(np.float64))


# ------------------------------------------------------------------------------------ checks
def quality_checks(ds: Dataset, period: Period | str, meth: Methodology | None = None, *,
                   quarantine: pd.DataFrame | None = None, lang: str = "vi", prepared: Prepared | None = None,
                   stale_days: int = STALE_DAYS, grace_working_days: int = GRACE_WORKING_DAYS,
                   as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per unit × check for `period` (columns `CHECK_COLUMNS`), counts rolled up the unit tree.

    `quarantine`: the import's quarantine table (default: `quarantine.parquet` in the dataset's
    directory, or none). `as_of`: when the data were taken (default: `data_as_of(ds)`).
    """
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not '{lang}'")
    meth = meth or (prepared.meth if prepared is not None else load_methodology())
    prep = prepared if prepared is not None else prepare(ds, meth)
    period = parse_period(period)
    c = PeriodCounter(prep, period)
    engine = _Engine(prep, period)
    n_units = prep.n_units
    roll = prep.ancestor_matrix
    if as_of is None:
        as_of, _ = data_as_of(ds)
    as_of_us = _us(as_of)
    as_of_text = f"{as_of:%d/%m/%Y %H:%M}"
    q = _quarantine_for(ds, quarantine)

    p = prep
    pop = c.in_progress  # what ON_TIME counts in the period
    received = c.received_in
    on_time = c.on_time
    ref = min(c.end, as_of_us)  # "now" for staleness: the period end, or when the data were taken if earlier
    waiting = (p.d_requested <= ref) & (p.d_completed > ref)
    pause = np.where((p.d_completed <= ref) & (p.d_requested != NEVER), p.d_completed - p.d_requested, 0)
    stale_us = stale_days * US_PER_DAY
    pop_den = roll @ c.per_unit(pop)
    results: list[pd.DataFrame] = []

    def add(code: str, own: np.ndarray, base: np.ndarray, points, max_gain, notes: list[str]) -> None:
        count = roll @ own
        results.append(pd.DataFrame({
            "unit_id": prep.unit_ids.astype(str), "check": code, "count": np.rint(count).astype(np.int64),
            "base": np.rint(base).astype(np.int64),
            "points_at_stake": np.broadcast_to(np.asarray(points, dtype=np.float64), (n_units,)),
            "max_gain": np.broadcast_to(np.asarray(max_gain, dtype=np.float64), (n_units,)),
            "note": pd.Series(notes, dtype="str"),
        }))

    # unsynced: DOSSIER_SYNC numerator + n (exact)
    mask = received & ~p.d_synced
    gain = engine.delta(mask, d_synced=p.d_synced | mask)
    own = c.per_unit(mask)
    den = roll @ c.per_unit(received)
    num = roll @ c.per_unit(received & p.d_synced)
    add("unsynced", own, den, gain, gain,
        _fmt_notes("unsynced", roll @ own, lang, num=num, den=den, num1=num + roll @ own))

    # missing due dates: all on time versus all late (upper bound)
    mask = pop & ~p.d_due_recorded
    best = engine.delta(mask, d_due=np.where(mask, p.d_received + _FAR, p.d_due))
    worst = engine.delta(mask, d_due=np.where(mask, p.d_received - _FAR, p.d_due))
    own = c.per_unit(mask)
    add("missing_due", own, pop_den, best - worst, best,
        _fmt_notes("missing_due", roll @ own, lang, ok=roll @ c.per_unit(mask & on_time), gain=best, loss=worst))

    # open with no end recorded, long past due: as if it had ended on its due date (upper bound)
    mask = pop & (p.d_ended == NEVER) & ~waiting & (p.d_due + pause + stale_us < ref)
    gain = engine.delta(mask, d_ended=np.where(mask, np.maximum(p.d_due, p.d_received), p.d_ended))
    own = c.per_unit(mask)
    add("open_past_due", own, pop_den, gain, np.maximum(gain, 0.0),
        _fmt_notes("open_past_due", roll @ own, lang, gain=gain))

    # supplement requested (count ≥ 1) without dates: as if on time (upper bound)
    mask = pop & (p.d_supp_count >= 1) & (p.d_requested == NEVER)
    gain = engine.delta(mask, d_due=np.where(mask, p.d_received + _FAR, p.d_due))
    own = c.per_unit(mask)
    add("supplement_undated", own, pop_den, gain, np.maximum(gain, 0.0),
        _fmt_notes("supplement_undated", roll @ own, lang, late=roll @ c.per_unit(mask & ~on_time), gain=gain))

    # recorded due dates against the legal time limit
    recorded = np.flatnonzero(pop & p.d_due_recorded)
    legal = p.d_due.copy()
    if len(recorded):
        procs = ds.procedures
        proc = p.d_proc[recorded]
        legal[recorded] = legal_due(p.d_received[recorded], procs["time_limit"].to_numpy(dtype=np.float64)[proc],
                                    procs["time_unit"].to_numpy(dtype=object)[proc], p.cal)
    before = pop & p.d_due_recorded & (p.d_due < p.d_received)
    gain = engine.delta(before, d_due=np.where(before, legal, p.d_due))
    own = c.per_unit(before)
    add("due_before_receipt", own, pop_den, gain, np.maximum(gain, 0.0),
        _fmt_notes("due_before_receipt", roll @ own, lang, gain=gain))

    latest_ok = np.full(len(legal), NEVER, dtype=np.int64)
    if len(recorded):
        latest_ok[recorded] = _end_of_day(p.cal.add(_day(legal[recorded]), grace_working_days))
    beyond = pop & p.d_due_recorded & ~before & (p.d_due > latest_ok)
    change = engine.delta(beyond, d_due=np.where(beyond, legal, p.d_due))
    own = c.per_unit(beyond)
    add("due_beyond_legal", own, pop_den, change, np.maximum(change, 0.0),
        _fmt_notes("due_beyond_legal", roll @ own, lang, gain=change))

    # dates after the export (impossible; count only)
    def after(t: np.ndarray) -> np.ndarray:
        return (t != NEVER) & (t > as_of_us)

    mask = pop & (after(p.d_received) | after(p.d_ended) | after(p.d_requested) | after(p.d_completed))
    own = c.per_unit(mask)
    add("dossier_future_date", own, pop_den, np.nan, np.nan,
        _fmt_notes("dossier_future_date", roll @ own, lang, as_of=as_of_text))

    # petitions
    q_pop = c.petition_in_progress
    q_den = roll @ c.petitions_per_unit(q_pop)
    mask = q_pop & (p.q_resolved == NEVER) & (p.q_due + stale_us < ref)
    gain = engine.delta(mask, q_resolved=np.where(mask, np.maximum(p.q_due, p.q_received), p.q_resolved))
    own = c.petitions_per_unit(mask)
    add("petition_open_past_due", own, q_den, gain, np.maximum(gain, 0.0),
        _fmt_notes("petition_open_past_due", roll @ own, lang, gain=gain))

    days = int(meth.deadlines["petition_processing_working_days"])
    q_recorded = ds.petitions["due_at"].notna().to_numpy()
    mask = q_pop & q_recorded & (p.q_due < p.q_received)
    q_legal = p.q_due.copy()
    if mask.any():
        q_legal[mask] = _end_of_day(p.cal.add(_day(p.q_received[mask]), days))
    gain = engine.delta(mask, q_due=q_legal)
    own = c.petitions_per_unit(mask)
    add("petition_due_before_receipt", own, q_den, gain, np.maximum(gain, 0.0),
        _fmt_notes("petition_due_before_receipt", roll @ own, lang, days=days, gain=gain))

    mask = q_pop & (after(p.q_received) | after(p.q_resolved))
    own = c.petitions_per_unit(mask)
    add("petition_future_date", own, q_den, np.nan, np.nan,
        _fmt_notes("petition_future_date", roll @ own, lang, as_of=as_of_text))

    # quarantine (count only)
    for code, table, kept in (("quarantined_dossiers", "dossiers", c.per_unit(received)),
                              ("quarantined_petitions", "petitions", c.petitions_per_unit(c.petition_received_in))):
        own, undated = _quarantine_counts(prep, c, q, table)
        notes = _fmt_notes(code, np.maximum(roll @ own, roll @ undated), lang)
        rolled_undated = roll @ undated
        notes = [note + (NOTES[lang]["undated"].format(n=fmt_number(float(u), lang)) if u > 0 else "")
                 for note, u in zip(notes, rolled_undated)]
        add(code, own, roll @ (kept + own), np.nan, np.nan, notes)

    return _finish(pd.concat(results, ignore_index=True), ds, meth, period, lang)


def _finish(out: pd.DataFrame, ds: Dataset, meth: Methodology, period: Period, lang: str) -> pd.DataFrame:
    """Unit columns, labels and shares; rows in unit-table order, then check order."""
    k = 0 if lang == "vi" else 1
    units = ds.units[["unit_id", "name", "kind", "parent_id"]].rename(columns={"name": "unit_name", "kind": "unit_kind"})
    out = out.merge(units, on="unit_id", how="left", validate="many_to_one")
    codes = set(meth.indicator_codes)
    check = out["check"]
    out["period"] = period.label
    out["label"] = check.map({c: v.label(lang) for c, v in CHECKS.items()}).astype("str")
    out["severity"] = check.map({c: SEVERITY_LABELS[v.severity][k] for c, v in CHECKS.items()}).astype("str")
    out["cost_kind"] = check.map({c: v.cost_kind for c, v in CHECKS.items()}).astype("str")
    out["cost_label"] = out["cost_kind"].map({c: v[k] for c, v in COST_LABELS.items()}).astype("str")
    out["indicators"] = check.map({c: ", ".join(i for i in v.indicators if i in codes)
                                   for c, v in CHECKS.items()}).astype("str")
    base = out["base"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(base > 0, out["count"].to_numpy(dtype=np.float64) / np.where(base > 0, base, 1), np.nan)
    unit_order = {u: i for i, u in enumerate(ds.units["unit_id"])}
    out = out.assign(_u=out["unit_id"].map(unit_order), _c=check.map(CHECK_ORDER))
    out = out.sort_values(["_u", "_c"], kind="stable").drop(columns=["_u", "_c"])
    return out[CHECK_COLUMNS].reset_index(drop=True)


def unit_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per unit, worst first: records flagged (a record can fail several checks), quarantined
    rows, the exact gain (unsynced), the most that fixing everything could gain (`max_gain`: the sum
    of the checks' best cases, a ceiling, not a forecast) and the points that may be overstated."""
    data = checks
    kind = data["check"].map({c: v.severity for c, v in CHECKS.items()})
    flagged = data["count"].where(kind != "quarantine", 0)
    quarantined = data["count"].where(kind == "quarantine", 0)
    exact = data["points_at_stake"].where(data["cost_kind"] == "exact", 0.0).fillna(0.0)
    over = data["points_at_stake"].where((data["cost_kind"] == "estimate") & (data["points_at_stake"] < 0), 0.0)
    frame = pd.DataFrame({"unit_id": data["unit_id"], "flagged": flagged, "quarantined": quarantined,
                          "exact_gain": exact, "max_gain": data["max_gain"].fillna(0.0).clip(lower=0.0),
                          "overstated": over.fillna(0.0),
                          "dossiers": data["base"].where(data["check"] == "missing_due", 0),
                          "petitions": data["base"].where(data["check"] == "petition_open_past_due", 0)})
    agg = frame.groupby("unit_id", sort=False).sum()
    # the check with the most at stake, else the most records
    rank = data.assign(_g=data["max_gain"].fillna(0.0), _n=data["count"])
    rank = rank[rank["count"] > 0].sort_values(["_g", "_n"], ascending=False, kind="stable")
    worst = rank.drop_duplicates("unit_id").set_index("unit_id")["label"]
    info = checks.drop_duplicates("unit_id").set_index("unit_id")[["unit_name", "unit_kind", "period"]]
    out = info.join(agg).reset_index()
    out["worst_check"] = out["unit_id"].map(worst).fillna("").astype("str")
    out = out.astype({"flagged": "int64", "quarantined": "int64", "dossiers": "int64", "petitions": "int64"})
    out = out.sort_values(["max_gain", "overstated", "flagged", "quarantined"], ascending=[False, True, False, False],
                          kind="stable")
    return out[SUMMARY_COLUMNS].reset_index(drop=True)


def definitions(lang: str = "vi") -> pd.DataFrame:
    """Every check: code, label, severity, cost kind and its definition, in `lang`."""
    k = 0 if lang == "vi" else 1
    return pd.DataFrame({
        "check": list(CHECKS),
        "label": [c.label(lang) for c in CHECKS.values()],
        "severity": [SEVERITY_LABELS[c.severity][k] for c in CHECKS.values()],
        "cost": [COST_LABELS[c.cost_kind][k] for c in CHECKS.values()],
        "definition": [DEFINITIONS[lang][code] for code in CHECKS],
    }).astype("str")


# ------------------------------------------------------------------------------------ report
@dataclass
class QualityReport:
    """Everything the CLI and the notebook show for one period."""

    period: str
    lang: str
    methodology: str
    as_of: pd.Timestamp
    as_of_source: str  # exported_at | imported_at | generated_at | now
    synthetic: bool
    checks: pd.DataFrame            # one row per unit × check
    summary: pd.DataFrame           # one row per unit, worst first
    quarantine: pd.DataFrame        # rows per table and reason (chiso.quarantine.summary)
    quarantine_units: pd.DataFrame  # rows per unit code, table and reason
    quarantine_rows: int

    @property
    def root(self) -> str:
        top = self.checks.loc[self.checks["parent_id"].isna(), "unit_id"]
        return str(top.iloc[0])

    def province_checks(self) -> pd.DataFrame:
        """The root unit's row for every check: the province as a whole."""
        return self.checks[self.checks["unit_id"] == self.root].reset_index(drop=True)

    def header(self) -> str:
        source = "time of this check" if self.as_of_source == "now" else f"dataset.json {self.as_of_source}"
        return (f"Chất lượng dữ liệu kỳ {self.period} / data quality for {self.period} "
                f"(methodology {self.methodology}; dates checked against {self.as_of:%Y-%m-%d %H:%M}, {source})")


def quality_report(ds: Dataset, period: Period | str, meth: Methodology | None = None, *,
                   quarantine: pd.DataFrame | None = None, lang: str = "vi", prepared: Prepared | None = None,
                   stale_days: int = STALE_DAYS) -> QualityReport:
    """Checks, per-unit summary and quarantine tables for one period (`latest` allowed)."""
    meth = meth or (prepared.meth if prepared is not None else load_methodology())
    label = resolve_period(ds, period)
    q = _quarantine_for(ds, quarantine)
    as_of, source = data_as_of(ds)
    checks = quality_checks(ds, label, meth, quarantine=q, lang=lang, prepared=prepared, stale_days=stale_days,
                            as_of=as_of)
    return QualityReport(
        period=label.label, lang=lang, methodology=meth.name, as_of=as_of, as_of_source=source,
        synthetic=ds.synthetic, checks=checks, summary=unit_summary(checks),
        quarantine=qmod.summary(q, lang), quarantine_units=quarantine_by_unit(q, ds, label, lang),
        quarantine_rows=len(q),
    )


def load_report(data: str | Path, period: str = "latest", lang: str = "vi",
                methodology: str | Path | None = None) -> QualityReport:
    """The report for a data directory, loading it once per process (as the report notebooks do)."""
    from .report import cached_explainer

    explainer = cached_explainer(data, str(methodology) if methodology else None)
    return quality_report(explainer.ds, period, explainer.meth, lang=lang, prepared=explainer.prep)


# -------------------------------------------------------------------------------------- HTML
WORDS = {
    "vi": {"summary": "Đơn vị có vấn đề, nặng nhất trước", "province": "Toàn tỉnh, từng loại kiểm tra",
           "quarantine": "Dòng bị cách ly khi nhập", "quarantine_units": "Dòng bị cách ly theo đơn vị",
           "definitions": "Định nghĩa", "none": "Không có vấn đề nào.", "no_quarantine": "Không có dòng nào bị cách ly.",
           "chart": "Điểm có thể đang mất (tối đa), theo đơn vị và loại kiểm tra",
           "bounds": "Điểm chưa làm tròn. “giới hạn trên”: mức thay đổi lớn nhất có thể khi sửa (trường hợp tốt "
                     "nhất); “ước tính”: khi dùng thời hạn luật định; “chính xác”: khi sửa, các yếu tố khác giữ "
                     "nguyên; dòng bị cách ly chỉ được đếm. Cột “tối đa có thể tăng” cộng các trường hợp tốt nhất "
                     "(một hồ sơ có thể vi phạm nhiều kiểm tra): là mức trần, không phải dự báo.",
           "cols_summary": ["Đơn vị", "Loại", "Hồ sơ", "PAKN", "Bản ghi có vấn đề", "Bị cách ly",
                            "Tăng chắc chắn", "Tối đa có thể tăng", "Có thể đang tính cao", "Vấn đề chính"],
           "cols_checks": ["Kiểm tra", "Mức độ", "Số lượng", "Tỷ lệ", "Điểm liên quan", "Loại điểm", "Ghi chú"],
           "cols_quarantine": ["Bảng", "Lý do", "Số dòng"],
           "cols_q_units": ["Mã đơn vị", "Đơn vị", "Bảng", "Lý do", "Số dòng", "Trong kỳ", "Không có ngày"],
           "cols_def": ["Kiểm tra", "Mức độ", "Loại điểm", "Định nghĩa"],
           "units": "Đơn vị", "points": "Điểm (tối đa)", "check": "Kiểm tra",
           "as_of": "Kỳ {period}; ngày tháng được đối chiếu với thời điểm {as_of}; phương pháp {methodology}."},
    "en": {"summary": "Units with problems, worst first", "province": "The province as a whole, per check",
           "quarantine": "Rows quarantined at import", "quarantine_units": "Quarantined rows per unit",
           "definitions": "Definitions", "none": "No problems found.", "no_quarantine": "No rows were quarantined.",
           "chart": "Points possibly lost (at most), by unit and check",
           "bounds": "Unrounded points. “upper bound”: the largest change the fix could make (best case); "
                     "“estimate”: with the legal time limit; “exact”: with the fix, all else equal; quarantined "
                     "rows are counted only. “Max gain” adds up the checks' best cases (a record can fail several "
                     "checks): a ceiling, not a forecast.",
           "cols_summary": ["Unit", "Kind", "Dossiers", "Petitions", "Records flagged", "Quarantined",
                            "Exact gain", "Max gain", "May be overstated", "Main problem"],
           "cols_checks": ["Check", "Severity", "Count", "Share", "Points at stake", "Cost", "Note"],
           "cols_quarantine": ["Table", "Reason", "Rows"],
           "cols_q_units": ["Unit code", "Unit", "Table", "Reason", "Rows", "In period", "Undated"],
           "cols_def": ["Check", "Severity", "Cost", "Definition"],
           "units": "Unit", "points": "Points (at most)", "check": "Check",
           "as_of": "Period {period}; dates checked against {as_of}; methodology {methodology}."},
}


def _table(lang: str, frame: pd.DataFrame, columns: dict[str, str], filename: str | None,
           formats: dict | None = None) -> str:
    from .report import table

    return table(frame, columns, filename, lang, formats)


def header_html(rep: QualityReport) -> str:
    """Title, period and as-of line, and the synthetic banner when the data are generated."""
    w = WORDS[rep.lang]
    title = "Chất lượng dữ liệu" if rep.lang == "vi" else "Data quality"
    when = f"{rep.as_of:%d/%m/%Y %H:%M}"
    banner = f'<div class="banner">{esc(SYNTHETIC_BANNER)}</div>' if rep.synthetic else ""
    line = w["as_of"].format(period=rep.period, as_of=when, methodology=rep.methodology)
    return f"{banner}<h1>{esc(title)}</h1><p class='muted'>{esc(line)}</p><p class='muted'>{esc(w['bounds'])}</p>"


def summary_html(rep: QualityReport, top: int = 25) -> str:
    """The worst units (flagged records, quarantined rows or points at stake), as a table with CSV."""
    w, lang = WORDS[rep.lang], rep.lang
    s = rep.summary
    s = s[(s["flagged"] > 0) | (s["quarantined"] > 0)]
    head = f"<h2>{esc(w['summary'])}</h2>"
    if s.empty:
        return head + f"<p>{esc(w['none'])}</p>"
    from .report import KIND_LABELS

    s = s.assign(unit_kind=s["unit_kind"].map(KIND_LABELS[lang]).fillna(s["unit_kind"]))
    cols = dict(zip(["unit_name", "unit_kind", "dossiers", "petitions", "flagged", "quarantined", "exact_gain",
                     "max_gain", "overstated", "worst_check"], w["cols_summary"]))
    pts = {k: (lambda v: esc(fmt_signed_points(v, lang))) for k in ("exact_gain", "max_gain", "overstated")}
    return head + _table(rep.lang, s.head(top), cols, f"chat-luong-du-lieu-{rep.period}.csv", pts)


def province_html(rep: QualityReport) -> str:
    """Every check for the root unit (the whole province)."""
    w, lang = WORDS[rep.lang], rep.lang
    frame = rep.province_checks()
    cols = dict(zip(["label", "severity", "count", "share", "points_at_stake", "cost_label", "note"], w["cols_checks"]))
    fmt = {"share": lambda v: esc(fmt_percent(None if pd.isna(v) else float(v), lang)),
           "points_at_stake": lambda v: esc(fmt_signed_points(float(v), lang))}
    return f"<h2>{esc(w['province'])}</h2>" + _table(rep.lang, frame, cols, f"kiem-tra-{rep.period}.csv", fmt)


def quarantine_html(rep: QualityReport) -> str:
    """The quarantine summary per table and reason, then per unit code."""
    w = WORDS[rep.lang]
    out = f"<h2>{esc(w['quarantine'])}</h2>"
    if rep.quarantine.empty:
        return out + f"<p>{esc(w['no_quarantine'])}</p>"
    out += _table(rep.lang, rep.quarantine, dict(zip(["table", "label", "rows"], w["cols_quarantine"])),
                  f"cach-ly-{rep.period}.csv")
    if not rep.quarantine_units.empty:
        cols = dict(zip(["unit_id", "unit_name", "table", "label", "rows", "in_period", "undated"], w["cols_q_units"]))
        out += f"<h3>{esc(w['quarantine_units'])}</h3>" + _table(rep.lang, rep.quarantine_units, cols,
                                                                      f"cach-ly-don-vi-{rep.period}.csv")
    return out


def definitions_html(lang: str = "vi") -> str:
    w = WORDS[lang]
    frame = definitions(lang)
    cols = dict(zip(["label", "severity", "cost", "definition"], w["cols_def"]))
    return f"<h2>{esc(w['definitions'])}</h2>" + _table(lang, frame, cols, None)


def points_chart(rep: QualityReport, top: int = 15):
    """Stacked bars: the most each check could gain, for the `top` units with the most at stake."""
    import altair as alt

    w = WORDS[rep.lang]
    units = rep.summary[rep.summary["max_gain"] > 0.0049].head(top)["unit_id"]
    data = rep.checks[rep.checks["unit_id"].isin(units) & (rep.checks["max_gain"] > 0.0049)]
    data = pd.DataFrame({"unit": data["unit_name"] + " (" + data["unit_id"] + ")", "check": data["label"],
                         "points": data["max_gain"].round(3), "cost": data["cost_label"]})
    return alt.Chart(data, title=w["chart"]).mark_bar().encode(
        y=alt.Y("unit:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("sum(points):Q", title=w["points"]),
        color=alt.Color("check:N", title=w["check"], legend=alt.Legend(orient="bottom", columns=1, labelLimit=480)),
        tooltip=[alt.Tooltip("unit:N", title=w["units"]), alt.Tooltip("check:N", title=w["check"]),
                 alt.Tooltip("points:Q", format=".2f", title=w["points"]), alt.Tooltip("cost:N", title=" ")],
    ).properties(width=480, height=max(60, 24 * len(units)))
