"""One clock: a day is Vietnam's day (PORTAL_TIMEZONE), whatever the server's zone and the hour."""

import ast
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from portal import clock
from portal.criteria.models import MonthlySnapshot
from portal.extensions import db
from portal.tenancy.guard import system_scope

pytestmark = pytest.mark.clock

PORTAL = Path(__file__).resolve().parents[1] / "portal"
# Calls that ask the system for its own day or a naive "now": only portal/clock.py may ask the system.
FORBIDDEN = {
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "utcfromtimestamp"),
    ("datetime", "fromtimestamp"),
    ("date", "fromtimestamp"),
    ("time", "localtime"),
    ("time", "strftime"),
}


def _system_clock_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (owner_name, node.func.attr) in FORBIDDEN:
                found.append((node.lineno, f"{owner_name}.{node.func.attr}()"))
    return found


def test_the_portal_asks_no_clock_but_its_own():
    offenders = [
        f"{path.relative_to(PORTAL.parent)}:{line}: {call}"
        for path in sorted(PORTAL.rglob("*.py"))
        if path.name != "clock.py" or path.parent != PORTAL
        for line, call in _system_clock_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use portal.clock (today, now, utcnow) instead:\n" + "\n".join(offenders)


def test_the_forbidding_test_finds_each_kind_of_call():
    source = (
        "import datetime as dt\nfrom datetime import date, datetime\n"
        "a = date.today()\nb = datetime.now()\nc = datetime.utcnow()\nd = dt.date.today()\ne = datetime.now(UTC)\n"
    )
    assert [line for line, _ in _system_clock_calls(source)] == [3, 4, 5, 6, 7]


@pytest.fixture
def server_zone():
    """Run the test as on a server whose own zone is the one given, then put the process's zone back."""
    before = os.environ.get("TZ")

    def _set(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield _set
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Ho_Chi_Minh"])
@pytest.mark.parametrize(
    ("instant", "vietnam_day"),
    [
        ("2026-06-15T16:59:30+00:00", date(2026, 6, 15)),
        ("2026-06-15T17:00:30+00:00", date(2026, 6, 16)),
        ("2026-12-31T16:59:30+00:00", date(2026, 12, 31)),
        ("2026-12-31T17:00:30+00:00", date(2027, 1, 1)),
        ("2026-11-30T17:00:30+00:00", date(2026, 12, 1)),
    ],
)
def test_the_portals_day_is_vietnams_whatever_the_servers_zone(server_zone, zone, instant, vietnam_day):
    server_zone(zone)
    with time_machine.travel(datetime.fromisoformat(instant), tick=False):
        assert clock.today() == vietnam_day
        assert clock.now().utcoffset().total_seconds() == 7 * 3600
        assert clock.utcnow() == datetime.fromisoformat(instant)
        assert clock.start_of(vietnam_day) <= clock.utcnow() < clock.end_of(vietnam_day)


def test_a_piece_of_work_keeps_the_day_it_was_started_on():
    with time_machine.travel(datetime(2026, 6, 15, 16, 59, 50, tzinfo=UTC), tick=False) as traveller:
        started = clock.today()
        with clock.working_on(started):
            traveller.shift(60)  # the import runs past midnight
            assert clock.today() == date(2026, 6, 15)
        assert clock.today() == date(2026, 6, 16)


def test_the_time_zone_is_a_setting_and_a_wrong_one_stops_the_start(monkeypatch, tmp_path):
    from portal.config import load_config

    monkeypatch.setenv("PORTAL_TIMEZONE", "Asia/Bangkok")
    assert load_config(str(tmp_path))["PORTAL_TIMEZONE"] == "Asia/Bangkok"
    monkeypatch.setenv("PORTAL_TIMEZONE", "Asia/Hanoi City")
    with pytest.raises(RuntimeError, match="PORTAL_TIMEZONE"):
        load_config(str(tmp_path))


def test_at_half_past_midnight_in_vietnam_the_access_log_finds_todays_reads(app, world, session_for, server_zone):
    """The evening failure of issue 14: at 17:30 UTC a server on UTC still lives in yesterday."""
    server_zone("UTC")
    instant = datetime.combine(clock.today(), datetime.min.time(), tzinfo=UTC).replace(hour=17, minute=30)
    with time_machine.travel(instant, tick=True):
        vietnam_today, server_today = clock.today(), instant.date()
        assert vietnam_today != server_today
        session_for("district_1").get(f"/u/{world.unit_code['A']}/persons/")
        province = session_for("province")

        def log_of(day: date) -> str:
            url = f"/u/38/audit/?user=district_1&from={day:%d/%m/%Y}&to={day:%d/%m/%Y}"
            return province.get(url).get_data(as_text=True)

        assert "Xã Quang Trung (15085)" in log_of(vietnam_today)
        assert "Không có gì trong khoảng thời gian này." in log_of(server_today)


@pytest.mark.parametrize(
    ("instant", "month"),
    [("2026-11-30T16:59:30+00:00", date(2026, 11, 1)), ("2026-11-30T17:00:30+00:00", date(2026, 12, 1))],
)
def test_the_nightly_refresh_takes_the_month_of_vietnams_day(app, world, server_zone, instant, month):
    server_zone("UTC")
    with time_machine.travel(datetime.fromisoformat(instant), tick=True):
        result = app.test_cli_runner().invoke(args=["criteria", "refresh"])
        assert result.exit_code == 0, result.output
        assert f"snapshot rows for {month:%m/%Y}" in result.output
    with app.app_context(), system_scope(db.session):
        months = set(db.session.scalars(select(MonthlySnapshot.month)))
    assert months == {month}
