"""A queued export's pages, under /u/<commune>/exports/: its state (followed by htmx until the file is
ready) and the file. Only the officer who asked for it sees either (`jobs.export_job_of`). And the register
pages' hook that sends a large export there (`take_if_large`)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.exports.jobs import QueueUnavailable, export_job_of, goes_to_the_queue, queue_export
from portal.exports.models import READY, STATE_LABELS
from portal.registers.registry import REGISTERS
from portal.shell import downloads
from portal.tenancy.access import has_permission
from portal.tenancy.roles import REGISTERS_READ, REGISTERS_READ_PERSONAL
from portal.tenancy.routing import requires, unit_blueprint

exports = unit_blueprint("exports", __name__, url_prefix="/exports")
COMMUNE = ("commune",)


@exports.get("/<int:export_job_id>")
@requires(REGISTERS_READ, COMMUNE)
def show(unit, export_job_id):
    job = export_job_of(unit, export_job_id)
    context = {"unit": unit, "job": job, "register": REGISTERS[job.register], "state_labels": STATE_LABELS}
    if request.htmx:
        return render_template("exports/_job.html", **context)
    return render_template("exports/job.html", **context)


@exports.get("/<int:export_job_id>/file.xlsx")
@requires(REGISTERS_READ, COMMUNE)
def download(unit, export_job_id):
    """The file, while it is kept (a day), and only while its reader may still see what it holds."""
    job = export_job_of(unit, export_job_id)
    if job.state != READY or job.file is None:
        abort(404)
    if job.personal and not has_permission(current_user, unit, REGISTERS_READ_PERSONAL):
        abort(404)
    return downloads.download(job.file, downloads.XLSX, job.file_name)


def take_if_large(unit, register, chosen: dict):
    """The register pages' hook (portal/registers/views.py): a large export goes to the queue and is
    answered by the page that follows it; None, and the export is written at once."""
    if not goes_to_the_queue(chosen["stmt"]):
        return None
    try:
        job = queue_export(unit, register, chosen, str(get_locale()))
    except QueueUnavailable:
        flash(_("The export could not be put on the job queue: try again in a few minutes."), "error")
        return redirect(url_for(f"{register.name}.index", unit_code=unit.address))
    return redirect(url_for("exports.show", unit_code=unit.address, export_job_id=job.id))
