"""Files that hold personal data are the portal's own (issue 19, finding 8): the SQLite database, dossier
attachments and uploaded import sheets are 0600 in 0700 directories whatever the umask; a download is
named by the type found in its content, not the uploader's extension (finding 6)."""

import io
import os
import stat
from pathlib import Path

from portal.extensions import db
from portal.files import private_dir
from portal.imports.jobs import wait_for_workers
from portal.recognition.models import Attachment
from portal.tenancy.guard import system_scope
from tests.imports.conftest import HOUSEHOLD_HEADERS, households, upload, xlsx

A = "15085"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_attachments_and_uploads_are_private_and_a_download_is_named_by_its_content(app, world, login):
    previous = os.umask(0o022)  # a server's usual umask: files 0644 unless the portal says otherwise
    try:
        client = login("officer_a")
        started = client.post(f"/u/{A}/recognition/new", data={"period": "2026"})
        dossier_id = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        url = f"/u/{A}/recognition/{dossier_id}/attachments"
        pdf = b"%PDF-1.7\n" + b"0" * 64
        assert client.post(url, data={"file": (io.BytesIO(pdf), "poly.html")}).status_code == 302
        with app.app_context(), system_scope(db.session):  # a dossier's files are bound by row-level security
            attachment = db.session.query(Attachment).filter_by(dossier_id=dossier_id).one()
        store = Path(app.config["ATTACHMENTS_DIR"])
        assert _mode(store / attachment.stored_name) == 0o600 and _mode(store) == 0o700
        download = client.get(f"{url}/{attachment.id}")
        assert download.data == pdf and 'filename="poly.pdf"' in download.headers["Content-Disposition"]
        assert ".html" not in download.headers["Content-Disposition"]
        uploads = Path(app.config["IMPORTS_DIR"])  # where a sheet is checked, and read by its job's process
        before = set(uploads.iterdir()) if uploads.exists() else set()  # other tests leave files of their own
        assert upload(client, A, "households", xlsx([HOUSEHOLD_HEADERS, *households(1)])).status_code == 302
        wait_for_workers()
        left = [p for p in set(uploads.iterdir()) - before if p.suffix == ".xlsx"]
        assert _mode(uploads) == 0o700 and not left  # the sheet waits in its job's row, not on this disk
    finally:
        os.umask(previous)


def test_the_sqlite_database_is_private_and_a_shared_directory_is_left_alone(app, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        with db.engine.connect():
            path = Path(db.engine.url.database)
        assert _mode(path) == 0o600
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o1777)  # noqa: S103 - like /tmp: sticky and open to all, the case under test
    private_dir(shared)
    assert _mode(shared) == 0o1777
    own = private_dir(tmp_path / "own")
    assert _mode(own) == 0o700
