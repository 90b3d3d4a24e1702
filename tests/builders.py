"""Small hand-made datasets for tests: every field has a neutral default, tests set what matters."""

from __future__ import annotations

import pandas as pd

from chiso.contract import Dataset, validate_dataset

UNITS = [
    # unit_id, name, kind, parent_id, e_certified_copy
    ("P", "Tỉnh Thử", "province", None, None),
    ("D1", "Sở Một", "department", "P", None),
    ("D2", "Sở Hai", "department", "P", None),
    ("H1", "Huyện Một", "district", "P", None),
    ("C1", "Xã Một", "commune", "H1", True),
    ("C2", "Xã Hai", "commune", "H1", False),
]

PROCEDURE_DEFAULTS = dict(
    name="Thủ tục thử", field="Hộ tịch", time_limit=5.0, time_unit="working_days", online_level="none",
    has_fee=False, result_document=False, citizen_applicant=True, full_content=True,
    decision_date=None, legal_effective_date=None, public_date=None, level=None, agency_id=None,
)

DOSSIER_DEFAULTS = dict(
    unit_id="C1", procedure_code="X1", channel=1, received_at="2024-06-03 08:00", due_at="2024-06-10 17:00",
    ended_at=None, end_status=None, supplement_count=0, supplement_requested_at=None,
    supplement_completed_at=None, synced=True, fee_amount=None, paid_online=False, e_result=False,
    digitized=False, reused_data=False, personal_store=False, population_data=False, rating=None,
    has_petition=False,
)

PETITION_DEFAULTS = dict(unit_id="C1", received_at="2024-06-03 08:00", due_at="2024-06-24 17:00",
                         resolved_at=None, rating=None, repeated=False, topic=None)


def _frame(rows: list[dict], defaults: dict, key: str, prefix: str) -> pd.DataFrame:
    full = []
    for i, row in enumerate(rows):
        item = {key: f"{prefix}{i + 1}"} | defaults | row
        full.append(item)
    if not full:
        return pd.DataFrame({key: pd.Series([], dtype="str")} | {k: pd.Series([], dtype="object") for k in defaults})
    return pd.DataFrame(full)


def make_dataset(dossiers=(), procedures=None, petitions=(), units=None) -> Dataset:
    """A validated dataset; `procedures` defaults to one procedure `X1` with default fields."""
    unit_rows = units if units is not None else UNITS
    units_df = pd.DataFrame(unit_rows, columns=["unit_id", "name", "kind", "parent_id", "e_certified_copy"])
    procs = procedures if procedures is not None else [{"procedure_code": "X1"}]
    procs_df = pd.DataFrame([PROCEDURE_DEFAULTS | p for p in procs])
    ds = Dataset(
        units=units_df,
        procedures=procs_df,
        dossiers=_frame(list(dossiers), DOSSIER_DEFAULTS, "dossier_id", "d"),
        petitions=_frame(list(petitions), PETITION_DEFAULTS, "petition_id", "q"),
        meta={"source": "test"},
    )
    return validate_dataset(ds)
