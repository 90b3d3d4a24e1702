"""Properties of change attribution, for random counts and random small datasets.

`decompose` must split an indicator's points change exactly over segments, whatever the counts:
contributions add up to the change, the change is the difference of the two periods' points (no
score counts as 0), a saturated indicator contributes nothing, and nothing changes when no
segment's rate or weight does. End to end, `Explainer.explain` must add up at every level:
segments to indicators, indicators to groups, groups to the total.
"""

import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import make_dataset
from chiso.contract import END_STATUSES
from chiso.explain import Explainer, decompose
from chiso.methodology import load_methodology
from chiso.scoring import points_from_counts

METH = load_methodology()
INDICATORS = ["ON_TIME", "ONLINE_DOSSIER_SHARE", "DOSSIER_RECEIVING_SATISFACTION", "PETITION_PROCESSING_ON_TIME"]
PURE = settings(max_examples=60, deadline=None)
END_TO_END = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-9


def test_indicators_cover_each_target_and_empty_rule():
    inds = [METH.indicator(c) for c in INDICATORS]
    assert [(i.target, i.empty) for i in inds] == [(1.0, "none"), (0.5, "zero"), (0.9, "zero"), (1.0, "full")]


# ---------------------------------------------------------------------------------- strategies
@st.composite
def period_counts(draw):
    """(numerator, denominator) of one segment in one period: often empty, else 0 ≤ n ≤ d ≤ 10 000."""
    d = draw(st.one_of(st.just(0), st.integers(1, 10), st.integers(0, 10_000)))
    n = draw(st.one_of(st.just(0), st.just(d), st.integers(0, d)))
    return n, d


@st.composite
def segments(draw):
    """1–8 segments with counts in two periods (a segment may be empty in one or both)."""
    k = draw(st.integers(1, 8))
    rows = [draw(period_counts()) + draw(period_counts()) for _ in range(k)]
    n0, d0, n1, d1 = (list(col) for col in zip(*rows))
    return n0, d0, n1, d1


def expected_points(n: int, d: int, ind) -> float:
    """max × min(1, ratio / target), or the empty rule; no score (NaN) counts as 0."""
    if d == 0:
        return {"zero": 0.0, "full": ind.max_points, "none": 0.0}[ind.empty]
    return ind.max_points * min(1.0, (n / d) / ind.target)


def nan0(x: float) -> float:
    return 0.0 if math.isnan(x) else x


# ------------------------------------------------------------------------------ decompose
@pytest.mark.parametrize("code", INDICATORS)
@PURE
@given(seg=segments())
def test_contributions_add_up_to_the_points_change(code, seg):
    ind = METH.indicator(code)
    n0, d0, n1, d1 = seg
    dec = decompose(n0, d0, n1, d1, ind)
    p0 = float(points_from_counts(sum(n0), sum(d0), ind))
    p1 = float(points_from_counts(sum(n1), sum(d1), ind))
    assert nan0(p0) == pytest.approx(expected_points(sum(n0), sum(d0), ind), abs=1e-12)
    assert nan0(p1) == pytest.approx(expected_points(sum(n1), sum(d1), ind), abs=1e-12)
    assert dec.change == pytest.approx(nan0(p1) - nan0(p0), abs=TOL)
    assert len(dec.contribution) == len(n0)
    assert np.isfinite(dec.rate_effect).all() and np.isfinite(dec.mix_effect).all()
    assert float(dec.contribution.sum()) == pytest.approx(dec.change, abs=TOL)
    assert dec.comparable == (sum(d0) > 0 and sum(d1) > 0)
    # Segments empty in both periods carry nothing.
    for i in range(len(n0)):
        if d0[i] == 0 and d1[i] == 0:
            assert dec.contribution[i] == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("code", INDICATORS)
@PURE
@given(seg=segments())
def test_saturated_means_no_contribution(code, seg):
    ind = METH.indicator(code)
    n0, d0, n1, d1 = seg
    dec = decompose(n0, d0, n1, d1, ind)
    both_at_target = (sum(d0) > 0 and sum(d1) > 0 and sum(n0) / sum(d0) >= ind.target
                      and sum(n1) / sum(d1) >= ind.target)
    assert dec.saturated == both_at_target
    if dec.saturated:
        assert dec.change == 0.0
        assert np.all(dec.contribution == 0.0)


@pytest.mark.parametrize("code", INDICATORS)
@PURE
@given(seg=segments())
def test_a_segment_present_in_one_period_only_is_pure_mix(code, seg):
    ind = METH.indicator(code)
    n0, d0, n1, d1 = seg
    dec = decompose(n0, d0, n1, d1, ind)
    for i in range(len(n0)):
        if (d0[i] == 0) != (d1[i] == 0):
            assert dec.rate_effect[i] == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("code", INDICATORS)
@PURE
@given(base=st.lists(period_counts(), min_size=1, max_size=8), scale=st.integers(1, 5))
def test_unchanged_rates_and_weights_mean_no_change(code, base, scale):
    """Period 1 is period 0 with every count multiplied by `scale`: each segment keeps its rate
    and its weight, so nothing moves."""
    ind = METH.indicator(code)
    n0 = [n for n, _ in base]
    d0 = [d for _, d in base]
    dec = decompose(n0, d0, [scale * n for n in n0], [scale * d for d in d0], ind)
    assert dec.change == pytest.approx(0.0, abs=TOL)
    assert np.abs(dec.contribution).max() == pytest.approx(0.0, abs=TOL)


# ----------------------------------------------------------------------------- end to end
PROCS = [
    {"procedure_code": "X1", "name": "Khai sinh", "field": "Hộ tịch", "online_level": "full", "has_fee": True},
    {"procedure_code": "X2", "name": "Sổ đỏ", "field": "Đất đai", "online_level": "none", "has_fee": True,
     "result_document": True},
    {"procedure_code": "X3", "name": "Chứng thực", "field": "Tư pháp", "online_level": "partial",
     "citizen_applicant": False},
]
LEVELS = {"X1": "commune", "X2": "commune", "X3": "district"}
START = datetime(2024, 5, 1, 8, 0)


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


@st.composite
def dossier(draw):
    received = START + timedelta(days=draw(st.integers(0, 60)), hours=draw(st.integers(0, 9)))
    row = {
        "unit_id": draw(st.sampled_from(["C1", "C2", "H1"])),
        "procedure_code": draw(st.sampled_from(["X1", "X2", "X3"])),
        "channel": draw(st.integers(1, 3)),
        "received_at": stamp(received),
        "due_at": draw(st.one_of(st.none(), st.integers(1, 12).map(lambda k: stamp(received + timedelta(days=k))))),
        "synced": draw(st.booleans()),
        "fee_amount": draw(st.sampled_from([None, 0.0, 20000.0])),
        "paid_online": draw(st.booleans()),
        "e_result": draw(st.booleans()),
        "digitized": draw(st.booleans()),
        "reused_data": draw(st.booleans()),
        "personal_store": draw(st.booleans()),
        "population_data": draw(st.booleans()),
        "rating": draw(st.sampled_from([None, "satisfied", "unsatisfied"])),
        "has_petition": draw(st.booleans()),
        "supplement_count": draw(st.integers(0, 2)),
    }
    if draw(st.booleans()):
        row["ended_at"] = stamp(received + timedelta(days=draw(st.integers(0, 25)), hours=draw(st.integers(0, 8))))
        row["end_status"] = draw(st.sampled_from(END_STATUSES))
    if row["supplement_count"] and draw(st.booleans()):
        requested = received + timedelta(days=1)
        row["supplement_requested_at"] = stamp(requested)
        if draw(st.booleans()):
            row["supplement_completed_at"] = stamp(requested + timedelta(days=draw(st.integers(0, 4))))
    return row


@st.composite
def petition(draw):
    received = START + timedelta(days=draw(st.integers(0, 60)))
    return {
        "unit_id": draw(st.sampled_from(["C1", "C2", "H1"])),
        "received_at": stamp(received),
        "due_at": None,
        "resolved_at": draw(st.one_of(st.none(), st.integers(0, 30).map(lambda k: stamp(received + timedelta(days=k))))),
        "rating": draw(st.sampled_from([None, "positive", "negative"])),
        "repeated": draw(st.booleans()),
        "topic": draw(st.sampled_from([None, "procedure", "staff", "other"])),
    }


@st.composite
def datasets(draw):
    authority = draw(st.booleans())
    procs = [p | {"level": LEVELS[p["procedure_code"]]} if authority else p for p in PROCS]
    return make_dataset(dossiers=draw(st.lists(dossier(), max_size=25)), procedures=procs,
                        petitions=draw(st.lists(petition(), max_size=4)))


@END_TO_END
@given(ds=datasets())
def test_explanations_add_up_at_every_level(ds):
    ex = Explainer(ds, METH)
    counts = ex.counts("2024-06").set_index(["unit_id", "indicator"])
    exact = ex.unit_scores("2024-06")["total_exact"]
    exact0 = ex.unit_scores("2024-05")["total_exact"]
    for unit in ("P", "H1"):
        for by in ("field", "procedure", "channel", "child"):
            attr = ex.explain(unit, "2024-06", by=by)
            assert attr.baseline == "2024-05"
            assert attr.total_change == pytest.approx(attr.total1 - attr.total0, abs=TOL)
            assert attr.total1 == pytest.approx(exact[unit], abs=TOL)
            assert attr.total0 == pytest.approx(exact0[unit], abs=TOL)
            assert sum(g.change for g in attr.groups) == pytest.approx(attr.total_change, abs=TOL)
            assert len(attr.groups) == len(METH.groups)
            assert sum(len(g.indicators) for g in attr.groups) == len(METH.indicators)
            for g in attr.groups:
                assert sum(i.change for i in g.indicators) == pytest.approx(g.change, abs=TOL)
                for i in g.indicators:
                    assert sum(s.contribution for s in i.segments) == pytest.approx(i.change, abs=TOL)
                    assert [i.numerator1, i.denominator1] == pytest.approx(
                        counts.loc[(unit, i.indicator), ["numerator", "denominator"]].tolist())
                    if i.saturated:
                        assert all(s.contribution == 0.0 for s in i.segments)
