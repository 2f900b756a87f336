from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(message=_l("Enter a username."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter the full name."))])
    role = SelectField(_l("Role"))
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(message=_l("Enter the unit's code."))])


class GrantForm(FlaskForm):
    role = SelectField(_l("Role"))
    unit_code = StringField(_l("Unit code"), validators=[DataRequired(message=_l("Enter the unit's code."))])


class ImportForm(FlaskForm):
    sheet = FileField(_l("Sheet of accounts (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
