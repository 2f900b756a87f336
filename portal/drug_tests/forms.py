from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.drug_tests.models import (
    FOUND_BY,
    GROUNDS,
    RESULTS,
    SAMPLES,
    TEST_REASONS,
    DrugTest,
    MissedCase,
    SuspicionLead,
)
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, choice_list, not_in_future


class SuspicionLeadForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    ground = SelectField(
        _l("Ground for suspicion"), choices=choice_list(GROUNDS), description=_l("Decree 105/2021, Article 38(1)")
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), at_most(SuspicionLead.source)],
        description=_l("Who reported it, or the document it comes from."),
    )
    listed_on = VnDateField(_l("Listed on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(SuspicionLead.notes)])


class DrugTestForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    lead_id = RowSelectField(_l("Answers the suspicion"), model_name="suspicion_lead", optional=True)
    tested_on = VnDateField(_l("Tested on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    reason = SelectField(
        _l("Why tested"), choices=choice_list(TEST_REASONS), description=_l("Law 73/2021, Article 22(1)")
    )
    found_by = SelectField(
        _l("Found by"),
        choices=choice_list(FOUND_BY),
        default="commune",
        description=_l(
            "A positive result found by another body, of a person on none of the commune's lists, is a missed case."
        ),
    )
    sample = SelectField(_l("Sample"), choices=choice_list(SAMPLES))
    result = SelectField(_l("Result"), choices=choice_list(RESULTS))
    substances = StringField(_l("Substances found"), validators=[Optional(), at_most(DrugTest.substances)])
    testing_body = StringField(_l("Tested by"), validators=[Optional(), at_most(DrugTest.testing_body)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(DrugTest.notes)])


class MissedCaseForm(RegisterForm):
    resolved_on = VnDateField(_l("Put on the register on"), validators=[Optional(), not_in_future])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(MissedCase.notes)])
