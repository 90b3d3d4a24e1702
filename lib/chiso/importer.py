"""Import one-stop system exports (Excel, CSV) into the data contract, losing nothing.

`import_export(source, mapping)` reads every file of the source that a mapping names, finds the
header row (title rows above it, two-level merged headers, headers with line breaks), drops
personal-data columns, parses Vietnamese dates and numbers, translates values, and sorts every
data row into the clean tables or the quarantine with a reason and its file, sheet and row. The
accounting, rows read = rows kept + rows quarantined, is checked before anything is written.

Problems with a whole file (unreadable, wrong encoding, missing column) raise `ImportFailure`
naming the file and the fix; problems with a row never stop the import.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import fnmatch
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import quarantine as q
from .contract import SCHEMA, TABLES, ContractError, Dataset, validate_dataset, write_dataset
from .mapping import INVISIBLE, Mapping, TableMap, text_key

#: A formula cell whose value was never computed (a workbook written by a program, not saved by Excel).
UNCALCULATED = "#UNCALCULATED"
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", UNCALCULATED})
_UNCACHED_FORMULA = re.compile(rb"(</f>|<f[^>]*/>)\s*(<v\s*/>|<v>\s*</v>|</c>)")
HEADER_SEARCH_ROWS = 40
MAX_COUNT = 1_000_000  # a count column (supplement requests) above this is a typing slip, not a count
FIRST_YEAR, LAST_YEAR = 2000, 2100
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SYNTHETIC_MARK = "dữ liệu mô phỏng"
_INVISIBLE_RE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")
_AM_PM = re.compile(r"\s*\b(SA|CH)$", re.IGNORECASE)  # Vietnamese clocks: sáng (AM), chiều (PM)
_CURRENCY = re.compile(r"\s*(vnđ|vnd|đồng|đ)\.?$", re.IGNORECASE)


class ImportFailure(ValueError):
    """A whole file cannot be imported; the message names the file, what is wrong and the fix."""


@dataclass
class Grid:
    """The cells of one sheet (or CSV file) as read, with each row's number as the user sees it."""

    file: str
    sheet: str
    rows: list[list[Any]]
    row_numbers: list[int]
    encoding: str = ""
    hidden: bool = False


@dataclass
class ImportResult:
    """What an import produced: the clean dataset, the quarantine and the accounting."""

    dataset: Dataset
    quarantine: pd.DataFrame
    accounting: pd.DataFrame      # table, source_file, sheet, read, kept, quarantined
    dropped_columns: list[dict]   # header, file, sheet, why (personal | not mapped)
    internal: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    matched_codes: dict[str, str] = field(default_factory=dict)  # unit/procedure code as read → catalogue code

    def by_reason(self) -> pd.DataFrame:
        """Rows quarantined per table and reason."""
        return q.summary(self.quarantine, "en")

    def totals(self) -> dict[str, int]:
        acc = self.accounting
        return {"read": int(acc["read"].sum()), "kept": int(acc["kept"].sum()),
                "quarantined": int(acc["quarantined"].sum())}


# --------------------------------------------------------------------------------------------
# Reading files into grids


def _cell_text(value: Any) -> str:
    """A cell as trimmed NFC text ('' for empty); whole floats lose their '.0'."""
    if type(value) is str and value.isascii():  # the common case first: codes, dates, numbers as text
        text = value.strip()
        return text[1:] if text.startswith("'") else text
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    text = str(value)
    if not text.isascii():  # most cells (codes, dates, numbers) are ASCII: nothing to normalise
        text = unicodedata.normalize("NFC", text)
        if _INVISIBLE_RE.search(text):
            text = text.translate(INVISIBLE)
    text = text.strip()
    return text[1:] if text.startswith("'") else text  # Excel's "store as text" apostrophe


def decode_text(data: bytes, file: str, encodings: tuple[str, ...]) -> tuple[str, str]:
    """Decode a text export: a byte-order mark wins, then each encoding is tried strictly."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailure(f"{file}: is an Excel workbook with a text file name; rename it to .xlsx/.xls "
                            f"or save it as 'CSV UTF-8'")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and b"\x00" in data:
        at = data.index(b"\x00")
        raise ImportFailure(f"{file}: contains NUL bytes (first at byte {at}), so it is not text in "
                            f"{', '.join(encodings)} (perhaps UTF-16 without a byte-order mark, or a damaged file); "
                            f"re-save it as 'CSV UTF-8' in Excel")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFailure(f"{file}: starts with a UTF-8 byte-order mark but byte {exc.start} is not UTF-8; "
                                f"re-save it as 'CSV UTF-8' in Excel") from None
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), "utf-16"
            except UnicodeDecodeError:
                raise ImportFailure(f"{file}: starts with a UTF-16 byte-order mark but is not valid UTF-16; "
                                    f"re-save it as 'CSV UTF-8' in Excel") from None
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return unicodedata.normalize("NFC", text), enc
    try:
        data.decode("utf-8")
        where = ""
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        where = f" (the first byte that is not UTF-8 is on line {line})"
    raise ImportFailure(f"{file}: is not text in any of the encodings tried ({', '.join(encodings)}){where}; add "
                        f"its encoding under `encodings:` in the mapping or re-save it as 'CSV UTF-8'")


def _csv_rows(text: str, delimiter: str, name: str = "", strict: bool = True) -> tuple[list[list[str]], list[int]]:
    """Records and the line each starts on; a quote left open (which would swallow the rest of the
    file into one cell) or any other CSV error stops with the line named (`strict=False`, used to
    pick the delimiter: stops there quietly)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, numbers, line = [], [], 0
    suspects: list[tuple[int, int, int]] = []  # (record, field, line) of cells spanning record-like lines
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if not strict:
                break
            raise ImportFailure(f"{name}: CSV error in the record starting on line {line + 1} ({exc}); a quote "
                                f"(\") opened there is probably never closed: remove it or close it") from None
        for column, cell in enumerate(record):
            if "\n" in cell or "\r" in cell:
                inner = cell.splitlines()[1:]
                if len(inner) >= 2 and sum(1 for part in inner if delimiter in part) >= 2:
                    suspects.append((len(rows), column, line + 1))
                    break
        rows.append([unicodedata.normalize("NFC", c).strip() for c in record])
        numbers.append(line + 1)
        line = reader.line_num
    # A cell spanning lines that look like records is a quote never closed, unless its record has
    # the usual number of fields (a multi-line note that Excel quoted properly).
    lengths = Counter(len(r) for r in rows if len(r) > 1)
    usual = lengths.most_common(1)[0][0] if lengths else 0
    for index, column, start in suspects:
        if len(rows[index]) != usual:
            if not strict:
                return rows[:index], numbers[:index]
            raise ImportFailure(
                f"{name}: a quote (\") opened in field {column + 1} on line {start} is never closed, "
                f"so the lines after it would be read as one cell; remove the quote or close it")
    return rows, numbers


def read_csv(path: Path, name: str, mapping: Mapping, wanted: dict[str, tuple[str, ...]]) -> list[Grid]:
    """A CSV export as one grid: encoding from BOM or the mapping's list, delimiter by best header match."""
    data = path.read_bytes()
    if not data.strip():
        raise ImportFailure(f"{name}: the file is empty (0 data bytes); export it again from the one-stop system")
    text, encoding = decode_text(data, name, mapping.encodings)
    best: tuple[int, str] | None = None
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    for delim in mapping.delimiters:
        rows, _ = _csv_rows(head, delim, name, strict=False)
        score = _best_header(rows, wanted)[1]
        if best is None or score > best[0]:
            best = (score, delim)
    rows, numbers = _csv_rows(text, mapping.delimiters[0] if best is None else best[1], name)
    return [Grid(name, "", rows, numbers, encoding)]


def _excel_error(exc: Exception, name: str, kind: str) -> ImportFailure:
    return ImportFailure(f"{name}: cannot be read as an Excel workbook ({kind}): {type(exc).__name__}: {exc}; "
                         f"open it in Excel and save it again as .xlsx")


def fill_merged_down(rows: list[list[Any]], ranges) -> None:
    """Give every cell of a one-column merged range the value of its top cell, as the reader of the
    sheet sees it (a unit code merged over the rows of its dossiers). Ranges across columns are
    left alone: copying a value sideways would put it under another header."""
    for (r0, c0), (r1, c1) in ranges:
        if c0 != c1 or r1 <= r0 or r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        top = rows[r0][c0]
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            if c0 < len(rows[r]) and rows[r][c0] in ("", None):
                rows[r][c0] = top


def has_error_cells(path: Path) -> bool:
    """True when a worksheet of the .xlsx holds an error cell (`t="e"`, e.g. a cached #DIV/0!) or
    a formula without a computed value: cells a fast reader would return as empty."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                continue
            tail = b""
            with zf.open(member) as fh:
                while chunk := fh.read(1 << 20):
                    window = tail + chunk
                    if b't="e"' in window or _UNCACHED_FORMULA.search(window):
                        return True
                    tail = chunk[-64:]
    return False


def read_xlsx(path: Path, name: str) -> list[Grid]:
    """Every sheet of an .xlsx workbook (cached values of formulas; error cells read as '#DIV/0!').

    The fast Rust reader (calamine) is used unless the workbook holds error cells, which it reads
    as empty: then openpyxl, twenty times slower but exact, so a formula error is never mistaken
    for an empty cell.
    """
    try:
        errors = has_error_cells(path)
    except Exception as exc:  # zipfile.BadZipFile and friends: not a workbook
        raise _excel_error(exc, name, ".xlsx") from None
    if not errors:
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
            grids = []
            for meta in wb.sheets_metadata:
                sheet = wb.get_sheet_by_name(meta.name)
                rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
                fill_merged_down(rows, sheet.merged_cell_ranges or [])
                grids.append(Grid(name, meta.name, rows, list(range(1, len(rows) + 1)),
                                  hidden="Visible" not in str(meta.visible)))
            return grids
        except Exception as exc:  # python_calamine.CalamineError: not a readable workbook
            raise _excel_error(exc, name, ".xlsx") from None
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError…: all "not a workbook"
        raise _excel_error(exc, name, ".xlsx") from None
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    grids = []
    try:
        for ws, wf in zip(wb.worksheets, formulas.worksheets):
            ws.reset_dimensions()  # the stored sheet size may be wrong: read every row there is
            wf.reset_dimensions()
            rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
            for r, frow in enumerate(wf.iter_rows(min_row=1, values_only=True)):
                if r >= len(rows):
                    break
                for c, formula in enumerate(frow):
                    if (isinstance(formula, str) and formula.startswith("=") and c < len(rows[r])
                            and rows[r][c] is None):
                        rows[r][c] = f"{UNCALCULATED} {formula}"  # never computed: not an empty cell
            grids.append(Grid(name, ws.title, rows, list(range(1, len(rows) + 1)), hidden=ws.sheet_state != "visible"))
    finally:
        wb.close()
        formulas.close()
    return grids


def read_xls(path: Path, name: str) -> list[Grid]:
    """Every sheet of a legacy .xls workbook (dates and error cells decoded)."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except Exception as exc:  # xlrd.XLRDError, struct errors on truncated files
        raise _excel_error(exc, name, ".xls") from None
    grids = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(cell.value, "#VALUE!"))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                else:
                    row.append(cell.value)
            rows.append(row)
        grids.append(Grid(name, sheet.name, rows, list(range(1, len(rows) + 1)), hidden=bool(sheet.visibility)))
    return grids


# --------------------------------------------------------------------------------------------
# Header detection


def _labels(rows: list[list[Any]], r: int) -> list[str]:
    """Header labels of row r; an empty cell takes the label above it (a vertically merged header)."""
    row = rows[r]
    above = rows[r - 1] if r > 0 else []
    out = []
    for c, cell in enumerate(row):
        label = text_key(_cell_text(cell)) if cell is not None else ""
        if not label and c < len(above) and above[c] is not None:
            label = text_key(_cell_text(above[c]))
        out.append(label)
    return out


def _best_header(rows: list[list[Any]], wanted: dict[str, tuple[str, ...]]) -> tuple[int, int]:
    """(row index, number of mapped columns found) of the most header-like row near the top."""
    best = (0, -1)
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        labels = set(_labels(rows, r))
        score = sum(1 for keys in wanted.values() if any(k in labels for k in keys))
        if score > best[1]:
            best = (r, score)
    return best


def _column_name(index: int) -> str:
    """Excel's letters for a 0-based column index (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass
class Located:
    """Where the mapped columns of one grid are."""

    header_row: int
    columns: dict[str, int]        # contract column → column index
    internal: dict[str, int]       # internal name → column index
    dropped: list[dict]
    preamble_text: str


def locate_columns(grid: Grid, tmap: TableMap, mapping: Mapping) -> Located:
    """Find the header row and each mapped column, or fail naming the mapping key and the fix."""
    wanted = {name: cm.keys for name, cm in tmap.columns.items()}
    where = f"{grid.file}" + (f", sheet '{grid.sheet}'" if grid.sheet else "")
    if not grid.rows:
        raise ImportFailure(f"{where}: no rows at all (expected a header row with {', '.join(cm.headers[0] for cm in tmap.columns.values())})")
    r, score = _best_header(grid.rows, wanted)
    if score == 0:  # do not print a row that may be data (names, ID numbers) as "headers found"
        hint = ""
        if grid.encoding and grid.encoding not in ("utf-8", "utf-8-sig", "utf-16"):
            hint = (f"; the file was decoded as {grid.encoding} (encodings tried: {', '.join(mapping.encodings)}) — "
                    f"if its text looks garbled, the file is in another encoding: add it under `encodings:`")
        examples = ", ".join(f"'{cm.headers[0]}'" for cm in list(tmap.columns.values())[:4])
        raise ImportFailure(f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows (expected headers "
                            f"such as {examples}; see tables.{tmap.table}.columns in the mapping "
                            f"{mapping.path or mapping.name}){hint}")
    labels = _labels(grid.rows, r)
    row_labels = [text_key(_cell_text(c)) for c in grid.rows[r]]
    columns: dict[str, int] = {}
    missing = []
    contract = {c.name: c for c in SCHEMA[tmap.table]}
    for name, cm in tmap.columns.items():
        index = None
        for key in cm.keys:  # a label in the header row itself wins over one inherited from above
            if key in row_labels:
                index = row_labels.index(key)
                twice = [i for i, lab in enumerate(row_labels) if lab == key]
                if len(twice) > 1:
                    raise ImportFailure(
                        f"{where}: the header '{cm.headers[0]}' (mapping key tables.{tmap.table}.columns.{name}) "
                        f"appears in columns {', '.join(_column_name(i) for i in twice)}; rename or remove one")
                break
            if key in labels:
                index = labels.index(key)
                break
        if index is None:
            if contract[name].required:
                missing.append(cm)
            continue
        columns[name] = index
    if missing:
        found = [lab for lab in labels if lab]
        hint = ""
        if grid.encoding and grid.encoding not in ("utf-8", "utf-8-sig", "utf-16"):
            hint = (f"; the file was decoded as {grid.encoding} (encodings tried: {', '.join(mapping.encodings)}) — "
                    f"if the headers look garbled, the file is in another encoding: add it under `encodings:`")
        names = "; ".join(f"'{cm.headers[0]}' (mapping key tables.{tmap.table}.columns.{cm.column})" for cm in missing)
        raise ImportFailure(f"{where}: required column(s) not found: {names}. Headers found (row "
                            f"{grid.row_numbers[r]}, the best of the first {HEADER_SEARCH_ROWS}): {found[:25]}. Fix the "
                            f"export or the header in the mapping {mapping.path or mapping.name}{hint}")
    internal = {}
    for name, header in tmap.internal.items():
        key = text_key(header)
        if key in labels:
            internal[name] = labels.index(key)
    used = set(columns.values()) | set(internal.values())
    dropped = []
    for c, label in enumerate(labels):
        if c in used or not label:
            continue
        header = _cell_text(grid.rows[r][c]) or _cell_text(grid.rows[r - 1][c]) if r > 0 else _cell_text(grid.rows[r][c])
        why = "personal" if mapping.is_personal(label) else "not mapped"
        dropped.append({"table": tmap.table, "source_file": grid.file, "sheet": grid.sheet, "header": header, "why": why})
    preamble = " ".join(_cell_text(c) for row in grid.rows[:r] for c in row if c is not None)
    return Located(r, columns, internal, dropped, preamble)


# --------------------------------------------------------------------------------------------
# Parsing values


def _number_from_text(text: str, mapping: Mapping) -> float | None:
    t = _CURRENCY.sub("", text.replace("\u00a0", "").replace(" ", ""))
    if not t:
        return None
    th, dec = re.escape(mapping.thousands), re.escape(mapping.decimal)
    if re.fullmatch(rf"[-+]?\d{{1,3}}({th}\d{{3}})+({dec}\d+)?", t):
        t = t.replace(mapping.thousands, "").replace(mapping.decimal, ".")
    elif re.fullmatch(rf"[-+]?\d{{1,3}}{dec}\d{{3}}", t):
        return None  # "15,000": 15 with a decimal mark or 15000 from another locale? Ask, do not guess.
    elif re.fullmatch(rf"[-+]?\d+{dec}\d+", t):
        t = t.replace(mapping.decimal, ".")
    elif not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", t):
        return None
    try:
        return float(t)
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _parse_dates(raw: list[Any], texts: list[str], mapping: Mapping, date_only_time: str | None):
    """Timestamps (NaT where blank or unparseable) and a mask of cells that did not parse."""
    n = len(raw)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    date_only = np.zeros(n, dtype=bool)
    pending = np.zeros(n, dtype=bool)
    for i, (value, text) in enumerate(zip(raw, texts)):
        if isinstance(value, dt.datetime):
            out[i] = np.datetime64(value.replace(tzinfo=None), "us")
            date_only[i] = value.time() == dt.time(0)
        elif isinstance(value, dt.date):
            out[i] = np.datetime64(value, "us")
            date_only[i] = True
        elif _is_number(value):
            serial = float(value)
            if 1 <= serial < 2958466:  # Excel serial day numbers up to 9999-12-31
                out[i] = np.datetime64(EXCEL_EPOCH + pd.to_timedelta(round(serial * 86400e6), unit="us"), "us")
                date_only[i] = float(serial).is_integer()
            else:
                pending[i] = True
        elif text:
            pending[i] = True
    idx = np.flatnonzero(pending)
    if len(idx):
        values = pd.Series([_AM_PM.sub(lambda m: " AM" if m.group(1).upper() == "SA" else " PM", texts[i])
                            for i in idx], dtype="str")
        parsed = pd.Series(np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[us]"))
        for fmt in mapping.date_formats:
            todo = parsed.isna().to_numpy()
            if not todo.any():
                break
            attempt = pd.to_datetime(values[todo], format=fmt, errors="coerce")
            parsed[todo] = attempt.astype("datetime64[us]").to_numpy()
            if "%H" not in fmt:
                ok = np.flatnonzero(todo)[attempt.notna().to_numpy()]
                date_only[idx[ok]] = True
        out[idx] = parsed.to_numpy()
    bad = pending & np.isnat(out)
    if date_only_time:
        h, m, *s = (int(x) for x in date_only_time.split(":"))
        shift = np.timedelta64(((h * 60 + m) * 60 + (s[0] if s else 0)) * 1_000_000, "us")
        fill = date_only & ~np.isnat(out)
        out[fill] = out[fill] + shift
    return out, bad


class _Rows:
    """The rows of one table being sorted: parsed values plus, per row, the first reason found."""

    def __init__(self, n: int):
        self.reason = np.full(n, "", dtype=object)
        self.column = np.full(n, "", dtype=object)
        self.value = np.full(n, "", dtype=object)
        self.detail = np.full(n, "", dtype=object)

    def flag(self, mask: np.ndarray, reason: str, column: str = "", values=None, detail: str = "") -> None:
        take = np.asarray(mask, dtype=bool) & (self.reason == "")
        self.reason[take] = reason
        self.column[take] = column
        self.detail[take] = detail
        if values is not None:
            vals = np.asarray(values, dtype=object)
            self.value[take] = vals[take]

    @property
    def ok(self) -> np.ndarray:
        return self.reason == ""


def _parse_column(col, cm, raw: list[Any], texts: list[str], rows: _Rows, mapping: Mapping, nullable_ok: bool):
    """Parse one contract column; flag problems on `rows`; return a pandas Series of contract values."""
    n = len(raw)
    name = col.name
    keys: dict[str, str] = {}  # text_key per distinct text: columns of words repeat a handful of values
    text_arr = np.asarray(texts, dtype=object)
    errors = np.isin(text_arr, list(EXCEL_ERRORS)) | np.char.startswith(text_arr.astype(str), UNCALCULATED)
    rows.flag(errors, "formula_error", name, text_arr,
              f"Excel error value in '{name}' ({UNCALCULATED}: a formula never calculated; open and save the file "
              f"in Excel)")
    blank = text_arr == ""
    values: list[Any] = list(raw)
    if cm is not None and cm.values is not None:
        mapped: list[Any] = [None] * n
        unknown = np.zeros(n, dtype=bool)
        for i, t in enumerate(texts):
            if not t:
                continue
            key = keys[t] if t in keys else keys.setdefault(t, text_key(t))
            if key in cm.values:
                v = cm.values[key]
                mapped[i] = None if v in ("", None) else v
            else:
                unknown[i] = True
        rows.flag(unknown, "unknown_value", name, text_arr, f"value not listed under values of '{name}' in the mapping")
        values = mapped
        blank = np.array([v is None for v in mapped], dtype=bool)
        texts = ["" if v is None else str(v) for v in mapped]
        text_arr = np.asarray(texts, dtype=object)
    if cm is not None and cm.blank is not None and blank.any():
        for i in np.flatnonzero(blank):
            values[i] = cm.blank
            texts[i] = str(cm.blank)
        text_arr = np.asarray(texts, dtype=object)
        blank = np.zeros(n, dtype=bool)

    if col.type == "str":
        out = pd.Series([t if t else None for t in texts], dtype="str")
    elif col.type == "bool":
        parsed = np.full(n, None, dtype=object)
        unknown = np.zeros(n, dtype=bool)
        for i, (v, t) in enumerate(zip(values, texts)):
            if isinstance(v, (bool, np.bool_)):
                parsed[i] = bool(v)
            elif not t:
                parsed[i] = None if col.nullable else mapping.blank_bool
            else:
                key = keys[t] if t in keys else keys.setdefault(t, text_key(t))
                if key in mapping.true_values:
                    parsed[i] = True
                elif key in mapping.false_values:
                    parsed[i] = False
                else:
                    unknown[i] = True
        rows.flag(unknown, "unknown_value", name, text_arr, f"'{name}' expects yes/no (see booleans in the mapping)")
        blank = np.array([p is None for p in parsed], dtype=bool) & ~unknown
        out = pd.Series(parsed, dtype="boolean")
    elif col.type in ("int", "float"):
        parsed = np.full(n, np.nan)
        bad = np.zeros(n, dtype=bool)
        for i, (v, t) in enumerate(zip(values, texts)):
            if _is_number(v):
                parsed[i] = float(v)
            elif t:
                number = _number_from_text(t, mapping)
                if number is None:
                    bad[i] = True
                else:
                    parsed[i] = number
        bad |= np.isinf(parsed)  # "1e999"
        if col.type == "int":
            whole = np.nan_to_num(parsed, posinf=0.5, neginf=0.5)
            bad |= ~np.isnan(parsed) & ((whole % 1 != 0) | (np.abs(whole) > MAX_COUNT))
        rows.flag(bad, "unparseable_number", name, text_arr, f"'{name}' is not a number (or not a plausible one)")
        parsed[bad] = np.nan
        if col.minimum is not None:
            rows.flag(parsed < col.minimum, "negative_number", name, text_arr, f"'{name}' is below {col.minimum:g}")
        out = pd.Series(parsed, dtype="float64")
    else:
        stamps, bad = _parse_dates(values, texts, mapping, cm.date_only_time if cm is not None else None)
        rows.flag(bad, "unparseable_date", name, text_arr,
                  f"'{name}' is not a date in the formats {', '.join(mapping.date_formats[:3])}…")
        years = pd.DatetimeIndex(stamps).year.to_numpy()
        implausible = ~np.isnat(stamps) & ((years < FIRST_YEAR) | (years > LAST_YEAR))
        rows.flag(implausible, "implausible_date", name, text_arr, f"'{name}' is outside {FIRST_YEAR}–{LAST_YEAR}")
        stamps = np.where(implausible, np.datetime64("NaT"), stamps)
        out = pd.Series(stamps, dtype="datetime64[us]")
    missing = blank & ~(col.nullable or nullable_ok)
    if missing.any():
        rows.flag(missing, "missing_required", name, None, f"'{name}' is empty")
    if col.allowed is not None:
        present = out.notna().to_numpy()
        allowed = [str(a) for a in col.allowed]
        as_text = np.asarray([_cell_text(v) for v in out.astype(object)], dtype=object)
        bad = present & ~np.isin(as_text, allowed)
        rows.flag(bad, "unknown_value", name, as_text, f"'{name}' must be one of {allowed}")
    return out


# --------------------------------------------------------------------------------------------
# Sorting rows


def _row_kinds(grid: Grid, loc: Located, tmap: TableMap, mapping: Mapping, rows: _Rows, first: int, n: int) -> None:
    """Empty rows and totals rows (identifier empty, text starting with 'Tổng'…)."""
    key_col = loc.columns.get(_key_of(tmap.table))
    header_keys = {loc.columns[name]: set(cm.keys) for name, cm in tmap.columns.items() if name in loc.columns}
    header = [_cell_text(c) for c in grid.rows[loc.header_row]]
    width = max((i + 1 for i, t in enumerate(header) if t), default=0)
    for j in range(n):
        cells = grid.rows[first + j]
        if not any(c is not None and c != "" and not (isinstance(c, str) and not c.strip()) for c in cells):
            rows.reason[j] = "empty_row"
            continue
        if not grid.sheet and any(_cell_text(c) for c in cells[width:]):  # more fields than headers: shifted
            last = max(i + 1 for i, c in enumerate(cells) if _cell_text(c))
            rows.reason[j] = "column_count_mismatch"
            rows.detail[j] = (f"{last} fields for {width} headers: an unquoted delimiter inside a value has "
                              f"shifted the row")
            continue
        key_text = _cell_text(cells[key_col]) if key_col is not None and key_col < len(cells) else ""
        key = text_key(key_text)
        if not key_text or key in header_keys.get(key_col, ()):  # a record's id is never its header
            texts = [_cell_text(c) for c in cells]
            mapped = [(i, header_keys[i]) for i in loc.columns.values() if i < len(texts)]
            if mapped and sum(1 for i, keys in mapped if text_key(texts[i]) in keys) * 2 >= len(mapped):
                rows.reason[j] = "repeated_header"
                rows.detail[j] = "the header row again (page-wise report exports repeat it)"
                continue
        key_is_total = key.startswith(mapping.totals_markers)
        if (not key_text or key_is_total) and any(text_key(t).startswith(mapping.totals_markers)
                                                  for t in map(_cell_text, cells) if t):
            rows.reason[j] = "totals_row"
            rows.detail[j] = "a totals line, not a record"


def _key_of(table: str) -> str:
    return {"units": "unit_id", "procedures": "procedure_code", "dossiers": "dossier_id",
            "petitions": "petition_id"}[table]


@dataclass
class _Part:
    """One grid's rows of one table, parsed."""

    grid: Grid
    frame: pd.DataFrame
    rows: _Rows
    row_numbers: np.ndarray
    raw_key: np.ndarray
    raw_unit: np.ndarray
    internal: pd.DataFrame | None


def _parse_grid(grid: Grid, loc: Located, tmap: TableMap, mapping: Mapping) -> _Part:
    first = loc.header_row + 1
    body = grid.rows[first:]
    n = len(body)
    rows = _Rows(n)
    _row_kinds(grid, loc, tmap, mapping, rows, first, n)
    data = {}
    derived_status = tmap.table == "dossiers" and "end_status" not in tmap.columns and "end_status" not in tmap.defaults
    for col in SCHEMA[tmap.table]:
        cm = tmap.columns.get(col.name)
        index = loc.columns.get(col.name)
        if index is None:
            if col.name in tmap.defaults:
                default = tmap.defaults[col.name]
                raw = [default] * n
            elif not col.required or (derived_status and col.name == "end_status"):
                continue
            else:  # a mapped optional column absent from this file
                continue
            cm_use = None
        else:
            raw = [row[index] if index < len(row) else None for row in body]
            cm_use = cm
        texts = [_cell_text(v) for v in raw]
        data[col.name] = _parse_column(col, cm_use, raw, texts, rows, mapping, nullable_ok=False)
    frame = pd.DataFrame(data)
    if derived_status:
        frame["end_status"] = pd.Series(np.where(frame["ended_at"].notna(), "finished", None), dtype="str")
    key_idx = loc.columns.get(_key_of(tmap.table))
    unit_idx = loc.columns.get("unit_id")
    raw_key = np.asarray([_cell_text(r[key_idx]) if key_idx is not None and key_idx < len(r) else "" for r in body],
                         dtype=object)
    raw_unit = np.asarray([_cell_text(r[unit_idx]) if unit_idx is not None and unit_idx < len(r) else "" for r in body],
                          dtype=object)
    internal = None
    if loc.internal:
        internal = pd.DataFrame({name: pd.Series([_cell_text(r[i]) if i < len(r) else "" for r in body], dtype="str")
                                 for name, i in loc.internal.items()})
        internal.insert(0, _key_of(tmap.table), pd.Series(raw_key, dtype="str"))
        internal.insert(1, "source_file", grid.file)
        internal.insert(2, "source_row", np.asarray(grid.row_numbers[first:], dtype="int64"))
    return _Part(grid, frame, rows, np.asarray(grid.row_numbers[first:], dtype="int64"), raw_key, raw_unit, internal)


def _row_rules(table: str, frame: pd.DataFrame, rows: _Rows) -> None:
    """Rules across columns of one row: dates in order, status matching the end date."""
    if table == "dossiers":
        ended = frame["ended_at"].notna().to_numpy()
        status = frame["end_status"].notna().to_numpy()
        rows.flag(ended != status, "status_date_mismatch", "end_status", None,
                  "an end status needs an end date and an end date needs an end status")
        rows.flag((frame["ended_at"] < frame["received_at"]).fillna(False).to_numpy(), "end_before_receipt",
                  "ended_at", frame["ended_at"].astype("str").to_numpy(dtype=object), "ended before it was received")
        req, done = frame["supplement_requested_at"], frame["supplement_completed_at"]
        bad = (done.notna() & req.isna()).to_numpy() | (done < req).fillna(False).to_numpy()
        bad |= (req.notna() & (frame["supplement_count"].fillna(0) < 1)).to_numpy()
        rows.flag(bad, "supplement_dates_inconsistent", "supplement_completed_at", None,
                  "supplement completed without or before its request, or a request with count 0")
    if table == "petitions":
        rows.flag((frame["resolved_at"] < frame["received_at"]).fillna(False).to_numpy(), "end_before_receipt",
                  "resolved_at", frame["resolved_at"].astype("str").to_numpy(dtype=object), "resolved before it was received")
    if table == "units":
        root = frame["parent_id"].isna().to_numpy() & (frame["kind"] != "province").fillna(True).to_numpy()
        rows.flag(root, "missing_required", "parent_id", None, "only the province may have no parent unit")


def _duplicates(table: str, frame: pd.DataFrame, rows: _Rows, policy: str = "quarantine") -> None:
    """Exact copies are merged (kept once); the same id with different content is quarantined, or
    with policy `last_wins` the copy read last is kept and the earlier ones are `duplicate_superseded`."""
    key = _key_of(table)
    ok = rows.ok
    if not ok.any():
        return
    live = frame[ok]
    dup_any = live[key].duplicated(keep=False).to_numpy()
    if not dup_any.any():
        return
    positions = np.flatnonzero(ok)
    content = live.astype("str").fillna("\x00")
    if policy == "last_wins":
        ids = frame[key].astype("str").to_numpy(dtype=object)
        merged = np.zeros(len(frame), dtype=bool)
        merged[positions] = content.duplicated(keep="last").to_numpy()
        rows.flag(merged, "duplicate_merged", key, ids, "an exact copy of a later row (kept once)")
        older = np.zeros(len(frame), dtype=bool)
        older[positions] = live[key].duplicated(keep="last").to_numpy()
        rows.flag(older, "duplicate_superseded", key, ids, "the same id appears again later with other content")
        return
    distinct = content[dup_any].drop_duplicates().groupby(key).size()
    conflict_keys = set(distinct[distinct > 1].index)
    conflict = np.zeros(len(frame), dtype=bool)
    conflict[positions] = live[key].isin(conflict_keys).to_numpy()
    merged = np.zeros(len(frame), dtype=bool)
    merged[positions] = content.duplicated(keep="first").to_numpy()
    ids = frame[key].astype("str").to_numpy(dtype=object)
    rows.flag(conflict, "duplicate_conflict", key, ids, "the same id appears with different content")
    rows.flag(merged, "duplicate_merged", key, ids, "an exact copy of an earlier row (kept once)")


def _check_codes(frame: pd.DataFrame, rows: _Rows, known: dict, column: str, catalogue: str, reason: str,
                 detail: str) -> None:
    """Codes of `column` must be in the kept `catalogue`; near misses (case, Excel numbers) are
    matched first and recorded, the rest quarantined with `reason`."""
    matched = code_matches(frame[column][rows.ok], known[catalogue])
    if matched:
        frame[column] = frame[column].replace(matched)
        known.setdefault("matched_codes", {}).update(matched)
    codes = frame[column]
    rows.flag(~codes.isin(known[catalogue]).to_numpy(), reason, column, codes.astype("str").to_numpy(dtype=object),
              detail)


def _references(table: str, frame: pd.DataFrame, rows: _Rows, known: dict[str, set]) -> None:
    if table == "units":
        while True:  # a unit whose parent was quarantined cannot hang in the tree either
            kept = set(frame.loc[rows.ok, "unit_id"])
            parent = frame["parent_id"]
            bad = rows.ok & (parent.notna() & ~parent.isin(kept)).to_numpy()
            if not bad.any():
                break
            rows.flag(bad, "unknown_parent", "parent_id", parent.astype("str").to_numpy(dtype=object),
                      "parent unit code is not a kept unit")
        # units that only reach each other (a cycle) never reach the province: not in the tree either
        ids = frame["unit_id"].to_numpy(dtype=object)
        parents = frame["parent_id"].to_numpy(dtype=object)
        reached = {u for u, par, ok in zip(ids, parents, rows.ok) if ok and not isinstance(par, str)}
        while True:
            more = {u for u, par, ok in zip(ids, parents, rows.ok) if ok and par in reached and u not in reached}
            if not more:
                break
            reached |= more
        cycle = rows.ok & ~np.isin(ids, list(reached))
        rows.flag(cycle, "unknown_parent", "parent_id", parent.astype("str").to_numpy(dtype=object),
                  "the parent chain never reaches the province (a cycle)")
        return
    if table in ("dossiers", "petitions"):
        _check_codes(frame, rows, known, "unit_id", "units", "unknown_unit", "unit code not in the unit list")
    if table == "dossiers":
        _check_codes(frame, rows, known, "procedure_code", "procedures", "unknown_procedure",
                     "procedure code not in the procedure list")
    if table == "procedures" and "agency_id" in frame.columns:
        agency = frame["agency_id"]
        rows.flag((agency.notna() & ~agency.isin(known["units"])).to_numpy(), "unknown_unit", "agency_id",
                  agency.astype("str").to_numpy(dtype=object), "agency code not in the unit list")


def _code_key(code: str):
    """How codes are compared when an exact match fails: as numbers when they look like decimals
    ('1.001190' that Excel kept as 1.00119), else ignoring case ('h27.36' for 'H27.36')."""
    code = str(code).strip()
    return float(code) if re.fullmatch(r"\d+\.\d+", code) else code.casefold()


def code_matches(codes: pd.Series, known: set) -> dict[str, str]:
    """Codes not among `known` that equal exactly one known code by `_code_key`."""
    by_key: dict[Any, list[str]] = {}
    for k in known:
        by_key.setdefault(_code_key(k), []).append(str(k))
    out = {}
    for code in codes[~codes.isin(known) & codes.notna()].unique():
        found = by_key.get(_code_key(code), [])
        if len(found) == 1:
            out[str(code)] = found[0]
    return out


ID_COLUMNS = frozenset({"dossier_id", "petition_id", "unit_id", "procedure_code", "agency_id", "parent_id"})
_LONG_NUMBER = re.compile(r"\d(?:[ .\-]?\d){7,}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
MAX_VALUE_CHARS = 60


def redact(value: Any, column: str = "") -> str:
    """A raw value fit for the quarantine: in free text, digit runs of 8 or more (phone, ID numbers)
    and e-mail addresses are masked and long text is cut, so a citizen's details typed into a
    mapped cell do not travel on. Identifier columns are kept whole: the analyst needs them."""
    text = "" if value is None else str(value)
    if column in ID_COLUMNS or not text:
        return text
    text = _EMAIL.sub("…@…", _LONG_NUMBER.sub("…", text))
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


# --------------------------------------------------------------------------------------------
# The import


def find_files(source: Path, tmap: TableMap) -> list[Path]:
    """Files of `source` (a file or a folder, searched recursively) matching the table's patterns."""
    if source.is_file():
        candidates = [source]
    else:
        candidates = sorted(p for p in source.rglob("*") if p.is_file())
    out = []
    for path in candidates:
        name = path.name
        if name.startswith(("~$", ".")):  # Excel lock files and hidden files
            continue
        if any(fnmatch.fnmatch(name.lower(), pat.lower()) for pat in tmap.files):
            out.append(path)
    if not out and source.is_file() and source.suffix.lower() in (".xlsx", ".xls"):
        out = [source]  # one workbook holding every table, one sheet each
    return out


def _grids_for(path: Path, name: str, tmap: TableMap, mapping: Mapping, cache: dict) -> list[Grid]:
    try:
        return _read_grids(path, name, tmap, mapping, cache)
    except OSError as exc:  # permissions, a file vanished or locked by another program
        raise ImportFailure(f"{name}: cannot be read ({exc.strerror or exc}); check that the file exists, is "
                            f"not open in another program and that you may read it") from None


def _read_grids(path: Path, name: str, tmap: TableMap, mapping: Mapping, cache: dict) -> list[Grid]:
    suffix = path.suffix.lower()
    wanted = {n: cm.keys for n, cm in tmap.columns.items()}
    if suffix == ".csv" or suffix == ".txt":
        return read_csv(path, name, mapping, wanted)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        raise ImportFailure(f"{name}: unsupported file type '{suffix}'; export .xlsx, .xls or .csv")
    if path not in cache:
        cache[path] = read_xls(path, name) if suffix == ".xls" else read_xlsx(path, name)
    return choose_sheets(cache[path], name, tmap)


def _complete_header(grid: Grid, tmap: TableMap) -> bool:
    """True when the sheet has, near its top, every required column the mapping names."""
    contract = {c.name: c for c in SCHEMA[tmap.table]}
    wanted = {n: cm.keys for n, cm in tmap.columns.items() if contract[n].required}
    return bool(wanted) and _best_header(grid.rows, wanted)[1] == len(wanted)


def choose_sheets(grids: list[Grid], name: str, tmap: TableMap) -> list[Grid]:
    """The sheets holding the table: the mapping's sheet and its continuations ('Hồ sơ (2)', as .xls
    exports split past 65,536 rows), plus any other visible sheet with the table's complete header;
    with one visible sheet only, that sheet (its header is checked next)."""
    chosen = []
    if tmap.sheet is not None:
        key = text_key(tmap.sheet)
        chosen = [g for g in grids if text_key(g.sheet) == key
                  or re.fullmatch(re.escape(key) + r"\s*\(\d+\)", text_key(g.sheet))]
    chosen += [g for g in grids if g not in chosen and not g.hidden and _complete_header(g, tmap)]
    if chosen:
        return chosen
    visible = [g for g in grids if not g.hidden]
    if len(visible) == 1 or (tmap.sheet is None and visible):
        return visible[:1]
    raise ImportFailure(f"{name}: no sheet named '{tmap.sheet}' (mapping key tables.{tmap.table}.sheet) and no "
                        f"other sheet with its columns; sheets: {[g.sheet for g in grids]}")


def import_export(source: str | Path, mapping: Mapping) -> ImportResult:
    """Read an export (a file or a folder) with `mapping` into clean tables plus a quarantine."""
    source = Path(source)
    if not source.exists():
        raise ImportFailure(f"source '{source}' does not exist")
    if source.is_file() and source.suffix.lower() in (".zip", ".rar", ".7z"):
        raise ImportFailure(f"source '{source}' is an archive: extract it and give the folder as --source")
    base = source if source.is_dir() else source.parent
    cache: dict = {}
    parts: dict[str, list[_Part]] = {}
    dropped: list[dict] = []
    files: list[dict] = []
    synthetic = False
    for table in TABLES:
        tmap = mapping.tables.get(table)
        if tmap is None:
            parts[table] = []
            continue
        paths = find_files(source, tmap)
        if not paths and not tmap.optional:
            archives = source.is_dir() and any(p.suffix.lower() in (".zip", ".rar", ".7z") for p in source.rglob("*"))
            raise ImportFailure(f"no file for table '{table}' in '{source}': expected names matching "
                                f"{list(tmap.files)} (mapping key tables.{table}.files)"
                                + ("; the folder holds archives (.zip): extract them first" if archives else ""))
        parts[table] = []
        for path in paths:
            name = str(path.relative_to(base))
            for grid in _grids_for(path, name, tmap, mapping, cache):
                loc = locate_columns(grid, tmap, mapping)
                dropped.extend(loc.dropped)
                synthetic |= SYNTHETIC_MARK in text_key(loc.preamble_text)
                part = _parse_grid(grid, loc, tmap, mapping)
                _row_rules(table, part.frame, part.rows)
                parts[table].append(part)
                files.append({"table": table, "source_file": grid.file, "sheet": grid.sheet,
                              "encoding": grid.encoding, "header_row": grid.row_numbers[loc.header_row]
                              if grid.row_numbers else 0})
    return _assemble(parts, mapping, source, dropped, files, synthetic)


def _concat(table: str, plist: list[_Part]) -> tuple[pd.DataFrame, _Rows]:
    if not plist:
        frame = pd.DataFrame({c.name: pd.Series([], dtype="str") for c in SCHEMA[table] if c.required})
        return frame, _Rows(0)
    frame = pd.concat([p.frame for p in plist], ignore_index=True) if len(plist) > 1 else plist[0].frame
    rows = _Rows(len(frame))
    for attr in ("reason", "column", "value", "detail"):
        setattr(rows, attr, np.concatenate([getattr(p.rows, attr) for p in plist]))
    return frame, rows


def _assemble(parts, mapping: Mapping, source: Path, dropped, files, synthetic: bool) -> ImportResult:
    frames, sorted_rows = {}, {}
    known: dict[str, set] = {}
    for table in TABLES:
        frame, rows = _concat(table, parts[table])
        if len(frame):
            tmap = mapping.tables.get(table)
            _duplicates(table, frame, rows, tmap.duplicates if tmap else "quarantine")
            _references(table, frame, rows, known)
        frames[table], sorted_rows[table] = frame, rows
        key = _key_of(table)
        known[table] = set(frame.loc[rows.ok, key]) if len(frame) else set()
        if table == "units":
            roots = int((rows.ok & frame["parent_id"].isna().to_numpy()).sum()) if len(frame) else 0
            if roots != 1:
                where = ", ".join(sorted({p.grid.file for p in parts["units"]})) or str(source)
                raise ImportFailure(f"{where}: the unit list needs exactly one province row with an empty parent "
                                    f"code, found {roots} among the rows kept; check 'Cấp' and the parent column")

    q_parts, acc_rows, clean, internal = [], [], {}, {}
    for table in TABLES:
        frame, rows = frames[table], sorted_rows[table]
        keep = rows.ok
        clean[table] = frame[keep].reset_index(drop=True)
        offset = 0
        for part in parts[table]:
            n = len(part.frame)
            sl = slice(offset, offset + n)
            reasons = rows.reason[sl]
            bad = reasons != ""
            acc_rows.append({"table": table, "source_file": part.grid.file, "sheet": part.grid.sheet,
                             "read": n, "kept": int((~bad).sum()), "quarantined": int(bad.sum())})
            if bad.any():
                shifted = reasons == "column_count_mismatch"  # its cells are misplaced: show none of them
                part.raw_key[shifted] = ""
                part.raw_unit[shifted] = ""
                received = frame["received_at"].iloc[sl] if "received_at" in frame.columns else pd.Series(
                    [pd.NaT] * n, dtype="datetime64[us]")
                q_parts.append(pd.DataFrame({
                    "table": table, "source_file": part.grid.file, "sheet": part.grid.sheet,
                    "source_row": part.row_numbers[bad], "reason": reasons[bad],
                    "column": rows.column[sl][bad],
                    "value": [redact(v, c) for v, c in zip(rows.value[sl][bad], rows.column[sl][bad])],
                    "record_id": part.raw_key[bad], "unit_id": part.raw_unit[bad] if table != "units" else part.raw_key[bad],
                    "received_at": received.to_numpy()[bad], "detail": rows.detail[sl][bad],
                }))
            if part.internal is not None:
                internal.setdefault(table, []).append(part.internal[~bad])
            offset += n
    quarantine = q.normalise(pd.concat(q_parts, ignore_index=True)) if q_parts else q.empty()
    accounting = pd.DataFrame(acc_rows, columns=["table", "source_file", "sheet", "read", "kept", "quarantined"])
    if accounting.empty:
        accounting = accounting.astype({"read": "int64", "kept": "int64", "quarantined": "int64"})
    for table in TABLES:  # the promise of this module: nothing is lost
        read = int(accounting.loc[accounting["table"] == table, "read"].sum())
        kept, quarantined = len(clean[table]), int((quarantine["table"] == table).sum())
        if read != kept + quarantined:
            raise AssertionError(f"import accounting broken for {table}: {read} read != {kept} kept + {quarantined}")

    for table in TABLES:
        if table == "petitions" and not len(clean[table]):
            clean[table] = pd.DataFrame({c.name: pd.Series([], dtype=_empty_dtype(c.type))
                                         for c in SCHEMA["petitions"] if c.required})
    received = clean["dossiers"]["received_at"] if len(clean["dossiers"]) else pd.Series([], dtype="datetime64[us]")
    meta = {
        "source": "synthetic" if synthetic else "imported",
        "imported": True,
        "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mapping": mapping.name,
        "import_source": source.name,
        "first_month": None if received.empty else f"{received.min():%Y-%m}",
        "last_month": None if received.empty else f"{received.max():%Y-%m}",
        "accounting": {t: {"read": int(accounting.loc[accounting["table"] == t, "read"].sum()),
                           "kept": len(clean[t]),
                           "quarantined": int((quarantine["table"] == t).sum())} for t in TABLES},
    }
    try:
        ds = validate_dataset(Dataset(**clean, meta=meta))
    except ContractError as exc:  # a row the sorting should have caught: a bug, keep the detail
        raise AssertionError(f"imported tables break the contract: {exc}") from exc
    internal_frames = {t: pd.concat(v, ignore_index=True) for t, v in internal.items()}
    return ImportResult(ds, quarantine, accounting, dropped, internal_frames, files,
                        dict(known.get("matched_codes", {})))


def _empty_dtype(kind: str) -> str:
    return {"str": "str", "bool": "bool", "int": "int64", "float": "float64", "datetime": "datetime64[us]"}[kind]


def write_import(result: ImportResult, out: str | Path) -> Path:
    """Write the clean tables, the quarantine (Parquet + CSV for Excel) and the import report."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ImportFailure(f"--out '{out}' is a file; give a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailure(f"--out '{out}' cannot be created ({exc.strerror or exc}); choose another folder") from None
    write_dataset(result.dataset, out)
    result.quarantine.to_parquet(out / q.QUARANTINE_FILE, index=False)
    readable = result.quarantine.copy()  # for Excel users: the reason in Vietnamese beside its code
    readable.insert(readable.columns.get_loc("reason") + 1, "ly_do",
                    pd.Series([q.reason_label(r, "vi") for r in readable["reason"]], index=readable.index, dtype="str"))
    readable.to_csv(out / "quarantine.csv", index=False, encoding="utf-8-sig")
    internal_dir = out / "internal"
    if internal_dir.exists() and not result.internal:  # personal data of an earlier import must not linger
        import shutil

        shutil.rmtree(internal_dir)
    if result.internal:
        internal_dir.mkdir(exist_ok=True)
        (internal_dir / "README.txt").write_text(
            "Dữ liệu cá nhân nội bộ / internal personal data: never read by chiso; do not share.\n", encoding="utf-8")
        for table, frame in result.internal.items():
            frame.to_parquet(internal_dir / f"{table}.parquet", index=False)
    report = {
        "accounting": result.accounting.to_dict("records"),
        "totals": result.totals(),
        "by_reason": result.by_reason().to_dict("records"),
        "dropped_columns": result.dropped_columns,
        "matched_codes": result.matched_codes,
        "files": result.files,
        "meta": result.dataset.meta,
    }
    (out / q.IMPORT_REPORT_FILE).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str),
                                            encoding="utf-8")
    return out
