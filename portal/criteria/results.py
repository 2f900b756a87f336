"""Keeping each commune's results current.

Every transaction that writes a register row recomputes, before it commits, the results of the
criteria whose metric reads that register, for that commune: a number on a page is never older than
the last write. `criteria refresh` recomputes everything for date-driven changes (a term ending, a new
year), and `criteria rebuild` recomputes from nothing."""

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.orm import aliased, joinedload

from portal import clock
from portal.criteria.metrics import METRICS, Frame, measure
from portal.criteria.models import CommuneResult, CriteriaVersion, Criterion, MonthlySnapshot, MonthlyTally
from portal.extensions import db
from portal.persons.legal_terms import add_months
from portal.tenancy.guard import TenantOwned
from portal.tenancy.models import AdminUnit
from portal.tenancy.periods import campaigns, period_of

TOUCHED = "portal.touched_communes"  # commune id -> tables written in this transaction
READ_BY_METRICS = frozenset().union(*(m.tables for m in METRICS.values()))


def version_in_force(day: date | None = None, session=None) -> CriteriaVersion | None:
    day = day or clock.today()
    return (
        (session or db.session)
        .scalars(
            select(CriteriaVersion)
            .where(CriteriaVersion.effective_from <= day)
            .order_by(CriteriaVersion.effective_from.desc(), CriteriaVersion.number.desc())
            .limit(1)
            .options(joinedload(CriteriaVersion.criteria))  # with its criteria: one statement
        )
        .unique()
        .first()
    )


def province_code(version: CriteriaVersion, session=None) -> str:
    return (session or db.session).get(AdminUnit, version.province_id).code


def window_start(window: str, day: date, code: str) -> date:
    """Where a criterion's window starts on the day: the period's start, N months back, or 1 January."""
    if window.startswith("months:"):
        return add_months(day, -int(window.removeprefix("months:"))) + timedelta(days=1)
    if window == "period":
        period = period_of(code, day)
        if period is not None:
            return period.start
    return date(day.year, 1, 1)


def frame_for(criterion: Criterion, version: CriteriaVersion, day: date, session=None) -> Frame:
    code = province_code(version, session)
    return Frame(day, window_start(criterion.window, day, code), version.rules or {}, campaigns(code))


def evaluate(criteria, commune_id: int, day: date, session=None) -> list:
    """[(criterion, measure, passed)] computed from the registers now, for any day."""
    out = []
    for criterion in criteria:
        version = (session or db.session).get(CriteriaVersion, criterion.version_id)
        result = measure(METRICS[criterion.metric], commune_id, frame_for(criterion, version, day, session), session)
        out.append((criterion, result, criterion.passes(result.value)))
    return out


RESULTS_LOCK = 3822  # PostgreSQL advisory lock space: one commune's kept results are computed at a time


def _computing(session, commune_id: int) -> None:
    """Wait until no other transaction computes the commune's results, and hold that until this one ends.
    Without it a refresh that read the registers before a write committed could store its older figures
    after the write stored its newer ones (READ COMMITTED). SQLite has one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :commune)"), {"space": RESULTS_LOCK, "commune": commune_id}
        )


def store(commune_id: int, criteria, day: date, session=None) -> None:
    session = session or db.session
    _computing(session, commune_id)
    now = clock.utcnow()
    for criterion, result, passed in evaluate(criteria, commune_id, day, session):
        row = session.get(CommuneResult, (commune_id, criterion.id))
        if row is None:
            row = CommuneResult(commune_id=commune_id, criterion_id=criterion.id)
            session.add(row)
        row.numerator, row.denominator, row.value = result.numerator, result.denominator, result.value
        row.aside = result.aside
        if passed:
            row.failing_since = None
        elif row.passed is not False or row.failing_since is None:
            row.failing_since = day  # it breaks now (or was never kept before)
        row.passed, row.as_of, row.computed_at = passed, day, now


def refresh_commune(commune_id: int, day: date | None = None) -> None:
    version = version_in_force(day)
    if version is not None:
        store(commune_id, version.criteria, day or clock.today())


def refresh_all(day: date | None = None, commit_each: bool = False) -> int:
    """Every commune's results, in the order of their ids (as writers take their communes' locks);
    `commit_each`: each commune committed on its own, so that writers wait for one commune, not the run."""
    version = version_in_force(day)
    # the communes of the current tree: an archived one's results stay as they were when it was archived
    communes = db.session.scalars(
        select(AdminUnit.id).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None)).order_by(AdminUnit.id)
    ).all()
    if version is None:
        return len(communes)
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False  # the criteria stay loaded between commits
    try:
        for commune_id in communes:
            store(commune_id, version.criteria, day or clock.today())
            if commit_each:
                session.commit()
    finally:
        session.expire_on_commit = keep
    return len(communes)


def rebuild(day: date | None = None) -> int:
    db.session.execute(delete(CommuneResult))
    return refresh_all(day)


def snapshot_month(month: date, day: date | None = None) -> int:
    """Record every commune's current results for the month once (taking it again changes nothing)."""
    version = version_in_force(day)
    if version is None:
        return 0
    taken = set(db.session.scalars(select(MonthlySnapshot.commune_id).where(MonthlySnapshot.month == month)))
    codes = {c.id: c.code for c in version.criteria}
    count = 0
    current = select(AdminUnit.id).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
    kept = select(CommuneResult).where(CommuneResult.criterion_id.in_(codes), CommuneResult.commune_id.in_(current))
    for result in db.session.scalars(kept):  # an archived commune's results stay as they were
        if result.commune_id in taken:
            continue
        db.session.add(
            MonthlySnapshot(
                commune_id=result.commune_id,
                month=month,
                version_id=version.id,
                criterion_code=codes[result.criterion_id],
                numerator=result.numerator,
                denominator=result.denominator,
                value=result.value,
                passed=result.passed,
            )
        )
        count += 1
    db.session.flush()
    tally_month(month)
    return count


def tally_month(month: date) -> None:
    """The month's MonthlyTally per province, from its snapshots (taken again: replaced)."""
    per_commune = (
        select(
            MonthlySnapshot.commune_id.label("commune_id"),
            func.min(case((MonthlySnapshot.passed, 1), else_=0)).label("all_passed"),
        )
        .where(MonthlySnapshot.month == month)
        .group_by(MonthlySnapshot.commune_id)
        .subquery()
    )
    commune, district = aliased(AdminUnit), aliased(AdminUnit)
    db.session.execute(delete(MonthlyTally).where(MonthlyTally.month == month))
    for province_id, communes, meeting in db.session.execute(
        select(district.parent_id, func.count(), func.sum(per_commune.c.all_passed))
        .join(commune, commune.id == per_commune.c.commune_id)
        .join(district, district.id == commune.parent_id)
        .group_by(district.parent_id)
    ):
        db.session.add(
            MonthlyTally(province_id=province_id, month=month, communes=communes, meeting_all=int(meeting or 0))
        )


def load_default_criteria(province: AdminUnit, path: Path) -> list[CriteriaVersion]:
    """The versions of tenants/<province>/criteria.json that the province does not hold yet (by number):
    a version once loaded or published is never changed, so syncing again adds nothing."""
    held = set(db.session.scalars(select(CriteriaVersion.number).where(CriteriaVersion.province_id == province.id)))
    loaded = []
    for spec in json.loads(path.read_text(encoding="utf-8"))["versions"]:
        if spec["number"] in held:
            continue
        version = CriteriaVersion(
            province_id=province.id,
            number=spec["number"],
            note=spec["note"],
            effective_from=date.fromisoformat(spec["effective_from"]),
            rules=spec.get("rules", {}),
        )
        for position, item in enumerate(spec["criteria"]):
            if item["metric"] not in METRICS:
                raise ValueError(f"criterion {item['code']}: unknown metric {item['metric']}")
            version.criteria.append(Criterion(position=position, **{"window": "calendar_year", **item}))
        db.session.add(version)
        loaded.append(version)
    db.session.flush()
    return loaded


def remember_written_communes(session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TenantOwned):
            session.info.setdefault(TOUCHED, {}).setdefault(obj.commune_id, set()).add(obj.__tablename__)


def keep_results_current(session) -> None:
    session.flush()
    touched = session.info.pop(TOUCHED, None)
    if not touched or not any(tables & READ_BY_METRICS for tables in touched.values()):
        return
    version = version_in_force(session=session)
    if version is None:
        return
    today = clock.today()
    for commune_id, tables in sorted(touched.items()):  # locks taken in the order refresh_all takes them
        criteria = [c for c in version.criteria if METRICS[c.metric].tables & tables]
        if criteria:
            store(commune_id, criteria, today, session)


def forget_written_communes(session) -> None:
    session.info.pop(TOUCHED, None)
