"""`chiso import`: parsing, header finding, personal data, the round trip and the accounting identity.

Expected numbers are worked out by hand from the small inputs written in each test; the broken-input
corpus (tests/corpus) covers the catalogue of bad files case by case.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from builders import make_dataset
from chiso import quarantine as q
from chiso.cli import app
from chiso.contract import SCHEMA, load_dataset
from chiso.demo import generate
from chiso.export import encode_cp1258, export_dataset, source_frame
from chiso.importer import ImportFailure, _number_from_text, decode_text, import_export, write_import
from chiso.mapping import MappingError, is_personal, load_mapping, parse_mapping
from chiso.methodology import REPO_ROOT, load_methodology
from chiso.scoring import score

MAPPING_FILE = REPO_ROOT / "parameters" / "mappings" / "mot-cua-example.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(MAPPING_FILE)


@pytest.fixture(scope="module")
def small():
    """Hand-made contract data: P → H1 → C1, C2; two procedures; four dossiers; one petition."""
    return make_dataset(
        procedures=[{"procedure_code": "X1", "name": "Đăng ký khai sinh"},
                    {"procedure_code": "X2", "name": "Cấp giấy phép xây dựng", "has_fee": True}],
        dossiers=[
            {"unit_id": "C1", "received_at": "2024-06-03 08:00", "ended_at": "2024-06-05 10:00",
             "end_status": "finished", "channel": 2},
            {"unit_id": "C2", "procedure_code": "X2", "received_at": "2024-06-04 09:30", "fee_amount": 1234000.0},
            {"unit_id": "H1", "received_at": "2024-06-10 14:00", "synced": False},
            {"unit_id": "C1", "received_at": "2024-07-01 08:00", "channel": 3, "rating": "satisfied"},
        ],
        petitions=[{"unit_id": "C1"}],
    )


def write_catalogue(ds, folder: Path, mapping) -> None:
    """units and procedures as CSV files named as the mapping expects."""
    folder.mkdir(parents=True, exist_ok=True)
    source_frame(ds, "units", mapping).to_csv(folder / "don-vi.csv", index=False, encoding="utf-8-sig")
    source_frame(ds, "procedures", mapping).to_csv(folder / "thu-tuc.csv", index=False, encoding="utf-8-sig")


def dossier_sheet(ds, mapping):
    """An openpyxl sheet 'Hồ sơ' holding `ds`'s dossiers under the export headers (header on row 1),
    its header list, and a function saving the workbook."""
    import openpyxl

    frame = source_frame(ds, "dossiers", mapping)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hồ sơ"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    return ws, list(frame.columns), wb.save


# ------------------------------------------------------------------------------------------ parsing
@pytest.mark.parametrize("text, expected", [
    ("1.234.000", 1234000.0), ("50.000 đ", 50000.0), ("12,5", 12.5), ("1.234.567,25", 1234567.25),
    ("0", 0.0), ("-20.000", -20000.0), ("2.5", 2.5), ("300 VNĐ", 300.0),
])
def test_vietnamese_numbers(mapping, text, expected):
    assert _number_from_text(text, mapping) == expected


@pytest.mark.parametrize("text", ["abc", "1..2", "12,34,56", "--5", "1.23.4"])
def test_numbers_that_are_not_numbers(mapping, text):
    assert _number_from_text(text, mapping) is None


def test_cp1258_text_decodes_to_the_same_vietnamese_as_utf8(mapping):
    words = "Đăng ký khai sinh; Ngày tiếp nhận; Hồ sơ trực tuyến; Xã Phật Tích; Người lập biểu"
    raw = encode_cp1258(words)
    assert raw != words.encode("utf-8")
    text, encoding = decode_text(raw, "x.csv", mapping.encodings)
    assert encoding == "cp1258" and text == words  # NFC after decoding: equal code points, not just looks


def test_personal_headers_are_recognised():
    for header in ("Họ tên người nộp", "HỌ VÀ TÊN", "Số CCCD/CMND", "Số điện thoại", "Địa chỉ thường trú",
                   "Email", "Ngày sinh", "Số định danh cá nhân", "Số ĐT", "Di động", "E-mail", "Nơi cư trú",
                   "Hộ khẩu thường trú", "Quê quán", "Năm sinh", "Người nộp hồ sơ", "Chủ hồ sơ", "Số CMTND",
                   "Số giấy tờ tùy thân", "Dien thoai", "Dia chi", "Mobile", "Mã định danh cá nhân"):
        assert is_personal(header), header
    for header in ("Mã hồ sơ", "Tên thủ tục", "Tên đơn vị", "Kho dữ liệu cá nhân", "Mã định danh cơ quan",
                   "Ngày tiếp nhận", "Đối tượng là công dân", "Hình thức nộp", "Khai thác CSDL dân cư",
                   "Thanh toán trực tuyến", "Có PAKN"):
        assert not is_personal(header), header


def test_mapping_may_not_feed_a_contract_column_from_personal_data():
    raw = {"tables": {"units": {"files": ["u.csv"], "columns": {"unit_id": "Mã", "name": "Họ tên người nộp",
                                                                "kind": "Cấp", "parent_id": "Cha"}},
                      "procedures": {"files": ["p.csv"], "columns": {}}, "dossiers": {"files": ["d.csv"], "columns": {}}}}
    with pytest.raises(MappingError, match=r"tables.units.columns.name: header 'Họ tên người nộp' holds personal data"):
        parse_mapping(raw, "m.yaml")


def test_mapping_names_an_unmapped_required_column():
    import yaml

    spec = load_mapping(MAPPING_FILE)
    raw = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    del raw["tables"]["dossiers"]["columns"]["received_at"]
    with pytest.raises(MappingError, match=r"key tables.dossiers: contract column 'received_at' is neither mapped"):
        parse_mapping(raw, "m.yaml")
    assert "received_at" in spec.tables["dossiers"].columns


# ------------------------------------------------------------------------------------------ a file by hand
DOSSIER_HEADER = ("Mã hồ sơ,Mã đơn vị,Mã TTHC,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Trạng thái,"
                  "Số lần bổ sung,Ngày yêu cầu bổ sung,Ngày bổ sung xong,Đã đồng bộ DVCQG,\"Phí, lệ phí (đồng)\","
                  "Thanh toán trực tuyến,Kết quả điện tử,Số hóa,Tái sử dụng dữ liệu số hóa,Kho dữ liệu cá nhân,"
                  "Khai thác CSDL dân cư,Đánh giá,Có PAKN,Họ tên người nộp,Số CCCD/CMND")


def _row(did, unit="C1", proc="X1", channel="Trực tiếp", received="03/06/2024 08:00", due="10/06/2024",
         ended="", status="Đang xử lý", fee="", name="Nguyễn Văn An", cccd="001234567890"):
    return (f"{did},{unit},{proc},{channel},{received},{due},{ended},{status},,,,Có,\"{fee}\",Không,Không,Không,"
            f"Không,Không,Không,Chưa đánh giá,Không,{name},{cccd}")


def test_rows_are_sorted_into_kept_and_quarantined_with_their_line_numbers(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    lines = [
        "BÁO CÁO HỒ SƠ THÁNG 6/2024",                       # line 1: a title
        "",                                                  # line 2
        DOSSIER_HEADER,                                      # line 3
        _row("A1", ended="05/06/2024 10:00", status="Đã trả kết quả", fee="1.234.000"),  # 4 kept
        _row("A2", received="31/02/2024"),                   # 5 unparseable date
        _row("A3", unit="ZZ"),                               # 6 unknown unit
        _row("A1", ended="05/06/2024 10:00", status="Đã trả kết quả", fee="1.234.000"),  # 7 exact copy of 4
        _row("A4", received="2024-06-04"),                   # 8 ISO date: kept
        _row("A5", ended="01/06/2024 09:00", status="Đã trả kết quả"),  # 9 ends before receipt
        _row("A6", fee="-5.000"),                            # 10 negative fee
        ",,,,,,,,,,,,,,,,,,,,,,",                            # 11 empty
        "Tổng cộng: 8 hồ sơ,,,,,,,,,,,,,,,,,,,,,,",          # 12 totals
    ]
    (tmp_path / "ho-so-2024-06.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_export(tmp_path, mapping)
    dossiers = result.dataset.dossiers
    assert sorted(dossiers["dossier_id"]) == ["A1", "A4"]
    quarantined = result.quarantine[result.quarantine["table"] == "dossiers"].sort_values("source_row")
    assert quarantined[["source_row", "reason"]].values.tolist() == [
        [5, "unparseable_date"], [6, "unknown_unit"], [7, "duplicate_merged"], [9, "end_before_receipt"],
        [10, "negative_number"], [11, "empty_row"], [12, "totals_row"]]
    assert set(quarantined["source_file"]) == {"ho-so-2024-06.csv"}
    bad_date = quarantined[quarantined["source_row"] == 5].iloc[0]
    assert (bad_date["column"], bad_date["value"]) == ("received_at", "31/02/2024")
    acc = result.accounting[result.accounting["table"] == "dossiers"].iloc[0]
    assert (acc["read"], acc["kept"], acc["quarantined"]) == (9, 2, 7)
    a1 = dossiers.set_index("dossier_id").loc["A1"]
    assert a1["fee_amount"] == 1234000.0 and a1["end_status"] == "finished"
    assert a1["ended_at"] == pd.Timestamp("2024-06-05 10:00")
    assert a1["due_at"] == pd.Timestamp("2024-06-10 23:59:59")  # date-only due date: by the end of the day
    assert dossiers.set_index("dossier_id").loc["A4", "received_at"] == pd.Timestamp("2024-06-04")


def test_conflicting_duplicates_are_all_quarantined(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    lines = [DOSSIER_HEADER, _row("B1"), _row("B1", channel="Trực tuyến"), _row("B2"), _row("B2")]
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    result = import_export(tmp_path, mapping)
    assert list(result.dataset.dossiers["dossier_id"]) == ["B2"]
    reasons = result.quarantine.set_index("source_row")["reason"].to_dict()
    assert reasons == {2: "duplicate_conflict", 3: "duplicate_conflict", 5: "duplicate_merged"}


# ------------------------------------------------------------------------------------------ personal data
@pytest.fixture(scope="module")
def imported_with_personal(tmp_path_factory, small, mapping):
    folder = tmp_path_factory.mktemp("export")
    export_dataset(small, folder, mapping, dossier_format="mixed", personal=True)
    out = tmp_path_factory.mktemp("imported")
    result = import_export(folder, mapping)
    write_import(result, out)
    frame = pd.read_excel(folder / "ho-so-2024-06.xlsx", header=None, dtype=str, engine="calamine")
    return folder, out, result, frame


def _personal_values(folder: Path) -> list[str]:
    """The applicant names, ID numbers and phones the export holds (read back from its files)."""
    values = []
    for path in folder.glob("ho-so-*.xlsx"):
        grid = pd.read_excel(path, header=None, dtype=str, engine="calamine").fillna("")
        header_row = next(i for i in range(len(grid)) if "Họ tên người nộp" in set(grid.iloc[i]))
        for header in ("Họ tên người nộp", "Số CCCD/CMND", "Số điện thoại", "Địa chỉ"):
            col = list(grid.iloc[header_row]).index(header)
            values += [v for v in grid.iloc[header_row + 1:, col] if v]
    return values


def test_personal_data_columns_never_reach_the_imported_data(imported_with_personal):
    folder, out, result, _ = imported_with_personal
    secrets = _personal_values(folder)
    assert len(secrets) >= 12  # 3 June dossiers × 4 personal columns at least
    allowed = {t: {c.name for c in SCHEMA[t]} for t in SCHEMA}
    for table in SCHEMA:
        assert set(result.dataset.table(table).columns) <= allowed[table]
    written = ""
    for path in out.rglob("*"):
        if path.suffix == ".parquet":
            written += pd.read_parquet(path).astype("str").to_csv()
        elif path.is_file():
            written += path.read_text(encoding="utf-8-sig")
    for secret in secrets:
        assert secret not in written
    assert not (out / "internal").exists()
    dropped = {d["header"] for d in result.dropped_columns if d["why"] == "personal"}
    assert dropped == {"Họ tên người nộp", "Số CCCD/CMND", "Số điện thoại", "Địa chỉ"}


def test_personal_data_does_not_reach_reports_or_the_explorer(imported_with_personal):
    from chiso import report
    from chiso.explain import Explainer
    from chiso.explorer import Explorer

    folder, out, _, _ = imported_with_personal
    secrets = _personal_values(folder)
    ctx = report.report_context(str(out), "2024-06")
    html = "".join([
        report.score_card(ctx, "C1"), report.groups_section(ctx, "C1"), report.indicator_table(ctx, "C1"),
        report.drivers_section(ctx, "H1", "child"), report.points_left_section(ctx, "C1"),
        report.at_risk_section(ctx, "C1"), report.data_quality_section(ctx, "C1"), report.ranking_tables(ctx),
    ])
    explorer = Explorer(Explainer(load_dataset(out), load_methodology(None)), "C1", "2024-06")
    html += explorer.snapshot_html() + explorer.export_csv("ranking")
    assert "Xã Một" in html  # the sections did render the imported data
    for secret in secrets:
        assert secret not in html


def test_personal_data_mapped_as_internal_is_kept_apart(small, tmp_path):
    import yaml

    raw = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    raw["tables"]["dossiers"]["internal"] = {"applicant_name": "Họ tên người nộp"}
    mapping = parse_mapping(raw, "internal.yaml")
    folder = tmp_path / "export"
    export_dataset(small, folder, load_mapping(MAPPING_FILE), dossier_format="csv", personal=True)
    result = import_export(folder, mapping)
    out = write_import(result, tmp_path / "out")
    internal = pd.read_parquet(out / "internal" / "dossiers.parquet")
    assert list(internal.columns) == ["dossier_id", "source_file", "source_row", "applicant_name"]
    assert len(internal) == 4 and internal["applicant_name"].str.len().min() > 3
    assert "applicant_name" not in load_dataset(out).dossiers.columns
    # importing again without `internal:` into the same folder removes the earlier personal data
    write_import(import_export(folder, load_mapping(MAPPING_FILE)), out)
    assert not (out / "internal").exists()


def test_one_workbook_holding_every_table(small, mapping, tmp_path):
    """A single .xlsx with the sheets Đơn vị, Thủ tục, Hồ sơ, PAKN is a source on its own."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in ("units", "procedures", "dossiers", "petitions"):
        frame = source_frame(small, table, mapping)
        ws = wb.create_sheet(mapping.tables[table].sheet)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
    wb.save(tmp_path / "xuat-du-lieu.xlsx")
    result = import_export(tmp_path / "xuat-du-lieu.xlsx", mapping)
    assert (len(result.dataset.units), len(result.dataset.procedures), len(result.dataset.dossiers),
            len(result.dataset.petitions)) == (6, 2, 4, 1)
    assert set(result.accounting["sheet"]) == {"Đơn vị", "Thủ tục", "Hồ sơ", "PAKN"}
    assert result.quarantine.empty


# ------------------------------------------------------------------------------------------ round trip
@pytest.fixture(scope="module")
def demo_round_trip(tmp_path_factory, mapping):
    ds = generate(scale=0.02, months=4)
    folder = tmp_path_factory.mktemp("demo-export")
    export_dataset(ds, folder, mapping, dossier_format="mixed")
    out = tmp_path_factory.mktemp("demo-imported")
    result = import_export(folder, mapping)
    write_import(result, out)
    return ds, folder, result, load_dataset(out)


def test_round_trip_gives_the_same_scores(demo_round_trip):
    original, folder, result, imported = demo_round_trip
    kinds = {p.suffix for p in folder.iterdir()}
    assert kinds == {".xlsx", ".csv"}  # both formats, incl. a Windows-1258 CSV, took part
    assert len(imported.dossiers) == len(original.dossiers)
    assert len(imported.petitions) == len(original.petitions)
    meth = load_methodology(None)
    for month in ("2024-07", "2024-08", "2024-09", "2024-10"):
        a = score(original, month, meth).sort_values(["unit_id", "indicator"]).reset_index(drop=True)
        b = score(imported, month, meth).sort_values(["unit_id", "indicator"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(a[["unit_id", "indicator", "numerator", "denominator", "points"]],
                                      b[["unit_id", "indicator", "numerator", "denominator", "points"]])


def test_round_trip_keeps_every_value(demo_round_trip):
    original, _, _, imported = demo_round_trip
    for table in ("units", "procedures", "dossiers", "petitions"):
        key = {"units": "unit_id", "procedures": "procedure_code", "dossiers": "dossier_id",
               "petitions": "petition_id"}[table]
        a = original.table(table).sort_values(key).reset_index(drop=True)
        b = imported.table(table).sort_values(key).reset_index(drop=True)[list(a.columns)]
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)


def test_round_trip_accounting_and_synthetic_banner(demo_round_trip):
    original, _, result, imported = demo_round_trip
    by_reason = result.quarantine.groupby("reason").size().to_dict()
    xlsx_months = 3  # mixed: months 1, 2 as Excel reports (one totals row each), 3 as CSV, 4 as cp1258 CSV
    assert by_reason == {"totals_row": xlsx_months - 1}
    totals = result.totals()
    assert totals["read"] == totals["kept"] + totals["quarantined"]
    assert totals["kept"] == len(original.units) + len(original.procedures) + len(original.dossiers) + len(original.petitions)
    assert imported.synthetic  # the export's title says "Dữ liệu mô phỏng": reports must keep saying so
    assert imported.meta["accounting"]["dossiers"]["kept"] == len(original.dossiers)


# ------------------------------------------------------------------------------------------ CLI
def test_cli_import_prints_the_accounting(small, mapping, tmp_path):
    folder = tmp_path / "export"
    export_dataset(small, folder, mapping, dossier_format="xlsx")
    result = runner.invoke(app, ["import", "--source", str(folder), "--mapping", str(MAPPING_FILE),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # 4 dossiers in two monthly reports, each with a totals row; 6 units, 2 procedures, 1 petition
    assert "rows read 15 = kept 13 + quarantined 2" in result.output
    assert "totals_row" in result.output
    assert "personal-data columns dropped: Họ tên người nộp, Số CCCD/CMND, Số điện thoại, Địa chỉ" in result.output
    report = json.loads((tmp_path / "out" / "import-report.json").read_text(encoding="utf-8"))
    assert report["totals"] == {"read": 15, "kept": 13, "quarantined": 2}
    assert q.read(tmp_path / "out")["reason"].tolist() == ["totals_row", "totals_row"]
    readable = pd.read_csv(tmp_path / "out" / "quarantine.csv", encoding="utf-8-sig", dtype="str")
    assert readable[["source_file", "reason", "ly_do"]].values.tolist() == [
        ["ho-so-2024-06.xlsx", "totals_row", "Dòng tổng cộng"], ["ho-so-2024-07.xlsx", "totals_row", "Dòng tổng cộng"]]


def test_cli_import_missing_column_is_one_line(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    (tmp_path / "ho-so.csv").write_text(DOSSIER_HEADER.replace("Ngày tiếp nhận", "Ngay nhan") + "\n" + _row("A1"),
                                        encoding="utf-8")
    result = runner.invoke(app, ["import", "--source", str(tmp_path), "--mapping", str(MAPPING_FILE),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chiso: error: ho-so.csv: required column(s) not found")
    assert "'Ngày tiếp nhận' (mapping key tables.dossiers.columns.received_at)" in lines[0]
    assert "Traceback" not in result.output


def test_cli_import_bad_mapping_is_one_line(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text('tables:\n  units: {files: ["u.csv"], colums: {}}\n', encoding="utf-8")
    result = runner.invoke(app, ["import", "--source", str(tmp_path), "--mapping", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output.strip() == (f"chiso: error: mapping '{bad}', key tables.units: unknown key(s) ['colums']; "
                                     "allowed: ['columns', 'defaults', 'duplicates', 'files', 'internal', 'optional', 'sheet']")


# ------------------------------------------------------------------------------------------ property
CELL = {
    "id": st.sampled_from(["", "K1", "K2", "K3", "K4", "K5", "Tổng cộng"]),
    "unit": st.sampled_from(["C1", "C2", "H1", "ZZ", ""]),
    "proc": st.sampled_from(["X1", "X2", "X9", ""]),
    "channel": st.sampled_from(["Trực tiếp", "Trực tuyến", "Bưu chính", "Fax", ""]),
    "date": st.sampled_from(["03/06/2024 08:00", "2024-06-05", "05-06-2024", "31/02/2024", "01/01/1900", "", "hôm qua",
                             "#REF!", "10/06/2024 17:00:00"]),
    "status": st.sampled_from(["Đang xử lý", "Đã trả kết quả", "Từ chối", "???", ""]),
    "fee": st.sampled_from(["", "0", "50.000", "-1", "abc", "1.234.000 đ"]),
    "yes": st.sampled_from(["Có", "Không", "", "x", "có lẽ"]),
}


@st.composite
def export_rows(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        r = {k: draw(s) for k, s in CELL.items()}
        rows.append([r["id"], r["unit"], r["proc"], r["channel"], r["date"], draw(CELL["date"]),
                     draw(CELL["date"]), r["status"], "", "", "", r["yes"], r["fee"], "Không", "Không", "Không",
                     "Không", "Không", "Không", "", "Không", "Trần Thị Mai", "036099001122"])
    blank_lines = draw(st.integers(0, 2))
    return rows, blank_lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export_rows(), st.sampled_from(["utf-8", "utf-8-sig", "cp1258"]), st.sampled_from([",", ";"]))
def test_every_row_read_is_kept_or_quarantined(tmp_path_factory, small, mapping, data, encoding, delimiter):
    rows, blank_lines = data
    folder = tmp_path_factory.mktemp("prop")
    write_catalogue(small, folder, mapping)
    header = [h.strip('"') for h in pd.read_csv(__import__("io").StringIO(DOSSIER_HEADER), nrows=0).columns]
    frame = pd.DataFrame(rows, columns=header, dtype="str") if rows else pd.DataFrame(columns=header)
    text = "\n" * blank_lines + frame.to_csv(index=False, sep=delimiter)
    raw = encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    (folder / "ho-so.csv").write_bytes(raw)
    result = import_export(folder, mapping)
    acc = result.accounting.set_index(["table", "source_file"])
    read = int(acc.loc[("dossiers", "ho-so.csv"), "read"])
    kept = len(result.dataset.dossiers)
    quarantined = result.quarantine[result.quarantine["table"] == "dossiers"]
    assert read == len(rows)
    assert read == kept + len(quarantined)
    assert set(quarantined["reason"]) <= set(q.REASONS)
    # each data row is accounted for exactly once, at its own line
    first_data_line = blank_lines + 2
    assert quarantined["source_row"].is_unique
    assert quarantined["source_row"].between(first_data_line, first_data_line + len(rows) - 1).all()
    assert result.dataset.dossiers["dossier_id"].is_unique
    assert "Trần Thị Mai" not in result.quarantine.to_csv()


# ------------------------------------------------------------------------------------------ reports
def test_unit_report_says_how_many_rows_of_the_unit_were_quarantined(small, mapping, tmp_path):
    from chiso import report

    write_catalogue(small, tmp_path, mapping)
    lines = [DOSSIER_HEADER,
             _row("A1"),                                    # C1, kept
             _row("A2", unit="C2", received="31/02/2024"),  # C2, unparseable date: no period, not counted below
             _row("A3", unit="C2", proc="X9"),              # C2, 03/06/2024, unknown procedure
             _row("A4", unit="C2", proc="X8"),              # C2, 03/06/2024, unknown procedure
             _row("A5", unit="C1", fee="-1"),               # C1, 03/06/2024, negative fee
             _row("A6", unit="C1", received="03/07/2024", proc="X9")]  # C1, July: another period
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    out = write_import(import_export(tmp_path, mapping), tmp_path / "out")
    ctx = report.report_context(str(out), "2024-06", lang="en")
    assert report.quarantined_rows(ctx, "C2") == (2, "unknown_procedure")
    assert report.quarantined_rows(ctx, "C1") == (1, "negative_number")
    assert report.quarantined_rows(ctx, "H1") == (3, "unknown_procedure")  # C1 + C2 below the district
    assert report.quarantined_rows(ctx, "D1") is None
    html = report.data_quality_section(ctx, "H1")
    assert "3 rows of this unit were quarantined at import" in html and "unknown procedure code" in html


def test_procedure_codes_typed_as_numbers_in_excel_are_matched(mapping, tmp_path):
    """'1.001190' in a numeric Excel cell reads back as 1.00119: matched to the catalogue code,
    reported, while a code with no numeric twin stays unknown."""
    ds = make_dataset(procedures=[{"procedure_code": "1.001190"}, {"procedure_code": "2.000815"}],
                      dossiers=[{"procedure_code": "1.001190"}, {"procedure_code": "2.000815"}])
    write_catalogue(ds, tmp_path, mapping)
    ws, columns, save = dossier_sheet(ds, mapping)
    for r, number in ((2, 1.00119), (3, 3.5)):
        ws.cell(r, columns.index("Mã TTHC") + 1).value = number  # a number, as Excel keeps it
    save(tmp_path / "ho-so.xlsx")
    result = import_export(tmp_path, mapping)
    assert list(result.dataset.dossiers["procedure_code"]) == ["1.001190"]
    assert result.matched_codes == {"1.00119": "1.001190"}
    assert result.quarantine[["record_id", "reason", "value"]].values.tolist() == [["d2", "unknown_procedure", "3.5"]]


def test_a_file_that_cannot_be_read_is_one_line(small, mapping, tmp_path, monkeypatch):
    write_catalogue(small, tmp_path, mapping)
    (tmp_path / "ho-so.csv").write_text(DOSSIER_HEADER + "\n" + _row("A1"), encoding="utf-8")
    real = Path.read_bytes

    def locked(self):
        if self.name == "ho-so.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    result = runner.invoke(app, ["import", "--source", str(tmp_path), "--mapping", str(MAPPING_FILE),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip() == ("chiso: error: ho-so.csv: cannot be read (Permission denied); check that the "
                                     "file exists, is not open in another program and that you may read it")


@pytest.mark.parametrize("value, column, expected", [
    ("Không hài lòng - anh Tuấn 0912345678 gọi lại", "rating", "Không hài lòng - anh Tuấn … gọi lại"),
    ("CCCD 001 203 004 567", "rating", "CCCD …"),
    ("gửi tới hoa.nguyen@example.vn", "topic", "gửi tới …@…"),
    ("31/02/2024", "received_at", "31/02/2024"),           # 8 digits with slashes: a date, kept
    ("H27-HS-000000001", "dossier_id", "H27-HS-000000001"),  # identifiers are kept whole
    ("x" * 70, "rating", "x" * 59 + "…"),
])
def test_quarantined_values_do_not_carry_phone_or_id_numbers(value, column, expected):
    from chiso.importer import redact

    assert redact(value, column) == expected


def test_a_shifted_csv_row_shows_none_of_its_misplaced_cells(small, mapping, tmp_path):
    """Personal columns before the mapped ones and an unquoted comma in the address: the row shifts,
    the phone number would land under 'Mã đơn vị'. It is quarantined as column_count_mismatch with
    no record id, unit or value taken from its cells."""
    write_catalogue(small, tmp_path, mapping)
    header = DOSSIER_HEADER.split(",")
    header = [h for h in ("Mã hồ sơ",)] + ["Địa chỉ", "Số điện thoại"] + [h for h in
              pd.read_csv(__import__("io").StringIO(DOSSIER_HEADER), nrows=0).columns if h != "Mã hồ sơ"]
    good = _row("A1").split(",", 1)
    bad = _row("A2").split(",", 1)
    lines = [",".join(f'"{h}"' for h in header),
             f"{good[0]},Thôn Đông xã Tam Đa,0912345678,{good[1]}",
             f"{bad[0]},Số 6 đường Lý Thái Tổ, Bắc Ninh,0987654321,{bad[1]}"]
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    result = import_export(tmp_path, mapping)
    assert list(result.dataset.dossiers["dossier_id"]) == ["A1"]
    row = result.quarantine.iloc[0]
    assert (row["reason"], row["source_row"], row["record_id"], row["unit_id"], row["value"]) == (
        "column_count_mismatch", 3, "", "", "")
    assert "0987654321" not in result.quarantine.to_csv() and "Bắc Ninh" not in result.quarantine.to_csv()


@pytest.mark.parametrize("edit, message", [
    (lambda raw: raw.update(numbers=".,"), "key numbers: expected a mapping such as {thousands"),
    (lambda raw: raw.update(booleans=["Có", "Không"]), "key booleans: expected a mapping such as"),
    (lambda raw: raw.update(totals_markers="Tổng cộng"), "key totals_markers: expected a list of quoted strings"),
    (lambda raw: raw.update(personal="Họ tên"), "key personal: expected a list of quoted strings"),
    (lambda raw: raw["tables"]["dossiers"].update(duplicates="newest"), "tables.dossiers.duplicates: expected one of"),
])
def test_malformed_mapping_blocks_are_named(edit, message):
    import yaml

    raw = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    edit(raw)
    with pytest.raises(MappingError, match=re.escape(message)):
        parse_mapping(raw, "m.yaml")


def test_mapping_personal_list_also_guards_contract_columns():
    import yaml

    raw = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    raw["personal"] = ["Ghi chú người dân"]
    raw["tables"]["dossiers"]["columns"]["rating"] = "Ghi chú người dân"
    with pytest.raises(MappingError, match="header 'Ghi chú người dân' holds personal data"):
        parse_mapping(raw, "m.yaml")


def test_unquoted_true_false_keys_still_count(tmp_path):
    text = MAPPING_FILE.read_text(encoding="utf-8").replace('  "true": ["Có"', '  true: ["Đúng vậy", "Có"')
    assert "  true: [" in text
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    assert "đúng vậy" in load_mapping(tmp_path / "m.yaml").true_values


def test_yaml_syntax_error_is_one_line(tmp_path):
    (tmp_path / "m.yaml").write_text('name: "x"\ntables: [unclosed\n', encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(tmp_path / "m.yaml")
    assert "\n" not in str(info.value) and "is not valid YAML at line 3" in str(info.value)


@pytest.mark.parametrize("text, expected", [("15,000", None), ("1e999", float("inf")), ("2,5", 2.5)])
def test_ambiguous_or_infinite_numbers(mapping, text, expected):
    assert _number_from_text(text, mapping) == expected


def test_implausible_counts_and_infinite_fees_are_quarantined(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    lines = [DOSSIER_HEADER, _row("A1", fee="1e999"), _row("A2"), _row("A3", fee="15,000")]
    lines[2] = lines[2].replace("Đang xử lý,,,,", "Đang xử lý,99999999999999999999,,,")
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    result = import_export(tmp_path, mapping)
    got = result.quarantine.sort_values("source_row")[["source_row", "reason", "column"]].values.tolist()
    assert got == [[2, "unparseable_number", "fee_amount"], [3, "unparseable_number", "supplement_count"],
                   [4, "unparseable_number", "fee_amount"]]


def test_out_that_is_a_file_is_one_line(small, mapping, tmp_path):
    folder = tmp_path / "export"
    export_dataset(small, folder, mapping, dossier_format="csv")
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["import", "--source", str(folder), "--mapping", str(MAPPING_FILE),
                                 "--out", str(tmp_path / "taken")])
    assert result.exit_code == 2
    assert result.output.strip() == f"chiso: error: --out '{tmp_path / 'taken'}' is a file; give a folder (it is created if missing)"


def test_a_properly_quoted_multi_line_note_is_not_a_runaway_quote(small, mapping, tmp_path):
    """Excel quotes a cell with line breaks; lines with commas inside it are text, not records."""
    write_catalogue(small, tmp_path, mapping)
    note = '"Đã nhận đủ giấy tờ, chờ bổ sung\nLần 1: thiếu bản sao, đã báo\nLần 2: đủ, chuyển xử lý"'
    lines = [DOSSIER_HEADER + ",Ghi chú", _row("A1") + "," + note, _row("A2") + ",", _row("A3") + ",không"]
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    result = import_export(tmp_path, mapping)
    assert list(result.dataset.dossiers["dossier_id"]) == ["A1", "A2", "A3"]
    assert result.quarantine.empty


def test_a_mapped_header_that_appears_twice_is_named(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    lines = [DOSSIER_HEADER + ",Ngày tiếp nhận", _row("A1") + ",03/06/2024"]
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportFailure) as info:
        import_export(tmp_path, mapping)
    assert str(info.value) == ("ho-so.csv: the header 'Ngày tiếp nhận' (mapping key tables.dossiers.columns.received_at) "
                               "appears in columns E, X; rename or remove one")


def test_a_mostly_utf8_file_names_the_line_of_its_first_bad_byte(mapping):
    data = "Mã hồ sơ,Mã đơn vị\nA1,C1\n".encode("utf-8") + b"A2,\x81\x8d\n"  # 0x81, 0x8D: not cp1258 either
    with pytest.raises(ImportFailure, match=r"the first byte that is not UTF-8 is on line 3"):
        decode_text(data, "x.csv", mapping.encodings)


def test_an_archive_as_source_says_extract_it(mapping, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "xuat.zip", "w") as zf:
        zf.writestr("ho-so.csv", "x")
    with pytest.raises(ImportFailure, match=r"is an archive: extract it and give the folder as --source"):
        import_export(tmp_path / "xuat.zip", mapping)
    with pytest.raises(ImportFailure, match=r"the folder holds archives \(.zip\): extract them first"):
        import_export(tmp_path, mapping)


def test_everyday_variants_are_read(small, mapping, tmp_path):
    """A lower-case unit code, a channel written as its number, Vietnamese clock times (SA = morning,
    CH = afternoon), dotted dates and Excel's text apostrophe are all kept, with the right values."""
    write_catalogue(small, tmp_path, mapping)
    lines = [DOSSIER_HEADER,
             _row("A1", unit="c1", channel="2", received="03/06/2024 8:05 SA"),
             _row("A2", received="03/06/2024 2:30 CH", due="10.06.2024"),
             _row("A3", received="'04/06/2024 09:00")]
    (tmp_path / "ho-so.csv").write_text("\n".join(lines), encoding="utf-8")
    result = import_export(tmp_path, mapping)
    assert result.quarantine.empty, result.quarantine.to_dict("records")
    d = result.dataset.dossiers.set_index("dossier_id")
    assert (d.loc["A1", "unit_id"], d.loc["A1", "channel"]) == ("C1", 2)
    assert d.loc["A1", "received_at"] == pd.Timestamp("2024-06-03 08:05")
    assert d.loc["A2", "received_at"] == pd.Timestamp("2024-06-03 14:30")
    assert d.loc["A2", "due_at"] == pd.Timestamp("2024-06-10 23:59:59")
    assert d.loc["A3", "received_at"] == pd.Timestamp("2024-06-04 09:00")
    assert result.matched_codes == {"c1": "C1"}


def test_a_unit_code_merged_over_its_dossiers_applies_to_each(small, mapping, tmp_path):
    write_catalogue(small, tmp_path, mapping)
    ws, columns, save = dossier_sheet(small, mapping)
    col = columns.index("Mã đơn vị") + 1
    for r in (3, 4):  # rows of d2, d3 (C2, H1 in `small`): make them C1's, merged under d1's cell
        ws.cell(r, col).value = None
    ws.merge_cells(start_row=2, start_column=col, end_row=4, end_column=col)
    save(tmp_path / "ho-so.xlsx")
    result = import_export(tmp_path, mapping)
    assert result.quarantine.empty
    assert result.dataset.dossiers.sort_values("dossier_id")["unit_id"].tolist() == ["C1", "C1", "C1", "C1"]
