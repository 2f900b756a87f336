"""Large exports on the job queue (PostgreSQL, JOB_QUEUE=postgresql): the request only asks, a worker
started apart writes the file, and the officer who asked downloads exactly what the direct export gives.
On the embedded SQLite default every export is written at once (tests/registers/test_export.py)."""

import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from portal import clock
from portal.audit.models import AuditEvent
from portal.auth.models import RoleAssignment
from portal.exports import jobs as export_jobs
from portal.exports.models import ExportJob
from portal.extensions import db
from portal.tenancy.guard import system_scope
from portal.villages.models import Household, Village
from tests.deployment.processes import work_the_queue
from tests.world import canary


@pytest.fixture
def queued_exports(app, world, dialect):
    """Exports of more than one row go to the queue."""
    if dialect != "postgresql":
        pytest.skip("the job queue runs on PostgreSQL")
    app.config.update(JOB_QUEUE="postgresql", EXPORT_QUEUE_ROWS=1)
    yield
    app.config.update(JOB_QUEUE="process", EXPORT_QUEUE_ROWS=5000)


def _rows(data: bytes) -> list[list]:
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]


def _exports(app) -> list:
    with app.app_context(), system_scope(db.session):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()


def test_a_large_export_is_written_by_a_worker_and_downloaded_by_its_officer(app, world, login, queued_exports):
    a = world.unit_code["A"]
    officer = login("officer_a")
    direct = officer.get(f"/u/{a}/persons/export.xlsx")  # the world's one person: small, written at once
    assert direct.status_code == 200 and len(_exports(app)) == 1
    listed = f"/u/{a}/households/export.xlsx?q="
    with app.app_context(), system_scope(db.session):  # two households: more than the queue's threshold
        village = db.session.scalar(select(Village).where(Village.commune_id == world.unit_id["A"]))
        db.session.add(
            Household(
                commune_id=world.unit_id["A"],
                code="Q-1",
                representative_name="Hà Văn Xếp",
                village_id=village.id,
                search_key="q-1 ha van xep",
            )
        )
        db.session.commit()

    with app.app_context(), system_scope(db.session):  # the world's ready exports of A and B, two days old
        db.session.execute(update(ExportJob).values(requested_at=clock.utcnow() - timedelta(days=2)))
        db.session.commit()
    asked = officer.get(listed)
    assert asked.status_code == 302 and f"/u/{a}/exports/" in asked.headers["Location"]
    with app.app_context(), system_scope(db.session):  # a new export clears its own commune's stale ones only
        kept = set(db.session.scalars(select(ExportJob.id).where(ExportJob.rows.is_not(None))))
    assert kept == {world.export_id["B"], world.export_id["C"]}
    page_path = asked.headers["Location"]
    page = officer.get(page_path).get_data(as_text=True)
    assert "stage-queued" in page and 'hx-trigger="every 2s"' in page  # followed until it is written
    assert officer.get(page_path + "/file.xlsx").status_code == 404  # nothing to download yet
    assert len(_exports(app)) == 1  # the export is recorded when its file is written, not before

    work_the_queue(app)

    page = officer.get(page_path).get_data(as_text=True)
    assert "stage-ready" in page and "every 2s" not in page
    queued = officer.get(page_path + "/file.xlsx")
    assert queued.status_code == 200 and queued.mimetype.endswith("spreadsheetml.sheet")
    app.config.update(EXPORT_QUEUE_ROWS=5000)
    at_once = officer.get(listed)
    assert at_once.status_code == 200
    assert _rows(queued.data) == _rows(at_once.data) and len(_rows(queued.data)) == 3  # header and two rows
    recorded = [e for e in _exports(app) if json.loads(e.after or "{}").get("queued")]
    assert len(recorded) == 1 and json.loads(recorded[0].after)["rows"] == 2
    assert recorded[0].user_id == world.user_id["officer_a"] and recorded[0].unit_id == world.unit_id["A"]

    for other in ("viewer_a", "officer_b"):  # the job is its officer's alone
        assert login(other).get(page_path + "/file.xlsx").status_code == 404


def test_a_written_export_is_downloaded_and_goes_with_the_privacy_sweep_after_a_day(app, world, login):
    """On either database: the privacy sweep removes every export kept over a day, file and all."""
    a = world.unit_code["A"]
    officer = login("officer_a")
    page = officer.get(f"/u/{a}/exports/{world.export_id['A']}").get_data(as_text=True)
    assert "stage-ready" in page
    assert canary("A") in str(_rows(officer.get(f"/u/{a}/exports/{world.export_id['A']}/file.xlsx").data))
    with app.app_context(), system_scope(db.session):
        db.session.execute(
            update(ExportJob)
            .where(ExportJob.id != world.export_id["C"])
            .values(requested_at=clock.utcnow() - timedelta(days=1, minutes=1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "sweep"])
    assert result.exit_code == 0 and "removed 2 exports" in result.output, result.output
    with app.app_context(), system_scope(db.session):
        left = db.session.scalars(select(ExportJob.id)).all()
    assert left == [world.export_id["C"]]
    assert officer.get(f"/u/{a}/exports/{world.export_id['A']}").status_code == 404


def _queued(app, world, register: str, by: str = "viewer_a", personal: bool = False) -> int:
    with app.app_context(), system_scope(db.session):
        job = ExportJob(
            commune_id=world.unit_id["A"],
            requested_by_id=world.user_id[by],
            register=register,
            selection={"query": "", "filters": {}, "sort": "", "deleted": False},
            personal=personal,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def test_the_workers_run_writes_as_its_requester_may_see_and_a_failure_records_no_export(app, world, login):
    """`export_jobs.run`, as the worker's process calls it (on either database): a viewer's export leaves
    out the personal columns; a job that fails keeps no file and records no export."""
    day = clock.today()
    written, broken = _queued(app, world, "persons"), _queued(app, world, "no-such-register")
    before = len(_exports(app))
    with app.app_context():
        export_jobs.run(written, day)
        with pytest.raises(KeyError):
            export_jobs.run(broken, day)
    with app.app_context(), system_scope(db.session):
        done, failed = db.session.get(ExportJob, written), db.session.get(ExportJob, broken)
        assert (done.state, done.rows, failed.state, failed.file) == ("ready", 1, "failed", None)
        rows = _rows(done.file)
    assert len(_exports(app)) == before + 1
    at_once = login("viewer_a").get(f"/u/{world.unit_code['A']}/persons/export.xlsx")
    assert rows == _rows(at_once.data) and len(rows) == 2  # as the viewer's own: no personal column


def test_an_export_whose_requester_lost_the_right_while_it_waited_writes_nothing(app, world, login):
    """The worker asks again, when it takes the job, what its requester may read now: an officer made a
    viewer while two exports waited gets the one without personal columns; the other writes no file,
    records no export, and its page says why."""
    day = clock.today()
    personal = _queued(app, world, "persons", by="officer_a", personal=True)
    plain = _queued(app, world, "persons", by="officer_a")
    with app.app_context(), system_scope(db.session):
        assignment = db.session.get(RoleAssignment, world.assignment_id["officer_a"])
        assignment.role = "commune_viewer"
        db.session.commit()
    before = len(_exports(app))
    with app.app_context():
        export_jobs.run(personal, day)
        export_jobs.run(plain, day)
    with app.app_context(), system_scope(db.session):
        refused, written = db.session.get(ExportJob, personal), db.session.get(ExportJob, plain)
        assert (refused.state, refused.file, refused.message) == ("failed", None, "not allowed")
        assert (written.state, written.rows) == ("ready", 1)
    assert len(_exports(app)) == before + 1
    page = login("officer_a").get(f"/u/{world.unit_code['A']}/exports/{personal}").get_data(as_text=True)
    assert 'id="export-not-allowed"' in page and "Vai trò của bạn không còn cho phép" in page


def test_when_the_queue_cannot_take_an_export_the_officer_is_told_and_no_job_waits(app, world, login, dialect):
    """A queue that cannot be reached (here the embedded database, which is no PostgreSQL, named as the
    queue's: a real failed connection): the list comes back with the reason, and the job says it failed."""
    if dialect != "sqlite":
        pytest.skip("the portal's own PostgreSQL is the queue's: reachable")
    a = world.unit_code["A"]
    officer = login("officer_a")
    app.config.update(JOB_QUEUE="postgresql", EXPORT_QUEUE_ROWS=0)
    try:
        answer = officer.get(f"/u/{a}/households/export.xlsx")
    finally:
        app.config.update(JOB_QUEUE="process", EXPORT_QUEUE_ROWS=5000)
        app.extensions.pop("portal.queue", None)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/u/{a}/households/")
    assert "hàng đợi" in officer.get(answer.headers["Location"]).get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        states = db.session.scalars(select(ExportJob.state).where(ExportJob.rows.is_(None))).all()
    assert states == ["failed"]


def test_an_export_no_worker_takes_says_so_after_five_minutes(app, world, login):
    """Its page keeps following it, and after five minutes says that no worker has taken it."""
    job_id = _queued(app, world, "households")
    with app.app_context(), system_scope(db.session):
        db.session.get(ExportJob, job_id).requested_by_id = world.user_id["officer_a"]
        db.session.commit()
    officer = login("officer_a")
    page_path = f"/u/{world.unit_code['A']}/exports/{job_id}"
    page = officer.get(page_path).get_data(as_text=True)
    assert "stage-queued" in page and "export-unclaimed" not in page
    with app.app_context(), system_scope(db.session):
        db.session.get(ExportJob, job_id).requested_at = clock.utcnow() - timedelta(minutes=6)
        db.session.commit()
    page = officer.get(page_path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "export-unclaimed" in page and 'hx-trigger="every 2s"' in page
