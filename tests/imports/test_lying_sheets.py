"""Finding 3 of the second red team: a 5 KB workbook whose <dimension> lies, and jobs judged interrupted
whose process still ran. Each reader runs in a child process under hard limits (memory, CPU): before the
fix the account sheet grew past 2.6 GB and the commune import spun a core for about ten minutes."""

import io
import json
import re
import resource
import socket
import subprocess
import sys
import time
import zipfile

from openpyxl import Workbook

from portal.extensions import db
from portal.imports import jobs
from portal.imports.models import ImportJob
from portal.tenancy.guard import system_scope

ACCOUNT_HEADERS = ["Tên đăng nhập", "Họ và tên", "Vai trò", "Mã đơn vị"]


def lying_workbook(dimension: str, last_row: int) -> bytes:
    """A valid two-row sheet that declares `dimension` and has one more cell, on `last_row`."""
    book = Workbook()
    book.active.append(ACCOUNT_HEADERS)
    book.active.append(["nguyen.van.a", "Nguyễn Văn A", "commune_officer", "15085"])
    plain = io.BytesIO()
    book.save(plain)
    source, out = zipfile.ZipFile(io.BytesIO(plain.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), data)
                extra = f'<row r="{last_row}"><c r="A{last_row}" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", extra.encode() + b"</sheetData>")
                assert dimension.encode() in data
            target.writestr(item, data)
    return out.getvalue()


def _limited(memory_mb: int, cpu_seconds: int):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    return limit


def _run_limited(code: str, path, memory_mb: int = 600, cpu_seconds: int = 20) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited(memory_mb, cpu_seconds),  # noqa: PLW1509 - limits only, no threads involved
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_an_account_sheet_declaring_a1_xfd20000_is_read_within_600_mb(tmp_path):
    path = tmp_path / "tai-khoan.xlsx"
    path.write_bytes(lying_workbook("A1:XFD20000", 20000))
    assert path.stat().st_size < 6000
    code = (
        "import sys; from portal.accounts.sheet import _rows_from_xlsx; "
        "rows = _rows_from_xlsx(open(sys.argv[1], 'rb').read(), 5000); "
        "print(len(rows), max(len(r) for r in rows))"
    )
    rows, widest = map(int, _run_limited(code, path).split())
    assert rows == 3  # header, the account, and the cell on row 20,000: nothing lost, nothing padded
    assert widest <= 64


def test_a_commune_import_declaring_a1_xfd1048576_is_read_in_seconds_of_cpu(tmp_path):
    path = tmp_path / "ho-gia-dinh.xlsx"
    path.write_bytes(lying_workbook("A1:XFD1048576", 1048576))
    code = (
        "import io, pickle, sys; from portal.imports.sheet_reader import main; out = io.BytesIO(); "
        "main(sys.argv[1], out); out.seek(0); messages = []\n"
        "while True:\n"
        "    try: messages.append(pickle.load(out))\n"
        "    except EOFError: break\n"
        "rows = [row for m in messages if isinstance(m, list) for row in m]\n"
        "print(messages[0][0], [number for number, _ in rows])"
    )
    assert _run_limited(code, path) == "header [2, 1048576]"


def _job_with_process(app, commune_id: int, argv) -> tuple[int, subprocess.Popen]:
    """A job judged silent (its progress 2 minutes old) whose process, started here, still runs;
    `argv(job_id)` is the process's command line."""
    with app.app_context(), system_scope(db.session):
        job = ImportJob(
            commune_id=commune_id, register="households", filename="treo.xlsx",
            stored_name=f"treo-{time.time_ns()}.xlsx",
            size=1, sha256="0" * 64, state="checking", host=socket.gethostname(),
        )
        db.session.add(job)
        db.session.flush()
        process = subprocess.Popen(argv(job.id), start_new_session=True)  # noqa: S603 - fixed test commands
        job.pid = process.pid
        db.session.commit()
        jobs.write_progress(job, "check", 1, 10)
        progress = jobs.progress_of(job)
        progress["at"] = time.time() - 120
        jobs._progress_path(job).write_text(json.dumps(progress))
        return job.id, process


def test_a_job_judged_interrupted_has_its_worker_killed_and_stops_counting(app, world):
    app.config["IMPORT_MAX_RUNNING"] = 1
    try:
        def sleeper(job_id):
            return [sys.executable, "-c", "import time; time.sleep(120)", jobs.WORKER_MODULE, str(job_id), "check"]

        job_id, worker = _job_with_process(app, world.unit_id["A"], sleeper)
        with app.app_context():
            assert jobs.running_count() == 0  # settled: interrupted, and its process killed
            jobs.check_capacity()  # a new import may start
        assert worker.wait(timeout=10) == -9
        with app.app_context(), system_scope(db.session):
            assert db.session.get(ImportJob, job_id).state == "interrupted"
    finally:
        app.config["IMPORT_MAX_RUNNING"] = 2


def test_a_pid_the_system_gave_to_another_program_is_never_killed(app, world):
    other, process = _job_with_process(app, world.unit_id["A"], lambda job_id: ["sleep", "30"])
    try:
        with app.app_context():
            assert jobs.running_count() == 0
            with system_scope(db.session):
                assert db.session.get(ImportJob, other).state == "interrupted"
        assert process.poll() is None  # not the job's worker: left alone
    finally:
        process.kill()
        process.wait()
