"""Working days: no Saturday or Sunday, no public holiday of Vietnam (Tết moves with the lunar
calendar: the `holidays` package knows it, with the days the government moves or adds), and no day a
province gives off by decision (`days_off` in its plan.json). One function answers "N working days
after D"; every legal deadline counted in working days goes through it."""

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def is_working_day(day: date, days_off: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year) and day not in set(days_off)


def add_working_days(day: date, count: int, days_off: Iterable[date] = ()) -> date:
    """The day on which `count` working days after `day` have passed (the day itself not counted)."""
    days_off = frozenset(days_off)
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day, days_off):
            count -= 1
    return day
