"""Vietnamese first: default whatever the browser says, complete catalog, Vietnamese formats."""

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from portal.shell.i18n import format_day, format_moment, format_number

ROOT = Path(__file__).resolve().parents[2]
VI_PO = ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def _catalog(path=VI_PO, locale="vi"):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def test_every_vietnamese_entry_is_translated_and_not_fuzzy():
    catalog = _catalog()
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_the_catalog_holds_every_string_of_the_source(tmp_path):
    """A string added to the code or a template without a Vietnamese entry fails here."""
    pot = tmp_path / "current.pot"
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT / "portal"),
        ],
        check=True,
        cwd=ROOT,
    )
    source_ids = {m.id for m in _catalog(pot, None) if m.id}
    catalog_ids = {m.id for m in _catalog() if m.id and m.string}
    assert source_ids - catalog_ids == set()


def test_vietnamese_translations_keep_their_placeholders():
    for message in _catalog():
        if message.id:
            assert set(re.findall(r"%\(\w+\)\w", message.id)) == set(re.findall(r"%\(\w+\)\w", message.string))


def test_pages_are_vietnamese_even_when_the_browser_asks_for_english(app, world):
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng nhập" in page and "Tên đăng nhập" in page


def test_language_chosen_before_login_is_kept_in_a_cookie(app, world):
    client = app.test_client()
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Username" in page


def test_language_chosen_by_a_user_is_kept_on_their_account(app, world, login):
    client = login("officer_a")
    client.post("/language", data={"lang": "en", "next": "/"})
    assert "Villages and residential groups" in client.get(f"/u/{world.unit_code['A']}/").get_data(as_text=True)
    fresh = login("officer_a")  # another browser: no cookie, but the account remembers
    assert "Villages and residential groups" in fresh.get(f"/u/{world.unit_code['A']}/").get_data(as_text=True)
    fresh.post("/language", data={"lang": "vi", "next": "/"})
    assert "Thôn, tổ dân phố" in fresh.get(f"/u/{world.unit_code['A']}/").get_data(as_text=True)


def test_an_unknown_language_is_ignored(app, world):
    client = app.test_client()
    client.post("/language", data={"lang": "fr"})
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)


def test_dates_read_dd_mm_yyyy_and_numbers_use_vietnamese_separators(app):
    with app.test_request_context():
        assert format_day(date(2025, 7, 1)) == "01/07/2025"
        # 17:30 UTC is 00:30 the next day in Vietnam
        assert format_moment(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)) == "01/07/2025 00:30"
        assert format_number(1234567) == "1.234.567"
        assert format_number(12.5) == "12,5"


def test_validation_messages_are_vietnamese(app, world, login):
    client = login("officer_a")
    page = client.post(f"/u/{world.unit_code['A']}/villages/", data={"name": "", "kind": "nonsense"})
    text = page.get_data(as_text=True)
    assert "Hãy nhập tên thôn." in text and "Lựa chọn không hợp lệ." in text
