"""Issue 16's benchmark: `tenants reform` replayed at the province's real scale, in minutes.

    python bench/reform.py [--db sqlite|postgresql]

Builds a fresh database with both trees (`tenants sync`), fills every one of the 547 communes of the 2024
tree with registers at real size as of 30/06/2025 (the generator of `demo load --scale province`: about
1.2 M households), then replays the reform as the command does (plan, move, roles, criteria of the 166
new communes, one commit) and reports the minutes each step took, the rows moved, that every register
holds as many rows as before, and that a second run finds nothing to move. The target: under 10 minutes
on this machine. See bench/README.md.
"""

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-for-its-own-loopback-server")
os.environ.setdefault("TOTP_ENCRYPTION_KEY", "bench-only-totp-key-for-its-own-loopback-server")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
EVE = date(2025, 6, 30)


def _url(kind: str) -> str:
    if kind == "sqlite":
        path = ROOT / "instance" / "bench-reform.sqlite3"
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from bench.write_cost import recreate_postgres

    url = f"{PG_BASE}/portal_bench_reform"
    recreate_postgres(url)
    return url


def _totals(tenant_models, db) -> dict:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in tenant_models}


def _fill_2024_tree(db, AdminUnit) -> None:  # noqa: N803 - the model, passed in after the app is made
    from portal.demo.scale import Batches, fill_commune

    old = db.session.scalars(
        select(AdminUnit).where(AdminUnit.tree == "2024", AdminUnit.level == "commune").order_by(AdminUnit.code)
    ).all()
    batches = Batches()
    for n, commune in enumerate(old, start=1):
        fill_commune(batches, commune, random.Random(f"3822-{commune.code}"), EVE)
        if n % 50 == 0:
            batches.flush()
    batches.flush()
    batches.fix_sequences()
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = _url(args.db)
    from portal import create_app
    from portal.extensions import db
    from portal.tenancy.guard import system_scope, tenant_models
    from portal.tenancy.lineage import sync_lineage, sync_tree_2025
    from portal.tenancy.models import AdminUnit
    from portal.tenancy.sync import read_tree, sync_tree
    from portal.tenants.reform import apply, plan

    app = create_app()
    with app.app_context(), system_scope(db.session):
        upgrade(directory=str(ROOT / "migrations"))
        sync_tree(read_tree("thanh-hoa"), archived=True)
        root = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "38", AdminUnit.tree.is_(None)))
        sync_tree_2025("thanh-hoa", root)
        sync_lineage("thanh-hoa")
        db.session.commit()
        started = time.monotonic()
        _fill_2024_tree(db, AdminUnit)
        before = _totals(tenant_models, db)
        print(f"{args.db}: filled the 2024 tree in {(time.monotonic() - started) / 60:.1f} min: {before}", flush=True)
        started = time.monotonic()
        reform = plan("thanh-hoa")
        planned = time.monotonic()
        apply(reform)
        db.session.commit()
        done = time.monotonic()
        after = _totals(tenant_models, db)
        assert after == before, (before, after)
        again = plan("thanh-hoa")
        assert again.rows == 0 and not again.roles
        print(
            f"{args.db}: replay of {reform.rows:,} rows from {len(reform.moves)} communes: plan "
            f"{(planned - started) / 60:.1f} min, move + criteria + commit {(done - planned) / 60:.1f} min, "
            f"total {(done - started) / 60:.1f} min; every register as many rows as before; a second run: nothing",
            flush=True,
        )


if __name__ == "__main__":
    main()
