"""The command-line tools: tree sync, accounts, demo data."""

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.demo.cli import DEMO_PASSWORD
from portal.drug_tests.models import MissedCase
from portal.extensions import db
from portal.imports.models import ImportJob
from portal.incidents.models import Incident
from portal.tenancy.guard import system_scope, tenant_models
from portal.villages.models import Village


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


@pytest.mark.clock
def test_tree_sync_then_demo_load_twice_changes_nothing_the_second_time(app):
    first = _run(app, "tenants", "sync", "thanh-hoa")
    assert first.exit_code == 0 and "created 574" in first.output
    assert "unchanged 574" in _run(app, "tenants", "sync", "thanh-hoa").output
    demo = _run(app, "demo", "load")
    assert demo.exit_code == 0, demo.output
    assert "xa.15085" in demo.output and "kv.389" in demo.output and "admin" in demo.output
    with app.app_context(), system_scope(db.session):
        villages = db.session.scalar(select(func.count(Village.id)))
        users = db.session.scalar(select(func.count(User.id)))
        assert villages > 20 and db.session.scalar(select(func.count(Village.id)).where(Village.is_demo)) == villages
    with app.app_context(), system_scope(db.session):
        for model in tenant_models:  # every register of every demo commune has rows
            per_commune = dict(
                db.session.execute(select(model.commune_id, func.count(model.id)).group_by(model.commune_id)).all()
            )
            # an import job is no register; an incident or a missed case is what a commune should not have
            assert len(per_commune) == 3 or model in (Incident, MissedCase, ImportJob), model
        before = {m: db.session.scalar(select(func.count(m.id))) for m in tenant_models}
    assert _run(app, "demo", "load").exit_code == 0
    with app.app_context(), system_scope(db.session):
        assert db.session.scalar(select(func.count(Village.id))) == villages
        assert db.session.scalar(select(func.count(User.id))) == users
        assert {m: db.session.scalar(select(func.count(m.id))) for m in tenant_models} == before


def test_demo_load_outside_development_needs_its_flag_and_demo_accounts_change_their_password(app):
    _run(app, "tenants", "sync", "thanh-hoa")
    app.config["PORTAL_ENV"] = "production"
    try:
        refused = _run(app, "demo", "load", "--communes", "15085")
        assert refused.exit_code != 0 and "--i-know-this-is-not-production" in refused.output
        with app.app_context(), system_scope(db.session):
            assert db.session.scalar(select(func.count(User.id))) == 0
        assert _run(app, "demo", "load", "--communes", "15085", "--i-know-this-is-not-production").exit_code == 0
    finally:
        app.config["PORTAL_ENV"] = "testing"
    with app.app_context(), system_scope(db.session):
        demo_users = db.session.scalars(select(User)).all()
        assert demo_users and all(u.must_change_password for u in demo_users)
    client = app.test_client()
    client.post("/login", data={"username": "xa.15085", "password": DEMO_PASSWORD})
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")


def test_demo_load_for_named_communes_and_refuses_unknown_codes(app):
    _run(app, "tenants", "sync", "thanh-hoa")
    result = _run(app, "demo", "load", "--communes", "15142,15148")
    assert result.exit_code == 0 and "Xã Cẩm Thạch" in result.output and "kv.390" in result.output
    bad = _run(app, "demo", "load", "--communes", "99999,KV389,15133")  # 15133: Cẩm Thành, merged in 2025
    assert bad.exit_code != 0 and "99999" in bad.output and "KV389" in bad.output and "15133" in bad.output


def test_users_create_list_disable(app, world):
    created = _run(
        app,
        "accounts",
        "create",
        "canbo.moi",
        "--role",
        "commune_officer",
        "--unit",
        "15076",
        "--password",
        "Đồng lúa Vân Am 2025",
    )
    assert created.exit_code == 0, created.output
    listing = _run(app, "accounts", "list").output
    assert "canbo.moi" in listing and "commune_officer@15076" in listing
    assert _run(app, "accounts", "disable", "canbo.moi").exit_code == 0
    assert "disabled" in [line for line in _run(app, "accounts", "list").output.splitlines() if "canbo.moi" in line][0]


def test_users_create_asks_for_the_password_when_not_given(app, world):
    result = _run(
        app,
        "accounts",
        "create",
        "hoi.matkhau",
        "--role",
        "commune_viewer",
        "--unit",
        "15085",
        input="Mưa rừng Ngọc Lặc 99\nMưa rừng Ngọc Lặc 99\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), system_scope(db.session):
        user = db.session.scalar(select(User).where(User.username == "hoi.matkhau"))
        assert verify_password(user.password_hash, "Mưa rừng Ngọc Lặc 99")


def test_users_create_refuses_bad_input(app, world):
    assert (
        _run(
            app,
            "accounts",
            "create",
            "x.y",
            "--role",
            "commune_officer",
            "--unit",
            "15076",
            "--password",
            "password123",
        ).exit_code
        != 0
    )
    result = _run(
        app,
        "accounts",
        "create",
        "dung.ten",
        "--role",
        "commune_officer",
        "--unit",
        "389",
        "--password",
        "Đồng lúa Vân Am 2025",
    )
    assert result.exit_code != 0 and "unit_code" in result.output


def test_users_import_creates_all_or_nothing(app, world, tmp_path):
    book = Workbook()
    book.active.append(["Tên đăng nhập", "Họ và tên", "Vai trò", "Mã đơn vị"])
    book.active.append(["xa.a1", "Nguyễn A", "commune_officer", "15085"])
    book.active.append(["xa.a1", "Nguyễn B", "commune_officer", "15085"])
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    bad = _run(app, "accounts", "import", str(path))
    assert bad.exit_code == 1 and "row 3, username" in bad.output
    book.active.delete_rows(3)
    book.save(path)
    good = _run(app, "accounts", "import", str(path))
    assert good.exit_code == 0 and good.output.startswith("xa.a1\t")


def test_the_groups_old_names_still_run_but_are_not_listed(app):
    """Cron lines written for `metrics refresh` and scripts calling `users …` keep working."""
    listing = _run(app, "--help").output
    assert "accounts" in listing and "criteria" in listing
    assert "metrics" not in listing and "users" not in listing
    assert _run(app, "metrics", "refresh").exit_code == 0
    assert _run(app, "users", "list").exit_code == 0
    assert _run(app, "criteria", "refresh").exit_code == 0
