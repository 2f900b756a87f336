"""Browser tests: the real portal served from a thread, driven by the system Chromium through Playwright.
Every page a test visits is checked with axe-core and for browser console errors (a CSP violation is one)."""

import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal import create_app
from portal.criteria.results import refresh_all
from portal.extensions import db
from portal.tenancy.guard import system_scope
from tests.world import seed_world

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath) and not os.path.exists(CHROMIUM):
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


LIVE = {}  # the served app, for the login helper's second factor


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "portal.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": True,
            "ATTACHMENTS_DIR": str(database.parent / "attachments"),
            "IMPORTS_DIR": str(database.parent / "imports"),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_world()
        with system_scope(db.session):
            refresh_all()  # as the daily `criteria refresh` leaves them
            db.session.commit()
    LIVE["app"] = app
    server = make_server("127.0.0.1", 0, _closed_before_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def _closed_before_sent(app):
    """Werkzeug's development server closes a response's file only after draining the socket, and skips
    the close when the browser has already dropped the connection: the file then leaks to the garbage
    collector (a ResourceWarning, an error under this suite's warning filter). Served from here, every
    response is read and closed within its request."""

    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


class PageChecks:
    """Collects console errors and checks accessibility of each page visited."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _on_console(self, message) -> None:
        # The error page itself answers 404 on purpose; any other failed load or script error counts.
        if message.type == "error" and not (
            "status of 404" in message.text and message.location.get("url") == self.page.url
        ):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def accessible(self) -> None:
        self.page.evaluate(AXE)  # through DevTools, so the page's CSP (script-src 'self') still holds
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{self.page.url}: {serious}"
        assert self.console_errors == [], f"{self.page.url}: {self.console_errors}"


@pytest.fixture
def checks(page):
    page.set_default_timeout(10_000)
    return PageChecks(page)
