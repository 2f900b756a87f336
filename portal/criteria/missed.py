"""Missed cases (sót lọt) as Đề án 3822 means them: a user or addict the commune had not found.

Two kinds count, and nothing else:
- found elsewhere: a positive test by a body other than the commune's police (the province's police,
  another commune, a facility, a hospital, traffic police, custody), of a person on none of the
  commune's lists that day (no register, no suspect listing);
- not managed in time: a positive finding of the commune's own (or of a person it had listed), not put
  under management within the working days the law allows (residence check, notice and the chair's
  decision: 3 + 3 + 3, Decree 105 Art. 40-42), counted from the test.

Which finders count and how many working days are allowed are the criteria version's rules
(`rules.missed_cases` in criteria.json), with the law's values as defaults. A positive test of a person
already on a register is never a miss. The first kind is recorded when the test is saved; the second on
the day its time runs out, by `criteria refresh` (or at once when a late test is entered)."""

from datetime import date, timedelta

from sqlalchemy import exists, select

from portal import clock
from portal.criteria.results import province_code, version_in_force
from portal.drug_tests.models import FOUND_BY, DrugTest, MissedCase, SuspicionLead
from portal.drug_tests.registers import drug_tests
from portal.extensions import db
from portal.persons.legal_terms import KINDS
from portal.persons.models import StatusEpisode
from portal.persons.registers import status_episodes
from portal.tenancy.settings import days_off as province_days_off
from portal.working_days import add_working_days

ON_REGISTER = sorted(k for k, rule in KINDS.items() if rule.on_register)
LAW_DEFAULTS = {"counting_finders": [k for k in FOUND_BY if k != "commune"], "working_days_to_manage": 9}
LATE_LOOKBACK_DAYS = 90  # the nightly sweep looks this far back, so a few nights without it lose nothing


def missed_case_rules(day: date) -> tuple[dict, tuple[date, ...]]:
    """The rules of the criteria version in force on the day, and the province's extra days off."""
    version = version_in_force(day)
    if version is None:
        return dict(LAW_DEFAULTS), ()
    rules = {**LAW_DEFAULTS, **(version.rules or {}).get("missed_cases", {})}
    return rules, province_days_off(province_code(version))


def _managed(commune_id: int, person_id: int, start: date, end: date):
    """On one of the commune's registers on some day from start to end."""
    return exists().where(
        StatusEpisode.commune_id == commune_id,
        StatusEpisode.person_id == person_id,
        StatusEpisode.deleted_at.is_(None),
        StatusEpisode.kind.in_(ON_REGISTER),
        StatusEpisode.started_on <= end,
        (StatusEpisode.ended_on.is_(None)) | (StatusEpisode.ended_on >= start),
    )


def _listed(commune_id: int, person_id: int, day: date):
    return exists().where(
        SuspicionLead.commune_id == commune_id,
        SuspicionLead.person_id == person_id,
        SuspicionLead.deleted_at.is_(None),
        SuspicionLead.listed_on <= day,
    )


def verdict(commune_id: int, test, today: date) -> tuple[str, date] | None:
    """(reason, the day it became a miss) for a test that makes a missed case, else None (a deleted test
    makes none)."""
    if test.deleted_at is not None or test.result != "positive" or test.tested_on > today:
        return None
    day = test.tested_on
    if db.session.scalar(select(_managed(commune_id, test.person_id, day, day))):
        return None  # already under management or treatment
    rules, days_off = missed_case_rules(day)
    listed = bool(test.lead_id) or db.session.scalar(select(_listed(commune_id, test.person_id, day)))
    if test.found_by in rules["counting_finders"] and not listed:
        return "found_elsewhere", day
    deadline = add_working_days(day, int(rules["working_days_to_manage"]), days_off)
    if deadline >= today or db.session.scalar(select(_managed(commune_id, test.person_id, day, deadline))):
        return None
    return "not_managed_in_time", deadline + timedelta(days=1)


def judge(commune_id: int, test, today: date) -> bool:
    """Record, correct or withdraw the test's missed case, in the caller's transaction. A miss the commune
    has since settled (the person put on a register) is history and stays. True when one was added."""
    existing = db.session.scalar(
        select(MissedCase).where(
            MissedCase.commune_id == commune_id, MissedCase.test_id == test.id, MissedCase.deleted_at.is_(None)
        )
    )
    found = verdict(commune_id, test, today)
    if found and existing is None:
        reason, detected_on = found
        db.session.add(
            MissedCase(
                commune_id=commune_id, person_id=test.person_id, test_id=test.id, detected_on=detected_on, reason=reason
            )
        )
        db.session.flush()
        return True
    if existing is not None and existing.resolved_on is None:
        if found is None:
            existing.deleted_at = clock.utcnow()
        elif (existing.reason, existing.detected_on) != found:
            existing.reason, existing.detected_on = found
        db.session.flush()
    return False


@drug_tests.follow
@drug_tests.follow_delete_or_restore
def _judge_written_test(commune, actor, test, created=False) -> None:
    """A test saved or restored is judged; one deleted (entered by mistake) withdraws its open missed case."""
    judge(commune.id, test, clock.today())


@status_episodes.follow
def _judge_again_on_episode(commune, actor, episode, created) -> None:
    """A decision entered after the test (the officer records the paper in order: the test, then the
    decision) may answer a miss that was judged before it existed: the person's open misses, judged again."""
    if not KINDS[episode.kind].on_register:
        return
    for case in db.session.scalars(
        select(MissedCase).where(
            MissedCase.commune_id == commune.id,
            MissedCase.person_id == episode.person_id,
            MissedCase.resolved_on.is_(None),
            MissedCase.deleted_at.is_(None),
        )
    ).all():
        test = db.session.get(DrugTest, case.test_id)
        if test is not None and test.deleted_at is None:
            judge(commune.id, test, clock.today())


def rejudge_first_rule(today: date) -> int:
    """Missed cases recorded under criteria version 1's rule (any positive test of a person on no register)
    judged again by this one: withdrawn where the commune had found the person, given their reason
    otherwise. Settled ones too: whether a case was missed does not change with what came after."""
    changed = 0
    for case in db.session.scalars(
        select(MissedCase).where(MissedCase.reason == "off_register", MissedCase.deleted_at.is_(None))
    ).all():
        test = db.session.get(DrugTest, case.test_id)
        found = verdict(case.commune_id, test, today) if test is not None else None
        if found is None:
            case.deleted_at = clock.utcnow()
        else:
            case.reason, case.detected_on = found
        changed += 1
    db.session.flush()
    return changed


def record_late_missed_cases(today: date) -> int:
    """The nightly part: positive tests whose time to be put under management has just run out (and, once,
    the cases the first rule recorded, judged again)."""
    rejudge_first_rule(today)
    candidates = db.session.scalars(
        select(DrugTest).where(
            DrugTest.deleted_at.is_(None),
            DrugTest.result == "positive",
            DrugTest.tested_on >= today - timedelta(days=LATE_LOOKBACK_DAYS),
            DrugTest.tested_on < today - timedelta(days=1),
            ~exists().where(
                MissedCase.commune_id == DrugTest.commune_id,
                MissedCase.test_id == DrugTest.id,
                MissedCase.deleted_at.is_(None),
            ),
        )
    ).all()
    return sum(judge(test.commune_id, test, today) for test in candidates)
