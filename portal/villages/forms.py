from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.shell.forms import PortalForm
from portal.villages.models import VILLAGE_KINDS


class VillageForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Enter the village's name.")),
            Length(max=120, message=_l("At most %(max)d characters.")),
        ],
    )
    kind = SelectField(_l("Kind"), choices=[SelectChoice(value, label) for value, label in VILLAGE_KINDS.items()])
    head_name = StringField(
        _l("Village head"), validators=[Optional(), Length(max=120, message=_l("At most %(max)d characters."))]
    )
    version = HiddenField()
