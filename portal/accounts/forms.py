from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired

from portal.shell.forms import PortalForm


class AccountForm(PortalForm):
    username = StringField(_l("Username"), validators=[DataRequired(message=_l("Enter a username."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter the full name."))])
    role = SelectField(_l("Role"))
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(message=_l("Enter the unit's code."))])


class GrantForm(PortalForm):
    role = SelectField(_l("Role"))
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(message=_l("Enter the unit's code."))])


class ImportForm(PortalForm):
    sheet = FileField(_l("Sheet of accounts (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
