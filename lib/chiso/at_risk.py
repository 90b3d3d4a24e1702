"""At-risk dossiers: open now, due within N working days, still savable — the list a unit can act on.

A dossier is at risk at instant t when it was received by t, has not ended, is not waiting for the
applicant (a supplement requested and not yet completed stops the clock), has had at most one
supplement request (a second already makes it late), and its effective due date (recorded or legal,
extended by a completed supplement wait) falls between t and the end of the N-th working day after
t's date. Dossier ids appear (for internal follow-up); no citizen personal data do.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .counts import NEVER, _day, _end_of_day
from .explain import Explainer
from .periods import month

AT_RISK_COLUMNS = ["dossier_id", "unit_id", "unit_name", "procedure_code", "procedure_name", "field",
                   "received_at", "effective_due", "working_days_left"]


def _instant(as_of) -> np.int64:
    ts = pd.Timestamp(as_of)
    return np.int64(np.datetime64(ts.to_datetime64(), "us").astype(np.int64))


def at_risk(explainer: Explainer, as_of, within_working_days: int = 3,
            unit_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dossiers at risk, per-unit summary with the ON_TIME points they would cost this month).

    `as_of` is a date (its start, 00:00) or a date-time. With `unit_id`, only its subtree; the
    summary then has a row for every unit in it that has dossiers at risk (each unit's score is
    rolled up, so a district loses points for its communes' late dossiers too).
    """
    prep = explainer.prep
    t = _instant(as_of)
    day = _day(np.array([t]))[0]
    horizon = _end_of_day(prep.cal.add(np.array([day]), within_working_days))[0]
    open_now = (prep.d_received <= t) & (prep.d_ended > t)
    waiting = (prep.d_requested <= t) & (prep.d_completed > t)
    paused = prep.d_completed <= t
    due = prep.d_due + np.where(paused & (prep.d_requested != NEVER), prep.d_completed - prep.d_requested, 0)
    mask = open_now & ~waiting & (prep.d_supp_count <= 1) & (due >= t) & (due <= horizon)
    if unit_id is not None:
        explainer.check_unit(unit_id)
        mask &= prep.units_below(unit_id)[prep.d_unit]
    idx = np.flatnonzero(mask)
    d = prep.ds.dossiers
    procs = prep.ds.procedures
    proc_rows = prep.d_proc[idx]
    dossiers = pd.DataFrame({
        "dossier_id": d["dossier_id"].to_numpy()[idx],
        "unit_id": prep.unit_ids[prep.d_unit[idx]],
        "procedure_code": procs["procedure_code"].to_numpy()[proc_rows],
        "procedure_name": procs["name"].to_numpy()[proc_rows],
        "field": procs["field"].to_numpy()[proc_rows],
        "received_at": d["received_at"].to_numpy()[idx],
        "effective_due": due[idx].astype("datetime64[us]"),
        "working_days_left": prep.cal.count(np.full(len(idx), day), _day(due[idx])),
    })
    dossiers.insert(2, "unit_name", dossiers["unit_id"].map(explainer.names))
    dossiers = dossiers.astype({c: "str" for c in ("dossier_id", "unit_id", "unit_name", "procedure_code",
                                                   "procedure_name", "field")})
    dossiers = dossiers.sort_values(["effective_due", "unit_id", "dossier_id"], ignore_index=True)
    return dossiers[AT_RISK_COLUMNS], _summary(explainer, dossiers, day, unit_id)


def _summary(explainer: Explainer, dossiers: pd.DataFrame, day: np.datetime64, unit_id: str | None) -> pd.DataFrame:
    """Per unit: dossiers at risk in its subtree and the ON_TIME points they would cost if late.

    The cost is the marginal value of a dossier in the unit's ON_TIME for the month of `as_of`,
    max_points / (target × denominator), times the dossiers at risk.
    """
    prep = explainer.prep
    first = dt.date.fromisoformat(str(day))
    period = month(first.year, first.month)
    counts = explainer.counts(period)
    on_time = counts[counts["indicator"] == "ON_TIME"].set_index("unit_id")
    ind = explainer.meth.indicator("ON_TIME")
    own = np.bincount(pd.Index(prep.unit_ids).get_indexer(dossiers["unit_id"]), minlength=prep.n_units)
    in_tree = prep.ancestor_matrix @ own
    scope = np.ones(prep.n_units, dtype=bool)
    if unit_id is not None:
        scope = prep.units_below(unit_id)
    rows = []
    for u in np.flatnonzero((in_tree > 0) & scope):
        uid = str(prep.unit_ids[u])
        n, dd = float(on_time.loc[uid, "numerator"]), float(on_time.loc[uid, "denominator"])
        k = float(in_tree[u])
        # Each dossier that turns late moves the ratio by 1/D: max / (target × D) points while the
        # ratio is below target (the snapshot's own on-time status of these dossiers is not known).
        stake = k * ind.max_points / (ind.target * dd) if dd else 0.0
        rows.append({"unit_id": uid, "unit_name": explainer.names[uid], "unit_kind": explainer.kinds[uid],
                     "dossiers_at_risk": int(k), "period": period.label, "on_time_numerator": n,
                     "on_time_denominator": dd, "points_at_stake": float(stake)})
    out = pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_kind", "dossiers_at_risk", "period",
                                      "on_time_numerator", "on_time_denominator", "points_at_stake"])
    return out.sort_values("points_at_stake", ascending=False, ignore_index=True)
