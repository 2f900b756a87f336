"""The portal's one clock. A day is the province's day (`PORTAL_TIMEZONE`, Vietnam's by default), whatever
zone the server runs in: between 00:00 and 07:00 in Vietnam a server on UTC still lives in yesterday.

The database keeps instants in UTC (`utcnow`); whatever is shown or compared as a day (due dates, legal
ends, criteria windows, the month of a snapshot, "not in the future") is `today()`. Nothing else in
`portal/` asks the system for the date or the time (tests/test_clock.py forbids it)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
_day_of_work: ContextVar[date | None] = ContextVar("portal_day_of_work", default=None)


@cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The app's setting inside an app; the environment's (or Vietnam's) in a bare process."""
    if has_app_context():
        return current_app.config["PORTAL_TIMEZONE"]
    return os.environ.get("PORTAL_TIMEZONE") or DEFAULT_ZONE


def zone() -> ZoneInfo:
    return _zone_named(zone_name())


def utcnow() -> datetime:
    """This instant, in UTC, as the database keeps instants."""
    return datetime.now(UTC)


def now() -> datetime:
    """This instant on the province's wall clock (aware)."""
    return datetime.now(zone())


def today() -> date:
    """The province's day (or the day a piece of work was started on, inside `working_on`)."""
    return _day_of_work.get() or now().date()


@contextmanager
def working_on(day: date) -> Iterator[None]:
    """Work that belongs to one day: an import job started at 23:59 checks and saves every row as of
    that day, even when it ends after midnight."""
    token = _day_of_work.set(day)
    try:
        yield
    finally:
        _day_of_work.reset(token)


def start_of(day: date) -> datetime:
    """The instant (in UTC) at which the province's day begins."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The instant (in UTC) at which the province's day ends: the start of the next one."""
    return start_of(day + timedelta(days=1))
