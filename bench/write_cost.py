"""What keeping the results current costs a register write (issue 4's target: at most 1.5x).

The same HTTP writes run alternately with the kept results switched on and off, in one process on one
database (SQLite by default, PostgreSQL with DATABASE_URL=postgresql://...), on a demo commune with its
full registers; medians of many, printed with their ratio. Run: python bench/write_cost.py [rounds]
"""

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "development")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

import portal.criteria.results as kept_results  # noqa: E402
from portal import create_app, listeners  # noqa: E402
from portal.demo.cli import _demo_villages, demo_accounts  # noqa: E402
from portal.demo.registers import fill_commune  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.persons.models import Person  # noqa: E402
from portal.tenancy.guard import system_scope  # noqa: E402
from portal.tenancy.models import AdminUnit  # noqa: E402
from portal.tenancy.sync import TENANTS_DIR, read_tree, sync_tree  # noqa: E402
from portal.villages.models import Household, Village  # noqa: E402

COMMUNE = "15085"


def recreate_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    base, name = url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build_app():
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'bench-write.sqlite3'}"
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).unlink(missing_ok=True)
        Path(url[len("sqlite:///") :]).parent.mkdir(exist_ok=True)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"), "WTF_CSRF_ENABLED": False}
    )
    if url.startswith("postgresql"):
        recreate_postgres(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with system_scope(db.session):
            sync_tree(read_tree("thanh-hoa"))
            province = db.session.scalar(select(AdminUnit).where(AdminUnit.address == "38"))
            kept_results.load_default_criteria(province, TENANTS_DIR / "thanh-hoa" / "criteria.json")
            commune = db.session.scalar(select(AdminUnit).where(AdminUnit.address == COMMUNE))
            _demo_villages(commune, 3822)
            fill_commune(commune, 3822)
            demo_accounts([commune])
            db.session.commit()
            kept_results.refresh_commune(commune.id)
            db.session.commit()
    return app


def writes(app):
    """Three kinds of write: one no criterion reads, a commitment (C4), a status episode (C1, C1b, C3a)."""
    with app.app_context(), system_scope(db.session):
        village = db.session.scalar(select(Village.id).where(Village.commune_id != 0).limit(1))
        households = db.session.scalars(select(Household.code)).all()
        person = db.session.scalar(select(Person.id).limit(1))
    counter = iter(range(10**6))
    versions: dict[str, int] = {}

    def village_rename(client):
        n = next(counter)
        seen = versions.setdefault("village", 1)
        versions["village"] += 1  # each save moves the row's version on by one
        return client.post(
            f"/u/{COMMUNE}/villages/{village}",
            data={"name": f"Thôn Đo {n}", "kind": "village", "head_name": "", "version": str(seen)},
        )

    def commitment(client):
        n = next(counter)
        return client.post(
            f"/u/{COMMUNE}/household-commitments/",
            data={
                "household_code": households[n % len(households)],
                "campaign": str(2000 + n // len(households)),
                "signed_on": "01/02/2020",
                "signer_name": "",
                "refusal_reason": "",
            },
        )

    def episode(client):
        n = next(counter)
        start = date(1990, 1, 1) + timedelta(days=3 * n)
        return client.post(
            f"/u/{COMMUNE}/episodes/",
            data={
                "person_id": person,
                "kind": "released_offender",
                "started_on": start.strftime("%d/%m/%Y"),
                "ended_on": (start + timedelta(days=1)).strftime("%d/%m/%Y"),
                "end_reason": "other",
                "term_months": "",
                "post_rehab_after": "",
                "decision_number": "",
                "decision_on": "",
                "decision_signer": "",
                "notes": "",
            },
        )

    return {
        "village (no criterion)": village_rename,
        "household commitment (C4)": commitment,
        "status episode (C1, C1b, C3a)": episode,
    }


def main(rounds: int) -> None:
    app = build_app()
    client = app.test_client()
    client.post("/login", data={"username": f"xa.{COMMUNE}", "password": "ThanhHoa-3822-demo"})
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; {rounds} writes of each kind each way")
    print(f"{'write':32} {'kept (ms)':>10} {'not kept (ms)':>14} {'ratio':>7}")
    worst = 0.0
    for name, write in writes(app).items():
        timings = {True: [], False: []}
        for i in range(rounds * 2):
            keep = i % 2 == 0  # alternate, so that both see the same machine load
            hooks = () if keep else (kept_results.remember_written_communes, kept_results.keep_results_current)
            with listeners.without(*hooks):
                started = time.perf_counter()
                response = write(client)
                timings[keep].append(time.perf_counter() - started)
            assert response.status_code == 302, (name, response.status_code)
        on, off = statistics.median(timings[True]) * 1000, statistics.median(timings[False]) * 1000
        worst = max(worst, on / off)
        print(f"{name:32} {on:10.2f} {off:14.2f} {on / off:7.2f}")
    print(f"worst ratio {worst:.2f} (target: at most 1.50)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
