"""The data contract: strict validation with messages naming table, column and rows; Parquet round trip.

Row numbers in messages are 0-based positions in the table as given (what `validate_table` says).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from builders import UNITS, make_dataset
from chiso.contract import (
    SCHEMA,
    ContractError,
    Dataset,
    load_dataset,
    validate_dataset,
    validate_table,
    write_dataset,
)

UNIT_COLUMNS = ["unit_id", "name", "kind", "parent_id", "e_certified_copy"]


def expect_error(table: str, column: str | None, rows: list[int], fn, *args, match: str | None = None,
                 **kwargs) -> ContractError:
    """Run `fn`, expect a ContractError for `table`/`column`/`rows`, and check the message names them."""
    with pytest.raises(ContractError) as info:
        fn(*args, **kwargs)
    err = info.value
    msg = str(err)
    assert (err.table, err.column) == (table, column), msg
    assert f"table '{table}'" in msg
    if column is not None:
        assert f"column '{column}'" in msg
    assert err.rows[: len(rows)] == rows, msg
    if rows:
        assert "(rows " + ", ".join(str(r) for r in rows) in msg
    if match is not None:
        assert match in msg, msg
    return err


def dossiers(*overrides: dict) -> list[dict]:
    return list(overrides)


def units_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


# ------------------------------------------------------------------------------ single-table checks


def test_missing_required_column():
    """A required column that is absent is named."""
    frame = make_dataset(dossiers=[{}]).dossiers.drop(columns=["channel"])
    expect_error("dossiers", "channel", [], validate_table, "dossiers", frame, match="required column is missing")


def test_wrong_type_int():
    """A non-number in an int column names the rows."""
    frame = make_dataset(dossiers=[{}, {}, {}]).dossiers.astype({"channel": "object"})
    frame.loc[[0, 2], "channel"] = "hai"
    expect_error("dossiers", "channel", [0, 2], validate_table, "dossiers", frame, match="expected a number")


def test_wrong_type_whole_number():
    """A fraction in an int column is rejected."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers.astype({"supplement_count": "float64"})
    frame.loc[1, "supplement_count"] = 1.5
    expect_error("dossiers", "supplement_count", [1], validate_table, "dossiers", frame, match="whole number")


def test_wrong_type_bool():
    """A value that is not true/false/1/0 in a bool column names the row."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers.astype({"synced": "object"})
    frame.loc[1, "synced"] = "maybe"
    expect_error("dossiers", "synced", [1], validate_table, "dossiers", frame, match="true/false")


def test_wrong_type_datetime():
    """An unparseable date names the row."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers.astype({"received_at": "object"})
    frame.loc[0, "received_at"] = "hôm qua"
    expect_error("dossiers", "received_at", [0], validate_table, "dossiers", frame, match="ISO date")


def test_text_booleans_and_numbers_are_coerced():
    """CSV-like text ('true', '0', '2') converts to the contract types."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers.astype({"synced": "object", "channel": "object"})
    frame["synced"] = ["true", "0"]
    frame["channel"] = ["2", "3"]
    out = validate_table("dossiers", frame)
    assert out["synced"].tolist() == [True, False] and out["synced"].dtype == np.dtype(bool)
    assert out["channel"].tolist() == [2, 3] and out["channel"].dtype == np.dtype("int64")


def test_empty_value_in_required_column():
    """A missing value where the column is not nullable names the row."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers
    frame.loc[1, "received_at"] = pd.NaT
    expect_error("dossiers", "received_at", [1], validate_table, "dossiers", frame, match="empty value")


def test_channel_4_not_allowed():
    """Channel must be 1, 2 or 3."""
    expect_error("dossiers", "channel", [1], make_dataset, dossiers=[{}, {"channel": 4}], match="4")


def test_end_status_done_not_allowed():
    """end_status must be one of the contract's statuses; 'done' is not."""
    bad = {"ended_at": "2024-06-05 10:00", "end_status": "done"}
    expect_error("dossiers", "end_status", [0], make_dataset, dossiers=[bad, {}], match="'done'")


def test_unit_kind_not_allowed():
    """A unit kind outside province/department/district/commune names the row."""
    rows = list(UNITS) + [("X", "Ấp", "hamlet", "C1", None)]
    expect_error("units", "kind", [6], make_dataset, units=rows, match="hamlet")


def test_negative_fee():
    """fee_amount below 0 is rejected."""
    expect_error("dossiers", "fee_amount", [2], make_dataset, dossiers=[{}, {"fee_amount": 0}, {"fee_amount": -5}],
                 match="below 0")


def test_negative_time_limit():
    """A procedure's time limit below 0 is rejected."""
    expect_error("procedures", "time_limit", [1], make_dataset,
                 procedures=[{"procedure_code": "X1"}, {"procedure_code": "X2", "time_limit": -1}])


def test_duplicate_id_names_every_copy():
    """A duplicated primary key names every row that carries it."""
    rows = [{"dossier_id": "A"}, {"dossier_id": "B"}, {"dossier_id": "A"}]
    expect_error("dossiers", "dossier_id", [0, 2], make_dataset, dossiers=rows, match="duplicate")


def test_long_row_lists_are_shortened():
    """More than five offending rows: five shown and the rest counted."""
    err = expect_error("dossiers", "channel", [0, 1, 2, 3, 4], make_dataset, dossiers=[{"channel": 9}] * 7)
    assert err.rows == list(range(7))
    assert "and 2 more" in str(err)


# ------------------------------------------------------------------------------------- dates


def test_ended_before_received():
    """A dossier cannot end before it was received."""
    rows = [{}, {"received_at": "2024-06-05 08:00", "ended_at": "2024-06-04 08:00", "end_status": "finished"}]
    expect_error("dossiers", "ended_at", [1], make_dataset, dossiers=rows, match="before it was received")


def test_end_status_without_ended_at():
    """end_status set while ended_at is empty is rejected (and the reverse too)."""
    expect_error("dossiers", "end_status", [0], make_dataset, dossiers=[{"end_status": "finished"}])
    expect_error("dossiers", "end_status", [1], make_dataset, dossiers=[{}, {"ended_at": "2024-06-05 08:00"}])


def test_supplement_completed_before_requested():
    """A supplement cannot be completed before it was requested."""
    bad = {"supplement_count": 1, "supplement_requested_at": "2024-06-05 08:00",
           "supplement_completed_at": "2024-06-04 08:00"}
    expect_error("dossiers", "supplement_completed_at", [0], make_dataset, dossiers=[bad],
                 match="completed before requested")


def test_supplement_completed_without_request():
    """A completion date needs a request date."""
    bad = {"supplement_count": 1, "supplement_completed_at": "2024-06-04 08:00"}
    expect_error("dossiers", "supplement_completed_at", [0], make_dataset, dossiers=[bad])


def test_supplement_request_needs_a_count():
    """A request date with supplement_count 0 is inconsistent."""
    bad = {"supplement_count": 0, "supplement_requested_at": "2024-06-04 08:00"}
    expect_error("dossiers", "supplement_count", [0], make_dataset, dossiers=[bad])


def test_petition_resolved_before_received():
    """A petition cannot be resolved before it was received."""
    bad = {"received_at": "2024-06-05 08:00", "resolved_at": "2024-06-01 08:00"}
    expect_error("petitions", "resolved_at", [0], make_dataset, petitions=[bad])


# -------------------------------------------------------------------------------- references


def test_unknown_unit_id_in_dossiers():
    """A dossier at a unit not in the units table names the row."""
    expect_error("dossiers", "unit_id", [1], make_dataset, dossiers=[{}, {"unit_id": "C9"}], match="unknown unit_id")


def test_unknown_unit_id_in_petitions():
    """A petition at a unit not in the units table names the row."""
    expect_error("petitions", "unit_id", [0], make_dataset, petitions=[{"unit_id": "ZZ"}])


def test_unknown_procedure_code():
    """A dossier for a procedure not in the procedures table names the row."""
    expect_error("dossiers", "procedure_code", [2], make_dataset,
                 dossiers=[{}, {}, {"procedure_code": "NOPE"}], match="unknown procedure_code")


def test_unknown_agency_id():
    """A procedure's agency_id must be a unit."""
    expect_error("procedures", "agency_id", [0], make_dataset, procedures=[{"procedure_code": "X1", "agency_id": "Q"}])


def test_unknown_parent_id():
    """A unit whose parent is not a unit names the row."""
    rows = list(UNITS[:3]) + [("D3", "Sở Ba", "department", "PX", None)]
    expect_error("units", "parent_id", [3], make_dataset, units=rows, match="not a known unit_id")


def test_two_roots():
    """Exactly one unit has no parent; two roots name both rows."""
    rows = list(UNITS) + [("P2", "Tỉnh Khác", "province", None, None)]
    expect_error("units", "parent_id", [0, 6], make_dataset, units=rows, match="found 2")


def test_a_cycle():
    """A parent loop (B → C → B) beside the root is rejected, naming a unit in the loop."""
    rows = [("P", "Tỉnh", "province", None, None), ("B", "Sở B", "department", "C", None),
            ("C", "Sở C", "department", "B", None)]
    err = expect_error("units", "parent_id", [], make_dataset, units=rows, match="cycle")
    assert err.rows and err.rows[0] in (1, 2)


def test_a_deep_tree_without_fixed_depth_is_valid():
    """Province → department → commune (no district level) is a valid tree."""
    rows = [("P", "Tỉnh", "province", None, None), ("D", "Sở", "department", "P", None),
            ("C", "Xã", "commune", "P", True)]
    ds = make_dataset(units=rows, dossiers=[{"unit_id": "C"}])
    assert ds.units["unit_id"].tolist() == ["P", "D", "C"]


# ---------------------------------------------------------------------- types, extras, optional


def test_validated_dtypes():
    """Strings are pandas' str dtype, datetimes datetime64[us], ints int64, flags bool."""
    ds = make_dataset(dossiers=[{"fee_amount": 10000}])
    d = ds.dossiers
    assert d["dossier_id"].dtype == "str"
    assert d["end_status"].dtype == "str"
    assert d["received_at"].dtype == np.dtype("datetime64[us]")
    assert d["ended_at"].dtype == np.dtype("datetime64[us]")
    assert d["channel"].dtype == np.dtype("int64")
    assert d["fee_amount"].dtype == np.dtype("float64")
    assert d["synced"].dtype == np.dtype(bool)
    assert ds.units["e_certified_copy"].dtype == "boolean"  # optional and nullable


def test_missing_string_stays_missing():
    """An empty optional string is NA, not the text 'nan' or 'None'."""
    ds = make_dataset(dossiers=[{}])
    assert ds.dossiers["end_status"].isna().all()
    assert ds.units["parent_id"].isna().tolist() == [True, False, False, False, False, False]


def test_extra_columns_pass_through():
    """Columns outside the contract are kept, with their values, after validation."""
    frame = make_dataset(dossiers=[{}, {}]).dossiers.assign(note=["a", "b"], weight=[1.5, 2.5])
    out = validate_table("dossiers", frame)
    assert out["note"].tolist() == ["a", "b"]
    assert out["weight"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize("table, column", [("units", "e_certified_copy"), ("procedures", "level"),
                                           ("procedures", "agency_id"), ("petitions", "topic")])
def test_optional_columns_are_optional(table, column):
    """Each optional contract column may be left out entirely."""
    assert not next(c for c in SCHEMA[table] if c.name == column).required
    ds = make_dataset(dossiers=[{}], petitions=[{}])
    frame = ds.table(table).drop(columns=[column])
    out = validate_table(table, frame)
    assert column not in out.columns


def test_dataset_without_optional_columns_validates():
    """A whole dataset lacking every optional column is valid."""
    ds = make_dataset(dossiers=[{}], petitions=[{}])
    bare = Dataset(units=ds.units.drop(columns=["e_certified_copy"]),
                   procedures=ds.procedures.drop(columns=["level", "agency_id"]),
                   dossiers=ds.dossiers, petitions=ds.petitions.drop(columns=["topic"]), meta={})
    out = validate_dataset(bare)
    assert "topic" not in out.petitions.columns and len(out.dossiers) == 1


def test_optional_column_values_are_still_checked():
    """An optional column, when present, obeys its allowed values."""
    ds = make_dataset(petitions=[{}, {}])
    frame = ds.petitions.assign(topic=pd.Series(["staff", "weather"], dtype="str"))
    expect_error("petitions", "topic", [1], validate_table, "petitions", frame, match="weather")


# ------------------------------------------------------------------------------------ round trip


def rich_dataset() -> Dataset:
    return make_dataset(
        dossiers=[
            {"received_at": "2024-06-03 08:15:30", "ended_at": "2024-06-05 16:00", "end_status": "returned",
             "channel": 2, "fee_amount": 50000.0, "paid_online": True, "rating": "satisfied"},
            {"unit_id": "D1", "received_at": "2024-06-04 09:00", "due_at": None, "supplement_count": 2,
             "supplement_requested_at": "2024-06-05 10:00", "supplement_completed_at": "2024-06-07 11:00"},
        ],
        petitions=[{"resolved_at": "2024-06-10 10:00", "rating": "positive", "topic": "staff"}],
    )


def test_write_then_load_keeps_values_and_dtypes(tmp_path):
    """write_dataset → load_dataset returns equal tables with the same dtypes and the provenance record."""
    ds = rich_dataset()
    ds.meta = {"source": "synthetic", "note": "Bắc Ninh thử"}
    path = write_dataset(ds, tmp_path / "data")
    assert sorted(p.name for p in path.iterdir()) == ["dataset.json", "dossiers.parquet", "petitions.parquet",
                                                      "procedures.parquet", "units.parquet"]
    back = load_dataset(path)
    for name in ("units", "procedures", "dossiers", "petitions"):
        pd.testing.assert_frame_equal(back.table(name), ds.table(name), check_dtype=True, obj=name)
    assert back.dossiers["received_at"].dtype == np.dtype("datetime64[us]")
    assert back.dossiers["dossier_id"].dtype == "str"
    assert back.dossiers["received_at"].iloc[0] == pd.Timestamp("2024-06-03 08:15:30")
    assert back.meta == {"source": "synthetic", "note": "Bắc Ninh thử"}
    assert back.synthetic and back.path == path
    assert json.loads((path / "dataset.json").read_text(encoding="utf-8"))["note"] == "Bắc Ninh thử"


def test_round_trip_keeps_extra_columns(tmp_path):
    """An added column survives writing and loading."""
    ds = make_dataset(dossiers=[{}, {}])
    ds.dossiers = ds.dossiers.assign(note=pd.Series(["x", "y"], dtype="str"))
    back = load_dataset(write_dataset(ds, tmp_path))
    assert back.dossiers["note"].tolist() == ["x", "y"]


def test_round_trip_of_empty_tables(tmp_path):
    """A dataset without dossiers or petitions still round-trips and validates."""
    ds = make_dataset()
    back = load_dataset(write_dataset(ds, tmp_path))
    assert len(back.dossiers) == 0 and len(back.petitions) == 0
    assert back.dossiers["received_at"].dtype == np.dtype("datetime64[us]")


def test_load_validates(tmp_path):
    """load_dataset rejects a directory whose tables break the contract."""
    ds = make_dataset(dossiers=[{}])
    ds.dossiers = ds.dossiers.assign(channel=[7])
    path = write_dataset(ds, tmp_path)
    expect_error("dossiers", "channel", [0], load_dataset, path)
    assert load_dataset(path, validate=False).dossiers["channel"].tolist() == [7]


def test_load_missing_directory(tmp_path):
    """A missing data directory is a FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_dataset(tmp_path / "nowhere")


def test_load_missing_table_file(tmp_path):
    """A missing table file names the table and the file."""
    path = write_dataset(make_dataset(), tmp_path)
    (path / "petitions.parquet").unlink()
    err = expect_error("petitions", None, [], load_dataset, path)
    assert "petitions.parquet" in str(err)


def test_load_without_dataset_json(tmp_path):
    """dataset.json is optional; meta is then empty and the data are not flagged synthetic."""
    path = write_dataset(make_dataset(), tmp_path)
    (path / "dataset.json").unlink()
    back = load_dataset(path)
    assert back.meta == {} and not back.synthetic
