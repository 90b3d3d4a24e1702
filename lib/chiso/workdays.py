"""Vietnamese working days: weekends and public holidays, vectorised over numpy date arrays.

The holiday list comes from the maintained `holidays` library (country VN), which also knows the
government's swapped days (a Saturday worked to bridge a holiday). The calendar is a sorted array of
working days, so adding N working days or counting them between two dates is a binary search.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import numpy as np

FIRST_YEAR = 2015
LAST_YEAR = 2035


class WorkCalendar:
    """Working days between FIRST_YEAR and LAST_YEAR, with optional extra holidays."""

    def __init__(self, extra_holidays: tuple[str, ...] = (), first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR):
        vn = holidays.country_holidays("VN", years=range(first_year, last_year + 1))
        extra = {dt.date.fromisoformat(d) for d in extra_holidays}
        day = dt.date(first_year, 1, 1)
        end = dt.date(last_year, 12, 31)
        days = []
        while day <= end:
            if vn.is_working_day(day) and day not in extra:
                days.append(day)
            day += dt.timedelta(days=1)
        self.days = np.array(days, dtype="datetime64[D]")
        self.holidays = vn

    def is_working_day(self, dates) -> np.ndarray:
        d = np.asarray(dates, dtype="datetime64[D]")
        idx = np.searchsorted(self.days, d)
        idx = np.minimum(idx, len(self.days) - 1)
        return self.days[idx] == d

    def add(self, dates, n) -> np.ndarray:
        """The n-th working day strictly after each date (n = 0: the date itself).

        A dossier received on a Friday with a 3-working-day limit is due on Wednesday: the count
        starts the next working day, as one-stop offices count it.
        """
        d = np.asarray(dates, dtype="datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        start = np.searchsorted(self.days, d, side="right")
        idx = start + n - 1
        self._check_range(idx)
        out = self.days[np.clip(idx, 0, len(self.days) - 1)]
        return np.where(n == 0, d, out)

    def subtract(self, dates, n) -> np.ndarray:
        """The n-th working day strictly before each date (n = 0: the date itself)."""
        d = np.asarray(dates, dtype="datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        idx = np.searchsorted(self.days, d, side="left") - n
        if idx.size and idx.min() < 0:
            raise ValueError(f"working-day arithmetic before {FIRST_YEAR}: lower chiso.workdays.FIRST_YEAR")
        out = self.days[np.clip(idx, 0, len(self.days) - 1)]
        return np.where(n == 0, d, out)

    def count(self, start, end) -> np.ndarray:
        """Working days strictly after `start` up to and including `end` (0 if end <= start)."""
        s = np.searchsorted(self.days, np.asarray(start, dtype="datetime64[D]"), side="right")
        e = np.searchsorted(self.days, np.asarray(end, dtype="datetime64[D]"), side="right")
        return np.maximum(e - s, 0)

    def _check_range(self, idx: np.ndarray) -> None:
        if idx.size and (idx.max() >= len(self.days)):
            raise ValueError(f"working-day arithmetic beyond {LAST_YEAR}: extend chiso.workdays.LAST_YEAR")


@lru_cache(maxsize=8)
def calendar(extra_holidays: tuple[str, ...] = ()) -> WorkCalendar:
    """A cached calendar: building one takes a fraction of a second, so share it."""
    return WorkCalendar(extra_holidays)
