"""A corpus of deliberately broken one-stop system exports, with the outcome `chiso import` must give.

Run it as a script (`python tests/corpus/make_corpus.py OUT_DIR`) or import it and call
`build(out_dir)`. Every case becomes a small export folder `OUT_DIR/<case-name>/` — the catalogue
`danh-muc.xlsx` (sheets "Đơn vị" and "Thủ tục"), the dossier file(s) with the defect, and the
petitions file `pakn.csv` — and `OUT_DIR/expected.yaml` says, per case, either the error the import
must stop with (substrings of its message) or the rows read, kept and quarantined per reason.

Every case starts from the same base dataset, small enough to count by hand:
  units       P (province) → STP (department), H1 (district) → C1, C2 (communes)        5 rows
  procedures  1.001193 Đăng ký khai sinh, 1.000894 Đăng ký kết hôn, 2.000815 Chứng thực   3 rows
  dossiers    HS001 … HS010, all received in March 2025                                  10 rows
  petitions   PA001, PA002                                                                2 rows
In the base dossier CSV the header is line 1 and dossier HS0nn is on line nn + 1; in the base
petitions CSV PA001 is line 2 and PA002 line 3. Expected counts and rows below are worked out
by hand from that layout, never by running the importer. Nothing generated is committed: the
tests regenerate the corpus into a temporary folder.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import functools
import io
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # tests/ holds builders.py
    sys.path.insert(0, str(HERE.parent))

from builders import make_dataset  # noqa: E402
from chiso.export import EXAMPLE_MAPPING, encode_cp1258, source_frame  # noqa: E402
from chiso.mapping import load_mapping  # noqa: E402

MAPPING = load_mapping(EXAMPLE_MAPPING)
MANIFEST = "expected.yaml"
TABLE_NAMES = ("units", "procedures", "dossiers", "petitions")
BASE_COUNTS = {"units": 5, "procedures": 3, "dossiers": 10, "petitions": 2}
MARCH = "ho-so-2025-03.csv"

# --------------------------------------------------------------------------------------------
# The base dataset

UNITS = [
    ("P", "UBND tỉnh Thử Nghiệm", "province", None, None),
    ("STP", "Sở Tư pháp", "department", "P", None),
    ("H1", "UBND huyện Yên Phong", "district", "P", None),
    ("C1", "UBND xã Đông Thọ", "commune", "H1", True),
    ("C2", "UBND xã Văn Môn", "commune", "H1", False),
]
PROCEDURES = [
    dict(procedure_code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch", time_limit=1.0,
         time_unit="working_days", online_level="full", level="commune"),
    dict(procedure_code="1.000894", name="Đăng ký kết hôn", field="Hộ tịch", time_limit=5.0,
         time_unit="working_days", online_level="partial", level="commune"),
    dict(procedure_code="2.000815", name="Chứng thực bản sao từ bản chính", field="Chứng thực", time_limit=2.0,
         time_unit="hours", online_level="none", has_fee=True, level="district"),
]
# Times are whole, half or quarter hours where an Excel serial number stands for them (exact floats).
DOSSIERS = [
    dict(dossier_id="HS001", unit_id="C1", procedure_code="1.001193", channel=2, received_at="2025-03-03 08:10",
         due_at="2025-03-04 17:00", ended_at="2025-03-04 09:00", end_status="finished", rating="satisfied"),
    dict(dossier_id="HS002", unit_id="C1", procedure_code="1.001193", channel=1, received_at="2025-03-03 09:00",
         due_at="2025-03-04 17:00", ended_at="2025-03-05 10:30", end_status="finished"),
    dict(dossier_id="HS003", unit_id="C1", procedure_code="1.000894", channel=2, received_at="2025-03-04 10:00",
         due_at="2025-03-11 17:00", ended_at="2025-03-10 15:00", end_status="finished"),
    dict(dossier_id="HS004", unit_id="C2", procedure_code="1.001193", channel=1, received_at="2025-03-05 08:30",
         due_at="2025-03-06 17:00"),
    dict(dossier_id="HS005", unit_id="C2", procedure_code="1.000894", channel=3, received_at="2025-03-05 14:00",
         due_at="2025-03-12 17:00", ended_at="2025-03-14 16:30", end_status="finished", supplement_count=1,
         supplement_requested_at="2025-03-06 09:00", supplement_completed_at="2025-03-08 10:00"),
    dict(dossier_id="HS006", unit_id="H1", procedure_code="2.000815", channel=1, received_at="2025-03-06 08:00",
         due_at="2025-03-06 10:00", ended_at="2025-03-06 09:00", end_status="finished", fee_amount=20000.0),
    dict(dossier_id="HS007", unit_id="H1", procedure_code="2.000815", channel=2, received_at="2025-03-07 13:00",
         due_at="2025-03-07 15:00", ended_at="2025-03-07 16:30", end_status="returned", fee_amount=20000.0,
         paid_online=True),
    dict(dossier_id="HS008", unit_id="STP", procedure_code="2.000815", channel=1, received_at="2025-03-10 08:00",
         due_at="2025-03-10 10:00"),
    dict(dossier_id="HS009", unit_id="C1", procedure_code="1.001193", channel=2, received_at="2025-03-11 08:00",
         due_at="2025-03-12 17:00", ended_at="2025-03-11 10:30", end_status="finished", e_result=True),
    dict(dossier_id="HS010", unit_id="C2", procedure_code="1.001193", channel=1, received_at="2025-03-28 15:00",
         due_at="2025-03-31 17:00", ended_at="2025-04-01 09:00", end_status="finished"),
]
PETITIONS = [
    dict(petition_id="PA001", unit_id="C1", received_at="2025-03-04 08:00", due_at="2025-03-25 17:00",
         resolved_at="2025-03-10 15:00", rating="positive", topic="procedure"),
    dict(petition_id="PA002", unit_id="H1", received_at="2025-03-12 09:00", due_at="2025-04-02 17:00",
         topic="staff"),
]


class Sheet:
    """A contract table as export text: a header row and rows of strings, editable by record id."""

    def __init__(self, table: str, header: list[str], rows: list[list[Any]]):
        self.table = table
        self.header = list(header)
        self.rows = [list(r) for r in rows]

    def copy(self) -> Sheet:
        return Sheet(self.table, self.header, copy.deepcopy(self.rows))

    def col(self, column: str) -> int:
        """Index of a contract column (its first mapped header) or of a header as written."""
        cm = MAPPING.tables[self.table].columns.get(column)
        return self.header.index(cm.headers[0] if cm is not None else column)

    def row(self, record_id: str) -> list[Any]:
        for r in self.rows:
            if r[0] == record_id:
                return r
        raise KeyError(record_id)

    def set(self, record_id: str, column: str, value: Any) -> Sheet:
        self.row(record_id)[self.col(column)] = value
        return self

    def get(self, record_id: str, column: str) -> Any:
        return self.row(record_id)[self.col(column)]

    def drop(self, column: str) -> Sheet:
        i = self.col(column)
        del self.header[i]
        for r in self.rows:
            del r[i]
        return self

    def add_column(self, header: str, values: list[Any]) -> Sheet:
        self.header.append(header)
        for r, v in zip(self.rows, values):
            r.append(v)
        return self

    def grid(self) -> list[list[Any]]:
        return [list(self.header), *[list(r) for r in self.rows]]


@functools.lru_cache(maxsize=1)
def _base() -> dict[str, Sheet]:
    ds = make_dataset(dossiers=DOSSIERS, procedures=PROCEDURES, petitions=PETITIONS, units=UNITS)
    out = {}
    for table in TABLE_NAMES:
        frame = source_frame(ds, table, MAPPING)
        out[table] = Sheet(table, list(frame.columns), frame.astype(object).values.tolist())
    return out


def base(table: str) -> Sheet:
    """A fresh, editable copy of one base table as export text."""
    return _base()[table].copy()


# --------------------------------------------------------------------------------------------
# Writers


def csv_text(grid: list[list[Any]], delimiter: str = ",") -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in row] for row in grid])
    return buf.getvalue()


def csv_bytes(grid: list[list[Any]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    text = csv_text(grid, delimiter)
    return encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def xlsx_bytes(*sheets: tuple[str, list[list[Any]]], merges: dict[str, list[str]] | None = None) -> bytes:
    """A workbook with one sheet per (title, rows); '' and None cells are left empty."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    ws.cell(r, c, value)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_bytes(title: str, rows: list[list[Any]]) -> bytes:
    """A legacy .xls workbook (xlwt); datetime values become real date cells."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(title)
    date_style = xlwt.easyxf(num_format_str="dd/mm/yyyy hh:mm:ss")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                ws.write(r, c, value, date_style)
            else:
                ws.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def catalogue(units: Sheet | None = None, procedures: Sheet | None = None) -> bytes:
    """danh-muc.xlsx: the unit list and the procedure list, one sheet each."""
    units = units or base("units")
    procedures = procedures or base("procedures")
    return xlsx_bytes(("Đơn vị", units.grid()), ("Thủ tục", procedures.grid()))


@functools.lru_cache(maxsize=1)
def _default_catalogue() -> bytes:
    return catalogue()


def folder(files: dict[str, bytes | None]) -> dict[str, bytes]:
    """The base export folder (catalogue, petitions) with `files` added; a None value removes a file."""
    out: dict[str, bytes] = {"danh-muc.xlsx": _default_catalogue(), "pakn.csv": csv_bytes(base("petitions").grid())}
    for name, data in files.items():
        if data is None:
            out.pop(name, None)
        else:
            out[name] = data
    return out


def dossiers_csv(sheet: Sheet | None = None, **kw: Any) -> dict[str, bytes]:
    """The base folder with the March dossiers as ho-so-2025-03.csv (UTF-8 with BOM unless told)."""
    return folder({MARCH: csv_bytes((sheet or base("dossiers")).grid(), **kw)})


def serial(value: str) -> float:
    """Excel serial day number of 'YYYY-MM-DD HH:MM' (used only to write inputs)."""
    delta = dt.datetime.fromisoformat(value) - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


# --------------------------------------------------------------------------------------------
# Cases


@dataclass
class Case:
    """One broken export and the outcome the import must give."""

    name: str
    description: str
    make: Callable[[], dict[str, bytes]]
    error: list[str] | None = None             # substrings of the ImportFailure/MappingError message
    read: dict[str, int] = field(default_factory=dict)       # per table; tables not given: BASE_COUNTS
    kept: dict[str, int] = field(default_factory=dict)       # per table; tables not given: all read rows
    quarantine: dict[str, int] = field(default_factory=dict)  # reason → rows (all tables)
    source_rows: dict[str, list[int]] = field(default_factory=dict)  # reason → rows, sorted (spot check)
    values: list[dict] = field(default_factory=list)   # {table, id, column, equals}: a kept value
    files: dict[str, dict[str, int]] = field(default_factory=dict)  # per source file: read/kept/quarantined
    encodings: dict[str, str] = field(default_factory=dict)        # source file → encoding detected
    personal: list[str] = field(default_factory=list)  # values that must not appear in the written output
    dropped_personal: list[str] = field(default_factory=list)  # headers dropped as personal data
    mapping: str | None = None                         # a mapping file inside the case folder
    known_bug: str | None = None                       # importer bug: the test is xfail(strict)

    def full_read(self) -> dict[str, int]:
        return {t: self.read.get(t, BASE_COUNTS[t]) for t in TABLE_NAMES}

    def full_kept(self) -> dict[str, int]:
        read = self.full_read()
        return {t: self.kept.get(t, read[t]) for t in TABLE_NAMES}

    def manifest(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"description": self.description}
        if self.mapping:
            entry["mapping"] = self.mapping
        if self.known_bug:
            entry["known_bug"] = self.known_bug
        if self.error is not None:
            entry["error"] = {"contains": list(self.error)}
            return entry
        entry["read"] = self.full_read()
        entry["kept"] = self.full_kept()
        entry["quarantine"] = dict(self.quarantine)
        for key in ("source_rows", "values", "files", "encodings", "personal", "dropped_personal"):
            value = getattr(self, key)
            if value:
                entry[key] = copy.deepcopy(value)
        return entry


CASES: list[Case] = []


def case(name: str, description: str, **expected: Any) -> Callable:
    def register(make: Callable[[], dict[str, bytes]]) -> Callable:
        assert name not in {c.name for c in CASES}, name
        CASES.append(Case(name, description, make, **expected))
        return make
    return register


def _value(table: str, record: str, column: str, equals: Any) -> dict:
    return {"table": table, "id": record, "column": column, "equals": equals}


# ---- encodings and file formats -------------------------------------------------------------

@case("baseline-utf8-bom", "the base export, dossiers as CSV UTF-8 with BOM: everything kept (control case)",
      encodings={MARCH: "utf-8-sig"},
      values=[_value("procedures", "1.001193", "name", "Đăng ký khai sinh"),
              _value("dossiers", "HS001", "received_at", "2025-03-03 08:10:00"),
              _value("dossiers", "HS001", "due_at", "2025-03-04 17:00:00"),
              _value("dossiers", "HS006", "fee_amount", 20000.0)])
def _baseline():
    return dossiers_csv()


@case("encoding-utf8-no-bom", "dossiers as UTF-8 without a byte-order mark: decoded as utf-8, all kept",
      encodings={MARCH: "utf-8"}, values=[_value("units", "C1", "name", "UBND xã Đông Thọ")])
def _utf8_plain():
    return dossiers_csv(encoding="utf-8")


@case("encoding-cp1258", "catalogue (don-vi.csv, thu-tuc.csv), dossiers and petitions as Windows-1258 CSVs "
      "(tones as combining marks): diacritics intact after import",
      encodings={MARCH: "cp1258", "don-vi.csv": "cp1258", "thu-tuc.csv": "cp1258", "pakn.csv": "cp1258"},
      values=[_value("procedures", "1.001193", "name", "Đăng ký khai sinh"),
              _value("procedures", "2.000815", "name", "Chứng thực bản sao từ bản chính"),
              _value("units", "C2", "name", "UBND xã Văn Môn"),
              _value("units", "H1", "name", "UBND huyện Yên Phong")])
def _cp1258():
    return {"don-vi.csv": csv_bytes(base("units").grid(), encoding="cp1258"),
            "thu-tuc.csv": csv_bytes(base("procedures").grid(), encoding="cp1258"),
            MARCH: csv_bytes(base("dossiers").grid(), encoding="cp1258"),
            "pakn.csv": csv_bytes(base("petitions").grid(), encoding="cp1258")}


@case("encoding-cp1258-semicolon", "dossiers as Windows-1258 with ';' as delimiter (older systems): all kept",
      encodings={MARCH: "cp1258"}, values=[_value("dossiers", "HS005", "channel", 3)])
def _cp1258_semicolon():
    return dossiers_csv(encoding="cp1258", delimiter=";")


@case("encoding-utf16-tab", "dossiers as Excel 'Unicode text': UTF-16 LE with BOM, tab-separated: all kept",
      encodings={MARCH: "utf-16"}, values=[_value("dossiers", "HS007", "end_status", "returned")])
def _utf16():
    return dossiers_csv(encoding="utf-16", delimiter="\t")


@case("encoding-shift-jis", "dossiers CSV in Shift-JIS (Japanese headers): neither UTF-8 nor Windows-1258 → "
      "error naming the file and the encodings tried",
      error=[MARCH, "encodings tried", "utf-8", "cp1258"])
def _shift_jis():
    grid = [["申請番号", "受付日", "状態"], ["HS001", "2025/03/03", "完了"], ["HS002", "2025/03/03", "処理中"]]
    return folder({MARCH: csv_text(grid).encode("shift_jis")})


@case("encoding-latin-headers", "dossiers saved as 'CSV (Comma delimited)' on a Western Windows (cp1252, "
      "Vietnamese letters turned into '?'): decodes as cp1258 but no header matches → error naming the "
      "missing column, the encoding used and the encodings tried",
      error=[MARCH, "required column(s) not found", "tables.dossiers.columns.dossier_id",
             "decoded as cp1258", "encodings tried: utf-8, cp1258"])
def _latin():
    return folder({MARCH: csv_text(base("dossiers").grid()).encode("cp1252", errors="replace")})


@case("nul-bytes-utf16-no-bom", "dossiers as UTF-16 without a byte-order mark (every other byte NUL) → "
      "error naming the file and the NUL bytes", error=[MARCH, "NUL bytes", "UTF-16"])
def _nul_utf16():
    return folder({MARCH: csv_text(base("dossiers").grid()).encode("utf-16-le")})




@case("nul-bytes-padding-no-bom", "a UTF-8 dossier CSV (no BOM) followed by 64 NUL bytes (interrupted copy) → "
      "error naming the NUL bytes", error=[MARCH, "NUL bytes"])
def _nul_padding_plain():
    return folder({MARCH: csv_bytes(base("dossiers").grid(), encoding="utf-8") + b"\x00" * 64})


@case("nul-bytes-padding-bom", "a 'CSV UTF-8' dossier file (with BOM) followed by 64 NUL bytes → the same error "
      "as without the BOM", error=[MARCH, "NUL bytes"])
def _nul_padding_bom():
    return folder({MARCH: csv_bytes(base("dossiers").grid()) + b"\x00" * 64})


@case("nul-bytes-late", "a UTF-8 dossier CSV (no BOM) of about 7 KB, with a long unmapped 'Ghi chú' column, "
      "followed by NUL padding after byte 4096 → the same error as NUL bytes near the start",
      error=[MARCH, "NUL bytes"])
def _nul_late():
    sheet = base("dossiers").add_column("Ghi chú", ["Hồ sơ đã được kiểm tra đầy đủ thành phần. " * 12] * 10)
    data = csv_bytes(sheet.grid(), encoding="utf-8")
    assert len(data) > 4096
    return folder({MARCH: data + b"\x00" * 64})


@case("xlsx-renamed-csv", "an .xlsx workbook renamed ho-so-2025-03.csv → error: Excel workbook with a text "
      "file name", error=[MARCH, "Excel workbook", ".xlsx"])
def _xlsx_as_csv():
    return folder({MARCH: xlsx_bytes(("Hồ sơ", base("dossiers").grid()))})


@case("xlsx-named-xls", "an .xlsx workbook renamed .xls → error: cannot be read as an Excel workbook",
      error=["ho-so-2025-03.xls", "cannot be read as an Excel workbook"])
def _xlsx_as_xls():
    return folder({"ho-so-2025-03.xls": xlsx_bytes(("Hồ sơ", base("dossiers").grid()))})


@case("xlsx-corrupt", "ho-so-2025-03.xlsx made of 2 KB of random bytes → error: not an Excel workbook",
      error=["ho-so-2025-03.xlsx", "cannot be read as an Excel workbook"])
def _xlsx_corrupt():
    return folder({"ho-so-2025-03.xlsx": random.Random(1258).randbytes(2048)})


@case("xlsx-truncated", "an .xlsx cut off half-way (interrupted download) → error: not an Excel workbook",
      error=["ho-so-2025-03.xlsx", "cannot be read as an Excel workbook"])
def _xlsx_truncated():
    data = xlsx_bytes(("Hồ sơ", base("dossiers").grid()))
    return folder({"ho-so-2025-03.xlsx": data[: len(data) // 2]})


@case("empty-file-csv", "a 0-byte ho-so-2025-03.csv → error: the file is empty", error=[MARCH, "empty"])
def _empty_csv():
    return folder({MARCH: b""})


@case("empty-file-xlsx", "a 0-byte ho-so-2025-03.xlsx → error: not an Excel workbook",
      error=["ho-so-2025-03.xlsx", "Excel workbook"])
def _empty_xlsx():
    return folder({"ho-so-2025-03.xlsx": b""})


@case("header-only", "a dossier CSV with the header row and no data: no error, 0 dossiers",
      read={"dossiers": 0}, files={MARCH: {"read": 0, "kept": 0, "quarantined": 0}})
def _header_only():
    return folder({MARCH: csv_bytes([base("dossiers").header])})


@case("xls-legacy", "dossiers as a legacy .xls (xlwt) with real date cells and a numeric fee cell: all kept",
      values=[_value("dossiers", "HS001", "received_at", "2025-03-03 08:10:00"),
              _value("dossiers", "HS001", "ended_at", "2025-03-04 09:00:00"),
              _value("dossiers", "HS002", "ended_at", "2025-03-05 10:30:00"),
              _value("dossiers", "HS006", "fee_amount", 20000.0)])
def _xls():
    sheet = base("dossiers")
    date_cols = [sheet.col(c) for c in ("received_at", "due_at", "ended_at")]
    for r in sheet.rows:
        for c in date_cols:
            if r[c]:
                r[c] = dt.datetime.strptime(r[c], "%d/%m/%Y %H:%M:%S")
    sheet.set("HS006", "fee_amount", 20000.0).set("HS007", "fee_amount", 20000.0)
    return folder({"ho-so-2025-03.xls": xls_bytes("Hồ sơ", sheet.grid())})


@case("excel-lock-file", "Excel lock files ~$ho-so-2025-03.xlsx and ~$danh-muc.xlsx lie next to the export: "
      "ignored, all kept", files={MARCH: {"read": 10, "kept": 10, "quarantined": 0}})
def _lock_file():
    lock = b"\x0bNguyen Van\x00" + b" " * 40 + b"\x00" * 113  # 165 bytes, as Excel writes them
    return folder({MARCH: csv_bytes(base("dossiers").grid()), "~$ho-so-2025-03.xlsx": lock,
                   "~$danh-muc.xlsx": lock})


@case("petitions-absent", "no petitions file (the table is optional): no error, 0 petitions",
      read={"petitions": 0})
def _no_petitions():
    return folder({MARCH: csv_bytes(base("dossiers").grid()), "pakn.csv": None})


@case("dossiers-absent", "no dossier file at all → error naming the expected file names and the mapping key",
      error=["dossiers", "ho-so*.csv", "tables.dossiers.files"])
def _no_dossiers():
    return folder({})


@case("semicolon-csv", "dossiers as UTF-8 with BOM and ';' delimiters, a fee written '1.234.500,5': all kept",
      values=[_value("dossiers", "HS006", "fee_amount", 1234500.5)])
def _semicolon():
    return dossiers_csv(base("dossiers").set("HS006", "fee_amount", "1.234.500,5"), delimiter=";")


@case("unicode-decomposed", "a UTF-8 CSV in decomposed Unicode (NFD, as macOS writes): headers and value words "
      "still match, all kept", values=[_value("dossiers", "HS003", "channel", 2),
                                       _value("dossiers", "HS001", "rating", "satisfied")])
def _nfd():
    text = unicodedata.normalize("NFD", csv_text(base("dossiers").grid()))
    return folder({MARCH: b"\xef\xbb\xbf" + text.encode("utf-8")})


@case("same-month-csv-and-xlsx", "March exported twice, as ho-so-2025-03.csv and ho-so-2025-03.xlsx (identical "
      "content): the .xlsx copies (read second) are merged → 10 duplicate_merged, 10 dossiers kept",
      read={"dossiers": 20}, kept={"dossiers": 10}, quarantine={"duplicate_merged": 10},
      source_rows={"duplicate_merged": list(range(2, 12))},
      files={MARCH: {"read": 10, "kept": 10, "quarantined": 0},
             "ho-so-2025-03.xlsx": {"read": 10, "kept": 0, "quarantined": 10}})
def _csv_and_xlsx():
    return folder({MARCH: csv_bytes(base("dossiers").grid()),
                   "ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", base("dossiers").grid()))})


@case("csv-cr-line-endings", "a dossier CSV with old Mac line endings (CR only); HS004's receipt date 'abc' → "
      "unparseable_date on line 5 (lines still counted right)",
      kept={"dossiers": 9}, quarantine={"unparseable_date": 1}, source_rows={"unparseable_date": [5]})
def _cr_only():
    text = csv_text(base("dossiers").set("HS004", "received_at", "abc").grid()).replace("\r\n", "\r")
    return folder({MARCH: b"\xef\xbb\xbf" + text.encode("utf-8")})




@case("csv-stray-quote", "HS004's unit cell starts with a stray '\"' (line 5) and no quote closes it → the import "
      "must stop naming the file, the quote and line 5 (not silently drop HS005–HS010)",
      error=[MARCH, "quote", "line 5"])
def _stray_quote():
    text = csv_text(base("dossiers").grid())
    assert text.count(",C2,1.001193,") == 2  # HS004 (line 5) and HS010
    return folder({MARCH: ("\ufeff" + text.replace(",C2,1.001193,", ',"C2,1.001193,', 1)).encode("utf-8")})


@case("csv-stray-quote-large", "like csv-stray-quote, but the rows carry a 20 000-character unmapped 'Ghi chú' "
      "cell, so the swallowed text exceeds the csv module's field limit → still a one-line error naming the file",
      error=[MARCH, "quote"])
def _stray_quote_large():
    sheet = base("dossiers").add_column("Ghi chú", ["Đã kiểm tra thành phần hồ sơ. " * 650] * 10)
    text = csv_text(sheet.grid())
    return folder({MARCH: ("\ufeff" + text.replace(",C2,1.001193,", ',"C2,1.001193,', 1)).encode("utf-8")})


@case("csv-unquoted-comma", "HS006's fee written 20,000 without quotes in a comma CSV (line 7): the row gains a "
      "cell and every later column shifts → column_count_mismatch (its misplaced cells not shown), not kept",
      kept={"dossiers": 9}, quarantine={"column_count_mismatch": 1}, source_rows={"column_count_mismatch": [7]})
def _unquoted_comma():
    text = csv_text(base("dossiers").grid())
    assert text.count(",20.000,") == 2  # HS006 (line 7) and HS007
    return folder({MARCH: ("\ufeff" + text.replace(",20.000,", ",20,000,", 1)).encode("utf-8")})


# ---- layout: headers, title rows, totals, empty rows, sheets ----------------------------------

@case("missing-required-column", "the dossier file has no 'Ngày tiếp nhận' column → error naming the header "
      "and the mapping key", error=[MARCH, "Ngày tiếp nhận", "tables.dossiers.columns.received_at"])
def _missing_column():
    return dossiers_csv(base("dossiers").drop("received_at"))


@case("catalogue-missing-column", "the unit sheet of danh-muc.xlsx has no 'Cấp' column → error naming the "
      "workbook, the sheet, the header and the mapping key",
      error=["danh-muc.xlsx", "Đơn vị", "Cấp", "tables.units.columns.kind"])
def _catalogue_missing_column():
    return folder({"danh-muc.xlsx": catalogue(units=base("units").drop("kind")), MARCH: csv_bytes(
        base("dossiers").grid())})


@case("title-rows", "an .xlsx report with two title rows and a blank row above the header (header on row 4); "
      "HS005's receipt date 'abc' → quarantined at Excel row 9",
      kept={"dossiers": 9}, quarantine={"unparseable_date": 1}, source_rows={"unparseable_date": [9]})
def _title_rows():
    sheet = base("dossiers").set("HS005", "received_at", "abc")
    rows = [["BÁO CÁO CHI TIẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH THÁNG 03/2025"], ["Đơn vị: UBND tỉnh Thử Nghiệm"], [],
            *sheet.grid()]
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", rows))})


@case("merged-two-level-header", "an .xlsx with a title row and a two-level merged header (groups over rows 2–3, "
      "ungrouped headers merged vertically, an STT column); HS002's channel 'Fax' → unknown_value at row 5",
      kept={"dossiers": 9}, quarantine={"unknown_value": 1}, source_rows={"unknown_value": [5]},
      values=[_value("dossiers", "HS001", "synced", True), _value("dossiers", "HS010", "ended_at",
                                                                    "2025-04-01 09:00:00")])
def _merged_header():
    from openpyxl.utils import get_column_letter

    sheet = base("dossiers").set("HS002", "channel", "Fax")
    n = len(sheet.header)
    top = ["STT"] + [""] * n
    sub = [""] * (n + 1)
    merges = ["A2:A3"]
    groups = {"Thông tin hồ sơ": (1, 4), "Thời gian": (5, 8), "Bổ sung hồ sơ": (9, 11)}  # 1-based header index
    grouped = set()
    for label, (a, b) in groups.items():
        top[a] = label
        merges.append(f"{get_column_letter(a + 1)}2:{get_column_letter(b + 1)}2")
        for i in range(a, b + 1):
            sub[i] = sheet.header[i - 1]
            grouped.add(i)
    for i in range(1, n + 1):
        if i not in grouped:
            top[i] = sheet.header[i - 1]
            merges.append(f"{get_column_letter(i + 1)}2:{get_column_letter(i + 1)}3")
    body = [[k, *r] for k, r in enumerate(sheet.rows, start=1)]
    rows = [["DANH SÁCH HỒ SƠ"], top, sub, *body]
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", rows), merges={"Hồ sơ": merges})})


@case("headers-linebreaks-case", "CSV headers in capitals, with line breaks inside the quoted header cells and "
      "doubled spaces (the header spans lines 1–3); HS002's receipt date '31/02/2025' → line 5",
      kept={"dossiers": 9}, quarantine={"unparseable_date": 1}, source_rows={"unparseable_date": [5]})
def _header_variants():
    sheet = base("dossiers").set("HS002", "received_at", "31/02/2025")
    renamed = {"Mã hồ sơ": "MÃ HỒ SƠ", "Ngày tiếp nhận": "Ngày tiếp\nnhận", "Hình thức nộp": "Hình  thức   nộp ",
               "Phí, lệ phí (đồng)": "Phí, lệ phí\n(đồng)", "Trạng thái": "TRẠNG THÁI"}
    sheet.header = [renamed.get(h, h) for h in sheet.header]
    return dossiers_csv(sheet)


@case("totals-rows", "an .xlsx with a sub-total row 'Cộng huyện Yên Phong' after HS005 (row 7) and a final "
      "'Tổng cộng: 10 hồ sơ' row (row 13) → 2 totals_row",
      read={"dossiers": 12}, kept={"dossiers": 10}, quarantine={"totals_row": 2}, source_rows={"totals_row": [7, 13]})
def _totals():
    sheet = base("dossiers")
    n = len(sheet.header)
    subtotal = [""] * n
    subtotal[sheet.col("unit_id")] = "Cộng huyện Yên Phong"
    subtotal[sheet.col("fee_amount")] = 0
    total = [""] * n
    total[0] = "Tổng cộng: 10 hồ sơ"
    total[sheet.col("fee_amount")] = 40000
    rows = [sheet.header, *sheet.rows[:5], subtotal, *sheet.rows[5:], total]
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", rows))})


@case("empty-rows-csv", "a dossier CSV with a blank line (line 5), a line of bare delimiters (line 9) and a "
      "line of spaces (line 13) → 3 empty_row",
      read={"dossiers": 13}, kept={"dossiers": 10}, quarantine={"empty_row": 3}, source_rows={"empty_row": [5, 9, 13]})
def _empty_rows_csv():
    sheet = base("dossiers")
    lines = csv_text(sheet.grid()).split("\r\n")[:-1]  # header + 10 rows
    n = len(sheet.header)
    out = [*lines[:4], "", *lines[4:7], "," * (n - 1), *lines[7:10], " ,  , ", *lines[10:]]
    return folder({MARCH: ("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-8")})


@case("empty-rows-xlsx", "an .xlsx with empty rows 5 and 9 between the dossiers: 2 empty_row, and HS009's unit "
      "'X99' → unknown_unit at row 12 (row numbers survive the gaps)",
      read={"dossiers": 12}, kept={"dossiers": 9}, quarantine={"empty_row": 2, "unknown_unit": 1},
      source_rows={"empty_row": [5, 9], "unknown_unit": [12]})
def _empty_rows_xlsx():
    sheet = base("dossiers").set("HS009", "unit_id", "X99")
    rows = [sheet.header, *sheet.rows[:3], [], *sheet.rows[3:6], [], *sheet.rows[6:]]
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", rows))})


@case("repeated-header-row", "the header row repeated after HS005 (line 7), as page-wise report exports do: "
      "recognised as the header again → repeated_header, the 10 dossiers kept",
      read={"dossiers": 11}, kept={"dossiers": 10}, quarantine={"repeated_header": 1},
      source_rows={"repeated_header": [7]})
def _repeated_header():
    sheet = base("dossiers")
    sheet.rows.insert(5, list(sheet.header))
    return dossiers_csv(sheet)




@case("formula-without-cached-value", "an .xlsx written by a program (not Excel) with the formula '=10000*2' and "
      "no cached result in HS006's fee (row 7) → quarantined as formula_error, not kept with an empty fee",
      kept={"dossiers": 9}, quarantine={"formula_error": 1}, source_rows={"formula_error": [7]})
def _formula_no_cache():
    sheet = base("dossiers").set("HS006", "fee_amount", "=10000*2")
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", sheet.grid()))})


@case("workbook-wrong-sheet", "an .xlsx with sheets 'Sheet1' (notes) and 'Tổng hợp' (a summary), none named "
      "'Hồ sơ' nor holding the dossier columns → error naming the sheet wanted, the mapping key and the sheets found",
      error=["ho-so-2025-03.xlsx", "Hồ sơ", "tables.dossiers.sheet", "Sheet1", "Tổng hợp"])
def _wrong_sheet():
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Sheet1", [["Ghi chú"], ["Xuất ngày 01/04/2025"]]),
                                                    ("Tổng hợp", [["Tổng số hồ sơ", 10]]))})


@case("workbook-sheet-renamed", "the dossiers are on a sheet 'Sheet1' (not 'Hồ sơ') beside a summary sheet: "
      "a visible sheet with every required dossier column is the dossier table, all 10 kept",
      files={"ho-so-2025-03.xlsx": {"read": 10, "kept": 10, "quarantined": 0}})
def _renamed_sheet():
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Sheet1", base("dossiers").grid()),
                                                    ("Tổng hợp", [["Tổng số hồ sơ", 10]]))})


@case("workbook-continuation-sheet", "HS001–HS006 on sheet 'Hồ sơ' and HS007–HS010 on 'Hồ sơ (2)' (how .xls "
      "exports continue past 65,536 rows): both sheets read, all 10 kept",
      read={"dossiers": 10}, kept={"dossiers": 10})
def _continuation_sheet():
    grid = base("dossiers").grid()
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", grid[:7]), ("Hồ sơ (2)", [grid[0], *grid[7:]]))})


@case("workbook-sheet-among-others", "an .xlsx with sheets 'Hướng dẫn', 'Hồ sơ' and 'Thống kê': only 'Hồ sơ' "
      "is read, all kept", files={"ho-so-2025-03.xlsx": {"read": 10, "kept": 10, "quarantined": 0}})
def _sheet_among_others():
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(
        ("Hướng dẫn", [["Tệp xuất từ hệ thống một cửa"], ["Mã hồ sơ", "Mô tả"]]),
        ("Hồ sơ", base("dossiers").grid()),
        ("Thống kê", [["Mã đơn vị", "Số hồ sơ"], ["C1", 4], ["C2", 3]]))})


@case("values-with-spaces", "codes and words padded with spaces and non-breaking spaces ('\\u00a0C1 ', "
      "' 1.001193', '  Trực tuyến '): trimmed, all kept",
      values=[_value("dossiers", "HS001", "unit_id", "C1"), _value("dossiers", "HS001", "procedure_code", "1.001193"),
              _value("dossiers", "HS001", "channel", 2)])
def _spaces():
    sheet = base("dossiers").set("HS001", "unit_id", "\u00a0C1 ").set("HS001", "procedure_code", " 1.001193")
    sheet.set("HS001", "channel", "  Trực tuyến ")
    return dossiers_csv(sheet)


# ---- dates ------------------------------------------------------------------------------------

@case("dates-unparseable", "receipt dates '31/02/2025' (HS003, line 4) and 'abc' (HS007, line 8) → "
      "2 unparseable_date", kept={"dossiers": 8}, quarantine={"unparseable_date": 2},
      source_rows={"unparseable_date": [4, 8]})
def _bad_dates():
    return dossiers_csv(base("dossiers").set("HS003", "received_at", "31/02/2025").set("HS007", "received_at", "abc"))


@case("dates-mixed-formats", "one receipt column mixing dd/mm/yyyy hh:mm:ss, yyyy-mm-dd, dd-mm-yyyy, "
      "yyyy-mm-dd hh:mm:ss, dd-mm-yyyy hh:mm:ss and d/m/yyyy h:mm (all parse) and the US-style '02/30/2025' "
      "(HS006, line 7 → unparseable_date); a date-only due date gets 23:59:59",
      kept={"dossiers": 9}, quarantine={"unparseable_date": 1}, source_rows={"unparseable_date": [7]},
      values=[_value("dossiers", "HS001", "received_at", "2025-03-03 08:10:00"),
              _value("dossiers", "HS002", "received_at", "2025-03-03 00:00:00"),
              _value("dossiers", "HS003", "received_at", "2025-03-04 00:00:00"),
              _value("dossiers", "HS004", "received_at", "2025-03-05 08:30:00"),
              _value("dossiers", "HS005", "received_at", "2025-03-05 14:00:00"),
              _value("dossiers", "HS007", "received_at", "2025-03-07 13:00:00"),
              _value("dossiers", "HS005", "due_at", "2025-03-12 23:59:59")])
def _mixed_dates():
    sheet = base("dossiers")
    for record, text in (("HS002", "2025-03-03"), ("HS003", "04-03-2025"), ("HS004", "2025-03-05 08:30:00"),
                         ("HS005", "05-03-2025 14:00:00"), ("HS006", "02/30/2025"), ("HS007", "7/3/2025 13:00")):
        sheet.set(record, "received_at", text)
    sheet.set("HS005", "due_at", "12/03/2025")
    return dossiers_csv(sheet)


@case("dates-implausible", "receipt date 01/01/1900 (HS004, line 5) and end date 11/03/2201 (HS009, line 10) → "
      "2 implausible_date", kept={"dossiers": 8}, quarantine={"implausible_date": 2},
      source_rows={"implausible_date": [5, 10]})
def _implausible():
    sheet = base("dossiers").set("HS004", "received_at", "01/01/1900").set("HS009", "ended_at", "11/03/2201 10:30:00")
    return dossiers_csv(sheet)


@case("dates-excel-cells", "an .xlsx with receipt dates as Excel date-time cells, due dates as date-only cells "
      "(→ 23:59:59) and end dates as Excel serial numbers (45720.375, 45726): all kept, values checked",
      values=[_value("dossiers", "HS002", "received_at", "2025-03-03 09:00:00"),
              _value("dossiers", "HS001", "due_at", "2025-03-04 23:59:59"),
              _value("dossiers", "HS001", "ended_at", "2025-03-04 09:00:00"),
              _value("dossiers", "HS003", "ended_at", "2025-03-10 00:00:00"),
              _value("dossiers", "HS005", "ended_at", "2025-03-14 16:30:00")])
def _excel_dates():
    sheet = base("dossiers")
    rec, due, end = (sheet.col(c) for c in ("received_at", "due_at", "ended_at"))
    for r in sheet.rows:
        r[rec] = dt.datetime.strptime(r[rec], "%d/%m/%Y %H:%M:%S")
        r[due] = dt.datetime.strptime(r[due], "%d/%m/%Y %H:%M:%S").date()
        if r[end]:
            r[end] = serial(dt.datetime.strptime(r[end], "%d/%m/%Y %H:%M:%S").isoformat(sep=" "))
    sheet.set("HS001", "ended_at", 45720.375).set("HS003", "ended_at", 45726)
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", sheet.grid()))})


@case("end-before-receipt", "HS002 ended 02/03/2025, before its receipt on 03/03 (line 3), and petition PA001 "
      "resolved before it was received (pakn.csv line 2) → 2 end_before_receipt",
      kept={"dossiers": 9, "petitions": 1}, quarantine={"end_before_receipt": 2},
      source_rows={"end_before_receipt": [2, 3]})
def _end_before():
    petitions = base("petitions").set("PA001", "resolved_at", "01/03/2025 10:00:00")
    return folder({MARCH: csv_bytes(base("dossiers").set("HS002", "ended_at", "02/03/2025 10:30:00").grid()),
                   "pakn.csv": csv_bytes(petitions.grid())})


@case("supplement-before-request", "HS005's supplement completed 05/03 before its request on 06/03 (line 6) and "
      "HS003 completed with no request (line 4) → 2 supplement_dates_inconsistent",
      kept={"dossiers": 8}, quarantine={"supplement_dates_inconsistent": 2},
      source_rows={"supplement_dates_inconsistent": [4, 6]})
def _supplement():
    sheet = base("dossiers").set("HS005", "supplement_completed_at", "05/03/2025 10:00:00")
    sheet.set("HS003", "supplement_completed_at", "06/03/2025 10:00:00")
    return dossiers_csv(sheet)


@case("status-without-end-date", "HS001 'Đã trả kết quả' with no end date (line 2) and HS004 'Đang xử lý' with "
      "an end date (line 5) → 2 status_date_mismatch",
      kept={"dossiers": 8}, quarantine={"status_date_mismatch": 2}, source_rows={"status_date_mismatch": [2, 5]})
def _status():
    sheet = base("dossiers").set("HS001", "ended_at", "").set("HS004", "ended_at", "06/03/2025 09:00:00")
    return dossiers_csv(sheet)


# ---- numbers ---------------------------------------------------------------------------------

@case("negative-fee", "HS006's fee '-20.000' (line 7) → negative_number",
      kept={"dossiers": 9}, quarantine={"negative_number": 1}, source_rows={"negative_number": [7]})
def _negative():
    return dossiers_csv(base("dossiers").set("HS006", "fee_amount", "-20.000"))


@case("fees-vietnamese-format", "fees written '1.234.000', '50.000 đ', '1.234.500,5' and '75.000 VNĐ': all kept "
      "with the right values",
      values=[_value("dossiers", "HS006", "fee_amount", 1234000.0), _value("dossiers", "HS007", "fee_amount", 50000.0),
              _value("dossiers", "HS008", "fee_amount", 1234500.5), _value("dossiers", "HS009", "fee_amount", 75000.0)])
def _vn_fees():
    sheet = base("dossiers").set("HS006", "fee_amount", "1.234.000").set("HS007", "fee_amount", "50.000 đ")
    sheet.set("HS008", "fee_amount", "1.234.500,5").set("HS009", "fee_amount", "75.000 VNĐ")
    return dossiers_csv(sheet)


@case("numbers-unparseable", "supplement count '1,5' (HS005, line 6), fees 'hai mươi nghìn' (HS006, line 7) and "
      "'20.000.0' (HS007, line 8) → 3 unparseable_number",
      kept={"dossiers": 7}, quarantine={"unparseable_number": 3}, source_rows={"unparseable_number": [6, 7, 8]})
def _bad_numbers():
    sheet = base("dossiers").set("HS005", "supplement_count", "1,5").set("HS006", "fee_amount", "hai mươi nghìn")
    sheet.set("HS007", "fee_amount", "20.000.0")
    return dossiers_csv(sheet)


# ---- codes, words and references ---------------------------------------------------------------

@case("missing-required-value", "HS003 with an empty unit code (line 4) and a row with every field but the "
      "dossier id (HS008's row, line 9) → 2 missing_required",
      kept={"dossiers": 8}, quarantine={"missing_required": 2}, source_rows={"missing_required": [4, 9]})
def _missing_value():
    return dossiers_csv(base("dossiers").set("HS003", "unit_id", "").set("HS008", "dossier_id", ""))


@case("unknown-unit", "HS008 filed under unit 'STP-CU' (line 9) and petition PA002 under 'H9' (pakn.csv line 3), "
      "neither in the unit list → 2 unknown_unit",
      kept={"dossiers": 9, "petitions": 1}, quarantine={"unknown_unit": 2}, source_rows={"unknown_unit": [3, 9]})
def _unknown_unit():
    return folder({MARCH: csv_bytes(base("dossiers").set("HS008", "unit_id", "STP-CU").grid()),
                   "pakn.csv": csv_bytes(base("petitions").set("PA002", "unit_id", "H9").grid())})


@case("unknown-procedure", "HS009 with procedure code '1.009999', not in the procedure list (line 10) → "
      "unknown_procedure", kept={"dossiers": 9}, quarantine={"unknown_procedure": 1},
      source_rows={"unknown_procedure": [10]})
def _unknown_procedure():
    return dossiers_csv(base("dossiers").set("HS009", "procedure_code", "1.009999"))


@case("unknown-parent", "the unit list adds district H2 whose parent 'P9' is unknown and commune C3 under H2 "
      "(sheet rows 7 and 8) → 2 unknown_parent; HS010 filed under C3 (line 11) → unknown_unit",
      read={"units": 7}, kept={"units": 5, "dossiers": 9}, quarantine={"unknown_parent": 2, "unknown_unit": 1},
      source_rows={"unknown_parent": [7, 8], "unknown_unit": [11]})
def _unknown_parent():
    units = base("units")
    n = len(units.header)
    h2 = ["H2", "UBND huyện Tiên Du", "Huyện", "P9"] + [""] * (n - 4)
    c3 = ["C3", "UBND xã Lạc Vệ", "Xã", "H2"] + [""] * (n - 4)
    units.rows += [h2, c3]
    return folder({"danh-muc.xlsx": catalogue(units=units),
                   MARCH: csv_bytes(base("dossiers").set("HS010", "unit_id", "C3").grid())})




@case("unit-parent-cycle", "the unit list adds communes X1 and X2, each the other's parent (rows 7, 8), and X3, its "
      "own parent (row 9): none hangs under the province → 3 unknown_parent, the import goes on",
      read={"units": 8}, kept={"units": 5}, quarantine={"unknown_parent": 3},
      source_rows={"unknown_parent": [7, 8, 9]})
def _unit_cycle():
    units = base("units")
    pad = [""] * (len(units.header) - 4)
    units.rows += [["X1", "UBND xã Một", "Xã", "X2", *pad], ["X2", "UBND xã Hai", "Xã", "X1", *pad],
                   ["X3", "UBND xã Ba", "Xã", "X3", *pad]]
    return folder({"danh-muc.xlsx": catalogue(units=units), MARCH: csv_bytes(base("dossiers").grid())})


@case("catalogue-no-province", "the unit list lacks the province row, so STP and H1 have an unknown parent → "
      "error: the unit list needs exactly one province row",
      error=["danh-muc.xlsx", "exactly one province row"])
def _no_province():
    units = base("units")
    units.rows = [r for r in units.rows if r[0] != "P"]
    return folder({"danh-muc.xlsx": catalogue(units=units), MARCH: csv_bytes(base("dossiers").grid())})


@case("unknown-channel", "HS003's channel 'Qua Zalo', not listed under values (line 4) → unknown_value",
      kept={"dossiers": 9}, quarantine={"unknown_value": 1}, source_rows={"unknown_value": [4]})
def _unknown_channel():
    return dossiers_csv(base("dossiers").set("HS003", "channel", "Qua Zalo"))


@case("unknown-yes-no-word", "HS004 synced 'Chưa rõ' (not a yes/no word, line 5) and HS009 rated 'Rất hài lòng' "
      "(not a listed rating, line 10) → 2 unknown_value",
      kept={"dossiers": 8}, quarantine={"unknown_value": 2}, source_rows={"unknown_value": [5, 10]})
def _unknown_words():
    return dossiers_csv(base("dossiers").set("HS004", "synced", "Chưa rõ").set("HS009", "rating", "Rất hài lòng"))


@case("formula-error", "an .xlsx with error cells '#DIV/0!' in HS004's fee (row 5) and '#N/A' in HS006's unit "
      "(row 7) → 2 formula_error", kept={"dossiers": 8}, quarantine={"formula_error": 2},
      source_rows={"formula_error": [5, 7]})
def _formula_error():
    sheet = base("dossiers").set("HS004", "fee_amount", "#DIV/0!").set("HS006", "unit_id", "#N/A")
    return folder({"ho-so-2025-03.xlsx": xlsx_bytes(("Hồ sơ", sheet.grid()))})


# ---- duplicates ------------------------------------------------------------------------------

@case("duplicates-exact", "HS004 exported three times, identical (copies on lines 6 and 13) → the copies are "
      "merged: 2 duplicate_merged, 10 dossiers kept",
      read={"dossiers": 12}, kept={"dossiers": 10}, quarantine={"duplicate_merged": 2},
      source_rows={"duplicate_merged": [6, 13]})
def _dup_exact():
    sheet = base("dossiers")
    hs004 = list(sheet.row("HS004"))
    sheet.rows = [*sheet.rows[:4], list(hs004), *sheet.rows[4:], list(hs004)]
    return dossiers_csv(sheet)


@case("duplicates-conflict", "HS006 twice with different fees (20.000 on line 7, 25.000 on line 12) → both "
      "copies duplicate_conflict", read={"dossiers": 11}, kept={"dossiers": 9},
      quarantine={"duplicate_conflict": 2}, source_rows={"duplicate_conflict": [7, 12]})
def _dup_conflict():
    sheet = base("dossiers")
    copy_row = list(sheet.row("HS006"))
    copy_row[sheet.col("fee_amount")] = "25.000"
    sheet.rows.append(copy_row)
    return dossiers_csv(sheet)


def _april() -> Sheet:
    """HS010 (received 28/03, ended 01/04) again, plus two April dossiers HS011 and HS012."""
    sheet = base("dossiers")
    hs010 = list(sheet.row("HS010"))
    new = []
    for record, received, ended in (("HS011", "01/04/2025 08:00:00", "02/04/2025 09:00:00"),
                                    ("HS012", "02/04/2025 14:00:00", "")):
        row = list(sheet.row("HS001" if ended else "HS004"))
        row[0] = record
        row[sheet.col("received_at")] = received
        row[sheet.col("due_at")] = "04/04/2025 17:00:00"
        row[sheet.col("ended_at")] = ended
        new.append(row)
    sheet.rows = [hs010, *new]
    return sheet


@case("same-dossier-two-months", "HS010 (received in March, finished in April) is in both monthly files, "
      "identical: the April copy (ho-so-2025-04.csv line 2) is merged; HS011 and HS012 are new",
      read={"dossiers": 13}, kept={"dossiers": 12}, quarantine={"duplicate_merged": 1},
      source_rows={"duplicate_merged": [2]},
      files={MARCH: {"read": 10, "kept": 10, "quarantined": 0},
             "ho-so-2025-04.csv": {"read": 3, "kept": 2, "quarantined": 1}})
def _two_months():
    return folder({MARCH: csv_bytes(base("dossiers").grid()), "ho-so-2025-04.csv": csv_bytes(_april().grid())})


@case("same-dossier-two-months-updated", "HS010 is 'Đang xử lý' in the March file (line 11) and finished in the "
      "April file (line 2): the same id with different content → both copies duplicate_conflict",
      read={"dossiers": 13}, kept={"dossiers": 11}, quarantine={"duplicate_conflict": 2},
      source_rows={"duplicate_conflict": [2, 11]},
      files={MARCH: {"read": 10, "kept": 9, "quarantined": 1},
             "ho-so-2025-04.csv": {"read": 3, "kept": 2, "quarantined": 1}})
def _two_months_updated():
    march = base("dossiers").set("HS010", "ended_at", "").set("HS010", "end_status", "Đang xử lý")
    return folder({MARCH: csv_bytes(march.grid()), "ho-so-2025-04.csv": csv_bytes(_april().grid())})



@case("same-dossier-two-months-last-wins", "as same-dossier-two-months-updated, with a mapping saying "
      "`duplicates: \"last_wins\"`: the April copy (read last) is kept, the March copy (line 11) is "
      "duplicate_superseded",
      read={"dossiers": 13}, kept={"dossiers": 12}, quarantine={"duplicate_superseded": 1},
      source_rows={"duplicate_superseded": [11]}, mapping="mapping.yaml",
      files={MARCH: {"read": 10, "kept": 9, "quarantined": 1},
             "ho-so-2025-04.csv": {"read": 3, "kept": 3, "quarantined": 0}})
def _two_months_last_wins():
    text = Path(EXAMPLE_MAPPING).read_text(encoding="utf-8")
    marker = '    sheet: "Hồ sơ"\n'
    assert text.count(marker) == 1
    text = text.replace(marker, marker + '    duplicates: "last_wins"\n')
    return _two_months_updated() | {"mapping.yaml": text.encode("utf-8")}


# ---- personal data and mapping ----------------------------------------------------------------

APPLICANTS = [
    ("Nguyễn Thị Hoa", "001203004567", "0912345678", "Số 12 đường Lý Thái Tổ, Yên Phong", "hoa.nguyen@example.vn",
     "14/02/1990"),
    ("Trần Văn Bình", "027198001234", "0987654321", "Thôn Đông, xã Đông Thọ", "binh.tran@example.vn", "02/09/1985"),
]
PERSONAL_HEADERS = ["Họ tên người nộp", "Số CCCD/CMND", "Số điện thoại", "Địa chỉ", "Email người nộp", "Ngày sinh"]


@case("personal-data-columns", "the dossier CSV carries applicants' names, CCCD numbers, phones, addresses, "
      "e-mails and birth dates; the columns are dropped and none of the values appears in any file written; "
      "HS002's receipt date 'abc' (line 3) puts one row in the quarantine",
      kept={"dossiers": 9}, quarantine={"unparseable_date": 1}, source_rows={"unparseable_date": [3]},
      personal=[v for a in APPLICANTS for v in a], dropped_personal=PERSONAL_HEADERS)
def _personal():
    sheet = base("dossiers").set("HS002", "received_at", "abc")
    for k, header in enumerate(PERSONAL_HEADERS):
        sheet.add_column(header, [APPLICANTS[i % 2][k] for i in range(len(sheet.rows))])
    return dossiers_csv(sheet)


@case("mapping-unknown-column", "a mapping (mapping.yaml in the case folder) spelling the contract column "
      "'recieved_at' → MappingError naming the file and the key",
      mapping="mapping.yaml", error=["mapping.yaml", "recieved_at", "tables.dossiers.columns"])
def _bad_mapping():
    text = Path(EXAMPLE_MAPPING).read_text(encoding="utf-8")
    assert '      received_at: "Ngày tiếp nhận"\n      # A due' in text
    text = text.replace('      received_at: "Ngày tiếp nhận"\n      # A due', '      recieved_at: "Ngày tiếp nhận"\n'
                        '      # A due')
    return dossiers_csv() | {"mapping.yaml": text.encode("utf-8")}


# --------------------------------------------------------------------------------------------
# Building


def _quoted_dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style='"'))
    return Dumper


def manifest(cases: list[Case] | None = None) -> dict[str, Any]:
    return {"cases": {c.name: c.manifest() for c in (cases or CASES)}}


def build(out_dir: str | Path) -> list[Case]:
    """Write every case folder and expected.yaml into `out_dir`; return the cases."""
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        folder_path = out / c.name
        folder_path.mkdir(exist_ok=True)
        for name, data in c.make().items():
            (folder_path / name).write_bytes(data)
    header = ("# Generated by tests/corpus/make_corpus.py: what `chiso import` must do with each case folder.\n"
              "# error.contains: substrings of the one-line error; otherwise rows read/kept per table and\n"
              "# rows quarantined per reason code (quarantine.REASONS).\n")
    (out / MANIFEST).write_text(header + yaml.dump(manifest(), Dumper=_quoted_dumper(), allow_unicode=True,
                                                   sort_keys=False, width=120), encoding="utf-8")
    return list(CASES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder to write the case folders and expected.yaml into")
    args = parser.parse_args(argv)
    cases = build(args.out_dir)
    print(f"wrote {len(cases)} cases and {MANIFEST} into {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
