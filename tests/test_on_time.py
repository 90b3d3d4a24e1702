"""ON_TIME, every branch, with due dates worked out by hand on the 2024 Vietnamese calendar.

Unless a test says otherwise a dossier is received Monday 2024-06-03 08:00 and due Monday
2024-06-10 17:00; June 2024 runs from 2024-06-01 00:00 to 2024-06-30 23:59:59.999999.
"""

import numpy as np
import pandas as pd
import pytest

from builders import make_dataset
from chiso.counts import count_period, dossier_status, prepare
from chiso.methodology import load_methodology

METH = load_methodology()
FINISHED = {"end_status": "finished"}


def status(dossiers, period="2024-06", procedures=None):
    """Per-dossier ON_TIME verdicts, indexed d1, d2, … in the order given."""
    ds = make_dataset(dossiers=dossiers, procedures=procedures)
    frame = dossier_status(prepare(ds, METH), period).set_index("dossier_id")
    return frame


def verdict(dossier, period="2024-06", procedures=None):
    row = status([dossier], period, procedures).loc["d1"]
    return bool(row["counted"]), bool(row["on_time"])


def test_finished_before_or_at_due_is_on_time_and_after_is_late():
    assert verdict({"ended_at": "2024-06-10 17:00", **FINISHED}) == (True, True)
    assert verdict({"ended_at": "2024-06-10 17:01", **FINISHED}) == (True, False)


@pytest.mark.parametrize("end_status", ["returned", "stopped", "refused", "withdrawn"])
def test_every_end_status_ends_processing(end_status):
    """Returned, stopped, refused and withdrawn all end the dossier at ended_at."""
    assert verdict({"ended_at": "2024-06-07 09:00", "end_status": end_status}) == (True, True)
    assert verdict({"ended_at": "2024-06-12 09:00", "end_status": end_status}) == (True, False)


def test_supplement_pause_extends_the_due_date():
    """Waiting 2 days (5 June 08:00 → 7 June 08:00) moves the due date to 12 June 17:00."""
    base = {"supplement_count": 1, "supplement_requested_at": "2024-06-05 08:00",
            "supplement_completed_at": "2024-06-07 08:00", **FINISHED}
    assert verdict(base | {"ended_at": "2024-06-12 16:59"}) == (True, True)
    assert verdict(base | {"ended_at": "2024-06-12 17:01"}) == (True, False)
    row = status([base | {"ended_at": "2024-06-12 16:59"}]).loc["d1"]
    assert row["effective_due"] == pd.Timestamp("2024-06-12 17:00")


def test_pending_supplement_at_period_end_ends_at_its_request_date():
    """Requested before the due date and not completed by 30 June: judged on time at the request."""
    on = {"supplement_count": 1, "supplement_requested_at": "2024-06-06 10:00"}
    late = {"supplement_count": 1, "supplement_requested_at": "2024-06-12 10:00"}
    assert verdict(on) == (True, True)
    assert verdict(late) == (True, False)
    assert status([on]).loc["d1", "evaluated_at"] == pd.Timestamp("2024-06-06 10:00")


def test_supplement_completed_after_period_end_is_pending_then_paused():
    """Requested 25 June, completed 3 July, due 28 June: June judges at 25 June (on time);
    July extends the due date by 8 days to 6 July, so ending on 5 July is on time."""
    d = {"due_at": "2024-06-28 17:00", "supplement_count": 1, "supplement_requested_at": "2024-06-25 08:00",
         "supplement_completed_at": "2024-07-03 08:00", "ended_at": "2024-07-05 10:00", **FINISHED}
    assert verdict(d, "2024-06") == (True, True)
    assert verdict(d, "2024-07") == (True, True)
    assert status([d], "2024-07").loc["d1", "effective_due"] == pd.Timestamp("2024-07-06 17:00")
    assert verdict(d | {"ended_at": "2024-07-06 18:00"}, "2024-07") == (True, False)


def test_more_than_one_supplement_is_late_even_when_early():
    d = {"supplement_count": 2, "supplement_requested_at": "2024-06-04 08:00",
         "supplement_completed_at": "2024-06-05 08:00", "ended_at": "2024-06-06 08:00", **FINISHED}
    assert verdict(d) == (True, False)


PROCS = [
    {"procedure_code": "W5", "time_limit": 5, "time_unit": "working_days"},
    {"procedure_code": "W3", "time_limit": 3, "time_unit": "working_days"},
    {"procedure_code": "H8", "time_limit": 8, "time_unit": "hours"},
    {"procedure_code": "D2", "time_limit": 2, "time_unit": "days"},
]


def test_no_due_date_working_days_skip_the_weekend():
    """Friday 7 June + 5 working days = Friday 14 June (10, 11, 12, 13, 14 June)."""
    d = {"procedure_code": "W5", "due_at": None, "received_at": "2024-06-07 10:00", **FINISHED}
    assert verdict(d | {"ended_at": "2024-06-14 16:00"}, procedures=PROCS) == (True, True)
    assert verdict(d | {"ended_at": "2024-06-17 09:00"}, procedures=PROCS) == (True, False)


def test_no_due_date_working_days_skip_public_holidays():
    """Thursday 29 Aug 2024 + 3 working days: Fri 30 Aug, (weekend, National Day 2 and 3 Sep),
    Wed 4 Sep, Thu 5 Sep → due 5 September."""
    d = {"procedure_code": "W3", "due_at": None, "received_at": "2024-08-29 09:00", **FINISHED}
    assert verdict(d | {"ended_at": "2024-09-05 16:00"}, "2024-09", PROCS) == (True, True)
    assert verdict(d | {"ended_at": "2024-09-06 08:00"}, "2024-09", PROCS) == (True, False)


def test_no_due_date_working_days_count_the_swapped_saturday():
    """Saturday 4 May 2024 was a working day (swapped for Monday 29 April): Thursday 2 May + 3
    working days = Fri 3, Sat 4, Mon 6 May."""
    d = {"procedure_code": "W3", "due_at": None, "received_at": "2024-05-02 09:00", **FINISHED}
    assert verdict(d | {"ended_at": "2024-05-06 16:00"}, "2024-05", PROCS) == (True, True)
    assert verdict(d | {"ended_at": "2024-05-07 08:00"}, "2024-05", PROCS) == (True, False)


def test_no_due_date_in_hours_and_calendar_days():
    h = {"procedure_code": "H8", "due_at": None, "received_at": "2024-06-03 08:00", **FINISHED}
    assert verdict(h | {"ended_at": "2024-06-03 16:00"}, procedures=PROCS) == (True, True)
    assert verdict(h | {"ended_at": "2024-06-03 16:30"}, procedures=PROCS) == (True, False)
    d = {"procedure_code": "D2", "due_at": None, "received_at": "2024-06-07 08:00", **FINISHED}
    assert verdict(d | {"ended_at": "2024-06-09 08:00"}, procedures=PROCS) == (True, True)  # a Sunday counts
    assert verdict(d | {"ended_at": "2024-06-09 08:01"}, procedures=PROCS) == (True, False)


def test_no_due_date_supplement_time_is_excluded():
    """W5 from Friday 7 June is due 14 June; a 3-day wait (10 → 13 June) moves it to 17 June."""
    d = {"procedure_code": "W5", "due_at": None, "received_at": "2024-06-07 10:00", "supplement_count": 1,
         "supplement_requested_at": "2024-06-10 09:00", "supplement_completed_at": "2024-06-13 09:00",
         "ended_at": "2024-06-17 16:00", **FINISHED}
    assert verdict(d, procedures=PROCS) == (True, True)


def test_still_open_is_judged_at_the_last_instant_of_the_period():
    assert verdict({"due_at": "2024-07-02 17:00"}) == (True, True)
    assert verdict({"due_at": "2024-06-30 23:59:59.999999"}) == (True, True)
    assert verdict({"due_at": "2024-06-30 12:00"}) == (True, False)


def test_carried_over_dossiers_count_until_they_end():
    frame = status([
        {"received_at": "2024-05-20 08:00", "due_at": "2024-06-10 17:00", "ended_at": "2024-06-05 08:00", **FINISHED},
        {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00", "ended_at": "2024-05-20 08:00", **FINISHED},
        {"received_at": "2024-05-02 08:00", "due_at": "2024-05-09 17:00"},  # still open, long overdue
        {"received_at": "2024-05-20 08:00", "due_at": "2024-05-31 17:00", "ended_at": "2024-06-01 00:00", **FINISHED},
    ])
    assert frame["counted"].tolist() == [True, False, True, True]
    assert frame["on_time"].tolist() == [True, False, False, False]


def test_period_boundaries_follow_received_time():
    frame = status([
        {"received_at": "2024-06-30 23:59", "due_at": "2024-07-05 17:00"},
        {"received_at": "2024-07-01 00:00", "due_at": "2024-07-05 17:00"},
        {"received_at": "2024-06-01 00:00", "due_at": "2024-06-05 17:00", "ended_at": "2024-06-04 00:00", **FINISHED},
    ])
    assert frame["counted"].tolist() == [True, False, True]
    july = status([{"received_at": "2024-07-01 00:00", "due_at": "2024-07-05 17:00"}], "2024-07")
    assert july["counted"].tolist() == [True]


def test_on_time_counts_at_unit_match_the_dossier_verdicts():
    """Five dossiers at commune C1: on time, late, open within due, open past due, carried over
    and finished on time → 3 of 5; 20 × 3/5 = 12 points."""
    ds = make_dataset(dossiers=[
        {"ended_at": "2024-06-07 08:00", **FINISHED},
        {"ended_at": "2024-06-14 08:00", **FINISHED},
        {"received_at": "2024-06-25 08:00", "due_at": "2024-07-02 17:00"},
        {"received_at": "2024-06-10 08:00", "due_at": "2024-06-17 17:00"},
        {"received_at": "2024-05-28 08:00", "due_at": "2024-06-04 17:00", "ended_at": "2024-06-03 08:00", **FINISHED},
    ])
    counts = count_period(prepare(ds, METH), "2024-06").set_index(["unit_id", "indicator"])
    assert counts.loc[("C1", "ON_TIME"), ["numerator", "denominator"]].tolist() == [3.0, 5.0]
    from chiso.scoring import score

    table = score(ds, "2024-06", METH).set_index(["unit_id", "indicator"])
    assert table.loc[("C1", "ON_TIME"), "points"] == pytest.approx(12.0)
    assert np.isnan(table.loc[("C2", "ON_TIME"), "ratio"])  # no dossiers: empty rule none
    assert np.isnan(table.loc[("C2", "ON_TIME"), "points"])
