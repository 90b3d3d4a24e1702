"""Periods: parsing every label kind, calendar edge cases, `previous()`, instants and period lists.

Every expected date below was worked out from the Gregorian / ISO-8601 calendar by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from chiso.periods import Period, PeriodError, months_between, parse_period, periods_covering

D = dt.date


# ----------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "label, first, last, kind",
    [
        ("2024-06", D(2024, 6, 1), D(2024, 6, 30), "month"),
        ("2024-01", D(2024, 1, 1), D(2024, 1, 31), "month"),
        ("2024-12", D(2024, 12, 1), D(2024, 12, 31), "month"),
        ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31), "quarter"),
        ("2024-Q2", D(2024, 4, 1), D(2024, 6, 30), "quarter"),
        ("2024-Q3", D(2024, 7, 1), D(2024, 9, 30), "quarter"),
        ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31), "quarter"),
        ("2024", D(2024, 1, 1), D(2024, 12, 31), "year"),
        ("2024-W23", D(2024, 6, 3), D(2024, 6, 9), "week"),  # Monday 3 June .. Sunday 9 June 2024
        ("2024-06-01..2024-06-15", D(2024, 6, 1), D(2024, 6, 15), "range"),
        ("2024-06-05..2024-06-05", D(2024, 6, 5), D(2024, 6, 5), "range"),  # a one-day range
        ("2023-12-20..2024-01-10", D(2023, 12, 20), D(2024, 1, 10), "range"),  # across a new year
    ],
)
def test_parse_each_kind(label, first, last, kind):
    """Each label form gives its first and last calendar day, its kind, and keeps the label."""
    p = parse_period(label)
    assert (p.first_day, p.last_day, p.kind, p.label) == (first, last, kind, label)
    assert str(p) == label


def test_parse_strips_whitespace_and_accepts_a_period():
    """Surrounding blanks are ignored; a Period passed in is returned as is."""
    p = parse_period("  2024-06 ")
    assert p.label == "2024-06" and p.first_day == D(2024, 6, 1)
    assert parse_period(p) is p


@pytest.mark.parametrize(
    "label, last_day, days",
    [
        ("2024-02", D(2024, 2, 29), 29),  # divisible by 4: leap
        ("2023-02", D(2023, 2, 28), 28),
        ("2000-02", D(2000, 2, 29), 29),  # divisible by 400: leap
        ("2100-02", D(2100, 2, 28), 28),  # divisible by 100 only: not leap
        ("2024-Q1", D(2024, 3, 31), 31 + 29 + 31),
        ("2023-Q1", D(2023, 3, 31), 31 + 28 + 31),
        ("2024", D(2024, 12, 31), 366),
        ("2023", D(2023, 12, 31), 365),
    ],
)
def test_leap_years(label, last_day, days):
    """February and year lengths follow the Gregorian leap-year rule."""
    p = parse_period(label)
    assert p.last_day == last_day
    assert p.days == days


def test_iso_week_2024_w01_starts_on_new_years_day():
    """2024-01-01 is a Monday, so ISO week 1 of 2024 is 1–7 January."""
    p = parse_period("2024-W01")
    assert (p.first_day, p.last_day) == (D(2024, 1, 1), D(2024, 1, 7))
    assert p.days == 7


def test_iso_week_belonging_to_the_previous_year():
    """2021-01-01 is a Friday, so ISO week 1 of 2021 starts on Monday 4 January 2021."""
    assert parse_period("2021-W01").first_day == D(2021, 1, 4)


def test_iso_week_53_exists_in_2026():
    """2026 starts on a Thursday, so it has 53 ISO weeks; W53 runs 28 Dec 2026 – 3 Jan 2027."""
    p = parse_period("2026-W53")
    assert (p.first_day, p.last_day, p.kind) == (D(2026, 12, 28), D(2027, 1, 3), "week")


@pytest.mark.parametrize("label", ["2025-W53", "2024-W53", "2024-W54", "2024-W00"])
def test_iso_week_that_does_not_exist(label):
    """2025 (starts Wednesday) and 2024 (starts Monday, leap) have 52 weeks; W00 and W54 never exist."""
    with pytest.raises(PeriodError, match=label):
        parse_period(label)


@pytest.mark.parametrize(
    "label",
    [
        "2024-13",
        "2024-00",
        "2024-Q5",
        "2024-Q0",
        "2024-02-30..2024-03-01",
        "2023-02-29..2023-03-01",  # 2023 is not a leap year
        "2024-06-15..2024-06-01",  # reversed range
        "June 2024",
        "2024-6",
        "2024-W1",
        "24",
        "2024/06",
        "2024-06-01...2024-06-15",
        "garbage",
    ],
)
def test_invalid_labels_raise_period_error_naming_the_label(label):
    """Anything not a valid month, quarter, year, ISO week or ordered range is a PeriodError quoting it."""
    with pytest.raises(PeriodError) as err:
        parse_period(label)
    assert f"'{label}'" in str(err.value)


def test_period_error_is_a_value_error():
    """Callers that catch ValueError also catch bad period labels."""
    assert issubclass(PeriodError, ValueError)


def test_reversed_range_message_says_why():
    """A range whose end precedes its start says so, not just 'cannot parse'."""
    with pytest.raises(PeriodError, match="before it starts"):
        parse_period("2024-06-15..2024-06-01")


def test_empty_label_raises():
    """An empty label is not the current month or anything else: it is an error."""
    with pytest.raises(PeriodError):
        parse_period("")


# ---------------------------------------------------------------------------------------- previous


@pytest.mark.parametrize(
    "label, expected_label, first, last",
    [
        ("2024-06", "2024-05", D(2024, 5, 1), D(2024, 5, 31)),
        ("2024-03", "2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2024-01", "2023-12", D(2023, 12, 1), D(2023, 12, 31)),
        ("2024-Q3", "2024-Q2", D(2024, 4, 1), D(2024, 6, 30)),
        ("2024-Q1", "2023-Q4", D(2023, 10, 1), D(2023, 12, 31)),
        ("2024", "2023", D(2023, 1, 1), D(2023, 12, 31)),
        ("2024-W23", "2024-W22", D(2024, 5, 27), D(2024, 6, 2)),
        # 2023 started on a Sunday and has 52 ISO weeks: its last is 25–31 December.
        ("2024-W01", "2023-W52", D(2023, 12, 25), D(2023, 12, 31)),
        ("2027-W01", "2026-W53", D(2026, 12, 28), D(2027, 1, 3)),
        # 2026-W01 starts Monday 29 December 2025; the week before is 2025's 52nd and last.
        ("2026-W01", "2025-W52", D(2025, 12, 22), D(2025, 12, 28)),
        # 15 days 1..15 June -> the 15 days 17..31 May.
        ("2024-06-01..2024-06-15", "2024-05-17..2024-05-31", D(2024, 5, 17), D(2024, 5, 31)),
        # 10 days 1..10 January 2024 -> 22..31 December 2023.
        ("2024-01-01..2024-01-10", "2023-12-22..2023-12-31", D(2023, 12, 22), D(2023, 12, 31)),
        # one day 1 March 2024 -> 29 February 2024 (leap day).
        ("2024-03-01..2024-03-01", "2024-02-29..2024-02-29", D(2024, 2, 29), D(2024, 2, 29)),
    ],
)
def test_previous(label, expected_label, first, last):
    """`previous()` is the period of the same kind just before (a range: same length, ending the day before)."""
    p = parse_period(label)
    prev = p.previous()
    assert (prev.label, prev.first_day, prev.last_day, prev.kind) == (expected_label, first, last, p.kind)
    assert prev.last_day + dt.timedelta(days=1) == p.first_day
    if p.kind == "range":
        assert prev.days == p.days


def test_previous_twelve_times_walks_back_one_year():
    """Twelve `previous()` steps from a month land on the same month a year earlier."""
    p = parse_period("2025-03")
    for _ in range(12):
        p = p.previous()
    assert p.label == "2024-03"


# ---------------------------------------------------------------------------------------- instants


def test_start_end_exclusive_and_end_instants():
    """start is 00:00 of the first day, end_exclusive 00:00 of the day after, end 1 µs before that."""
    p = parse_period("2024-06")
    assert p.start == np.datetime64("2024-06-01T00:00:00.000000")
    assert p.end_exclusive == np.datetime64("2024-07-01T00:00:00.000000")
    assert p.end == np.datetime64("2024-06-30T23:59:59.999999")
    for instant in (p.start, p.end_exclusive, p.end):
        assert instant.dtype == np.dtype("datetime64[us]")


def test_instants_across_year_end_and_leap_day():
    """A December's end_exclusive is 1 January of the next year; February 2024 ends on the 29th."""
    dec = parse_period("2024-12")
    assert dec.end_exclusive == np.datetime64("2025-01-01T00:00:00", "us")
    feb = parse_period("2024-02")
    assert feb.end == np.datetime64("2024-02-29T23:59:59.999999", "us")


def test_instants_classify_timestamps():
    """A time stamp at 23:59 on the last day is inside; 00:00 the next day is outside."""
    p = parse_period("2024-06-01..2024-06-15")
    inside = np.datetime64("2024-06-15T23:59:00", "us")
    outside = np.datetime64("2024-06-16T00:00:00", "us")
    assert p.start <= inside < p.end_exclusive
    assert not (outside < p.end_exclusive)
    assert p.contains(D(2024, 6, 15)) and not p.contains(D(2024, 6, 16)) and not p.contains(D(2024, 5, 31))


# ----------------------------------------------------------------------------------- period lists


def test_months_between_across_a_year():
    """Every month from the first label's month to the last label's month, inclusive."""
    labels = [p.label for p in months_between("2024-11", "2025-02")]
    assert labels == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_months_between_accepts_other_kinds():
    """A quarter or year label contributes its first (for `first`) or last (for `last`) month."""
    assert [p.label for p in months_between("2024-Q1", "2024-Q2")] == [f"2024-{m:02d}" for m in range(1, 7)]
    assert len(months_between("2023", "2024")) == 24
    assert [p.label for p in months_between("2024-06", "2024-06")] == ["2024-06"]


def test_months_between_reversed_is_empty():
    """A last month before the first month gives no months."""
    assert months_between("2024-03", "2024-01") == []


def test_months_between_returns_month_periods():
    """The items are proper month periods (kind, first and last day)."""
    feb = months_between("2024-02", "2024-02")[0]
    assert feb == Period(D(2024, 2, 1), D(2024, 2, 29), "month", "2024-02")


def test_periods_covering_months():
    """Every month touched by the date range, partial months included."""
    got = periods_covering(D(2024, 2, 15), D(2024, 4, 2), "month")
    assert [p.label for p in got] == ["2024-02", "2024-03", "2024-04"]


def test_periods_covering_quarters_across_a_year():
    """Quarters touched by 15 Nov 2023 – 1 Feb 2024 are 2023-Q4 and 2024-Q1, each once."""
    got = periods_covering(D(2023, 11, 15), D(2024, 2, 1), "quarter")
    assert [p.label for p in got] == ["2023-Q4", "2024-Q1"]
    assert got[0].kind == "quarter" and got[0].first_day == D(2023, 10, 1)


def test_periods_covering_quarter_boundary():
    """31 March and 1 April touch two quarters."""
    got = periods_covering(D(2024, 3, 31), D(2024, 4, 1), "quarter")
    assert [p.label for p in got] == ["2024-Q1", "2024-Q2"]


def test_periods_covering_years():
    """Years touched by a range crossing two new years."""
    got = periods_covering(D(2023, 12, 31), D(2025, 1, 1), "year")
    assert [p.label for p in got] == ["2023", "2024", "2025"]


def test_periods_covering_unknown_kind():
    """An unsupported kind is a PeriodError naming it."""
    with pytest.raises(PeriodError, match="fortnight"):
        periods_covering(D(2024, 1, 1), D(2024, 2, 1), "fortnight")


@pytest.mark.parametrize("label,expected", [
    ("2024-12", "2025-01"), ("2024-06", "2024-07"), ("2024-Q4", "2025-Q1"), ("2024", "2025"),
    ("2024-W52", "2025-W01"), ("2026-W53", "2027-W01"),
    ("2024-06-01..2024-06-15", "2024-06-16..2024-06-30"),
])
def test_next_period(label, expected):
    """next() is the period of the same kind just after; previous() undoes it."""
    assert parse_period(label).next().label == expected
    assert parse_period(expected).previous().label == label


def test_shift_moves_by_whole_periods():
    assert parse_period("2024-11").shift(3).label == "2025-02"
    assert parse_period("2024-02").shift(-3).label == "2023-11"
    assert parse_period("2024-Q1").shift(0).label == "2024-Q1"
