"""Every page and form of the route inventory, rendered in Vietnamese, shows no text that the English
catalog would show. A label turned into text when its module is imported (`str(_l(...))` at class
level) stays English for ever; this finds every such place."""

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import client_with_session
from tests.isolation.route_inventory import ANY_USER_ROUTES, UNIT_ROUTES
from tests.isolation.sweep import url_for_rule
from tests.isolation.test_idor_sweep import _owner_values, _rule

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S)
# The English labels of the criteria, which the province edits as data beside the Vietnamese ones.
ENGLISH_DATA = re.compile(r'<input[^>]*name="[^"]*_en"[^>]*>|<textarea[^>]*name="[^"]*_en".*?</textarea>', re.S)
# Pages that answer something other than HTML (workbooks, PDFs, files): nothing to read as a page.
NOT_PAGES = re.compile(r"\.(export|printable_pdf|pdf|template|download|import_template|attachment)$|_pdf$|_xlsx$")


def _english_phrases() -> dict[str, str]:
    """English text of the catalog that Vietnamese pages must never show: each message's longest piece
    between placeholders, where it is long enough not to be a word any Vietnamese page may hold."""
    with (ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="vi")
    phrases = {}
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english, vietnamese in zip(ids, strings, strict=False):
            if not english or english == vietnamese:
                continue
            piece = max(PLACEHOLDER.split(english), key=len).strip()
            if len(piece) >= 8 and (" " in piece or not piece.isalnum()) and piece not in vietnamese:
                phrases[piece] = english
    return phrases


ENGLISH = _english_phrases()


def _visible(body: str) -> str:
    return html.unescape(ENGLISH_DATA.sub(" ", SCRIPT_OR_STYLE.sub(" ", body)))


def _english_in(body: str) -> list[str]:
    """Each English phrase found, with the text around it (to find where it comes from)."""
    text = _visible(body)
    found = []
    for phrase in sorted(ENGLISH):
        at = text.find(phrase)
        if at >= 0:
            found.append(f"{phrase!r} in …{' '.join(text[max(0, at - 80) : at + len(phrase) + 40].split())}…")
    return found


def _pages() -> list[str]:
    """The inventory's routes that answer GET with a page."""
    from portal import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    gets = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    return sorted(e for e in UNIT_ROUTES if e in gets and not NOT_PAGES.search(e))


def test_the_phrases_are_many_and_catch_the_english_catalog():
    assert len(ENGLISH) > 300
    assert "— choose —" in ENGLISH and "Please log in to continue." in ENGLISH


@pytest.mark.parametrize("endpoint", _pages())
def test_every_page_of_the_inventory_is_vietnamese(app, world, endpoint):
    rule = _rule(app, endpoint)
    route = UNIT_ROUTES[endpoint]
    values = _owner_values(app, world, endpoint)
    response = client_with_session(app, route.owner).get(url_for_rule(rule.rule, values))
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert _english_in(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("endpoint", sorted(e for e in UNIT_ROUTES if e.endswith(".create")))
def test_every_register_form_says_what_is_wrong_in_vietnamese(app, world, endpoint):
    """The form sent empty: every message of every field, as the officer reads them."""
    route = UNIT_ROUTES[endpoint]
    values = _owner_values(app, world, endpoint)
    response = client_with_session(app, route.owner).post(url_for_rule(_rule(app, endpoint).rule, values), data={})
    assert response.status_code in (200, 400, 422)
    assert _english_in(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("endpoint", sorted(ANY_USER_ROUTES - {"auth.logout"}))
def test_every_page_of_any_user_is_vietnamese(app, world, endpoint):
    response = client_with_session(app, "officer_a").get(url_for_rule(_rule(app, endpoint).rule, {}))
    assert response.status_code in (200, 302)
    assert _english_in(response.get_data(as_text=True)) == []


def test_the_login_pages_and_the_error_pages_are_vietnamese(app, world):
    client = app.test_client()
    for url in ("/login", "/khong-co-trang-nay", "/u/15085/"):
        response = client.get(url, follow_redirects=True)
        assert _english_in(response.get_data(as_text=True)) == [], url
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
