from flask_babel import lazy_gettext as _l

from portal.incidents.forms import IncidentForm
from portal.incidents.models import SEVERITIES, Incident
from portal.persons.registers import person_link
from portal.registers.registry import declare
from portal.registers.spec import Column, Filter, Register, choice_filter
from portal.shell.i18n import format_day

incidents = declare(
    Register(
        slug="incidents",
        model=Incident,
        form=IncidentForm,
        title=_l("Incidents"),
        noun=_l("incident"),
        columns=[
            Column("occurred_on", link=True),
            Column("person", _l("Person"), sortable=False),
            Column("severity"),
            Column("psychosis", _l("Psychosis")),
        ],
        describe=lambda row, personal: f"{SEVERITIES.get(row.severity, row.severity)} · {format_day(row.occurred_on)}",
        search_text=lambda row: f"{row.summary} {row.source_document}",
        search_is_personal=True,
        filters=[
            choice_filter("severity", _l("Severity"), Incident.severity, SEVERITIES),
            Filter(
                "psychosis",
                _l("Psychosis"),
                lambda commune: [("yes", str(_l("Yes"))), ("no", str(_l("No")))],
                lambda stmt, value, commune, today: stmt.where(Incident.psychosis.is_(value == "yes")),
            ),
        ],
        default_sort="-occurred_on",
        cell=lambda row, key, personal, unit: (
            (person_link(row, personal, unit) if row.person_id else "—") if key == "person" else None
        ),
        personal_fields=("summary", "source_document"),
        field_labels={"person_id": _l("Person who caused it")},
    )
)
