"""Backups: the database and the dossier scans in one archive, with a manifest that lets a restore
prove it brought back exactly what was saved.

The archive (`.tar.gz`, written with mode 0600: it holds every register of the province, and sealed to
the recipients' public keys, `.tar.gz.age`, see portal.backups.sealing) contains
`manifest.json` (when, the schema revision, the engine, each member's sha256, and each table's row
count and checksum), the database (SQLite's online backup API, which copies a consistent snapshot
while the portal runs; or `pg_dump --format=custom`), and `attachments/`. A restore checks every
member's hash before touching anything, restores (`pg_restore --single-transaction`, or the SQLite
file put in place atomically), then recomputes the counts and checksums and compares them with the
manifest. A backup restores into the same engine it came from."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from portal import clock
from portal.backups import sealing
from portal.extensions import db
from portal.files import make_private, private_dir
from portal.tenancy.database import grant_app_role, owner_engine, owner_url

MANIFEST, SQLITE_MEMBER, PG_MEMBER, ATTACHMENTS = "manifest.json", "database.sqlite3", "database.pgdump", "attachments"
FORMAT = 1


class BackupError(RuntimeError):
    """The backup or the restore cannot go on; nothing was changed."""


@dataclass
class Restored:
    tables: int
    rows: int
    files: int
    mismatches: list[str]


# Fingerprints ---------------------------------------------------------------------------------------


def fingerprint(connection) -> dict[str, dict]:
    """Each table's row count and a checksum of its rows in primary-key order."""
    inspector = inspect(connection)
    result = {}
    for table in sorted(inspector.get_table_names()):
        keys = inspector.get_pk_constraint(table)["constrained_columns"] or [
            c["name"] for c in inspector.get_columns(table)
        ]
        order = ", ".join(f'"{k}"' for k in keys)
        digest, count = hashlib.sha256(), 0
        for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')):  # noqa: S608 - names from the schema
            digest.update(json.dumps(list(row), default=str, sort_keys=True).encode())
            digest.update(b"\n")
            count += 1
        result[table] = {"rows": count, "sha256": digest.hexdigest()}
    return result


# Backup -----------------------------------------------------------------------------------------------


def make_backup(output: Path, attachments_dir: Path, recipients: list | None = None) -> tuple[Path, dict]:
    """Write the archive, sealed to the recipients' public keys when there are any (the plain archive
    then exists only in a private temporary folder); (its path, its manifest). `output` is a directory
    or a file name."""
    url = owner_url()  # on PostgreSQL the owner: row-level security would hide rows from the portal's role
    stamp = clock.utcnow().strftime("%Y%m%d-%H%M%S")
    name = f"portal-backup-{stamp}.tar.gz" + (sealing.SEALED_SUFFIX if recipients else "")
    path = output / name if output.is_dir() else output
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            dump, member = work / SQLITE_MEMBER, SQLITE_MEMBER
            _sqlite_backup(url.database, dump)
            copy = create_engine(f"sqlite:///{dump}")
            with copy.connect() as connection:  # counted in the copy itself
                tables, revision = _described(connection)
            copy.dispose()
        elif url.get_backend_name() == "postgresql":
            dump, member = work / PG_MEMBER, PG_MEMBER
            # pg_dump reads the snapshot this transaction exported, so the counts are of exactly what it saved
            with owner_engine().connect() as connection:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
                    _run(
                        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                         f"--file={dump}", _libpq(url)]
                    )  # fmt: skip
                    tables, revision = _described(connection)
        else:
            raise BackupError(f"no backup for the {url.get_backend_name()} engine")
        files = sorted(p for p in attachments_dir.iterdir() if p.is_file()) if attachments_dir.is_dir() else []
        manifest = {
            "format": FORMAT,
            "created_at": clock.utcnow().isoformat(),
            "engine": url.get_backend_name(),
            "revision": revision,
            "database": {"member": member, "sha256": _sha256(dump)},
            "attachments": {f"{ATTACHMENTS}/{p.name}": _sha256(p) for p in files},
            "tables": tables,
        }
        plain = work / "backup.tar.gz" if recipients else path
        descriptor = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=member)
            for file in files:
                archive.add(file, arcname=f"{ATTACHMENTS}/{file.name}")
        if recipients:
            sealing.seal(plain, path, recipients)
    return path, manifest


def _described(connection) -> tuple[dict, str]:
    return fingerprint(connection), connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_backup(database: str, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections read and write."""
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()


# Restore ----------------------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> dict:
    with tarfile.open(archive_path, "r:gz") as archive:
        try:
            return json.load(archive.extractfile(MANIFEST))
        except (KeyError, ValueError) as exc:
            raise BackupError("not a portal backup: no readable manifest") from exc


def restore_backup(archive_path: Path, attachments_dir: Path, *, replace: bool, identities=None) -> Restored:
    url = owner_url()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if sealing.is_sealed(archive_path):
            if not identities:
                raise BackupError("this backup is encrypted: give the identity file (--identity)")
            try:
                sealing.unseal(archive_path, work / "backup.tar.gz", identities)
            except sealing.SealError as exc:
                raise BackupError(str(exc)) from exc
            archive_path = work / "backup.tar.gz"
        manifest = _unpack_checked(archive_path, work)
        if manifest["engine"] != url.get_backend_name():
            raise BackupError(f"this backup is of {manifest['engine']}; the portal runs on {url.get_backend_name()}")
        with owner_engine().connect() as connection:
            existing = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        if existing and not replace:
            raise BackupError("the database is not empty: restore into an empty one, or say --replace")
        db.session.remove()
        db.engine.dispose()
        owner_engine().dispose()
        dump = work / manifest["database"]["member"]
        if manifest["engine"] == "sqlite":
            target = Path(url.database)
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(dump, staged)
            make_private(staged)
            for suffix in ("-wal", "-shm"):  # a stale write-ahead log must not be replayed over the copy
                Path(str(target) + suffix).unlink(missing_ok=True)
            os.replace(staged, target)
        else:
            _run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                 f"--dbname={_libpq(url)}", str(dump)]
            )  # fmt: skip
        private_dir(attachments_dir)
        for member in manifest["attachments"]:
            target = attachments_dir / Path(member).name
            shutil.copyfile(work / member, target)
            make_private(target)
    with owner_engine().begin() as connection:
        grant_app_role(connection, db.engine.url)  # pg_restore --no-privileges left the application role none
        restored = fingerprint(connection)
    mismatches = [
        f"{table}: {saved['rows']} rows saved, {restored.get(table, {}).get('rows')} restored"
        if saved["rows"] != restored.get(table, {}).get("rows")
        else f"{table}: rows differ"
        for table, saved in manifest["tables"].items()
        if restored.get(table) != saved
    ]
    return Restored(len(restored), sum(t["rows"] for t in restored.values()), len(manifest["attachments"]), mismatches)


def _unpack_checked(archive_path: Path, work: Path) -> dict:
    """Extract only the members the manifest names, each checked against its hash."""
    manifest = read_manifest(archive_path)
    expected = {manifest["database"]["member"]: manifest["database"]["sha256"], **manifest["attachments"]}
    for name in expected:
        if name not in (SQLITE_MEMBER, PG_MEMBER) and not (
            name.startswith(ATTACHMENTS + "/") and "/" not in name[len(ATTACHMENTS) + 1 :] and ".." not in name
        ):
            raise BackupError(f"unexpected member {name!r} in the manifest")
    with tarfile.open(archive_path, "r:gz") as archive:
        for name, digest in expected.items():
            try:
                source = archive.extractfile(name)
            except KeyError as exc:
                raise BackupError(f"{name} is missing from the archive") from exc
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            if _sha256(target) != digest:
                raise BackupError(f"{name} does not match its checksum: the archive is damaged or altered")
    return manifest


# Helpers ----------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - fixed programs
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[-500:]}") from exc
