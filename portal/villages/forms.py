from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from portal import clock
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, not_in_future
from portal.villages.models import VILLAGE_KINDS

AT_MOST = _l("At most %(max)d characters.")
CAMPAIGN = [
    DataRequired(message=_l("Enter the campaign's year.")),
    Regexp(r"^20\d\d$", message=_l("A campaign is a year, e.g. 2025.")),
]


def this_year() -> str:
    return str(clock.today().year)


class VillageForm(RegisterForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter the village's name.")), Length(max=120, message=AT_MOST)]
    )
    kind = SelectField(_l("Kind"), choices=[SelectChoice(v, label) for v, label in VILLAGE_KINDS.items()])
    head_name = StringField(_l("Village head"), validators=[Optional(), Length(max=120, message=AT_MOST)])


class HouseholdForm(RegisterForm):
    code = StringField(
        _l("Household code"),
        validators=[DataRequired(message=_l("Enter the household's code.")), Length(max=40, message=AT_MOST)],
        description=_l("The commune's own code for the household, e.g. QT-0123."),
    )
    representative_name = StringField(
        _l("Representative"),
        validators=[
            DataRequired(message=_l("Enter the representative's full name.")),
            Length(max=120, message=AT_MOST),
        ],
    )
    village_id = RowSelectField(_l("Village"), model_name="village")
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200, message=AT_MOST)])
    members = IntegerField(
        _l("Members"), validators=[Optional(), NumberRange(min=1, max=60, message=_l("Between %(min)s and %(max)s."))]
    )


class HouseholdCommitmentForm(RegisterForm):
    household_code = StringField(
        _l("Household code"), validators=[DataRequired(message=_l("Enter the household's code."))]
    )
    campaign = StringField(_l("Campaign"), default=this_year, validators=CAMPAIGN)
    signed_on = VnDateField(_l("Signed on"), validators=[Optional(), not_in_future])
    signer_name = StringField(
        _l("Signed by"),
        validators=[Optional(), Length(max=120, message=AT_MOST)],
        description=_l("Leave empty when the representative signed."),
    )
    refused = BooleanField(_l("Refused to sign"))
    refusal_reason = TextAreaField(_l("Reason for refusing"), validators=[Optional(), Length(max=1000)])


class VillageHeadCommitmentForm(RegisterForm):
    village_id = RowSelectField(_l("Village"), model_name="village")
    campaign = StringField(_l("Campaign"), default=this_year, validators=CAMPAIGN)
    signed_on = VnDateField(_l("Signed on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    head_name = StringField(
        _l("Village head"),
        validators=[DataRequired(message=_l("Enter the village head's name.")), Length(max=120, message=AT_MOST)],
    )
    conference = StringField(
        _l("Conference"),
        validators=[Optional(), Length(max=200, message=AT_MOST)],
        description=_l("The commune conference where the commitment was made."),
    )
