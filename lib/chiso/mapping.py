"""Mapping files: how one system's export (headers, values, dates) maps onto the data contract.

A mapping (`parameters/mappings/NAME.yaml`) says, per contract table, which files and sheet to
read, which source header feeds each contract column, how source values translate ("Trực tuyến"
→ 2), and which columns hold personal data. Loading is strict: an unknown key or a contract column
that is neither mapped nor defaulted fails naming the mapping file and the key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .contract import SCHEMA, TABLES

#: Source headers that carry citizens' personal data, recognised whatever the mapping says.
PERSONAL_PATTERNS = (
    r"h[oọ] (v[aà] )?t[eê]n", r"t[eê]n (ng[uư][oờ]i|c[oô]ng d[aâ]n|ch[uủ] h[oồ] s[oơ])", r"cccd", r"cmnd",
    r"c[aă]n c[uư][oớ]c", r"ch[uứ]ng minh", r"s[oố] đ[iị]nh danh", r"đ[iị]nh danh c[aá] nh[aâ]n", r"h[oộ] chi[eế]u", r"đi[eệ]n tho[aạ]i", r"sđt",
    r"\bsdt\b", r"đ[iị]a ch[iỉ]", r"\bemail\b", r"th[uư] đi[eệ]n t[uử]", r"ng[aà]y sinh", r"n[oơ]i [oở]",
    r"applicant name", r"citizen name", r"phone", r"address", r"national id", r"passport",
    r"s[oố] đt\b", r"di đ[oộ]ng", r"\be-?mail\b", r"c[uư] tr[uú]", r"th[uư][oờ]ng tr[uú]", r"h[oộ] kh[aẩ]u",
    r"qu[eê] qu[aá]n", r"n[aă]m sinh", r"ng[uư][oờ]i n[oộ]p", r"ch[uủ] h[oồ] s[oơ]", r"cmtnd", r"t[uù]y th[aâ]n",
    r"m[aã] đ[iị]nh danh (c[aá] nh[aâ]n|c[oô]ng d[aâ]n)", r"dien thoai", r"dia chi", r"\bmobile\b",
)
_PERSONAL_RE = re.compile("|".join(PERSONAL_PATTERNS))

DEFAULT_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M %p",
                        "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
TOP_KEYS = {"name", "description", "encodings", "delimiters", "date_formats", "numbers", "booleans",
            "totals_markers", "personal", "tables"}
TABLE_KEYS = {"files", "sheet", "optional", "columns", "defaults", "internal", "duplicates"}
#: What to do with the same id and different content: quarantine every copy, or keep the copy read last
#: (files in name order, rows in file order) when monthly exports repeat a dossier with its newer state.
DUPLICATE_POLICIES = ("quarantine", "last_wins")
COLUMN_KEYS = {"header", "values", "date_only_time", "blank"}


class MappingError(ValueError):
    """The mapping file is wrong; the message names the file and the key."""


def text_key(value: Any) -> str:
    """How headers and values are compared: Unicode NFC, case-folded, spaces collapsed.

    Windows-1258 text decodes to base letters plus combining tone marks; NFC makes it equal to
    the precomposed text typed in a mapping file.
    """
    text = str(value)
    if text.isascii():
        return " ".join(text.split()).lower()
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    return " ".join(text.replace("\u00a0", " ").split()).casefold()


#: Characters that print as nothing (a stray byte-order mark, zero-width spaces) but break matching.
INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)


def is_personal(header: str) -> bool:
    """True when a source header names citizens' personal data (name, ID, phone, address…)."""
    return bool(_PERSONAL_RE.search(text_key(header)))


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "có", "1"))


@dataclass(frozen=True)
class ColumnMap:
    """One contract column: the source headers that may feed it and how its values translate."""

    column: str
    headers: tuple[str, ...]
    values: dict[str, Any] | None = None  # text_key(source value) → contract value ("" = empty)
    date_only_time: str | None = None     # "23:59:59": a date without a time gets this time
    blank: Any = None                     # the value an empty cell stands for

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(text_key(h) for h in self.headers)


@dataclass(frozen=True)
class TableMap:
    """Where a contract table comes from in the export and how its columns map."""

    table: str
    files: tuple[str, ...]
    sheet: str | None
    optional: bool
    columns: dict[str, ColumnMap]
    defaults: dict[str, Any]
    internal: dict[str, str]  # internal-only name → source header (personal data kept apart)
    duplicates: str = "quarantine"


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    name: str
    path: Path | None
    tables: dict[str, TableMap]
    encodings: tuple[str, ...] = ("utf-8", "cp1258")
    delimiters: tuple[str, ...] = (",", ";", "\t")
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    thousands: str = "."
    decimal: str = ","
    true_values: frozenset[str] = frozenset()
    false_values: frozenset[str] = frozenset()
    blank_bool: bool | None = False
    totals_markers: tuple[str, ...] = ("tổng cộng", "tổng", "cộng")
    personal: frozenset[str] = frozenset()
    description: str = ""

    def is_personal(self, header: str) -> bool:
        return text_key(header) in self.personal or is_personal(header)


def _headers(where: str, spec: Any) -> tuple[str, ...]:
    if isinstance(spec, str) and spec.strip():
        return (spec,)
    if isinstance(spec, list) and spec and all(isinstance(h, str) and h.strip() for h in spec):
        return tuple(spec)
    raise MappingError(f"{where}: expected a header (quoted text) or a list of headers, got {spec!r}")


def _column(source: str, table: str, name: str, spec: Any) -> ColumnMap:
    where = f"mapping '{source}', key tables.{table}.columns.{name}"
    if not isinstance(spec, dict):
        return ColumnMap(name, _headers(where, spec))
    unknown = sorted(set(spec) - COLUMN_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(COLUMN_KEYS)}")
    if "header" not in spec:
        raise MappingError(f"{where}: 'header' is missing")
    values = spec.get("values")
    if values is not None:
        if not isinstance(values, dict) or not values:
            raise MappingError(f"{where}.values: expected a mapping of source value → contract value")
        values = {text_key(k): v for k, v in values.items()}
    time = spec.get("date_only_time")
    if time is not None and not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", str(time)):
        raise MappingError(f"{where}.date_only_time: expected HH:MM:SS in quotes, got {time!r}")
    return ColumnMap(name, _headers(where, spec["header"]), values, None if time is None else str(time),
                     spec.get("blank"))


def _table(source: str, table: str, spec: Any, personal: frozenset[str] = frozenset()) -> TableMap:
    where = f"mapping '{source}', key tables.{table}"
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a mapping with files, sheet and columns")
    unknown = sorted(set(spec) - TABLE_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(TABLE_KEYS)}")
    files = spec.get("files") or []
    if isinstance(files, str):
        files = [files]
    if not files or not all(isinstance(f, str) for f in files):
        raise MappingError(f"{where}.files: expected a list of quoted file name patterns such as \"ho-so*.xlsx\"")
    contract = {c.name: c for c in SCHEMA[table]}
    columns_spec = spec.get("columns") or {}
    if not isinstance(columns_spec, dict):
        raise MappingError(f"{where}.columns: expected a mapping of contract column → source header")
    columns = {}
    for name, col_spec in columns_spec.items():
        if name not in contract:
            raise MappingError(f"{where}.columns: '{name}' is not a column of the contract table '{table}' "
                               f"(columns: {', '.join(contract)})")
        columns[name] = _column(source, table, name, col_spec)
    defaults = spec.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise MappingError(f"{where}.defaults: expected a mapping of contract column → value")
    for name in defaults:
        if name not in contract:
            raise MappingError(f"{where}.defaults: '{name}' is not a column of the contract table '{table}'")
    for col in SCHEMA[table]:
        if col.required and col.name not in columns and col.name not in defaults:
            if table == "dossiers" and col.name == "end_status":
                continue  # derived from ended_at when the export has no status column
            raise MappingError(f"{where}: contract column '{col.name}' is neither mapped under columns "
                               f"nor given under defaults")
    internal = spec.get("internal") or {}
    if not isinstance(internal, dict) or not all(isinstance(v, str) for v in internal.values()):
        raise MappingError(f"{where}.internal: expected a mapping of internal name → source header")
    for name, col_map in columns.items():
        for header in col_map.headers:
            if is_personal(header) or text_key(header) in personal:
                raise MappingError(
                    f"{where}.columns.{name}: header '{header}' holds personal data and cannot feed a contract "
                    f"column; map it under tables.{table}.internal if the office needs it")
    duplicates = str(spec.get("duplicates", "quarantine"))
    if duplicates not in DUPLICATE_POLICIES:
        raise MappingError(f"{where}.duplicates: expected one of {list(DUPLICATE_POLICIES)}, got {duplicates!r}")
    sheet = spec.get("sheet")
    return TableMap(table, tuple(files), None if sheet is None else str(sheet), _truthy(spec.get("optional")),
                    columns, dict(defaults), dict(internal), duplicates)


def parse_mapping(raw: Any, source: str = "<mapping>", path: Path | None = None) -> Mapping:
    """Build a `Mapping` from the parsed YAML, checking every key."""
    if not isinstance(raw, dict):
        raise MappingError(f"mapping '{source}': expected a YAML mapping at the top level")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise MappingError(f"mapping '{source}': unknown key(s) {unknown}; allowed: {sorted(TOP_KEYS)}")
    tables_spec = raw.get("tables")
    if not isinstance(tables_spec, dict):
        raise MappingError(f"mapping '{source}': key 'tables' is missing (units, procedures, dossiers, petitions)")
    bad = sorted(set(tables_spec) - set(TABLES))
    if bad:
        raise MappingError(f"mapping '{source}', key tables: unknown table(s) {bad}; allowed: {list(TABLES)}")
    if raw.get("personal") is not None and (not isinstance(raw["personal"], list)
                                             or not all(isinstance(v, str) for v in raw["personal"])):
        raise MappingError(f"mapping '{source}', key personal: expected a list of quoted strings, got {raw['personal']!r}")
    personal = frozenset(text_key(p) for p in raw.get("personal") or [])
    tables = {}
    for table in TABLES:
        if table not in tables_spec:
            if table == "petitions":
                continue
            raise MappingError(f"mapping '{source}': key tables.{table} is missing")
        tables[table] = _table(source, table, tables_spec[table], personal)
    booleans = raw.get("booleans") or {}
    numbers = raw.get("numbers") or {}
    for key, value in (("booleans", booleans), ("numbers", numbers)):
        if not isinstance(value, dict):
            raise MappingError(f"mapping '{source}', key {key}: expected a mapping such as "
                               + ('{"true": ["Có"], "false": ["Không"]}' if key == "booleans" else
                                  '{thousands: ".", decimal: ","}') + f", got {value!r}")
    # an unquoted `true:` / `false:` key is a YAML boolean: accept it as the word it was meant to be
    booleans = {(str(k).lower() if isinstance(k, bool) else k): v for k, v in booleans.items()}
    for key in ("totals_markers", "personal"):
        if key in raw and raw[key] is not None and (not isinstance(raw[key], list)
                                                   or not all(isinstance(v, str) for v in raw[key])):
            raise MappingError(f"mapping '{source}', key {key}: expected a list of quoted strings, got {raw[key]!r}")
    blank = booleans.get("blank", "false")
    kw: dict[str, Any] = dict(
        true_values=frozenset(text_key(v) for v in booleans.get("true", ["Có", "x", "1", "TRUE"])),
        false_values=frozenset(text_key(v) for v in booleans.get("false", ["Không", "0", "FALSE"])),
        blank_bool=None if blank in (None, "", "empty") else _truthy(blank),
        thousands=str(numbers.get("thousands", ".")),
        decimal=str(numbers.get("decimal", ",")),
        personal=frozenset(text_key(p) for p in raw.get("personal") or []),
        description=str(raw.get("description", "")),
    )
    if kw["thousands"] == kw["decimal"]:
        raise MappingError(f"mapping '{source}', key numbers: thousands and decimal separators must differ")
    for key in ("encodings", "delimiters", "date_formats"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise MappingError(f"mapping '{source}', key {key}: expected a list of quoted strings")
            kw[key] = tuple(value)
    for enc in kw.get("encodings", ()):
        try:
            "".encode(enc)
        except LookupError:
            raise MappingError(f"mapping '{source}', key encodings: unknown encoding '{enc}'") from None
    if "totals_markers" in raw:
        kw["totals_markers"] = tuple(text_key(v) for v in raw["totals_markers"] or [])
    return Mapping(name=str(raw.get("name") or source), path=path, tables=tables, **kw)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    path = Path(path)
    if not path.exists():
        raise MappingError(f"mapping file '{path}' does not exist (see parameters/mappings/)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise MappingError(f"mapping file '{path}' is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise MappingError(f"mapping file '{path}' is not valid YAML{where}: {problem}") from None
    return parse_mapping(raw, str(path), path)
