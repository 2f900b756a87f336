"""Login, logout, one's own password, and the language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth import actions
from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.auth.sessions import end_session, start_session
from portal.extensions import db
from portal.shell.i18n import LANGUAGES, set_language

auth = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, never a scheme-relative URL."""
    if not target:
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
        if user is not None:
            start_session(user)
            if user.locale:
                session["lang"] = user.locale
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(_safe_next(form.next.data))
    status = 200 if error is None else 401
    return render_template("auth/login.html", form=form, error=error), status


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
            start_session(user)  # the change revoked every session: continue on a fresh one
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
