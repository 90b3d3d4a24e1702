"""Every indicator other than ON_TIME, counted by hand on small datasets (June 2024).

The unit tree (tests/builders.py): province P; departments D1, D2; district H1 with communes C1
(issues electronic certified copies) and C2 (does not).
"""

import numpy as np
import pytest

from builders import make_dataset
from chiso.counts import count_period, prepare, processing_time_by_procedure
from chiso.methodology import load_methodology
from chiso.scoring import score

METH = load_methodology()
JUNE = "2024-06"
DONE = {"ended_at": "2024-06-05 08:00", "end_status": "finished"}


def counts(ds, period=JUNE):
    return count_period(prepare(ds, METH), period).set_index(["unit_id", "indicator"])


def nd(table, unit, code):
    return table.loc[(unit, code), ["numerator", "denominator"]].tolist()


def points(ds, unit, code, period=JUNE):
    t = score(ds, period, METH).set_index(["unit_id", "indicator"])
    return t.loc[(unit, code), "points"]


def test_dossier_sync_counts_receipts_in_period_and_rolls_up_by_summing():
    """D1 1/1, H1 own 0/1, C1 1/2, C2 2/2 → H1 = 3/5 (not the mean of 0, 0.5, 1), P = 4/6."""
    ds = make_dataset(dossiers=[
        {"unit_id": "D1"},
        {"unit_id": "H1", "synced": False},
        {"unit_id": "C1"}, {"unit_id": "C1", "synced": False},
        {"unit_id": "C2"}, {"unit_id": "C2"},
        {"unit_id": "C2", "synced": False, "received_at": "2024-05-31 16:00"},  # May: not counted
    ])
    c = counts(ds)
    assert nd(c, "D1", "DOSSIER_SYNC") == [1, 1]
    assert nd(c, "C1", "DOSSIER_SYNC") == [1, 2]
    assert nd(c, "H1", "DOSSIER_SYNC") == [3, 5]
    assert nd(c, "P", "DOSSIER_SYNC") == [4, 6]
    assert points(ds, "H1", "DOSSIER_SYNC") == pytest.approx(6 * 3 / 5)


ONLINE_PROCS = [
    {"procedure_code": "X1", "result_document": False, "level": "commune", "online_level": "none"},
    {"procedure_code": "X2", "result_document": True, "level": "commune", "online_level": "full"},
    {"procedure_code": "X3", "result_document": False, "level": "commune", "online_level": "partial"},
    {"procedure_code": "Y1", "level": "department", "agency_id": "D1", "online_level": "full"},
]


def test_online_dossier_share_needs_an_electronic_result_for_result_documents():
    """Online X1 counts; online X2 counts only with an e-result; in person does not: 2/4 = 0.5,
    which reaches the 0.5 target: 6 points."""
    ds = make_dataset(procedures=ONLINE_PROCS, dossiers=[
        {"procedure_code": "X1", "channel": 2},
        {"procedure_code": "X2", "channel": 2, "e_result": True},
        {"procedure_code": "X2", "channel": 2},
        {"procedure_code": "X1", "channel": 1},
    ])
    assert nd(counts(ds), "C1", "ONLINE_DOSSIER_SHARE") == [2, 4]
    assert points(ds, "C1", "ONLINE_DOSSIER_SHARE") == pytest.approx(6.0)


def test_online_services_under_authority_and_used():
    """Each commune has X1, X2, X3 (2 online); D1 has Y1. Provided: C1 2/3, D1 1/1, D2 0/0,
    H1 = C1 + C2 = 4/6, P = 5/7. Used: C1 had an online X2 dossier → 1/2."""
    ds = make_dataset(procedures=ONLINE_PROCS, dossiers=[
        {"procedure_code": "X2", "channel": 2},
        {"procedure_code": "X3", "channel": 1},
    ])
    c = counts(ds)
    assert nd(c, "C1", "ONLINE_SERVICE_PROVIDED") == [2, 3]
    assert nd(c, "D1", "ONLINE_SERVICE_PROVIDED") == [1, 1]
    assert nd(c, "D2", "ONLINE_SERVICE_PROVIDED") == [0, 0]
    assert nd(c, "H1", "ONLINE_SERVICE_PROVIDED") == [4, 6]
    assert nd(c, "P", "ONLINE_SERVICE_PROVIDED") == [5, 7]
    assert nd(c, "C1", "ONLINE_SERVICE_USED") == [1, 2]
    assert nd(c, "C2", "ONLINE_SERVICE_USED") == [0, 2]
    # 2/3 against a 0.8 target: 2 × (2/3)/0.8 = 1.6667; D2 has none: empty rule zero → 0.
    assert points(ds, "C1", "ONLINE_SERVICE_PROVIDED") == pytest.approx(2 * (2 / 3) / 0.8)
    assert points(ds, "D2", "ONLINE_SERVICE_PROVIDED") == 0.0


def test_online_services_without_authority_columns_use_procedures_with_dossiers():
    procs = [{k: v for k, v in p.items() if k not in ("level", "agency_id")} for p in ONLINE_PROCS]
    ds = make_dataset(procedures=procs, dossiers=[
        {"procedure_code": "X2", "channel": 2}, {"procedure_code": "X1", "channel": 1},
    ])
    c = counts(ds)
    assert nd(c, "C1", "ONLINE_SERVICE_PROVIDED") == [1, 2]
    assert nd(c, "C1", "ONLINE_SERVICE_USED") == [1, 1]


FEE_PROCS = [
    {"procedure_code": "F1", "has_fee": True},
    {"procedure_code": "F2", "has_fee": True},
    {"procedure_code": "X1", "has_fee": False},
]


def test_online_payment_dossiers_procedures_and_fee_data():
    """Fee-bearing dossiers with a non-zero fee: F1 paid, F1 unpaid, F2 (fee unknown) unpaid →
    1/3; the zero-fee F1 and the free X1 are out. Procedures: F1 paid online, F2 not → 1/2,
    2 × 0.5/0.8 = 1.25 points. Fee data: F1's synced dossiers carry a fee, F2's do not → 1/2."""
    ds = make_dataset(procedures=FEE_PROCS, dossiers=[
        {"procedure_code": "F1", "fee_amount": 50000, "paid_online": True},
        {"procedure_code": "F1", "fee_amount": 50000},
        {"procedure_code": "F1", "fee_amount": 0, "paid_online": True},
        {"procedure_code": "F2", "fee_amount": None},
        {"procedure_code": "X1", "fee_amount": 20000, "paid_online": True},
    ])
    c = counts(ds)
    assert nd(c, "C1", "ONLINE_PAYMENT_DOSSIER") == [1, 3]
    assert nd(c, "C1", "ONLINE_PAYMENT_PROCEDURE") == [1, 2]
    assert nd(c, "C1", "FEE_DATA_PROCEDURE") == [1, 2]
    assert points(ds, "C1", "ONLINE_PAYMENT_DOSSIER") == pytest.approx(2.0)
    assert points(ds, "C1", "ONLINE_PAYMENT_PROCEDURE") == pytest.approx(1.25)
    # C2 has no fee-bearing dossiers: empty rule zero.
    assert points(ds, "C2", "ONLINE_PAYMENT_DOSSIER") == 0.0


def test_procedure_counts_roll_up_by_summing_per_unit():
    """F1 paid online at C1 and at C2 counts twice at H1: 2/2, not 1/1."""
    ds = make_dataset(procedures=FEE_PROCS, dossiers=[
        {"unit_id": "C1", "procedure_code": "F1", "fee_amount": 1000, "paid_online": True},
        {"unit_id": "C2", "procedure_code": "F1", "fee_amount": 1000, "paid_online": True},
    ])
    assert nd(counts(ds), "H1", "ONLINE_PAYMENT_PROCEDURE") == [2, 2]


PETITIONS = [
    # received, due, resolved, rating, repeated, topic
    {"resolved_at": "2024-06-20 10:00", "rating": "positive", "topic": "procedure"},      # q1 on time
    {"resolved_at": "2024-06-25 10:00", "topic": "staff"},                                 # q2 late
    {"due_at": "2024-07-05 17:00", "repeated": True, "topic": "procedure"},                # q3 open, within
    {"due_at": "2024-06-28 17:00", "topic": "other"},                                      # q4 open, past due
    {"received_at": "2024-05-10 08:00", "due_at": "2024-05-31 17:00",
     "resolved_at": "2024-06-02 09:00"},                                                   # q5 carried over, late
    {"received_at": "2024-05-10 08:00", "due_at": "2024-05-31 17:00",
     "resolved_at": "2024-05-20 09:00"},                                                   # q6 May only
    {"resolved_at": "2024-06-10 10:00", "rating": "negative"},                             # q7 on time, negative
]


def test_petition_processing_on_time():
    """In progress in June: q1, q2, q3, q4, q5, q7; on time: q1, q3, q7 → 3/6."""
    ds = make_dataset(petitions=PETITIONS)
    assert nd(counts(ds), "C1", "PETITION_PROCESSING_ON_TIME") == [3, 6]
    assert points(ds, "C1", "PETITION_PROCESSING_ON_TIME") == pytest.approx(3.0)


def test_petition_handling_satisfaction_removes_negative_overdue_and_repeated():
    """Received in June: q1, q2, q3, q4, q7; good: only q1 (q2, q4 late; q3 repeated; q7 negative)."""
    ds = make_dataset(petitions=PETITIONS)
    assert nd(counts(ds), "C1", "PETITION_HANDLING_SATISFACTION") == [1, 5]


def test_petition_classification_shares():
    ds = make_dataset(petitions=PETITIONS)
    c = counts(ds)
    assert nd(c, "C1", "PETITION_CLASSIFICATION_TTHC") == [2, 5]
    assert nd(c, "C1", "PETITION_CLASSIFICATION_STAFF") == [1, 5]
    assert points(ds, "C1", "PETITION_CLASSIFICATION_TTHC") == 0.0


def test_petition_without_deadline_gets_15_working_days():
    """Received Monday 3 June: 15 working days after are 4–7, 10–14, 17–21 and 24 June."""
    ds = make_dataset(petitions=[
        {"due_at": None, "resolved_at": "2024-06-24 15:00"},
        {"due_at": None, "resolved_at": "2024-06-25 08:00"},
    ])
    assert nd(counts(ds), "C1", "PETITION_PROCESSING_ON_TIME") == [1, 2]


def test_petitions_empty_rule_full():
    ds = make_dataset()
    assert points(ds, "C2", "PETITION_PROCESSING_ON_TIME") == 6.0
    assert points(ds, "C2", "PETITION_HANDLING_SATISFACTION") == 6.0


def test_dossier_receiving_satisfaction():
    """Handled in June: on time (ok), on time unsatisfied, late, on time with a petition, on time
    unrated (ok) → 2/5 = 0.4; target 0.9: 6 × 0.4 / 0.9 = 2.6667. The open dossier is not handled."""
    ds = make_dataset(dossiers=[
        DONE | {"rating": "satisfied"},
        DONE | {"rating": "unsatisfied"},
        {"ended_at": "2024-06-12 08:00", "end_status": "finished", "rating": "satisfied"},
        DONE | {"has_petition": True},
        DONE,
        {},
    ])
    assert nd(counts(ds), "C1", "DOSSIER_RECEIVING_SATISFACTION") == [2, 5]
    assert points(ds, "C1", "DOSSIER_RECEIVING_SATISFACTION") == pytest.approx(6 * 0.4 / 0.9)


def test_original_result_available_counts_results_issued():
    """Finished with e-result, finished without, returned with: 2/3; refused and open are out."""
    ds = make_dataset(dossiers=[
        DONE | {"e_result": True},
        DONE,
        {"ended_at": "2024-06-05 08:00", "end_status": "returned", "e_result": True},
        {"ended_at": "2024-06-05 08:00", "end_status": "refused"},
        {"e_result": False},
    ])
    assert nd(counts(ds), "C1", "ORIGINAL_RESULT_AVAILABLE") == [2, 3]
    assert points(ds, "C1", "ORIGINAL_RESULT_AVAILABLE") == pytest.approx(4.0)


def test_original_result_option_restricts_to_result_documents(tmp_path):
    text = (METH.path.read_text(encoding="utf-8")
            .replace("result_document_only: false", "result_document_only: true"))
    path = tmp_path / "variant.yaml"
    path.write_text(text, encoding="utf-8")
    variant = load_methodology(path)
    procs = [{"procedure_code": "X1", "result_document": False}, {"procedure_code": "X2", "result_document": True}]
    ds = make_dataset(procedures=procs, dossiers=[
        DONE | {"procedure_code": "X1", "e_result": False},
        DONE | {"procedure_code": "X2", "e_result": True},
    ])
    c = count_period(prepare(ds, variant), JUNE).set_index(["unit_id", "indicator"])
    assert nd(c, "C1", "ORIGINAL_RESULT_AVAILABLE") == [1, 1]
    assert nd(counts(ds), "C1", "ORIGINAL_RESULT_AVAILABLE") == [1, 2]


def test_digitization_flags():
    """Five receipts. Digitized: no result needed (yes); result issued with e-result (yes);
    result issued without e-result (no); still open (yes); not digitized (no) → 3/5.
    Reused 2/5 → 2 × 0.4/0.8 = 1.0; personal store 1/5; population data 2/5."""
    procs = [{"procedure_code": "X1", "result_document": False}, {"procedure_code": "X2", "result_document": True}]
    ds = make_dataset(procedures=procs, dossiers=[
        {"procedure_code": "X1", "digitized": True, "reused_data": True, "population_data": True},
        DONE | {"procedure_code": "X2", "digitized": True, "e_result": True, "reused_data": True},
        DONE | {"procedure_code": "X2", "digitized": True, "personal_store": True},
        {"procedure_code": "X2", "digitized": True, "population_data": True},
        {"procedure_code": "X1"},
    ])
    c = counts(ds)
    assert nd(c, "C1", "SO_HOA_GIAY_TO_GIAI_QUYET") == [3, 5]
    assert nd(c, "C1", "REUSED_DIGITIZED_DATA") == [2, 5]
    assert nd(c, "C1", "SYNCED_WITH_DVCQG_PERSONAL_STORAGE") == [1, 5]
    assert nd(c, "C1", "CITIZEN_DATA_CONNECTED_DOSSIER") == [2, 5]
    assert points(ds, "C1", "REUSED_DIGITIZED_DATA") == pytest.approx(1.0)
    assert points(ds, "C1", "SO_HOA_GIAY_TO_GIAI_QUYET") == pytest.approx(4 * 3 / 5)


def test_citizen_data_connected_procedures():
    """Citizen procedures with dossiers: X1 (one uses population data), X2 (none) → 1/2;
    X3 is for businesses and is out even though its dossier used the data."""
    procs = [{"procedure_code": "X1"}, {"procedure_code": "X2"},
             {"procedure_code": "X3", "citizen_applicant": False}]
    ds = make_dataset(procedures=procs, dossiers=[
        {"procedure_code": "X1", "population_data": True}, {"procedure_code": "X1"},
        {"procedure_code": "X2"}, {"procedure_code": "X3", "population_data": True},
    ])
    assert nd(counts(ds), "C1", "CITIZEN_DATA_CONNECTED_FORMALITY") == [1, 2]


def test_electronic_certified_copy_counts_communes_in_the_subtree():
    ds = make_dataset()
    c = counts(ds)
    assert nd(c, "C1", "ELECTRONIC_CERTIFIED_COPY") == [1, 1]
    assert nd(c, "C2", "ELECTRONIC_CERTIFIED_COPY") == [0, 1]
    assert nd(c, "H1", "ELECTRONIC_CERTIFIED_COPY") == [1, 2]
    assert nd(c, "P", "ELECTRONIC_CERTIFIED_COPY") == [1, 2]
    assert nd(c, "D1", "ELECTRONIC_CERTIFIED_COPY") == [0, 0]
    assert np.isnan(points(ds, "D1", "ELECTRONIC_CERTIFIED_COPY"))  # empty rule none


def test_average_processing_time_excludes_supplement_waits():
    """Finished after 2 days; finished after 5 days of which 1 waiting → 4; refused is out:
    (2 + 4) / 2 = 3 days, and 0 points (monitoring)."""
    ds = make_dataset(dossiers=[
        {"received_at": "2024-06-03 08:00", "ended_at": "2024-06-05 08:00", "end_status": "finished"},
        {"received_at": "2024-06-03 08:00", "ended_at": "2024-06-08 08:00", "end_status": "returned",
         "supplement_count": 1, "supplement_requested_at": "2024-06-04 08:00",
         "supplement_completed_at": "2024-06-05 08:00"},
        {"received_at": "2024-06-03 08:00", "ended_at": "2024-06-04 08:00", "end_status": "refused"},
    ])
    assert nd(counts(ds), "C1", "AVG_PROCESSING_TIME") == [6, 2]
    t = score(ds, JUNE, METH).set_index(["unit_id", "indicator"])
    assert t.loc[("C1", "AVG_PROCESSING_TIME"), "ratio"] == pytest.approx(3.0)
    assert t.loc[("C1", "AVG_PROCESSING_TIME"), "points"] == 0.0


def test_processing_time_per_procedure_in_its_own_unit():
    """W5 (working days): Monday 3 → Wednesday 5 June = 2 working days; Friday 7 → Monday 10 =
    1 working day; mean 1.5. H8 (hours): 08:00 → 14:00 = 6 hours."""
    procs = [{"procedure_code": "W5", "time_limit": 5, "time_unit": "working_days"},
             {"procedure_code": "H8", "time_limit": 8, "time_unit": "hours"}]
    ds = make_dataset(procedures=procs, dossiers=[
        {"procedure_code": "W5", "received_at": "2024-06-03 08:00", "ended_at": "2024-06-05 10:00", "end_status": "finished"},
        {"procedure_code": "W5", "received_at": "2024-06-07 08:00", "ended_at": "2024-06-10 10:00", "end_status": "finished"},
        {"procedure_code": "H8", "received_at": "2024-06-03 08:00", "ended_at": "2024-06-03 14:00", "end_status": "finished"},
    ])
    table = processing_time_by_procedure(prepare(ds, METH), JUNE, unit_id="H1").set_index("procedure_code")
    assert table.loc["W5", "mean_time"] == pytest.approx(1.5)
    assert table.loc["W5", "dossiers"] == 2
    assert table.loc["H8", "mean_time"] == pytest.approx(6.0)
    assert table.loc["W5", "legal_limit"] == 5


TRANSPARENCY_PROCS = [
    # A: effective Thu 20 June; 5 working days before = Thu 13 June; decided 10 June → on time.
    {"procedure_code": "A", "decision_date": "2024-06-10", "legal_effective_date": "2024-06-20",
     "public_date": "2024-06-14", "full_content": True},
    # B: decided 17 June for 20 June → late; deadline to publish 24 June, published 25 June → late.
    {"procedure_code": "B", "decision_date": "2024-06-17", "legal_effective_date": "2024-06-20",
     "public_date": "2024-06-25", "full_content": False},
    # C: no effective date → on time; deadline 19 June, never published → late.
    {"procedure_code": "C", "decision_date": "2024-06-12", "legal_effective_date": None, "public_date": None},
    # D: decided in May (deadline 27 May), published 22 May with full content.
    {"procedure_code": "D", "decision_date": "2024-05-20", "legal_effective_date": "2024-06-30",
     "public_date": "2024-05-22", "full_content": True},
    # E: decided Wed 26 June; deadline Wed 3 July (27, 28 June, 1, 2, 3 July); published 1 July.
    {"procedure_code": "E", "decision_date": "2024-06-26", "legal_effective_date": "2024-07-15",
     "public_date": "2024-07-01", "full_content": True},
]


def test_transparency_indicators_are_computed_for_the_province_and_inherited():
    """Publish on time: A, C of A, B, C, E (E: effective 15 July, 5 working days before is 8 July)
    → 3/4. Made public on time: deadlines in June are A, B, C → only A → 1/3. Full content:
    published by 30 June A, B, D → A, D → 2/3. Every unit shows the province's counts."""
    ds = make_dataset(procedures=TRANSPARENCY_PROCS)
    c = counts(ds)
    for unit in ("P", "D1", "H1", "C2"):
        assert nd(c, unit, "PUBLISH_ON_TIME") == [3, 4]
        assert nd(c, unit, "PUBLIC_UPDATE_ON_TIME") == [1, 3]
        assert nd(c, unit, "PUBLIC_CONTENT_FULL") == [2, 3]
    assert points(ds, "C2", "PUBLISH_ON_TIME") == pytest.approx(4.5)
    july = counts(ds, "2024-07")
    assert nd(july, "C1", "PUBLIC_UPDATE_ON_TIME") == [1, 1]  # E, published 1 July ≤ 3 July
    assert nd(july, "C1", "PUBLIC_CONTENT_FULL") == [3, 4]
