"""The base of every form: WTForms' own messages go through our catalog (WTForms ships no Vietnamese)."""

from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm


class _PortalTranslations:
    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


class PortalForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _PortalTranslations()


# WTForms' built-in messages that our forms can show, listed so that pybabel extracts them.
BUILTIN_MESSAGES = (
    lazy_gettext("Not a valid choice."),
    lazy_gettext("This field is required."),
    lazy_gettext("Invalid input."),
    lazy_gettext("Field must be at most %(max)d characters long."),
)
