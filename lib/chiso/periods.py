"""Periods the index is computed for: month, quarter, year, ISO week, or an explicit date range.

A period is a closed range of calendar days. Time stamps compare against `start` (00:00 of the
first day, inclusive) and `end_exclusive` (00:00 of the day after the last day); "the end of the
period" for dossiers still open is the last instant before `end_exclusive`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")

ONE_MICROSECOND = np.timedelta64(1, "us")


class PeriodError(ValueError):
    """A period label that cannot be parsed."""


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days with the label it was written as."""

    first_day: dt.date
    last_day: dt.date
    kind: str
    label: str

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(self.first_day, "us")

    @property
    def end_exclusive(self) -> np.datetime64:
        return np.datetime64(self.last_day + dt.timedelta(days=1), "us")

    @property
    def end(self) -> np.datetime64:
        """The last instant of the period: what "at period end" means for open dossiers."""
        return self.end_exclusive - ONE_MICROSECOND

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> "Period":
        """The period of the same kind just before (a range: the same length just before)."""
        if self.kind == "month":
            y, m = self.first_day.year, self.first_day.month
            return month(y - 1, 12) if m == 1 else month(y, m - 1)
        if self.kind == "quarter":
            y, q = self.first_day.year, (self.first_day.month - 1) // 3 + 1
            return parse_period(f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}")
        if self.kind == "year":
            return parse_period(str(self.first_day.year - 1))
        if self.kind == "week":
            prior = self.first_day - dt.timedelta(days=7)
            iso = prior.isocalendar()
            return parse_period(f"{iso.year}-W{iso.week:02d}")
        length = dt.timedelta(days=self.days)
        first = self.first_day - length
        last = self.first_day - dt.timedelta(days=1)
        return parse_period(f"{first.isoformat()}..{last.isoformat()}")

    def next(self) -> "Period":
        """The period of the same kind just after (a range: the same length just after)."""
        after = self.last_day + dt.timedelta(days=1)
        if self.kind == "month":
            return month(after.year, after.month)
        if self.kind == "quarter":
            return parse_period(f"{after.year}-Q{(after.month - 1) // 3 + 1}")
        if self.kind == "year":
            return parse_period(str(after.year))
        if self.kind == "week":
            iso = after.isocalendar()
            return parse_period(f"{iso.year}-W{iso.week:02d}")
        last = after + dt.timedelta(days=self.days - 1)
        return parse_period(f"{after.isoformat()}..{last.isoformat()}")

    def shift(self, steps: int) -> "Period":
        """The period `steps` periods later (negative: earlier)."""
        p = self
        for _ in range(abs(steps)):
            p = p.next() if steps > 0 else p.previous()
        return p

    def contains(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


def month(year: int, mon: int) -> Period:
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return Period(first, nxt - dt.timedelta(days=1), "month", f"{year:04d}-{mon:02d}")


def parse_period(text: str) -> Period:
    """Parse `2024-06`, `2024-Q2`, `2024`, `2024-W23` or `2024-06-01..2024-06-15`."""
    if isinstance(text, Period):
        return text
    label = str(text).strip()
    try:
        if m := _MONTH.match(label):
            year, mon = int(m[1]), int(m[2])
            if not 1 <= mon <= 12:
                raise PeriodError(f"month {mon} is not 01–12")
            return month(year, mon)
        if m := _QUARTER.match(label):
            year, q = int(m[1]), int(m[2])
            first = dt.date(year, 3 * q - 2, 1)
            last = month(year, 3 * q).last_day
            return Period(first, last, "quarter", label)
        if m := _YEAR.match(label):
            year = int(m[1])
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", label)
        if m := _WEEK.match(label):
            year, week = int(m[1]), int(m[2])
            first = dt.date.fromisocalendar(year, week, 1)
            return Period(first, first + dt.timedelta(days=6), "week", label)
        if m := _RANGE.match(label):
            first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if last < first:
                raise PeriodError("range ends before it starts")
            return Period(first, last, "range", label)
    except ValueError as exc:  # invalid calendar values such as week 54 or 2024-02-30
        if isinstance(exc, PeriodError):
            raise PeriodError(f"period '{label}': {exc}") from None
        raise PeriodError(f"period '{label}': {exc}") from None
    raise PeriodError(
        f"period '{label}' is not one of YYYY-MM, YYYY-Qn, YYYY, YYYY-Www, YYYY-MM-DD..YYYY-MM-DD"
    )


def months_between(first: str | Period, last: str | Period) -> list[Period]:
    """Every month from the month of `first` to the month of `last`, inclusive."""
    a, b = parse_period(first).first_day, parse_period(last).last_day
    out, y, m = [], a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append(month(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def periods_covering(first_day: dt.date, last_day: dt.date, kind: str = "month") -> list[Period]:
    """Every complete-or-partial period of `kind` (month or quarter) touching the date range."""
    months = months_between(f"{first_day:%Y-%m}", f"{last_day:%Y-%m}")
    if kind == "month":
        return months
    if kind == "quarter":
        labels = dict.fromkeys(f"{p.first_day.year}-Q{(p.first_day.month - 1) // 3 + 1}" for p in months)
        return [parse_period(x) for x in labels]
    if kind == "year":
        return [parse_period(str(y)) for y in range(first_day.year, last_day.year + 1)]
    raise PeriodError(f"unknown period kind '{kind}'")
