"""Vietnamese working days on the real calendar: holidays, swapped days, and add / subtract / count.

Expected dates were worked out by hand from the calendar and the government's holiday notices:
- Tết Ất Tỵ 2025: civil servants off Saturday 25 January – Sunday 2 February 2025 (the `holidays`
  library lists 27 January – 1 February; the remaining days are weekends, so both agree on which
  days are worked: Friday 24 January is the last and Monday 3 February the first).
- 30/4 – 1/5 2025: Wednesday 30 April, Thursday 1 May, and Friday 2 May off in exchange for working
  Saturday 26 April 2025.
- 30/4 – 1/5 2024: Monday 29 April off in exchange for working Saturday 4 May 2024.
- National Day 2024: Monday 2 and Tuesday 3 September.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from chiso.workdays import WorkCalendar, calendar

D = np.datetime64


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return calendar()


def days(start: str, end: str) -> list[str]:
    """Every calendar day from start to end inclusive, as ISO strings."""
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


# ------------------------------------------------------------------------------- the library's facts


def test_library_lists_tet_2025_as_27_january_to_1_february():
    """The `holidays` library's Tết 2025 is Mon 27 Jan – Sat 1 Feb; the 25th, 26th and 2 Feb are weekend days."""
    vn = calendar().holidays
    for day in days("2025-01-27", "2025-02-01"):
        assert dt.date.fromisoformat(day) in vn, day
    for day in ("2025-01-25", "2025-01-26", "2025-02-02"):
        assert dt.date.fromisoformat(day).weekday() >= 5  # Saturday or Sunday


def test_tet_2025_no_working_day_from_25_january_to_2_february(cal):
    """Nine days off in a row; Friday 24 January and Monday 3 February are worked."""
    assert not cal.is_working_day(days("2025-01-25", "2025-02-02")).any()
    assert cal.is_working_day(["2025-01-24", "2025-02-03"]).all()


def test_tet_2025_arithmetic(cal):
    """One working day after Fri 24 Jan is Mon 3 Feb; one before Mon 3 Feb is Fri 24 Jan; Tết counts 0 days."""
    assert cal.add("2025-01-24", 1) == D("2025-02-03")
    assert cal.subtract("2025-02-03", 1) == D("2025-01-24")
    assert cal.count("2025-01-24", "2025-02-02") == 0
    assert cal.count("2025-01-24", "2025-02-03") == 1
    # Received during Tết: the count starts on the first working day after it.
    assert cal.add("2025-01-29", 3) == D("2025-02-05")


def test_reunification_and_labour_day_2025(cal):
    """30 Apr – 4 May 2025 are all off (2 May swapped); Saturday 26 April 2025 is worked."""
    assert not cal.is_working_day(days("2025-04-30", "2025-05-04")).any()
    assert cal.is_working_day("2025-04-26")  # swapped working Saturday
    assert not cal.is_working_day("2025-04-27")  # an ordinary Sunday
    assert cal.is_working_day("2025-04-29")
    assert cal.add("2025-04-29", 1) == D("2025-05-05")
    # Fri 25 Apr + 2: Sat 26 (worked), Mon 28.
    assert cal.add("2025-04-25", 2) == D("2025-04-28")
    # Working days after Thu 24 Apr up to Mon 5 May: Fri 25, Sat 26, Mon 28, Tue 29, Mon 5 = 5.
    assert cal.count("2025-04-24", "2025-05-05") == 5


def test_swapped_working_saturday_4_may_2024(cal):
    """Saturday 4 May 2024 is worked (for Monday 29 April off); 27 April – 1 May 2024 are all off."""
    assert cal.is_working_day("2024-05-04")
    assert not cal.is_working_day("2024-05-11")  # the next Saturday is an ordinary one
    assert not cal.is_working_day(days("2024-04-27", "2024-05-01")).any()
    assert cal.add("2024-05-03", 1) == D("2024-05-04")
    assert cal.add("2024-04-26", 1) == D("2024-05-02")
    # After Fri 3 May up to Mon 6 May: Sat 4 and Mon 6.
    assert cal.count("2024-05-03", "2024-05-06") == 2


def test_national_day_2024(cal):
    """2 and 3 September 2024 are off; Fri 30 Aug + 1 working day is Wed 4 Sep."""
    assert not cal.is_working_day(["2024-09-02", "2024-09-03"]).any()
    assert cal.add("2024-08-30", 1) == D("2024-09-04")
    assert cal.subtract("2024-09-04", 1) == D("2024-08-30")
    assert cal.count("2024-08-30", "2024-09-04") == 1


def test_weekends_are_not_working_days(cal):
    """An ordinary week: Monday–Friday worked, Saturday and Sunday not (10–16 June 2024)."""
    got = cal.is_working_day(days("2024-06-10", "2024-06-16"))
    assert got.tolist() == [True, True, True, True, True, False, False]


# -------------------------------------------------------------------------------------------- add


def test_add_friday_plus_three_is_wednesday(cal):
    """Counting starts the next working day: Fri 7 June 2024 + 3 = Wed 12 June."""
    assert cal.add("2024-06-07", 3) == D("2024-06-12")


def test_add_one_from_a_weekday_and_from_a_weekend(cal):
    """+1 from Mon is Tue; +1 from Sat or Sun 8/9 June 2024 is Mon 10 June."""
    assert cal.add("2024-06-10", 1) == D("2024-06-11")
    assert cal.add("2024-06-08", 1) == D("2024-06-10")
    assert cal.add("2024-06-09", 1) == D("2024-06-10")


def test_add_zero_is_the_date_itself_even_on_a_sunday(cal):
    """n = 0 returns the date unchanged, working day or not."""
    assert cal.add("2024-06-09", 0) == D("2024-06-09")
    assert cal.add("2024-06-07", 0) == D("2024-06-07")


def test_add_fifteen_working_days(cal):
    """Mon 3 June 2024 + 15 working days = Mon 24 June (three full weeks)."""
    assert cal.add("2024-06-03", 15) == D("2024-06-24")


def test_add_accepts_dates_and_datetime64(cal):
    """Python dates and numpy datetimes give the same answer as ISO strings."""
    assert cal.add(dt.date(2024, 6, 7), 3) == D("2024-06-12")
    assert cal.add(np.datetime64("2024-06-07"), 3) == D("2024-06-12")


def test_add_beyond_the_calendar_raises():
    """Working-day arithmetic past the last year of the calendar is an error, not a silent clip."""
    small = WorkCalendar(first_year=2024, last_year=2024)
    assert small.add("2024-12-30", 1) == D("2024-12-31")
    with pytest.raises(ValueError, match="beyond"):
        small.add("2024-12-31", 1)


# --------------------------------------------------------------------------------------- subtract


def test_subtract_is_strictly_before(cal):
    """Wed 12 June 2024 − 3 = Fri 7 June; from Sun 9 June − 1 = Fri 7 June; − 0 = the date itself."""
    assert cal.subtract("2024-06-12", 3) == D("2024-06-07")
    assert cal.subtract("2024-06-09", 1) == D("2024-06-07")
    assert cal.subtract("2024-06-10", 1) == D("2024-06-07")
    assert cal.subtract("2024-06-09", 0) == D("2024-06-09")


def test_subtract_five_working_days_before_an_effective_date(cal):
    """The PUBLISH_ON_TIME deadline shape: 5 working days before Mon 1 July 2024 is Mon 24 June."""
    assert cal.subtract("2024-07-01", 5) == D("2024-06-24")


def test_subtract_before_the_calendar_raises():
    """Arithmetic before the first year of the calendar is an error."""
    small = WorkCalendar(first_year=2024, last_year=2024)
    with pytest.raises(ValueError):
        small.subtract("2024-01-02", 1)  # 1 January is a holiday: no working day before in 2024


# ------------------------------------------------------------------------------------------ count


def test_count_after_start_up_to_and_including_end(cal):
    """Fri 7 → Wed 12 June 2024 is 3 working days (Mon, Tue, Wed); count inverts add."""
    assert cal.count("2024-06-07", "2024-06-12") == 3
    assert cal.count("2024-06-07", cal.add("2024-06-07", 3)) == 3


def test_count_is_zero_when_end_not_after_start(cal):
    """Same day, end before start, or a weekend-only span count 0."""
    assert cal.count("2024-06-12", "2024-06-12") == 0
    assert cal.count("2024-06-12", "2024-06-07") == 0
    assert cal.count("2024-06-08", "2024-06-09") == 0  # Sat → Sun


def test_count_from_a_weekend(cal):
    """From Sun 9 June to Mon 10 June 2024: one working day."""
    assert cal.count("2024-06-09", "2024-06-10") == 1


def test_count_a_whole_month(cal):
    """June 2024 has 20 working days (30 days, 10 weekend days, no holiday)."""
    assert cal.count("2024-05-31", "2024-06-30") == 20


# ------------------------------------------------------------------------------------- vectorised


def test_vectorised_add_with_per_element_n(cal):
    """Arrays of dates and of n work element-wise."""
    dates = np.array(["2024-06-07", "2025-01-24", "2024-06-09", "2024-08-30"], dtype="datetime64[D]")
    got = cal.add(dates, np.array([3, 1, 0, 1]))
    expected = np.array(["2024-06-12", "2025-02-03", "2024-06-09", "2024-09-04"], dtype="datetime64[D]")
    assert got.dtype == np.dtype("datetime64[D]")
    np.testing.assert_array_equal(got, expected)


def test_vectorised_add_broadcasts_a_scalar_n(cal):
    """One n applies to every date."""
    got = cal.add(["2024-06-07", "2024-06-10"], 1)
    np.testing.assert_array_equal(got, np.array(["2024-06-10", "2024-06-11"], dtype="datetime64[D]"))


def test_vectorised_subtract_and_count(cal):
    """subtract and count work on arrays too."""
    got = cal.subtract(["2024-06-12", "2025-02-03"], [3, 1])
    np.testing.assert_array_equal(got, np.array(["2024-06-07", "2025-01-24"], dtype="datetime64[D]"))
    counts = cal.count(["2024-06-07", "2025-01-24", "2024-06-12"], ["2024-06-12", "2025-02-03", "2024-06-07"])
    assert counts.tolist() == [3, 1, 0]


def test_vectorised_empty_arrays(cal):
    """Empty inputs give empty outputs, not errors."""
    empty = np.array([], dtype="datetime64[D]")
    assert cal.add(empty, 1).shape == (0,)
    assert cal.subtract(empty, 1).shape == (0,)
    assert cal.count(empty, empty).shape == (0,)


# --------------------------------------------------------------------------------- extra holidays


def test_extra_holiday_is_skipped():
    """A province's own day off (Mon 10 June 2024) is not worked: Fri 7 June + 3 = Thu 13 June."""
    local = WorkCalendar(extra_holidays=("2024-06-10",))
    assert not local.is_working_day("2024-06-10")
    assert local.add("2024-06-07", 3) == D("2024-06-13")
    assert local.count("2024-06-07", "2024-06-12") == 2
    assert local.subtract("2024-06-11", 1) == D("2024-06-07")


def test_extra_holiday_does_not_change_the_shared_calendar(cal):
    """The default calendar still works Monday 10 June 2024."""
    assert cal.is_working_day("2024-06-10")
    assert calendar(("2024-06-10",)).add("2024-06-07", 1) == D("2024-06-11")
