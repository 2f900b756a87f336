"""Issue 7's benchmark: importing 50,000 households against openpyxl alone reading the same file, in the
same run, alternating, and the peak memory of the import's worker process.

    python bench/imports.py [--db sqlite|postgresql] [--rows 50000] [--rounds 3]

Each round runs, in fresh processes of their own: (1) openpyxl reading every row of the file
(`load_workbook(read_only=True)`, `iter_rows(values_only=True)`), the cheapest honest read; (2) the
import's commit phase exactly as the portal runs it (`portal.imports.jobs.run(job, "commit")`: read,
check every row, bulk-insert, audit, recompute the commune's criteria, commit), timed inside the
process, with the process's peak resident memory from wait4 and that of its sheet-reading process
(a fork, so its resident pages include those it shares with the worker). The households are deleted between
rounds. Prints the medians and the ratio. See bench/README.md.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-for-its-own-loopback-server")
os.environ.setdefault("TOTP_ENCRYPTION_KEY", "bench-only-totp-key-for-its-own-loopback-server")

COMMUNE = "15085"
OFFICER = "xa.bench"
VILLAGES = [f"Thôn {n}" for n in range(1, 21)]
HEADERS = ["Mã hộ", "Chủ hộ", "Thôn", "Địa chỉ", "Số nhân khẩu"]
PG_BASE = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def make_file(path: Path, rows: int) -> None:
    """As Excel and LibreOffice save it: with the sheet's <dimension> at its top. (A write-only openpyxl
    file has none, and openpyxl then scans the whole sheet on opening it, which would flatter the ratio.)"""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Hộ gia đình"
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        sheet.append([f"QT-{n:06d}", f"Nguyễn Văn Hộ {n}", VILLAGES[n % len(VILLAGES)], f"Xóm {n % 30 + 1}", n % 7 + 1])
    book.save(path)


def read_only(path: str) -> dict:
    """Child: openpyxl alone."""
    from openpyxl import load_workbook

    started = time.perf_counter()
    book = load_workbook(path, read_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return {"seconds": time.perf_counter() - started, "rows": count}


def import_job(job_id: int) -> dict:
    """Child: the import's commit phase, as the worker runs it."""
    from portal import clock, create_app
    from portal.imports import jobs

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        jobs.run(job_id, jobs.COMMIT, clock.today())
        seconds = time.perf_counter() - started
    # the sheet's reading process, a fork of this one (its resident pages include those it shares)
    return {"seconds": seconds, "reader_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def child(args: list[str], env: dict) -> tuple[dict, float]:
    """Run this script as a child; (what it printed, its peak resident memory in MB)."""
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"child {args} failed")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def setup(url: str, imports_dir: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).unlink(missing_ok=True)
    else:
        from bench.write_cost import recreate_postgres

        recreate_postgres(url)
    officer = [
        "accounts",
        "create",
        OFFICER,
        "--role",
        "commune_officer",
        "--unit",
        COMMUNE,
        "--password",
        "Bench-3822-import",
    ]
    for args in (["db", "upgrade"], ["tenants", "sync", "thanh-hoa"], officer):
        subprocess.run(flask + args, env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    from portal import create_app
    from portal.extensions import db
    from portal.shell.text import fold
    from portal.tenancy.guard import system_scope
    from portal.tenancy.models import AdminUnit
    from portal.villages.models import Village

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context(), system_scope(db.session):
        commune = db.session.query(AdminUnit).filter_by(code=COMMUNE).one()
        for name in VILLAGES:
            db.session.add(Village(commune_id=commune.id, name=name, kind="village", search_key=fold(name)))
        db.session.commit()
    imports_dir.mkdir(parents=True, exist_ok=True)


def prepare_round(url: str, source: Path, imports_dir: Path) -> int:
    """No household in the commune, and a job about to commit the file."""
    from sqlalchemy import delete, select

    from portal import create_app
    from portal.auth.models import User
    from portal.extensions import db
    from portal.imports.models import COMMITTING, ImportJob
    from portal.tenancy.guard import system_scope
    from portal.tenancy.models import AdminUnit
    from portal.villages.models import Household, HouseholdCommitment

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context(), system_scope(db.session):
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.address == COMMUNE))
        db.session.execute(delete(HouseholdCommitment).where(HouseholdCommitment.commune_id == commune.id))
        db.session.execute(delete(Household).where(Household.commune_id == commune.id))
        officer = db.session.scalar(select(User).where(User.username == OFFICER))
        stored = f"bench-{time.time_ns()}.xlsx"
        shutil.copy(source, imports_dir / stored)
        job = ImportJob(
            commune_id=commune.id,
            user_id=officer.id,
            register="households",
            filename=source.name,
            stored_name=stored,
            size=source.stat().st_size,
            sha256="0" * 64,
            state=COMMITTING,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    with app.app_context():
        db.engine.dispose()
    return job_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = ROOT / "instance" / "bench-import"
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"households-{args.rows}-v2.xlsx"
    if not source.exists():
        make_file(source, args.rows)
    url = f"sqlite:///{work / 'import.sqlite3'}" if args.db == "sqlite" else f"{PG_BASE}/portal_bench_import"
    imports_dir = work / "jobs"
    print(f"{args.rows:,} households, {source.stat().st_size / 2**20:.1f} MB, on {args.db}; setting up…", flush=True)
    setup(url, imports_dir)
    env = {**os.environ, "DATABASE_URL": url, "IMPORTS_DIR": str(imports_dir)}
    reads, imports, memory = [], [], []
    for round_ in range(1, args.rounds + 1):
        job_id = prepare_round(url, source, imports_dir)
        read, read_mb = child(["--read", str(source)], env)
        assert read["rows"] == args.rows + 1
        done, import_mb = child(["--import-job", str(job_id)], env)
        reads.append(read["seconds"])
        imports.append(done["seconds"])
        memory.append((import_mb, done["reader_mb"]))
        print(
            f"  round {round_}: openpyxl read {read['seconds']:.2f} s ({read_mb:.0f} MB), "
            f"import {done['seconds']:.2f} s (worker {import_mb:.0f} MB, its sheet reader {done['reader_mb']:.0f} MB)",
            flush=True,
        )
    check_committed(url, args.rows)
    read, imported = statistics.median(reads), statistics.median(imports)
    print(f"openpyxl alone, median: {read:.2f} s")
    print(f"import (read, check, write, commit), median: {imported:.2f} s")
    print(f"ratio import / openpyxl: {imported / read:.2f}  (target at most 2.00)")
    worker, reader = max(m[0] for m in memory), max(m[1] for m in memory)
    print(f"worker peak memory: {worker:.0f} MB, its sheet reader {reader:.0f} MB  (target under 300 MB)")


def check_committed(url: str, rows: int) -> None:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.imports.models import ImportJob
    from portal.tenancy.guard import system_scope
    from portal.villages.models import Household

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context(), system_scope(db.session):
        job = db.session.scalar(select(ImportJob).order_by(ImportJob.id.desc()).limit(1))
        count = db.session.scalar(select(func.count(Household.id)).where(Household.commune_id == job.commune_id))
        if job.state != "committed" or job.added != rows or count != rows:
            raise SystemExit(f"the import did not commit every row: {job.state}, {job.added}, {count}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        print(json.dumps(read_only(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "--import-job":
        print(json.dumps(import_job(int(sys.argv[2]))))
    else:
        main()
