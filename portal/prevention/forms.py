from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from portal.prevention.models import ACTIVITY_KINDS, MODEL_STATUSES, ModelActivity, PreventionModel
from portal.registers.fields import RowSelectField
from portal.registers.forms import RegisterForm, VnDateField, at_most, not_in_future


class PreventionModelForm(RegisterForm):
    name = StringField(
        _l("Name of the model"),
        validators=[DataRequired(message=_l("Enter the model's name.")), at_most(PreventionModel.name)],
    )
    village_id = RowSelectField(
        _l("Village"), model_name="village", optional=True, description=_l("Leave empty for a commune-wide model.")
    )
    led_by = StringField(_l("Led by"), validators=[Optional(), at_most(PreventionModel.led_by)])
    started_on = VnDateField(_l("Started on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in MODEL_STATUSES.items()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(PreventionModel.notes)])


class ModelActivityForm(RegisterForm):
    model_id = RowSelectField(_l("Model"), model_name="prevention_model")
    held_on = VnDateField(_l("Held on"), validators=[DataRequired(message=_l("Enter the date.")), not_in_future])
    kind = SelectField(_l("Kind of activity"), choices=[SelectChoice(k, v) for k, v in ACTIVITY_KINDS.items()])
    participants = IntegerField(
        _l("Participants"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Between %(min)s and %(max)s."))],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), at_most(ModelActivity.notes)])
