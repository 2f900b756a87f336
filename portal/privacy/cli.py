"""`flask --app wsgi privacy sweep [--dry-run]`: the retention of identity (portal.privacy.retention).

Run it nightly beside `criteria refresh` (the README has the cron line). `--dry-run` lists who would be
pseudonymised and changes nothing; a real run records one audit row per person."""

import click
from flask import Blueprint

from portal import clock
from portal.audit import actions as audit
from portal.exports.jobs import forget_stale_exports
from portal.extensions import db
from portal.privacy.retention import run_sweep
from portal.shell.i18n import format_day
from portal.tenancy.guard import system_scope

commands = Blueprint("privacy_cli", __name__, cli_group="privacy")


@commands.cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="list who would be pseudonymised; change nothing")
def sweep_command(dry_run):
    """Pseudonymise the people off every list for longer than their province keeps identity; remove the
    files of queued exports kept over a day."""
    today = clock.today()
    with system_scope(db.session):
        sweep = run_sweep(today, dry_run=dry_run)
        if dry_run:
            audit.record("privacy_sweep_dry_run", object_type="person", after={"due": len(sweep.due)})
        else:
            exports = forget_stale_exports()  # queued exports' files kept over a day
        db.session.commit()
    for person_id, commune_id, last_day in sweep.due:
        click.echo(f"person {person_id} (commune {commune_id}): off every list since {format_day(last_day)}")
    verb = "would pseudonymise" if dry_run else "pseudonymised"
    click.echo(f"{verb} {len(sweep.due)} people as of {format_day(today)}")
    if not dry_run:
        click.echo(f"removed {exports} exports kept over a day")
