"""Benchmark (not a test): the monthly report batch against the naive papermill + nbconvert pipeline.

1. The batch: `run_batch(data, period, units="all", jobs=os.cpu_count(), force=True)`, every unit
   plus the province overview in warm kernels. Printed: reports built, total seconds, seconds per
   report amortized, the parent's own phases, and peak memory.
2. The naive pipeline on a subset of units (`--naive-units`, evenly spaced over the unit list, so
   the mix of unit kinds follows the batch's): per report, the `papermill` command line (a fresh
   kernel: imports and the dataset load every time) then `jupyter nbconvert --to html --no-input`.
3. Where a warm worker's time goes (`--breakdown K`, 0 skips it): one kernel, K reports run the way
   a batch worker runs them, timed per notebook cell (papermill's own per-cell durations), plus
   papermill's overhead (new kernel client per report, notebook saves), the nbconvert export and
   the page assembly and write; the threads and file descriptors the worker keeps; then the cells
   once more in-process under cProfile, for the chiso functions and library layers behind them.

    .venv/bin/python benchmarks/bench_reports.py [--data data/demo] [--period latest] [--naive-units 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
BIN = Path(sys.executable).parent  # the virtualenv's bin (not resolved: .venv/bin/python is a symlink)


# ------------------------------------------------------------------------------------ memory
def self_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """The largest single descendant that has exited and been waited for (a worker or a kernel)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class TreeSampler:
    """Samples the RSS of this process and all its descendants (workers, kernels) every `every` s.

    The sum counts pages shared between forked processes once per process: an upper bound."""

    def __init__(self, every: float = 0.1):
        self.every, self.peak_sum_mb, self.peak_procs = every, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil  # a dependency of ipykernel, so present wherever the batch runs

        me = psutil.Process()
        while not self._stop.is_set():
            total, procs = 0, 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                    procs += 1
                except psutil.Error:
                    pass
            if total / 2**20 > self.peak_sum_mb:
                self.peak_sum_mb, self.peak_procs = total / 2**20, procs
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------ helpers
def resolve_period(data: Path, period: str) -> str:
    if period != "latest":
        return period
    return json.loads((data / "dataset.json").read_text(encoding="utf-8"))["last_month"]


def pick_units(data: Path, n: int) -> list[str]:
    """`n` unit ids evenly spaced over units.parquet (province, departments, districts, communes)."""
    import pandas as pd

    ids = pd.read_parquet(data / "units.parquet", columns=["unit_id"])["unit_id"].tolist()
    if n >= len(ids):
        return ids
    if n == 1:
        return [ids[0]]
    return [ids[round(i * (len(ids) - 1) / (n - 1))] for i in range(n)]


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def timed(fn, box: dict, key: str):
    """Wrap `fn` so each call adds its seconds to box[key] (instrumentation only, no behaviour change)."""

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            box[key] = box.get(key, 0.0) + time.perf_counter() - t

    return wrapper


def run(cmd: list[str], env: dict, what: str) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=str(REPO), capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise SystemExit(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return seconds


# -------------------------------------------------------------------------------------- batch
def bench_batch(data: Path, period: str, out: Path, jobs: int) -> dict:
    import chiso.batch as batch
    import chiso.contract as contract

    phases: dict[str, float] = {}
    real_load, real_index = contract.load_dataset, batch.index_page
    contract.load_dataset = timed(real_load, phases, "load_dataset")  # run_batch imports it at call time
    batch.index_page = timed(real_index, phases, "index_page")
    try:
        with TreeSampler() as tree:
            t = time.perf_counter()
            result = batch.run_batch(data, period, units="all", out=out, jobs=jobs, force=True)
            total = time.perf_counter() - t
    finally:
        contract.load_dataset, batch.index_page = real_load, real_index
    manifest = json.loads((Path(result.out_dir) / "manifest.json").read_text(encoding="utf-8"))
    built = [o for o in result.outcomes if o.status != "skipped"]
    seconds = [r["seconds"] for r in manifest["reports"].values() if not r.get("skipped")]
    sizes = [p.stat().st_size for p in Path(result.out_dir).glob("*.html") if p.name != "index.html"]
    return {
        "built": len(built), "failed": [f"{o.key}: {o.error}" for o in result.failures], "total": total,
        "pool": manifest["seconds"], "workers": manifest["workers"], "phases": phases,
        "report_seconds": seconds, "html_mb": sum(sizes) / 2**20, "out_dir": result.out_dir,
        "self_peak_mb": self_peak_mb(), "child_peak_mb": children_peak_mb(),
        "tree_peak_mb": tree.peak_sum_mb, "tree_procs": tree.peak_procs,
    }


# -------------------------------------------------------------------------------------- naive
def bench_naive(data: Path, period: str, units: list[str], out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "CHISO_BATCH"}  # a plain notebook run
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    source = out / "unit_report.ipynb"
    convert = run([str(BIN / "jupytext"), "--quiet", "--to", "ipynb", "--output", str(source),
                   str(NOTEBOOKS / "unit_report.py")], env, "jupytext")
    if (BIN / "jupyter").exists():
        nbconvert = [str(BIN / "jupyter"), "nbconvert"]
    else:
        nbconvert = [str(BIN / "python"), "-m", "nbconvert"]
    rows = []
    for unit in units:
        executed = out / f"{unit}.ipynb"
        pm = run([str(BIN / "papermill"), str(source), str(executed), "-p", "unit_id", unit, "-p", "period", period,
                  "-p", "data_dir", str(data), "-p", "lang", "vi", "--cwd", str(NOTEBOOKS), "--no-progress-bar"],
                 env, f"papermill {unit}")
        nc = run([*nbconvert, "--to", "html", "--no-input", str(executed), "--output-dir", str(out),
                  "--log-level", "WARN"], env, f"nbconvert {unit}")
        rows.append({"unit": unit, "papermill": pm, "nbconvert": nc, "total": pm + nc,
                     "html_mb": (out / f"{unit}.html").stat().st_size / 2**20})
        print(f"  naive {unit:<10} papermill {pm:6.2f} s + nbconvert {nc:5.2f} s = {pm + nc:6.2f} s", flush=True)
    return {"convert": convert, "rows": rows}


# ---------------------------------------------------------------------------------- breakdown
def cell_label(source: str, index: int) -> str:
    m = re.search(r'heading\(ctx, "(\w+)"\)', source)
    if m:
        return m.group(1)
    if "report_context" in source:
        return "setup (imports, report_context, attribution, title + score card)"
    if "parameters" in source or index <= 1:
        return "parameters"
    return source.strip().splitlines()[0][:60]


def bench_breakdown(data: Path, period: str, units: list[str], out: Path) -> dict:
    """A batch worker by hand: one kernel, the reports in a row, every step timed.

    papermill's overhead is split with timing wrappers (instrumentation only): nbclient connecting a
    new kernel client to the warm kernel and waiting for it to be ready (once per report), and
    papermill saving the output notebook (on every cell start and completion)."""
    import jupytext
    import nbclient
    import papermill
    import papermill.engines
    from jupyter_client import KernelManager

    from chiso import report

    os.environ["CHISO_BATCH"] = "1"
    out.mkdir(parents=True, exist_ok=True)
    source = out / "unit_report.ipynb"
    source.write_text(jupytext.writes(jupytext.read(NOTEBOOKS / "unit_report.py"), fmt="ipynb"), encoding="utf-8")
    box: dict[str, float] = {}
    manager, client = papermill.engines.NotebookExecutionManager, nbclient.NotebookClient
    real_save, real_connect, real_cell_start = manager.save, client.start_new_kernel_client, manager.cell_start
    starts: dict[int, float] = {}  # papermill's cell duration includes the save in cell_start: taken out below

    def cell_start(self, cell, cell_index=None, **kwargs):
        t = time.perf_counter()
        try:
            return real_cell_start(self, cell, cell_index, **kwargs)
        finally:
            starts[cell_index] = time.perf_counter() - t

    manager.save, manager.cell_start = timed(real_save, box, "save"), cell_start
    client.start_new_kernel_client = timed(real_connect, box, "connect")
    t = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(NOTEBOOKS))
    kernel_start = time.perf_counter() - t
    runs = []
    try:
        for unit in units:
            params = {"unit_id": unit, "period": period, "baseline": "", "data_dir": str(data), "lang": "vi"}
            box.clear()
            starts.clear()
            t0 = time.perf_counter()
            nb = papermill.execute_notebook(str(source), str(out / f"{unit}.ipynb"), parameters=params, km=km,
                                            progress_bar=False, log_output=False, cwd=str(NOTEBOOKS))
            t1 = time.perf_counter()
            body, _ = report._exporter().from_notebook_node(nb)
            t2 = time.perf_counter()
            page = report.page(f"{unit} — {period}", body, "vi", True)
            t3 = time.perf_counter()
            (out / f"{unit}.html").write_text(page, encoding="utf-8")
            t4 = time.perf_counter()
            cells = {}
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                label = cell_label(cell.source, i)
                if "injected-parameters" in cell.metadata.get("tags", []):
                    label = "injected parameters"
                duration = float(cell.metadata.get("papermill", {}).get("duration") or 0.0) - starts.get(i, 0.0)
                cells[label] = cells.get(label, 0.0) + max(0.0, duration)
            runs.append({"unit": unit, "execute": t1 - t0, "cells": cells, "export": t2 - t1, "page": t3 - t2,
                         "write": t4 - t3, "total": t4 - t0, "html_mb": len(page.encode()) / 2**20,
                         "connect": box.get("connect", 0.0), "save": box.get("save", 0.0),
                         "threads": threading.active_count(), "fds": open_fds()})
    finally:
        km.shutdown_kernel(now=True)
        manager.save, manager.cell_start, client.start_new_kernel_client = real_save, real_cell_start, real_connect
        os.environ.pop("CHISO_BATCH", None)
    return {"kernel_start": kernel_start, "runs": runs, "profile": profile_cells(data, period, units)}


def profile_cells(data: Path, period: str, units: list[str], top: int = 12) -> dict:
    """The notebook's code run in this process under cProfile (no kernel, display() muted), warm:
    which chiso functions and which library layers the cell time goes to."""
    import cProfile
    import pstats

    import IPython.display
    import jupytext

    nb = jupytext.read(NOTEBOOKS / "unit_report.py")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    real_display = IPython.display.display
    IPython.display.display = lambda *a, **k: None
    os.environ["CHISO_BATCH"] = "1"
    cwd = os.getcwd()
    os.chdir(NOTEBOOKS)

    def one(unit: str) -> None:
        ns = {"__name__": "__main__"}
        for i, src in enumerate(code):
            exec(compile(src, f"<cell {i}>", "exec"), ns)
            if i == 0:  # the parameters cell, then what papermill would inject
                ns.update(unit_id=unit, period=period, baseline="", data_dir=str(data), lang="vi")

    try:
        one(units[0])  # warm: imports, dataset, score caches
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for unit in units[1:]:
            one(unit)
        prof.disable()
        wall = (time.perf_counter() - t) / max(1, len(units) - 1)
    finally:
        IPython.display.display = real_display
        os.environ.pop("CHISO_BATCH", None)
        os.chdir(cwd)
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    n = max(1, len(units) - 1)
    chiso = [(f"{Path(f).name}:{name}", ct / n) for (f, _, name), (_, _, _, ct, _) in stats.items()
             if f"{os.sep}chiso{os.sep}" in f]
    wanted = {"Altair Chart.to_dict (spec + schema validation)": ("altair", "to_dict"),
              "  of which jsonschema validation": ("altair", "validate_jsonschema"),
              "HTML tables (report.table, iterrows)": ("chiso", "table")}
    layers = dict.fromkeys(wanted, 0.0)
    for (f, _, name), (_, _, _, ct, _) in stats.items():
        for layer, (path_part, fn) in wanted.items():
            if path_part in f and name == fn:
                layers[layer] = max(layers[layer], ct / n)
    return {"wall": wall, "chiso": sorted(chiso, key=lambda x: -x[1])[:top], "layers": layers}


# -------------------------------------------------------------------------------------- print
def print_breakdown(bd: dict) -> None:
    runs = bd["runs"]
    cold, warm = runs[0], runs[1:]
    print(f"\nwhere a worker's time goes (one kernel, {len(runs)} reports: the first cold, then warm)")
    print(f"  kernel start (once per worker)           {bd['kernel_start']:7.3f} s")
    mean = (lambda xs: statistics.fmean(xs) if xs else float("nan"))
    labels = list(cold["cells"])
    rows = []
    for label in labels:
        rows.append((label, cold["cells"][label], mean([r["cells"].get(label, 0.0) for r in warm])))

    def rest(r):
        return r["execute"] - sum(r["cells"].values()) - r["connect"] - r["save"]

    rows.append(("papermill: new kernel client + wait_for_ready (per report)", cold["connect"],
                 mean([r["connect"] for r in warm])))
    rows.append(("papermill: save output .ipynb at every cell start/end", cold["save"], mean([r["save"] for r in warm])))
    rows.append(("papermill: rest (parameterize, read, kernel_info, messages)", rest(cold),
                 mean([rest(r) for r in warm])))
    for key, name in (("export", "nbconvert HTML export"), ("page", "page(): CSS + Vega bundle + banner"),
                      ("write", "write the page")):
        rows.append((name, cold[key], mean([r[key] for r in warm])))
    total_cold, total_warm = cold["total"], mean([r["total"] for r in warm])
    print(f"  {'step':<62} {'cold s':>8} {'warm s':>8} {'warm %':>7}")
    for name, c, w in rows:
        print(f"  {name:<62} {c:8.3f} {w:8.3f} {100 * w / total_warm:6.1f}%")
    print(f"  {'report total':<62} {total_cold:8.3f} {total_warm:8.3f}")
    top = sorted(rows, key=lambda r: -r[2])[:3]
    print("  three largest warm costs: " + "; ".join(f"{n} {w:.3f} s" for n, _, w in top))
    print(f"  page size {statistics.fmean(r['html_mb'] for r in runs):.2f} MB per report")
    if len(runs) > 1:
        n = len(runs) - 1
        print(f"  after each report the worker keeps more: threads {runs[0]['threads']} → {runs[-1]['threads']}, "
              f"open fds {runs[0]['fds']} → {runs[-1]['fds']} over {n} more reports "
              f"({(runs[-1]['fds'] - runs[0]['fds']) / n:.1f} fds per report: kernel clients left connected)")
    prof = bd["profile"]
    print(f"\n  the cells in-process under cProfile (warm, no kernel): {prof['wall']:.3f} s per report "
          f"(profiler overhead included); cumulative s per report:")
    for name, sec in prof["layers"].items():
        print(f"    {name:<58} {sec:7.3f}")
    for name, sec in prof["chiso"]:
        print(f"    chiso {name:<52} {sec:7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/demo", help="dataset folder (default data/demo)")
    parser.add_argument("--period", default="latest", help="YYYY-MM or latest = dataset.json last_month")
    parser.add_argument("--naive-units", type=int, default=4, help="units for the naive pipeline (default 4)")
    parser.add_argument("--out", default=None, help="keep the outputs here (default: a temporary folder, removed)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="batch workers (default os.cpu_count())")
    parser.add_argument("--breakdown", type=int, default=6, help="reports in the per-cell breakdown (0 skips it)")
    args = parser.parse_args()

    data = Path(args.data).resolve()
    if not (data / "dataset.json").exists():
        raise SystemExit(f"no dataset at {data}: run `make demo` or `chiso generate --out {args.data}` first")
    period = resolve_period(data, args.period)
    out = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="chiso-bench-reports-"))
    naive_units = pick_units(data, args.naive_units)
    meta = json.loads((data / "dataset.json").read_text(encoding="utf-8"))
    print(f"data {data} ({meta.get('counts', {}).get('dossiers', '?'):,} dossiers, "
          f"{meta.get('counts', {}).get('units', '?')} units), period {period}, {os.cpu_count()} CPUs")

    try:
        # The batch first, so that the children's peak RSS is the batch's alone; the naive runs then find
        # the OS page cache warm, which only flatters them (every naive report is a fresh process anyway).
        print(f"batch: all units, {args.jobs} workers")
        b = bench_batch(data, period, out / "batch", args.jobs)
        print(f"\nnaive pipeline on {len(naive_units)} units: {', '.join(naive_units)}")
        naive = bench_naive(data, period, naive_units, out / "naive")
        bd = bench_breakdown(data, period, pick_units(data, args.breakdown), out / "breakdown") if args.breakdown else None
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)

    per_batch = b["total"] / b["built"]
    naive_per = statistics.fmean(r["total"] for r in naive["rows"])
    secs = sorted(b["report_seconds"])
    other = b["total"] - b["pool"]
    print("\n=== batch (warm kernels) ===")
    print(f"reports built                {b['built']:>8}  ({len(b['failed'])} failed)")
    print(f"total                        {b['total']:8.1f} s  with {b['workers']} workers")
    print(f"  parent: load_dataset       {b['phases'].get('load_dataset', 0):8.1f} s")
    print(f"  parent: index page         {b['phases'].get('index_page', 0):8.1f} s")
    print(f"  pool (workers + kernels)   {b['pool']:8.1f} s")
    print(f"  parent: other setup        {other - sum(b['phases'].values()):8.1f} s")
    print(f"per report, amortized        {per_batch:8.3f} s  (total / reports)")
    print(f"per report, in its worker    median {statistics.median(secs):.3f} s, max {secs[-1]:.3f} s "
          f"(first of each worker pays the load)")
    print(f"pages written                {b['html_mb']:8.1f} MB")
    print(f"peak RSS, batch process      {b['self_peak_mb']:8.0f} MB")
    print(f"peak RSS, largest child      {b['child_peak_mb']:8.0f} MB  (a worker or a kernel)")
    print(f"peak RSS, whole tree (sum)   {b['tree_peak_mb']:8.0f} MB  over {b['tree_procs']} processes "
          f"(upper bound: shared pages counted per process)")
    for f in b["failed"]:
        print(f"  failed: {f}")
    print("\n=== naive (papermill CLI + jupyter nbconvert CLI per report) ===")
    print(f"reports                      {len(naive['rows']):>8}  (jupytext .py → .ipynb once: {naive['convert']:.2f} s)")
    print(f"per report                   {naive_per:8.2f} s  (papermill "
          f"{statistics.fmean(r['papermill'] for r in naive['rows']):.2f} s + nbconvert "
          f"{statistics.fmean(r['nbconvert'] for r in naive['rows']):.2f} s)")
    print(f"naive / batch per report     {naive_per / per_batch:8.1f} ×")
    print(f"naive, all {b['built']} reports (est.) {naive_per * b['built']:8.0f} s sequential")
    if bd:
        print_breakdown(bd)


if __name__ == "__main__":
    main()
