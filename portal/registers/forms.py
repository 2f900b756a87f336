"""Form pieces every register uses: the base form with its version, dates as dd/mm/yyyy."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectChoice, ValidationError
from wtforms.validators import Length
from wtforms.widgets import TextInput

from portal import clock
from portal.extensions import limit
from portal.shell.forms import PortalForm

DATE_HINT = _l("dd/mm/yyyy")
AT_MOST = _l("At most %(max)d characters.")


def at_most(attribute) -> Length:
    """The form's check of a text field's length, at the limit its model declares."""
    return Length(max=limit(attribute), message=AT_MOST)


def choice_list(mapping: dict, empty: bool = False) -> list:
    """A select's choices from {stored value: label}, with a "choose" entry first when `empty`. The labels
    stay lazy: a form class is built at import, before any request has a language."""
    return ([SelectChoice("", _l("— choose —"))] if empty else []) + [SelectChoice(k, v) for k, v in mapping.items()]


class RegisterForm(PortalForm):
    version = HiddenField()


class VnDateField(DateField):
    """A date typed as dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy), whatever the browser's language.
    A text input, not type=date: the browser's picker follows the machine's locale (mm/dd/yyyy on English)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"})
        kwargs.setdefault("description", DATE_HINT)
        super().__init__(label, validators, format="%d/%m/%Y", **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace("-", "/").replace(".", "/")
        try:
            self.data = datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")) from None


def not_in_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_l("This date is in the future."))


def not_before(other: str, message):
    def check(form, field):
        start = form[other].data
        if field.data and start and field.data < start:
            raise ValidationError(message)

    return check
