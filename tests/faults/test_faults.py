"""Faults under load: gunicorn on PostgreSQL takes writes over HTTP while PostgreSQL is stopped and
started again and a worker is killed with SIGKILL. Afterwards: errors only around the faults, every
acknowledged write is there, no partial row (every village has its one audit row and nothing else
does), the connections recovered on their own, and a request during the outage got the translated
503 page, not a stack trace.

Needs PostgreSQL (TEST_DATABASE_URL) and the right to stop and start it (root, pg_ctlcluster): run by
.ci/run with the PostgreSQL suite."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal import create_app
from portal.tenancy.database import dispose_engines
from tests.conftest import ROOT, _fresh_postgres, database_config
from tests.world import PASSWORD, seed_world, totp_code

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("pg_ctlcluster"), reason="needs root and pg_ctlcluster to stop PostgreSQL"
    ),
]
COMMUNE = "15085"
SECRET = "faults-test-secret-of-its-own-loopback-servers"  # noqa: S105
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True)


def _pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


class Browser:
    """A logged-in officer over HTTP: cookies, the CSRF token, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect
        )
        self.token = ""

    def request(self, path: str, data: dict | None = None, timeout: float = 10) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def log_in(self, username: str) -> None:
        _, page = self.request("/login")
        self.token = CSRF.search(page).group(1)
        status, _ = self.request("/login", {"username": username, "password": PASSWORD})
        assert status == 302
        _, page = self.request("/login/code")  # the session starts anew after the password: a new token
        self.token = CSRF.search(page).group(1)
        status, _ = self.request("/login/code", {"code": totp_code(username)})  # an officer's second factor
        assert status == 302
        _, page = self.request(f"/u/{COMMUNE}/")
        self.token = CSRF.search(page).group(1)


@pytest.fixture
def served(owner_database_url, tmp_path):
    """A world on its own PostgreSQL database, served by gunicorn with two workers as the application role."""
    url = _fresh_postgres(owner_database_url.rsplit("/", 1)[0] + "/portal_faults")
    databases = database_config(url)
    # the servers' SECRET_KEY: the migration stores the reach's signing key derived from it
    app = create_app({**databases, "ATTACHMENTS_DIR": str(tmp_path / "scans"), "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_world()
        dispose_engines()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": databases["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://"),
        "DATABASE_OWNER_URL": url.replace("postgresql+psycopg://", "postgresql://"),
        "SECRET_KEY": SECRET,
        "PORTAL_ENV": "testing",
        "ATTACHMENTS_DIR": str(tmp_path / "scans"),
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    master = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "20",
         "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - our own server on loopback
            break
        except OSError:
            time.sleep(0.1)
    yield base, url, master, tmp_path / "gunicorn.log"
    master.send_signal(signal.SIGTERM)
    master.wait(timeout=30)
    log.close()
    if not _pg_ready():
        _cluster("start")
    create_engine(url).dispose()


def test_writes_survive_a_database_restart_and_a_killed_worker(served):
    base, url, master, log = served
    officer = Browser(base)
    officer.log_in("officer_a")
    acknowledged, failures, stop = [], [], threading.Event()

    def write(prefix: str) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            name = f"Thôn Lỗi {prefix}{n:05d}"
            started = time.monotonic()
            try:
                status, _ = officer.request(
                    f"/u/{COMMUNE}/villages/", {"name": name, "kind": "village", "head_name": ""}
                )
            except OSError as error:  # a connection cut by the killed worker
                status = repr(error)
            if status == 302:
                acknowledged.append(name)
            else:
                failures.append((started, status))
            time.sleep(0.02)

    writers = [threading.Thread(target=write, args=(prefix,)) for prefix in "AB"]  # both workers busy
    for writer in writers:
        writer.start()
    time.sleep(3)

    outage_started = time.monotonic()
    _cluster("stop")
    during = Browser(base)
    during.opener, during.token = officer.opener, officer.token
    status, page = during.request(f"/u/{COMMUNE}/villages/")
    assert status == 503, status
    assert "Dịch vụ tạm thời gián đoạn" in page and "Dữ liệu bạn đã lưu không bị mất" in page
    assert "Traceback" not in page and "psycopg" not in page
    time.sleep(2)
    _cluster("start")
    outage_ended = time.monotonic()

    before = len(acknowledged)
    deadline = time.monotonic() + 30
    while len(acknowledged) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(acknowledged) > before, "writes did not resume after PostgreSQL came back"
    recovered = time.monotonic()

    workers = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) == 2
    killed_at = time.monotonic()
    os.kill(int(workers[0]), signal.SIGKILL)
    time.sleep(4)
    stop.set()
    for writer in writers:
        writer.join(timeout=30)

    # errors only around the faults
    assert acknowledged and failures
    for started, status in failures:
        around_outage = outage_started - 1 <= started <= recovered + 1
        around_kill = killed_at - 1 <= started <= killed_at + 5
        assert around_outage or around_kill, (started - outage_started, status)

    # nothing acknowledged is missing; no partial rows: each village exactly once, each with its audit row
    engine = create_engine(url)  # as the owner: row-level security hides nothing
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT v.id, v.name FROM village v JOIN admin_unit u ON u.id = v.commune_id "
                "WHERE u.code = :c AND v.name LIKE 'Thôn Lỗi %'"
            ),
            {"c": COMMUNE},
        ).all()  # fmt: skip
        audits = (
            connection.execute(
                text("SELECT object_id FROM audit_event WHERE object_type = 'village' AND action = 'create'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    names = [r.name for r in rows]
    assert set(acknowledged) <= set(names)
    assert len(names) == len(set(names))
    assert sorted(str(r.id) for r in rows) == sorted(a for a in audits if a in {str(r.id) for r in rows})
    assert {str(r.id) for r in rows} <= set(audits)
    # every failure was answered (or the connection cut by the kill): no request died in the portal
    logged = log.read_text()
    assert "Error handling request" not in logged and "Exception on" not in logged
    # the server answers again, on both workers (one of them new)
    assert all(officer.request(f"/u/{COMMUNE}/villages/")[0] == 200 for _ in range(6))
    print(
        f"faults: {len(acknowledged)} writes acknowledged, {len(failures)} failed "
        f"(outage {outage_ended - outage_started:.1f} s, recovered {recovered - outage_ended:.1f} s after the start; "
        f"{sum(1 for s, _ in failures if s >= killed_at - 1)} around the killed worker)"
    )
