from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from portal.persons.legal_terms import END_REASONS, HELD_AT, KIND_LABELS, METHADONE_PHASES, POST_REHAB_AFTER
from portal.persons.models import SEXES, Person, ReintegrationSupport, StatusEpisode
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, choice_list, not_before, not_in_future

SUPPORT_KINDS = {
    "vocational_training": _l("Vocational training"),
    "job": _l("Job placement"),
    "loan": _l("Loan"),
    "counselling": _l("Counselling"),
    "other": _l("Other support"),
}



class PersonForm(RegisterForm):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(message=_l("Enter the full name.")), at_most(Person.full_name)]
    )
    born_on = VnDateField(
        _l("Date of birth"), validators=[DataRequired(message=_l("Enter the date of birth.")), not_in_future]
    )
    sex = SelectField(_l("Sex"), choices=choice_list(SEXES))
    cccd = StringField(
        _l("CCCD number"),
        validators=[Optional()],
        description=_l("12 digits, as on the citizen identity card. Leave empty if unknown."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    village_id = RowSelectField(_l("Village of residence"), model_name="village")
    household_code = StringField(
        _l("Household code"), validators=[Optional()], description=_l("Optional: the code of the person's household.")
    )
    address = StringField(_l("Address"), validators=[Optional(), at_most(Person.address)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(Person.notes)])


class StatusEpisodeForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    kind = SelectField(_l("Situation"), choices=choice_list(KIND_LABELS))
    started_on = VnDateField(_l("From"), validators=[DataRequired(message=_l("Enter the start date.")), not_in_future])
    term_months = IntegerField(
        _l("Term (months)"),
        validators=[Optional(), NumberRange(min=1, max=60)],
        description=_l(
            "As the decision sets it: voluntary rehab 6–12 months; compulsory rehab 12–24 (a minor 6–12), "
            "or from 01/07/2026 24 for a first treatment and 36 for a repeat."
        ),
    )
    repeat_treatment = BooleanField(_l("Not the person's first rehab treatment"))
    held_at = SelectField(
        _l("Where the person is held while waiting"), choices=choice_list(HELD_AT, empty=True), validators=[Optional()]
    )
    treatment_phase = SelectField(
        _l("Methadone phase"), choices=choice_list(METHADONE_PHASES, empty=True), validators=[Optional()]
    )
    post_rehab_after = SelectField(
        _l("Post-rehab after"), choices=choice_list({k: v[0] for k, v in POST_REHAB_AFTER.items()}, empty=True)
    )
    ended_on = VnDateField(
        _l("Ended on"),
        validators=[Optional(), not_in_future, not_before("started_on", _l("The end cannot come before the start."))],
    )
    end_reason = SelectField(_l("Reason it ended"), choices=choice_list(END_REASONS, empty=True))
    decision_number = StringField(
        _l("Decision number"),
        validators=[Optional(), at_most(StatusEpisode.decision_number)],
        description=_l("e.g. 15/QĐ-UBND"),
    )
    decision_on = VnDateField(_l("Decision date"), validators=[Optional(), not_in_future])
    decision_signer = StringField(_l("Signed by"), validators=[Optional(), at_most(StatusEpisode.decision_signer)])
    decision_body = StringField(
        _l("Deciding body"),
        validators=[Optional(), at_most(StatusEpisode.decision_body)],
        description=_l("Left empty: the body the law names for this situation on its start date."),
    )
    end_decision_number = StringField(
        _l("Number of the closing decision"),
        validators=[Optional(), at_most(StatusEpisode.end_decision_number)],
        description=_l("Form 09 or 10 for management, Form 54 for post-rehab, Form 26a for rehab."),
    )
    end_decision_on = VnDateField(_l("Date of the closing decision"), validators=[Optional(), not_in_future])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(StatusEpisode.notes)])


class ReintegrationSupportForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    given_on = VnDateField(_l("Date"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    kind = SelectField(_l("Kind of support"), choices=choice_list(SUPPORT_KINDS))
    provider = StringField(_l("Given by"), validators=[Optional(), at_most(ReintegrationSupport.provider)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(ReintegrationSupport.notes)])
