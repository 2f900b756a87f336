"""Two app servers, one database: two gunicorn instances on two ports against the test's PostgreSQL, as a
province runs the portal behind a reverse proxy. What one worker keeps (the unit tree) never decides
who is logged in, what a login throttle counts or where an import stands: the database does."""

import http.cookiejar
import io
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.criteria.models import CommuneResult
from portal.criteria.results import rebuild
from portal.extensions import db
from portal.imports.models import COMMITTED, QUEUED, ImportJob, ImportProgress
from portal.tenancy.guard import system_scope
from portal.villages.models import Village
from tests.conftest import allow_code_again
from tests.deployment.processes import ROOT, portal_env, work_the_queue
from tests.imports.conftest import HOUSEHOLD_HEADERS, VILLAGES, households, xlsx
from tests.world import PASSWORD, totp_code


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A user's browser against one server at a time: one cookie jar, the CSRF token read off the forms."""

    def __init__(self, jar=None):
        self.jar = jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def request(self, server: str, path: str, data=None, content_type=None) -> tuple[int, str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        if isinstance(data, dict):
            data, headers = urllib.parse.urlencode(data).encode(), {}
        request = urllib.request.Request(server + path, data=data, headers=headers)  # noqa: S310 - loopback
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers.get("Location", "")

    def csrf(self, server: str, path: str) -> str:
        page = self.request(server, path)[1]
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def log_in(self, app, server: str, username: str) -> None:
        """Password, then the code from the user's app (on the same server: the challenge is in the database)."""
        token = self.csrf(server, "/login")
        form = {"csrf_token": token, "username": username, "password": PASSWORD}
        status, _body, location = self.request(server, "/login", form)
        assert status == 302 and location.endswith("/login/code"), (status, location)
        allow_code_again(app, username)
        form = {"csrf_token": self.csrf(server, "/login/code"), "code": totp_code(username)}
        assert self.request(server, "/login/code", form)[0] == 302


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def servers(app, world, dialect, tmp_path):
    """Two gunicorn servers (two workers each) on one PostgreSQL, sharing the uploads' folder."""
    if dialect != "postgresql":
        pytest.skip("two app servers share one PostgreSQL; the embedded SQLite default is one server")
    with _serving(app, tmp_path, {}) as urls:
        yield urls


@pytest.fixture
def queue_servers(app, world, dialect, tmp_path):
    """The same, with jobs on the queue (JOB_QUEUE=postgresql) and no folder shared between machines."""
    if dialect != "postgresql":
        pytest.skip("the job queue runs on PostgreSQL")
    with _serving(app, tmp_path, {"JOB_QUEUE": "postgresql"}, shared=False) as urls:
        yield urls


@contextmanager
def _serving(app, tmp_path, extra: dict, shared: bool = True):
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    started, urls = [], []
    for n in range(2):
        folder = tmp_path / ("shared" if shared else f"server-{n}")
        env = {**portal_env(app), "IMPORTS_DIR": str(folder / "imports"), "ATTACHMENTS_DIR": str(folder / "files")}
        port = _free_port()
        command = [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
        started.append(subprocess.Popen(command, cwd=ROOT, env={**env, **extra}))  # noqa: S603 - our own server
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait_for(url)
        yield urls
    finally:
        for server in started:
            server.terminate()
            server.wait(30)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not start")


def test_a_login_on_one_server_holds_on_the_other_and_a_logout_ends_it_on_both(app, world, servers):
    one, other = servers
    officer = Browser()
    officer.log_in(app, one, "officer_b")
    assert officer.request(other, "/account/password")[0] == 200
    for _ in range(4):  # both workers of the other server
        assert officer.request(other, f"/u/{world.unit_code['B']}/")[0] == 200
    copy = Browser(officer.jar)  # the same cookie, replayed after the logout
    token = officer.csrf(one, "/account/password")
    assert officer.request(one, "/logout", {"csrf_token": token})[0] == 302
    for server in (other, other, one):
        status, _body, location = copy.request(server, "/account/password")
        assert status == 302 and location.startswith("/login")


def test_the_login_throttle_counts_failures_on_both_servers(servers):
    one, other = servers
    guesser = Browser()
    for attempt in range(5):  # LOGIN_MAX_FAILURES: five, wherever they land
        server = one if attempt % 2 else other
        form = {"csrf_token": guesser.csrf(server, "/login"), "username": "officer_b", "password": "wrong"}
        assert "Đăng nhập sai quá nhiều lần" not in guesser.request(server, "/login", form)[1]
    form = {"csrf_token": guesser.csrf(one, "/login"), "username": "officer_b", "password": PASSWORD}
    status, body, _ = guesser.request(one, "/login", form)
    assert status == 401 and "Đăng nhập sai quá nhiều lần" in body  # the right password, refused for now


def test_an_import_uploaded_on_one_server_is_followed_and_confirmed_on_the_other(app, world, servers):
    one, other = servers
    officer, job_path, job_id = _upload_households(app, world, one)
    _confirm_there(app, officer, other, job_path, job_id)


def test_on_the_queue_an_import_is_taken_by_a_worker_started_apart_from_the_servers(
    app, world, queue_servers, tmp_path
):
    one, other = queue_servers
    officer, job_path, job_id = _upload_households(app, world, one)
    time.sleep(3)
    assert _state(app, job_id) == QUEUED  # neither app server runs it
    assert "Đang chờ bắt đầu" in officer.request(other, job_path)[1]  # both follow it
    env = {**portal_env(app), "JOB_QUEUE": "postgresql", "IMPORTS_DIR": str(tmp_path / "worker" / "imports")}
    worker = subprocess.Popen(  # noqa: S603 - the portal's own worker command, on its own machine's disk
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], cwd=ROOT, env=env
    )
    try:
        _confirm_there(app, officer, other, job_path, job_id)
    finally:
        worker.terminate()
        worker.wait(30)
    with app.app_context(), system_scope(db.session):
        taken = db.session.execute(
            text(
                "SELECT status, args FROM procrastinate_jobs WHERE task_name = 'portal:run_module' "
                "AND args->>'module' = 'portal.imports.worker' AND args->'arguments'->>0 = :job ORDER BY id"
            ),
            {"job": str(job_id)},
        ).all()
        assert [(status, args["arguments"][:2]) for status, args in taken] == [
            ("succeeded", [str(job_id), "check"]),
            ("succeeded", [str(job_id), "commit"]),
        ]
        assert db.session.scalar(select(ImportProgress).where(ImportProgress.job_id == job_id)) is None


def _upload_households(app, world, server: str):
    """Officer B uploads 30 households on this server; (the officer's browser, the job's path, its id)."""
    code = world.unit_code["B"]
    with app.app_context(), system_scope(db.session):
        db.session.add(Village(commune_id=world.unit_id["B"], name=VILLAGES[0], kind="village", search_key="lang moi"))
        db.session.commit()
    officer = Browser()
    officer.log_in(app, server, "officer_b")
    data = xlsx([HOUSEHOLD_HEADERS, *households(30, village=VILLAGES[0])])
    fields = {"csrf_token": officer.csrf(server, f"/u/{code}/imports/"), "register": "households"}
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(data), "ho.xlsx")})
    content_type = f"multipart/form-data; boundary={boundary}"
    status, _page, location = officer.request(server, f"/u/{code}/imports/", body, content_type=content_type)
    assert status == 302, status
    job_path = urllib.parse.urlparse(location).path
    return officer, job_path, int(job_path.rstrip("/").rsplit("/", 1)[1])


def _confirm_there(app, officer, server: str, job_path: str, job_id: int) -> None:
    """The job checked, seen on this server, confirmed there, and committed."""
    page = _until(lambda: officer.request(server, job_path)[1], lambda p: 'id="confirm-import"' in p)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert officer.request(server, f"{job_path}/confirm", {"csrf_token": token, "version": version})[0] == 302
    _until(lambda: _state(app, job_id), lambda state: state == COMMITTED)
    assert "LM-00030" in officer.request(server, f"{job_path.rsplit('/imports', 1)[0]}/households/?q=LM-00030")[1]


def _state(app, job_id: int) -> str:
    with app.app_context(), system_scope(db.session):
        state = db.session.get(ImportJob, job_id).state
        db.session.rollback()
        return state


def _until(read, done, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"not done in {seconds} s: {str(value)[:300]}")


def test_a_metrics_refresh_while_both_servers_take_writes_matches_a_rebuild(app, world, servers):
    code = world.unit_code["A"]
    writers = []
    for n, server in enumerate(servers):
        officer = Browser()
        officer.log_in(app, server, "officer_a")
        writers.append((officer, server, n))
    stop = threading.Event()
    written = []

    def write(officer, server, n):
        token = officer.csrf(server, f"/u/{code}/households/new")
        village = re.search(r'<option value="(\d+)"', officer.request(server, f"/u/{code}/households/new")[1]).group(1)
        i = 0
        while not stop.is_set():
            i += 1
            form = {
                "csrf_token": token,
                "code": f"S{n}-{i:04d}",
                "representative_name": "Lò Văn Hải",
                "village_id": village,
                "address": "",
                "members": "4",
            }
            written.append(officer.request(server, f"/u/{code}/households/", form)[0])

    threads = [threading.Thread(target=write, args=writer) for writer in writers]
    for thread in threads:
        thread.start()
    env = portal_env(app)
    try:
        for _ in range(2):
            subprocess.run(  # noqa: S603 - our own command
                [sys.executable, "-m", "flask", "--app", "wsgi", "criteria", "refresh"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert written and set(written) == {302}, set(written)
    with app.app_context(), system_scope(db.session):
        kept = _results()  # as the writes and the refreshes left them
        rebuild()
        db.session.commit()
        assert _results() == kept


def _results() -> set:
    return {
        (r.commune_id, r.criterion_id, r.numerator, r.denominator, r.passed)
        for r in db.session.scalars(select(CommuneResult))
    }


def test_the_nightly_refresh_is_deferred_to_the_queue_and_a_worker_runs_it(app, world, dialect):
    if dialect != "postgresql":
        pytest.skip("the job queue runs on PostgreSQL")
    with app.app_context(), system_scope(db.session):
        db.session.execute(delete(CommuneResult))  # nothing kept: the refresh must compute them all
        db.session.commit()
    app.config["JOB_QUEUE"] = "postgresql"
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["jobs", "defer", "criteria-refresh"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(args=["jobs", "defer", "criteria-refresh"])
        assert again.exit_code == 1 and "already waiting" in again.output  # one waits at a time
    finally:
        app.config["JOB_QUEUE"] = "process"
    work_the_queue(app)
    with app.app_context(), system_scope(db.session):
        computed = _results()
        assert computed  # the worker's refresh computed every commune's results
        rebuild()
        db.session.commit()
        assert _results() == computed
