"""`flask --app wsgi backup [--output DIR|FILE]` and `flask --app wsgi restore FILE [--replace]`."""

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app

from portal.audit.actions import record
from portal.backups.archive import BackupError, make_backup, restore_backup
from portal.extensions import db

commands = Blueprint("backups_cli", __name__, cli_group=None)


@commands.cli.command("backup")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="a directory (the archive is named by the time) or a file; default: instance/backups/",
)
def backup_command(output):
    """Save the database and the dossier scans in one archive (mode 0600), with counts and checksums."""
    output = output or Path(current_app.instance_path) / "backups"
    if not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
    try:
        path, manifest = make_backup(output, Path(current_app.config["ATTACHMENTS_DIR"]))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(t["rows"] for t in manifest["tables"].values())
    record("backup", object_type="backup", after={"file": path.name, "rows": rows, "revision": manifest["revision"]})
    db.session.commit()
    click.echo(f"{path} ({path.stat().st_size:,} bytes): {len(manifest['tables'])} tables, {rows:,} rows, "
               f"{len(manifest['attachments'])} attachments, schema {manifest['revision']}")  # fmt: skip


@commands.cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="replace the data of a database that is not empty")
def restore_command(archive, replace):
    """Restore an archive made by `backup` into this portal's database, then verify every table."""
    if replace:
        click.confirm(f"Replace every row of {db.engine.url.render_as_string()} with the backup?", abort=True)
    try:
        restored = restore_backup(archive, Path(current_app.config["ATTACHMENTS_DIR"]), replace=replace)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {restored.tables} tables, {restored.rows:,} rows, {restored.files} attachments")
    if restored.mismatches:
        for line in restored.mismatches:
            click.echo(f"MISMATCH {line}", err=True)
        sys.exit(1)
    click.echo("verified: every table's row count and checksum match the backup")
