"""`backup` then `restore` into a fresh database: every table's count and checksum and every dossier
scan come back; a damaged archive or a database that is not empty is refused and left as it was."""

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal import create_app
from portal.backups.archive import fingerprint
from portal.extensions import db
from portal.tenancy.database import dispose_engines
from tests.conftest import ROOT, _fresh_postgres, database_config
from tests.world import PASSWORD, UNITS


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


@pytest.fixture
def target(owner_database_url, tmp_path):
    """A second, empty portal: its own database (same engine) and its own scans folder."""
    if owner_database_url.startswith("postgresql"):
        url = _fresh_postgres(owner_database_url.rsplit("/", 1)[0] + "/portal_test_restore")
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            **database_config(url),
            "ATTACHMENTS_DIR": str(tmp_path / "restored-scans"),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        dispose_engines()


def _fingerprint(app) -> dict:
    """Every table's rows and checksum, read as the owner (row-level security hides nothing)."""
    engine = create_engine(app.config.get("DATABASE_OWNER_URI") or app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        found = fingerprint(connection)
    engine.dispose()
    return found


def test_backup_then_restore_into_a_fresh_database_gives_back_every_row_and_scan(app, world, target, tmp_path):
    made = _run(app, "backup", "--output", str(tmp_path), "--unencrypted")
    assert made.exit_code == 0, made.output
    archive = next(tmp_path.glob("portal-backup-*.tar.gz"))
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # every register of the province is in it
    with tarfile.open(archive) as members:
        names = members.getnames()
    assert "manifest.json" in names and any(n.startswith("attachments/") for n in names)

    restored = _run(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "verified" in restored.output
    source, copy = (
        _fingerprint(app),
        _fingerprint(target),
    )
    assert {t for t, v in source.items() if v["rows"]} >= {"person", "household", "dossier", "audit_event"}
    backed_up = {t: v for t, v in source.items()}
    backed_up.pop("audit_event")  # the backup itself is recorded, after the archive was made
    assert {t: v for t, v in copy.items() if t != "audit_event"} == backed_up
    scans = Path(app.config["ATTACHMENTS_DIR"])
    for name in os.listdir(target.config["ATTACHMENTS_DIR"]):
        assert (Path(target.config["ATTACHMENTS_DIR"]) / name).read_bytes() == (scans / name).read_bytes()
    assert len(os.listdir(target.config["ATTACHMENTS_DIR"])) == len([p for p in scans.iterdir() if p.is_file()])
    # the restored portal answers: a member of the world's commune logs in and sees its commune
    client = target.test_client()
    assert client.post("/login", data={"username": "viewer_a", "password": PASSWORD}).status_code == 302
    assert "Xã Quang Trung" in client.get("/u/15085/").get_data(as_text=True)


def test_a_damaged_archive_is_refused_before_anything_changes(app, world, target, tmp_path):
    assert _run(app, "backup", "--output", str(tmp_path / "b.tar.gz"), "--unencrypted").exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(tmp_path / "b.tar.gz") as source, tarfile.open(damaged, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("database"):
                middle = len(data) // 2  # a hundred bytes of the dump flipped (zeros over zeros would change nothing)
                data = data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 100]) + data[middle + 100 :]
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    result = _run(target, "restore", str(damaged))
    assert result.exit_code != 0 and "does not match its checksum" in result.output
    with target.app_context():
        with db.engine.connect() as connection:
            assert not [t for t in db.inspect(connection).get_table_names() if t != "alembic_version"]


def test_a_database_that_is_not_empty_is_not_overwritten_without_replace(app, world, target, tmp_path):
    assert _run(app, "backup", "--output", str(tmp_path / "b.tar.gz"), "--unencrypted").exit_code == 0
    with target.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        dispose_engines()
    result = _run(target, "restore", str(tmp_path / "b.tar.gz"))
    assert result.exit_code != 0 and "not empty" in result.output
    with target.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM admin_unit")).scalar() == 0
    replaced = _run(target, "restore", str(tmp_path / "b.tar.gz"), "--replace", input="y\n")
    assert replaced.exit_code == 0, replaced.output
    with target.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM admin_unit")).scalar() == len(UNITS)


def test_a_backup_is_encrypted_to_a_public_key_and_only_its_identity_restores_it(app, world, target, tmp_path):
    """A stolen backup file reveals nothing: it is age-encrypted to the recipient's public key; restore
    takes the identity file; a plain archive needs its own flag and says so."""
    from pyrage import x25519

    identity, stranger = x25519.Identity.generate(), x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"# kept off the server\n{identity}\n")
    (tmp_path / "stranger.txt").write_text(f"{stranger}\n")
    refused = _run(app, "backup", "--output", str(tmp_path / "plain.tar.gz"))
    assert refused.exit_code != 0 and "--recipient" in refused.output and not (tmp_path / "plain.tar.gz").exists()
    made = _run(app, "backup", "--output", str(tmp_path), "--recipient", str(identity.to_public()))
    assert made.exit_code == 0, made.output
    sealed = next(tmp_path.glob("portal-backup-*.tar.gz.age"))
    data = sealed.read_bytes()
    assert data.startswith(b"age-encryption.org/v1") and stat.S_IMODE(os.stat(sealed).st_mode) == 0o600
    assert b"manifest.json" not in data and b"Quang Trung" not in data
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tar.gz")] == []  # no plain copy left
    without = _run(target, "restore", str(sealed))
    assert without.exit_code != 0 and "--identity" in without.output
    wrong = _run(target, "restore", str(sealed), "--identity", str(tmp_path / "stranger.txt"))
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    restored = _run(target, "restore", str(sealed), "--identity", str(tmp_path / "key.txt"))
    assert restored.exit_code == 0 and "verified" in restored.output, restored.output
    plain = _run(app, "backup", "--output", str(tmp_path / "plain.tar.gz"), "--unencrypted")
    assert plain.exit_code == 0 and "WARNING" in plain.output
