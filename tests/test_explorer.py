"""The explorer controller: each interaction changes the state and the data behind each view.

Small province (tests/builders.py). Commune C1: May, two dossiers finished on time; June, one on
time and one late (due 10 June, ended 12 June). By hand:
  May C1:  sync 2/2 → 6; ON_TIME 2/2 → 20; petitions empty → 6 + 6; handled 2/2 on time → 6;
           certified copies 1/1 → 2; everything else 0 → total 46.
  June C1: sync 6; ON_TIME 1/2 → 10; handled 1/2 → 6 × 0.5 / 0.9 = 3.33; 6 + 6; copies 2
           → total 33.33 (exact 33.333…); change −12.67 = PROGRESS −10, SATISFACTION −2.67.
  June C2: nothing received: petitions empty → 12; C2 issues no e-copies (0/1) → total 12.
"""

import pytest

from builders import make_dataset
from chiso.explain import Explainer
from chiso.explorer import Explorer
from chiso.methodology import load_methodology

DONE_MAY = {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00", "ended_at": "2024-05-06 08:00",
            "end_status": "finished"}


@pytest.fixture()
def explorer():
    ds = make_dataset(dossiers=[
        DONE_MAY, DONE_MAY,
        {"ended_at": "2024-06-05 08:00", "end_status": "finished"},
        {"ended_at": "2024-06-12 08:00", "end_status": "finished"},
    ])
    return Explorer(Explainer(ds, load_methodology()), "C1", "2024-06")


def test_score_card_ranking_and_groups(explorer):
    card = explorer.score_card()
    assert card["total"] == pytest.approx(33.33)
    assert card["baseline"] == "2024-05"
    assert card["change"] == pytest.approx(33.33 - 46.0)
    assert (card["rank"], card["peers"], card["band"]) == (1, 2, "Yếu")
    ranking = explorer.ranking()
    assert ranking["unit_id"].tolist() == ["C1", "C2"]
    assert ranking["total"].tolist() == pytest.approx([33.33, 12.0])
    assert ranking["selected"].tolist() == [True, False]
    groups = explorer.groups().set_index("group")
    assert groups.loc["PROGRESS", "points"] == pytest.approx(10.0)
    assert groups.loc["SATISFACTION", "points"] == pytest.approx(15.33)
    assert groups.loc["DIGITIZATION", "max_points"] == 22


def test_waterfall_runs_from_baseline_to_current(explorer):
    steps = explorer.waterfall()
    assert steps.iloc[0]["value"] == pytest.approx(46.0)
    assert steps.iloc[-1]["value"] == pytest.approx(100 / 3)
    changes = dict(zip(steps["label"], steps["change"]))
    assert changes["Tiến độ, kết quả giải quyết"] == pytest.approx(-10.0)
    assert changes["Mức độ hài lòng"] == pytest.approx(6 * 0.5 / 0.9 - 6)


def test_drill_down_group_indicator_segment(explorer):
    top = explorer.drilldown()
    assert set(top["group"]) == set(explorer.meth.group_codes)
    explorer.drill("PROGRESS")
    indicators = explorer.drilldown().set_index("indicator")
    assert indicators.loc["ON_TIME", "change"] == pytest.approx(-10.0)
    assert indicators.loc["ON_TIME", "ratio0"] == 1.0 and indicators.loc["ON_TIME", "ratio1"] == 0.5
    explorer.drill("PROGRESS", "ON_TIME")
    segments = explorer.drilldown()
    assert segments.iloc[0]["label"] == "Hộ tịch"
    assert segments.iloc[0]["contribution"] == pytest.approx(-10.0)
    explorer.select_dimension("child")
    assert explorer.drilldown()["contribution"].sum() == pytest.approx(-10.0)
    with pytest.raises(KeyError):
        explorer.drill("SATISFACTION", "ON_TIME")
    explorer.drill()
    assert "group" in explorer.drilldown().columns


def test_drivers_by_dimension(explorer):
    """By field (all C1 dossiers are Hộ tịch): ON_TIME −10 first, then handled satisfaction
    6 × 0.5/0.9 − 6 = −2.67; by sub-unit at the district H1, the same two come from Xã Một."""
    drivers = explorer.drivers()
    assert drivers["label"].tolist()[:2] == ["Hộ tịch", "Hộ tịch"]
    assert drivers["contribution"].tolist()[:2] == pytest.approx([-10.0, 6 * 0.5 / 0.9 - 6])
    explorer.select_unit("H1")
    explorer.select_dimension("child")
    assert explorer.drivers()["label"].tolist()[:2] == ["Xã Một", "Xã Một"]


def test_what_if_and_reset(explorer):
    explorer.set_whatif("ON_TIME", numerator=1)
    result = explorer.whatif()
    assert result.total1 == pytest.approx(43.33)
    assert result.rank1 == 1
    explorer.set_whatif("ON_TIME", ratio=0.0)  # replaces the earlier change for the indicator
    assert explorer.whatif().total1 == pytest.approx(23.33)
    explorer.reset_whatif()
    assert explorer.whatif().total1 == pytest.approx(33.33)


def test_selecting_another_unit_resets_drill_and_what_if(explorer):
    explorer.drill("PROGRESS")
    explorer.set_whatif("ON_TIME", numerator=1)
    explorer.select_unit("C2")
    assert explorer.state.group is None and not explorer.state.changes
    card = explorer.score_card()
    assert (card["total"], card["rank"]) == (12.0, 2)
    with pytest.raises(KeyError):
        explorer.select_unit("NOPE")


def test_period_language_and_trend(explorer):
    explorer.select_period("2024-05")
    assert explorer.score_card()["total"] == pytest.approx(46.0)
    explorer.select_period("2024-06", baseline="2024-04")
    assert explorer.attribution().baseline == "2024-04"
    explorer.set_lang("en")
    assert explorer.score_card()["band"] == "Weak"
    trend = explorer.trend(periods=3)
    assert trend["period"].tolist() == ["2024-04", "2024-05", "2024-06"]
    assert trend["total"].tolist()[1:] == pytest.approx([46.0, 33.33])


def test_at_risk_and_exports(explorer):
    at_risk = explorer.at_risk("2024-06-07", within_working_days=2)
    assert at_risk["dossier_id"].tolist() == ["d4"]  # due Monday 10 June, still open on Friday 7 June
    assert "Xã Một" in explorer.export_csv("ranking")
    with pytest.raises(KeyError):
        explorer.export_csv("nothing")
    page = explorer.snapshot_html()
    assert page.count("window.vegaEmbed=") == 1
    assert "Xã Một" in page and "cdn." not in page and "<script src" not in page
