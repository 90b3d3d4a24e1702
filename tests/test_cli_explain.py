"""`chiso explain`, `points-left` and `at-risk` on a small dataset written to disk."""

import json

import pytest
from typer.testing import CliRunner

from builders import make_dataset
from chiso.cli import app
from chiso.contract import write_dataset

runner = CliRunner()
DONE = {"ended_at": "2024-05-06 08:00", "end_status": "finished"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """May: two on-time dossiers at C1. June: one on time, one late at C1 (due 10 June).
    C1's ON_TIME falls from 2/2 to 1/2: −10 points, all of it in field Hộ tịch (one field)."""
    ds = make_dataset(dossiers=[
        {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00", **DONE},
        {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00", **DONE},
        {"ended_at": "2024-06-05 08:00", "end_status": "finished"},
        {"ended_at": "2024-06-12 08:00", "end_status": "finished"},
    ])
    ds.meta = {"source": "synthetic"}
    return write_dataset(ds, tmp_path_factory.mktemp("data"))


def test_explain_json_has_the_contract_keys(data_dir):
    result = runner.invoke(app, ["explain", "--data", str(data_dir), "--unit", "C1", "--period", "2024-06",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["baseline"] == "2024-05"
    progress = next(g for g in doc["groups"] if g["group"] == "PROGRESS")
    on_time = next(i for i in progress["indicators"] if i["indicator"] == "ON_TIME")
    assert on_time["change"] == pytest.approx(-10.0)
    seg = on_time["segments"][0]
    assert seg["segment"] == "Hộ tịch"
    assert seg["rate_effect"] == pytest.approx(-10.0) and seg["mix_effect"] == pytest.approx(0.0)
    assert seg["contribution"] == pytest.approx(-10.0)
    assert doc["total_change"] == pytest.approx(sum(g["change"] for g in doc["groups"]))
    assert any("giảm" in s for s in doc["narrative"])


def test_explain_table_and_csv(data_dir, tmp_path):
    result = runner.invoke(app, ["explain", "--data", str(data_dir), "--unit", "H1", "--period", "2024-06",
                                 "--by", "child"])
    assert result.exit_code == 0, result.output
    assert "Xã Một" in result.stdout and "ON_TIME" in result.stdout
    out = tmp_path / "explain.csv"
    result = runner.invoke(app, ["explain", "--data", str(data_dir), "--unit", "H1", "--period", "2024-06",
                                 "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    for col in ("group", "indicator", "segment", "rate_effect", "mix_effect", "contribution"):
        assert col in header


@pytest.mark.parametrize("args,fragment", [
    (["--unit", "NOPE", "--period", "2024-06"], "unknown unit 'NOPE'"),
    (["--unit", "C1", "--period", "2024-06", "--by", "colour"], "--by"),
    (["--unit", "C1", "--period", "2024-06", "--format", "xml"], "--format"),
    (["--unit", "C1", "--period", "June"], "period 'June'"),
])
def test_explain_user_errors(data_dir, args, fragment):
    result = runner.invoke(app, ["explain", "--data", str(data_dir), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("chiso: error:") and fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_points_left_and_at_risk_commands(data_dir):
    result = runner.invoke(app, ["points-left", "--data", str(data_dir), "--unit", "C1", "--period", "2024-06"])
    assert result.exit_code == 0, result.output
    assert "thêm 1 hồ sơ được xử lý đúng hạn" in result.stdout
    result = runner.invoke(app, ["at-risk", "--data", str(data_dir), "--as-of", "2024-06-07", "--within", "2"])
    assert result.exit_code == 0, result.output
    assert "dossiers at risk" in result.stdout
    result = runner.invoke(app, ["at-risk", "--data", str(data_dir), "--as-of", "someday"])
    assert result.exit_code == 2 and "--as-of" in result.stderr
