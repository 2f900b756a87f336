"""Translated error pages; no stack trace ever reaches a user, not even when the database is down."""

from flask import current_app, render_template, request, session
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.shell.i18n import LANGUAGES


def _render(status: int):
    template = "shell/_error_fragment.html" if request.headers.get("HX-Request") else "shell/error.html"
    return render_template(template, status=status), status


def _release_session() -> None:
    """Give the connection back whatever state it is in (a dead one is invalidated, not reused)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: drop the session with it
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001, S110 - nothing more can be done with a dead connection
            pass


def _without_database(status: int):
    """The error page drawn from the template alone: no user, no menu, no context processor, the
    language from the session cookie. What an outage can still show."""
    lang = session.get("lang") if session.get("lang") in LANGUAGES else "vi"
    with force_locale(lang):
        page = current_app.jinja_env.get_template("shell/unavailable.html").render(status=status, lang=lang)
    return page, status, {"Retry-After": "60"} if status == 503 else {}


def init_app(app) -> None:
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, lambda e, s=status: _render(s))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        _release_session()
        app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
        return _without_database(503)

    @app.errorhandler(500)
    def server_error(error):
        _release_session()
        try:
            return _render(500)
        except Exception:  # noqa: BLE001 - the page itself failed (its menu reads the database)
            return _without_database(500)

    @app.teardown_appcontext
    def release_session(error=None) -> None:
        """Before Flask-SQLAlchemy's own teardown (teardowns run last-registered first), and as it does
        (close, no rollback that would expire what the caller still holds): a connection that died
        during the request must not turn a finished response into a server error."""
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001 - the connection died: SQLAlchemy has invalidated it
            db.session.registry.clear()
