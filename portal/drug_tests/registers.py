"""The registers of suspicion leads, drug tests and missed cases."""

from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.drug_tests.due import test_due_on, tested
from portal.drug_tests.forms import DrugTestForm, MissedCaseForm, SuspicionLeadForm
from portal.drug_tests.models import (
    FOUND_BY,
    GROUNDS,
    MISSED_REASONS,
    RESULTS,
    TEST_REASONS,
    DrugTest,
    MissedCase,
    SuspicionLead,
)
from portal.extensions import db
from portal.persons.legal_terms import KINDS
from portal.persons.registers import person_link, person_name, persons, status_episodes
from portal.registers.access import live_rows
from portal.registers.display import link
from portal.registers.registry import declare
from portal.registers.spec import Column, Filter, Register, choice_filter
from portal.shell.i18n import format_day
from portal.tenancy.roles import REGISTERS_READ_PERSONAL

# Suspicion leads ---------------------------------------------------------------------------------------


def _lead_cell(row, key, personal, unit):
    if key == "person":
        return person_link(row, personal, unit)
    if key == "tested":
        test = row.tests[0] if row.tests else None
        if test is not None:
            if not personal:  # a result is health data
                return str(_l("Tested on %(day)s", day=format_day(test.tested_on)))
            return str(_l("Tested on %(day)s: %(result)s", day=format_day(test.tested_on), result=RESULTS[test.result]))
        due = test_due_on(row)
        return str(
            _l("Not tested: overdue since %(day)s", day=format_day(due))
            if due <= clock.today()
            else _l("Not tested: due by %(day)s", day=format_day(due))
        )
    return None


suspicion_leads = declare(
    Register(
        slug="suspects",
        model=SuspicionLead,
        form=SuspicionLeadForm,
        title=_l("Suspects listed for testing"),
        noun=_l("suspect"),
        columns=[
            Column("person", sortable=False),
            Column("ground", _l("Ground"), link=True),
            Column("listed_on"),
            Column("tested", _l("Test"), sortable=False),
        ],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.listed_on)}",
        search_text=lambda row: f"{row.person.full_name if row.person else ''} {row.source}",
        search_is_personal=True,
        filters=[
            Filter(
                "tested",
                _l("Test"),
                lambda commune: [("no", str(_l("Not tested"))), ("yes", str(_l("Tested")))],
                lambda stmt, value, commune, today: stmt.where(
                    tested(SuspicionLead.id) if value == "yes" else ~tested(SuspicionLead.id)
                ),
            ),
            choice_filter("ground", _l("Ground"), SuspicionLead.ground, GROUNDS),
        ],
        default_sort="-listed_on",
        cell=_lead_cell,
        prefill=("person_id",),
        personal_fields=("source", "notes"),
    )
)


# Drug tests ----------------------------------------------------------------------------------------------


def _validate_test(commune, data, row):
    if data.get("lead_id"):
        lead = db.session.scalar(live_rows(SuspicionLead, commune).where(SuspicionLead.id == data["lead_id"]))
        if lead is None or lead.person_id != data["person_id"]:
            return {"lead_id": _l("This suspicion is about another person.")}
        if data["tested_on"] < lead.listed_on:
            return {
                "tested_on": _l(
                    "The test cannot come before the person was listed (%(day)s).", day=format_day(lead.listed_on)
                )
            }
    return {}


def _test_cell(row, key, personal, unit):
    if key == "person":
        return person_link(row, personal, unit)
    return None


drug_tests = declare(
    Register(
        slug="tests",
        name="drug_tests",
        model=DrugTest,
        form=DrugTestForm,
        title=_l("Drug tests"),
        noun=_l("drug test"),
        columns=[
            Column("person", sortable=False),
            Column("tested_on", link=True),
            Column("reason"),
            Column("sample"),
            Column("result"),
        ],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.tested_on)}",
        search_text=lambda row: f"{row.person.full_name if row.person else ''} {row.testing_body} {row.substances}",
        search_is_personal=True,
        filters=[
            choice_filter("result", _l("Result"), DrugTest.result, RESULTS, personal=True),
            choice_filter("reason", _l("Why tested"), DrugTest.reason, TEST_REASONS),
            choice_filter("found_by", _l("Found by"), DrugTest.found_by, FOUND_BY),
        ],
        default_sort="-tested_on",
        validate=_validate_test,
        cell=_test_cell,
        prefill=("person_id", "lead_id"),
        personal_fields=("result", "substances", "notes"),
        field_labels={"lead_id": _l("Answers the suspicion")},
    )
)


# Missed cases ----------------------------------------------------------------------------------------------


def _validate_missed(commune, data, row):
    if data.get("resolved_on") and data["resolved_on"] < row.detected_on:
        return {"resolved_on": _l("This date is before the case was found (%(day)s).", day=format_day(row.detected_on))}
    return {}


def _missed_cell(row, key, personal, unit):
    if key == "person":
        return person_link(row, personal, unit)
    if key == "test":
        href = url_for("drug_tests.show", unit_code=unit.address, drug_test_id=row.test_id)
        return link(href, format_day(row.detected_on))
    if key == "state":
        return str(
            _l("Put on the register on %(day)s", day=format_day(row.resolved_on))
            if row.resolved_on
            else _l("Not on any register yet")
        )
    return None


def resolve_missed_cases(commune, person_id: int, day: date) -> None:
    """The person is now on a register: their open missed cases are settled."""
    for case in db.session.scalars(
        live_rows(MissedCase, commune).where(
            MissedCase.person_id == person_id, MissedCase.resolved_on.is_(None), MissedCase.detected_on <= day
        )
    ):
        case.resolved_on = day
    db.session.flush()


@persons.add_detail
def _person_tests_and_leads(commune, person, personal) -> dict:
    """The person's page lists their suspicion listings and drug tests, newest first."""
    return {
        "tests": db.session.scalars(
            live_rows(DrugTest, commune).where(DrugTest.person_id == person.id).order_by(DrugTest.tested_on.desc())
        ).all(),
        "leads": db.session.scalars(
            live_rows(SuspicionLead, commune)
            .where(SuspicionLead.person_id == person.id)
            .order_by(SuspicionLead.listed_on.desc())
        ).all(),
    }


@status_episodes.follow
def _settle_missed_cases(commune, actor, episode, created) -> None:
    """A person put on a register (user, addict, treatment, post-rehab) settles their open missed cases."""
    if KINDS[episode.kind].on_register:
        resolve_missed_cases(commune, episode.person_id, episode.started_on)


missed_cases = declare(
    Register(
        slug="missed-cases",
        model=MissedCase,
        form=MissedCaseForm,
        title=_l("Missed cases"),
        noun=_l("missed case"),
        columns=[
            Column("person", _l("Person"), sortable=False),
            Column("detected_on", link=True),
            Column("reason", _l("Why it is a missed case"), choices=MISSED_REASONS),
            Column("test", _l("Test"), sortable=False),
            Column("state", _l("State"), sortable=False),
        ],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.detected_on)}",
        search_text=lambda row: row.person.full_name if row.person else "",
        search_is_personal=True,
        filters=[
            Filter(
                "state",
                _l("State"),
                lambda commune: [
                    ("open", str(_l("Not on any register yet"))),
                    ("resolved", str(_l("Put on a register"))),
                ],
                lambda stmt, value, commune, today: stmt.where(
                    MissedCase.resolved_on.is_(None) if value == "open" else MissedCase.resolved_on.is_not(None)
                ),
            ),
            choice_filter("reason", _l("Why it is a missed case"), MissedCase.reason, MISSED_REASONS),
        ],
        default_sort="-detected_on",
        validate=_validate_missed,
        cell=_missed_cell,
        can_create=False,
        field_labels={
            "detected_on": _l("A missed case since"),
            "person_id": _l("Person"),
            "test_id": _l("Test"),
            "reason": _l("Why it is a missed case"),
        },
        references={"person_id": "person", "test_id": "drug_test"},
        personal_fields=("notes",),
        read_permission=REGISTERS_READ_PERSONAL,  # a list of positive tests: not for viewers
    )
)
