"""Helpers of the import tests: real .xlsx files made here, uploads through the portal, waiting for the
job's own process to end."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import clock
from portal.extensions import db
from portal.imports.jobs import wait_for_workers
from portal.imports.models import ImportJob
from portal.shell.text import fold
from portal.tenancy.guard import system_scope
from portal.villages.models import Village

VILLAGES = ("Làng Mới", "Thôn Chiềng")
HOUSEHOLD_HEADERS = ["Mã hộ", "Chủ hộ", "Thôn", "Địa chỉ", "Số nhân khẩu"]


def xlsx(rows, *, title: str = "Sheet1") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def households(n: int, *, start: int = 1, village: str = "Làng Mới") -> list[list]:
    return [[f"LM-{i:05d}", f"Nguyễn Văn {i}", village, f"Xóm {i % 9 + 1}", i % 6 + 1] for i in range(start, start + n)]


@pytest.fixture
def commune(app, world):
    """Commune A of the world with two villages named as real files name them."""
    with app.app_context(), system_scope(db.session):
        for name in VILLAGES:
            db.session.add(Village(commune_id=world.unit_id["A"], name=name, kind="village", search_key=fold(name)))
        db.session.commit()
    return world.unit_code["A"]


def upload(client, code: str, register: str, data: bytes, name: str = "tep.xlsx"):
    """The body encoded here, in memory: the test client spools a large one to a file it never closes."""
    boundary, body = encode_multipart({"register": register, "file": FileStorage(io.BytesIO(data), name)})
    return client.post(f"/u/{code}/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def job_id_of(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))


def finished(app, job_id: int) -> ImportJob:
    """The job once its process has ended, as the database holds it."""
    wait_for_workers()
    with app.app_context(), system_scope(db.session):
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        return job


def checked(app, client, code, register, data, name="tep.xlsx") -> ImportJob:
    return finished(app, job_id_of(upload(client, code, register, data, name)))


def confirm(app, client, code, job: ImportJob) -> ImportJob:
    response = client.post(f"/u/{code}/imports/{job.id}/confirm", data={"version": str(job.lock_version)})
    assert response.status_code == 302
    return finished(app, job.id)


def count(app, model, **where) -> int:
    with app.app_context(), system_scope(db.session):
        stmt = select(func.count(model.id)).where(model.deleted_at.is_(None))
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.scalar(stmt)


def today() -> date:
    return clock.today()
