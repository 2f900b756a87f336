"""Issue 8's load scenario: 50 officers at once on the province-scale database, under gunicorn.

    python bench/load.py [--db postgresql|sqlite] [--users 50] [--seconds 120] [--workers 2]

The database is the one `bench/rollups.py` builds (`demo load --scale province`); build it first. This
script then, in a process of its own (no gevent there), gives every simulated officer an account and a
live session as a login with the second factor leaves it, serves the portal with `gunicorn -w 2` on
loopback as the application role, and drives it with locust (headless, as a library) for `--seconds`:

- commune officers (40 of 50, each in a commune of their own): the scorecard, register lists, a search,
  a person's record, and now and then a new household (a write through the form, CSRF token and all);
- district officers (7): their district's matrix, a commune's scorecard, a criterion's drill-down;
- province officers (3): the province page, a district page, the recognition list.

Each officer waits 1-5 s between pages, as people read what they open. It prints, per page and per
group (register pages, roll-ups), the requests, p50, p95 and the error rate. Targets (issue 8): 0 errors,
p95 under 500 ms for register pages and under 1 s for roll-ups at province scale with 50 users.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from portal import clock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "load-bench-secret-for-its-own-loopback-server"  # noqa: S105 - the benchmark's own server on loopback
TOTP_KEY = "load-bench-totp-key-for-its-own-loopback-server"  # noqa: S105
# the same keys for every process of the run: the grant stores the reach's signing key derived from them
os.environ.setdefault("SECRET_KEY", SECRET)
os.environ.setdefault("TOTP_ENCRYPTION_KEY", TOTP_KEY)
PROVINCE = "38"


def prepare(url: str, users: int, out: Path) -> None:
    """Accounts and sessions for every simulated officer, written to `out` as JSON (cookies and paths)."""
    import hashlib
    import secrets

    from sqlalchemy import select

    from bench.roles import server_env
    from portal import create_app
    from portal.auth.models import RoleAssignment, User, UserSession
    from portal.auth.passwords import hash_password
    from portal.extensions import db
    from portal.tenancy.guard import set_reach, system_scope
    from portal.tenancy.models import AdminUnit
    from portal.villages.models import Village

    env = server_env(url)
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "TOTP_ENCRYPTION_KEY": TOTP_KEY,
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"),
            "DATABASE_OWNER_URI": env.get("DATABASE_OWNER_URL"),
        }
    )
    rng = random.Random(3822)
    serializer = app.session_interface.get_signing_serializer(app)
    counts = {"commune": round(users * 0.8), "district": round(users * 0.14)}
    counts["province"] = users - counts["commune"] - counts["district"]
    password = hash_password("load-bench-password-2026")
    officers = []
    with app.app_context(), system_scope(db.session):
        units = db.session.scalars(select(AdminUnit).where(AdminUnit.path.startswith(f"/{PROVINCE}/"))).all()
        communes = [u for u in units if u.level == "commune"]
        districts = [u for u in units if u.level == "district"]
        province = next(u for u in units if u.level == "province")
        chosen = {
            "commune": rng.sample(communes, counts["commune"]),
            "district": rng.sample(districts, counts["district"]),
            "province": [province] * counts["province"],
        }
        role_of = {"commune": "commune_officer", "district": "district_officer", "province": "province_officer"}
        for level, places in chosen.items():
            for n, unit in enumerate(places):
                username = f"load.{level}.{n}"
                user = db.session.scalar(select(User).where(User.username == username))
                if user is None:
                    user = User(username=username, full_name=username, password_hash=password)
                    user.totp_secret, user.totp_enabled_at = "LOADBENCHSECRETLOADBENCHSECRET23", clock.utcnow()
                    db.session.add(user)
                if [(a.role, a.unit_id) for a in user.assignments] != [(role_of[level], unit.id)]:
                    user.assignments.clear()  # a run with another number of officers chose other units
                    db.session.flush()
                    user.assignments.append(RoleAssignment(role=role_of[level], unit=unit))
                token = secrets.token_urlsafe(32)
                db.session.add(
                    UserSession(
                        token_hash=hashlib.sha256(token.encode()).hexdigest(),
                        user=user,
                        second_factor_at=clock.utcnow(),
                    )
                )
                officer = {"level": level, "unit": unit.code, "cookie": serializer.dumps({"_user_id": token})}
                if level == "commune":
                    officer["villages"] = [
                        v for v in db.session.scalars(select(Village.id).where(Village.commune_id == unit.id))
                    ]
                if level == "district":
                    officer["communes"] = [c.code for c in communes if c.parent_id == unit.id]
                if level == "province":
                    officer["districts"] = [d.code for d in districts]
                    officer["communes"] = [c.code for c in communes]
                officers.append(officer)
        db.session.commit()
        # a person's record per commune officer, to open now and then
        from portal.persons.models import Person

        for officer in officers:
            if officer["level"] == "commune":
                unit = db.session.scalar(select(AdminUnit).where(AdminUnit.address == officer["unit"]))
                set_reach(db.session, read=frozenset({unit.id}))
                officer["persons"] = list(
                    db.session.scalars(select(Person.id).where(Person.commune_id == unit.id).limit(20))
                )
    out.write_text(json.dumps(officers))


def serve(url: str, workers: int, port: int, log: Path) -> subprocess.Popen:
    from bench.roles import grant, server_env

    grant(url)
    env = {**server_env(url), "SECRET_KEY": SECRET, "TOTP_ENCRYPTION_KEY": TOTP_KEY, "PORTAL_ENV": "production"}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    server = subprocess.Popen(  # noqa: S603
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310 - loopback
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def drive(host: str, officers: list[dict], seconds: int) -> None:
    import gevent
    from locust import HttpUser, between, events, task
    from locust.env import Environment
    from locust.stats import StatsEntry

    pools = {level: [o for o in officers if o["level"] == level] for level in ("commune", "district", "province")}
    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')

    class Officer(HttpUser):
        abstract = True
        wait_time = between(1, 5)
        level = ""

        def on_start(self):
            self.me = pools[self.level].pop()
            # the header itself: the server's cookie is Secure (production), which a client keeps off plain HTTP
            self.client.headers["Cookie"] = f"portal_session={self.me['cookie']}"
            self.client.headers["Accept-Language"] = "vi"

        def page(self, path: str, name: str):
            with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code} on {path}")
                self.keep_session(response)
                return response

        def keep_session(self, response):
            """The session as the server last wrote it (it holds the CSRF token once a form was shown)."""
            renewed = response.cookies.get("portal_session")
            if renewed:
                self.client.headers["Cookie"] = f"portal_session={renewed}"

    class CommuneOfficer(Officer):
        weight = len(pools["commune"])
        level = "commune"

        @task(3)
        def scorecard(self):
            self.page(f"/u/{self.me['unit']}/", "register: commune home (scorecard)")

        @task(3)
        def households(self):
            self.page(f"/u/{self.me['unit']}/households/?page={random.randint(1, 5)}", "register: households list")

        @task(2)
        def search(self):
            q = random.choice(["nguyen", "le van", "tran thi", "hoang", "pham"])
            self.page(f"/u/{self.me['unit']}/persons/?q={q}", "register: persons search")

        @task(1)
        def person(self):
            if self.me["persons"]:
                pid = random.choice(self.me["persons"])
                self.page(f"/u/{self.me['unit']}/persons/{pid}", "register: a person's record")

        @task(1)
        def drug_tests(self):
            self.page(f"/u/{self.me['unit']}/tests/", "register: drug tests list")

        @task(1)
        def add_household(self):
            form = self.page(f"/u/{self.me['unit']}/households/", "register: households list")
            token = csrf.search(form.text or "")
            if not token or not self.me["villages"]:
                return
            data = {
                "csrf_token": token.group(1),
                "code": f"LOAD-{time.time_ns()}",
                "representative_name": "Lò Văn Thử",
                "village_id": random.choice(self.me["villages"]),
                "address": "",
                "members": "4",
            }
            with self.client.post(
                f"/u/{self.me['unit']}/households/",
                data=data,
                name="register: add a household (write)",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"{response.status_code} on the household form")
                self.keep_session(response)

    class DistrictOfficer(Officer):
        weight = len(pools["district"])
        level = "district"

        @task(3)
        def matrix(self):
            self.page(f"/u/{self.me['unit']}/", "roll-up: district page")

        @task(2)
        def commune(self):
            self.page(f"/u/{random.choice(self.me['communes'])}/", "register: commune scorecard (district)")

        @task(1)
        def drill_down(self):
            code = random.choice(["C1", "C3a", "C4", "H1"])
            self.page(f"/u/{random.choice(self.me['communes'])}/criteria/{code}/", "register: criterion drill-down")

    class ProvinceOfficer(Officer):
        weight = len(pools["province"])
        level = "province"

        @task(3)
        def province(self):
            self.page(f"/u/{PROVINCE}/", "roll-up: province page")

        @task(2)
        def district(self):
            self.page(f"/u/{random.choice(self.me['districts'])}/", "roll-up: district page")

        @task(1)
        def recognition(self):
            self.page(f"/u/{PROVINCE}/recognition/", "roll-up: recognition by commune")

    classes = [c for c in (CommuneOfficer, DistrictOfficer, ProvinceOfficer) if c.weight]
    env = Environment(user_classes=classes, host=host, events=events)
    runner = env.create_local_runner()
    runner.start(len(officers), spawn_rate=10)
    gevent.sleep(seconds)
    runner.quit()

    entries = sorted(env.stats.entries.values(), key=lambda e: e.name)
    groups = {"register": StatsEntry(env.stats, "register pages", ""), "roll-up": StatsEntry(env.stats, "roll-ups", "")}
    print(f"\n{'page':45} {'requests':>8} {'errors':>7} {'p50':>7} {'p95':>7}")
    for entry in entries:
        groups[entry.name.split(":")[0]].extend(entry)
        print(_row(entry))
    print()
    for entry in groups.values():
        print(_row(entry))
    total = env.stats.total
    print(f"\nall: {total.num_requests} requests in {seconds} s ({total.num_requests / seconds:.1f}/s), "
          f"{total.num_failures} errors ({100 * total.fail_ratio:.2f}%)")  # fmt: skip
    for error in env.stats.errors.values():
        print(f"  error: {error.name}: {error.error} x{error.occurrences}")
    reg, roll = groups["register"], groups["roll-up"]
    ok = (
        total.num_failures == 0
        and reg.get_response_time_percentile(0.95) < 500
        and roll.get_response_time_percentile(0.95) < 1000
    )
    print("targets (0 errors, p95 < 500 ms register pages, < 1 s roll-ups):", "met" if ok else "NOT met")


def _row(entry) -> str:
    p50, p95 = entry.get_response_time_percentile(0.5), entry.get_response_time_percentile(0.95)
    return f"{entry.name:45} {entry.num_requests:8d} {entry.num_failures:7d} {p50:6.0f}ms {p95:6.0f}ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)  # internal: the preparing process's output file
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_ENV", "development")
    if args.db == "sqlite":  # the databases bench/rollups.py builds
        url = f"sqlite:///{ROOT / 'instance' / 'bench-province.sqlite3'}"
    else:
        url = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432") + "/portal_bench_province"
    if args.prepare:
        prepare(url, args.users, Path(args.prepare))
        return
    import locust  # noqa: F401 - first: it patches the standard library for gevent

    work = Path(tempfile.mkdtemp(prefix="portal-load-"))
    print(f"== load: {args.users} officers for {args.seconds} s on {args.db} (province scale), "
          f"gunicorn -w {args.workers}", flush=True)  # fmt: skip
    subprocess.run(  # noqa: S603 - this script, in a process without gevent
        [
            sys.executable,
            __file__,
            "--db",
            args.db,
            "--users",
            str(args.users),
            "--prepare",
            str(work / "officers.json"),
        ],
        check=True,
        cwd=ROOT,
    )
    officers = json.loads((work / "officers.json").read_text())
    server = serve(url, args.workers, args.port, work / "gunicorn.log")
    try:
        drive(f"http://127.0.0.1:{args.port}", officers, args.seconds)
    finally:
        server.terminate()
        server.wait()
    logged = (work / "gunicorn.log").read_text()
    if "Error handling request" in logged or "Traceback" in logged:
        print(f"server errors logged: see {work / 'gunicorn.log'}")


if __name__ == "__main__":
    main()
