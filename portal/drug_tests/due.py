"""What is due of a commune's suspects and missed cases. Each rule is written here once; the due list
and the suspects' register read it."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists

from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.persons.legal_terms import TEST_DUE_DAYS
from portal.registers.access import live_rows
from portal.registers.due import DueItem, person_only

DUE_KINDS = {
    "not_tested": _l("Suspect not tested"),
    "missed_case": _l("Missed case"),
}


def test_due_on(lead: SuspicionLead) -> date:
    """A listed suspect must be tested by this day."""
    return lead.listed_on + timedelta(days=TEST_DUE_DAYS)


def tested(lead_id_column):
    """SQL: the lead has a live drug test."""
    return exists().where(
        DrugTest.commune_id == SuspicionLead.commune_id,
        DrugTest.lead_id == lead_id_column,
        DrugTest.deleted_at.is_(None),
    )


def commune_due(commune, today: date) -> list[DueItem]:
    return _untested_suspects(commune, today) + _open_missed_cases(commune)


def _untested_suspects(commune, today: date) -> list[DueItem]:
    leads = live_rows(SuspicionLead, commune).where(~tested(SuspicionLead.id)).options(person_only(SuspicionLead))
    items = []
    for lead in db.session.scalars(leads):
        due = test_due_on(lead)
        items.append(
            DueItem(
                "not_tested",
                str(_l("Listed as a suspect, not tested yet")),
                lead.person,
                due,
                due <= today,
                "suspects.show",
                {"suspicion_lead_id": lead.id},
                basis="Luật Phòng, chống ma túy 2021, Điều 22; Nghị định 105/2021/NĐ-CP, Điều 38",
            )
        )
    return items


def _open_missed_cases(commune) -> list[DueItem]:
    open_cases = live_rows(MissedCase, commune).where(MissedCase.resolved_on.is_(None))
    return [
        DueItem(
            "missed_case",
            str(_l("Missed case: not yet under management")),
            case.person,
            case.detected_on,
            True,
            "missed-cases.show",
            {"missed_case_id": case.id},
            personal=True,
            basis="Đề án 3822: trường hợp sót lọt",
        )
        for case in db.session.scalars(open_cases.options(person_only(MissedCase)))
    ]
