"""The data contract: four tables in one directory, their columns, types and allowed values.

Every later step (counting, scoring, explaining, reporting) trusts what `load_dataset` returns, so
loading is strict: a wrong type, a value outside its allowed set, a broken reference or an
impossible date fails with a message naming the table, the column and the first offending rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

UNIT_KINDS = ("province", "department", "district", "commune")
TIME_UNITS = ("hours", "days", "working_days")
ONLINE_LEVELS = ("none", "partial", "full")
END_STATUSES = ("finished", "returned", "stopped", "refused", "withdrawn")
DOSSIER_RATINGS = ("satisfied", "unsatisfied")
PETITION_RATINGS = ("positive", "negative")
PETITION_TOPICS = ("procedure", "staff", "other")
CHANNELS = (1, 2, 3)
LOCAL_TZ = "Asia/Ho_Chi_Minh"
TABLES = ("units", "procedures", "dossiers", "petitions")
#: Shown on every output made from generated data (screens, reports), in both languages.
SYNTHETIC_BANNER = "Dữ liệu mô phỏng / synthetic data"


@dataclass(frozen=True)
class Column:
    """One contract column: its type, whether it must be present and whether it may be empty."""

    name: str
    type: str  # str | bool | int | float | datetime
    required: bool = True
    nullable: bool = False
    allowed: tuple | None = None
    minimum: float | None = None


def _c(name: str, type_: str, **kw: Any) -> Column:
    return Column(name, type_, **kw)


SCHEMA: dict[str, tuple[Column, ...]] = {
    "units": (
        _c("unit_id", "str"),
        _c("name", "str"),
        _c("kind", "str", allowed=UNIT_KINDS),
        _c("parent_id", "str", nullable=True),
        # Optional: whether a commune issues electronic certified copies (ELECTRONIC_CERTIFIED_COPY).
        _c("e_certified_copy", "bool", required=False, nullable=True),
    ),
    "procedures": (
        _c("procedure_code", "str"),
        _c("name", "str"),
        _c("field", "str"),
        _c("time_limit", "float", minimum=0),
        _c("time_unit", "str", allowed=TIME_UNITS),
        _c("online_level", "str", allowed=ONLINE_LEVELS),
        _c("has_fee", "bool"),
        _c("result_document", "bool"),
        _c("citizen_applicant", "bool"),
        _c("full_content", "bool"),
        _c("decision_date", "datetime", nullable=True),
        _c("legal_effective_date", "datetime", nullable=True),
        _c("public_date", "datetime", nullable=True),
        # Optional: which units have the procedure under their authority (ONLINE_SERVICE_*).
        _c("level", "str", required=False, nullable=True, allowed=UNIT_KINDS),
        _c("agency_id", "str", required=False, nullable=True),
    ),
    "dossiers": (
        _c("dossier_id", "str"),
        _c("unit_id", "str"),
        _c("procedure_code", "str"),
        _c("channel", "int", allowed=CHANNELS),
        _c("received_at", "datetime"),
        _c("due_at", "datetime", nullable=True),
        _c("ended_at", "datetime", nullable=True),
        _c("end_status", "str", nullable=True, allowed=END_STATUSES),
        _c("supplement_count", "int", minimum=0),
        _c("supplement_requested_at", "datetime", nullable=True),
        _c("supplement_completed_at", "datetime", nullable=True),
        _c("synced", "bool"),
        _c("fee_amount", "float", nullable=True, minimum=0),
        _c("paid_online", "bool"),
        _c("e_result", "bool"),
        _c("digitized", "bool"),
        _c("reused_data", "bool"),
        _c("personal_store", "bool"),
        _c("population_data", "bool"),
        _c("rating", "str", nullable=True, allowed=DOSSIER_RATINGS),
        _c("has_petition", "bool"),
    ),
    "petitions": (
        _c("petition_id", "str"),
        _c("unit_id", "str"),
        _c("received_at", "datetime"),
        _c("due_at", "datetime", nullable=True),
        _c("resolved_at", "datetime", nullable=True),
        _c("rating", "str", nullable=True, allowed=PETITION_RATINGS),
        _c("repeated", "bool"),
        # Optional: what the petition is about (PETITION_CLASSIFICATION_*).
        _c("topic", "str", required=False, nullable=True, allowed=PETITION_TOPICS),
    ),
}

PRIMARY_KEYS = {
    "units": "unit_id",
    "procedures": "procedure_code",
    "dossiers": "dossier_id",
    "petitions": "petition_id",
}

MAX_SHOWN_ROWS = 5


class ContractError(ValueError):
    """A table breaks the data contract; the message names table, column and offending rows."""

    def __init__(self, table: str, column: str | None, message: str, rows: list[int] | None = None):
        self.table = table
        self.column = column
        self.rows = rows or []
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        shown = ""
        if self.rows:
            shown = " (rows " + ", ".join(str(r) for r in self.rows[:MAX_SHOWN_ROWS])
            shown += f" and {len(self.rows) - MAX_SHOWN_ROWS} more)" if len(self.rows) > MAX_SHOWN_ROWS else ")"
        super().__init__(f"{where}: {message}{shown}")


@dataclass
class Dataset:
    """The four contract tables plus the provenance record from `dataset.json`."""

    units: pd.DataFrame
    procedures: pd.DataFrame
    dossiers: pd.DataFrame
    petitions: pd.DataFrame
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def synthetic(self) -> bool:
        """True when the data were generated, so every output can say so."""
        return self.meta.get("source") == "synthetic"

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def _bad_rows(mask: np.ndarray | pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _coerce(table: str, col: Column, values: pd.Series) -> pd.Series:
    """Convert one column to its contract type or raise naming the rows that do not convert."""
    present = values.notna().to_numpy()
    if col.type == "str":
        out = values.astype("str")
        out = out.where(present)  # keep missing as missing, not the string "nan"
        if present.any():
            blank = present & (out.fillna("").str.strip() == "").to_numpy()
            out = out.mask(blank)
        return out
    if col.type == "bool":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean") if col.nullable else values.astype(bool)
        mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
        as_text = values.astype("str").str.strip().str.lower()
        mapped = as_text.map(mapping)
        bad = present & mapped.isna().to_numpy()
        if bad.any():
            raise ContractError(table, col.name, "expected true/false", _bad_rows(bad))
        mapped = mapped.where(present)
        return mapped.astype("boolean") if col.nullable else mapped.astype(bool)
    if col.type in ("int", "float"):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = present & numbers.isna().to_numpy()
        if bad.any():
            raise ContractError(table, col.name, f"expected a number ({col.type})", _bad_rows(bad))
        if col.type == "int":
            frac = present & (numbers.fillna(0) % 1 != 0).to_numpy()
            if frac.any():
                raise ContractError(table, col.name, "expected a whole number", _bad_rows(frac))
            return numbers.astype("Int64") if col.nullable else numbers.astype("int64")
        return numbers.astype("float64")
    if col.type == "datetime":
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out = values
            if getattr(out.dt, "tz", None) is not None:  # compare in Vietnamese local time
                out = out.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        else:
            out = pd.to_datetime(values, errors="coerce", format="ISO8601")
            bad = present & out.isna().to_numpy()
            if bad.any():
                raise ContractError(table, col.name, "expected an ISO date or date-time", _bad_rows(bad))
        return out.astype("datetime64[us]")
    raise AssertionError(f"unknown contract type {col.type}")


def validate_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with contract types, or raise ContractError at the first problem found."""
    frame = frame.reset_index(drop=True)
    out = {}
    for col in SCHEMA[table]:
        if col.name not in frame.columns:
            if col.required:
                raise ContractError(table, col.name, "required column is missing")
            continue
        values = _coerce(table, col, frame[col.name])
        missing = values.isna().to_numpy()
        if not col.nullable and missing.any():
            raise ContractError(table, col.name, "empty value in a required column", _bad_rows(missing))
        if col.allowed is not None:
            allowed = pd.Series(list(col.allowed)).astype(values.dtype) if col.type != "str" else list(col.allowed)
            bad = ~missing & ~values.isin(allowed).to_numpy()
            if bad.any():
                shown = ", ".join(repr(v) for v in pd.unique(values[bad])[:3])
                raise ContractError(
                    table, col.name, f"value {shown} not in {list(col.allowed)}", _bad_rows(bad)
                )
        if col.minimum is not None:
            bad = ~missing & (values.fillna(col.minimum) < col.minimum).to_numpy()
            if bad.any():
                raise ContractError(table, col.name, f"value below {col.minimum}", _bad_rows(bad))
        out[col.name] = values
    extra = [c for c in frame.columns if c not in out]
    for name in extra:  # added columns are allowed and passed through untouched
        out[name] = frame[name]
    result = pd.DataFrame(out)
    key = PRIMARY_KEYS[table]
    dup = result[key].duplicated(keep=False).to_numpy()
    if dup.any():
        raise ContractError(table, key, "duplicate identifier", _bad_rows(dup))
    _check_dates(table, result)
    return result


def _check_dates(table: str, df: pd.DataFrame) -> None:
    if table == "dossiers":
        ended = df["ended_at"].notna().to_numpy()
        status = df["end_status"].notna().to_numpy()
        mismatch = ended != status
        if mismatch.any():
            raise ContractError(
                table, "end_status", "end_status must be set exactly when ended_at is set", _bad_rows(mismatch)
            )
        before = (df["ended_at"] < df["received_at"]).fillna(False).to_numpy()
        if before.any():
            raise ContractError(table, "ended_at", "ends before it was received", _bad_rows(before))
        req = df["supplement_requested_at"]
        done = df["supplement_completed_at"]
        orphan = (done.notna() & req.isna()).to_numpy()
        if orphan.any():
            raise ContractError(
                table, "supplement_completed_at", "completed without a request date", _bad_rows(orphan)
            )
        reversed_ = (done < req).fillna(False).to_numpy()
        if reversed_.any():
            raise ContractError(table, "supplement_completed_at", "completed before requested", _bad_rows(reversed_))
        no_count = (req.notna() & (df["supplement_count"] < 1)).to_numpy()
        if no_count.any():
            raise ContractError(
                table, "supplement_count", "a supplement request date needs supplement_count >= 1", _bad_rows(no_count)
            )
    if table == "petitions":
        before = (df["resolved_at"] < df["received_at"]).fillna(False).to_numpy()
        if before.any():
            raise ContractError(table, "resolved_at", "resolved before it was received", _bad_rows(before))


def validate_dataset(ds: Dataset) -> Dataset:
    """Validate each table, then the references between them (unit tree, codes)."""
    tables = {name: validate_table(name, ds.table(name)) for name in TABLES}
    units = tables["units"]
    ids = set(units["unit_id"])
    parent = units["parent_id"]
    bad = (parent.notna() & ~parent.isin(ids)).to_numpy()
    if bad.any():
        raise ContractError("units", "parent_id", "parent is not a known unit_id", _bad_rows(bad))
    roots = parent.isna().to_numpy()
    if roots.sum() != 1:
        raise ContractError("units", "parent_id", f"expected exactly one root unit, found {int(roots.sum())}",
                            _bad_rows(roots))
    _check_acyclic(units)
    for table in ("dossiers", "petitions"):
        bad = ~tables[table]["unit_id"].isin(ids).to_numpy()
        if bad.any():
            raise ContractError(table, "unit_id", "unknown unit_id", _bad_rows(bad))
    codes = set(tables["procedures"]["procedure_code"])
    bad = ~tables["dossiers"]["procedure_code"].isin(codes).to_numpy()
    if bad.any():
        raise ContractError("dossiers", "procedure_code", "unknown procedure_code", _bad_rows(bad))
    if "agency_id" in tables["procedures"].columns:
        agency = tables["procedures"]["agency_id"]
        bad = (agency.notna() & ~agency.isin(ids)).to_numpy()
        if bad.any():
            raise ContractError("procedures", "agency_id", "unknown unit_id", _bad_rows(bad))
    return Dataset(**tables, meta=ds.meta, path=ds.path)


def _check_acyclic(units: pd.DataFrame) -> None:
    parent_of = dict(zip(units["unit_id"], units["parent_id"]))
    for row, unit in enumerate(units["unit_id"]):
        seen = set()
        node = unit
        while isinstance(node, str):
            if node in seen:
                raise ContractError("units", "parent_id", f"unit tree has a cycle through '{unit}'", [row])
            seen.add(node)
            node = parent_of.get(node)


def write_dataset(ds: Dataset, directory: str | Path) -> Path:
    """Write the four tables as Parquet and `dataset.json` into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        ds.table(name).to_parquet(directory / f"{name}.parquet", index=False)
    (directory / "dataset.json").write_text(json.dumps(ds.meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return directory


def load_dataset(directory: str | Path, validate: bool = True) -> Dataset:
    """Read a data directory written by `write_dataset` (or an importer) and validate it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"data directory '{directory}' does not exist (run `chiso generate --out {directory}`)")
    tables = {}
    for name in TABLES:
        path = directory / f"{name}.parquet"
        if not path.exists():
            raise ContractError(name, None, f"file '{path}' is missing")
        tables[name] = pd.read_parquet(path)
    meta_path = directory / "dataset.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    ds = Dataset(**tables, meta=meta, path=directory)
    return validate_dataset(ds) if validate else ds
