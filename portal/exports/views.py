"""A queued export's pages, under /u/<commune>/exports/: its state (followed by htmx until the file is
ready) and the file. Only the officer who asked for it sees either (`jobs.export_job_of`)."""

from flask import abort, render_template, request
from flask_login import current_user

from portal.exports.jobs import export_job_of
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
