from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.cases.models import (
    CHECK_OUTCOMES,
    DETERMINATION_RESULTS,
    TEAM_ROLES,
    Absence,
    Determination,
    ResidenceCheck,
    TeamMember,
)
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, choice_list, not_before, not_in_future


class TeamMemberForm(RegisterForm):
    episode_id = RowSelectField(_l("Management decision"), model_name="status_episode")
    role = SelectField(_l("Role in the team"), choices=choice_list(TEAM_ROLES))
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(message=_l("Enter the full name.")), at_most(TeamMember.full_name)]
    )
    position = StringField(
        _l("Position or relationship"),
        validators=[Optional(), at_most(TeamMember.position)],
        description=_l("e.g. Phó Trưởng Công an xã; Trưởng thôn; mother"),
    )
    mentor = BooleanField(_l("Named to help the person (người được phân công giúp đỡ)"))


class ResidenceCheckForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    checked_on = VnDateField(
        _l("Checked on"), validators=[DataRequired(message=_l("Enter the date of the check.")), not_in_future]
    )
    outcome = SelectField(_l("Outcome"), choices=choice_list(CHECK_OUTCOMES))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(ResidenceCheck.notes)])


class AbsenceForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    left_on = VnDateField(
        _l("Left on"), validators=[DataRequired(message=_l("Enter the day the person left.")), not_in_future]
    )
    returned_on = VnDateField(
        _l("Returned on"),
        validators=[Optional(), not_in_future, not_before("left_on", _l("The return cannot come before leaving."))],
    )
    reported = BooleanField(_l("Reported to the commune police"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(Absence.notes)])


class DeterminationForm(RegisterForm):
    person_id = RowSelectField(_l("Person"), model_name="person")
    test_id = RowSelectField(_l("The positive test that led to it"), model_name="drug_test", optional=True)
    requested_on = VnDateField(
        _l("Requested on"), validators=[DataRequired(message=_l("Enter the date of the request.")), not_in_future]
    )
    facility = StringField(
        _l("Determining facility"),
        validators=[Optional(), at_most(Determination.facility)],
        description=_l("A licensed medical facility (Decree 109/2021 Art. 3)."),
    )
    doctor = StringField(_l("Doctor"), validators=[Optional(), at_most(Determination.doctor)])
    result_on = VnDateField(
        _l("Result slip dated"),
        validators=[
            Optional(),
            not_in_future,
            not_before("requested_on", _l("The result cannot come before the request.")),
        ],
    )
    result = SelectField(_l("Result"), choices=choice_list(DETERMINATION_RESULTS, empty=True))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(Determination.notes)])
