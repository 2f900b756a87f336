"""Recognition pages: a commune's dossiers under /u/<commune>/recognition/, the dossiers of a district
or the province by stage, the list of recognised communes as XLSX, and each user's inbox."""

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import clock
from portal.criteria.scorecard import scorecard
from portal.extensions import db
from portal.recognition import access, documents, workflow
from portal.recognition.appraisal import appraising_body
from portal.recognition.models import EDITABLE_STATES, Dossier
from portal.recognition.states import ACTION_LABELS, STAGE_LABELS, WHY_LABELS
from portal.shell import downloads
from portal.shell.i18n import format_day, parse_day
from portal.shell.sheets import workbook
from portal.tenancy.access import has_permission, permissions_at, units_of
from portal.tenancy.guard import viewing_units
from portal.tenancy.models import AdminUnit
from portal.tenancy.periods import period_of, province_code_of
from portal.tenancy.roles import RECOGNITION_PREPARE, UNIT_VIEW
from portal.tenancy.routing import requires, unit_blueprint

recognition = unit_blueprint("recognition", __name__, url_prefix="/recognition")
inbox_pages = Blueprint("inbox", __name__, template_folder="templates")


@recognition.get("/")
@requires(UNIT_VIEW)
def index(unit):
    """A commune: its dossiers, newest first. A district or the province: every commune by stage."""
    if unit.level == "commune":
        dossiers = db.session.scalars(
            select(Dossier).where(Dossier.commune_id == unit.id).order_by(Dossier.id.desc())
        ).all()
        return render_template(
            "recognition/commune.html",
            unit=unit,
            dossiers=dossiers,
            can_start=has_permission(current_user, unit, RECOGNITION_PREPARE) and access.open_dossier(unit) is None,
            period=_current_period(unit),
            appraiser=appraising_body(unit),
            errors={},
        )
    stage = request.args.get("stage", "")
    newest = access.newest_dossiers(unit)
    communes = db.session.scalars(
        select(AdminUnit)
        .where(AdminUnit.id.in_(access.communes_below(unit)), AdminUnit.valid_to.is_(None))
        .order_by(AdminUnit.path)
    ).all()
    rows = [(c, newest.get(c.id), access.stage_of(newest.get(c.id))) for c in communes]
    counts = {s: sum(1 for r in rows if r[2] == s) for s in access.STAGES}
    if stage in access.STAGES:
        rows = [r for r in rows if r[2] == stage]
    else:
        stage = ""
    return render_template(
        "recognition/overview.html",
        unit=unit,
        rows=rows,
        counts=counts,
        stage=stage,
        flags=dict((d.commune_id, day) for d, day in access.flagged(unit)),
    )


def _current_period(commune) -> str:
    """What the start form offers: the assessment period that holds today."""
    period = period_of(province_code_of(commune), clock.today())
    return period.key if period else str(clock.today().year)


@recognition.post("/new")
@requires(RECOGNITION_PREPARE, ("commune",))
def start(unit):
    try:
        dossier = workflow.start(current_user, unit, request.form.get("period", ""))
    except workflow.Refused as refused:
        return _refused(refused, back=url_for("recognition.index", unit_code=unit.address))
    db.session.commit()
    flash(_("Self-assessment started. Check the scorecard, explain what is not met, attach the minutes."), "success")
    return redirect(url_for("recognition.show", unit_code=unit.address, dossier_id=dossier.id))


def _page(unit, dossier, *, errors=None, typed=None):
    """The dossier page; after a refused action, with the errors beside the fields and what was typed."""
    permissions = permissions_at(current_user, unit)
    live_lines = []
    if dossier.state in EDITABLE_STATES:
        live_lines, _version = scorecard(unit)
    submission = dossier.latest_submission
    round_wanted = request.args.get("round", type=int)
    shown = next((s for s in dossier.submissions if s.round == round_wanted), submission)
    return render_template(
        "recognition/dossier.html",
        unit=unit,
        dossier=dossier,
        live_lines=live_lines,
        shown=shown,
        frozen=shown.snapshot if shown else None,
        attachments=workflow.live_attachments(dossier),
        can_edit=RECOGNITION_PREPARE in permissions and dossier.state in EDITABLE_STATES,
        may=lambda action: workflow.allowed(current_user, dossier, action),
        errors=errors or {},
        typed=typed or {},
        broken=access.broken_since([unit.id]).get(unit.id),
        remarks=_last_remarks(dossier),
    )


def _refused(refused: "workflow.Refused", unit=None, dossier_id=None, *, errors=None, typed=None, back=None):
    """A refused step leaves nothing behind: its transaction is rolled back and the reason flashed. Then
    either `back` (a step with no form of its own), or the dossier page again with the errors beside
    their fields and what was typed still in them."""
    db.session.rollback()
    flash(str(refused.message), "error")
    if back is not None:
        return redirect(back)
    return _page(unit, access.get_dossier(unit, dossier_id), errors=errors, typed=typed)


def _last_remarks(dossier):
    """The last return's comment and per-criterion remarks, for the commune to mend."""
    returns = [e for e in dossier.events if e.action == "return"]
    return returns[-1] if returns else None


@recognition.get("/<int:dossier_id>")
@requires(UNIT_VIEW, ("commune",))
def show(unit, dossier_id):
    return _page(unit, access.get_dossier(unit, dossier_id))


def _explanations(form) -> dict:
    return {key.removeprefix("explain-"): value for key, value in form.items() if key.startswith("explain-")}


@recognition.post("/<int:dossier_id>/edit")
@requires(RECOGNITION_PREPARE, ("commune",))
def edit(unit, dossier_id):
    dossier = access.get_dossier(unit, dossier_id)
    typed = request.form.to_dict()
    try:
        workflow.edit(
            current_user,
            dossier,
            request.form.get("comments", ""),
            _explanations(request.form),
            request.form.get("lock_version"),
        )
        if request.form.get("then") == "submit":
            workflow.transition(current_user, dossier, "submit")
    except workflow.Refused as refused:
        return _refused(refused, unit, dossier_id, errors=refused.errors, typed=typed)
    db.session.commit()
    if dossier.state == "submitted":
        flash(_("Dossier submitted for appraisal (round %(n)s).", n=dossier.round), "success")
    else:
        flash(_("Dossier saved."), "success")
    return redirect(url_for("recognition.show", unit_code=unit.address, dossier_id=dossier.id))


@recognition.post("/<int:dossier_id>/attachments")
@requires(RECOGNITION_PREPARE, ("commune",))
def upload(unit, dossier_id):
    dossier = access.get_dossier(unit, dossier_id)
    upload = request.files.get("file")
    try:
        data = upload.read() if upload else b""
        if upload:
            upload.close()  # at once: a large upload spools to a temporary file
        workflow.add_attachment(current_user, dossier, upload.filename if upload else "", data)
        db.session.commit()
    except workflow.Refused as refused:
        return _refused(refused, unit, dossier_id, errors=refused.errors)
    flash(_("File attached."), "success")
    return redirect(url_for("recognition.show", unit_code=unit.address, dossier_id=dossier.id) + "#attachments")


@recognition.get("/<int:dossier_id>/attachments/<int:attachment_id>")
@requires(UNIT_VIEW, ("commune",))
def download(unit, dossier_id, attachment_id):
    attachment = access.get_attachment(access.get_dossier(unit, dossier_id), attachment_id)
    data = workflow.attachment_path(attachment).read_bytes()  # at most ATTACHMENT_MAX_BYTES
    return downloads.download(data, attachment.content_type, workflow.download_name(attachment))


@recognition.post("/<int:dossier_id>/attachments/<int:attachment_id>/remove")
@requires(RECOGNITION_PREPARE, ("commune",))
def remove(unit, dossier_id, attachment_id):
    dossier = access.get_dossier(unit, dossier_id)
    attachment = access.get_attachment(dossier, attachment_id)
    try:
        workflow.remove_attachment(current_user, dossier, attachment)
    except workflow.Refused as refused:
        return _refused(refused, back=url_for("recognition.show", unit_code=unit.address, dossier_id=dossier_id))
    db.session.commit()
    flash(_("File removed from the dossier."), "success")
    return redirect(url_for("recognition.show", unit_code=unit.address, dossier_id=dossier.id) + "#attachments")


def _transition_view(action: str):
    """The view of one transition (all but the submission, which saves the draft first). The gate checks
    the permission the transition needs at this commune; the workflow checks it again, with the state
    and the input."""

    def view(unit, dossier_id):
        dossier = access.get_dossier(unit, dossier_id)
        typed = request.form.to_dict()
        remarks = {k.removeprefix("remark-"): v for k, v in request.form.items() if k.startswith("remark-")}
        try:
            workflow.transition(
                current_user,
                dossier,
                action,
                comment=request.form.get("comment", ""),
                remarks=remarks,
                lock_version=request.form.get("lock_version"),
                decision_number=request.form.get("decision_number", ""),
                decision_on=parse_day(request.form.get("decision_on")),
                valid_until=parse_day(request.form.get("valid_until")),
            )
        except workflow.Refused as refused:
            errors = {f"{action}-{k}": v for k, v in refused.errors.items()}
            return _refused(refused, unit, dossier_id, errors=errors, typed=typed)
        db.session.commit()
        flash(_("Done: the dossier is now “%(state)s”.", state=STAGE_LABELS[dossier.state]), "success")
        return redirect(url_for("recognition.show", unit_code=unit.address, dossier_id=dossier.id))

    view.__name__ = action
    return requires(lambda commune: workflow.permission_for(action, commune), ("commune",))(view)


for _action in workflow.TRANSITIONS:
    if _action != "submit":
        recognition.add_url_rule(
            f"/<int:dossier_id>/{_action}", endpoint=_action, view_func=_transition_view(_action), methods=["POST"]
        )


@recognition.get("/<int:dossier_id>/dossier.pdf")
@requires(UNIT_VIEW, ("commune",))
def dossier_pdf(unit, dossier_id):
    dossier = access.get_dossier(unit, dossier_id)
    wanted = request.args.get("round", type=int)
    submission = next((s for s in dossier.submissions if s.round == wanted), dossier.latest_submission)
    if submission is None:
        abort(404)
    name = f"ho-so-{unit.code}-{dossier.period}-lan-{submission.round}.pdf"
    return _pdf(documents.dossier_pdf(dossier, submission), name)


@recognition.get("/<int:dossier_id>/decision.pdf")
@requires(UNIT_VIEW, ("commune",))
def decision_pdf(unit, dossier_id):
    dossier = access.get_dossier(unit, dossier_id)
    if dossier.decided_submission is None or dossier.state not in ("recognised", "revoked"):
        abort(404)
    return _pdf(documents.decision_pdf(dossier), f"quyet-dinh-{unit.code}-{dossier.period}.pdf")


def _pdf(data: bytes, name: str) -> Response:
    return downloads.download(data, "application/pdf", name)


@recognition.get("/recognised.xlsx")
@requires(UNIT_VIEW, ("province", "district"))
def recognised_xlsx(unit):
    """Every commune below the unit whose newest dossier is recognised (or was, and has expired)."""
    newest = access.newest_dossiers(unit)
    rows = []
    for dossier in sorted(newest.values(), key=lambda d: d.commune.path):
        stage = access.stage_of(dossier)
        if stage in ("recognised", "expired"):
            rows.append(
                (
                    dossier.commune.parent.name,
                    dossier.commune.code,
                    dossier.commune.name,
                    dossier.period,
                    dossier.decision_number,
                    dossier.decision_on,
                    dossier.valid_until,
                    str(STAGE_LABELS[stage]),
                )
            )
    headers = [
        _("District-level unit"),
        _("Code"),
        _("Commune"),
        _("Period"),
        _("Decision number"),
        _("Decision date"),
        _("Valid until"),
        _("Stage"),
    ]
    data = workbook(_("Recognised communes"), headers, rows, (24, 8, 26, 8, 18, 13, 13, 14))
    return downloads.download(data, downloads.XLSX, f"xa-duoc-cong-nhan-{unit.code}.xlsx")


@inbox_pages.app_context_processor
def recognition_helpers():
    """The stage names everywhere."""
    return {"stage_labels": STAGE_LABELS, "action_labels": ACTION_LABELS, "recognition_stage": _recognition_stage}


def _recognition_stage(commune) -> str:
    """A commune's recognition as its newest dossier leaves it (a predecessor's, on its successor's page)."""
    known, newest = access.newest_of(commune.id)
    if not known:
        newest = db.session.scalar(
            select(Dossier).where(Dossier.commune_id == commune.id).order_by(Dossier.id.desc()).limit(1)
        )
    stage = access.stage_of(newest)
    if stage == "recognised" and newest.decision_number:
        day = format_day(newest.decision_on)
        return str(_("Recognised (decision %(n)s, %(day)s)", n=newest.decision_number, day=day))
    return str(STAGE_LABELS[stage])


@inbox_pages.app_template_filter("isoday")
def isoday(text: str | None) -> str:
    """A day kept as ISO text in a frozen record, shown dd/mm/yyyy."""
    return format_day(date.fromisoformat(text)) if text else ""


@inbox_pages.get("/inbox/waiting")
@login_required
def waiting():
    """The menu's count of what waits for the user: fetched by every page after it is shown (htmx)."""
    count = access.waiting_count(current_user)
    return render_template("recognition/_waiting.html", waiting=count)


@inbox_pages.get("/inbox")
@login_required
def inbox():
    with viewing_units(db.session, units_of(current_user)):  # the dossiers of every unit the user reaches
        items = access.inbox(current_user)
        return render_template("recognition/inbox.html", items=items, why_labels=WHY_LABELS)
