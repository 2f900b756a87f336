from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp

from portal import clock
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, not_in_future
from portal.villages.models import (
    RESIDENCE,
    VILLAGE_KINDS,
    Household,
    HouseholdCommitment,
    Village,
    VillageHeadCommitment,
)

CAMPAIGN = [
    DataRequired(message=_l("Enter the campaign's year.")),
    Regexp(r"^20\d\d$", message=_l("A campaign is a year, e.g. 2025.")),
]


def this_year() -> str:
    return str(clock.today().year)


class VillageForm(RegisterForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter the village's name.")), at_most(Village.name)]
    )
    kind = SelectField(_l("Kind"), choices=[SelectChoice(v, label) for v, label in VILLAGE_KINDS.items()])
    head_name = StringField(_l("Village head"), validators=[Optional(), at_most(Village.head_name)])


class HouseholdForm(RegisterForm):
    code = StringField(
        _l("Household code"),
        validators=[DataRequired(message=_l("Enter the household's code.")), at_most(Household.code)],
        description=_l("The commune's own code for the household, e.g. QT-0123."),
    )
    representative_name = StringField(
        _l("Representative"),
        validators=[
            DataRequired(message=_l("Enter the representative's full name.")),
            at_most(Household.representative_name),
        ],
    )
    village_id = RowSelectField(_l("Village"), model_name="village")
    address = StringField(_l("Address"), validators=[Optional(), at_most(Household.address)])
    members = IntegerField(
        _l("Members"), validators=[Optional(), NumberRange(min=1, max=60, message=_l("Between %(min)s and %(max)s."))]
    )
    residence = SelectField(
        _l("Residence"),
        choices=[SelectChoice(v, label) for v, label in RESIDENCE.items()],
        default="resident",
        description=_l("A household that no longer lives here leaves the commitment criterion from that day."),
    )
    residence_since = VnDateField(_l("No longer resident since"), validators=[Optional(), not_in_future])


class HouseholdCommitmentForm(RegisterForm):
    household_code = StringField(
        _l("Household code"), validators=[DataRequired(message=_l("Enter the household's code."))]
    )
    campaign = StringField(_l("Campaign"), default=this_year, validators=CAMPAIGN)
    signed_on = VnDateField(_l("Signed on"), validators=[Optional(), not_in_future])
    signer_name = StringField(
        _l("Signed by"),
        validators=[Optional(), at_most(HouseholdCommitment.signer_name)],
        description=_l("Leave empty when the representative signed."),
    )
    refused = BooleanField(_l("Refused to sign"))
    refusal_reason = TextAreaField(
        _l("Reason for refusing"), validators=[Optional(), at_most(HouseholdCommitment.refusal_reason)]
    )


class VillageHeadCommitmentForm(RegisterForm):
    village_id = RowSelectField(_l("Village"), model_name="village")
    campaign = StringField(_l("Campaign"), default=this_year, validators=CAMPAIGN)
    signed_on = VnDateField(_l("Signed on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    head_name = StringField(
        _l("Village head"),
        validators=[
            DataRequired(message=_l("Enter the village head's name.")),
            at_most(VillageHeadCommitment.head_name),
        ],
    )
    conference = StringField(
        _l("Conference"),
        validators=[Optional(), at_most(VillageHeadCommitment.conference)],
        description=_l("The commune conference where the commitment was made."),
    )
