"""The monthly batch: a papermill smoke run of both report notebooks on a small synthetic province,
continue-on-error, the manifest, offline self-contained pages, incremental rebuilds."""

import json
import re

import pytest
from typer.testing import CliRunner

from chiso.batch import BatchError, OVERVIEW_KEY, QUALITY_KEY, UNIT_NOTEBOOK, check_parameters, run_batch, _as_ipynb
from chiso.cli import app
from chiso.demo import generate_to

DISTRICT = "H27.36"  # UBND huyện Gia Bình


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return generate_to(tmp_path_factory.mktemp("data"), scale=0.05, months=3)


@pytest.fixture(scope="module")
def first_run(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(data_dir, "latest", units=f"{DISTRICT},NOPE", out=out, jobs=2, progress=False)
    return out, result


def test_a_failing_unit_leaves_the_rest_complete(first_run):
    out, result = first_run
    status = {o.key: o.status for o in result.outcomes}
    assert status == {OVERVIEW_KEY: "ok", QUALITY_KEY: "ok", DISTRICT: "ok", "NOPE": "failed"}
    failure = result.failures[0]
    assert "unknown unit 'NOPE'" in failure.error
    error_page = (out / result.period / "NOPE.html").read_text(encoding="utf-8")
    assert "unknown unit" in error_page and "Không tạo được báo cáo" in error_page
    index = (out / result.period / "index.html").read_text(encoding="utf-8")
    assert "NOPE" in index and "unknown unit" in index  # the error is listed in the index


def test_every_report_has_its_page_its_executed_notebook_and_a_manifest_entry(first_run):
    out, result = first_run
    folder = out / result.period
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == result.period
    assert manifest["data_source"] == "synthetic"
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["data_fingerprint"])
    assert manifest["code_version"].startswith("0.1.0+")
    for key in (OVERVIEW_KEY, QUALITY_KEY, DISTRICT, "NOPE"):
        entry = manifest["reports"][key]
        assert (folder / f"{key}.html").exists()
        assert (folder / f"{key}.ipynb").exists()
        assert entry["seconds"] > 0
        assert entry["parameters"]["period"] == result.period
    assert manifest["reports"][DISTRICT]["parameters"]["unit_id"] == DISTRICT
    assert manifest["reports"][QUALITY_KEY]["parameters"]["data"] == manifest["data_dir"]
    assert not list(folder.glob("*.tmp*")) and not list(folder.glob(".*.tmp*"))  # nothing half-written


def test_pages_are_self_contained_offline_and_without_code(first_run):
    out, result = first_run
    page = (out / result.period / f"{DISTRICT}.html").read_text(encoding="utf-8")
    assert "UBND huyện Gia Bình" in page
    assert "Dữ liệu mô phỏng / synthetic data" in page
    assert page.count("window.vegaEmbed=") == 1  # the bundle once, in the head
    assert page.index("window.vegaEmbed=") < page.index("<body data-chart-count")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http|@import|cdn\.|jsdelivr|unpkg', page)
    assert "report.score_card" not in page and "from chiso import" not in page
    assert int(re.search(r'data-chart-count="(\d+)"', page)[1]) >= 5
    assert '"actions": false' in page  # no "open in Vega editor" that would send the data outside
    assert "@media print" in page and "size: A4" in page
    assert "output_stderr" not in page and "output_error" not in page  # no warnings or tracebacks shown


def test_the_data_quality_page_is_built_offline_and_linked_from_the_index(first_run):
    out, result = first_run
    folder = out / result.period
    page = (folder / f"{QUALITY_KEY}.html").read_text(encoding="utf-8")
    assert "<h1>Chất lượng dữ liệu</h1>" in page and "Đơn vị có vấn đề, nặng nhất trước" in page  # per-unit table
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http|@import|cdn\.|jsdelivr|unpkg', page)
    assert "output_error" not in page and "from chiso import" not in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert f"href='{QUALITY_KEY}.html'" in index and f"href='{OVERVIEW_KEY}.html'" in index


def test_rerun_is_incremental_and_force_rebuilds(first_run, data_dir):
    out, _ = first_run
    again = run_batch(data_dir, "latest", units=f"{DISTRICT},NOPE", out=out, jobs=1, progress=False)
    status = {o.key: o.status for o in again.outcomes}
    assert status[OVERVIEW_KEY] == "skipped" and status[DISTRICT] == "skipped"
    assert status["NOPE"] == "failed"  # failures are retried every run
    forced = run_batch(data_dir, "latest", units=DISTRICT, out=out, jobs=1, progress=False, overview=False, force=True)
    assert [o.status for o in forced.outcomes] == ["ok"]


def test_unknown_notebook_parameter_is_refused(tmp_path):
    notebook = _as_ipynb(UNIT_NOTEBOOK, tmp_path)
    check_parameters(notebook, {"unit_id": "x", "period": "2024-06", "baseline": "", "data_dir": ".", "lang": "vi"})
    with pytest.raises(BatchError, match=r"no parameter\(s\) \['unit_idd'\]"):
        check_parameters(notebook, {"unit_idd": "x"})


def test_cli_exits_non_zero_listing_failures(data_dir, tmp_path):
    result = CliRunner().invoke(app, ["reports", "--data", str(data_dir), "--units", "NOPE", "--out", str(tmp_path),
                                      "--jobs", "1"])
    assert result.exit_code == 1
    assert "failed: NOPE" in result.stderr
    assert "index:" in result.stdout


def test_run_set_file_is_validated(tmp_path, data_dir):
    bad = tmp_path / "bad.yaml"
    bad.write_text('data: "x"\nperiods: "2024-06"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["reports", "--config", str(bad)])
    assert result.exit_code == 2 and "unknown key(s) ['periods']" in result.stderr
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text(f'data: "{data_dir}"\nperiod: 2024\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["reports", "--config", str(unquoted)])
    assert result.exit_code == 2 and "quoted string" in result.stderr


def _fake_job(tmp_path):
    from chiso.batch import Job

    return Job("U1", "unused.ipynb", {"unit_id": "U1"}, str(tmp_path / "U1.html"), str(tmp_path / "U1.ipynb"),
               "Đơn vị thử", "fp")


def _kernel_dies(monkeypatch, deaths: int):
    """papermill raises DeadKernelError `deaths` times, then succeeds; restarts are counted."""
    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError

    import chiso.batch as batch

    calls = {"runs": 0, "restarts": 0}

    class AliveKernel:
        def is_alive(self):
            return True

    def execute(notebook, output, **kwargs):
        calls["runs"] += 1
        if calls["runs"] <= deaths:
            raise DeadKernelError("Kernel died")
        nb = nbformat.v4.new_notebook()
        nbformat.write(nb, output)
        return nb

    monkeypatch.setattr(batch, "_KM", AliveKernel())
    monkeypatch.setattr(batch, "_restart_kernel", lambda: calls.__setitem__("restarts", calls["restarts"] + 1))
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


def test_a_dead_kernel_is_restarted_and_the_report_retried_once(monkeypatch, tmp_path):
    from chiso.batch import _execute

    calls = _kernel_dies(monkeypatch, deaths=1)
    outcome = _execute(_fake_job(tmp_path), "vi", False)
    assert (outcome.status, outcome.attempts, calls["restarts"]) == ("ok", 2, 1)
    assert (tmp_path / "U1.html").exists() and (tmp_path / "U1.ipynb").exists()


def test_a_kernel_that_dies_twice_fails_the_report_only(monkeypatch, tmp_path):
    from chiso.batch import _execute

    calls = _kernel_dies(monkeypatch, deaths=2)
    outcome = _execute(_fake_job(tmp_path), "vi", False)
    assert (outcome.status, outcome.attempts, calls["restarts"]) == ("failed", 2, 1)
    assert "DeadKernelError" in outcome.error
    assert "Kernel died" in (tmp_path / "U1.html").read_text(encoding="utf-8")


def test_warm_kernel_reports_do_not_leak_open_files(data_dir, tmp_path):
    """Many reports in one warm kernel keep the worker's open files flat (papermill's default
    engine leaked a kernel client, ~10 descriptors, per report)."""
    import os

    import chiso.batch as batch

    notebook = batch._as_ipynb(batch.UNIT_NOTEBOOK, tmp_path / "nb")
    ds_period = json.loads((data_dir / "dataset.json").read_text(encoding="utf-8"))["last_month"]
    params = {"unit_id": DISTRICT, "period": ds_period, "baseline": "", "data_dir": str(data_dir), "lang": "vi"}
    batch._worker_init()
    try:
        counts = []
        for i in range(8):
            job = batch.Job(DISTRICT, str(notebook), params, str(tmp_path / f"r{i}.html"), str(tmp_path / f"r{i}.ipynb"),
                            "t", "fp")
            assert batch._execute(job, "vi", True).status == "ok"
            counts.append(len(os.listdir("/proc/self/fd")))
        assert counts[-1] - counts[1] <= 2, counts
    finally:
        batch._shutdown_kernel()
