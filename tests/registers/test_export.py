"""Exporting a register to .xlsx: the list's filters, no live formula, personal columns only for roles
that may see them, an audit row per export, flat memory, and a file that imports back unchanged."""

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from portal import clock
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.imports.specs import SPECS
from portal.registers.access import list_statement
from portal.registers.export import write_export
from portal.registers.registry import REGISTERS
from portal.tenancy.guard import set_reach, system_scope
from portal.tenancy.models import AdminUnit
from portal.villages.models import Household, Village
from portal.workspace.registers import load_registers
from tests.imports.conftest import checked
from tests.world import canary

load_registers()  # the registry, for the parametrisation below


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment;" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data)).active


def _rows(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("slug", sorted(REGISTERS))
def test_every_register_exports_its_rows(app, world, session_for, slug):
    client = session_for("officer_a")
    sheet = _sheet(client.get(f"/u/{world.unit_code['A']}/{slug}/export.xlsx"))
    rows = _rows(sheet)
    assert len(rows) == 2 and all(isinstance(h, str) and h for h in rows[0])  # the header, the world's one row
    assert not any(canary("B") in str(v) or canary("C") in str(v) for v in rows[1])


def test_export_follows_the_filters_and_search_and_is_audited(app, world, session_for):
    client = session_for("officer_a")
    code = world.unit_code["A"]
    with app.app_context(), system_scope(db.session):
        village = db.session.scalar(select(Village).where(Village.commune_id == world.unit_id["A"]))
        other = Village(commune_id=world.unit_id["A"], name="Làng Khác", kind="village", search_key="lang khac")
        db.session.add(other)
        db.session.flush()
        for n in range(3):
            db.session.add(
                Household(
                    commune_id=world.unit_id["A"],
                    code=f"K-{n}",
                    representative_name=f"Hà Văn {n}",
                    village_id=other.id,
                    search_key=f"k-{n} ha van {n}",
                )
            )
        db.session.add(
            Household(
                commune_id=world.unit_id["A"],
                code="F-1",
                representative_name='=HYPERLINK("http://x","y")',
                address="+84 912",
                village_id=village.id,
                search_key="f-1",
            )
        )
        db.session.commit()
        other_id = other.id
    sheet = _sheet(client.get(f"/u/{code}/households/export.xlsx?village={other_id}"))
    rows = _rows(sheet)
    assert rows[0] == ["Mã hộ", "Đại diện hộ gia đình", "Thôn", "Địa chỉ", "Số nhân khẩu"]
    assert sorted(r[0] for r in rows[1:]) == ["K-0", "K-1", "K-2"] and {r[2] for r in rows[1:]} == {"Làng Khác"}
    assert [r[0] for r in _rows(_sheet(client.get(f"/u/{code}/households/export.xlsx?q=ha+van+1")))[1:]] == ["K-1"]
    formula_row = next(r for r in _rows(_sheet(client.get(f"/u/{code}/households/export.xlsx?q=f-1")))[1:])
    assert formula_row[1] == '\'=HYPERLINK("http://x","y")' and formula_row[3] == "'+84 912"
    with app.app_context(), system_scope(db.session):
        audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert len(audits) == 3 and all(a.user_id == world.user_id["officer_a"] for a in audits)
        assert '"rows": 3' in audits[0].after and f'"village": "{other_id}"' in audits[0].after


def test_a_viewer_exports_no_personal_column(app, world, session_for):
    code = world.unit_code["A"]
    viewer = _rows(_sheet(session_for("viewer_a").get(f"/u/{code}/persons/export.xlsx")))
    assert viewer[0] == ["Giới tính", "Thôn nơi cư trú"]
    officer = _rows(_sheet(session_for("officer_a").get(f"/u/{code}/persons/export.xlsx")))
    assert officer[0][:4] == ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD"]
    assert officer[1][0] == f"Nguyễn Văn {canary('A')}" and officer[1][3] == "038090000001"
    # the viewer's file holds no name anywhere, not even in the shared strings
    raw = session_for("viewer_a").get(f"/u/{code}/persons/export.xlsx").data
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        text = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert f"Thôn {canary('A')}" in text  # the village is not personal
    assert f"Nguyễn Văn {canary('A')}" not in text and f"Nhà {canary('A', 2)}" not in text
    tests = _rows(_sheet(session_for("viewer_a").get(f"/u/{code}/tests/export.xlsx")))
    assert "Kết quả" not in tests[0] and "Số CCCD" not in tests[0]
    # a viewer's search on personal data is not applied either: the filter itself would tell
    assert len(_rows(_sheet(session_for("viewer_a").get(f"/u/{code}/persons/export.xlsx?q=zzz")))) == 2


def test_an_exported_register_imports_back_unchanged(app, world, session_for):
    client = session_for("officer_a")
    code = world.unit_code["A"]
    exported = client.get(f"/u/{code}/households/export.xlsx").data
    job = checked(app, client, code, "households", exported)
    assert (job.state, job.to_add, job.to_update, job.unchanged, job.refused_rows) == ("checked", 0, 0, 1, 0)


def _export_peak(app, world, rows: int) -> int:
    with app.app_context():
        with system_scope(db.session):
            village_id = db.session.scalar(select(Village.id).where(Village.commune_id == world.unit_id["A"]))
            now = clock.utcnow()
            db.session.execute(
                insert(Household),
                [
                    {
                        "commune_id": world.unit_id["A"],
                        "code": f"M-{rows}-{n}",
                        "representative_name": f"Người {n}",
                        "village_id": village_id,
                        "address": "Xóm",
                        "members": 3,
                        "search_key": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(rows)
                ],
            )
            db.session.commit()
        unit = db.session.get(AdminUnit, world.unit_id["A"])
        set_reach(db.session, read=frozenset({unit.id}), write=frozenset(), actor_id=None)
        register = REGISTERS["households"]
        tracemalloc.start()
        path, count = write_export(register, list_statement(register, unit), True, SPECS["households"])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        path.unlink()
        db.session.rollback()
    assert count >= rows
    return peak


def test_export_memory_stays_flat_as_the_register_grows(app, world):
    small = _export_peak(app, world, 1_000)
    large = _export_peak(app, world, 10_000)  # 11,001 rows in all: eleven times as many
    assert large < small * 2, (small, large)
