"""The base of every form: WTForms' own messages go through our catalog (WTForms ships no Vietnamese),
and its inputs write their attributes without WTForms' string formatter (`attributes`)."""

import copy

from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.widgets import Input
from wtforms.widgets.core import clean_key


class _PortalTranslations:
    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


def attributes(**kwargs) -> Markup:
    """What WTForms' `html_params` writes (sorted, escaped, `True` bare, `False` left out), without its
    string formatter, which was a tenth of a page's time (bench/README.md)."""
    parts = []
    for key, value in sorted(kwargs.items()):
        key = str(escape(clean_key(key)))
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')  # Markup keeps its quotes
    return Markup(" ".join(parts))  # noqa: S704 - every key and value escaped above


_QUICK: dict[Input, Input] = {}  # a widget -> its copy that writes attributes with `attributes`


def _quick(widget: Input) -> Input:
    quick = _QUICK.get(widget)
    if quick is None:
        quick = copy.copy(widget)
        quick.__class__ = type(type(widget).__name__, (type(widget),), {"html_params": staticmethod(attributes)})
        _QUICK[widget] = quick
    return quick


class PortalForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _PortalTranslations()

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field.widget, Input):
                field.widget = _quick(field.widget)
            return field


# WTForms' built-in messages that our forms can show, listed so that pybabel extracts them.
BUILTIN_MESSAGES = (
    lazy_gettext("Not a valid choice."),
    lazy_gettext("This field is required."),
    lazy_gettext("Invalid input."),
    lazy_gettext("Field must be at most %(max)d characters long."),
)
