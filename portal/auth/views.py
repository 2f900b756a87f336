"""Login, logout, one's own password, and the language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.audit import actions as audit
from portal.auth import actions, challenges, two_factor
from portal.auth.forms import CodeForm, LoginForm, PasswordChangeForm
from portal.auth.models import User
from portal.auth.sessions import clear_keeping_language, current_session, end_session, start_session
from portal.extensions import db
from portal.shell.args import has_control_characters
from portal.shell.i18n import LANGUAGES, set_language
from portal.tenancy.guard import acting_as

auth = Blueprint("auth", __name__, template_folder="templates")

PENDING = "login_challenge"  # the Flask session: the token of the login waiting for its code (LoginChallenge)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, never a scheme-relative URL."""
    if not target:
        return url_for("root.index")
    if has_control_characters(target):  # a line break would split the Location header
        return url_for("root.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("root.index")
    return target


@auth.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("root.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        user, error = actions.authenticate(form.username.data, form.password.data, request.remote_addr)
        if user is not None and two_factor.enabled(user):
            clear_keeping_language()
            session[PENDING] = challenges.open_challenge(user, _safe_next(form.next.data), request.remote_addr)
            db.session.commit()  # the challenge (and a rehashed password); the login itself waits for the code
            return redirect(url_for("auth.login_code"))
        if user is not None:
            return _logged_in(user, _safe_next(form.next.data), second_factor=False)
    status = 200 if error is None else 401
    return render_template("auth/login.html", form=form, error=error), status


def _logged_in(user, target: str, second_factor: bool):
    start_session(user, second_factor=second_factor)
    if user.locale:
        session["lang"] = user.locale
    db.session.commit()
    if user.must_change_password:
        return redirect(url_for("auth.password"))
    if two_factor.required(user) and not two_factor.enabled(user):
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(target)


@auth.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The login's second step: the password was right, now the code from the app (or a recovery code)."""
    challenge = challenges.find_challenge(session.get(PENDING))
    if challenge is None:
        session.pop(PENDING, None)
        flash(_("Log in again: the time to enter the code has run out."), "info")
        return redirect(url_for("auth.login"))
    acting_as(db.session, challenge.user_id)  # the code is the account's own write (its last time step)
    user = db.session.get(User, challenge.user_id)
    if user is None or not user.active or not two_factor.enabled(user):
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        error = actions.second_factor(user, form.code.data, request.remote_addr)
        if error is None:
            target = challenge.next_path
            db.session.delete(challenge)
            return _logged_in(user, target, second_factor=True)
        form.code.data = ""
    status = 200 if error is None else 401
    return render_template("auth/login_code.html", form=form, error=error), status


@auth.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Enrol an authenticator app (QR code, then a code to prove it), or manage it once enrolled."""
    user = current_user._get_current_object()
    if two_factor.enabled(user):
        return _two_factor_manage(user)
    live = current_session(user)
    if not live.enrolling_secret:
        live.enrolling_secret = two_factor.new_secret()
        db.session.commit()
    secret = live.enrolling_secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = two_factor.enable(user, secret, form.code.data, user.session_token)
        if codes is not None:
            live.enrolling_secret = None
            user.session_second_factor = True
            audit.record("two_factor_enabled", actor_id=user.id, object_type="user_account", object_id=user.id)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, first=True)
        form.code.errors.append(actions.WRONG_CODE)
    uri = two_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=Markup(two_factor.qr_svg(uri)),  # noqa: S704 - segno's SVG of our own URI: no user markup
        secret=two_factor.grouped(secret),
        required=two_factor.required(user),
    )


def _two_factor_manage(user):
    """New recovery codes, or turning it off where it is not required; both need a current code."""
    form = CodeForm()
    action = request.form.get("action")
    if form.validate_on_submit() and action in ("new_codes", "disable"):
        if action == "disable" and two_factor.required(user):
            abort(403)
        _factor, error = actions.check_code(user, form.code.data, request.remote_addr)
        if error is None:
            if action == "new_codes":
                codes = two_factor.new_recovery_codes(user)
                audit.record("recovery_codes_renewed", actor_id=user.id, object_type="user_account", object_id=user.id)
                db.session.commit()
                return render_template("auth/recovery_codes.html", codes=codes, first=False)
            two_factor.disable(user)
            audit.record("two_factor_disabled", actor_id=user.id, object_type="user_account", object_id=user.id)
            db.session.commit()
            flash(_("Two-factor login is off for your account."), "success")
            return redirect(url_for("auth.two_factor_setup"))
        form.code.errors.append(error)
        form.code.data = ""
    return render_template(
        "auth/two_factor_manage.html",
        form=form,
        required=two_factor.required(user),
        enabled_at=user.totp_enabled_at,
        codes_left=two_factor.recovery_codes_left(user),
    ), (400 if form.code.errors else 200)


@auth.post("/logout")
@login_required
def logout():
    end_session(current_user._get_current_object())
    db.session.commit()
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))


@auth.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        errors = actions.change_own_password(user, form.current_password.data, form.new_password.data)
        if not errors:
            # the change revoked every session: continue on a fresh one, as far as this one had come
            start_session(user, second_factor=user.session_second_factor)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("root.index"))
        for field, message in errors.items():
            form[field].errors.append(message)
    return render_template("auth/password.html", form=form, forced=current_user.must_change_password)


@auth.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        set_language(lang, current_user if current_user.is_authenticated else None)
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
