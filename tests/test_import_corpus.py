"""`chiso import` on a corpus of deliberately broken exports (tests/corpus/make_corpus.py).

The corpus is regenerated into a temporary folder once per module. For every case the import
either stops with ImportFailure/MappingError whose one-line message holds the expected fragments,
or it sorts every row into the clean tables or the quarantine exactly as counted by hand in the
case definition: rows read and kept per table, rows quarantined per reason, the source rows of
the quarantined records, and a few kept values. Whatever happens, rows read = kept + quarantined
per table and per file, and every quarantine row points at a real line of its source file.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from chiso import quarantine as q
from chiso.cli import app
from chiso.export import EXAMPLE_MAPPING
from chiso.importer import UNCALCULATED, ImportFailure, decode_text, import_export, write_import
from chiso.mapping import MappingError, load_mapping

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
import make_corpus  # noqa: E402

CASES = {c.name: c for c in make_corpus.CASES}
TABLES = make_corpus.TABLE_NAMES
#: Reasons whose quarantine `value` is the raw source text, so it must appear on the source line.
RAW_VALUE_REASONS = {"unparseable_date", "implausible_date", "unparseable_number", "negative_number",
                     "unknown_value", "formula_error", "unknown_unit", "unknown_procedure", "unknown_parent"}
CLI_ERROR_CASES = ["encoding-shift-jis", "missing-required-column", "workbook-wrong-sheet", "mapping-unknown-column"]


def _param(name: str):
    bug = CASES[name].known_bug
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(name, id=name, marks=marks)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("corpus")
    make_corpus.build(root)
    manifest = yaml.safe_load((root / make_corpus.MANIFEST).read_text(encoding="utf-8"))["cases"]
    return root, manifest


@pytest.fixture(scope="module")
def outcomes(corpus) -> dict:
    """Import each case at most once: name → ImportResult or the exception raised."""
    root, manifest = corpus
    cache: dict = {}

    def run(name: str):
        if name not in cache:
            entry = manifest[name]
            mapping_path = root / name / entry["mapping"] if entry.get("mapping") else EXAMPLE_MAPPING
            try:
                cache[name] = import_export(root / name, load_mapping(mapping_path))
            except (ImportFailure, MappingError) as exc:
                cache[name] = exc
        return cache[name]

    return run


# --------------------------------------------------------------------------------------------
# The corpus itself


def test_corpus_is_large_and_covers_every_reason():
    assert len(CASES) >= 35
    reasons = {r for c in CASES.values() for r in c.quarantine}
    assert reasons <= set(q.REASONS)
    assert reasons == set(q.REASONS), f"no case for {set(q.REASONS) - reasons}"
    assert sum(c.error is not None for c in CASES.values()) >= 10


def test_manifest_is_the_case_definitions_with_every_string_quoted(corpus):
    root, manifest = corpus
    assert manifest == make_corpus.manifest()["cases"]
    text = (root / make_corpus.MANIFEST).read_text(encoding="utf-8")
    unquoted = []

    def walk(node):
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:str" and node.style != '"':
                unquoted.append(node.value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(key)
                walk(value)

    walk(yaml.compose(text))
    assert not unquoted
    for name, entry in manifest.items():
        assert (root / name).is_dir()
        assert entry["description"]
        assert ("error" in entry) != ("quarantine" in entry), name


def test_corpus_writes_nothing_but_case_folders_and_the_manifest(corpus):
    root, _ = corpus
    assert sorted(p.name for p in root.iterdir()) == sorted([*CASES, make_corpus.MANIFEST])


# --------------------------------------------------------------------------------------------
# Every case


def _source_line(case_dir: Path, row: pd.Series) -> str:
    """The text of the quarantined row as the analyst finds it: CSV line or Excel row."""
    path = case_dir / row["source_file"]
    n = int(row["source_row"])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, _ = decode_text(path.read_bytes(), row["source_file"], ("utf-8", "cp1258"))
        lines = re.split(r"\r\n|\n|\r", unicodedata.normalize("NFC", text))
        return lines[n - 1]
    if suffix == ".xls":
        import xlrd

        sheet = xlrd.open_workbook(str(path)).sheet_by_name(row["sheet"])
        return " | ".join(str(v) for v in sheet.row_values(n - 1))
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        values = next(wb[row["sheet"]].iter_rows(min_row=n, max_row=n, values_only=True), ())
    finally:
        wb.close()
    return " | ".join("" if v is None else str(v) for v in values)


def _kept_value(result, table: str, record: str, column: str):
    frame = result.dataset.table(table)
    key = {"units": "unit_id", "procedures": "procedure_code", "dossiers": "dossier_id",
           "petitions": "petition_id"}[table]
    match = frame[frame[key] == record]
    assert len(match) == 1, f"{table} {record}: {len(match)} kept rows"
    return match[column].iloc[0]


@pytest.mark.parametrize("name", [_param(n) for n in CASES])
def test_case(corpus, outcomes, name):
    root, manifest = corpus
    entry = manifest[name]
    try:
        outcome = outcomes(name)
    except Exception as exc:  # anything but ImportFailure/MappingError is a crash
        pytest.fail(f"the import crashed with {type(exc).__name__}: {exc}")

    if "error" in entry:
        assert isinstance(outcome, (ImportFailure, MappingError)), (
            f"expected an error, the import gave {outcome.totals()} and quarantine "
            f"{outcome.quarantine['reason'].value_counts().to_dict()}")
        message = str(outcome)
        assert "\n" not in message and "\r" not in message, message
        for fragment in entry["error"]["contains"]:
            assert fragment in message, f"{fragment!r} not in: {message}"
        return
    assert not isinstance(outcome, Exception), f"unexpected error: {outcome}"
    result = outcome
    quarantine, accounting = result.quarantine, result.accounting

    # Rows quarantined per reason and rows read/kept per table, as counted by hand.
    assert quarantine["reason"].value_counts().to_dict() == entry["quarantine"]
    read = {t: int(accounting.loc[accounting["table"] == t, "read"].sum()) for t in TABLES}
    kept = {t: len(result.dataset.table(t)) for t in TABLES}
    assert read == entry["read"]
    assert kept == entry["kept"]

    # The accounting identity, per table and per file, and agreeing with the quarantine table.
    for t in TABLES:
        assert read[t] == kept[t] + int((quarantine["table"] == t).sum()), t
        assert int(accounting.loc[accounting["table"] == t, "kept"].sum()) == kept[t], t
    assert (accounting["read"] == accounting["kept"] + accounting["quarantined"]).all()
    per_file = quarantine.groupby(["table", "source_file"]).size()
    for row in accounting.itertuples():
        assert per_file.get((row.table, row.source_file), 0) == row.quarantined, row
    for file, counts in entry.get("files", {}).items():
        rows = accounting[accounting["source_file"] == file]
        assert len(rows) == 1, f"{file}: {rows}"
        assert rows[["read", "kept", "quarantined"]].iloc[0].to_dict() == counts, file

    # Every quarantine row says where it came from, with a known reason.
    assert list(quarantine.columns) == list(q.COLUMNS)
    assert (quarantine["source_file"] != "").all()
    assert (quarantine["source_row"] >= 1).all()
    assert quarantine["reason"].isin(list(q.REASONS)).all()
    for file in quarantine["source_file"].unique():
        assert (root / name / file).is_file(), file

    # The rows counted by hand, and each quarantined record found on its source line.
    for reason, rows in entry.get("source_rows", {}).items():
        got = sorted(int(r) for r in quarantine.loc[quarantine["reason"] == reason, "source_row"])
        assert got == rows, reason
    encodings = {f["source_file"]: f["encoding"] for f in result.files}
    for _, row in quarantine.iterrows():
        line = _source_line(root / name, row)
        if row["record_id"]:
            assert row["record_id"] in line, (row.to_dict(), line)
        if row["value"].startswith(UNCALCULATED):  # a formula never computed: its text, not a value
            assert row["value"] == f"{UNCALCULATED} =10000*2"
        elif row["reason"] in RAW_VALUE_REASONS and row["value"]:
            assert row["value"] in line, (row.to_dict(), line)

    for file, encoding in entry.get("encodings", {}).items():
        assert encodings.get(file) == encoding, (file, encodings)
    for check in entry.get("values", []):
        actual = _kept_value(result, check["table"], check["id"], check["column"])
        expected = check["equals"]
        if isinstance(expected, bool):
            assert bool(actual) is expected, check
        elif isinstance(expected, (int, float)):
            assert float(actual) == float(expected), check  # exact: whole numbers and halves
        else:
            assert str(actual) == expected, check
    if entry.get("dropped_personal"):
        personal = {d["header"] for d in result.dropped_columns if d["why"] == "personal"}
        assert set(entry["dropped_personal"]) <= personal, personal


# --------------------------------------------------------------------------------------------
# Personal data never reaches the output


def _all_text(path: Path) -> str:
    """Everything a written file holds as text: raw bytes decoded leniently, Parquet cells read back."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        text += "\n" + frame.astype("str").to_csv(index=False)
    return unicodedata.normalize("NFC", text)


def test_personal_values_appear_in_no_written_file(corpus, outcomes, tmp_path):
    root, manifest = corpus
    entry = manifest["personal-data-columns"]
    source = (root / "personal-data-columns" / make_corpus.MARCH).read_bytes().decode("utf-8-sig")
    for value in entry["personal"]:
        assert value in source  # the corpus really carries them
    out = write_import(outcomes("personal-data-columns"), tmp_path / "imported")
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == q.QUARANTINE_FILE for p in written)
    assert any(p.suffix == ".parquet" and p.name != q.QUARANTINE_FILE for p in written)
    for path in written:
        text = _all_text(path)
        leaked = [v for v in entry["personal"] if v in text]
        assert not leaked, f"{path.relative_to(out)} holds {leaked}"


# --------------------------------------------------------------------------------------------
# The command line: one line, exit code 2, no traceback


@pytest.mark.parametrize("name", CLI_ERROR_CASES)
def test_cli_error_is_one_line(corpus, tmp_path, name):
    root, manifest = corpus
    entry = manifest[name]
    mapping = root / name / entry["mapping"] if entry.get("mapping") else EXAMPLE_MAPPING
    result = CliRunner().invoke(app, ["import", "--source", str(root / name), "--mapping", str(mapping),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chiso: error:"), result.stderr
    for fragment in entry["error"]["contains"]:
        assert fragment in lines[0]
    assert not (tmp_path / "out").exists()
