"""The `chiso` command line: a contract other tools rely on.

Exit codes: 0 success; 2 a user error (bad input, unknown period, broken methodology), printed as
one line `chiso: error: …` without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Optional

import pandas as pd
import typer

from .contract import SYNTHETIC_BANNER, ContractError, Dataset, load_dataset
from .importer import ImportFailure
from .mapping import MappingError
from .methodology import MethodologyError, load_methodology
from .periods import PeriodError, parse_period
from .scoring import CountsError, read_counts_csv, score, score_counts

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="chiso: Vietnam's service-to-citizens index (Decision 766/QĐ-TTg) per unit and period.")

USER_ERRORS = (ContractError, MethodologyError, PeriodError, CountsError, FileNotFoundError, ImportFailure,
               MappingError)


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def user_errors(command):
    """Turn a user error into one line on stderr and exit code 2, with no traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (UserError, *USER_ERRORS) as exc:
            typer.echo(f"chiso: error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with a byte-order mark so Excel shows Vietnamese diacritics; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.10g")
    tmp.replace(path)


def _show(frame: pd.DataFrame) -> str:
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                           "display.max_colwidth", 40):
        return frame.to_string(index=False, float_format=lambda v: f"{v:.2f}", na_rep="–")


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"{option} must be one of {', '.join(allowed)}, not '{value}'")


def _load(data: Path, methodology: Optional[Path], unit: Optional[str] = None):
    """The methodology and the validated dataset; `unit`, when given, must be one of its units."""
    meth = load_methodology(methodology)
    ds = load_dataset(data)
    if unit is not None and unit not in set(ds.units["unit_id"]):
        raise UserError(f"unknown unit '{unit}' in {data} (see units.parquet for unit_id values)")
    return meth, ds


def latest_month(ds: Dataset) -> str:
    """The last month with receipts: what `--period latest` means."""
    if ds.meta.get("last_month"):
        return str(ds.meta["last_month"])
    last = ds.dossiers["received_at"].max()
    if pd.isna(last):
        raise UserError("the dataset has no dossiers, so there is no latest month; give --period")
    return f"{last:%Y-%m}"


def _resolve_period(ds: Dataset, period: str) -> str:
    return latest_month(ds) if period == "latest" else parse_period(period).label


def _ranking_summary(units: pd.DataFrame, lang_note: str) -> str:
    lines = []
    titles = {"province": "Tỉnh / province", "department": "Sở, ban, ngành / departments",
              "district": "Cấp huyện / districts", "commune": "Cấp xã / communes"}
    for kind, title in titles.items():
        part = units[units["unit_kind"] == kind].sort_values(["rank", "unit_name"])
        if part.empty:
            continue
        lines.append(f"\n{title} ({len(part)})")
        shown = part if len(part) <= 12 else pd.concat([part.head(8), part.tail(3)])
        cols = ["rank", "unit_id", "unit_name", "total", "band_name"]
        text = _show(shown[cols])
        if len(part) > 12:
            rows = text.split("\n")
            text = "\n".join(rows[:9] + ["   …"] + rows[9:])
        lines.append(text)
    return "\n".join(lines) + lang_note


@app.command()
@user_errors
def generate(
    out: Path = typer.Option(..., "--out", help="Directory to write the demo dataset into."),
    seed: int = typer.Option(20240701, help="Random seed: the same seed and scenario give identical data."),
    scenario: Optional[Path] = typer.Option(None, help="Scenario YAML with planted stories."),
    scale: float = typer.Option(1.0, help="1.0 ≈ 300 k dossiers a year; 6.7 ≈ 2 M."),
    months: Optional[int] = typer.Option(None, help="Months of data (default: the scenario's)."),
) -> None:
    """Write a synthetic province modelled on Bắc Ninh (2023 structure)."""
    from .demo import generate_to

    started = time.perf_counter()
    if scenario is not None and not scenario.exists():
        raise UserError(f"scenario file '{scenario}' does not exist")
    try:
        path = generate_to(out, seed=seed, scenario=scenario, scale=scale, months=months)
    except ValueError as exc:  # the generator names the story and key that are wrong
        raise UserError(str(exc)) from None
    ds = load_dataset(path, validate=False)
    typer.echo(f"{SYNTHETIC_BANNER}: {len(ds.dossiers):,} dossiers, {len(ds.petitions):,} petitions, "
               f"{len(ds.units)} units, {ds.meta.get('first_month')}..{ds.meta.get('last_month')} "
               f"written to {path} in {time.perf_counter() - started:.1f} s")


@app.command("score")
@user_errors
def score_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory (Parquet tables + dataset.json)."),
    period: str = typer.Option(..., "--period", help="2024-06, 2024-Q2, 2024, 2024-W23, 2024-06-01..2024-06-15 or 'latest'."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    level: str = typer.Option("indicator", help="indicator: a row per unit × indicator; unit: a row per unit."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Write CSV here instead of printing; '{period}' in the name becomes the period."),
    lang: str = typer.Option("vi", help="Language of band names: vi or en."),
) -> None:
    """Score every unit for a period."""
    _choice("--level", level, ("indicator", "unit"))
    _choice("--lang", lang, ("vi", "en"))
    meth, ds = _load(data, methodology)
    label = _resolve_period(ds, period)
    table = score(ds, label, meth, level=level, lang=lang)
    table["data_source"] = ds.meta.get("source", "unknown")
    banner = f"\n[{SYNTHETIC_BANNER}]" if ds.synthetic else ""
    if output is None:
        typer.echo(_show(table) + banner)
        return
    output = Path(str(output).replace("{period}", label.replace("..", "_")))
    _write_csv(table, output)
    if level == "unit":
        typer.echo(f"Xếp hạng kỳ {label} / ranking for {label} (methodology {meth.name}):")
        typer.echo(_ranking_summary(table, banner))
    typer.echo(f"\nwrote {len(table):,} rows to {output}")


@app.command("score-counts")
@user_errors
def score_counts_cmd(
    counts_file: Path = typer.Argument(..., help="CSV with unit_id, period, indicator, numerator, denominator."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write CSV here instead of printing."),
) -> None:
    """Score counts copied from the portal (or any source)."""
    meth = load_methodology(methodology)
    counts = read_counts_csv(counts_file, meth)
    table = score_counts(counts, meth).drop(columns=["points_display", "empty", "target"])
    if output is None:
        typer.echo(_show(table))
        return
    _write_csv(table, output)
    typer.echo(f"wrote {len(table):,} rows to {output}")


def _emit(frame: pd.DataFrame, output: Optional[Path], fmt: str = "table", header: str = "") -> None:
    if output is not None:
        _write_csv(frame, output)
        typer.echo(f"wrote {len(frame):,} rows to {output}")
    elif fmt == "csv":
        typer.echo(frame.to_csv(index=False, float_format="%.10g"), nl=False)
    else:
        typer.echo((header + "\n" if header else "") + _show(frame))


@app.command("explain")
@user_errors
def explain_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory."),
    unit: str = typer.Option(..., "--unit", help="unit_id to explain, e.g. H27.36."),
    period: str = typer.Option(..., "--period", help="Period to explain (or 'latest')."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Compare with (default: the previous period)."),
    by: str = typer.Option("field", "--by", help="Segments: field, procedure, child or channel."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    lang: str = typer.Option("vi", help="vi or en."),
) -> None:
    """Why a unit's score changed: groups → indicators → segments, with rate and mix effects."""
    import json

    from .explain import Explainer

    _choice("--by", by, ("field", "procedure", "child", "channel"))
    _choice("--format", fmt, ("table", "json", "csv"))
    _choice("--lang", lang, ("vi", "en"))
    meth, ds = _load(data, methodology, unit)
    label = _resolve_period(ds, period)
    base = parse_period(baseline).label if baseline else None
    attr = Explainer(ds, meth).explain(unit, label, base, by, lang)
    if fmt == "json":
        text = json.dumps(attr.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text + "\n", encoding="utf-8")
            typer.echo(f"wrote {output}")
        else:
            typer.echo(text)
        return
    frame = attr.segments_frame()
    if fmt == "csv" or output is not None:
        _emit(frame, output, fmt)
        return
    typer.echo("\n".join(attr.narrative) + "\n")
    rows = []
    for g in attr.groups:
        for ind in g.indicators:
            if abs(ind.change) < 0.005:
                continue
            top = [s for s in ind.segments if abs(s.contribution) >= 0.005][:3]
            for s in top or [None]:
                rows.append({"group": g.group, "group_change": g.change, "indicator": ind.indicator,
                             "indicator_change": ind.change,
                             "segment": "" if s is None else s.label[:40],
                             "rate_effect": None if s is None else s.rate_effect,
                             "mix_effect": None if s is None else s.mix_effect,
                             "contribution": None if s is None else s.contribution})
    typer.echo(_show(pd.DataFrame(rows)) if rows else "(no change)")


@app.command("points-left")
@user_errors
def points_left_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory."),
    unit: str = typer.Option(..., "--unit", help="unit_id."),
    period: str = typer.Option(..., "--period", help="Period (or 'latest')."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write CSV here."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    lang: str = typer.Option("vi", help="vi or en."),
) -> None:
    """Points lost per indicator and the smallest action that would recover them."""
    from .explain import Explainer
    from .whatif import points_left

    _choice("--lang", lang, ("vi", "en"))
    meth, ds = _load(data, methodology, unit)
    table = points_left(Explainer(ds, meth), unit, _resolve_period(ds, period), lang)
    cols = ["indicator", "lost", "items_needed", "points_per_item", "action", "where"]
    _emit(table if output else table[cols], output)


@app.command("at-risk")
@user_errors
def at_risk_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory."),
    as_of: str = typer.Option(..., "--as-of", help="Date (YYYY-MM-DD) or date-time of the snapshot."),
    within: int = typer.Option(3, "--within", help="Working days ahead."),
    unit: Optional[str] = typer.Option(None, "--unit", help="Only this unit and the units below it."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the dossier list as CSV here."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
) -> None:
    """Open dossiers that become overdue within N working days unless finished, and what they cost."""
    from .at_risk import at_risk
    from .explain import Explainer

    try:
        pd.Timestamp(as_of)
    except ValueError:
        raise UserError(f"--as-of '{as_of}' is not a date (YYYY-MM-DD)") from None
    meth, ds = _load(data, methodology, unit)
    dossiers, summary = at_risk(Explainer(ds, meth), as_of, within, unit)
    typer.echo(_show(summary.head(20)))
    _emit(dossiers, output, header=f"\n{len(dossiers):,} dossiers at risk")


@app.command("import")
@user_errors
def import_cmd(
    source: Path = typer.Option(..., "--source", help="An export file (.xlsx, .xls, .csv) or a folder of them."),
    mapping: Path = typer.Option(..., "--mapping", help="Mapping YAML, e.g. parameters/mappings/mot-cua-example.yaml."),
    out: Path = typer.Option(..., "--out", help="Data directory to write (tables, quarantine, import report)."),
) -> None:
    """Import one-stop system exports into the data contract; every row is kept or quarantined."""
    from .importer import import_export, write_import
    from .mapping import load_mapping
    from .quarantine import reason_label

    started = time.perf_counter()
    result = import_export(source, load_mapping(mapping))
    write_import(result, out)
    acc = result.accounting.groupby("table", sort=False)[["read", "kept", "quarantined"]].sum()
    typer.echo(f"Nhập dữ liệu / import from {source} with mapping {mapping.name}:")
    typer.echo(_show(acc.reset_index()))
    totals = result.totals()
    typer.echo(f"rows read {totals['read']:,} = kept {totals['kept']:,} + quarantined {totals['quarantined']:,}")
    by_reason = result.by_reason()
    if not by_reason.empty:
        by_reason["label"] = [reason_label(r, "vi") for r in by_reason["reason"]]
        typer.echo("\nquarantined by reason (details in quarantine.csv):")
        typer.echo(_show(by_reason[["table", "reason", "rows", "label"]]))
    if result.matched_codes:
        shown = ", ".join(f"{a} → {b}" for a, b in list(result.matched_codes.items())[:3])
        typer.echo(f"\n{len(result.matched_codes)} code(s) matched to the catalogue ignoring case or as numbers: {shown}")
    personal = sorted({d["header"] for d in result.dropped_columns if d["why"] == "personal"})
    if personal:
        typer.echo(f"\npersonal-data columns dropped: {', '.join(personal)}")
    banner = f"\n[{SYNTHETIC_BANNER}]" if result.dataset.synthetic else ""
    typer.echo(f"\nwrote {out} in {time.perf_counter() - started:.1f} s{banner}")


@app.command("reports")
@user_errors
def reports_cmd(
    data: Optional[Path] = typer.Option(None, "--data", help="Data directory."),
    period: Optional[str] = typer.Option(None, "--period", help="Period (or 'latest')."),
    units: Optional[str] = typer.Option(None, "--units", help="all, a unit kind, or unit ids separated by commas."),
    out: Optional[Path] = typer.Option(None, "--out", help="Reports folder (default: reports)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", help="Parallel workers (default: all cores)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="vi or en."),
    force: bool = typer.Option(False, "--force", help="Rebuild reports whose inputs did not change."),
    config: Optional[Path] = typer.Option(None, "--config", help="A YAML run set (parameters/reports/*.yaml); "
                                                                "options given here override it."),
) -> None:
    """Run the report notebooks for every unit into offline HTML with an index page."""
    from .batch import BatchError, run_batch

    settings = {"data": None, "period": "latest", "units": "all", "out": "reports", "jobs": None, "lang": "vi"}
    if config is not None:
        settings |= _run_set(config)
    given = {"data": data, "period": period, "units": units, "out": out, "jobs": jobs, "lang": lang}
    settings |= {k: v for k, v in given.items() if v is not None}
    if settings["data"] is None:
        raise UserError("--data is required (or a run set with `data:`)")
    _choice("--lang", settings["lang"], ("vi", "en"))
    try:
        result = run_batch(settings["data"], str(settings["period"]), str(settings["units"]), settings["out"],
                           settings["jobs"], settings["lang"], force)
    except BatchError as exc:
        raise UserError(str(exc)) from None
    built = sum(1 for o in result.outcomes if o.status != "skipped")
    skipped = len(result.outcomes) - built
    typer.echo(f"{built} built, {skipped} unchanged, {len(result.failures)} failed")
    typer.echo(f"index: {result.index}")
    if result.failures:
        for o in result.failures:
            typer.echo(f"failed: {o.key}: {o.error}", err=True)
        raise typer.Exit(1)


@app.command("quality")
@user_errors
def quality_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory (with quarantine.parquet if `chiso import` wrote one)."),
    period: str = typer.Option("latest", "--period", help="Period to check (default: 'latest', the last month)."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Write every unit × check as CSV here; '{period}' in the name becomes the period."),
    lang: str = typer.Option("vi", help="Language of labels and notes: vi or en."),
) -> None:
    """Data-quality checks per unit, with the points each problem may be costing, and the import's quarantine."""
    from .quality import WORDS, quality_report

    _choice("--lang", lang, ("vi", "en"))
    meth, ds = _load(data, methodology)
    label = _resolve_period(ds, period)
    rep = quality_report(ds, label, meth, lang=lang)
    banner = f"\n[{SYNTHETIC_BANNER}]" if ds.synthetic else ""
    typer.echo(rep.header())
    worst = rep.summary[(rep.summary["flagged"] > 0) | (rep.summary["quarantined"] > 0)]
    cols = ["unit_id", "unit_name", "unit_kind", "flagged", "quarantined", "exact_gain", "max_gain", "overstated",
            "worst_check"]
    typer.echo("\nĐơn vị, nặng nhất trước / units, worst first:")
    typer.echo(_show(worst[cols].head(20)) if len(worst) else "(none)")
    if len(worst) > 20:
        typer.echo(f"… {len(worst) - 20} more")
    typer.echo(f"\nToàn tỉnh / province ({rep.root}):")
    typer.echo(_show(rep.province_checks()[["check", "count", "base", "share", "points_at_stake", "max_gain",
                                            "cost_kind"]]))
    typer.echo(f"\nCách ly khi nhập / quarantine ({rep.quarantine_rows:,} rows):")
    typer.echo(_show(rep.quarantine) if len(rep.quarantine) else "(none)")
    typer.echo("\n" + WORDS[lang]["bounds"] + banner)
    if output is not None:
        output = Path(str(output).replace("{period}", label.replace("..", "_")))
        _emit(rep.checks.assign(data_source=ds.meta.get("source", "unknown")), output)


RUN_SET_KEYS = {"data", "period", "units", "out", "jobs", "lang", "description"}


def _run_set(path: Path) -> dict:
    """A YAML run set: the same options as the command line (strings quoted)."""
    import yaml

    if not path.exists():
        raise UserError(f"run set '{path}' does not exist")
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(values, dict):
        raise UserError(f"run set '{path}': expected a mapping of options")
    unknown = sorted(set(values) - RUN_SET_KEYS)
    if unknown:
        raise UserError(f"run set '{path}': unknown key(s) {unknown}; allowed: {sorted(RUN_SET_KEYS)}")
    values.pop("description", None)
    for key in ("period", "units", "lang"):
        if key in values and not isinstance(values[key], str):
            raise UserError(f"run set '{path}': '{key}' must be a quoted string, got {values[key]!r}")
    return values


SHOWN_ROWS = 25  # rows printed to the terminal; -o writes them all


@app.command("reconcile")
@user_errors
def reconcile_cmd(
    data: Path = typer.Option(..., "--data", help="Data directory."),
    portal: Path = typer.Option(..., "--portal", help="Counts copied from the portal (the score-counts CSV)."),
    period: str = typer.Option(..., "--period", help="Period of the portal counts (or 'latest')."),
    methodology: Optional[Path] = typer.Option(None, help="Methodology YAML (default: portal-2026)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Write the differences as CSV here; '{period}' in the name becomes the period."),
    lang: str = typer.Option("vi", help="Language of causes and details: vi or en."),
) -> None:
    """Local counts beside the portal's: differences largest first, with their likely cause."""
    from .reconcile import period_mismatch, read_portal_counts, reconcile, unit_summary

    _choice("--lang", lang, ("vi", "en"))
    meth, ds = _load(data, methodology)
    label = _resolve_period(ds, period)
    counts = read_portal_counts(portal, meth)  # a CountsError names the file (and line)
    mismatch = period_mismatch(counts, label)
    if mismatch is not None:
        raise UserError(f"portal counts file '{portal}', line {mismatch[0]}: period '{mismatch[1]}' is not "
                        f"--period {label}")
    table = reconcile(ds, counts, label, meth, include_equal=True, lang=lang, source=str(portal))
    diffs = table[table["cause"] != "match"].reset_index(drop=True)
    summary = unit_summary(table, lang)
    summary = summary[summary["indicators_differing"] > 0]
    banner = f"\n[{SYNTHETIC_BANNER}]" if ds.synthetic else ""
    head = (f"Đối chiếu với Cổng DVCQG kỳ {label} / reconciliation with the portal for {label}: "
            f"{len(diffs):,} of {len(table):,} unit × indicator rows differ (local − portal)")
    sum_cols = ["unit_id", "unit_name", "indicators_differing", "points_local", "points_portal", "points_diff",
                "largest_indicator", "main_cause_label"]
    sum_head = "\nTổng chênh lệch theo đơn vị / total difference per unit:"
    if output is not None:
        output = Path(str(output).replace("{period}", label.replace("..", "_")))
        typer.echo(head)
        typer.echo(sum_head + "\n" + (_show(summary[sum_cols].head(10)) if len(summary) else "(none)") + banner)
        _emit(diffs, output)
        return
    cols = ["unit_id", "unit_name", "indicator", "numerator_local", "denominator_local", "numerator_portal",
            "denominator_portal", "points_local", "points_portal", "points_diff", "cause_label"]
    typer.echo(head)
    typer.echo(_show(diffs[cols].head(SHOWN_ROWS)) if len(diffs) else "(no differences)")
    if len(diffs) > SHOWN_ROWS:
        typer.echo(f"… {len(diffs) - SHOWN_ROWS:,} more: write them all with -o FILE.csv")
    typer.echo(sum_head + "\n" + (_show(summary[sum_cols].head(SHOWN_ROWS)) if len(summary) else "(none)"))
    if len(summary) > SHOWN_ROWS:
        typer.echo(f"… {len(summary) - SHOWN_ROWS:,} more units")
    if banner:
        typer.echo(banner.strip())


def main() -> None:
    """Console entry point (usage errors are click's: exit code 2 with its message)."""
    app()


if __name__ == "__main__":
    main()
