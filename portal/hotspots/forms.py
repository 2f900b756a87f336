from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.hotspots.models import HOTSPOT_KINDS, HOTSPOT_STATUSES, Hotspot
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, not_before, not_in_future


class HotspotForm(RegisterForm):
    place = StringField(
        _l("Place"),
        validators=[
            DataRequired(message=_l("Describe the place.")),
            at_most(Hotspot.place),
        ],
    )
    village_id = RowSelectField(_l("Village"), model_name="village")
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in HOTSPOT_KINDS.items()])
    found_on = VnDateField(_l("Found on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in HOTSPOT_STATUSES.items()])
    status_since = VnDateField(
        _l("Status since"),
        validators=[
            DataRequired(message=_l("Enter the date.")),
            not_in_future,
            not_before("found_on", _l("The status cannot change before the hotspot was found.")),
        ],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(Hotspot.notes)])
