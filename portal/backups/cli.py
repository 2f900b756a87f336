"""`flask --app wsgi backup [--output DIR|FILE] [--recipient age1…]` and
`flask --app wsgi restore FILE [--identity KEYFILE] [--replace]`."""

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app

from portal.audit.actions import record
from portal.backups import sealing
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
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="an age public key (age1…) or a file of them, to encrypt to; default: BACKUP_RECIPIENTS",
)
@click.option("--unencrypted", is_flag=True, help="write a plain archive (it holds every register: avoid)")
def backup_command(output, recipients, unencrypted):
    """Save the database and the dossier scans in one archive (mode 0600), with counts and checksums,
    encrypted to the recipients' public keys."""
    recipients = recipients or tuple(r for r in current_app.config["BACKUP_RECIPIENTS"].split(",") if r.strip())
    if not recipients and not unencrypted:
        raise click.ClickException(
            "refused: a backup holds every register; give --recipient age1… (or BACKUP_RECIPIENTS) to encrypt it, "
            "or say --unencrypted"
        )
    try:
        keys = sealing.recipients_from(recipients)
    except sealing.SealError as error:
        raise click.ClickException(str(error)) from error
    if not keys:
        click.echo("WARNING: this backup is not encrypted; whoever gets the file reads every register.", err=True)
    output = output or Path(current_app.instance_path) / "backups"
    if not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
    try:
        path, manifest = make_backup(output, Path(current_app.config["ATTACHMENTS_DIR"]), keys)
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
@click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the age identity file (AGE-SECRET-KEY-1…) that opens an encrypted backup",
)
def restore_command(archive, replace, identity):
    """Restore an archive made by `backup` into this portal's database, then verify every table."""
    try:
        identities = sealing.identities_from(identity) if identity else None
    except sealing.SealError as error:
        raise click.ClickException(str(error)) from error
    if replace:
        click.confirm(f"Replace every row of {db.engine.url.render_as_string()} with the backup?", abort=True)
    attachments = Path(current_app.config["ATTACHMENTS_DIR"])
    try:
        restored = restore_backup(archive, attachments, replace=replace, identities=identities)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {restored.tables} tables, {restored.rows:,} rows, {restored.files} attachments")
    if restored.mismatches:
        for line in restored.mismatches:
            click.echo(f"MISMATCH {line}", err=True)
        sys.exit(1)
    click.echo("verified: every table's row count and checksum match the backup")
