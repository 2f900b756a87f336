from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from portal.shell.forms import PortalForm


class LoginForm(PortalForm):
    username = StringField(_l("Username"), validators=[DataRequired(message=_l("Enter your username."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    next = HiddenField()


class PasswordChangeForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(message=_l("Enter a new password."))])
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Repeat the new password.")),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )


class CodeForm(PortalForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Enter the code from your authenticator app."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )
