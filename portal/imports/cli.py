"""`flask --app wsgi import REGISTER FILE --commune CODE [--dry-run]`: the same check and the same
all-or-nothing commit as the web import, for the province's staff who onboard communes in bulk.

Exit status: 0 when rows were committed, 1 when the file or any row is refused (nothing committed),
3 when there was nothing to commit (a dry run, or every row already as the file has it)."""

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.actions import record
from portal.extensions import db
from portal.imports.files import FileRefused, check_archive
from portal.imports.plan import build_plan
from portal.imports.specs import SPECS
from portal.imports.write import commit_plan
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit

commands = Blueprint("imports_cli", __name__, cli_group=None)
REFUSED, NOTHING = 1, 3


@commands.cli.command("import")
@click.argument("register", type=click.Choice(sorted(SPECS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commune", "commune_code", required=True, help="code of the commune whose register it fills")
@click.option("--dry-run", is_flag=True, help="check and print the preview; commit nothing")
def import_command(register, file, commune_code, dry_run):
    """Import an Excel sheet into one register of one commune, all or nothing."""
    spec = SPECS[register]
    with system_scope(db.session):
        commune = db.session.scalar(
            select(AdminUnit).where(AdminUnit.address == commune_code, AdminUnit.level == "commune")
        )
        if commune is None:
            raise click.ClickException(_("No commune has the code %(code)s.", code=commune_code))
        try:
            if file.stat().st_size > current_app.config["IMPORT_MAX_BYTES"]:
                raise FileRefused(
                    _("The file is larger than %(mb)d MB.", mb=current_app.config["IMPORT_MAX_BYTES"] // 2**20)
                )
            check_archive(file, current_app.config["IMPORT_MAX_UNPACKED"])
            plan = build_plan(
                spec,
                commune,
                file,
                max_rows=current_app.config["IMPORT_MAX_ROWS"],
                progress=lambda done, total: click.echo(_("checked %(done)d rows", done=done), err=True),
            )
        except FileRefused as refused:
            click.echo(_("File refused: %(reason)s", reason=refused.message), err=True)
            sys.exit(REFUSED)
        click.echo(f"{spec.title} · {commune.name} ({commune.code}) · {file.name}")
        click.echo(
            _(
                "%(total)d rows: %(add)d to add, %(update)d to update, %(same)d unchanged, %(refused)d refused",
                total=plan.total,
                add=len(plan.adds),
                update=len(plan.updates),
                same=plan.unchanged,
                refused=plan.refused_rows,
            )
        )
        if plan.example_skipped:
            click.echo(_("The template's example row was skipped."))
        for update in plan.updates:
            labels = {c.key: str(c.label) for c in spec.columns}
            changes = "; ".join(f"{labels.get(k, k)}: {update.before.get(k)} → {v}" for k, v in update.changes.items())
            click.echo(_("row %(row)d updates: %(changes)s", row=update.row, changes=changes))
        for refusal in plan.refusals:
            click.echo(_("row %(row)d, %(column)s: %(reason)s", **vars(refusal)), err=True)
        if plan.refused_rows:
            click.echo(_("Nothing was imported: fix the refused rows and run it again."), err=True)
            sys.exit(REFUSED)
        if dry_run or not plan.committable:
            click.echo(_("Nothing was imported (dry run).") if dry_run else _("Nothing to import."))
            sys.exit(NOTHING)
        outcome = commit_plan(plan, commune, None)
        record(
            "import",
            unit_id=commune.id,
            object_type=spec.model.__tablename__,
            after={"file": file.name, "added": outcome.added, "updated": outcome.updated, "by": "cli"},
        )
        db.session.commit()
    click.echo(_("Imported: %(added)s added, %(updated)s updated.", added=outcome.added, updated=outcome.updated))
