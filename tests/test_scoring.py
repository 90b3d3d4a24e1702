"""Points from counts: linear and targeted scoring, empty rules, the portal's rounding, ranks, bands."""

import numpy as np
import pandas as pd
import pytest

from builders import make_dataset
from chiso.methodology import load_methodology
from chiso.scoring import group_scores, rank_and_band, round_half_up, score, score_counts, unit_table

METH = load_methodology()


def counts_frame(rows, unit="U", period="2024-06"):
    return pd.DataFrame(
        [{"unit_id": unit, "period": period, "indicator": code, "numerator": n, "denominator": d}
         for code, n, d in rows]
    ).astype({"unit_id": "str", "period": "str", "indicator": "str"})


def scored(rows):
    return score_counts(counts_frame(rows), METH).set_index("indicator")


@pytest.mark.parametrize("code,num,den,expected", [
    ("ON_TIME", 45, 50, 18.0),                       # linear: 20 × 0.9
    ("ON_TIME", 50, 50, 20.0),
    ("ONLINE_DOSSIER_SHARE", 30, 100, 3.6),          # target 0.5: 6 × 0.3/0.5
    ("ONLINE_DOSSIER_SHARE", 70, 100, 6.0),          # above target: capped
    ("ONLINE_SERVICE_PROVIDED", 4, 5, 2.0),          # exactly at the 0.8 target
    ("DOSSIER_RECEIVING_SATISFACTION", 81, 100, 5.4),  # target 0.9: 6 × 0.81/0.9
    ("ONLINE_PAYMENT_DOSSIER", 0, 10, 0.0),
])
def test_points_are_max_times_ratio_over_target_capped(code, num, den, expected):
    assert scored([(code, num, den)]).loc[code, "points"] == pytest.approx(expected)


def test_empty_denominator_follows_each_empty_rule():
    s = scored([("PETITION_PROCESSING_ON_TIME", 0, 0),   # full
                ("ONLINE_PAYMENT_DOSSIER", 0, 0),        # zero
                ("DOSSIER_SYNC", 0, 0)])                 # none
    assert s.loc["PETITION_PROCESSING_ON_TIME", "points"] == 6.0
    assert s.loc["ONLINE_PAYMENT_DOSSIER", "points"] == 0.0
    assert np.isnan(s.loc["DOSSIER_SYNC", "points"])
    assert s["empty"].all()
    assert s["ratio"].isna().all()


def test_monitoring_indicators_score_zero_whatever_their_value():
    s = scored([("AVG_PROCESSING_TIME", 41.0, 10), ("PETITION_CLASSIFICATION_STAFF", 1, 4)])
    assert s.loc["AVG_PROCESSING_TIME", "ratio"] == pytest.approx(4.1)
    assert s.loc["AVG_PROCESSING_TIME", "points"] == 0.0
    assert s.loc["PETITION_CLASSIFICATION_STAFF", "points"] == 0.0


def test_round_half_up_not_to_even():
    assert round_half_up([2.675, 0.125, 0.135, 1.005, -0.125], 2).tolist() == [2.68, 0.13, 0.14, 1.01, -0.13]
    assert np.isnan(round_half_up([np.nan], 2)[0])


def test_groups_sum_rounded_indicators_except_online_payment():
    """Every ratio 1/7. DIGITIZATION shows the sum of rounded indicators: 0.86 + 0.57 + 0.36 + 0.57
    + 0.29 + 0.29 + 0.29 = 3.23 (the exact sum 22.5/7 = 3.214 would show 3.21). ONLINE_PAYMENT is
    rounded after summing: 6/7 + 2.5/7 + 2.5/7 = 11/7 = 1.5714 → 1.57 (rounded parts: 1.58)."""
    digit = ["ORIGINAL_RESULT_AVAILABLE", "SO_HOA_GIAY_TO_GIAI_QUYET", "REUSED_DIGITIZED_DATA",
             "SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "CITIZEN_DATA_CONNECTED_DOSSIER",
             "CITIZEN_DATA_CONNECTED_FORMALITY", "ELECTRONIC_CERTIFIED_COPY"]
    pay = ["ONLINE_PAYMENT_DOSSIER", "ONLINE_PAYMENT_PROCEDURE", "FEE_DATA_PROCEDURE"]
    s = score_counts(counts_frame([(c, 1, 7) for c in digit + pay]), METH)
    g = group_scores(s, METH).iloc[0]
    assert g["DIGITIZATION"] == pytest.approx(3.23)
    assert g["ONLINE_PAYMENT"] == pytest.approx(1.57)
    assert g["total"] == pytest.approx(4.80)
    assert g["total_exact"] == pytest.approx(22.5 / 7 + 11 / 7)
    assert g["PROGRESS"] == 0.0  # no rows for the group: 0


def test_rank_is_among_units_of_the_same_kind_and_ties_share():
    units = pd.DataFrame({
        "unit_id": ["a", "b", "c", "d", "e"],
        "unit_kind": ["commune", "commune", "commune", "department", "department"],
        "period": ["2024-06"] * 5,
        "total": [80.0, 80.0, 75.5, 60.0, 92.0],
    })
    out = rank_and_band(units, METH)
    assert out["rank"].tolist() == [1, 1, 3, 2, 1]
    assert out["peers"].tolist() == [3, 3, 3, 2, 2]
    assert out["band_name"].tolist() == ["Tốt", "Tốt", "Khá", "Trung bình", "Xuất sắc"]
    assert rank_and_band(units, METH, lang="en")["band_name"].tolist()[-1] == "Excellent"


@pytest.mark.parametrize("total,band", [(90.0, "excellent"), (89.99, "good"), (80.0, "good"), (70.0, "fair"),
                                        (50.0, "average"), (49.99, "weak"), (0.0, "weak")])
def test_band_thresholds(total, band):
    assert METH.band_for(total).code == band


def test_unit_table_end_to_end_on_a_small_province():
    """One June dossier at C1, finished on time, synced, online with an e-result, digitized;
    no petitions. C1 by hand:
      TRANSPARENCY: DOSSIER_SYNC 1/1 → 6 (the three province indicators have no procedures
        dated in the period: none) = 6
      PROGRESS: ON_TIME 1/1 → 20
      ONLINE_SERVICE: no authority columns, so procedures with dossiers: X1 is partial → 1/1 →
        2; used 1/1 → 4; online share 1/1 → 6 = 12
      ONLINE_PAYMENT: no fee-bearing dossiers → zero rule = 0
      SATISFACTION: petitions empty → full 6 + 6; handled 1/1 on time → 6 = 18
      DIGITIZATION: e-result 1/1 → 6; digitized 1/1 → 4; reused 0/1 → 0; personal 0/1 → 0;
        population 0/1 → 0; formality 0/1 → 0; certified copies C1 1/1 → 2 = 12
      total 68 → Trung bình. C2 (nothing): 0 + 0 + 0 + 0 + 12 (petition rules full) + 0 (C2 does
      not issue e-copies: 0/1) = 12."""
    ds = make_dataset(
        procedures=[{"procedure_code": "X1", "online_level": "partial", "result_document": True}],
        dossiers=[{"channel": 2, "e_result": True, "digitized": True,
                   "ended_at": "2024-06-04 10:00", "end_status": "finished"}],
    )
    units = score(ds, "2024-06", METH, level="unit").set_index("unit_id")
    c1 = units.loc["C1"]
    assert [c1[g] for g in METH.group_codes] == [6, 20, 12, 0, 18, 12]
    assert c1["total"] == 68
    assert c1["band"] == "average"
    assert units.loc["C2", "total"] == 12
    assert units.loc["C1", "rank"] == 1 and units.loc["C2", "rank"] == 2
    # H1 rolls up C1 and C2: sync 1/1, on time 1/1, copies 1/2 → DIGITIZATION 6 + 4 + 1 = 11.
    assert units.loc["H1", "DIGITIZATION"] == 11
    assert units.loc["H1", "rank"] == 1 and units.loc["H1", "peers"] == 1


def test_scoring_several_periods_at_once_matches_one_by_one():
    ds = make_dataset(dossiers=[{}, {"received_at": "2024-07-02 08:00", "due_at": "2024-07-09 17:00"}])
    both = score(ds, ["2024-06", "2024-07"], METH, level="unit")
    june = score(ds, "2024-06", METH, level="unit")
    july = score(ds, "2024-07", METH, level="unit")
    assert both[both["period"] == "2024-06"]["total"].tolist() == june["total"].tolist()
    assert both[both["period"] == "2024-07"]["total"].tolist() == july["total"].tolist()
    assert set(both["period"]) == {"2024-06", "2024-07"}


def test_unit_table_columns_are_the_cli_contract():
    ds = make_dataset()
    from chiso.counts import count_period, prepare

    table = unit_table(ds, count_period(prepare(ds, METH), "2024-06"), METH)
    for col in ["unit_id", "unit_name", "unit_kind", "period", *METH.group_codes, "total", "rank", "band"]:
        assert col in table.columns
    assert table["unit_name"].dtype == "str"
