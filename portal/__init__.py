"""The drug-free commune portal: one deployment, every commune of a province as a tenant."""

import os
from pathlib import Path

import click
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from htmx_flask import Htmx
from sqlalchemy import text

from portal.config import load_config
from portal.extensions import babel, csrf, db, login_manager, migrate
from portal.files import private_dir
from portal.shell.proxies import TrustedProxies
from portal.tenancy import reads
from portal.tenancy.database import check_app_role


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    private_dir(Path(app.instance_path))  # the SQLite database, attachments and uploads live there
    app.config.update(load_config(app.instance_path, test_config))
    configure_extensions(app)
    configure_shell(app)
    configure_request_scope(app)
    register_blueprints(app)
    reads.install(app)  # every loaded row that names a person is recorded as read (portal/tenancy/reads.py)
    check_app_role(app)
    return app


def configure_extensions(app: Flask) -> None:
    from portal import listeners
    from portal.shell.catalogs import ensure_compiled
    from portal.shell.i18n import select_locale

    ensure_compiled(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    listeners.install()  # every database hook, in order: portal/listeners.py
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    Htmx(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # server-side sessions (portal.auth.sessions) do this job
    if app.config["PROXY_FIX_HOPS"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"], app.config["PROXY_FIX_HOPS"])


def configure_shell(app: Flask) -> None:
    from portal.shell import errors, i18n, layout, security

    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    layout.init_app(app)


def configure_request_scope(app: Flask) -> None:
    """Each request starts with an empty reach; only the unit gate widens it (portal.tenancy.routing)."""
    from portal.auth import two_factor
    from portal.auth.sessions import end_session
    from portal.tenancy.guard import clear_reach, set_reach

    @app.before_request
    def start_with_empty_reach():
        set_reach(db.session, read=frozenset(), actor_id=None)
        if current_user.is_authenticated:
            db.session.info["portal.actor_id"] = current_user.id
            allowed = {"auth.password", "auth.logout", "auth.language", "static"}
            if current_user.must_change_password and request.endpoint not in allowed:
                return redirect(url_for("auth.password"))
            if not current_user.session_second_factor and request.endpoint not in {"auth.logout", "static"}:
                return _second_factor_missing(current_user._get_current_object(), allowed)
        return None

    def _second_factor_missing(user, allowed):
        """A session without the second factor: a session of an account that has it but never passed it
        (made before the enrolment) ends; where it is required, only the enrolment page opens."""
        if two_factor.enabled(user):
            end_session(user)
            db.session.commit()
            return redirect(url_for("auth.login"))
        if two_factor.required(user) and request.endpoint not in allowed | {"auth.two_factor_setup"}:
            return redirect(url_for("auth.two_factor_setup"))
        return None

    @app.teardown_request
    def forget_reach(exc):
        clear_reach(db.session)


def _page_blueprints() -> tuple:
    """The blueprints of the pages, in the order their routes are matched."""
    from portal.access_log.views import access_log
    from portal.accounts.views import accounts
    from portal.auth.views import auth
    from portal.cases.views import cases
    from portal.criteria.views import criteria
    from portal.exports.views import exports
    from portal.home.views import root, units
    from portal.imports.views import imports
    from portal.privacy.views import notice, settings
    from portal.recognition.views import inbox_pages, recognition
    from portal.registers.views import templates
    from portal.rollups.views import rollups
    from portal.shell.views import shell
    from portal.tenants.views import reform
    from portal.workspace.views import workspace

    return (
        shell,
        templates,
        rollups,
        auth,
        root,
        units,
        workspace,
        cases,
        criteria,
        recognition,
        inbox_pages,
        accounts,
        access_log,
        reform,
        imports,
        exports,
        notice,
        settings,
    )


def register_blueprints(app: Flask) -> None:
    from portal.accounts.cli import commands as accounts_cli
    from portal.backups.cli import commands as backups_cli
    from portal.criteria.cli import commands as criteria_cli
    from portal.demo.cli import commands as demo_cli
    from portal.exports.views import take_if_large
    from portal.imports.cli import commands as imports_cli
    from portal.imports.specs import SPECS
    from portal.privacy.cli import commands as privacy_cli
    from portal.queue import commands as queue_cli
    from portal.registers.registry import REGISTERS
    from portal.registers.views import make_blueprint
    from portal.tenancy.cli import database_commands
    from portal.tenants.cli import commands as tenants_cli
    from portal.workspace.registers import load_registers

    load_registers()
    commands = (
        imports_cli, backups_cli, tenants_cli, database_commands, accounts_cli, demo_cli, criteria_cli, privacy_cli,
        queue_cli,
    )
    for blueprint in (*_page_blueprints(), *commands):
        app.register_blueprint(blueprint)
    add_old_command_names(app, {"users": accounts_cli, "metrics": criteria_cli})
    for register in REGISTERS.values():  # each with its import sheet, if it has one, and large exports queued
        app.register_blueprint(make_blueprint(register, SPECS.get(register.slug), take_if_large))

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}, 200
        except Exception:  # noqa: BLE001 - any failure means the database is not usable
            db.session.rollback()
            return {"status": "degraded", "database": "unavailable"}, 503


def add_old_command_names(app: Flask, groups: dict) -> None:
    """The CLI groups' names until November 2026, hidden, so that cron lines and scripts written then run."""
    for old_name, blueprint in groups.items():
        app.cli.add_command(click.Group(old_name, commands=blueprint.cli.commands, hidden=True))
