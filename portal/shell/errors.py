"""Translated error pages; no stack trace ever reaches a user."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from portal.extensions import db


def _render(status: int):
    template = "shell/_error_fragment.html" if request.headers.get("HX-Request") else "shell/error.html"
    return render_template(template, status=status), status


def init_app(app) -> None:
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, lambda e, s=status: _render(s))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        app.logger.exception("database unavailable")
        return _render(503)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500)
