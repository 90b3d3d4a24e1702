"""Data-quality checks (`chiso.quality`, `chiso quality`, notebooks/data_quality.py) on one small
hand-made province, June 2024, every expected number worked out by hand.

Procedure X1: 5 working days. No public holiday in June 2024. Points (portal-2026): DOSSIER_SYNC
max 6 target 1; ON_TIME max 20 target 1; DOSSIER_RECEIVING_SATISFACTION (DRS) max 6 target 0.9,
denominator = dossiers ended in the period, numerator = those on time (no petition, not unsatisfied);
PETITION_PROCESSING_ON_TIME (PPOT) max 6 target 1; PETITION_HANDLING_SATISFACTION (PHS) max 6
target 1, denominator = petitions received in the period.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import UNITS, make_dataset
from chiso import cli, quality
from chiso import quarantine as qmod
from chiso.cli import app
from chiso.contract import write_dataset
from chiso.methodology import load_methodology

runner = CliRunner()
METH = load_methodology()
ON = {"due_at": "2024-06-10 17:00", "ended_at": "2024-06-05 10:00", "end_status": "finished"}  # on time
EXPORTED = "2024-07-01T09:00:00"


def drs(num: float, den: float) -> float:
    return 6 * min(1.0, num / den / 0.9)


def dossiers() -> list[dict]:
    rows = []
    # C1: 10 on time, 2 of them not synced.
    rows += [{"unit_id": "C1", **ON, "synced": i >= 2} for i in range(10)]
    # C2: 3 on time; one due before receipt (on time by the legal limit, 17 June); one ended after the export.
    rows += [{"unit_id": "C2", **ON} for _ in range(3)]
    rows += [{"unit_id": "C2", "received_at": "2024-06-10 08:00", "due_at": "2024-06-05 17:00",
              "ended_at": "2024-06-12 10:00", "end_status": "finished"},
             {"unit_id": "C2", "received_at": "2024-06-25 08:00", "due_at": "2024-07-02 17:00",
              "ended_at": "2024-07-15 10:00", "end_status": "finished"}]
    # D1: two without a due date (legal due 10 June 23:59): one on time, one late; two on time.
    rows += [{"unit_id": "D1", "due_at": None, "ended_at": "2024-06-05 10:00", "end_status": "finished"},
             {"unit_id": "D1", "due_at": None, "ended_at": "2024-06-20 10:00", "end_status": "finished"},
             {"unit_id": "D1", **ON}, {"unit_id": "D1", **ON}]
    # D2: open since April, due 8 April (stale); open since April waiting for a supplement (not stale);
    # one on time; one open 3 days past due at the end of June (late, but not stale).
    rows += [{"unit_id": "D2", "received_at": "2024-04-01 08:00", "due_at": "2024-04-08 17:00"},
             {"unit_id": "D2", "received_at": "2024-04-01 08:00", "due_at": "2024-04-08 17:00",
              "supplement_count": 1, "supplement_requested_at": "2024-04-05 09:00"},
             {"unit_id": "D2", **ON},
             {"unit_id": "D2", "received_at": "2024-06-20 08:00", "due_at": "2024-06-27 17:00"}]
    # D3: due 20 June, legal 10 June (+2 working days = 12 June): flagged; due 12 June 12:00: not flagged.
    rows += [{"unit_id": "D3", "due_at": "2024-06-20 17:00", "ended_at": "2024-06-18 10:00", "end_status": "finished"},
             {"unit_id": "D3", "due_at": "2024-06-12 12:00", "ended_at": "2024-06-11 10:00", "end_status": "finished"},
             {"unit_id": "D3", **ON}]
    # D4: one supplement request without dates, ended late; two on time.
    rows += [{"unit_id": "D4", "supplement_count": 1, "ended_at": "2024-06-14 10:00", "end_status": "finished"},
             {"unit_id": "D4", **ON}, {"unit_id": "D4", **ON}]
    return rows


PETITIONS = [
    {"unit_id": "D2", "received_at": "2024-04-01 08:00", "due_at": "2024-04-22 17:00"},  # open, stale
    {"unit_id": "D2", "received_at": "2024-06-03 08:00", "due_at": "2024-06-24 17:00", "resolved_at": "2024-06-10 10:00"},
    # due before receipt; legal: 15 working days after 5 June = 26 June, so on time
    {"unit_id": "D2", "received_at": "2024-06-05 08:00", "due_at": "2024-06-01 17:00", "resolved_at": "2024-06-20 10:00"},
    # resolved after the export; open and not yet due at the end of June
    {"unit_id": "D2", "received_at": "2024-06-06 08:00", "due_at": "2024-07-05 17:00", "resolved_at": "2024-07-20 10:00"},
]

QUARANTINE = pd.DataFrame([
    {"table": "dossiers", "reason": "missing_required", "unit_id": "C1", "received_at": "2024-06-04 08:00"},
    {"table": "dossiers", "reason": "unparseable_date", "unit_id": "C1", "received_at": None},
    {"table": "dossiers", "reason": "unknown_unit", "unit_id": "X99", "received_at": "2024-06-05 08:00"},
    {"table": "dossiers", "reason": "duplicate_merged", "unit_id": "C1", "received_at": "2024-06-06 08:00"},
    {"table": "petitions", "reason": "unknown_value", "unit_id": "D2", "received_at": "2024-06-07 08:00"},
    {"table": "dossiers", "reason": "empty_row", "unit_id": None, "received_at": None},
    {"table": "dossiers", "reason": "missing_required", "unit_id": "C1", "received_at": "2024-05-20 08:00"},
]).assign(source_file="hoso.xlsx", sheet="Sheet1", source_row=range(2, 9))


def build():
    units = UNITS + [("D3", "Sở Ba", "department", "P", None), ("D4", "Sở Bốn", "department", "P", None)]
    ds = make_dataset(dossiers=dossiers(), petitions=PETITIONS, units=units)
    ds.meta = {"source": "test", "exported_at": EXPORTED}
    return ds


@pytest.fixture(scope="module")
def ds():
    return build()


@pytest.fixture(scope="module")
def checks(ds):
    return quality.quality_checks(ds, "2024-06", METH, quarantine=QUARANTINE).set_index(["unit_id", "check"])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = write_dataset(build(), tmp_path_factory.mktemp("data"))
    qmod.normalise(QUARANTINE).to_parquet(path / qmod.QUARANTINE_FILE, index=False)
    return path


# ------------------------------------------------------------------------------------- checks
def test_one_row_per_unit_and_check(ds):
    frame = quality.quality_checks(ds, "2024-06", METH)
    assert list(frame.columns) == quality.CHECK_COLUMNS
    assert len(frame) == 8 * len(quality.CHECKS)
    assert frame[["unit_id", "check"]].drop_duplicates().shape[0] == len(frame)
    assert set(frame["period"]) == {"2024-06"}
    assert frame["unit_id"].iloc[0] == "P" and frame["check"].iloc[0] == "unsynced"  # unit-table order


def test_unsynced_exact_gain_and_roll_up(checks):
    """C1: 8 of 10 synced → 6 × 0.8 = 4.8; synced 6: +1.2. H1 adds C2's 5 (all synced): 2 of 15,
    +6 × 2/15. The province: 27 received in June, 25 synced: +6 × 2/27."""
    c1 = checks.loc[("C1", "unsynced")]
    assert (c1["count"], c1["base"], c1["share"]) == (2, 10, pytest.approx(0.2))
    assert c1["points_at_stake"] == pytest.approx(1.2)
    assert c1["max_gain"] == pytest.approx(1.2)
    assert c1["cost_kind"] == "exact"
    assert "DOSSIER_SYNC 8/10 → 10/10" in c1["note"]
    h1 = checks.loc[("H1", "unsynced")]
    assert (h1["count"], h1["base"]) == (2, 15)
    assert h1["points_at_stake"] == pytest.approx(6 * 2 / 15)
    p = checks.loc[("P", "unsynced")]
    assert (p["count"], p["base"]) == (2, 27)
    assert p["points_at_stake"] == pytest.approx(6 * 2 / 27)
    assert checks.loc[("D1", "unsynced"), "count"] == 0
    assert checks.loc[("D1", "unsynced"), "points_at_stake"] == 0


def test_missing_due_dates_all_on_time_versus_all_late(checks):
    """D1: 2 of 4 without a due date, 1 of them on time by the legal limit. ON_TIME 3/4 = 15; all on
    time 20, all late 10. DRS 3/4: 5; all on time 6; all late 6 × (2/4)/0.9."""
    row = checks.loc[("D1", "missing_due")]
    assert (row["count"], row["base"], row["share"]) == (2, 4, pytest.approx(0.5))
    assert row["points_at_stake"] == pytest.approx((20 - 10) + (6 - drs(2, 4)))
    assert row["max_gain"] == pytest.approx((20 - 15) + (6 - 5))
    assert row["cost_kind"] == "upper_bound"
    assert row["indicators"] == "ON_TIME, DOSSIER_RECEIVING_SATISFACTION"
    assert "1/2" in row["note"]


def test_open_past_due_counts_only_stale_dossiers(checks):
    """D2: the April dossier due 8 April, still open, is stale; the one waiting for a supplement and the
    one 3 days past due are not. ON_TIME now 2/4 (the waiting one is judged at its request date) = 10;
    ended on 8 April it leaves June: 2/3. DRS unchanged (only the June dossier ended in June)."""
    row = checks.loc[("D2", "open_past_due")]
    assert (row["count"], row["base"]) == (1, 4)
    assert row["points_at_stake"] == pytest.approx(20 * 2 / 3 - 10)
    assert row["cost_kind"] == "upper_bound"


def test_due_before_receipt_estimate_with_the_legal_limit(checks):
    """C2: ON_TIME 4/5 (the due-before-receipt one late) → 5/5: +4; DRS 3/4 → 4/4: +1. At H1 (15
    dossiers, 14 on time) ON_TIME +20/15 but DRS is already capped (13/14 ≥ 0.9): +0."""
    row = checks.loc[("C2", "due_before_receipt")]
    assert (row["count"], row["base"], row["share"]) == (1, 5, pytest.approx(0.2))
    assert row["points_at_stake"] == pytest.approx(5.0)
    assert row["cost_kind"] == "estimate"
    assert checks.loc[("H1", "due_before_receipt"), "points_at_stake"] == pytest.approx(20 / 15)


def test_due_beyond_legal_limit_may_overstate_the_score(checks, ds):
    """D3: due 20 June against a legal 10 June: with the legal limit ON_TIME 3/3 → 2/3, DRS 6 → drs(2, 3)."""
    row = checks.loc[("D3", "due_beyond_legal")]
    assert row["count"] == 1
    assert row["points_at_stake"] == pytest.approx(-(20 / 3 + 6 - drs(2, 3)))
    assert row["max_gain"] == 0
    summary = quality.unit_summary(checks.reset_index()).set_index("unit_id")
    assert summary.loc["D3", "overstated"] == pytest.approx(row["points_at_stake"])


def test_supplement_without_dates(checks):
    """D4: 1 of 3 had a supplement request with no dates and is late: ON_TIME 2/3 → 3/3, DRS 2/3 → 3/3."""
    row = checks.loc[("D4", "supplement_undated")]
    assert (row["count"], row["base"]) == (1, 3)
    assert row["points_at_stake"] == pytest.approx(20 / 3 + 6 - drs(2, 3))
    assert row["note"].startswith("1 hồ sơ")


def test_future_dates_are_counted_without_a_cost(checks):
    row = checks.loc[("C2", "dossier_future_date")]
    assert row["count"] == 1 and pd.isna(row["points_at_stake"]) and row["cost_kind"] == "uncertain"
    assert checks.loc[("D2", "petition_future_date"), "count"] == 1
    assert checks.loc[("C1", "dossier_future_date"), "count"] == 0


def test_petition_checks(checks):
    """D2: PPOT 2/4 = 3. The stale April petition resolved on its due date leaves June: 2/3 → 4 (+1).
    The one due before receipt, with 15 working days (26 June), is on time: PPOT 3/4 (+1.5), PHS 2/3 → 3/3 (+2)."""
    stale = checks.loc[("D2", "petition_open_past_due")]
    assert (stale["count"], stale["base"]) == (1, 4)
    assert stale["points_at_stake"] == pytest.approx(1.0)
    bad = checks.loc[("D2", "petition_due_before_receipt")]
    assert bad["count"] == 1
    assert bad["points_at_stake"] == pytest.approx(3.5)


def test_quarantine_per_unit_for_the_period(checks):
    """C1 has one quarantined dossier row received in June (the May one, the undated one and the merged
    duplicate do not count); base = 10 kept + 1. It rolls up to H1 and P; X99 is no unit of ours."""
    c1 = checks.loc[("C1", "quarantined_dossiers")]
    assert (c1["count"], c1["base"]) == (1, 11)
    assert pd.isna(c1["points_at_stake"]) and c1["cost_kind"] == "uncertain"
    assert "1 dòng" in c1["note"]  # the undated row is mentioned
    assert checks.loc[("H1", "quarantined_dossiers"), "count"] == 1
    assert checks.loc[("P", "quarantined_dossiers"), "count"] == 1
    d2 = checks.loc[("D2", "quarantined_petitions")]
    assert (d2["count"], d2["base"], d2["share"]) == (1, 4, pytest.approx(0.25))


def test_quarantine_summary_and_by_unit(ds):
    q = qmod.normalise(QUARANTINE)
    summary = qmod.summary(q, "en")
    assert summary.iloc[0][["table", "reason", "rows"]].tolist() == ["dossiers", "missing_required", 2]
    assert summary["rows"].sum() == 7
    by_unit = quality.quarantine_by_unit(q, ds, "2024-06", "en").set_index(["unit_id", "table", "reason"])
    row = by_unit.loc[("C1", "dossiers", "missing_required")]
    assert (row["rows"], row["in_period"], row["undated"], row["known_unit"]) == (2, 1, 0, True)
    assert by_unit.loc[("C1", "dossiers", "unparseable_date"), "undated"] == 1
    assert not by_unit.loc[("X99", "dossiers", "unknown_unit"), "known_unit"]
    assert len(by_unit) == 5  # the empty row has no unit code


def test_unit_summary_orders_worst_first(checks):
    summary = quality.unit_summary(checks.reset_index())
    assert list(summary.columns) == quality.SUMMARY_COLUMNS
    gains = summary["max_gain"].tolist()
    assert gains == sorted(gains, reverse=True)
    d1 = summary.set_index("unit_id").loc["D1"]
    assert (d1["flagged"], d1["dossiers"], d1["worst_check"]) == (2, 4, "Hồ sơ không ghi ngày hẹn trả")
    assert d1["max_gain"] == pytest.approx(6.0)


def test_data_as_of_prefers_the_export_time():
    ds = make_dataset(dossiers=[{"received_at": "2024-06-25 08:00"}])
    ds.meta = {"imported_at": "2024-07-03T10:00:00", "exported_at": "2024-07-01T02:00:00+00:00"}
    assert quality.data_as_of(ds) == (pd.Timestamp("2024-07-01 09:00"), "exported_at")  # UTC → Vietnam time
    ds.meta = {"imported_at": "2024-07-03T10:00:00"}
    assert quality.data_as_of(ds) == (pd.Timestamp("2024-07-03 10:00"), "imported_at")
    ds.meta = {}
    now = pd.Timestamp("2026-01-02 03:04")
    assert quality.data_as_of(ds, now) == (now, "now")


def test_without_an_export_time_later_end_dates_are_not_flagged():
    """No export time: dates are checked against the time of the check, so the C2 dossier ended
    15 July 2024 (after the last receipt, 25 June, as in any export cut by receipt date) is fine."""
    ds = build()
    ds.meta = {"source": "test"}
    checks = quality.quality_checks(ds, "2024-06", METH).set_index(["unit_id", "check"])
    assert checks.loc[("C2", "dossier_future_date"), "count"] == 0
    assert checks.loc[("D2", "petition_future_date"), "count"] == 0
    assert checks.loc[("D2", "open_past_due"), "count"] == 1  # staleness is judged at the period end
    assert checks.loc[("C1", "quarantined_dossiers"), "count"] == 0  # no quarantine without a directory


def test_english_labels_and_every_check_defined(ds):
    checks = quality.quality_checks(ds, "2024-06", METH, lang="en").set_index(["unit_id", "check"])
    row = checks.loc[("C1", "unsynced")]
    assert row["label"] == "Dossiers not synced to the national portal"
    assert row["note"] == "If synced: DOSSIER_SYNC 8/10 → 10/10."
    for lang in ("vi", "en"):
        defs = quality.definitions(lang)
        assert list(defs["check"]) == list(quality.CHECKS)
        assert (defs["definition"].str.len() > 20).all()


# ---------------------------------------------------------------------------------------- CLI
def test_cli_bad_period_is_a_one_line_user_error(data_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["chiso", "quality", "--data", str(data_dir), "--period", "2024-13"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.strip().count("\n") == 0 and err.startswith("chiso: error:") and "2024-13" in err
    assert "Traceback" not in err


def test_cli_prints_the_summary_and_writes_csv(data_dir, tmp_path):
    out = tmp_path / "quality-{period}.csv"
    result = runner.invoke(app, ["quality", "--data", str(data_dir), "--period", "2024-06", "-o", str(out),
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Sở Bốn" in text and "missing_required" in text and "upper bound" in text
    assert text.index("Sở Một") < text.index("Xã Một")  # D1 (6 points at most) before C1 (1.2)
    written = tmp_path / "quality-2024-06.csv"
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(written, encoding="utf-8-sig", dtype={"unit_id": "str"})
    assert list(frame.columns) == quality.CHECK_COLUMNS + ["data_source"]
    row = frame[(frame["unit_id"] == "C1") & (frame["check"] == "unsynced")].iloc[0]
    assert (row["count"], row["share"], row["points_at_stake"]) == (2, 0.2, pytest.approx(1.2))
    assert set(frame["data_source"]) == {"test"}
    assert f"wrote {8 * len(quality.CHECKS)} rows" in text


# ----------------------------------------------------------------------------------- notebook
def test_the_notebook_runs_and_shows_the_counts(data_dir, tmp_path):
    import jupytext
    import papermill

    from chiso.batch import NOTEBOOKS

    source = tmp_path / "data_quality.ipynb"
    jupytext.write(jupytext.read(NOTEBOOKS / "data_quality.py"), source, fmt="ipynb")
    nb = papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), progress_bar=False, cwd=str(NOTEBOOKS),
                                    parameters={"data": str(data_dir), "period": "2024-06", "lang": "vi"})
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps([o.get("data", {}).get("text/html", "") for o in outputs], ensure_ascii=False)
    assert "DOSSIER_SYNC 25/27 → 27/27" in text  # the province: 2 of 27 not synced
    assert "Thiếu giá trị bắt buộc" in text and "Sở Ba" in text
    assert "cdn." not in text.lower()
