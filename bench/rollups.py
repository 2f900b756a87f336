"""Issue 5's benchmark: the roll-up pages and a commune's daily pages at the province's real scale,
each as a ratio to the same page on the small demo data, and a commune workspace page under gunicorn
next to a hello-world Flask app under the same gunicorn, in the same run.

    python bench/rollups.py [--db sqlite|postgresql] [--requests 40] [--reuse]

Two databases are built with the portal's own commands (`tenants sync`, `demo load`, and
`demo load --scale province` for the large one), then every page is requested in turn, small and large
interleaved, through the WSGI app in this process (server time: no network, no browser); medians of
`--requests` each. `--reuse` keeps databases built by an earlier run. See bench/README.md.
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-for-its-own-loopback-server")
os.environ.setdefault("TOTP_ENCRYPTION_KEY", "bench-only-totp-key-for-its-own-loopback-server")

from sqlalchemy import select  # noqa: E402

from bench.roles import grant, server_env  # noqa: E402
from portal import clock, create_app  # noqa: E402
from portal.auth.models import User  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.tenancy.guard import system_scope  # noqa: E402
from portal.tenancy.models import AdminUnit  # noqa: E402
from portal.villages.models import Village  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
COMMUNE, DISTRICT, PROVINCE = "15085", "KV389", "38"  # Xã Thạch Lập, Khu vực Ngọc Lặc (2025 tree)
AREA_OFFICER = "kv.389"  # the demo login of the area (district-level) officer


def database_url(db_kind: str, scale: str) -> str:
    if db_kind == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / f'bench-{scale}.sqlite3'}"
    return f"{PG_BASE}/portal_bench_{scale}"


def build(url: str, scale: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
    else:
        from bench.write_cost import recreate_postgres

        recreate_postgres(url)
    started = time.monotonic()
    for args in (["db", "upgrade"], ["tenants", "sync", "thanh-hoa"]):
        subprocess.run(FLASK + args, env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    load = ["demo", "load"] + (["--scale", "province"] if scale == "province" else [])
    out = subprocess.run(FLASK + load, env=env, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: S603
    subprocess.run(FLASK + ["criteria", "refresh"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    grant(url)
    rows = next((line for line in out.stdout.splitlines() if line.startswith("Rows written")), "")
    print(f"  built {scale} in {time.monotonic() - started:.0f} s. {rows}", flush=True)


class Site:
    """One database, its app, and a logged-in client per role (sessions made as a login makes them)."""

    def __init__(self, url: str):
        env = server_env(url)  # on PostgreSQL as the application role, under row-level security
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"),
                "DATABASE_OWNER_URI": env.get("DATABASE_OWNER_URL"),
                "WTF_CSRF_ENABLED": False,
            }
        )
        self.clients = {}
        for username in ("tinh.ca", AREA_OFFICER, f"xa.{COMMUNE}"):
            client = self.app.test_client()
            with self.app.app_context():
                token = session_token(username)
            with client.session_transaction() as session:
                session["_user_id"] = token
                session["_fresh"] = True
            self.clients[username] = client
        with self.app.app_context(), system_scope(db.session):
            self.village_id = db.session.scalar(
                select(Village.id)
                .join(AdminUnit, AdminUnit.id == Village.commune_id)
                .where(AdminUnit.address == COMMUNE)
            )
        self.writes = 0

    def get(self, user: str, path: str) -> float:
        started = time.perf_counter()
        response = self.clients[user].get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    def write(self, user: str) -> float:
        self.writes += 1
        data = {
            "code": f"BENCH-{time.time_ns()}",
            "representative_name": "Lò Văn Thử",
            "village_id": self.village_id,
            "address": "",
            "members": "4",
        }
        started = time.perf_counter()
        response = self.clients[user].post(f"/u/{COMMUNE}/households/", data=data)
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return elapsed


def session_token(username: str) -> str:
    import hashlib
    import secrets

    from portal.auth.models import UserSession

    with system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == username))
        user.must_change_password = False
        token = secrets.token_urlsafe(32)
        db.session.add(
            UserSession(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                user_id=user.id,
                second_factor_at=clock.utcnow(),  # as after a login with the code from the app
            )
        )
        db.session.commit()
    return token


PAGES = [  # label, user, path (None: a register write)
    ("province page", "tinh.ca", f"/u/{PROVINCE}/"),
    ("district page", AREA_OFFICER, f"/u/{DISTRICT}/"),
    ("commune scorecard (home)", f"xa.{COMMUNE}", f"/u/{COMMUNE}/"),
    ("register list + search", f"xa.{COMMUNE}", f"/u/{COMMUNE}/households/?q=nguyen"),
    ("register write (household)", f"xa.{COMMUNE}", None),
]


def measure(sites: dict, requests: int) -> dict:
    times = {(label, scale): [] for label, _u, _p in PAGES for scale in sites}
    for _label, user, path in PAGES:  # warm up: templates compiled, caches filled
        for site in sites.values():
            site.get(user, path) if path else site.write(user)
    for _ in range(requests):
        for label, user, path in PAGES:
            for scale, site in sites.items():
                times[(label, scale)].append(site.get(user, path) if path else site.write(user))
    return {key: statistics.median(values) * 1000 for key, values in times.items()}


HELLO = """
from flask import Flask
app = Flask(__name__)
@app.get("/")
def hello():
    return "Hello, World!"
"""


SERVED = [  # label, path, logged in: the pages the targets are about, what they ask after, two floors
    ("commune workspace page", f"/u/{COMMUNE}/", True),
    ("  its count of what is due (htmx)", f"/u/{COMMUNE}/due/count", True),
    ("  the menu's inbox count (htmx)", "/inbox/waiting", True),
    ("floor: logged-in page, no data", "/account/password", True),
    ("floor: /healthz (no login, 1 query)", "/healthz", False),
]
# Issue 20's targets, as shares of hello-world (must reach, aim for), and the province page's median (ms)
TARGETS = {"floor: logged-in page, no data": (0.15, 0.25), "commune workspace page": (0.08, 0.12)}
PROVINCE_MEDIAN_MS = (30, 20)


def gunicorn_rps(url: str, seconds: int) -> tuple[dict, float]:
    """Requests per second of the commune workspace page (and of two floors of the stack: a logged-in
    page that reads no register, and the health check), then of hello-world, all under gunicorn -w 2."""
    site = Site(url)
    with site.app.app_context():
        token = session_token(f"xa.{COMMUNE}")
    serializer = site.app.session_interface.get_signing_serializer(site.app)
    # the session as a browser holds it after its first page: with the forms' CSRF token (else every
    # request of the run would make a token and sign a new cookie, which no officer's browser asks for)
    held = {"_user_id": token, "_fresh": True, "csrf_token": secrets.token_hex(20)}
    cookie = f"portal_session={serializer.dumps(held)}"
    workdir = Path(tempfile.mkdtemp())
    (workdir / "hello.py").write_text(HELLO)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    rates = {}
    for module, port, paths, cwd in (
        ("wsgi:app", 8711, SERVED, ROOT),
        ("hello:app", 8712, [("hello-world Flask app", "/", False)], workdir),
    ):
        env = {**server_env(url), "PORTAL_ENV": "production"}
        server = subprocess.Popen(  # noqa: S603
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", module],
            cwd=cwd,
            env=env,
        )
        try:
            time.sleep(3)
            for label, path, logged_in in paths:
                rates[label] = load(port, path, cookie if logged_in else None, seconds)
        finally:
            server.terminate()
            server.wait()
    return rates, rates.pop("hello-world Flask app")


def load(port: int, path: str, cookie: str | None, seconds: int) -> float:
    """wrk when installed (apt-get install wrk); else a keep-alive client in this process."""
    headers = {"Cookie": cookie} if cookie else {}
    if shutil.which("wrk"):
        out = subprocess.run(  # noqa: S603
            [
                shutil.which("wrk"),
                "-t2",
                "-c16",
                f"-d{seconds}s",
                *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "Non-2xx" in out:
            raise RuntimeError(out)
        return float(next(line for line in out.splitlines() if line.startswith("Requests/sec")).split()[1])
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    def worker(deadline):
        conn, done = http.client.HTTPConnection("127.0.0.1", port), 0
        while time.monotonic() < deadline:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            done += 1
        return done

    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(worker, [deadline] * 8))
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=10, help="length of each gunicorn load run")
    parser.add_argument("--reuse", action="store_true", help="keep the databases of an earlier run")
    args = parser.parse_args()
    urls = {scale: database_url(args.db, scale) for scale in ("small", "province")}
    print(f"== {args.db}: building databases" if not args.reuse else f"== {args.db}: reusing databases", flush=True)
    if not args.reuse:
        for scale, url in urls.items():
            build(url, scale)
    sites = {scale: Site(url) for scale, url in urls.items()}
    medians = measure(sites, args.requests)
    print(f"\nMedian server time over {args.requests} requests each ({args.db}):")
    print(f"  {'page':30} {'small demo':>11} {'province':>11} {'ratio':>7}")
    for label, _u, _p in PAGES:
        small, large = medians[(label, "small")], medians[(label, "province")]
        print(f"  {label:30} {small:9.1f}ms {large:9.1f}ms {large / small:6.2f}x")
    rates, hello = gunicorn_rps(urls["province"], args.seconds)
    tool = "wrk -t2 -c16" if shutil.which("wrk") else "8 keep-alive threads"
    print(f"\ngunicorn -w 2, {args.seconds} s each ({tool}), province-scale database:")
    print(f"  {'hello-world Flask app':38} {hello:8.0f} req/s")
    for label, rate in rates.items():
        print(f"  {label:38} {rate:8.0f} req/s  {rate / hello:6.1%} of hello-world")
    print("\nIssue 20's targets:")
    for label, (must, aim) in TARGETS.items():
        share = rates[label] / hello
        verdict = "aim reached" if share >= aim else "met" if share >= must else "NOT met"
        print(f"  {label.strip():38} {share:6.1%} (must {must:.0%}, aim {aim:.0%}): {verdict}")
    median = medians[("province page", "province")]
    must, aim = PROVINCE_MEDIAN_MS
    verdict = "aim reached" if median <= aim else "met" if median <= must else "NOT met"
    label = f"province page, province scale ({args.db})"
    print(f"  {label:38} {median:5.1f} ms (must {must} ms, aim {aim} ms): {verdict}")


if __name__ == "__main__":
    main()
