"""Security headers on every response, fragments and errors included; the forms' token signed once."""

from functools import lru_cache

from flask import current_app, g, request, session
from itsdangerous import URLSafeTimedSerializer

from portal.shell.args import refuse_nul_bytes

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app) -> None:
    app.before_request(refuse_nul_bytes)
    app.before_request(give_the_signed_form_token)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            # Pages may carry personal data: never keep them in a browser or proxy cache.
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie, HX-Request"
        return response


def give_the_signed_form_token() -> None:
    """The session's CSRF token as the forms carry it, signed once per session by each worker, not at
    every page. Flask-WTF signs the session's raw token at each request (a twentieth of a simple page)
    and keeps the result in `g` for the request; it accepts any signature of the raw token, of any age,
    when tokens live as long as their session (`WTF_CSRF_TIME_LIMIT` None, portal/config.py), so a
    signature made earlier is as good. With a time limit, Flask-WTF signs as it does."""
    config = current_app.config
    name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or request.endpoint == "static" or name in g:
        return
    raw = session.get(name)
    if isinstance(raw, str):
        setattr(g, name, _signed(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw))


@lru_cache(maxsize=4096)  # sessions a worker serves in a day, give or take
def _signed(secret_key, raw: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw)  # Flask-WTF's own salt
