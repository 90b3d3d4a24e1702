"""The quarantine: input rows that could not enter the contract tables, each with a reason.

`chiso import` never drops a row silently: every row read from an export is either kept in the
clean tables or written here with a machine-readable reason and where it came from (file, sheet,
row as the analyst sees it in Excel or a text editor). The import's accounting,
rows read = rows kept + rows quarantined, is checked against this table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

QUARANTINE_FILE = "quarantine.parquet"
IMPORT_REPORT_FILE = "import-report.json"

#: Column → dtype of the quarantine table (`source_row` is 1-based, as shown by Excel or an editor).
COLUMNS: dict[str, str] = {
    "table": "str",            # contract table the row was meant for
    "source_file": "str",      # file name, relative to the import source
    "sheet": "str",            # sheet name; "" for CSV
    "source_row": "int64",     # row number in the sheet / line number in the CSV
    "reason": "str",           # one of REASONS
    "column": "str",           # contract column concerned, "" when the whole row is concerned
    "value": "str",            # the offending raw value ("" when none, never a personal-data value)
    "record_id": "str",        # dossier_id / petition_id / unit_id / procedure_code as read, or ""
    "unit_id": "str",          # the row's unit code as read, or ""
    "received_at": "datetime64[us]",  # parsed receipt time when it parsed, else missing
    "detail": "str",           # one readable sentence (English) for the analyst
}

#: Reason code → label (vi, en). Codes are stable: scripts and tests match on them.
REASONS: dict[str, tuple[str, str]] = {
    "empty_row": ("Dòng trống", "empty row"),
    "totals_row": ("Dòng tổng cộng", "totals row"),
    "column_count_mismatch": ("Dòng bị lệch cột (dấu phân cách trong giá trị)", "row shifted (delimiter inside a value)"),
    "repeated_header": ("Dòng tiêu đề lặp lại", "header row repeated"),
    "missing_required": ("Thiếu giá trị bắt buộc", "missing required value"),
    "unparseable_date": ("Ngày không đọc được", "unparseable date"),
    "implausible_date": ("Ngày không hợp lý (ngoài 2000–2100)", "implausible date (outside 2000–2100)"),
    "unparseable_number": ("Số không đọc được", "unparseable number"),
    "negative_number": ("Số âm", "negative number"),
    "unknown_value": ("Giá trị không có trong bảng ánh xạ", "value not in the mapping"),
    "formula_error": ("Lỗi công thức Excel", "Excel formula error"),
    "end_before_receipt": ("Kết thúc trước ngày tiếp nhận", "ends before receipt"),
    "status_date_mismatch": ("Trạng thái và ngày kết thúc không khớp", "status and end date disagree"),
    "supplement_dates_inconsistent": ("Ngày bổ sung không hợp lệ", "supplement dates inconsistent"),
    "unknown_unit": ("Mã đơn vị không có trong danh mục", "unknown unit code"),
    "unknown_procedure": ("Mã TTHC không có trong danh mục", "unknown procedure code"),
    "unknown_parent": ("Đơn vị cấp trên không có trong danh mục", "unknown parent unit"),
    "duplicate_conflict": ("Trùng mã, nội dung khác nhau", "duplicate id with conflicting content"),
    "duplicate_merged": ("Bản trùng hoàn toàn (đã gộp)", "exact duplicate (merged)"),
    "duplicate_superseded": ("Bản cũ, đã có bản đọc sau thay thế", "older copy, superseded by one read later"),
}


#: Rows quarantined although the record they carry is counted (another copy of it was kept).
STILL_COUNTED = frozenset({"duplicate_merged", "duplicate_superseded"})


def missing_records(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows whose record is missing from the clean tables (copies of kept rows aside)."""
    return quarantine[~quarantine["reason"].isin(list(STILL_COUNTED))]


def reason_label(code: str, lang: str = "vi") -> str:
    """The reason's label in `lang` (vi or en); unknown codes are shown as they are."""
    labels = REASONS.get(code)
    return code if labels is None else labels[0 if lang == "vi" else 1]


def empty() -> pd.DataFrame:
    """A quarantine table with no rows and the right dtypes."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the quarantine columns and dtypes (missing text becomes "")."""
    out = {}
    for name, dtype in COLUMNS.items():
        values = frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if dtype == "str":
            out[name] = values.astype("str").where(values.notna(), "").astype("str")
        elif dtype == "int64":
            out[name] = values.astype("int64")
        else:
            out[name] = pd.to_datetime(values).astype(dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def read(directory: str | Path) -> pd.DataFrame:
    """The quarantine written by `chiso import` into a data directory; empty when there is none
    (generated data, or data written by other tools)."""
    path = Path(directory) / QUARANTINE_FILE
    if not path.exists():
        return empty()
    return normalise(pd.read_parquet(path))


def summary(quarantine: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Rows quarantined per table and reason, largest first, with the reason's label."""
    if quarantine.empty:
        return pd.DataFrame({"table": pd.Series([], dtype="str"), "reason": pd.Series([], dtype="str"),
                             "label": pd.Series([], dtype="str"), "rows": pd.Series([], dtype="int64")})
    out = quarantine.groupby(["table", "reason"], as_index=False).size().rename(columns={"size": "rows"})
    out["label"] = [reason_label(r, lang) for r in out["reason"]]
    out["rows"] = out["rows"].astype("int64")
    return out.sort_values(["rows", "table", "reason"], ascending=[False, True, True])[
        ["table", "reason", "label", "rows"]].reset_index(drop=True)
