"""The `chiso` command line: `score` and `score-counts` outputs, and user errors as exit code 2.

Runs in-process with typer's CliRunner (outputs) and through `chiso.cli.main` and a real
subprocess (exit codes and the one-line `chiso: error:` contract). Every expected number is
worked out by hand from the spec: points = max × min(1, ratio / target), empty rule otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import make_dataset
from cli_helpers import assert_user_error, run_main, run_subprocess
from chiso.cli import app
from chiso.contract import write_dataset

GROUPS = ["TRANSPARENCY", "PROGRESS", "ONLINE_SERVICE", "ONLINE_PAYMENT", "SATISFACTION", "DIGITIZATION"]
INDICATOR_COLUMNS = ["unit_id", "unit_name", "unit_kind", "parent_id", "period", "group", "indicator",
                     "numerator", "denominator", "ratio", "points", "max_points", "status"]
UNIT_COLUMNS = ["unit_id", "unit_name", "unit_kind", "period", *GROUPS, "total", "rank", "band"]

runner = CliRunner()








# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """Two dossiers at commune C1 in June 2024: d1 finished on time and synced, d2 finished late, not synced."""
    ds = make_dataset(dossiers=[
        {"received_at": "2024-06-03 08:00", "due_at": "2024-06-10 17:00", "ended_at": "2024-06-07 10:00",
         "end_status": "finished", "synced": True},
        {"received_at": "2024-06-04 08:00", "due_at": "2024-06-11 17:00", "ended_at": "2024-06-14 10:00",
         "end_status": "finished", "synced": False},
    ])
    return write_dataset(ds, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def indicator_csv(data_dir, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("out") / "indicators.csv"
    result = runner.invoke(app, ["score", "--data", str(data_dir), "--period", "2024-06", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 144 rows" in result.stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    return pd.read_csv(out, encoding="utf-8-sig", dtype={"unit_id": "str", "parent_id": "str", "period": "str"})


@pytest.fixture(scope="module")
def unit_csv(data_dir, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("out") / "units.csv"
    result = runner.invoke(app, ["score", "--data", str(data_dir), "--period", "2024-06", "--level", "unit",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 6 rows" in result.stdout
    assert "Xã Một" in result.stdout  # the ranking summary
    return pd.read_csv(out, encoding="utf-8-sig", dtype={"unit_id": "str", "period": "str"})


# ------------------------------------------------------------------------------------------ score


def test_score_prints_a_table(data_dir):
    """Without -o the indicator table is printed: unit names, indicator codes, points."""
    result = runner.invoke(app, ["score", "--data", str(data_dir), "--period", "2024-06"])
    assert result.exit_code == 0, result.output
    assert "ON_TIME" in result.stdout and "Xã Một" in result.stdout and "Tỉnh Thử" in result.stdout
    assert "10.00" in result.stdout  # C1's ON_TIME: 1/2 × 20
    assert "Dữ liệu mô phỏng" not in result.stdout  # the test data are not synthetic


def test_score_indicator_csv_columns(indicator_csv):
    """The indicator CSV starts with the contract columns; one row per unit × indicator (6 × 24)."""
    assert list(indicator_csv.columns[: len(INDICATOR_COLUMNS)]) == INDICATOR_COLUMNS
    assert len(indicator_csv) == 6 * 24
    assert set(indicator_csv["period"]) == {"2024-06"}


def test_score_indicator_csv_values(indicator_csv):
    """C1: ON_TIME 1 of 2 on time → 10 of 20; DOSSIER_SYNC 1 of 2 synced → 3 of 6; the province sums its units."""
    t = indicator_csv.set_index(["unit_id", "indicator"])
    row = t.loc[("C1", "ON_TIME")]
    assert (row["unit_name"], row["unit_kind"], row["parent_id"], row["group"]) == ("Xã Một", "commune", "H1",
                                                                                 "PROGRESS")
    assert (row["numerator"], row["denominator"], row["ratio"], row["points"], row["max_points"]) == (1, 2, 0.5,
                                                                                                       10, 20)
    assert row["status"] == "confirmed"
    sync = t.loc[("C1", "DOSSIER_SYNC")]
    assert (sync["numerator"], sync["denominator"], sync["points"]) == (1, 2, 3)
    province = t.loc[("P", "ON_TIME")]
    assert (province["numerator"], province["denominator"], province["points"]) == (1, 2, 10)
    assert pd.isna(t.loc[("P", "ON_TIME"), "parent_id"])


def test_score_indicator_csv_empty_rules(indicator_csv):
    """C2 has no dossiers or petitions: ON_TIME (none) empty, petitions (full) 6, DOSSIER_RECEIVING (zero) 0."""
    t = indicator_csv.set_index(["unit_id", "indicator"])
    assert t.loc[("C2", "ON_TIME"), "denominator"] == 0
    assert pd.isna(t.loc[("C2", "ON_TIME"), "points"])
    assert pd.isna(t.loc[("C2", "ON_TIME"), "ratio"])
    assert t.loc[("C2", "PETITION_PROCESSING_ON_TIME"), "points"] == 6
    assert t.loc[("C2", "PETITION_HANDLING_SATISFACTION"), "points"] == 6
    assert t.loc[("C2", "DOSSIER_RECEIVING_SATISFACTION"), "points"] == 0


def test_score_unit_csv_columns(unit_csv):
    """The unit CSV carries the contract columns, one row per unit."""
    assert set(UNIT_COLUMNS) <= set(unit_csv.columns)
    assert unit_csv["unit_id"].tolist() == ["P", "D1", "D2", "H1", "C1", "C2"]


def test_score_unit_csv_values(unit_csv):
    """Group points, total, rank among communes and band for C1 and C2, worked out by hand.

    C1: TRANSPARENCY 3 (sync 1/2 × 6; the province-level three have no data), PROGRESS 10,
    SATISFACTION 6 + 6 (no petitions: full) + 3.33 (1 of 2 handled dossiers not late: 6 × 0.5/0.9),
    DIGITIZATION 2 (C1 issues e-certified copies), nothing else: total 30.33, Yếu.
    C2: SATISFACTION 12 only: total 12, ranked 2nd of 2 communes.
    """
    t = unit_csv.set_index("unit_id")
    c1 = t.loc["C1"]
    assert [c1[g] for g in GROUPS] == pytest.approx([3.0, 10.0, 0.0, 0.0, 15.33, 2.0])
    assert c1["total"] == pytest.approx(30.33)
    assert (c1["rank"], c1["band"]) == (1, "weak")
    c2 = t.loc["C2"]
    assert [c2[g] for g in GROUPS] == pytest.approx([0.0, 0.0, 0.0, 0.0, 12.0, 0.0])
    assert c2["total"] == pytest.approx(12.0)
    assert c2["rank"] == 2
    assert (t.loc["C1", "unit_kind"], t.loc["P", "unit_kind"]) == ("commune", "province")
    assert t.loc["P", "rank"] == 1  # alone among provinces
    # H1 and P sum C1's and C2's counts: ON_TIME 1/2, sync 1/2, handled 1/2, e-copies 1 of 2 communes:
    # 3 + 10 + 15.33 + 1 = 29.33.
    assert t.loc["H1", "total"] == pytest.approx(29.33)
    assert t.loc["P", "total"] == pytest.approx(29.33)
    assert t.loc["P", "DIGITIZATION"] == pytest.approx(1.0)


def test_score_unit_ties_rank_equally(unit_csv):
    """D1 and D2 have no data and the same total (12: the two petition indicators' full rule): both rank 1."""
    t = unit_csv.set_index("unit_id")
    assert t.loc["D1", "total"] == pytest.approx(12.0) and t.loc["D2", "total"] == pytest.approx(12.0)
    assert (t.loc["D1", "rank"], t.loc["D2", "rank"]) == (1, 1)


def test_score_latest_period(data_dir):
    """--period latest means the last month with receipts (June 2024 here)."""
    result = runner.invoke(app, ["score", "--data", str(data_dir), "--period", "latest", "--level", "unit"])
    assert result.exit_code == 0, result.output
    assert "2024-06" in result.stdout


def test_score_synthetic_banner(tmp_path):
    """Synthetic data are labelled as such in the printed output."""
    ds = make_dataset(dossiers=[{}])
    ds.meta = {"source": "synthetic"}
    path = write_dataset(ds, tmp_path)
    result = runner.invoke(app, ["score", "--data", str(path), "--period", "2024-06"])
    assert result.exit_code == 0, result.output
    assert "Dữ liệu mô phỏng" in result.stdout


def test_score_invalid_period_in_process(data_dir):
    """In-process too, an invalid period is exit 2 with one line naming the label."""
    result = runner.invoke(app, ["score", "--data", str(data_dir), "--period", "2024-13"])
    assert result.exit_code == 2
    assert result.stderr.startswith("chiso: error: period '2024-13'")
    assert "Traceback" not in result.stderr


def test_score_invalid_period_exit_code_subprocess(data_dir):
    """A bad --period: exit 2, one line `chiso: error: …` naming the label, no traceback."""
    proc = run_subprocess("score", "--data", str(data_dir), "--period", "2024-13")
    assert_user_error(proc.returncode, proc.stderr, "2024-13")
    assert proc.stdout == ""


def test_score_missing_data_dir_exit_code_subprocess(tmp_path):
    """A data directory that does not exist: exit 2, one line naming it."""
    missing = tmp_path / "no-such-data"
    proc = run_subprocess("score", "--data", str(missing), "--period", "2024-06")
    assert_user_error(proc.returncode, proc.stderr, "no-such-data")


@pytest.mark.parametrize("period", ["2024-Q5", "2025-W53", "garbage", "2024-06-15..2024-06-01"])
def test_score_invalid_periods_in_main(monkeypatch, capsys, data_dir, period):
    """Every unparseable period is a user error (exit 2) through the console entry point."""
    code, _, err = run_main(monkeypatch, capsys, "score", "--data", str(data_dir), "--period", period)
    assert_user_error(code, err, period)


def test_score_bad_level_and_lang(monkeypatch, capsys, data_dir):
    """--level and --lang outside their choices are user errors."""
    code, _, err = run_main(monkeypatch, capsys, "score", "--data", str(data_dir), "--period", "2024-06",
                            "--level", "province")
    assert_user_error(code, err, "--level")
    code, _, err = run_main(monkeypatch, capsys, "score", "--data", str(data_dir), "--period", "2024-06",
                            "--lang", "fr")
    assert_user_error(code, err, "--lang")


def test_score_broken_dataset_is_a_user_error(monkeypatch, capsys, tmp_path):
    """A dataset that breaks the contract: exit 2 with the contract message."""
    ds = make_dataset(dossiers=[{}])
    ds.dossiers = ds.dossiers.assign(channel=[5])
    path = write_dataset(ds, tmp_path)
    code, _, err = run_main(monkeypatch, capsys, "score", "--data", str(path), "--period", "2024-06")
    assert_user_error(code, err, "table 'dossiers'", "column 'channel'")


@pytest.mark.parametrize("args, fragment", [
    (["score", "--data", "DATA"], "period"),  # a required option left out
    (["score", "--data", "DATA", "--perod", "2024-06"], "--perod"),  # a misspelled option
    (["scroe"], "scroe"),  # an unknown command
])
def test_usage_errors_exit_2_without_traceback(monkeypatch, capsys, data_dir, args, fragment):
    """Click usage errors keep click's exit code 2 and message, without a traceback."""
    args = [str(data_dir) if a == "DATA" else a for a in args]
    try:
        code, _, err = run_main(monkeypatch, capsys, *args)
    except Exception as exc:  # report a crash as a failure with its cause, not an error
        pytest.fail(f"chiso.cli.main crashed on a usage error: {exc!r}")
    assert code == 2, err
    assert "Traceback" not in err and fragment in err


# ----------------------------------------------------------------------------------- score-counts

COUNTS_CSV = """\
unit_id,period,indicator,numerator,denominator,note
H44,2026-08,ON_TIME,45,50,a
H44,2026-08,ONLINE_DOSSIER_SHARE,30,100,b
H44.07,2026-08,ONLINE_DOSSIER_SHARE,70,100,c
H44,2026-08,PETITION_PROCESSING_ON_TIME,0,0,d
H44,2026-08,ONLINE_PAYMENT_DOSSIER,0,0,e
H44,2026-08,DOSSIER_SYNC,0,0,f
H44,2026-08,ONLINE_PAYMENT_PROCEDURE,7,10,g
H44,2026-08,DOSSIER_RECEIVING_SATISFACTION,81,100,h
H44,2026-08,AVG_PROCESSING_TIME,123,30,i
H44.100,2026-08,ON_TIME,50,50,j
"""

# (points, ratio) by note, by hand: max × min(1, ratio / target).
EXPECTED = {
    "a": (18.0, 0.9),      # 20 × 0.9
    "b": (3.6, 0.3),       # 6 × 0.3 / 0.5
    "c": (6.0, 0.7),       # 6 × min(1, 0.7 / 0.5): capped
    "d": (6.0, None),      # empty, rule full
    "e": (0.0, None),      # empty, rule zero
    "f": (None, None),     # empty, rule none: no score
    "g": (1.75, 0.7),      # 2 × 0.7 / 0.8
    "h": (5.4, 0.81),      # 6 × 0.81 / 0.9
    "i": (0.0, 4.1),       # monitoring mean: 0 points, numerator may exceed denominator
    "j": (20.0, 1.0),
}


def write_counts(tmp_path: Path, text: str, name: str = "counts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_score_counts_points(tmp_path):
    """Each hand-entered count scores as the spec's formula and empty rules say; extra columns pass through."""
    counts = write_counts(tmp_path, COUNTS_CSV)
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score-counts", str(counts), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 10 rows" in result.stdout
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"unit_id": "str", "period": "str"})
    assert table["note"].tolist() == list(EXPECTED)  # passed through, order kept
    assert table["unit_id"].tolist()[:3] == ["H44", "H44", "H44.07"]
    for _, row in table.iterrows():
        points, ratio = EXPECTED[row["note"]]
        if points is None:
            assert pd.isna(row["points"]), row["note"]
        else:
            assert row["points"] == pytest.approx(points), row["note"]
        if ratio is None:
            assert pd.isna(row["ratio"]), row["note"]
        else:
            assert row["ratio"] == pytest.approx(ratio), row["note"]
    first = table.iloc[0]
    assert (first["group"], first["max_points"], first["status"]) == ("PROGRESS", 20, "confirmed")


def test_score_counts_prints(tmp_path):
    """Without -o the scored counts are printed, empty points shown as a dash."""
    counts = write_counts(tmp_path, COUNTS_CSV)
    result = runner.invoke(app, ["score-counts", str(counts)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    on_time = next(line for line in lines if "ON_TIME" in line and " a " in f" {line} ")
    assert "18.00" in on_time
    sync = next(line for line in lines if "DOSSIER_SYNC" in line)
    assert "–" in sync


def test_score_counts_reads_excel_bom(tmp_path):
    """A CSV saved by Excel (UTF-8 with BOM) reads its first header as unit_id."""
    counts = write_counts(tmp_path, "unit_id,period,indicator,numerator,denominator\nH44,2026-08,ON_TIME,45,50\n",
                          encoding="utf-8-sig")
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score-counts", str(counts), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out, encoding="utf-8-sig")["points"].tolist() == [18.0]


HEADER = "unit_id,period,indicator,numerator,denominator\n"


@pytest.mark.parametrize(
    "body, fragments",
    [
        # unknown code on the second data row = line 3 of the file (header is line 1)
        ("H44,2026-08,ON_TIME,45,50\nH44,2026-08,ON_TIEM,1,2\n", ["line 3", "ON_TIEM", "indicator"]),
        ("H44,2026-08,ON_TIME,-1,50\n", ["line 2", "numerator", "negative"]),
        ("H44,2026-08,ON_TIME,1,50\nH44,2026-08,ON_TIME,1,-50\n", ["line 3", "denominator", "negative"]),
        ("H44,2026-08,ON_TIME,1,2\nH44.01,2026-08,ON_TIME,2,2\nH44.02,2026-08,ON_TIME,60,50\n",
         ["line 4", "60", "50", "ON_TIME"]),
        ("H44,2026-08,ON_TIME,abc,50\n", ["line 2", "numerator", "abc"]),
    ],
)
def test_score_counts_errors_name_the_line(monkeypatch, capsys, tmp_path, body, fragments):
    """Bad counts: exit 2, one line naming the file line and the problem, no traceback."""
    counts = write_counts(tmp_path, HEADER + body)
    code, _, err = run_main(monkeypatch, capsys, "score-counts", str(counts))
    assert_user_error(code, err, str(counts), *fragments)


def test_score_counts_missing_column(monkeypatch, capsys, tmp_path):
    """A counts file without a required column names it."""
    counts = write_counts(tmp_path, "unit_id,period,indicator,numerator\nH44,2026-08,ON_TIME,45\n")
    code, _, err = run_main(monkeypatch, capsys, "score-counts", str(counts))
    assert_user_error(code, err, "denominator")


def test_score_counts_missing_file(monkeypatch, capsys, tmp_path):
    """A counts file that does not exist is a user error naming it."""
    code, _, err = run_main(monkeypatch, capsys, "score-counts", str(tmp_path / "nope.csv"))
    assert_user_error(code, err, "nope.csv")


def test_score_counts_unknown_code_exit_code_subprocess(tmp_path):
    """As a real process: unknown indicator code on line 3 → exit 2, one line, no traceback."""
    counts = write_counts(tmp_path, HEADER + "H44,2026-08,ON_TIME,45,50\nH44,2026-08,NOT_A_CODE,1,2\n")
    proc = run_subprocess("score-counts", str(counts))
    assert_user_error(proc.returncode, proc.stderr, "line 3", "NOT_A_CODE")


def test_score_counts_success_exit_code_subprocess(tmp_path):
    """As a real process: good counts → exit 0 and ON_TIME 45/50 printed as 18.00."""
    counts = write_counts(tmp_path, HEADER + "H44,2026-08,ON_TIME,45,50\n")
    proc = run_subprocess("score-counts", str(counts))
    assert proc.returncode == 0, proc.stderr
    assert "18.00" in proc.stdout and proc.stderr == ""


def test_score_counts_rejects_a_duplicate_row_and_a_bad_period(tmp_path):
    """The same unit, period and indicator twice is an error naming the second line; so is a
    period label that is not one."""
    dup = tmp_path / "dup.csv"
    dup.write_text("unit_id,period,indicator,numerator,denominator\n"
                   "H44,2026-08,ON_TIME,1,2\nH44,2026-08,ON_TIME,2,2\n", encoding="utf-8")
    result = runner.invoke(app, ["score-counts", str(dup)])
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "second row" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,period,indicator,numerator,denominator\nH44,2026-13,ON_TIME,1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["score-counts", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "2026-13" in result.stderr
