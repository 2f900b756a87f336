from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.incidents.models import SEVERITIES, Incident
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, not_in_future


class IncidentForm(RegisterForm):
    occurred_on = VnDateField(
        _l("Occurred on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future]
    )
    person_id = RowSelectField(_l("Person who caused it"), model_name="person", optional=True)
    village_id = RowSelectField(_l("Village"), model_name="village", optional=True)
    severity = SelectField(
        _l("Severity"),
        choices=[SelectChoice(k, v) for k, v in SEVERITIES.items()],
        description=_l("As classified by the investigating body (Penal Code, Article 9)."),
    )
    psychosis = BooleanField(_l("Drug-induced psychosis (“ngáo đá”) involved"))
    summary = TextAreaField(
        _l("What happened"), validators=[DataRequired(message=_l("Describe what happened.")), at_most(Incident.summary)]
    )
    source_document = StringField(
        _l("Source document"),
        validators=[Optional(), at_most(Incident.source_document)],
        description=_l("Number of the report or decision that classified it."),
    )
