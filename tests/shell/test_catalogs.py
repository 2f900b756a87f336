"""A tree without compiled catalogs (a fresh clone, a deployment that skipped `pybabel compile`) still
serves the portal in Vietnamese, or does not start and says why: never English, silently."""

import os
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from portal import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sources_only(tmp_path) -> Path:
    """The catalogs' sources as git holds them: .po files and no .mo."""
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        target = tmp_path / po.relative_to(ROOT / "translations")
        target.parent.mkdir(parents=True)
        shutil.copy(po, target)
    return tmp_path


def _app(translations: Path):
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BABEL_TRANSLATION_DIRECTORIES": str(translations)}
    )


def test_a_tree_without_compiled_catalogs_serves_the_login_in_vietnamese(sources_only):
    assert not list(sources_only.rglob("*.mo"))
    page = _app(sources_only).test_client().get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Log in" not in page
    assert sorted(p.parent.parent.name for p in sources_only.rglob("*.mo")) == ["en", "vi"]


def test_a_catalog_older_than_its_source_is_compiled_again(sources_only):
    _app(sources_only)
    vi = sources_only / "vi" / "LC_MESSAGES"
    po = vi / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Đăng nhập"', 'msgstr "Vào hệ thống"'), "utf-8")
    later = (vi / "messages.mo").stat().st_mtime + 10
    os.utime(po, (later, later))
    _app(sources_only)
    with (vi / "messages.mo").open("rb") as compiled:  # (this process keeps the catalog it loaded first)
        assert read_mo(compiled).get("Log in").string == "Vào hệ thống"


def test_catalogs_that_cannot_be_written_stop_the_start_with_what_to_run(sources_only):
    (sources_only / "vi" / "LC_MESSAGES" / "messages.mo").mkdir()  # what stands there is no file we may replace
    with pytest.raises(RuntimeError, match="not compiled and cannot be written.*pybabel compile -d"):
        _app(sources_only)
