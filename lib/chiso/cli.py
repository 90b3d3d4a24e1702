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

from .contract import ContractError, Dataset, load_dataset
from .methodology import MethodologyError, load_methodology
from .periods import PeriodError, parse_period
from .scoring import CountsError, check_counts, score, score_counts

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="chiso: Vietnam's service-to-citizens index (Decision 766/QĐ-TTg) per unit and period.")

USER_ERRORS = (ContractError, MethodologyError, PeriodError, CountsError, FileNotFoundError)
SYNTHETIC_BANNER = "Dữ liệu mô phỏng / synthetic data"


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
    if level not in ("indicator", "unit"):
        raise UserError(f"--level must be 'indicator' or 'unit', not '{level}'")
    if lang not in ("vi", "en"):
        raise UserError(f"--lang must be 'vi' or 'en', not '{lang}'")
    meth = load_methodology(methodology)
    ds = load_dataset(data)
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
    if not counts_file.exists():
        raise UserError(f"counts file '{counts_file}' does not exist")
    try:
        raw = pd.read_csv(counts_file, dtype={"unit_id": "str", "period": "str", "indicator": "str"},
                          encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"counts file '{counts_file}' is not a readable UTF-8 CSV: {exc}") from None
    counts = check_counts(raw, meth, source=str(counts_file))
    table = score_counts(counts, meth).drop(columns=["points_display", "empty", "target"])
    if output is None:
        typer.echo(_show(table))
        return
    _write_csv(table, output)
    typer.echo(f"wrote {len(table):,} rows to {output}")


def main() -> None:
    """Console entry point (usage errors are click's: exit code 2 with its message)."""
    app()


if __name__ == "__main__":
    main()
