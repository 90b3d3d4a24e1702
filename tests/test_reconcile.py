"""Reconciliation with the portal: local counts beside portal counts, differences largest first, causes.

A hand-made province (tests/builders.py) in June 2024, every number worked out by hand:

- C1 (commune under H1): 10 dossiers received 10–19 June, d1–d3 not synced, d4 and d5 finished
  late; ON_TIME 8/10 → 16 points. Without the unsynced ones the portal sees 5/7 → 14.2857.
- C2 (commune under H1): 2 dossiers on time, the first not synced. H1 rolls up C1 and C2:
  ON_TIME 10/12 → 16.6667; without the 4 unsynced dossiers 6/8 → 15.
- D1 (department): 5 dossiers mid-June, 2 received 30 June 20:00 and 1 received 1 July 02:00,
  all synced: DOSSIER_SYNC 7/7; 3 dossiers lie within 24 h of the month's end.
- Procedures X1 (published, full content) and X2 (published, content incomplete):
  PUBLIC_CONTENT_FULL, a province-scope indicator, is 1/2 → 1 point at every unit.
- D2 has no records: 13 points (two petition indicators empty → full 6 + 6, and the inherited 1).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import make_dataset
from cli_helpers import assert_user_error, run_main, run_subprocess
from chiso.cli import app
from chiso.contract import write_dataset
from chiso.counts import count, prepare
from chiso.methodology import load_methodology
from chiso.reconcile import (BOUNDARY_WINDOW_HOURS, CAUSES, COLUMNS, UNSYNCED_TOLERANCE_ABS, UNSYNCED_TOLERANCE_REL,
                             boundary_items, cause_label, reconcile, unit_summary, unsynced_counts)
from chiso.scoring import CountsError

REPO = Path(__file__).resolve().parents[1]
PERIOD = "2024-06"
METH = load_methodology()
runner = CliRunner()


def scenario_dossiers() -> list[dict]:
    rows = []
    for i in range(10):  # C1
        day = 10 + i
        rows.append({"unit_id": "C1", "received_at": f"2024-06-{day:02d} 08:00", "due_at": "2024-06-28 17:00",
                     "ended_at": "2024-06-29 10:00" if i in (3, 4) else f"2024-06-{day + 1:02d} 10:00",
                     "end_status": "finished", "synced": i >= 3})
    for i in range(2):  # C2
        rows.append({"unit_id": "C2", "received_at": f"2024-06-{12 + i} 08:00", "due_at": "2024-06-28 17:00",
                     "ended_at": f"2024-06-{13 + i} 10:00", "end_status": "finished", "synced": i >= 1})
    for _ in range(5):  # D1, mid-month
        rows.append({"unit_id": "D1", "received_at": "2024-06-14 08:00", "due_at": "2024-06-28 17:00",
                     "ended_at": "2024-06-15 10:00", "end_status": "finished"})
    for received in ("2024-06-30 20:00", "2024-06-30 20:00", "2024-07-01 02:00"):  # D1, at the month's end
        rows.append({"unit_id": "D1", "received_at": received, "due_at": "2024-07-10 17:00"})
    return rows


PROCEDURES = [{"procedure_code": "X1", "public_date": "2024-01-10"},
              {"procedure_code": "X2", "public_date": "2024-02-01", "full_content": False}]


@pytest.fixture(scope="module")
def ds():
    return make_dataset(dossiers=scenario_dossiers(), procedures=PROCEDURES)


@pytest.fixture(scope="module")
def local(ds) -> pd.DataFrame:
    return count(ds, METH, [PERIOD])


def portal_counts(local: pd.DataFrame, overrides: dict | None = None, drop_units=(), drop_rows=(),
                  extra=()) -> pd.DataFrame:
    """The local counts as the portal would list them, with `overrides[(unit, indicator)] = (num, den)`."""
    out = local.copy()
    for (unit, ind), (num, den) in (overrides or {}).items():
        rows = (out["unit_id"] == unit) & (out["indicator"] == ind)
        assert rows.sum() == 1, (unit, ind)
        out.loc[rows, ["numerator", "denominator"]] = [float(num), float(den)]
    keep = ~out["unit_id"].isin(list(drop_units))
    for unit, ind in drop_rows:
        keep &= ~((out["unit_id"] == unit) & (out["indicator"] == ind))
    out = out[keep]
    if extra:
        out = pd.concat([out, pd.DataFrame(list(extra), columns=out.columns)], ignore_index=True)
    return out.reset_index(drop=True)


SCENARIO = {("C1", "ON_TIME"): (5, 7), ("H1", "ON_TIME"): (6, 8), ("D1", "DOSSIER_SYNC"): (5, 5)} | {
    (u, "PUBLIC_CONTENT_FULL"): (2, 2) for u in ("P", "D1", "H1", "C1", "C2")}
X9 = ("X9", PERIOD, "ON_TIME", 1.0, 2.0)


@pytest.fixture(scope="module")
def scenario_portal(local) -> pd.DataFrame:
    return portal_counts(local, SCENARIO, drop_units=["D2"], extra=[X9])


@pytest.fixture(scope="module")
def table(ds, scenario_portal) -> pd.DataFrame:
    return reconcile(ds, scenario_portal, PERIOD, METH)


def row(table: pd.DataFrame, unit: str, indicator: str) -> pd.Series:
    hit = table[(table["unit_id"] == unit) & (table["indicator"] == indicator)]
    assert len(hit) == 1, (unit, indicator, len(hit))
    return hit.iloc[0]


def cause_of(ds, local, unit, indicator, num, den) -> pd.Series:
    t = reconcile(ds, portal_counts(local, {(unit, indicator): (num, den)}), PERIOD, METH, lang="en")
    return row(t, unit, indicator)


# --------------------------------------------------------------------------------- the scenario


def test_local_counts_are_the_hand_counted_ones(table):
    """The local side of the table is what the docstring works out by hand."""
    assert tuple(row(table, "C1", "ON_TIME")[["numerator_local", "denominator_local", "points_local"]]) == \
        pytest.approx((8, 10, 16))
    assert tuple(row(table, "H1", "ON_TIME")[["numerator_local", "denominator_local"]]) == (10, 12)
    assert tuple(row(table, "D1", "DOSSIER_SYNC")[["numerator_local", "denominator_local"]]) == (7, 7)
    assert tuple(row(table, "C2", "PUBLIC_CONTENT_FULL")[["numerator_local", "denominator_local", "points_local"]]) \
        == (1, 2, 1)


def test_differences_largest_first(table):
    """By absolute points difference, then absolute count difference, then unit and indicator order."""
    expected = [
        ("X9", "ON_TIME", -10.0, "missing_locally"),                  # portal 1/2 → 10 points, nothing local
        ("D2", "PETITION_PROCESSING_ON_TIME", 6.0, "missing_on_portal"),  # empty, rule full
        ("D2", "PETITION_HANDLING_SATISFACTION", 6.0, "missing_on_portal"),
        ("C1", "ON_TIME", 16 - 20 * 5 / 7, "unsynced_dossiers"),       # 1.714
        ("H1", "ON_TIME", 20 * 10 / 12 - 15, "unsynced_dossiers"),     # 1.667
        ("D2", "PUBLIC_CONTENT_FULL", 1.0, "missing_on_portal"),       # count difference 2 ranks it first
        ("P", "PUBLIC_CONTENT_FULL", -1.0, "unexplained"),             # the province's own figure
        ("D1", "PUBLIC_CONTENT_FULL", -1.0, "inherited_indicator"),
        ("H1", "PUBLIC_CONTENT_FULL", -1.0, "inherited_indicator"),
        ("C1", "PUBLIC_CONTENT_FULL", -1.0, "inherited_indicator"),
        ("C2", "PUBLIC_CONTENT_FULL", -1.0, "inherited_indicator"),
        ("D1", "DOSSIER_SYNC", 0.0, "period_boundary"),                # 7/7 vs 5/5: same points, 2 dossiers
    ]
    top = table.head(len(expected))
    assert list(zip(top["unit_id"], top["indicator"], top["cause"])) == [(u, i, c) for u, i, _, c in expected]
    assert top["points_diff"].tolist() == pytest.approx([p for _, _, p, _ in expected])
    assert list(table.columns) == COLUMNS
    # 33 differences: X9, D2's 24 indicators, C1 and H1 ON_TIME, D1 DOSSIER_SYNC, five inherited
    assert len(table) == 1 + 24 + 3 + 5
    assert "match" not in set(table["cause"])


def test_unsynced_dossiers_explain_the_gap(table):
    """10 local dossiers of which 3 unsynced, portal 5/7: a difference of 3, explained by the 3."""
    c1 = row(table, "C1", "ON_TIME")
    assert (c1["numerator_diff"], c1["denominator_diff"], c1["count_diff"], c1["unsynced_dossiers"]) == (3, 3, 3, 3)
    assert (c1["numerator_portal"], c1["denominator_portal"]) == (5, 7)
    assert c1["points_portal"] == pytest.approx(100 / 7)
    assert c1["cause_label"] == "Hồ sơ chưa đồng bộ lên Cổng DVCQG"
    assert c1["detail"] == "3 hồ sơ chưa đồng bộ; mẫu số địa phương 10 − 3 = 7, Cổng 7."


def test_unsynced_dossiers_roll_up(table):
    """H1 sums its communes: its 4 unsynced dossiers (3 in C1, 1 in C2) explain 10/12 vs 6/8."""
    h1 = row(table, "H1", "ON_TIME")
    assert (h1["unsynced_dossiers"], h1["denominator_diff"], h1["cause"]) == (4, 4, "unsynced_dossiers")


@pytest.mark.parametrize("num, den, cause", [
    (5, 7, "unsynced_dossiers"),    # exactly local − unsynced
    (5, 8, "unsynced_dossiers"),    # denominator 1 off: within the tolerance (1 dossier)
    (4, 6, "unsynced_dossiers"),    # both 1 off
    (5, 9, "unexplained"),          # denominator 2 off
    (3, 7, "unexplained"),          # numerator 2 off
    (8, 11, "unexplained"),         # the portal has more: not an unsynced gap
])
def test_unsynced_tolerance_small_counts(ds, local, num, den, cause):
    """Below 100 dossiers the tolerance is one dossier (C1 has no dossier near the period's edges)."""
    assert UNSYNCED_TOLERANCE_ABS == 1
    assert cause_of(ds, local, "C1", "ON_TIME", num, den)["cause"] == cause


@pytest.mark.parametrize("num, den, cause", [
    (270, 270, "unsynced_dossiers"),
    (273, 273, "unsynced_dossiers"),  # 3 off = 1 % of 300
    (267, 267, "unsynced_dossiers"),
    (274, 274, "unexplained"),        # 4 off
    (270, 274, "unexplained"),
])
def test_unsynced_tolerance_is_relative_for_large_counts(num, den, cause):
    """300 dossiers on time, 30 unsynced: the tolerance is 1 % of the local denominator, 3 dossiers."""
    assert UNSYNCED_TOLERANCE_REL == 0.01
    big = make_dataset(dossiers=[{"received_at": f"2024-06-{5 + i % 20:02d} 08:00", "ended_at":
                                  f"2024-06-{5 + i % 20:02d} 16:00", "due_at": "2024-06-28 17:00",
                                  "end_status": "finished", "synced": i >= 30} for i in range(300)])
    local = count(big, METH, [PERIOD])
    assert tuple(local.set_index(["unit_id", "indicator"]).loc[("C1", "ON_TIME")]) == (PERIOD, 300, 300)
    assert cause_of(big, local, "C1", "ON_TIME", num, den)["cause"] == cause


def test_unsynced_for_a_mean_checks_the_denominator_only(ds, local):
    """AVG_PROCESSING_TIME's numerator is a sum of days, not a count: only the dossier count must fit."""
    r = cause_of(ds, local, "C1", "AVG_PROCESSING_TIME", 1.5, 7)
    assert (r["denominator_local"], r["unsynced_dossiers"], r["cause"]) == (10, 3, "unsynced_dossiers")


@pytest.mark.parametrize("num, den, cause", [
    (5, 5, "period_boundary"),   # the two 30 June 20:00 dossiers cut off (portal on UTC)
    (4, 4, "period_boundary"),   # 3 = all three dossiers near the end
    (8, 8, "period_boundary"),   # the portal took the 1 July 02:00 dossier in
    (3, 3, "unexplained"),       # 4 > 3 dossiers near the edges
    (11, 11, "unexplained"),     # the portal has 4 more: more than the 3 near the edges
])
def test_period_boundary(ds, local, num, den, cause):
    """D1: 7/7 locally; 3 of its dossiers lie within 24 h of the end of June (2 inside, 1 after)."""
    r = cause_of(ds, local, "D1", "DOSSIER_SYNC", num, den)
    assert r["boundary_items"] == 3
    assert r["unsynced_dossiers"] == 0
    assert r["cause"] == cause


def test_period_boundary_detail(table):
    d1 = row(table, "D1", "DOSSIER_SYNC")
    assert d1["detail"] == (f"Chênh 2 hồ sơ, không quá 3 hồ sơ tiếp nhận hoặc kết thúc trong vòng "
                            f"{BOUNDARY_WINDOW_HOURS} giờ quanh mốc đầu/cuối kỳ.")


def test_boundary_items_count_both_sides_of_the_edges(ds):
    """A dossier received 31 May 23:00 is near the start although outside the period; C1's are not, nor is
    one carried over from 20 May and finished mid-June (ON_TIME counts it, but far from the edges)."""
    more = make_dataset(dossiers=scenario_dossiers() + [
        {"unit_id": "C2", "received_at": "2024-05-31 23:00", "due_at": "2024-06-20 17:00"},
        {"unit_id": "C1", "received_at": "2024-05-20 08:00", "due_at": "2024-06-20 17:00",
         "ended_at": "2024-06-15 10:00", "end_status": "finished"}], procedures=PROCEDURES)
    items = boundary_items(prepare(more, METH), PERIOD).set_index(["unit_id", "indicator"])["items"]
    assert items[("C1", "DOSSIER_SYNC")] == 0
    assert items[("C1", "ON_TIME")] == 0
    assert items[("C2", "ON_TIME")] == 1
    assert items[("C2", "DOSSIER_SYNC")] == 1
    assert items[("H1", "DOSSIER_SYNC")] == 1
    assert items[("D1", "DOSSIER_SYNC")] == 3
    assert items[("P", "DOSSIER_SYNC")] == 4


def test_unsynced_counts_follow_each_rule(ds):
    """Each indicator loses exactly its own unsynced dossiers: ON_TIME 3 at C1; DOSSIER_SYNC's numerator none."""
    u = unsynced_counts(prepare(ds, METH), PERIOD).set_index(["unit_id", "indicator"])
    assert tuple(u.loc[("C1", "ON_TIME")]) == (3, 3)
    assert tuple(u.loc[("C1", "DOSSIER_SYNC")]) == (0, 3)
    assert tuple(u.loc[("P", "ON_TIME")]) == (4, 4)
    assert tuple(u.loc[("D1", "ON_TIME")]) == (0, 0)
    assert ("C1", "PUBLIC_CONTENT_FULL") not in u.index  # province scope: not a dossier count


def test_inherited_indicator(table):
    """PUBLIC_CONTENT_FULL is the province's figure at every unit: the difference comes from P's 1/2 vs 2/2."""
    for unit in ("D1", "H1", "C1", "C2"):
        r = row(table, unit, "PUBLIC_CONTENT_FULL")
        assert r["cause"] == "inherited_indicator"
        assert r["detail"] == "Giá trị của tỉnh (P): địa phương 1/2, Cổng 2/2."
    assert row(table, "P", "PUBLIC_CONTENT_FULL")["cause"] == "unexplained"


def test_missing_unit_and_missing_row(ds, local, table):
    """D2 absent from the portal: its 24 rows are missing on the portal; X9 is not a local unit."""
    d2 = table[table["unit_id"] == "D2"]
    assert len(d2) == len(METH.indicators) == 24
    assert set(d2["cause"]) == {"missing_on_portal"}
    assert d2["points_portal"].isna().all()
    assert d2["points_diff"].sum() == pytest.approx(13)
    x9 = row(table, "X9", "ON_TIME")
    assert pd.isna(x9["unit_name"]) and pd.isna(x9["points_local"])
    assert x9["detail"] == "Mã đơn vị không có trong danh mục đơn vị địa phương; Cổng: 1/2."
    one = reconcile(ds, portal_counts(local, drop_rows=[("C1", "ON_TIME")]), PERIOD, METH, lang="en")
    assert list(zip(one["unit_id"], one["indicator"], one["cause"])) == [("C1", "ON_TIME", "missing_on_portal")]
    assert one["points_diff"].tolist() == [16.0]
    assert one["detail"].tolist() == ["The portal file has no such row; local: 8/10."]


def test_identical_counts_have_no_differences(ds, local):
    assert reconcile(ds, local, PERIOD, METH).empty
    full = reconcile(ds, local, PERIOD, METH, include_equal=True)
    assert len(full) == 6 * 24 and set(full["cause"]) == {"match"}


def test_unit_summary(ds, scenario_portal):
    """Per unit, totals over every row (include_equal) and the net difference, largest first."""
    full = reconcile(ds, scenario_portal, PERIOD, METH, include_equal=True, lang="en")
    s = unit_summary(full, "en")
    assert s["unit_id"].tolist() == ["D2", "X9", "P", "D1", "C2", "C1", "H1"]
    assert s["points_diff"].tolist() == pytest.approx([13, -10, -1, -1, -1, 16 - 100 / 7 - 1, 20 * 10 / 12 - 15 - 1])
    d2 = s.iloc[0]
    assert (d2["indicators_differing"], d2["points_local"], d2["points_portal"]) == (24, 13, 0)
    assert (d2["largest_indicator"], d2["main_cause"]) == ("PETITION_PROCESSING_ON_TIME", "missing_on_portal")
    c1 = s.set_index("unit_id").loc["C1"]
    assert c1["indicators_differing"] == 2
    assert c1["points_local"] - c1["points_portal"] == pytest.approx(c1["points_diff"])
    assert (c1["largest_indicator"], c1["main_cause_label"]) == ("ON_TIME", "Dossiers not synced to the portal")
    assert c1["causes"] == "inherited_indicator: 1; unsynced_dossiers: 1"
    # the same differences without the equal rows give the same net difference
    diffs_only = unit_summary(reconcile(ds, scenario_portal, PERIOD, METH), "en")
    assert diffs_only["points_diff"].tolist() == pytest.approx(s["points_diff"].tolist())


def test_cause_labels_in_both_languages(table):
    assert set(CAUSES) == {"missing_on_portal", "missing_locally", "unsynced_dossiers", "period_boundary",
                           "inherited_indicator", "unexplained", "match"}
    assert cause_label("period_boundary", "en") == "Period boundary (cut-off hour, time zone)"
    assert cause_label("unexplained") == "Chưa rõ nguyên nhân"


def test_a_portal_row_for_another_period_is_refused(ds, local):
    other = local.assign(period=["2024-05"] + [PERIOD] * (len(local) - 1))
    with pytest.raises(CountsError, match=r"portal\.csv, line 2: period '2024-05'"):
        reconcile(ds, other, PERIOD, METH, source="portal.csv")


# ------------------------------------------------------------------------------------------ CLI


@pytest.fixture(scope="module")
def files(tmp_path_factory, ds, scenario_portal) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("reconcile")
    data = write_dataset(ds, base / "data")
    portal = base / "portal.csv"
    scenario_portal.to_csv(portal, index=False)
    return data, portal






def test_cli_prints_the_differences_and_the_unit_summary(files):
    data, portal = files
    result = runner.invoke(app, ["reconcile", "--data", str(data), "--portal", str(portal), "--period", PERIOD])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "33 of 145 unit × indicator rows differ" in lines[0]
    assert lines[1].split()[:3] == ["unit_id", "unit_name", "indicator"]
    assert lines[2].split()[0] == "X9" and "Không có trong dữ liệu địa phương" in lines[2]
    summary = lines[lines.index("Tổng chênh lệch theo đơn vị / total difference per unit:") + 2]
    assert summary.split()[:3] == ["D2", "Sở", "Hai"] and "13.00" in summary


def test_cli_writes_csv_with_bom(files, tmp_path):
    data, portal = files
    out = tmp_path / "reconcile-{period}.csv"
    result = runner.invoke(app, ["reconcile", "--data", str(data), "--portal", str(portal), "--period", PERIOD,
                                 "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "reconcile-2024-06.csv"
    assert "wrote 33 rows" in result.stdout
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")
    t = pd.read_csv(written, encoding="utf-8-sig", dtype={"unit_id": "str", "period": "str"})
    assert list(t.columns) == COLUMNS
    assert (t["unit_id"].iloc[3], t["indicator"].iloc[3], t["cause_label"].iloc[3]) == \
        ("C1", "ON_TIME", "Dossiers not synced to the portal")
    assert t["points_diff"].iloc[3] == pytest.approx(16 - 100 / 7)


def test_cli_missing_portal_file_subprocess(files, tmp_path):
    data, _ = files
    proc = run_subprocess("reconcile", "--data", str(data), "--portal", str(tmp_path / "nope.csv"),
                          "--period", PERIOD)
    assert_user_error(proc.returncode, proc.stderr, "nope.csv", "does not exist")


def test_cli_unknown_indicator(monkeypatch, capsys, files, tmp_path):
    data, _ = files
    portal = tmp_path / "portal.csv"
    portal.write_text("unit_id,period,indicator,numerator,denominator\nC1,2024-06,ON_TIME,5,7\n"
                      "C1,2024-06,NOT_A_CODE,1,2\n", encoding="utf-8")
    code, _, err = run_main(monkeypatch, capsys, "reconcile", "--data", str(data), "--portal", str(portal),
                            "--period", PERIOD)
    assert_user_error(code, err, str(portal), "line 3", "NOT_A_CODE")


def test_cli_period_differs(monkeypatch, capsys, files, tmp_path):
    data, _ = files
    portal = tmp_path / "may.csv"
    portal.write_text("unit_id,period,indicator,numerator,denominator\nC1,2024-06,ON_TIME,5,7\n"
                      "C1,2024-05,ON_TIME,5,7\n", encoding="utf-8")
    code, _, err = run_main(monkeypatch, capsys, "reconcile", "--data", str(data), "--portal", str(portal),
                            "--period", PERIOD)
    assert_user_error(code, err, "may.csv", "line 3", "2024-05", "--period 2024-06")


def test_cli_unreadable_csv(monkeypatch, capsys, files, tmp_path):
    data, _ = files
    portal = tmp_path / "binary.csv"
    portal.write_bytes(b"unit_id,period\n\xff\xfe\xfa,\x81\n")
    code, _, err = run_main(monkeypatch, capsys, "reconcile", "--data", str(data), "--portal", str(portal),
                            "--period", PERIOD)
    assert_user_error(code, err, "binary.csv", "not a readable UTF-8 CSV")


# ------------------------------------------------------------------------------- notebook, script


def test_the_reconcile_notebook_shows_the_largest_difference_first(files, tmp_path):
    import json

    import jupytext
    import papermill

    from chiso.batch import NOTEBOOKS

    data, portal = files
    source = tmp_path / "reconcile.ipynb"
    jupytext.write(jupytext.read(NOTEBOOKS / "reconcile.py"), source, fmt="ipynb")
    nb = papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), progress_bar=False,
                                    cwd=str(NOTEBOOKS), parameters={"data": str(data), "portal": str(portal),
                                                                    "period": PERIOD, "lang": "en"})
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o.get("data", {}).get("text/html", "") for o in outputs]
    diffs = next(h for h in html if "Differences, largest first" in h)
    first_row = diffs.split("<tbody>")[1].split("</tr>")[0]
    assert ">X9<" in first_row and ">ON_TIME<" in first_row and "Missing in the local data" in first_row
    summary = next(h for h in html if "Total difference per unit" in h)
    assert "<td>D2</td><td>Sở Hai</td>" in summary.split("<tbody>")[1].split("</tr>")[0]
    charts = [h for h in html if 'class="chiso-chart"' in h]
    assert len(charts) == 1 and "vegaEmbed" in charts[0] and "https://cdn" not in charts[0]
    assert json.dumps("Dossiers not synced to the portal")[1:-1] in charts[0]  # a cause in the chart's data


def _script():
    spec = importlib.util.spec_from_file_location("make_portal_counts", REPO / "scripts" / "make_portal_counts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from chiso.demo import generate_to

    return generate_to(tmp_path_factory.mktemp("demo"), scale=0.05, months=1)


def test_sample_portal_without_noise_is_explained_by_unsynced_dossiers(demo_dir):
    """Dropping only the unsynced dossiers: every difference is `unsynced_dossiers`, one per affected row."""
    from chiso.contract import load_dataset

    module = _script()
    ds = load_dataset(demo_dir)
    label = ds.meta["last_month"]
    portal = module.simulate_portal(ds, METH, label, noise=0, drop=0, province_shift=False)
    t = reconcile(ds, portal, label, METH)
    affected = unsynced_counts(prepare(ds, METH), label)
    assert len(t) == int((affected["denominator"] > 0).sum()) > 50
    assert set(t["cause"]) == {"unsynced_dossiers"}


def test_sample_portal_script_end_to_end(demo_dir, tmp_path):
    """The script writes a valid portal file; reconcile finds the dropped row, the inherited indicator and the
    slips."""
    from chiso.contract import load_dataset

    ds = load_dataset(demo_dir)
    label = ds.meta["last_month"]
    path = _script().main(["--data", str(demo_dir), "--period", "latest", "--out", str(tmp_path / "p-{period}.csv")])
    assert path == tmp_path / f"p-{label}.csv"
    out = tmp_path / "rec.csv"
    result = runner.invoke(app, ["reconcile", "--data", str(demo_dir), "--portal", str(path), "--period", "latest",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out, encoding="utf-8-sig", dtype={"unit_id": "str"})
    causes = t["cause"].value_counts()
    n_units = len(ds.units)
    assert causes["missing_on_portal"] == 1
    assert causes["inherited_indicator"] == n_units - 1
    assert causes["unsynced_dossiers"] > 50
    others = t[t["cause"].isin(["unexplained", "period_boundary"])]
    assert 1 <= len(others) <= 3  # the province's own shifted figure, and the two slips unless unsynced hides one
    inherited = set(t.loc[t["cause"] == "inherited_indicator", "indicator"])
    assert len(inherited) == 1  # one province-scope indicator shifted, at the province itself too
    assert inherited <= set(t.loc[(t["unit_id"] == "H27") & (t["cause"] == "unexplained"), "indicator"])


def test_portal_counts_saved_with_semicolons_are_read(tmp_path):
    """Vietnamese-locale Excel saves CSV with ';': the same counts must come out."""
    from chiso.methodology import load_methodology
    from chiso.reconcile import read_portal_counts

    meth = load_methodology(None)
    rows = ["unit_id;period;indicator;numerator;denominator", "C1;2024-06;DOSSIER_SYNC;7;10"]
    (tmp_path / "p.csv").write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    counts = read_portal_counts(tmp_path / "p.csv", meth)
    assert counts[["unit_id", "indicator", "numerator", "denominator"]].values.tolist() == [
        ["C1", "DOSSIER_SYNC", 7.0, 10.0]]
