"""Vietnamese first: the locale never follows the browser, only the user's own choice."""

from datetime import date, datetime

from flask import has_request_context, session
from flask_babel import format_decimal, get_locale, get_translations, to_user_timezone
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def select_locale() -> str:
    if not has_request_context():  # command-line tools speak the portal's first language
        return "vi"
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "vi"


def set_language(lang: str, user=None) -> None:
    session["lang"] = lang
    if user is not None:
        user.locale = lang


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy in every language, as official documents write it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return value.strftime("%d/%m/%Y")


def parse_day(text: str | None) -> date | None:
    """dd/mm/yyyy (or dd-mm-yyyy) typed by a user; None when empty or not a real date."""
    text = (text or "").strip().replace("-", "/")
    try:
        return datetime.strptime(text, "%d/%m/%Y").date() if text else None
    except ValueError:
        return None


def format_moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_user_timezone(value).strftime("%d/%m/%Y %H:%M")


GROUPING = {"vi": ".", "en": ","}


def format_number(value) -> str:
    """1.234.567 in Vietnamese, 1,234,567 in English. Whole numbers (most of a page's numbers) are
    grouped here directly; anything else goes through Babel."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        separator = GROUPING.get(str(get_locale()))
        if separator:
            return f"{value:,}".replace(",", separator)
    return format_decimal(value)


def format_audit_value(value, key: str = "") -> str:
    """A value as the audit stored it (JSON): ISO moments back to dd/mm/yyyy, None as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return (
                format_moment(datetime.fromisoformat(value)) if "T" in value else format_day(date.fromisoformat(value))
            )
        except ValueError:
            return value
    return str(value)


def init_app(app) -> None:
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["number"] = format_number

    @app.context_processor
    def languages():
        gettext = _page_gettext(get_translations().ugettext)
        # `_` too: Jinja's own `_` is an alias that looks `gettext` up and calls it, a second call per text
        return {"languages": LANGUAGES, "current_language": str(get_locale()), "gettext": gettext, "_": gettext}


def _page_gettext(translate):
    """The templates' `_()` for one page, bound to the request's catalogue once (Flask-Babel's looks the
    catalogue up at every call: a twentieth of a simple page). Jinja's new-style gettext, as its i18n
    extension defines it: the text escaped where the template autoescapes, then formatted (a text with no
    variable and no `%` is its own formatting)."""

    @pass_context
    def gettext(context, message: str, **variables) -> str:
        text = translate(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - the catalogue is ours, as in Jinja's own i18n extension
        return text % variables if variables or "%" in text else text

    return gettext
