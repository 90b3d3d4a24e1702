"""The explorer's widgets drive the controller: picking a unit, a period, a what-if ratio, a
drill-down or an export changes the state and what the views show (no browser needed)."""

import pytest

from builders import make_dataset
from chiso.explain import Explainer
from chiso.explorer import Explorer
from chiso.explorer_widgets import ExplorerUI
from chiso.methodology import load_methodology

DONE_MAY = {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00", "ended_at": "2024-05-06 08:00",
            "end_status": "finished"}


@pytest.fixture()
def ui(tmp_path):
    """Same province as tests/test_explorer.py: C1 scores 46 in May and 33.33 in June; C2 12."""
    ds = make_dataset(dossiers=[
        DONE_MAY, DONE_MAY,
        {"ended_at": "2024-06-05 08:00", "end_status": "finished"},
        {"ended_at": "2024-06-12 08:00", "end_status": "finished"},
    ])
    ds.meta = {"source": "synthetic", "first_month": "2024-05", "last_month": "2024-06"}
    return ExplorerUI(Explorer(Explainer(ds, load_methodology()), "C1", "2024-06"), export_dir=tmp_path)


def chart_html(ui, view):
    return ui.views[view].outputs[0]["data"]["text/html"]


def test_first_view_shows_the_score_card_and_every_chart(ui):
    assert "33,33" in ui.card.value and "1/2" in ui.card.value
    for view in ("waterfall", "trend"):
        assert "vegaEmbed" in chart_html(ui, view)
    assert chart_html(ui, "waterfall").count("window.vegaEmbed=") == 1  # the offline bundle, once
    ranking = ui.ranking_chart.spec
    assert [d["unit_id"] for d in ranking["datasets"][next(iter(ranking["datasets"]))]] == ["C1", "C2"]
    assert ui.period.options == ("2024-05", "2024-06")


def test_picking_another_unit_redraws(ui):
    before = chart_html(ui, "waterfall")
    ui.unit.value = "C2"
    assert ui.ex.state.unit_id == "C2"
    assert "Xã Hai" in ui.card.value and "12" in ui.card.value and "2/2" in ui.card.value
    assert chart_html(ui, "waterfall") != before


def click(chart, selection, field, value):
    """What the browser sends when a mark is clicked: the Vega point-selection signal."""
    chart._vl_selections = {selection: {"value": {"vlPoint": {"or": [{field: value}]}}, "store": []}}


def test_clicking_a_unit_in_the_ranking_selects_it(ui):
    click(ui.ranking_chart, "pick_unit", "unit_id", "C2")
    assert ui.ex.state.unit_id == "C2" and ui.unit.value == "C2"
    assert "Xã Hai" in ui.card.value


def test_clicking_a_group_drills_into_it(ui):
    click(ui.groups_chart, "pick_group", "code", "PROGRESS")
    assert ui.group.value == "PROGRESS" and ui.ex.state.group == "PROGRESS"
    assert "ON_TIME" in chart_html(ui, "drilldown")


def test_search_filters_the_unit_picker(ui):
    ui.search.value = "hai"
    assert [v for _, v in ui.unit.options] == ["C2", "D2"] or [v for _, v in ui.unit.options] == ["D2", "C2"]
    ui.search.value = ""
    assert len(ui.unit.options) == 6


def test_changing_period_and_baseline(ui):
    ui.period.value = "2024-05"
    assert "46" in ui.card.value
    ui.period.value = "2024-06"
    ui.baseline.value = "2024-05"
    assert ui.ex.attribution().baseline == "2024-05"


def test_period_kind_switches_to_quarters(ui):
    """May and June 2024 are both in 2024-Q2: C1's quarter has 4 dossiers, 3 on time → ON_TIME 15."""
    ui.period_kind.value = "quarter"
    assert ui.period.options == ("2024-Q2",)
    assert ui.ex.state.period == "2024-Q2"
    groups = ui.ex.groups().set_index("group")
    assert groups.loc["PROGRESS", "points"] == pytest.approx(15.0)
    ui.period_kind.value = "month"
    assert ui.ex.state.period == "2024-06"


def test_what_if_slider_moves_the_total_and_reset_restores_it(ui):
    assert ui.whatif_indicator.value == "ON_TIME"
    assert ui.whatif_ratio.value == pytest.approx(0.5)  # the unit's current ratio
    ui.whatif_ratio.value = 1.0
    assert "43,33" in ui.whatif_result.value
    ui.reset.click()
    assert "33,33 → <b class='chiso-whatif-total'>33,33" in ui.whatif_result.value
    assert ui.whatif_ratio.value == pytest.approx(0.5)


def test_drill_down_and_language(ui):
    ui.group.value = "PROGRESS"
    assert "ON_TIME" in chart_html(ui, "drilldown")
    ui.indicator.value = "ON_TIME"
    assert "Hộ tịch" in chart_html(ui, "drilldown")
    ui.lang.value = "en"
    assert "Weak" in ui.card.value


def test_exports_write_csv_and_an_offline_snapshot(ui, tmp_path):
    csv = ui._on_export("csv")
    assert csv.exists() and "group" in csv.read_text(encoding="utf-8-sig")
    page = ui._on_export("html").read_text(encoding="utf-8")
    assert page.count("window.vegaEmbed=") == 1 and "Dữ liệu mô phỏng" in page
    assert str(tmp_path) in ui.message.value


def test_the_explorer_notebook_runs_under_papermill(tmp_path):
    """The notebook executes top to bottom on a small synthetic province."""
    import jupytext
    import papermill

    from chiso.batch import NOTEBOOKS
    from chiso.demo import generate_to

    data = generate_to(tmp_path / "data", scale=0.05, months=2)
    source = tmp_path / "explorer.ipynb"
    jupytext.write(jupytext.read(NOTEBOOKS / "explorer.py"), source, fmt="ipynb")
    last = __import__("json").loads((data / "dataset.json").read_text(encoding="utf-8"))["last_month"]
    nb = papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), progress_bar=False, cwd=str(NOTEBOOKS),
                                    parameters={"unit_id": "H27.36", "period": last, "data_dir": str(data),
                                                "export_dir": str(tmp_path / "exports")})
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
