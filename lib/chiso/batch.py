"""The monthly batch: one report notebook per unit (and the province overview) run with papermill
into offline HTML, plus an index page and a manifest.

Speed comes from warm kernels: each worker process starts one kernel and papermill runs every
report of that worker in it (`km=`), so imports and the dataset load once per worker, not once per
report. Each report runs the whole notebook top to bottom with its own injected parameters, so
nothing of one report is left in the next one's output. A kernel that dies or fails to start is
restarted and the report retried once. A failing report gets an error page and a row in the index;
the batch goes on and the command exits non-zero naming the failures. Outputs are written to a
temporary name and renamed, so a crash never leaves a half-written page. A report whose inputs
(data, methodology, notebook, code, parameters) have not changed is not rebuilt unless forced.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .methodology import DEFAULT_METHODOLOGY, REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
UNIT_NOTEBOOK = NOTEBOOKS / "unit_report.py"
OVERVIEW_NOTEBOOK = NOTEBOOKS / "province_overview.py"
OVERVIEW_KEY = "province_overview"
QUALITY_NOTEBOOK = NOTEBOOKS / "data_quality.py"
QUALITY_KEY = "data_quality"  # built with the overview: what the data may be costing, per unit


class BatchError(ValueError):
    """A batch that cannot start (bad parameters, unknown units): one line for the user."""


@dataclass
class Job:
    key: str  # unit_id, or OVERVIEW_KEY
    notebook: str  # the .ipynb made from the Jupytext source
    parameters: dict
    html: str
    ipynb: str
    title: str
    fingerprint: str


@dataclass
class Outcome:
    key: str
    status: str  # ok | failed | skipped
    seconds: float = 0.0
    error: str = ""
    attempts: int = 1


@dataclass
class BatchResult:
    period: str
    out_dir: str
    index: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# ------------------------------------------------------------------------------ fingerprints
def _hash_files(paths) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def data_fingerprint(data_dir: Path) -> str:
    return _hash_files(p for p in Path(data_dir).iterdir() if p.suffix in (".parquet", ".json"))


def code_version() -> str:
    """chiso's version plus a hash of its source and the notebooks: any code change shows."""
    from . import __version__

    sources = list((REPO_ROOT / "lib" / "chiso").glob("*.py")) + [UNIT_NOTEBOOK, OVERVIEW_NOTEBOOK]
    return f"{__version__}+{_hash_files(sources)}"


# ------------------------------------------------------------------------------ parameters
def notebook_parameters(notebook: Path) -> set[str]:
    """The names declared in the notebook's `parameters` cell."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)).keys())


def check_parameters(notebook: Path, parameters: dict) -> None:
    """papermill only warns on an unknown name; chiso refuses to run with one."""
    declared = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise BatchError(f"notebook '{notebook.name}' has no parameter(s) {unknown}; "
                         f"its parameters are {sorted(declared)}")


def _as_ipynb(source: Path, cache: Path) -> Path:
    """Jupytext .py → .ipynb (papermill reads .ipynb), cached beside the reports."""
    import jupytext

    cache.mkdir(parents=True, exist_ok=True)
    target = cache / (source.stem + ".ipynb")
    nb = jupytext.read(source)
    text = jupytext.writes(nb, fmt="ipynb")
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        _atomic_write(target, text)
    return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------- workers
_KM = None
_KC = None  # one kernel client per worker, reused by every report (nbclient would leak one per run)


@functools.cache
def _warm_engine() -> str:
    """A papermill engine that runs in this worker's warm kernel through one reused client.

    papermill's default engine, given `km=`, opens a new kernel client per notebook and never
    closes it (nbclient only cleans up what it owns): ~10 open files a report, until ZeroMQ runs
    out of descriptors. Reusing one client also saves the client's 0.2 s readiness wait.
    """
    from nbclient.util import ensure_async, run_hook, run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class WarmClient(PapermillNotebookClient):
        async def async_start_new_kernel_client(self):
            global _KC
            if _KC is None:
                kc = self.km.client()
                await ensure_async(kc.start_channels())
                await ensure_async(kc.wait_for_ready(timeout=self.startup_timeout))
                kc.allow_stdin = False
                _KC = kc
            self.kc = _KC
            await run_hook(self.on_notebook_start, notebook=self.nb)
            return self.kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)  # the sync path binds it here

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name, log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            return WarmClient(nb_man, **final).execute()

    papermill_engines.register("chiso-warm", WarmKernelEngine)
    return "chiso-warm"


def _start_kernel():
    """A kernel talking over local IPC sockets: no TCP ports to race for between parallel workers
    (the "Address already in use" failure), and nothing listening on the network."""
    import tempfile

    from jupyter_client import KernelManager

    sockets = tempfile.mkdtemp(prefix="chiso-kernel-")
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
    km.start_kernel(cwd=str(NOTEBOOKS))
    return km


def _worker_init() -> None:
    os.environ["CHISO_BATCH"] = "1"  # charts leave the Vega bundle to the page head
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    global _KM
    try:
        _KM = _start_kernel()
    except Exception:  # a port race or a slow start: one retry
        _KM = _start_kernel()
    from multiprocessing.util import Finalize

    Finalize(None, _shutdown_kernel, exitpriority=10)  # runs when the worker process exits


def _shutdown_kernel() -> None:
    global _KC
    if _KC is not None:
        try:
            _KC.stop_channels()
        except Exception:
            pass
        _KC = None
    if _KM is not None:
        try:
            _KM.shutdown_kernel(now=True)
        except Exception:
            pass
        import shutil

        shutil.rmtree(os.path.dirname(_KM.ip), ignore_errors=True)


def _restart_kernel() -> None:
    global _KM
    _shutdown_kernel()
    _KM = _start_kernel()


def _kernel_trouble(exc: Exception) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("DeadKernel", "Kernel died", "kernel died", "Address already in use",
                                   "Kernel didn't respond", "RuntimeError: Kernel"))


def _execute(job: Job, lang: str, synthetic: bool) -> Outcome:
    """Run one report in this worker's warm kernel and write its page (or an error page)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .report import error_page, notebook_page

    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        tmp_nb = Path(job.ipynb).with_name(f".{Path(job.ipynb).stem}.{os.getpid()}.tmp.ipynb")
        try:
            if _KM is None or not _KM.is_alive():
                _restart_kernel()
            nb = papermill.execute_notebook(job.notebook, str(tmp_nb), parameters=job.parameters,
                                            engine_name=_warm_engine(), km=_KM, progress_bar=False,
                                            log_output=False, cwd=str(NOTEBOOKS))
            page = notebook_page(nb, job.title, lang, synthetic)
            _atomic_write(Path(job.html), page)
            os.replace(tmp_nb, job.ipynb)
            return Outcome(job.key, "ok", time.perf_counter() - started, attempts=attempts)
        except PapermillExecutionError as exc:
            message = f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
            if os.path.exists(tmp_nb):
                os.replace(tmp_nb, job.ipynb)  # the failed run is the audit record
        except Exception as exc:  # kernel trouble: restart and retry once
            message = f"{type(exc).__name__}: {exc}"
            if _kernel_trouble(exc) and attempts == 1:
                _restart_kernel()
                continue
        _atomic_write(Path(job.html), error_page(job.title, message, lang))
        return Outcome(job.key, "failed", time.perf_counter() - started, message, attempts)


def _run_pool(todo: list[Job], workers: int, lang: str, synthetic: bool, bar) -> tuple[list[Outcome], list[Job]]:
    """Run jobs in worker processes: (outcomes, jobs lost because their worker process died)."""
    from concurrent.futures.process import BrokenProcessPool

    outcomes, lost = [], []
    # spawn, not fork: a parent that talks to a kernel (a notebook, a test) holds ZeroMQ state
    # that a forked child inherits and can hang on.
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_execute, job, lang, synthetic): job for job in todo}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                lost.append(job)
                continue
            outcomes.append(outcome)
            if bar is not None:
                bar.update(1)
                if outcome.status == "failed":
                    bar.write(f"  failed: {outcome.key}: {outcome.error}")
    return outcomes, lost


# ------------------------------------------------------------------------------------- batch
def resolve_units(ds, selector: str) -> list[str]:
    """`all`, a unit kind (`commune`), or a comma-separated list of unit ids (kept even if unknown:
    an unknown id fails in its own report, the rest of the batch goes on)."""
    units = ds.units
    if selector == "all":
        return units["unit_id"].tolist()
    if selector in ("province", "department", "district", "commune"):
        return units.loc[units["kind"] == selector, "unit_id"].tolist()
    return [u.strip() for u in selector.split(",") if u.strip()]


def run_batch(data: str | Path, period: str, units: str = "all", out: str | Path = "reports", jobs: int | None = None,
              lang: str = "vi", force: bool = False, progress: bool = True, overview: bool = True) -> BatchResult:
    """Build every report for a period; see the module docstring for the guarantees."""
    from .charts import vega_bundle
    from .cli import latest_month  # the same meaning of 'latest' as `chiso score`
    from .periods import parse_period
    from .report import cached_explainer

    if lang not in ("vi", "en"):
        raise BatchError(f"lang must be 'vi' or 'en', not '{lang}'")
    data = Path(data).resolve()
    ds = cached_explainer(data).ds  # loaded once here; the index page reuses it
    label = latest_month(ds) if period == "latest" else parse_period(period).label
    out_dir = Path(out).resolve() / label
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = Path(out).resolve() / ".notebooks"
    unit_nb = _as_ipynb(UNIT_NOTEBOOK, cache)
    overview_nb = _as_ipynb(OVERVIEW_NOTEBOOK, cache)
    quality_nb = _as_ipynb(QUALITY_NOTEBOOK, cache)
    meth_path = str(DEFAULT_METHODOLOGY)  # the report notebooks score with the default methodology
    common = {"period": label, "baseline": "", "data_dir": str(data), "lang": lang}
    check_parameters(unit_nb, {"unit_id": "", **common})
    check_parameters(overview_nb, {**common, "linked_units": "all"})
    quality_params = {"data": str(data), "period": label, "lang": lang, "methodology": ""}
    check_parameters(quality_nb, quality_params)

    base = hashlib.sha256("|".join([data_fingerprint(data), code_version(),
                                    _hash_files([meth_path])]).encode()).hexdigest()
    names = dict(zip(ds.units["unit_id"], ds.units["name"]))
    selected = resolve_units(ds, units)
    job_list = []
    linked = "all" if units == "all" else ",".join(u for u in selected if u in names)
    province_pages = {
        OVERVIEW_KEY: (overview_nb, {**common, "linked_units": linked},
                       "Tổng quan tỉnh" if lang == "vi" else "Province overview"),
        QUALITY_KEY: (quality_nb, quality_params, "Chất lượng dữ liệu" if lang == "vi" else "Data quality"),
    }
    for key in (list(province_pages) if overview else []) + selected:
        notebook, params, title = province_pages.get(key, (unit_nb, {"unit_id": key, **common}, names.get(key, key)))
        fp = hashlib.sha256((base + json.dumps(params, sort_keys=True)).encode()).hexdigest()[:20]
        job_list.append(Job(key, str(notebook), params, str(out_dir / f"{key}.html"), str(out_dir / f"{key}.ipynb"),
                            f"{title} — {label}", fp))

    manifest_path = out_dir / "manifest.json"
    previous = json.loads(manifest_path.read_text(encoding="utf-8")).get("reports", {}) if manifest_path.exists() else {}
    todo, outcomes = [], []
    for job in job_list:
        old = previous.get(job.key, {})
        if not force and old.get("status") == "ok" and old.get("fingerprint") == job.fingerprint and Path(job.html).exists():
            outcomes.append(Outcome(job.key, "skipped"))
        else:
            todo.append(job)

    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    started = time.perf_counter()
    if todo:
        bundle = cache / "vega-bundle.js"  # built once here, read by every worker
        if not bundle.exists() or bundle.read_text(encoding="utf-8") != vega_bundle():
            _atomic_write(bundle, vega_bundle())
        os.environ["CHISO_VEGA_BUNDLE"] = str(bundle)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="report", desc=f"chiso reports {label}", leave=True)
        done, lost = _run_pool(todo, workers, lang, ds.synthetic, bar)
        if lost:  # a worker process died: its unfinished reports get one more go in a fresh pool
            again, lost = _run_pool(lost, workers, lang, ds.synthetic, bar)
            done += again
        for job in lost:
            outcome = Outcome(job.key, "failed", 0.0, "the worker process died twice while building this report", 2)
            from .report import error_page

            _atomic_write(Path(job.html), error_page(job.title, outcome.error, lang))
            done.append(outcome)
        outcomes += done
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - started

    by_key = {o.key: o for o in outcomes}
    reports = {}
    for job in job_list:
        o = by_key[job.key]
        if o.status == "skipped":
            reports[job.key] = previous[job.key] | {"skipped": True}
            continue
        reports[job.key] = {"status": o.status, "seconds": round(o.seconds, 3), "attempts": o.attempts,
                            "error": o.error, "fingerprint": job.fingerprint, "parameters": job.parameters,
                            "html": Path(job.html).name, "ipynb": Path(job.ipynb).name, "skipped": False}
    manifest = {
        "period": label, "lang": lang, "data_dir": str(data), "data_fingerprint": data_fingerprint(data),
        "data_source": ds.meta.get("source", "unknown"), "code_version": code_version(),
        "methodology": meth_path, "workers": workers, "seconds": round(elapsed, 3),
        "built": sum(1 for o in outcomes if o.status != "skipped"), "reports": reports,
    }
    _atomic_write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2))
    index = out_dir / "index.html"
    _atomic_write(index, index_page(ds, label, reports, lang, overview))
    return BatchResult(label, str(out_dir), str(index), outcomes)


def index_page(ds, period: str, reports: dict, lang: str = "vi", overview: bool = True) -> str:
    """Ranking with links, a search box, the province overview link, failures with their message."""
    from .report import esc, page, ranking_tables, report_context

    ctx = report_context(str(ds.path), period, "", lang)  # cached: the batch loaded it already
    words = {"vi": ("Báo cáo Bộ chỉ số phục vụ người dân, doanh nghiệp", "Kỳ", "Tổng quan toàn tỉnh",
                    "Tìm đơn vị…", "Báo cáo lỗi", "Đơn vị", "Lỗi", "Chất lượng dữ liệu"),
             "en": ("Service to citizens and businesses index: reports", "Period", "Province overview",
                    "Search units…", "Reports that failed", "Unit", "Error", "Data quality")}[lang]
    failed = {k: v for k, v in reports.items() if v.get("status") == "failed"}
    body = [f"<h1>{esc(words[0])}</h1><p class='muted'>{esc(words[1])} {esc(period)}</p>"]
    links = [f"<a href='{key}.html'><b>{esc(text)}</b></a>" for key, text in
             ((OVERVIEW_KEY, words[2]), (QUALITY_KEY, words[7])) if reports.get(key, {}).get("status") == "ok"]
    if overview and links:
        body.append(f"<p>{' · '.join(links)}</p>")
    if failed:
        rows = "".join(f"<tr><td><a href='{esc(k)}.html'>{esc(k)}</a></td><td>{esc(v.get('error', ''))}</td></tr>"
                       for k, v in failed.items())
        body.append(f"<h2>{esc(words[4])} ({len(failed)})</h2><div class='error'><table><thead><tr>"
                    f"<th>{esc(words[5])}</th><th>{esc(words[6])}</th></tr></thead><tbody>{rows}</tbody></table></div>")
    body.append(f'<input class="search" type="search" id="search" placeholder="{esc(words[3])}" '
                f'oninput="chisoFilter(this.value)">')
    built = {k for k, v in reports.items() if v.get("status") in ("ok", "failed")}
    body.append(ranking_tables(ctx, linked=built))
    body.append("""<script>
function chisoFilter(q) {
  q = q.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
  document.querySelectorAll('table tbody tr').forEach(function (tr) {
    var t = tr.textContent.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
    tr.style.display = t.indexOf(q) >= 0 ? '' : 'none';
  });
}
</script>""")
    return page(words[0] + f" — {period}", "".join(body), lang, ds.synthetic)
