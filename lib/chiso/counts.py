"""Counting: numerator and denominator per unit, period and indicator, from dossier-level data.

Each indicator's rule counts a unit's *own* records; `count_period` then rolls every unit's counts
up to all its ancestors by summing (a parent's ratio is never an average of its children's), and
gives every unit the province's value for province-scope indicators. Everything is vectorised over
integer-coded numpy arrays prepared once per dataset, so a year of a 2-million-dossier province
counts in seconds.

Times are int64 microseconds; a missing end, completion or request time is `NEVER` (the far
future), which makes "still open" comparisons fall out naturally.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .contract import Dataset
from .methodology import Indicator, Methodology, MethodologyError
from .periods import Period, parse_period
from .workdays import WorkCalendar, calendar

NEVER = np.iinfo(np.int64).max
US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR
RESULT_STATUSES = ("finished", "returned")
COUNT_COLUMNS = ["unit_id", "period", "indicator", "numerator", "denominator"]


def _times(series: pd.Series, missing: int = NEVER) -> np.ndarray:
    """Datetime column → int64 microseconds, missing → `missing`."""
    values = series.to_numpy(dtype="datetime64[us]")
    out = values.view(np.int64).copy()
    out[np.isnat(values)] = missing
    return out


def _day(us: np.ndarray) -> np.ndarray:
    return (us // US_PER_DAY).astype("datetime64[D]")


def _end_of_day(days: np.ndarray) -> np.ndarray:
    """The last microsecond of each calendar day."""
    return (days.astype("datetime64[D]").astype(np.int64) + 1) * US_PER_DAY - 1


def _bool(series: pd.Series) -> np.ndarray:
    return series.fillna(False).to_numpy(dtype=bool)


@dataclass
class Prepared:
    """A dataset turned into integer-coded arrays once, for counting many periods."""

    ds: Dataset
    meth: Methodology
    cal: WorkCalendar
    unit_ids: np.ndarray
    unit_kinds: np.ndarray
    ancestor_matrix: np.ndarray  # [ancestor, unit] = 1 when ancestor is the unit or above it
    province: int
    # procedures
    p_has_fee: np.ndarray
    p_result_document: np.ndarray
    p_citizen: np.ndarray
    p_online: np.ndarray
    authority: np.ndarray | None  # [unit, procedure] bool, None when the data do not say
    # dossiers
    d_unit: np.ndarray
    d_proc: np.ndarray
    d_received: np.ndarray
    d_due: np.ndarray  # recorded due date, else receipt + legal limit
    d_due_recorded: np.ndarray
    d_ended: np.ndarray
    d_result_ended: np.ndarray  # ended as finished / returned
    d_supp_count: np.ndarray
    d_requested: np.ndarray
    d_completed: np.ndarray
    d_channel: np.ndarray
    d_synced: np.ndarray
    d_fee: np.ndarray
    d_paid: np.ndarray
    d_e_result: np.ndarray
    d_digitized: np.ndarray
    d_reused: np.ndarray
    d_personal: np.ndarray
    d_population: np.ndarray
    d_unsatisfied: np.ndarray
    d_petition: np.ndarray
    # petitions
    q_unit: np.ndarray
    q_received: np.ndarray
    q_due: np.ndarray
    q_resolved: np.ndarray
    q_negative: np.ndarray
    q_repeated: np.ndarray
    q_topic: np.ndarray

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_procedures(self) -> int:
        return len(self.p_has_fee)

    def row(self, unit_id: str) -> int:
        """The unit's index in the coded arrays (KeyError for an unknown unit)."""
        rows = np.flatnonzero(self.unit_ids == unit_id)
        if not len(rows):
            raise KeyError(f"unknown unit '{unit_id}'")
        return int(rows[0])

    def units_below(self, unit_id: str) -> np.ndarray:
        """Boolean over units: the unit itself and every unit under it."""
        return self.ancestor_matrix[self.row(unit_id)] > 0


def legal_due(received_us: np.ndarray, limit: np.ndarray, unit: np.ndarray, cal: WorkCalendar) -> np.ndarray:
    """Due time from receipt and the legal time limit in its unit.

    hours: receipt + limit hours; days: receipt + limit × 24 h; working days: the end of the
    limit-th working day after the day of receipt (fractions round up).
    """
    due = np.empty(len(received_us), dtype=np.int64)
    hours = unit == "hours"
    due[hours] = received_us[hours] + np.round(limit[hours] * US_PER_HOUR).astype(np.int64)
    days = unit == "days"
    due[days] = received_us[days] + np.round(limit[days] * US_PER_DAY).astype(np.int64)
    work = unit == "working_days"
    if work.any():
        n = np.ceil(limit[work]).astype(np.int64)
        due[work] = _end_of_day(cal.add(_day(received_us[work]), n))
    return due


def prepare(ds: Dataset, meth: Methodology) -> Prepared:
    """Code a validated dataset into arrays (one pass; reuse the result for every period)."""
    cal = calendar(meth.extra_holidays)
    units = ds.units
    unit_index = pd.Index(units["unit_id"])
    n_units = len(units)
    parent = unit_index.get_indexer(units["parent_id"])  # -1 for the root
    ancestors = np.zeros((n_units, n_units), dtype=np.float64)
    for child in range(n_units):
        node = child
        while node >= 0:
            ancestors[node, child] = 1.0
            node = parent[node]
    kinds = units["kind"].to_numpy(dtype=object)
    roots = np.flatnonzero(parent < 0)
    province = int(roots[0])

    procs = ds.procedures
    proc_index = pd.Index(procs["procedure_code"])
    online = procs["online_level"].isin(["partial", "full"]).to_numpy()
    authority = None
    if "level" in procs.columns and procs["level"].notna().any():
        authority = np.zeros((n_units, len(procs)), dtype=bool)
        level = procs["level"].to_numpy(dtype=object)
        agency = unit_index.get_indexer(procs["agency_id"]) if "agency_id" in procs.columns else np.full(len(procs), -1)
        for j in range(len(procs)):
            if agency[j] >= 0:
                authority[agency[j], j] = True
            elif isinstance(level[j], str):
                authority[kinds == level[j], j] = True

    d = ds.dossiers
    d_proc = proc_index.get_indexer(d["procedure_code"]).astype(np.int32)
    received = _times(d["received_at"])
    due_recorded = d["due_at"].notna().to_numpy()
    due = _times(d["due_at"])
    if (~due_recorded).any():
        missing = ~due_recorded
        limits = procs["time_limit"].to_numpy(dtype=np.float64)[d_proc[missing]]
        time_units = procs["time_unit"].to_numpy(dtype=object)[d_proc[missing]]
        due[missing] = legal_due(received[missing], limits, time_units, cal)

    q = ds.petitions
    q_received = _times(q["received_at"])
    q_due = _times(q["due_at"])
    q_missing = q["due_at"].isna().to_numpy()
    if q_missing.any():
        n = meth.deadlines["petition_processing_working_days"]
        q_due[q_missing] = _end_of_day(cal.add(_day(q_received[q_missing]), n))
    topic = q["topic"].fillna("").to_numpy(dtype=object) if "topic" in q.columns else np.full(len(q), "", dtype=object)

    return Prepared(
        ds=ds, meth=meth, cal=cal,
        unit_ids=units["unit_id"].to_numpy(dtype=object), unit_kinds=kinds,
        ancestor_matrix=ancestors, province=province,
        p_has_fee=procs["has_fee"].to_numpy(dtype=bool),
        p_result_document=procs["result_document"].to_numpy(dtype=bool),
        p_citizen=procs["citizen_applicant"].to_numpy(dtype=bool),
        p_online=online, authority=authority,
        d_unit=unit_index.get_indexer(d["unit_id"]).astype(np.int32),
        d_proc=d_proc,
        d_received=received, d_due=due, d_due_recorded=due_recorded,
        d_ended=_times(d["ended_at"]),
        d_result_ended=d["end_status"].isin(list(RESULT_STATUSES)).to_numpy(),
        d_supp_count=d["supplement_count"].to_numpy(dtype=np.int64),
        d_requested=_times(d["supplement_requested_at"]),
        d_completed=_times(d["supplement_completed_at"]),
        d_channel=d["channel"].to_numpy(dtype=np.int64),
        d_synced=_bool(d["synced"]),
        d_fee=d["fee_amount"].to_numpy(dtype=np.float64, na_value=np.nan),
        d_paid=_bool(d["paid_online"]),
        d_e_result=_bool(d["e_result"]),
        d_digitized=_bool(d["digitized"]),
        d_reused=_bool(d["reused_data"]),
        d_personal=_bool(d["personal_store"]),
        d_population=_bool(d["population_data"]),
        d_unsatisfied=(d["rating"] == "unsatisfied").fillna(False).to_numpy(dtype=bool),
        d_petition=_bool(d["has_petition"]),
        q_unit=unit_index.get_indexer(q["unit_id"]).astype(np.int32),
        q_received=q_received, q_due=q_due,
        q_resolved=_times(q["resolved_at"]),
        q_negative=(q["rating"] == "negative").fillna(False).to_numpy(dtype=bool),
        q_repeated=_bool(q["repeated"]),
        q_topic=topic,
    )


class PeriodCounter:
    """Masks for one period, computed on first use and shared by the rules that need them."""

    def __init__(self, prep: Prepared, period: Period):
        self.prep = prep
        self.period = period
        self.start = int(period.start.astype(np.int64))
        self.end_exclusive = int(period.end_exclusive.astype(np.int64))
        self.end = self.end_exclusive - 1  # the last instant of the period

    # ---- per-unit helpers
    def per_unit(self, mask: np.ndarray, units: np.ndarray | None = None, weights=None) -> np.ndarray:
        units = self.prep.d_unit if units is None else units
        w = mask.astype(np.float64) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(units, weights=w, minlength=self.prep.n_units)

    def distinct_procedures(self, mask: np.ndarray) -> np.ndarray:
        """(unit, procedure) pairs present among the masked dossiers, as sorted keys."""
        p = self.prep
        keys = p.d_unit[mask].astype(np.int64) * p.n_procedures + p.d_proc[mask]
        return np.unique(keys)

    def per_unit_keys(self, keys: np.ndarray) -> np.ndarray:
        return np.bincount(keys // self.prep.n_procedures, minlength=self.prep.n_units).astype(np.float64)

    # ---- dossier masks
    @cached_property
    def received_in(self) -> np.ndarray:
        r = self.prep.d_received
        return (r >= self.start) & (r < self.end_exclusive)

    @cached_property
    def in_progress(self) -> np.ndarray:
        """Received in the period, or carried over: received before and not ended before it."""
        p = self.prep
        return (p.d_received < self.end_exclusive) & (p.d_ended >= self.start)

    @cached_property
    def ended_in(self) -> np.ndarray:
        p = self.prep
        return self.in_progress & (p.d_ended < self.end_exclusive)

    @cached_property
    def result_in(self) -> np.ndarray:
        """Finished or returned in the period (a result was issued)."""
        return self.ended_in & self.prep.d_result_ended

    @cached_property
    def evaluation(self) -> tuple[np.ndarray, np.ndarray]:
        """(evaluation end, effective due) for every dossier, as the ON_TIME rules define them."""
        p = self.prep
        ended = p.d_ended < self.end_exclusive
        pending = ~ended & (p.d_requested < self.end_exclusive) & (p.d_completed >= self.end_exclusive)
        eval_end = np.where(ended, p.d_ended, np.where(pending, p.d_requested, self.end))
        paused = (p.d_completed < self.end_exclusive) & (p.d_completed <= eval_end) & (p.d_requested != NEVER)
        pause = np.where(paused, p.d_completed - p.d_requested, 0)
        return eval_end, p.d_due + pause

    @cached_property
    def on_time(self) -> np.ndarray:
        eval_end, due = self.evaluation
        return (eval_end <= due) & (self.prep.d_supp_count <= 1)

    # ---- petition masks
    @cached_property
    def petition_received_in(self) -> np.ndarray:
        r = self.prep.q_received
        return (r >= self.start) & (r < self.end_exclusive)

    @cached_property
    def petition_in_progress(self) -> np.ndarray:
        p = self.prep
        return (p.q_received < self.end_exclusive) & (p.q_resolved >= self.start)

    @cached_property
    def petition_on_time(self) -> np.ndarray:
        p = self.prep
        eval_end = np.where(p.q_resolved < self.end_exclusive, p.q_resolved, self.end)
        return eval_end <= p.q_due

    def petitions_per_unit(self, mask: np.ndarray) -> np.ndarray:
        return self.per_unit(mask, units=self.prep.q_unit)


# ------------------------------------------------------------------------------------ rules
# A unit-scope rule returns (numerator, denominator) arrays over the units' own records; a
# province-scope rule returns two scalars for the whole province.

Rule = Callable[[PeriodCounter, Indicator], tuple]


def _received_flag(flag_name: str) -> Rule:
    def rule(c: PeriodCounter, ind: Indicator):
        den = c.received_in
        return c.per_unit(den & getattr(c.prep, flag_name)), c.per_unit(den)
    return rule


def rule_dossier_sync(c: PeriodCounter, ind: Indicator):
    return _received_flag("d_synced")(c, ind)


def rule_on_time(c: PeriodCounter, ind: Indicator):
    den = c.in_progress
    return c.per_unit(den & c.on_time), c.per_unit(den)


def processing_days(c: PeriodCounter) -> np.ndarray:
    """Calendar days from receipt to end, less supplement waiting time, for every dossier."""
    p = c.prep
    eval_end, due = c.evaluation
    pause = due - p.d_due
    return np.maximum(eval_end - p.d_received - pause, 0) / US_PER_DAY


def rule_avg_processing_time(c: PeriodCounter, ind: Indicator):
    mask = c.result_in
    return c.per_unit(mask, weights=processing_days(c)), c.per_unit(mask)


def _authority_pairs(c: PeriodCounter, online_only: bool) -> np.ndarray:
    """(unit, procedure) keys under each unit's authority; without authority data, those used."""
    p = c.prep
    if p.authority is not None:
        grid = p.authority & (p.p_online[None, :] if online_only else True)
        units, procs = np.nonzero(grid)
        return units.astype(np.int64) * p.n_procedures + procs
    keys = c.distinct_procedures(c.received_in)
    return keys[p.p_online[keys % p.n_procedures]] if online_only else keys


def rule_online_service_provided(c: PeriodCounter, ind: Indicator):
    p = c.prep
    keys = _authority_pairs(c, online_only=False)
    offered = keys[p.p_online[keys % p.n_procedures]]
    return c.per_unit_keys(offered), c.per_unit_keys(keys)


def rule_online_service_used(c: PeriodCounter, ind: Indicator):
    offered = _authority_pairs(c, online_only=True)
    used = c.distinct_procedures(c.received_in & (c.prep.d_channel == 2))
    return c.per_unit_keys(offered[np.isin(offered, used)]), c.per_unit_keys(offered)


def rule_online_dossier_share(c: PeriodCounter, ind: Indicator):
    p = c.prep
    needs_result = p.p_result_document[p.d_proc]
    online = (p.d_channel == 2) & (~needs_result | p.d_e_result)
    return c.per_unit(c.received_in & online), c.per_unit(c.received_in)


@dataclass
class _FeeScope:
    dossiers: np.ndarray  # fee-bearing dossiers received in the period, fee not zero
    procedures: np.ndarray  # their (unit, procedure) keys


def _fee_scope(c: PeriodCounter) -> _FeeScope:
    p = c.prep
    mask = c.received_in & p.p_has_fee[p.d_proc] & ~(p.d_fee == 0)
    return _FeeScope(mask, c.distinct_procedures(mask))


def rule_online_payment_dossier(c: PeriodCounter, ind: Indicator):
    scope = _fee_scope(c)
    return c.per_unit(scope.dossiers & c.prep.d_paid), c.per_unit(scope.dossiers)


def rule_online_payment_procedure(c: PeriodCounter, ind: Indicator):
    scope = _fee_scope(c)
    paid = c.distinct_procedures(scope.dossiers & c.prep.d_paid)
    return c.per_unit_keys(paid), c.per_unit_keys(scope.procedures)


def rule_fee_data_procedure(c: PeriodCounter, ind: Indicator):
    p = c.prep
    scope = _fee_scope(c)
    with_data = c.distinct_procedures(scope.dossiers & p.d_synced & ~np.isnan(p.d_fee))
    return c.per_unit_keys(with_data), c.per_unit_keys(scope.procedures)


def rule_petition_processing_on_time(c: PeriodCounter, ind: Indicator):
    den = c.petition_in_progress
    return c.petitions_per_unit(den & c.petition_on_time), c.petitions_per_unit(den)


def rule_petition_handling_satisfaction(c: PeriodCounter, ind: Indicator):
    p = c.prep
    den = c.petition_received_in
    bad = p.q_negative | ~c.petition_on_time | p.q_repeated
    return c.petitions_per_unit(den & ~bad), c.petitions_per_unit(den)


def rule_dossier_receiving_satisfaction(c: PeriodCounter, ind: Indicator):
    p = c.prep
    den = c.ended_in
    good = c.on_time & ~p.d_unsatisfied & ~p.d_petition
    return c.per_unit(den & good), c.per_unit(den)


def _petition_topic(topic: str) -> Rule:
    def rule(c: PeriodCounter, ind: Indicator):
        den = c.petition_received_in
        return c.petitions_per_unit(den & (c.prep.q_topic == topic)), c.petitions_per_unit(den)
    return rule


def rule_original_result_available(c: PeriodCounter, ind: Indicator):
    p = c.prep
    den = c.result_in
    if ind.options.get("result_document_only", False):
        den = den & p.p_result_document[p.d_proc]
    return c.per_unit(den & p.d_e_result), c.per_unit(den)


def rule_digitized(c: PeriodCounter, ind: Indicator):
    p = c.prep
    result_missing = p.p_result_document[p.d_proc] & p.d_result_ended & (p.d_ended < c.end_exclusive) & ~p.d_e_result
    return c.per_unit(c.received_in & p.d_digitized & ~result_missing), c.per_unit(c.received_in)


def rule_citizen_data_formality(c: PeriodCounter, ind: Indicator):
    p = c.prep
    citizen = c.received_in & p.p_citizen[p.d_proc]
    used = c.distinct_procedures(citizen & p.d_population)
    return c.per_unit_keys(used), c.per_unit_keys(c.distinct_procedures(citizen))


def rule_electronic_certified_copy(c: PeriodCounter, ind: Indicator):
    units = c.prep.ds.units
    n = c.prep.n_units
    if "e_certified_copy" not in units.columns:
        return np.zeros(n), np.zeros(n)
    known = (units["kind"] == "commune").to_numpy() & units["e_certified_copy"].notna().to_numpy()
    yes = known & units["e_certified_copy"].fillna(False).to_numpy(dtype=bool)
    return yes.astype(np.float64), known.astype(np.float64)


def _procedure_dates(c: PeriodCounter):
    procs = c.prep.ds.procedures
    return (procs["decision_date"].to_numpy(dtype="datetime64[D]"),
            procs["legal_effective_date"].to_numpy(dtype="datetime64[D]"),
            procs["public_date"].to_numpy(dtype="datetime64[D]"))


def _in_period_days(c: PeriodCounter, days: np.ndarray) -> np.ndarray:
    first = np.datetime64(c.period.first_day, "D")
    last = np.datetime64(c.period.last_day, "D")
    return ~np.isnat(days) & (days >= first) & (days <= last)


def rule_publish_on_time(c: PeriodCounter, ind: Indicator):
    decision, effective, _ = _procedure_dates(c)
    den = _in_period_days(c, decision)
    known = den & ~np.isnat(effective)
    latest = np.full(len(decision), np.datetime64("NaT"), dtype="datetime64[D]")
    latest[known] = c.prep.cal.subtract(effective[known], c.prep.meth.deadlines["publish_before_effective_working_days"])
    on_time = ~known | (decision <= latest)
    return float((den & on_time).sum()), float(den.sum())


def rule_public_update_on_time(c: PeriodCounter, ind: Indicator):
    decision, _, public = _procedure_dates(c)
    has = ~np.isnat(decision)
    deadline = np.full(len(decision), np.datetime64("NaT"), dtype="datetime64[D]")
    deadline[has] = c.prep.cal.add(decision[has], c.prep.meth.deadlines["public_update_working_days"])
    den = _in_period_days(c, deadline)
    on_time = ~np.isnat(public) & (public <= deadline)
    return float((den & on_time).sum()), float(den.sum())


def rule_public_content_full(c: PeriodCounter, ind: Indicator):
    _, _, public = _procedure_dates(c)
    published = ~np.isnat(public) & (public <= np.datetime64(c.period.last_day, "D"))
    full = c.prep.ds.procedures["full_content"].to_numpy(dtype=bool)
    return float((published & full).sum()), float(published.sum())


RULES: dict[str, tuple[Rule, frozenset[str]]] = {
    "PUBLISH_ON_TIME": (rule_publish_on_time, frozenset()),
    "PUBLIC_UPDATE_ON_TIME": (rule_public_update_on_time, frozenset()),
    "PUBLIC_CONTENT_FULL": (rule_public_content_full, frozenset()),
    "DOSSIER_SYNC": (rule_dossier_sync, frozenset()),
    "ON_TIME": (rule_on_time, frozenset()),
    "AVG_PROCESSING_TIME": (rule_avg_processing_time, frozenset()),
    "ONLINE_SERVICE_PROVIDED": (rule_online_service_provided, frozenset()),
    "ONLINE_SERVICE_USED": (rule_online_service_used, frozenset()),
    "ONLINE_DOSSIER_SHARE": (rule_online_dossier_share, frozenset()),
    "ONLINE_PAYMENT_DOSSIER": (rule_online_payment_dossier, frozenset()),
    "ONLINE_PAYMENT_PROCEDURE": (rule_online_payment_procedure, frozenset()),
    "FEE_DATA_PROCEDURE": (rule_fee_data_procedure, frozenset()),
    "PETITION_PROCESSING_ON_TIME": (rule_petition_processing_on_time, frozenset()),
    "PETITION_HANDLING_SATISFACTION": (rule_petition_handling_satisfaction, frozenset()),
    "DOSSIER_RECEIVING_SATISFACTION": (rule_dossier_receiving_satisfaction, frozenset()),
    "PETITION_CLASSIFICATION_TTHC": (_petition_topic("procedure"), frozenset()),
    "PETITION_CLASSIFICATION_STAFF": (_petition_topic("staff"), frozenset()),
    "ORIGINAL_RESULT_AVAILABLE": (rule_original_result_available, frozenset({"result_document_only"})),
    "SO_HOA_GIAY_TO_GIAI_QUYET": (rule_digitized, frozenset()),
    "REUSED_DIGITIZED_DATA": (_received_flag("d_reused"), frozenset()),
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (_received_flag("d_personal"), frozenset()),
    "CITIZEN_DATA_CONNECTED_DOSSIER": (_received_flag("d_population"), frozenset()),
    "CITIZEN_DATA_CONNECTED_FORMALITY": (rule_citizen_data_formality, frozenset()),
    "ELECTRONIC_CERTIFIED_COPY": (rule_electronic_certified_copy, frozenset()),
}


DOSSIER_DIMENSIONS = frozenset({"field", "procedure", "channel"})
PROCEDURE_DIMENSIONS = frozenset({"field", "procedure"})
#: Segment dimensions (besides child units, which every unit-scope rule supports through the
#: roll-up) along which a rule's counts split additively. Petition rules, commune counts and
#: province-scope rules split by nothing else.
RULE_DIMENSIONS: dict[str, frozenset[str]] = {
    code: DOSSIER_DIMENSIONS for code in (
        "DOSSIER_SYNC", "ON_TIME", "AVG_PROCESSING_TIME", "ONLINE_DOSSIER_SHARE", "ONLINE_PAYMENT_DOSSIER",
        "DOSSIER_RECEIVING_SATISFACTION", "ORIGINAL_RESULT_AVAILABLE", "SO_HOA_GIAY_TO_GIAI_QUYET",
        "REUSED_DIGITIZED_DATA", "SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "CITIZEN_DATA_CONNECTED_DOSSIER")
} | {
    code: PROCEDURE_DIMENSIONS for code in (
        "ONLINE_SERVICE_PROVIDED", "ONLINE_SERVICE_USED", "ONLINE_PAYMENT_PROCEDURE", "FEE_DATA_PROCEDURE",
        "CITIZEN_DATA_CONNECTED_FORMALITY")
}


#: What a rule's numerator and denominator count, for sentences ("on 1,240 dossiers").
RULE_NOUNS: dict[str, str] = {code: "dossier" for code in RULE_DIMENSIONS if RULE_DIMENSIONS[code] is DOSSIER_DIMENSIONS} | {
    code: "procedure" for code in RULE_DIMENSIONS if RULE_DIMENSIONS[code] is PROCEDURE_DIMENSIONS} | {
    "PETITION_PROCESSING_ON_TIME": "petition", "PETITION_HANDLING_SATISFACTION": "petition",
    "PETITION_CLASSIFICATION_TTHC": "petition", "PETITION_CLASSIFICATION_STAFF": "petition",
    "ELECTRONIC_CERTIFIED_COPY": "commune", "PUBLISH_ON_TIME": "procedure", "PUBLIC_UPDATE_ON_TIME": "procedure",
    "PUBLIC_CONTENT_FULL": "procedure"}


def check_rules(meth: Methodology) -> None:
    """Every indicator names a counting rule chiso has, with options that rule understands."""
    source = meth.path or meth.name
    for i, ind in enumerate(meth.indicators):
        where = f"methodology file '{source}', indicators[{i}] ({ind.code})"
        if ind.rule not in RULES:
            raise MethodologyError(f"{where}.rule: no counting rule '{ind.rule}' (known rules: {', '.join(RULES)})")
        unknown = set(ind.options) - RULES[ind.rule][1]
        if unknown:
            allowed = sorted(RULES[ind.rule][1]) or "none"
            raise MethodologyError(f"{where}.options: unknown option(s) {sorted(unknown)}; allowed: {allowed}")


def count_period(prep: Prepared, period: Period | str) -> pd.DataFrame:
    """Numerator and denominator for every unit (rolled up) and indicator in one period."""
    period = parse_period(period)
    counter = PeriodCounter(prep, period)
    check_rules(prep.meth)
    frames = []
    n = prep.n_units
    for ind in prep.meth.indicators:
        rule = RULES[ind.rule][0]
        num, den = rule(counter, ind)
        if ind.scope == "province":
            num_all, den_all = np.full(n, float(num)), np.full(n, float(den))
        else:
            num_all = prep.ancestor_matrix @ np.asarray(num, dtype=np.float64)
            den_all = prep.ancestor_matrix @ np.asarray(den, dtype=np.float64)
        frames.append(pd.DataFrame({
            "unit_id": prep.unit_ids, "indicator": ind.code,
            "numerator": num_all, "denominator": den_all,
        }))
    out = pd.concat(frames, ignore_index=True)
    out.insert(1, "period", period.label)
    out["unit_id"] = out["unit_id"].astype("str")
    out["indicator"] = out["indicator"].astype("str")
    out["period"] = out["period"].astype("str")
    return out[COUNT_COLUMNS]


def count(ds: Dataset, meth: Methodology, periods: Iterable[Period | str]) -> pd.DataFrame:
    """Counts for several periods, preparing the dataset once."""
    prep = prepare(ds, meth)
    return pd.concat([count_period(prep, p) for p in periods], ignore_index=True)


SEGMENT_DIMENSIONS = ("field", "procedure", "channel", "child")
CHANNEL_LABELS = {1: ("Trực tiếp", "In person"), 2: ("Trực tuyến", "Online"), 3: ("Bưu chính công ích", "Postal")}
WHOLE = "__all__"


class SegmentCounter(PeriodCounter):
    """A PeriodCounter that bins one unit's subtree by field, procedure or channel instead of by unit.

    The rules run unchanged; only the binning differs, so segment counts add up to the unit's
    rolled-up counts by construction.
    """

    def __init__(self, prep: Prepared, period: Period, unit_row: int, by: str):
        super().__init__(prep, period)
        self.below = prep.ancestor_matrix[unit_row] > 0
        procs = prep.ds.procedures
        if by == "field":
            codes, labels = pd.factorize(procs["field"], sort=True)
            self.proc_segment = codes.astype(np.int64)
            self.labels = [str(x) for x in labels]
            self.keys = list(self.labels)
        elif by == "procedure":
            self.proc_segment = np.arange(prep.n_procedures, dtype=np.int64)
            self.keys = procs["procedure_code"].astype("str").tolist()
            self.labels = procs["name"].astype("str").tolist()
        elif by == "channel":
            self.proc_segment = None
            self.keys = [str(k) for k in CHANNEL_LABELS]
            self.labels = [v[0] for v in CHANNEL_LABELS.values()]
        else:
            raise ValueError(f"segment dimension must be one of {SEGMENT_DIMENSIONS}, not '{by}'")
        if by == "channel":
            bins = prep.d_channel - 1
        else:
            bins = self.proc_segment[prep.d_proc]
        self.bins = np.where(self.below[prep.d_unit], bins, -1)
        self.n_bins = len(self.keys)

    def per_unit(self, mask, units=None, weights=None):
        if units is not None:
            raise NotImplementedError("petitions do not split by this dimension")
        keep = mask & (self.bins >= 0)
        w = None if weights is None else weights[keep]
        return np.bincount(self.bins[keep], weights=w, minlength=self.n_bins).astype(np.float64)

    def per_unit_keys(self, keys):
        if self.proc_segment is None:
            raise NotImplementedError("procedure counts do not split by channel")
        unit, proc = keys // self.prep.n_procedures, keys % self.prep.n_procedures
        keep = self.below[unit]
        return np.bincount(self.proc_segment[proc[keep]], minlength=self.n_bins).astype(np.float64)


def segment_counts(prep: Prepared, period: Period | str, unit_id: str, by: str,
                   unit_counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Numerator and denominator of every indicator for one unit, split into segments.

    by: field, procedure, channel, or child (the unit's own records plus each direct child's
    rolled-up counts). Indicators that do not split along `by` get one segment, `__all__`.
    Columns: indicator, segment, label, numerator, denominator; per indicator the segments add
    up to the unit's counts.
    """
    period = parse_period(period)
    row = prep.row(unit_id)
    counts = unit_counts if unit_counts is not None else count_period(prep, period)
    by_unit = counts.set_index(["unit_id", "indicator"])
    frames = []
    if by == "child":
        parent = prep.ds.units["parent_id"].to_numpy(dtype=object)
        children = [str(u) for u, par in zip(prep.unit_ids, parent) if par == unit_id]
        names = dict(zip(prep.ds.units["unit_id"], prep.ds.units["name"]))
        for ind in prep.meth.indicators:
            total = by_unit.loc[(unit_id, ind.code)]
            if ind.scope == "province" or not children:
                frames.append((ind.code, [WHOLE], [names[unit_id]], [total["numerator"]], [total["denominator"]]))
                continue
            nums = [by_unit.loc[(c, ind.code), "numerator"] for c in children]
            dens = [by_unit.loc[(c, ind.code), "denominator"] for c in children]
            keys, labels = list(children), [names[c] for c in children]
            own_n, own_d = total["numerator"] - sum(nums), total["denominator"] - sum(dens)
            if own_d or own_n:
                keys.append(unit_id)
                labels.append(names[unit_id])
                nums.append(own_n)
                dens.append(own_d)
            frames.append((ind.code, keys, labels, nums, dens))
    else:
        counter = SegmentCounter(prep, period, row, by)
        for ind in prep.meth.indicators:
            if by in RULE_DIMENSIONS.get(ind.rule, frozenset()) and ind.scope == "unit":
                num, den = RULES[ind.rule][0](counter, ind)
                used = (np.asarray(num) != 0) | (np.asarray(den) != 0)
                idx = np.flatnonzero(used)
                frames.append((ind.code, [counter.keys[i] for i in idx], [counter.labels[i] for i in idx],
                               list(np.asarray(num)[idx]), list(np.asarray(den)[idx])))
            else:
                total = by_unit.loc[(unit_id, ind.code)]
                frames.append((ind.code, [WHOLE], [""], [total["numerator"]], [total["denominator"]]))
    out = pd.DataFrame(
        [(code, k, lab, float(n), float(d)) for code, keys, labels, nums, dens in frames
         for k, lab, n, d in zip(keys, labels, nums, dens)],
        columns=["indicator", "segment", "label", "numerator", "denominator"],
    )
    return out.astype({"indicator": "str", "segment": "str", "label": "str"})


def dossier_status(prep: Prepared, period: Period | str) -> pd.DataFrame:
    """Per dossier, how ON_TIME judged it in the period: the drill-down beneath every count.

    counted: in the ON_TIME denominator (received in the period or carried over); on_time: in
    its numerator; evaluated_at: the end used (end of processing, a pending supplement's request,
    or the period end); effective_due: the due date after supplement pauses.
    """
    c = PeriodCounter(prep, parse_period(period))
    eval_end, due = c.evaluation
    d = prep.ds.dossiers
    counted = c.in_progress
    return pd.DataFrame({
        "dossier_id": d["dossier_id"],
        "unit_id": d["unit_id"],
        "procedure_code": d["procedure_code"],
        "counted": counted,
        "on_time": counted & c.on_time,
        "evaluated_at": eval_end.astype("datetime64[us]"),
        "effective_due": due.astype("datetime64[us]"),
        "due_recorded": prep.d_due_recorded,
    })


def processing_time_by_procedure(prep: Prepared, period: Period | str, unit_id: str | None = None) -> pd.DataFrame:
    """Mean processing time per procedure in its own time unit, beside the legal limit.

    Dossiers finished or returned in the period, at `unit_id` and every unit below it (all units
    when None). Working days count the working days after the day of receipt up to the end day,
    less the working days spent waiting for a supplement.
    """
    period = parse_period(period)
    c = PeriodCounter(prep, period)
    p = prep
    mask = c.result_in.copy()
    if unit_id is not None:
        mask &= p.units_below(unit_id)[p.d_unit]
    idx = np.flatnonzero(mask)
    procs = p.ds.procedures
    time_unit = procs["time_unit"].to_numpy(dtype=object)[p.d_proc[idx]]
    eval_end, due = c.evaluation
    pause = (due - p.d_due)[idx]
    elapsed = np.maximum(eval_end[idx] - p.d_received[idx] - pause, 0)
    value = elapsed / US_PER_DAY
    hours = time_unit == "hours"
    value[hours] = elapsed[hours] / US_PER_HOUR
    work = time_unit == "working_days"
    if work.any():
        wd = p.cal.count(_day(p.d_received[idx][work]), _day(eval_end[idx][work])).astype(np.float64)
        had_pause = pause[work] > 0
        req = p.d_requested[idx][work]
        comp = p.d_completed[idx][work]
        wd_pause = np.zeros(work.sum())
        if had_pause.any():
            wd_pause[had_pause] = p.cal.count(_day(req[had_pause]), _day(comp[had_pause]))
        value[work] = np.maximum(wd - wd_pause, 0)
    frame = pd.DataFrame({"proc": p.d_proc[idx], "value": value})
    agg = frame.groupby("proc", sort=True)["value"].agg(["size", "mean"]).reset_index()
    info = procs.iloc[agg["proc"].to_numpy()].reset_index(drop=True)
    return pd.DataFrame({
        "procedure_code": info["procedure_code"],
        "name": info["name"],
        "field": info["field"],
        "time_unit": info["time_unit"],
        "legal_limit": info["time_limit"],
        "dossiers": agg["size"].to_numpy(),
        "mean_time": agg["mean"].to_numpy(),
    }).sort_values("dossiers", ascending=False, ignore_index=True)
