"""Write a dataset as a one-stop system would export it: the sample that exercises `chiso import`.

The layout is driven by a mapping file (headers and value words come from it), so the sample and
the mapping cannot drift apart. Dossiers go one file per month, as offices download them: an
Excel report with title rows, a two-level merged header and a totals row, or a plain CSV (UTF-8
with BOM, or Windows-1258 with semicolons like older systems). Synthetic personal-data columns
(applicant name, ID number, phone, address) are included so the import's dropping is exercised.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .contract import SCHEMA, Dataset
from .mapping import Mapping, load_mapping, text_key
from .methodology import REPO_ROOT
from .narrative import fmt_number

EXAMPLE_MAPPING = REPO_ROOT / "parameters" / "mappings" / "mot-cua-example.yaml"
#: Column groups of the two-level header of the dossier report.
DOSSIER_GROUPS = (
    ("Thông tin hồ sơ", ("dossier_id", "unit_id", "procedure_code", "channel")),
    ("Thời gian", ("received_at", "due_at", "ended_at", "end_status")),
    ("Bổ sung hồ sơ", ("supplement_count", "supplement_requested_at", "supplement_completed_at")),
    ("Cổng DVCQG và chuyển đổi số", ("synced", "fee_amount", "paid_online", "e_result", "digitized",
                                     "reused_data", "personal_store", "population_data", "rating", "has_petition")),
)
PERSONAL_HEADERS = ("Họ tên người nộp", "Số CCCD/CMND", "Số điện thoại", "Địa chỉ")
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu")
_GIVEN = ("An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Thảo")
_STREETS = ("Lý Thái Tổ", "Trần Hưng Đạo", "Ngô Gia Tự", "Nguyễn Văn Cừ", "Lê Văn Thịnh")


def encode_cp1258(text: str) -> bytes:
    """Vietnamese text in Windows-1258: base letters with â ê ô ơ ư ă đ, tones as combining marks.

    Python's cp1258 codec does not decompose, so 'ế' must be written as 'ê' + combining acute.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = [m for m in parts[1:] if m in "\u0300\u0301\u0303\u0309\u0323"]
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in tones))
        out += (base + "".join(tones)).encode("cp1258")
    return bytes(out)


def _reverse(mapping: Mapping, table: str) -> dict[str, tuple[str, dict]]:
    """contract column → (header, contract value → source word)."""
    out = {}
    for name, cm in mapping.tables[table].columns.items():
        words = {}
        if cm.values:
            source_words = _source_words(mapping, table, name)
            for word in source_words:
                value = cm.values[text_key(word)]
                words.setdefault(str(value), word)
        out[name] = (cm.headers[0], words)
    return out


def _source_words(mapping: Mapping, table: str, column: str) -> list[str]:
    """The value words of a column as written in the mapping file (original spelling)."""
    import yaml

    raw = yaml.safe_load(Path(mapping.path).read_text(encoding="utf-8")) if mapping.path else {}
    spec = raw["tables"][table]["columns"][column]
    return list(spec["values"].keys())


def _fmt_dt(series: pd.Series, with_time: bool = True) -> list[str]:
    fmt = "%d/%m/%Y %H:%M:%S" if with_time else "%d/%m/%Y"
    return ["" if pd.isna(v) else v.strftime(fmt) for v in series]


def _fmt_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    value = float(value)
    if value.is_integer():
        return fmt_number(value, "vi")  # 1234000 → "1.234.000", as Vietnamese exports write it
    return f"{value}".replace(".", ",")


def _fmt_bool(value: Any, yes: str = "Có", no: str = "Không") -> str:
    if value is None or pd.isna(value):
        return ""
    return yes if bool(value) else no


def source_frame(ds: Dataset, table: str, mapping: Mapping, with_time: bool = True) -> pd.DataFrame:
    """One contract table as text columns under the export's headers and value words."""
    frame = ds.table(table)
    rev = _reverse(mapping, table)
    types = {c.name: c.type for c in SCHEMA[table]}
    cols = {}
    for name, (header, words) in rev.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        kind = types[name]
        if words:
            blank = words.get("", "")  # "Đang xử lý", "Chưa đánh giá": what the system shows for empty
            cols[header] = [blank if pd.isna(v) else words.get(_plain(v), str(v)) for v in values]
        elif kind == "datetime":
            cols[header] = _fmt_dt(values, with_time)
        elif kind == "bool":
            cols[header] = [_fmt_bool(v) for v in values]
        elif kind in ("int", "float"):
            cols[header] = [_fmt_number(v) for v in values]
        else:
            cols[header] = ["" if pd.isna(v) else str(v) for v in values]
    return pd.DataFrame(cols)


def _plain(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def personal_columns(n: int, seed: int = 7) -> pd.DataFrame:
    """Made-up applicants (synthetic names, 12-digit ID numbers, phones, addresses)."""
    rng = np.random.default_rng(seed)
    names = [f"{_FAMILY[a]} {_MIDDLE[b]} {_GIVEN[c]}" for a, b, c in
             zip(rng.integers(0, len(_FAMILY), n), rng.integers(0, len(_MIDDLE), n), rng.integers(0, len(_GIVEN), n))]
    ids = [f"0{v:011d}" for v in rng.integers(10**10, 10**11, n)]
    phones = [f"09{v:08d}" for v in rng.integers(0, 10**8, n)]
    addresses = [f"Số {h} đường {_STREETS[s]}, Bắc Ninh" for h, s in zip(rng.integers(1, 300, n),
                                                                       rng.integers(0, len(_STREETS), n))]
    return pd.DataFrame(dict(zip(PERSONAL_HEADERS, (names, ids, phones, addresses))))


def _write_sheet(ws, frame: pd.DataFrame, title: str | None, synthetic: bool, groups=None, totals: bool = False,
                 header_of: dict | None = None) -> None:
    """A report sheet: optional title rows, an optional two-level merged header, data, totals."""
    from openpyxl.styles import Alignment, Font

    row = 1
    if title:
        ws.cell(row, 1, title).font = Font(bold=True)
        row += 1
        if synthetic:
            ws.cell(row, 1, "Dữ liệu mô phỏng — không phải số liệu thật / synthetic data")
            row += 1
        row += 1  # a blank line, as report templates have
    headers = ["STT", *frame.columns]
    if groups:
        top, sub = row, row + 1
        ws.cell(top, 1, "STT")
        ws.merge_cells(start_row=top, start_column=1, end_row=sub, end_column=1)
        position = {h: i + 2 for i, h in enumerate(frame.columns)}
        grouped = set()
        for label, members in groups:
            idx = sorted(position[header_of[m]] for m in members if header_of.get(m) in position)
            if not idx:
                continue
            ws.cell(top, idx[0], label)
            ws.merge_cells(start_row=top, start_column=idx[0], end_row=top, end_column=idx[-1])
            for i in idx:
                ws.cell(sub, i, frame.columns[i - 2])
                grouped.add(i)
        for h, i in position.items():  # columns outside any group: one header merged over two rows
            if i not in grouped:
                ws.cell(top, i, h)
                ws.merge_cells(start_row=top, start_column=i, end_row=sub, end_column=i)
        for c in range(1, len(headers) + 1):
            ws.cell(top, c).alignment = Alignment(wrap_text=True, horizontal="center")
        row = sub + 1
    else:
        for c, h in enumerate(headers, start=1):
            ws.cell(row, c, h).font = Font(bold=True)
        row += 1
    for i, values in enumerate(frame.itertuples(index=False), start=1):
        ws.cell(row, 1, i)
        for c, v in enumerate(values, start=2):
            if v is not None and v != "":
                ws.cell(row, c, v)
        row += 1
    if totals:
        ws.cell(row, 2, f"Tổng cộng: {len(frame)} hồ sơ")


def export_dataset(ds: Dataset, out: str | Path, mapping: Mapping | str | Path | None = None,
                   dossier_format: str = "mixed", personal: bool = True) -> Path:
    """Write `ds` as a one-stop export in `out` (catalogue workbook, monthly dossier files, petitions).

    dossier_format: "xlsx" (report layout), "csv" (UTF-8 with BOM) or "mixed" (xlsx, with every
    third month as CSV and the last month as a Windows-1258 CSV with semicolons).
    """
    import openpyxl

    if dossier_format not in ("xlsx", "csv", "mixed"):
        raise ValueError(f"dossier_format must be xlsx, csv or mixed, not {dossier_format!r}")
    mapping = load_mapping(mapping or EXAMPLE_MAPPING) if not isinstance(mapping, Mapping) else mapping
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    synthetic = ds.synthetic

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in ("units", "procedures"):
        frame = source_frame(ds, table, mapping)
        ws = wb.create_sheet(mapping.tables[table].sheet or table)
        _write_sheet(ws, frame, "DANH MỤC " + ("ĐƠN VỊ" if table == "units" else "THỦ TỤC HÀNH CHÍNH"), synthetic)
    wb.save(out / "danh-muc.xlsx")

    header_of = {name: cm.headers[0] for name, cm in mapping.tables["dossiers"].columns.items()}
    dossiers = source_frame(ds, "dossiers", mapping)
    if personal:
        dossiers = pd.concat([dossiers, personal_columns(len(dossiers))], axis=1)
    months = ds.dossiers["received_at"].dt.strftime("%Y-%m").to_numpy()
    labels = sorted(set(months))
    for k, label in enumerate(labels):
        part = dossiers[months == label].reset_index(drop=True)
        if dossier_format == "csv" or (dossier_format == "mixed" and k % 3 == 2 and k != len(labels) - 1):
            part.to_csv(out / f"ho-so-{label}.csv", index=False, encoding="utf-8-sig")
        elif dossier_format == "mixed" and k == len(labels) - 1 and len(labels) > 1:
            text = part.to_csv(index=False, sep=";", lineterminator="\r\n")
            (out / f"ho-so-{label}.csv").write_bytes(encode_cp1258(text))
        else:
            wb = openpyxl.Workbook(write_only=False)
            ws = wb.active
            ws.title = mapping.tables["dossiers"].sheet or "dossiers"
            y, m = label.split("-")
            _write_sheet(ws, part, f"BÁO CÁO CHI TIẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH THÁNG {m}/{y}", synthetic,
                         groups=DOSSIER_GROUPS, totals=True, header_of=header_of | {h: h for h in PERSONAL_HEADERS})
            wb.save(out / f"ho-so-{label}.xlsx")

    if "petitions" in mapping.tables and len(ds.petitions):
        petitions = source_frame(ds, "petitions", mapping)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = mapping.tables["petitions"].sheet or "petitions"
        _write_sheet(ws, petitions, "DANH SÁCH PHẢN ÁNH, KIẾN NGHỊ", synthetic)
        wb.save(out / "pakn.xlsx")
    return out
