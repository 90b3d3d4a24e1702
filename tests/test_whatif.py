"""Points left on the table, what-if and at-risk dossiers, on small hand-computed datasets."""


import pytest

from builders import make_dataset
from chiso.at_risk import at_risk
from chiso.explain import Explainer
from chiso.methodology import load_methodology
from chiso.whatif import Change, WhatIf, items_needed, points_left

METH = load_methodology()
DONE = {"ended_at": "2024-06-05 08:00", "end_status": "finished"}
LATE = {"ended_at": "2024-06-14 08:00", "end_status": "finished"}
PROCS = [{"procedure_code": "X1", "field": "Hộ tịch"}, {"procedure_code": "X2", "field": "Đất đai"}]


def june_c1():
    """Ten June dossiers at commune C1, all synced, due 10 June: six on time (X1), four late
    (three Đất đai X2, one Hộ tịch X1), two of them online.

    C1 by hand: TRANSPARENCY: sync 10/10 → 6 (province indicators: no procedures dated, none).
    PROGRESS: on time 6/10 → 12. ONLINE_SERVICE: provided (procedures with dossiers, none online)
    0/2 → 0; used: no online services → zero rule 0; online share 2/10 against 0.5 → 6 × 0.4 = 2.4.
    ONLINE_PAYMENT: nothing fee-bearing → zero rule 0. SATISFACTION: petitions empty → 6 + 6;
    handled 10, good 6 → 0.6 / 0.9 × 6 = 4. DIGITIZATION: all flags false → 0, except certified
    copies C1 1/1 → 2. Total 6 + 12 + 2.4 + 0 + 16 + 2 = 38.4 (band Yếu).
    """
    dossiers = [DONE | {"procedure_code": "X1", "channel": 2 if i < 2 else 1} for i in range(6)]
    dossiers += [LATE | {"procedure_code": "X2"} for _ in range(3)] + [LATE | {"procedure_code": "X1"}]
    return make_dataset(procedures=PROCS, dossiers=dossiers)


@pytest.fixture(scope="module")
def explainer():
    return Explainer(june_c1(), METH)


def test_items_needed():
    assert items_needed(6, 10, 1.0) == 4
    assert items_needed(2, 10, 0.5) == 3
    assert items_needed(8, 10, 0.8) == 0
    assert items_needed(7, 9, 0.8) == 1  # 0.8 × 9 = 7.2 → 8 needed


def test_points_left_ranks_actions_by_points_per_item(explainer):
    """ON_TIME: lost 8, needs 4 more on time → 2 points per dossier; online share: lost 3.6,
    needs 3 → 1.2; the rest earn at most 1 point per item. 75 % of the late dossiers are Đất đai."""
    table = points_left(explainer, "C1", "2024-06")
    first, second = table.iloc[0], table.iloc[1]
    assert first["indicator"] == "ON_TIME"
    assert first["lost"] == pytest.approx(8.0)
    assert first["items_needed"] == 4
    assert first["points_per_item"] == pytest.approx(2.0)
    assert first["action"] == "thêm 4 hồ sơ được xử lý đúng hạn"
    assert "75 % số còn thiếu thuộc lĩnh vực Đất đai" in first["where"]
    assert second["indicator"] == "ONLINE_DOSSIER_SHARE"
    assert second["lost"] == pytest.approx(3.6)
    assert second["items_needed"] == 3
    assert "DOSSIER_SYNC" not in set(table["indicator"])  # nothing lost
    assert "ELECTRONIC_CERTIFIED_COPY" not in set(table["indicator"])
    # Indicators without data cannot be acted on: they come last, with no item count.
    empty = table[table["items_needed"].isna()]
    assert set(empty["indicator"]) >= {"PUBLISH_ON_TIME", "ONLINE_PAYMENT_DOSSIER"}
    assert empty.index.min() > table[table["items_needed"].notna()].index.max()
    assert table["lost"].sum() + 38.4 == pytest.approx(100.0)  # every lost point is listed


def test_points_left_in_english(explainer):
    table = points_left(explainer, "C1", "2024-06", lang="en")
    assert table.iloc[0]["action"] == "4 more dossiers finished on time"


def test_points_left_concentration_by_child_at_the_district(explainer):
    table = points_left(explainer, "H1", "2024-06").set_index("indicator")
    assert "100 % số còn thiếu thuộc đơn vị Xã Một" in table.loc["ON_TIME", "where"]


def test_what_if_base_matches_the_hand_computed_total(explainer):
    w = WhatIf(explainer, "2024-06")
    base = w.evaluate("C1")
    assert base.total0 == pytest.approx(38.4)
    assert base.total1 == pytest.approx(38.4)
    assert base.band1 == "Yếu"


def test_what_if_changes_points_total_rank_and_band(explainer):
    """+4 on time (ON_TIME 12 → 20) and online share set to 0.5 (2.4 → 6): 38.4 + 8 + 3.6 = 50.0,
    exactly the Trung bình threshold."""
    w = WhatIf(explainer, "2024-06")
    r = w.evaluate("C1", [Change("ON_TIME", numerator=4), Change("ONLINE_DOSSIER_SHARE", ratio=0.5)])
    assert r.total1 == pytest.approx(50.0)
    assert r.change == pytest.approx(11.6)
    assert r.groups1["PROGRESS"] == pytest.approx(20.0)
    assert r.band0 == "Yếu" and r.band1 == "Trung bình"
    assert r.rank0 == 1 and r.rank1 == 1 and r.peers == 2


def test_what_if_can_drop_a_unit_below_its_peer(explainer):
    """C2 scores 12 (petition rules full). Zeroing ON_TIME, sync, handled satisfaction and online
    share (−24.4) and adding one overdue petition (−6) leaves C1 at 8 → rank 2 of 2."""
    w = WhatIf(explainer, "2024-06")
    r = w.evaluate("C1", [Change("ON_TIME", ratio=0), Change("DOSSIER_SYNC", ratio=0),
                          Change("DOSSIER_RECEIVING_SATISFACTION", ratio=0), Change("ONLINE_DOSSIER_SHARE", ratio=0),
                          Change("PETITION_PROCESSING_ON_TIME", denominator=1)])
    assert r.total1 == pytest.approx(8.0)
    assert r.rank1 == 2


def test_what_if_keeps_counts_possible(explainer):
    """A numerator cannot pass its denominator nor go below zero."""
    w = WhatIf(explainer, "2024-06")
    assert w.evaluate("C1", [Change("ON_TIME", numerator=1000)]).groups1["PROGRESS"] == pytest.approx(20.0)
    assert w.evaluate("C1", [Change("ON_TIME", numerator=-1000)]).groups1["PROGRESS"] == pytest.approx(0.0)
    with pytest.raises(KeyError):
        w.evaluate("C1", [Change("NOT_AN_INDICATOR", numerator=1)])


AS_OF = "2024-06-12"  # a Wednesday; within 2 working days → up to the end of Friday 14 June


def risk_dataset():
    return make_dataset(dossiers=[
        {"due_at": "2024-06-13 17:00"},                                               # d1 at risk, 1 day left
        {"due_at": "2024-06-14 10:00"},                                               # d2 at risk, 2 days left
        {"due_at": "2024-06-17 17:00"},                                               # d3 beyond the horizon
        {"due_at": "2024-06-11 17:00"},                                               # d4 already overdue
        {"due_at": "2024-06-13 17:00", "ended_at": "2024-06-10 08:00", "end_status": "finished"},  # d5 ended
        {"due_at": "2024-06-13 17:00", "supplement_count": 1,
         "supplement_requested_at": "2024-06-10 08:00"},                              # d6 waiting for applicant
        {"due_at": "2024-06-10 17:00", "supplement_count": 1, "supplement_requested_at": "2024-06-05 08:00",
         "supplement_completed_at": "2024-06-08 08:00"},                              # d7 due + 3 days = 13 June
        {"due_at": "2024-06-13 17:00", "supplement_count": 2, "supplement_requested_at": "2024-06-05 08:00",
         "supplement_completed_at": "2024-06-06 08:00"},                              # d8 two supplements: lost
        {"unit_id": "C2", "due_at": "2024-06-14 17:00"},                              # d9 at risk in C2
        {"received_at": "2024-06-12 09:00", "due_at": "2024-06-20 17:00"},            # d10 received later
    ])


def test_at_risk_dossiers_by_hand():
    dossiers, summary = at_risk(Explainer(risk_dataset(), METH), AS_OF, within_working_days=2)
    assert sorted(dossiers["dossier_id"]) == ["d1", "d2", "d7", "d9"]
    left = dict(zip(dossiers["dossier_id"], dossiers["working_days_left"]))
    assert left == {"d1": 1, "d2": 2, "d7": 1, "d9": 2}
    assert str(dossiers.set_index("dossier_id").loc["d7", "effective_due"]) == "2024-06-13 17:00:00"


def test_at_risk_points_at_stake_by_hand():
    """June ON_TIME denominators: C1 has d1–d8 and d10 = 9, C2 has d9 = 1, H1 = P = 10. Each late
    dossier costs 20 / D: C1 3 × 20/9 = 6.667; C2 1 × 20/1 = 20; H1 and P 4 × 20/10 = 8."""
    _, summary = at_risk(Explainer(risk_dataset(), METH), AS_OF, within_working_days=2)
    s = summary.set_index("unit_id")
    assert s.loc["C1", "dossiers_at_risk"] == 3
    assert s.loc["C1", "points_at_stake"] == pytest.approx(3 * 20 / 9)
    assert s.loc["C2", "points_at_stake"] == pytest.approx(20.0)
    assert s.loc["H1", "dossiers_at_risk"] == 4
    assert s.loc["H1", "points_at_stake"] == pytest.approx(8.0)
    assert s.loc["P", "points_at_stake"] == pytest.approx(8.0)
    assert "D1" not in s.index


def test_at_risk_limited_to_a_subtree_and_without_personal_data():
    dossiers, summary = at_risk(Explainer(risk_dataset(), METH), AS_OF, within_working_days=2, unit_id="C1")
    assert sorted(dossiers["dossier_id"]) == ["d1", "d2", "d7"]
    assert list(summary["unit_id"]) == ["C1"]
    assert list(dossiers.columns) == ["dossier_id", "unit_id", "unit_name", "procedure_code", "procedure_name",
                                      "field", "received_at", "effective_due", "working_days_left"]


def test_at_risk_horizon_counts_working_days():
    """From Friday 14 June 00:00 with 1 working day: the horizon is the end of Monday 17 June."""
    dossiers, _ = at_risk(Explainer(risk_dataset(), METH), "2024-06-14", within_working_days=1)
    assert sorted(dossiers["dossier_id"]) == ["d2", "d3", "d9"]
