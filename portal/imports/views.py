"""Import pages of a commune, under /u/<commune>/imports/: the templates, the upload, each job's
progress and preview, its confirmation. Views stay thin: access → jobs → response."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.imports import jobs
from portal.imports.files import FileRefused
from portal.imports.models import CHECKED, ENDED, STATE_LABELS, ImportJob
from portal.imports.specs import SPECS
from portal.imports.template_book import template_workbook
from portal.shell import downloads
from portal.tenancy.roles import REGISTERS_WRITE
from portal.tenancy.routing import requires, unit_blueprint

imports = unit_blueprint("imports", __name__, url_prefix="/imports")
COMMUNE = ("commune",)
RECENT = 20
FULL = _l("The portal is running as many imports as it can at once: try again in a few minutes. Nothing was lost.")


def get_job(unit, import_job_id: int) -> ImportJob:
    job = db.session.scalar(select(ImportJob).where(ImportJob.commune_id == unit.id, ImportJob.id == import_job_id))
    if job is None:
        abort(404)
    return job


def _index(unit, *, error: str = "", chosen: str = "", status: int = 200):
    recent = db.session.scalars(
        select(ImportJob).where(ImportJob.commune_id == unit.id).order_by(ImportJob.id.desc()).limit(RECENT)
    ).all()
    for job in recent:
        jobs.settle(job)
    return (
        render_template(
            "imports/index.html",
            unit=unit,
            specs=SPECS,
            jobs=recent,
            state_labels=STATE_LABELS,
            error=error,
            chosen=chosen or request.args.get("register", ""),
            max_mb=current_app.config["IMPORT_MAX_BYTES"] // 2**20,
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
        ),
        status,
    )


@imports.get("/")
@requires(REGISTERS_WRITE, COMMUNE)
def index(unit):
    return _index(unit)


@imports.get("/<register>/template.xlsx")
@requires(REGISTERS_WRITE, COMMUNE)
def template(unit, register):
    spec = SPECS.get(register)
    if spec is None:
        abort(404)
    name = _("Template - %(register)s.xlsx", register=str(spec.title))
    return downloads.download(template_workbook(spec), downloads.XLSX, name)


@imports.post("/")
@requires(REGISTERS_WRITE, COMMUNE)
def upload(unit):
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]  # larger: 413 before any parsing
    register = request.form.get("register", "")
    upload = request.files.get("file")
    if register not in SPECS:
        return _index(unit, error=_("Choose the register to import into."), status=400)
    if upload is None or not upload.filename:
        return _index(unit, error=_("Choose a file to import."), chosen=register, status=400)
    try:
        stored = jobs.store_upload(upload.stream, current_app.config["IMPORT_MAX_BYTES"])
    except FileRefused as refused:
        return _index(unit, error=str(refused.message), chosen=register, status=400)
    finally:
        upload.close()
    try:
        job = jobs.create(current_user, unit, register, upload.filename, stored, str(get_locale()))
    except (jobs.Busy, jobs.Full) as refused:
        db.session.rollback()
        if isinstance(refused, jobs.Full):
            return _index(unit, error=str(FULL), chosen=register, status=503)
        return _index(
            unit, error=_("An import is already running for this commune: wait for it to finish."), status=409
        )
    db.session.commit()
    jobs.launch(job, jobs.CHECK)
    return redirect(url_for("imports.show", unit_code=unit.address, import_job_id=job.id))


@imports.get("/<int:import_job_id>")
@requires(REGISTERS_WRITE, COMMUNE)
def show(unit, import_job_id):
    job = jobs.settle(get_job(unit, import_job_id))
    context = {
        "unit": unit,
        "job": job,
        "spec": SPECS[job.register],
        "progress": jobs.progress_of(job) if job.running else None,
        "state_labels": STATE_LABELS,
        "ended": job.state in ENDED,
    }
    if request.htmx:
        return render_template("imports/_job.html", **context)
    return render_template("imports/job.html", **context)


@imports.post("/<int:import_job_id>/confirm")
@requires(REGISTERS_WRITE, COMMUNE)
def confirm(unit, import_job_id):
    """Start the commit of a checked file, once: a second confirmation, or one of a page drawn before
    the job changed, is shown as such and starts nothing."""
    job = jobs.settle(get_job(unit, import_job_id))
    page = url_for("imports.show", unit_code=unit.address, import_job_id=import_job_id)
    try:
        jobs.check_capacity()
    except jobs.Full:
        flash(str(FULL), "error")
        return redirect(page)
    if job.can_confirm and request.form.get("version", type=int) == job.lock_version:
        try:
            jobs.confirm(job)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
        else:
            jobs.launch(job, jobs.COMMIT)
            return redirect(page)
    flash(_("This import changed since you opened it: read it again before confirming."), "error")
    return redirect(page)


@imports.post("/<int:import_job_id>/discard")
@requires(REGISTERS_WRITE, COMMUNE)
def discard(unit, import_job_id):
    job = jobs.settle(get_job(unit, import_job_id))
    if job.state == CHECKED:
        jobs.discard(job)
        db.session.commit()
        flash(_("Import discarded: nothing was saved."), "success")
    return redirect(url_for("imports.index", unit_code=unit.address))
