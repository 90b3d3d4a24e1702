"""Change attribution worked out by hand: `decompose`, `Explainer.explain` and `segment_counts`.

Notation (as in lib/chiso/explain.py): segment s has weight w_s = d_s / D and rate r_s = n_s / d_s;
w̄_s, r̄_s are the two periods' means and r̄ = (r⁰ + r¹)/2. With k = ΔP / Δr (the slope of the
points function between the two ratios) a segment's

    rate effect = k · w̄_s · Δr_s        mix effect = k · (r̄_s − r̄) · Δw_s.

For ON_TIME (max 20, target 1) below the target k = 20.

The unit tree (tests/builders.py): province P; departments D1, D2; district H1 with communes C1
(issues electronic certified copies) and C2 (does not).
"""

import json
import math

import numpy as np
import pytest

from builders import make_dataset
from chiso.counts import RULE_DIMENSIONS, WHOLE, count_period, prepare, segment_counts
from chiso.explain import Explainer, decompose
from chiso.methodology import load_methodology

METH = load_methodology()
ON_TIME = METH.indicator("ON_TIME")                        # max 20, target 1, empty none
SHARE = METH.indicator("ONLINE_DOSSIER_SHARE")             # max 6, target 0.5, empty zero
SYNC = METH.indicator("DOSSIER_SYNC")                      # max 6, target 1, empty none
PETITION = METH.indicator("PETITION_PROCESSING_ON_TIME")   # max 6, target 1, empty full
SHARE_OF_PAYMENT = METH.indicator("ONLINE_PAYMENT_DOSSIER")  # max 6, target 1, empty zero
EPS = 1e-12


def test_indicator_parameters_used_below():
    assert (ON_TIME.max_points, ON_TIME.target, ON_TIME.empty) == (20.0, 1.0, "none")
    assert (SHARE.max_points, SHARE.target, SHARE.empty) == (6.0, 0.5, "zero")
    assert (PETITION.max_points, PETITION.target, PETITION.empty) == (6.0, 1.0, "full")
    assert (SHARE_OF_PAYMENT.max_points, SHARE_OF_PAYMENT.empty) == (6.0, "zero")


# --------------------------------------------------------------------------------- decompose
def test_two_segments_one_rate_falls():
    """A: 40/50 → 30/50, B: 45/50 → 45/50.

    r⁰ = 85/100 = 0.85 → P⁰ = 20 × 0.85 = 17; r¹ = 75/100 = 0.75 → P¹ = 15; ΔP = 20 × (−0.1) = −2.
    Weights 0.5/0.5 in both periods, so Δw = 0 and both mix effects are 0.
    Rate A = 0.5 × (0.6 − 0.8) × 20 = −2; rate B = 0.5 × (0.9 − 0.9) × 20 = 0. Sum −2 = ΔP.
    """
    dec = decompose([40, 45], [50, 50], [30, 45], [50, 50], ON_TIME)
    assert dec.ratio0 == pytest.approx(0.85)
    assert dec.ratio1 == pytest.approx(0.75)
    assert dec.points0 == pytest.approx(17.0)
    assert dec.points1 == pytest.approx(15.0)
    assert dec.change == pytest.approx(-2.0)
    assert dec.rate_effect == pytest.approx([-2.0, 0.0], abs=EPS)
    assert dec.mix_effect == pytest.approx([0.0, 0.0], abs=EPS)
    assert dec.contribution == pytest.approx([-2.0, 0.0], abs=EPS)
    assert dec.contribution.sum() == pytest.approx(dec.change, abs=1e-12)
    assert not dec.saturated
    assert dec.comparable


PURE_MIX = ([40, 20], [50, 50], [20, 30], [25, 75])


def test_pure_mix_change_is_all_mix_and_centred():
    """Rates unchanged (A 40/50 = 20/25 = 80 %, B 20/50 = 30/75 = 40 %), shares move A 50 % → 25 %,
    B 50 % → 75 %.

    r⁰ = 60/100 = 0.6 → 12 points; r¹ = 50/100 = 0.5 → 10 points; ΔP = −2. r̄ = 0.55.
    Mix A = (0.8 − 0.55) × (0.25 − 0.5) × 20 = 0.25 × (−0.25) × 20 = −1.25
    Mix B = (0.4 − 0.55) × (0.75 − 0.5) × 20 = (−0.15) × 0.25 × 20 = −0.75
    Sum −2 = ΔP. B is below average and grows: its mix effect is negative.
    """
    dec = decompose(*PURE_MIX, ON_TIME)
    assert dec.points0 == pytest.approx(12.0)
    assert dec.points1 == pytest.approx(10.0)
    assert dec.change == pytest.approx(-2.0)
    assert dec.rate_effect == pytest.approx([0.0, 0.0], abs=EPS)
    assert dec.mix_effect == pytest.approx([-1.25, -0.75], abs=EPS)
    assert dec.mix_effect[1] < 0
    assert dec.contribution.sum() == pytest.approx(dec.change, abs=1e-12)


def test_pure_mix_change_has_exactly_zero_rate_effects():
    """Both segments' rates are bit-identical in the two periods (0.8 and 0.4), so w̄ × Δr_s is
    exactly 0: a pure mix change must report rate effects of exactly 0, not floating-point residue."""
    dec = decompose(*PURE_MIX, ON_TIME)
    assert dec.rate_effect.tolist() == [0.0, 0.0]


def test_saturated_indicator_contributes_nothing():
    """ONLINE_DOSSIER_SHARE, target 0.5: A 35/50 → 45/50, B 25/50 → 35/50, r 0.6 → 0.8. Both at or
    above the target: 6 points both times, change 0, every contribution 0, saturated."""
    dec = decompose([35, 25], [50, 50], [45, 35], [50, 50], SHARE)
    assert dec.points0 == 6.0
    assert dec.points1 == 6.0
    assert dec.change == 0.0
    assert dec.saturated
    assert dec.rate_effect.tolist() == [0.0, 0.0]
    assert np.abs(dec.mix_effect).max() == 0.0


def test_crossing_the_target_apportions_the_capped_change():
    """ONLINE_DOSSIER_SHARE: A 20/50 → 40/50, B 20/50 → 30/50, r 0.4 → 0.7.

    P⁰ = 6 × 0.4/0.5 = 4.8; P¹ = 6 (capped); ΔP = 1.2; Δr = 0.3; k = 1.2/0.3 = 4 (not 6/0.5 = 12).
    Rate A = 4 × 0.5 × 0.4 = 0.8; rate B = 4 × 0.5 × 0.2 = 0.4; mix 0 (weights unchanged).
    """
    dec = decompose([20, 20], [50, 50], [40, 30], [50, 50], SHARE)
    assert dec.points0 == pytest.approx(4.8)
    assert dec.points1 == 6.0
    assert dec.change == pytest.approx(1.2)
    assert not dec.saturated
    assert dec.rate_effect == pytest.approx([0.8, 0.4], abs=EPS)
    assert dec.mix_effect == pytest.approx([0.0, 0.0], abs=EPS)
    assert dec.contribution.sum() == pytest.approx(dec.change, abs=1e-12)


def test_new_segment_is_pure_mix():
    """A 40/50 → 30/50; B absent → 10/50 (new). r 0.8 → 0.4, ΔP = 20 × (−0.4) = −8.

    w_A 1 → 0.5 (w̄ 0.75), w_B 0 → 0.5 (w̄ 0.25); B takes its June rate 0.2 for May, so Δr_B = 0.
    Rate A = 0.75 × (0.6 − 0.8) × 20 = −3; rate B = 0.
    r̄ = 0.6. Mix A = (0.7 − 0.6) × (−0.5) × 20 = −1; mix B = (0.2 − 0.6) × 0.5 × 20 = −4.
    Sum −3 − 1 − 4 = −8.
    """
    dec = decompose([40, 0], [50, 0], [30, 10], [50, 50], ON_TIME)
    assert dec.change == pytest.approx(-8.0)
    assert dec.rate_effect == pytest.approx([-3.0, 0.0], abs=EPS)
    assert dec.rate_effect[1] == 0.0
    assert dec.mix_effect == pytest.approx([-1.0, -4.0], abs=EPS)
    assert dec.contribution.sum() == pytest.approx(dec.change, abs=1e-12)
    assert dec.comparable


@pytest.mark.parametrize("ind,p0,p1", [
    # D⁰ = 0, D¹: A 30/40, B 10/10 → 40/50 = 0.8.
    (SYNC, float("nan"), 6 * 0.8),          # empty none: no score before, 0 in the total → +4.8
    (SHARE_OF_PAYMENT, 0.0, 6 * 0.8),       # empty zero: 0 → 4.8, +4.8
    (PETITION, 6.0, 6 * 0.8),               # empty full: 6 → 4.8, −1.2
])
def test_empty_baseline_puts_the_whole_change_on_one_segment(ind, p0, p1):
    """With no denominator in the baseline there is no rate to compare: the whole change is
    reported on one segment (the largest, A with 40 of 50) and the indicator is not comparable."""
    dec = decompose([0, 0], [0, 0], [30, 10], [40, 10], ind)
    if math.isnan(p0):
        assert math.isnan(dec.points0)
    else:
        assert dec.points0 == pytest.approx(p0)
    assert dec.points1 == pytest.approx(p1)
    change = p1 - (0.0 if math.isnan(p0) else p0)
    assert dec.change == pytest.approx(change)
    assert math.isnan(dec.ratio0)
    assert dec.ratio1 == pytest.approx(0.8)
    assert dec.contribution == pytest.approx([change, 0.0], abs=EPS)
    assert dec.rate_effect.tolist() == [0.0, 0.0]
    assert not dec.comparable
    assert not dec.saturated


def test_empty_current_period_is_not_comparable():
    """Petitions 5/10 + 3/10 = 0.4 → 2.4 points; none now → full rule 6: +3.6, on A (largest)."""
    dec = decompose([5, 3], [10, 10], [0, 0], [0, 0], PETITION)
    assert dec.points0 == pytest.approx(2.4)
    assert dec.points1 == 6.0
    assert dec.change == pytest.approx(3.6)
    assert dec.contribution == pytest.approx([3.6, 0.0], abs=EPS)
    assert not dec.comparable


def test_decomposition_flags_are_python_bools():
    """`saturated` and `comparable` are declared `bool`; the empty-denominator branch returns
    numpy's np.bool_ for `comparable` (the result of `D0 > 0 and D1 > 0` on numpy floats), which
    then leaks into IndicatorChange.comparable and `asdict`."""
    for dec in (decompose([0], [0], [1], [2], SYNC), decompose([1], [2], [1], [2], SYNC)):
        assert type(dec.saturated) is bool
        assert type(dec.comparable) is bool


# ------------------------------------------------------------------------------- end to end
PROCS = [
    {"procedure_code": "X1", "name": "Đăng ký khai sinh", "field": "Hộ tịch"},
    {"procedure_code": "X2", "name": "Cấp sổ đỏ", "field": "Đất đai"},
]
MAY_ON = {"received_at": "2024-05-06 08:00", "due_at": "2024-05-13 17:00",
          "ended_at": "2024-05-08 10:00", "end_status": "finished"}
MAY_LATE = MAY_ON | {"ended_at": "2024-05-15 10:00"}
JUNE_ON = {"received_at": "2024-06-03 08:00", "due_at": "2024-06-10 17:00",
           "ended_at": "2024-06-05 10:00", "end_status": "finished"}
JUNE_LATE = JUNE_ON | {"ended_at": "2024-06-12 10:00"}
C1_CIVIL = {"unit_id": "C1", "procedure_code": "X1"}   # Hộ tịch at Xã Một
C2_LAND = {"unit_id": "C2", "procedure_code": "X2"}    # Đất đai at Xã Hai


def two_month_dataset():
    """May: C1 Hộ tịch 4 on time; C2 Đất đai 2 on time, 2 late.
    June: C1 Hộ tịch 1 on time, 3 late; C2 Đất đai 2 on time (online), 2 late.

    Every dossier ends in its month, so each month counts only its own 8 dossiers at H1.
    ON_TIME at H1: May 6/8 = 0.75 → 15; June 3/8 = 0.375 → 7.5; ΔP = −7.5 (k = 20).
      Hộ tịch (= C1): 4/4 → 1/4, w̄ 0.5: rate 0.5 × (0.25 − 1) × 20 = −7.5.
      Đất đai (= C2): 2/4 → 2/4: 0. Weights unchanged: mix 0.
    DOSSIER_RECEIVING_SATISFACTION (on time, not unsatisfied, no petition; target 0.9):
      6/8 → 3/8: 6 × 0.75/0.9 = 5 → 6 × 0.375/0.9 = 2.5: −2.5, all on Hộ tịch.
    ONLINE_DOSSIER_SHARE: 0/8 → 2/8 = 0.25: 0 → 6 × 0.25/0.5 = 3: +3, all on Đất đai.
    Everything else is unchanged: DOSSIER_SYNC 8/8 (6), petitions none (full: 6 + 6),
    ELECTRONIC_CERTIFIED_COPY 1/2 (1), the rest 0 or no score.
    Totals: May 6 + 15 + 6 + 6 + 5 + 1 = 39; June 6 + 7.5 + 3 + 6 + 6 + 2.5 + 1 = 32; change −7.
    Groups: PROGRESS −7.5, ONLINE_SERVICE +3, SATISFACTION −2.5, others 0.
    """
    dossiers = ([MAY_ON | C1_CIVIL] * 4 + [MAY_ON | C2_LAND] * 2 + [MAY_LATE | C2_LAND] * 2
                + [JUNE_ON | C1_CIVIL] + [JUNE_LATE | C1_CIVIL] * 3
                + [JUNE_ON | C2_LAND | {"channel": 2}] * 2 + [JUNE_LATE | C2_LAND] * 2)
    return make_dataset(dossiers=dossiers, procedures=PROCS)


@pytest.fixture(scope="module")
def explainer():
    return Explainer(two_month_dataset(), METH)


def indicator(attr, code):
    return next(i for g in attr.groups for i in g.indicators if i.indicator == code)


def group(attr, code):
    return next(g for g in attr.groups if g.group == code)


def assert_additive(attr):
    assert sum(g.change for g in attr.groups) == pytest.approx(attr.total_change, abs=1e-9)
    assert attr.total1 - attr.total0 == pytest.approx(attr.total_change, abs=1e-9)
    for g in attr.groups:
        assert sum(i.change for i in g.indicators) == pytest.approx(g.change, abs=1e-9)
        for i in g.indicators:
            assert sum(s.contribution for s in i.segments) == pytest.approx(i.change, abs=1e-9)
            for s in i.segments:
                assert s.rate_effect + s.mix_effect == pytest.approx(s.contribution, abs=1e-12)


@pytest.mark.parametrize("by", ["field", "child", "procedure", "channel"])
def test_explain_adds_up_and_matches_the_hand_computed_totals(explainer, by):
    attr = explainer.explain("H1", "2024-06", by=by)
    assert_additive(attr)
    assert attr.baseline == "2024-05"  # default: the previous month
    assert attr.by == by
    assert attr.total0 == pytest.approx(39.0)
    assert attr.total1 == pytest.approx(32.0)
    assert attr.total_change == pytest.approx(-7.0)
    assert (attr.displayed_total0, attr.displayed_total1) == (39.0, 32.0)
    assert group(attr, "PROGRESS").change == pytest.approx(-7.5)
    assert group(attr, "ONLINE_SERVICE").change == pytest.approx(3.0)
    assert group(attr, "SATISFACTION").change == pytest.approx(-2.5)
    for code in ("TRANSPARENCY", "ONLINE_PAYMENT", "DIGITIZATION"):
        assert group(attr, code).change == pytest.approx(0.0, abs=1e-12)
    # Groups are ordered by the size of their change.
    assert [g.group for g in attr.groups[:3]] == ["PROGRESS", "ONLINE_SERVICE", "SATISFACTION"]


def test_on_time_change_and_its_top_segment_by_field(explainer):
    """See two_month_dataset: ON_TIME 6/8 → 3/8, 15 → 7.5, all on Hộ tịch (rate −7.5)."""
    attr = explainer.explain("H1", "2024-06", by="field")
    ot = indicator(attr, "ON_TIME")
    assert (ot.numerator0, ot.denominator0, ot.numerator1, ot.denominator1) == (6, 8, 3, 8)
    assert ot.points0 == pytest.approx(15.0)
    assert ot.points1 == pytest.approx(7.5)
    assert ot.change == pytest.approx(-7.5)
    assert ot.ratio0 == pytest.approx(0.75)
    assert ot.ratio1 == pytest.approx(0.375)
    assert ot.split and ot.comparable and not ot.saturated
    top = ot.segments[0]
    assert (top.segment, top.label) == ("Hộ tịch", "Hộ tịch")
    assert (top.numerator0, top.denominator0, top.numerator1, top.denominator1) == (4, 4, 1, 4)
    assert (top.ratio0, top.ratio1) == (1.0, 0.25)
    assert top.rate_effect == pytest.approx(-7.5)
    assert top.mix_effect == pytest.approx(0.0, abs=EPS)
    assert top.contribution == pytest.approx(-7.5)
    other = ot.segments[1]
    assert other.segment == "Đất đai"
    assert other.contribution == pytest.approx(0.0, abs=EPS)
    share = indicator(attr, "ONLINE_DOSSIER_SHARE")
    assert share.change == pytest.approx(3.0)
    assert share.segments[0].segment == "Đất đai"
    assert share.segments[0].contribution == pytest.approx(3.0)
    sat = indicator(attr, "DOSSIER_RECEIVING_SATISFACTION")
    assert sat.change == pytest.approx(-2.5)
    assert sat.segments[0].segment == "Hộ tịch"
    assert sat.segments[0].contribution == pytest.approx(-2.5)
    sync = indicator(attr, "DOSSIER_SYNC")
    assert sync.saturated and sync.change == 0.0
    # Petitions cannot split by field: one whole segment, not split.
    pet = indicator(attr, "PETITION_PROCESSING_ON_TIME")
    assert [s.segment for s in pet.segments] == [WHOLE]
    assert not pet.split


def test_on_time_by_child_unit(explainer):
    """By child the same change sits on Xã Một (C1), whose dossiers are the Hộ tịch ones."""
    attr = explainer.explain("H1", "2024-06", by="child")
    ot = indicator(attr, "ON_TIME")
    assert ot.change == pytest.approx(-7.5)
    assert [(s.segment, s.label) for s in ot.segments] == [("C1", "Xã Một"), ("C2", "Xã Hai")]
    assert ot.segments[0].contribution == pytest.approx(-7.5)
    assert ot.segments[0].rate_effect == pytest.approx(-7.5)
    # ELECTRONIC_CERTIFIED_COPY splits by child (C1 1/1, C2 0/1), unchanged.
    ecc = indicator(attr, "ELECTRONIC_CERTIFIED_COPY")
    assert ecc.split
    assert {s.segment for s in ecc.segments} == {"C1", "C2"}
    # Province-scope indicators do not split.
    assert [s.segment for s in indicator(attr, "PUBLISH_ON_TIME").segments] == [WHOLE]


def test_explicit_baseline_equals_the_default_and_january_goes_back_a_year(explainer):
    a = explainer.explain("H1", "2024-06", by="field")
    b = explainer.explain("H1", "2024-06", baseline="2024-05", by="field")
    assert b.baseline == "2024-05"
    assert b.total_change == a.total_change
    assert explainer.explain("H1", "2024-01").baseline == "2023-12"


def test_unknown_unit_is_a_key_error(explainer):
    with pytest.raises(KeyError):
        explainer.explain("NOPE", "2024-06")


def test_to_dict_is_strict_json_with_the_documented_keys(explainer):
    attr = explainer.explain("H1", "2024-06", by="field")
    data = attr.to_dict()
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    back = json.loads(text)
    assert back["total_change"] == pytest.approx(-7.0)
    assert back["unit_id"] == "H1" and back["period"] == "2024-06" and back["baseline"] == "2024-05"
    assert isinstance(back["narrative"], list) and back["narrative"]
    assert all(isinstance(s, str) for s in back["narrative"])
    for g in back["groups"]:
        assert {"group", "name", "change", "indicators"} <= set(g)
        for i in g["indicators"]:
            assert {"indicator", "change", "segments", "saturated", "comparable", "split"} <= set(i)
            for s in i["segments"]:
                assert {"segment", "rate_effect", "mix_effect", "contribution"} <= set(s)
    ot = next(i for g in back["groups"] for i in g["indicators"] if i["indicator"] == "ON_TIME")
    assert ot["change"] == pytest.approx(-7.5)
    assert ot["segments"][0]["segment"] == "Hộ tịch"
    # Indicators with no score in either period have points null, not NaN.
    pub = next(i for g in back["groups"] for i in g["indicators"] if i["indicator"] == "PUBLISH_ON_TIME")
    assert pub["points0"] is None and pub["points1"] is None and pub["ratio0"] is None


def test_narrative_names_the_drivers_in_vietnamese(explainer):
    """Total 39 → 32 (giảm 7); PROGRESS giảm 7,5 on Hộ tịch 100 % → 25 % of 4 dossiers."""
    text = " ".join(explainer.explain("H1", "2024-06", by="field").narrative)
    assert "Huyện Một" in text
    assert "32 điểm, giảm 7 điểm so với kỳ 2024-05 (39 điểm)" in text
    assert "giảm 7,5 điểm; 7,5 điểm do lĩnh vực Hộ tịch" in text
    assert "giảm từ 100 % xuống 25 % trên 4 hồ sơ" in text
    assert "tăng 3 điểm; 3 điểm do lĩnh vực Đất đai" in text
    assert "nan" not in text.lower()


def test_segments_frame_columns(explainer):
    attr = explainer.explain("H1", "2024-06", by="field")
    frame = attr.segments_frame()
    assert list(frame.columns) == [
        "unit_id", "period", "baseline", "group", "group_change", "indicator", "indicator_change", "saturated",
        "by", "segment", "label", "numerator0", "denominator0", "numerator1", "denominator1", "ratio0", "ratio1",
        "rate_effect", "mix_effect", "contribution"]
    assert len(frame) == sum(len(i.segments) for g in attr.groups for i in g.indicators)
    sums = frame.groupby("indicator")["contribution"].sum()
    changes = frame.groupby("indicator")["indicator_change"].first()
    assert np.allclose(sums, changes.reindex(sums.index), atol=1e-9)
    row = frame[(frame["indicator"] == "ON_TIME") & (frame["segment"] == "Hộ tịch")].iloc[0]
    assert row["contribution"] == pytest.approx(-7.5)
    assert row["group"] == "PROGRESS"


def test_explainer_band_name_follows_the_language_of_each_call():
    """unit_scores caches per period only, so after a Vietnamese explanation an English one on
    the same Explainer reports the Vietnamese band name. June total 32 → band 'weak'."""
    ex = Explainer(two_month_dataset(), METH)
    vi = ex.explain("H1", "2024-06", lang="vi")
    assert vi.band1 == "Yếu"
    en = ex.explain("H1", "2024-06", lang="en")
    assert en.band1 == "Weak"


# ----------------------------------------------------------------------------- segment_counts
SEG_PROCS = [
    {"procedure_code": "X1", "name": "Khai sinh", "field": "Hộ tịch", "level": "commune", "online_level": "full",
     "has_fee": True},
    {"procedure_code": "X2", "name": "Sổ đỏ", "field": "Đất đai", "level": "commune", "online_level": "none",
     "result_document": True, "decision_date": "2024-06-10", "legal_effective_date": "2024-06-20",
     "public_date": "2024-06-14"},
    {"procedure_code": "Y1", "name": "Giấy phép", "field": "Đất đai", "level": "department", "agency_id": "D1",
     "online_level": "partial", "has_fee": True, "citizen_applicant": False},
]
SEG_DOSSIERS = [
    {"unit_id": "C1", "procedure_code": "X1", "channel": 2, "fee_amount": 10000, "paid_online": True,
     "ended_at": "2024-06-05 08:00", "end_status": "finished", "e_result": True, "population_data": True},
    {"unit_id": "C1", "procedure_code": "X2", "channel": 1, "synced": False, "digitized": True,
     "ended_at": "2024-06-12 08:00", "end_status": "returned", "rating": "unsatisfied"},
    {"unit_id": "C2", "procedure_code": "X1", "channel": 3, "fee_amount": 10000, "reused_data": True},
    {"unit_id": "C2", "procedure_code": "X2", "channel": 2, "e_result": True,
     "ended_at": "2024-06-04 08:00", "end_status": "finished", "personal_store": True},
    {"unit_id": "H1", "procedure_code": "X1", "channel": 1, "received_at": "2024-05-20 08:00",
     "due_at": "2024-05-27 17:00"},  # carried over into June, late
    {"unit_id": "D1", "procedure_code": "Y1", "channel": 2, "fee_amount": 50000, "paid_online": True,
     "ended_at": "2024-06-06 08:00", "end_status": "finished", "has_petition": True},
    {"unit_id": "D1", "procedure_code": "Y1", "channel": 1, "fee_amount": 50000},
]
SEG_PETITIONS = [
    {"unit_id": "C1", "resolved_at": "2024-06-10 08:00", "topic": "procedure"},
    {"unit_id": "H1", "resolved_at": "2024-06-28 08:00", "topic": "staff"},
    {"unit_id": "D2"},
]
NO_SPLIT = {"PETITION_PROCESSING_ON_TIME", "PETITION_HANDLING_SATISFACTION", "PETITION_CLASSIFICATION_TTHC",
            "PETITION_CLASSIFICATION_STAFF", "ELECTRONIC_CERTIFIED_COPY"}
PROVINCE = {"PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL"}
PROCEDURE_COUNTS = {"ONLINE_SERVICE_PROVIDED", "ONLINE_SERVICE_USED", "ONLINE_PAYMENT_PROCEDURE",
                    "FEE_DATA_PROCEDURE", "CITIZEN_DATA_CONNECTED_FORMALITY"}


@pytest.fixture(scope="module")
def seg_prep():
    ds = make_dataset(dossiers=SEG_DOSSIERS, procedures=SEG_PROCS, petitions=SEG_PETITIONS)
    return prepare(ds, METH)


def test_rule_dimensions_cover_what_the_segment_tests_assume():
    assert set(RULE_DIMENSIONS) == set(METH.indicator_codes) - NO_SPLIT - PROVINCE
    assert {c for c, dims in RULE_DIMENSIONS.items() if "channel" not in dims} == PROCEDURE_COUNTS


@pytest.mark.parametrize("unit", ["P", "H1", "C1", "D1", "D2"])
@pytest.mark.parametrize("by", ["field", "procedure", "channel", "child"])
def test_segments_add_up_to_the_unit_counts(seg_prep, unit, by):
    counts = count_period(seg_prep, "2024-06").set_index(["unit_id", "indicator"])
    seg = segment_counts(seg_prep, "2024-06", unit, by)
    assert list(seg.columns) == ["indicator", "segment", "label", "numerator", "denominator"]
    has_children = unit in ("P", "H1")
    for code in METH.indicator_codes:
        rows = seg[seg["indicator"] == code]
        expected = counts.loc[(unit, code), ["numerator", "denominator"]].tolist()
        assert [rows["numerator"].sum(), rows["denominator"].sum()] == pytest.approx(expected), code
        assert not rows["segment"].duplicated().any()
        if by == "child":
            whole = code in PROVINCE or not has_children
        else:
            whole = code in NO_SPLIT | PROVINCE or (by == "channel" and code in PROCEDURE_COUNTS)
        if whole:
            assert rows["segment"].tolist() == [WHOLE], code
            assert rows[["numerator", "denominator"]].values.tolist() == [expected], code
        else:
            assert WHOLE not in rows["segment"].tolist(), code


def test_segment_counts_by_hand(seg_prep):
    """June receipts below H1: C1 X1 online synced, C1 X2 in person unsynced, C2 X1 postal synced,
    C2 X2 online synced (H1's own dossier was received in May).
    DOSSIER_SYNC at H1 by field: Hộ tịch (X1) 2/2, Đất đai (X2) 1/2; by channel: in person 0/1,
    online 2/2, postal 1/1.
    ON_TIME at H1 by child: C1 X1 ended 5 June (due 10 June) on time, X2 ended 12 June late → 1/2;
    C2 X1 open, evaluated at the period end → late, X2 ended 4 June on time → 1/2; H1's own
    dossier carried over from May (due 27 May, open) → 0/1, labelled with H1's name.
    Petitions by child at H1: C1 resolved 10 June (due 24 June) → 1/1; C2 none → 0/0 (children
    are always listed); H1's own resolved 28 June → late 0/1. D2's petition is not under H1.
    """
    def pairs(frame, code):
        rows = frame[frame["indicator"] == code]
        return {s: (n, d) for s, n, d in zip(rows["segment"], rows["numerator"], rows["denominator"])}

    by_field = segment_counts(seg_prep, "2024-06", "H1", "field")
    assert pairs(by_field, "DOSSIER_SYNC") == {"Hộ tịch": (2, 2), "Đất đai": (1, 2)}
    by_channel = segment_counts(seg_prep, "2024-06", "H1", "channel")
    assert pairs(by_channel, "DOSSIER_SYNC") == {"1": (0, 1), "2": (2, 2), "3": (1, 1)}
    assert dict(zip(by_channel["segment"], by_channel["label"]))["2"] == "Trực tuyến"
    by_child = segment_counts(seg_prep, "2024-06", "H1", "child")
    assert pairs(by_child, "ON_TIME") == {"C1": (1, 2), "C2": (1, 2), "H1": (0, 1)}
    assert dict(zip(by_child["segment"], by_child["label"]))["H1"] == "Huyện Một"
    assert pairs(by_child, "PETITION_PROCESSING_ON_TIME") == {"C1": (1, 1), "C2": (0, 0), "H1": (0, 1)}
