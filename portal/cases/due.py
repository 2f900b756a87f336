"""What the law asks next of a commune for each person it manages: the procedure of Decree 105/2021
(management of illegal users), Law 73/2021 Art. 27 (addiction determination), Decree 116/2021 (rehab
and post-rehab) and Law 120/2025. Each step is written here once, with its legal basis and its
deadline in working days (portal.working_days); the due list, grouped by step, and the person's page
read it."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from portal.cases.models import Absence, Determination, ResidenceCheck
from portal.drug_tests.models import DrugTest
from portal.extensions import db
from portal.persons.legal_terms import KIND_LABELS, KINDS, MEASURES, add_months, ending_horizon
from portal.persons.models import Person, StatusEpisode
from portal.registers.access import live_rows
from portal.registers.due import DueItem
from portal.shell.i18n import format_day
from portal.tenancy.periods import province_code_of
from portal.tenancy.settings import days_off
from portal.working_days import add_working_days

# The steps, in the order an officer works through them: each is a group of the due list.
STEPS = {
    "management_decision": _l("Management decision (Form 07)"),
    "determination": _l("Addiction determination"),
    "stop_management": _l("Stop management (Form 09)"),
    "no_treatment": _l("Register for rehab or methadone"),
    "post_rehab_decision": _l("Post-rehab decision (Forms 50 and 51)"),
    "monthly_check": _l("Monthly residence check"),
    "periodic_test": _l("Periodic drug test"),
    "period_ending": _l("Term ending (Forms 10, 26a, 54)"),
}
BASIS = {
    "management_decision": "Nghị định 105/2021/NĐ-CP, Điều 40–42",
    "new_term": "Luật Phòng, chống ma túy 2021, Điều 23; Nghị định 105/2021/NĐ-CP, Điều 42",
    "determination": "Luật Phòng, chống ma túy 2021, Điều 27",
    "determination_result": "Thông tư 18/2021/TT-BYT, Điều 5",
    "stop_management": "Nghị định 105/2021/NĐ-CP, Điều 48",
    "no_treatment": "Luật Phòng, chống ma túy 2021, Điều 30; Nghị định 116/2021/NĐ-CP, Điều 3",
    "post_rehab_file": "Nghị định 116/2021/NĐ-CP, Điều 77 (Mẫu 50)",
    "post_rehab_decision": "Nghị định 116/2021/NĐ-CP, Điều 78 (Mẫu 51)",
    "check_management": "Nghị định 105/2021/NĐ-CP, Điều 47",
    "check_post_rehab": "Nghị định 116/2021/NĐ-CP, Điều 79",
    "periodic_test": "Nghị định 105/2021/NĐ-CP, Điều 45",
    "end_management": "Nghị định 105/2021/NĐ-CP, Điều 48 (Mẫu 10)",
    "end_post_rehab": "Nghị định 116/2021/NĐ-CP, Điều 81 (Mẫu 54)",
    "end_rehab": "Nghị định 116/2021/NĐ-CP (Mẫu 26a)",
    "end_other": "Luật Phòng, chống ma túy 2021",
}
# Working days the law allows each step (Decree 105 Art. 40-42: 3 to verify residence, 3 to notify,
# 3 for the chair's decision; Art. 48: 3 to send the closing decision; Decree 116 Art. 77-78: 3 for the
# file, 2 for the decision; Law Art. 30: 5 to register for rehab).
WORKING_DAYS = {
    "management_decision": 9,
    "new_term": 3,
    "determination": 3,
    "stop_management": 3,
    "no_treatment": 5,
    "post_rehab_file": 3,
    "post_rehab_decision": 5,
    "end_management": 3,
}
DETERMINATION_RESULT_DAYS = 5  # calendar days: the facility returns its slip within 5 days of intake
COMING_DAYS = 7  # a monthly check or test shows this many days before it falls due
TREATMENTS = frozenset(k for k, rule in KINDS.items() if rule.treatment)
ON_REGISTER = frozenset(k for k, rule in KINDS.items() if rule.on_register) | {"prison"}
LOOKBACK_DAYS = 400  # positive tests and ended treatments older than this ask nothing more


@dataclass
class CaseFile:
    """What the procedure reads of one person."""

    person: Person
    episodes: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    determinations: list = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    today: date
    days_off: tuple

    def after(self, day: date, key: str) -> date:
        return add_working_days(day, WORKING_DAYS[key], self.days_off)


def _item(step, what, file, due_on, clock, basis, endpoint="persons.show", ids=None, personal=False):
    return DueItem(
        step,
        str(what),
        file.person,
        due_on,
        due_on <= clock.today,
        endpoint,
        ids if ids is not None else {"person_id": file.person.id},
        personal,
        BASIS[basis],
    )


def _running(file: CaseFile, day: date, kinds) -> list:
    return [e for e in file.episodes if e.kind in kinds and e.running_on(day)]


def _started_since(file: CaseFile, day: date, kinds) -> bool:
    return any(e.kind in kinds and day <= e.started_on for e in file.episodes)


def management_decision_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """A positive test of a person on no register, or a determination of "not addicted" during management:
    the residence check, the notice (Form 04) and the chair's decision (Form 07)."""
    items = []
    positives = [t for t in file.tests if t.result == "positive" and t.tested_on <= clock.today]
    latest = max(positives, key=lambda t: t.tested_on, default=None)
    if (
        latest
        and not _running(file, latest.tested_on, ON_REGISTER)
        and not _started_since(file, latest.tested_on, ON_REGISTER)
    ):
        what = _l(
            "Positive test of %(day)s: verify residence, notify (Form 04), chair's decision (Form 07)",
            day=format_day(latest.tested_on),
        )
        items.append(
            _item(
                "management_decision",
                what,
                file,
                clock.after(latest.tested_on, "management_decision"),
                clock,
                "management_decision",
                personal=True,
            )
        )
    for found in file.determinations:
        if (
            found.result == "not_addicted"
            and found.result_on
            and not _started_since(file, found.result_on, {"user_managed"})
        ):
            if any(e.kind == "user_managed" and e.started_on <= found.result_on for e in file.episodes):
                what = _l("Not addicted: a new management decision (Form 07) restarts the one-year term")
                items.append(
                    _item(
                        "management_decision",
                        what,
                        file,
                        clock.after(found.result_on, "new_term"),
                        clock,
                        "new_term",
                        personal=True,
                    )
                )
    return items


def determination_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """A positive test during management or post-rehab asks for an addiction determination; one asked for
    waits for the facility's result slip."""
    items = []
    for test in file.tests:
        if test.result != "positive" or test.tested_on > clock.today:
            continue
        during = [
            e
            for e in file.episodes
            if e.kind in ("user_managed", "post_rehab")
            and e.started_on < test.tested_on
            and e.running_on(test.tested_on)
        ]
        asked = any(d.requested_on >= test.tested_on for d in file.determinations)
        if during and not asked:
            what = _l(
                "Positive test during “%(kind)s”: request an addiction determination", kind=KIND_LABELS[during[0].kind]
            )
            items.append(
                _item(
                    "determination",
                    what,
                    file,
                    clock.after(test.tested_on, "determination"),
                    clock,
                    "determination",
                    personal=True,
                )
            )
    for found in file.determinations:
        if not found.result:
            items.append(
                _item(
                    "determination",
                    _l("Waiting for the determination's result slip"),
                    file,
                    found.requested_on + timedelta(days=DETERMINATION_RESULT_DAYS),
                    clock,
                    "determination_result",
                    "determinations.show",
                    {"determination_id": found.id},
                    True,
                )
            )
    return items


def addicted_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """Found addicted: management stops (Form 09) and the rehab clock starts (5 working days to register)."""
    items = []
    anchors = [d.result_on for d in file.determinations if d.result == "addicted" and d.result_on]
    for day in anchors:
        if _running(file, day, {"user_managed"}) and _running(file, clock.today, {"user_managed"}):
            items.append(
                _item(
                    "stop_management",
                    _l("Found addicted: issue the decision to stop management (Form 09)"),
                    file,
                    clock.after(day, "stop_management"),
                    clock,
                    "stop_management",
                    personal=True,
                )
            )
    episodes = [e.started_on for e in _running(file, clock.today, {"addict"})]
    anchor = max([*anchors, *episodes], default=None)
    # found only by the determination's slip (health data): not shown to those who may not read it
    from_slip_only = not episodes
    if (
        anchor
        and not _running(file, clock.today, MEASURES | {"prison"})
        and not _started_since(file, anchor, MEASURES | {"prison"})
    ):
        items.append(
            _item(
                "no_treatment",
                _l("Addict with no rehab or methadone treatment"),
                file,
                clock.after(anchor, "no_treatment"),
                clock,
                "no_treatment",
                personal=from_slip_only,
            )
        )
    return items


def post_rehab_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """A completed rehab asks for the post-rehab file (Form 50) and the chair's decision (Form 51)."""
    items = []
    horizon = clock.today - timedelta(days=LOOKBACK_DAYS)
    for done in file.episodes:
        if (
            done.kind not in TREATMENTS
            or done.end_reason != "term_completed"
            or not done.ended_on
            or done.ended_on < horizon
        ):
            continue
        if _started_since(file, done.ended_on - timedelta(days=1), {"post_rehab"}):
            continue
        items.append(
            _item(
                "post_rehab_decision",
                _l("Rehab completed: prepare the post-rehab file (Form 50)"),
                file,
                clock.after(done.ended_on, "post_rehab_file"),
                clock,
                "post_rehab_file",
            )
        )
        items.append(
            _item(
                "post_rehab_decision",
                _l("Chair's decision on post-rehab management (Form 51)"),
                file,
                clock.after(done.ended_on, "post_rehab_decision"),
                clock,
                "post_rehab_decision",
            )
        )
    return items


def _next_monthly(since: date, done: list[date], today: date) -> date:
    last = max((d for d in done if since <= d <= today), default=since)
    return add_months(last, 1)


def monthly_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """During management and post-rehab: a residence check at least monthly; during management, a test."""
    items = []
    coming = clock.today + timedelta(days=COMING_DAYS)
    for episode in _running(file, clock.today, {"user_managed", "post_rehab"}):
        due = _next_monthly(episode.started_on, [c.checked_on for c in file.checks], clock.today)
        if due <= coming and (not episode.legal_end_on or due < episode.legal_end_on):
            basis = "check_management" if episode.kind == "user_managed" else "check_post_rehab"
            items.append(
                _item("monthly_check", _l("Check that the person lives at the residence"), file, due, clock, basis)
            )
        if episode.kind == "user_managed":
            due = _next_monthly(episode.started_on, [t.tested_on for t in file.tests], clock.today)
            if due <= coming and (not episode.legal_end_on or due < episode.legal_end_on):
                items.append(
                    _item(
                        "periodic_test",
                        _l("Test the person during the management term"),
                        file,
                        due,
                        clock,
                        "periodic_test",
                    )
                )
    return items


END_STEPS = {
    "user_managed": (_l("End of the management term: decision to end management (Form 10)"), "end_management"),
    "post_rehab": (
        _l("End of post-rehab management: certificate (Form 54) and removal from the list"),
        "end_post_rehab",
    ),
    "rehab_home": (_l("End of voluntary rehab: completion certificate (Form 26a)"), "end_rehab"),
}


def ending_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    """A period reaching its legal end: the closing decision the law names for it."""
    items = []
    for episode in _running(file, clock.today, set(KINDS)):
        if not episode.legal_end_on or episode.legal_end_on > ending_horizon(clock.today):
            continue
        what, basis = END_STEPS.get(episode.kind, (None, "end_other"))
        if what is None:
            what = _l("“%(kind)s” reaches its legal end", kind=KIND_LABELS[episode.kind])
        due = clock.after(episode.legal_end_on, "end_management") if basis == "end_management" else episode.legal_end_on
        items.append(
            _item("period_ending", what, file, due, clock, basis, "episodes.show", {"status_episode_id": episode.id})
        )
    return items


RULES = (management_decision_steps, determination_steps, addicted_steps, post_rehab_steps, monthly_steps, ending_steps)


def next_steps(file: CaseFile, clock: Clock) -> list[DueItem]:
    return [item for rule in RULES for item in rule(file, clock)]


def clock_of(commune, today: date) -> Clock:
    return Clock(today, days_off(province_code_of(commune)))


def _by_person(rows) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.person_id].append(row)
    return grouped


def case_files(commune, today: date, person_id: int | None = None) -> list[CaseFile]:
    """The case files of the commune's persons with anything running or recent (or of one person)."""
    since = today - timedelta(days=LOOKBACK_DAYS)

    def rows(model, *where):
        stmt = live_rows(model, commune).where(*where)
        if person_id is not None:
            stmt = stmt.where(model.person_id == person_id)
        return _by_person(db.session.scalars(stmt.options(lazyload("*"))))

    episodes = rows(StatusEpisode, or_(StatusEpisode.ended_on.is_(None), StatusEpisode.ended_on >= since))
    tests = rows(DrugTest, DrugTest.tested_on >= since)
    checks = rows(ResidenceCheck, ResidenceCheck.checked_on >= since)
    determinations = rows(Determination, Determination.requested_on >= since)
    ids = set(episodes) | {p for p, found in tests.items() if any(t.result == "positive" for t in found)}
    if not ids:
        return []
    persons = db.session.scalars(
        select(Person)
        .where(Person.commune_id == commune.id, Person.deleted_at.is_(None), Person.id.in_(sorted(ids)))
        .options(lazyload("*"))
    )
    return [CaseFile(p, episodes[p.id], tests[p.id], checks[p.id], determinations[p.id]) for p in persons]


def commune_due(commune, today: date) -> list[DueItem]:
    clock = clock_of(commune, today)
    return [item for file in case_files(commune, today) for item in next_steps(file, clock)]


def person_steps(commune, person: Person, today: date) -> list[DueItem]:
    clock = clock_of(commune, today)
    return sorted(
        (item for file in case_files(commune, today, person.id) for item in next_steps(file, clock)),
        key=lambda i: i.due_on,
    )


def unreported_absence_days(commune, episode: StatusEpisode) -> int:
    """Days of unreported absence within a post-rehab term: they do not count toward it (Decree 116 Art. 79)."""
    absences = db.session.scalars(
        live_rows(Absence, commune).where(Absence.person_id == episode.person_id, Absence.reported.is_(False))
    )
    days = 0
    for absence in absences:
        start = max(absence.left_on, episode.started_on)
        end = min(absence.returned_on or episode.ended_on or date.max, episode.ended_on or date.max)
        if end != date.max and end > start:
            days += (end - start).days
    return days
