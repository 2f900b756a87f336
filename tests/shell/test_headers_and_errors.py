"""Security headers on every response, translated error pages, htmx served and configured safely."""

import re
from pathlib import Path

import pytest

from portal import create_app
from portal.tenancy.database import dispose_engines

ROOT = Path(__file__).resolve().parents[2]


def _assert_secure_headers(response, personal=True):
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if personal:
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_fragments_and_errors_all_carry_the_headers(app, world, login):
    client = login("officer_a")
    unit = world.unit_code["A"]
    responses = [
        client.get(f"/u/{unit}/"),
        client.get(f"/u/{unit}/villages/", headers={"HX-Request": "true", "HX-Target": "village-rows"}),
        client.get("/u/99999/"),
        client.get("/no-such-page"),
        app.test_client().get("/login"),
    ]
    for response in responses:
        _assert_secure_headers(response)


def test_static_files_may_be_cached_but_keep_nosniff(app):
    with app.test_client().get("/static/portal.css") as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers.get("Cache-Control") != "no-store"


def test_session_cookie_is_httponly_and_samesite(app, world):
    response = app.test_client().post("/language", data={"lang": "en"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookies_are_secure_outside_development(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", "y" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize("key", ["development-only-not-secret", "short-but-not-empty-31-bytes-xx"])
def test_production_refuses_to_start_with_the_development_key_or_a_short_one(monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize("key", [None, "short-totp-key", "x" * 40])
def test_production_refuses_to_start_without_its_own_totp_encryption_key(monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)  # the last case: the same as SECRET_KEY
    if key is None:
        monkeypatch.delenv("TOTP_ENCRYPTION_KEY", raising=False)
    else:
        monkeypatch.setenv("TOTP_ENCRYPTION_KEY", key)
    with pytest.raises(RuntimeError, match="TOTP_ENCRYPTION_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_404_page_is_translated(app, world, login):
    response = login("officer_a").get("/u/00000/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_500_page_is_translated_and_shows_no_trace(database_url, world):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    def boom():
        raise ValueError("secret internals 42")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã xảy ra lỗi" in body and "secret internals" not in body and "Traceback" not in body
    _assert_secure_headers(response)
    with app.app_context():
        dispose_engines()


def test_htmx_is_vendored_at_the_pinned_version_and_configured_safely(app, world):
    page = app.test_client().get("/login").get_data(as_text=True)
    script = re.search(r'<script src="([^"]+)"', page).group(1)
    assert script == "/static/vendor/htmx-2.0.11.min.js"
    assert "://" not in page.split("<body")[0].replace('xmlns="http://www.w3.org', "")
    with app.test_client().get(script) as served:
        assert served.status_code == 200 and b'version:"2.0.11"' in served.data
    config = re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1)
    for setting in (
        '"selfRequestsOnly": true',
        '"allowEval": false',
        '"allowScriptTags": false',
        '"historyCacheSize": 0',
    ):
        assert setting in config


def test_no_inline_script_or_style_in_any_template():
    """The CSP forbids them; a template that used one would silently break in the browser."""
    for template in (ROOT / "portal").rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text and " style=" not in text and "hx-on" not in text, template


def test_healthz_reports_the_database(app, world):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}
