"""The one write path of recognition: starting a dossier, editing it, attachments, and every
transition of its state machine. Each function checks the state, the actor's permission at the
dossier's commune (whatever the caller already checked) and its input, then changes the dossier and
records the event in the caller's transaction; a refusal raises `Refused` with a message for the user
and changes nothing."""

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.clock import utcnow
from portal.extensions import db
from portal.files import private_dir, write_private
from portal.recognition import access, snapshot
from portal.recognition.appraisal import appraisal_permission, appraising_body
from portal.recognition.models import (
    APPROVED,
    DRAFT,
    EDITABLE_STATES,
    RECOGNISED,
    REJECTED,
    RETURNED,
    REVOKED,
    SUBMITTED,
    Attachment,
    Dossier,
    DossierEvent,
    DossierSubmission,
)
from portal.shell.i18n import format_number
from portal.tenancy.access import permissions_at
from portal.tenancy.periods import period_named, province_code_of
from portal.tenancy.roles import RECOGNITION_APPRAISE, RECOGNITION_DECIDE, RECOGNITION_PREPARE


class Refused(Exception):
    """A transition or an edit the rules do not allow; `errors` maps form fields to messages."""

    def __init__(self, message, errors: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    permission: str


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("submit", frozenset({DRAFT, RETURNED}), SUBMITTED, RECOGNITION_PREPARE),
        Transition("return", frozenset({SUBMITTED}), RETURNED, RECOGNITION_APPRAISE),
        Transition("approve", frozenset({SUBMITTED}), APPROVED, RECOGNITION_APPRAISE),
        Transition("recognise", frozenset({APPROVED}), RECOGNISED, RECOGNITION_DECIDE),
        Transition("reject", frozenset({APPROVED}), REJECTED, RECOGNITION_DECIDE),
        Transition("revoke", frozenset({RECOGNISED}), REVOKED, RECOGNITION_DECIDE),
    )
}

ATTACHMENT_TYPES = {  # magic bytes -> (content type, extension): the upload's content decides, not its name
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
MAX_ATTACHMENTS = 20
NEW_FILES = "portal.new_attachment_files"


def permission_for(action: str, commune) -> str:
    """The permission a transition needs at the commune: the appraisal's follows the province's setting."""
    spec = TRANSITIONS[action]
    return appraisal_permission(commune) if spec.permission == RECOGNITION_APPRAISE else spec.permission


def allowed(actor, dossier: Dossier, action: str) -> bool:
    transition = TRANSITIONS[action]
    permission = permission_for(action, dossier.commune)
    return dossier.state in transition.sources and permission in permissions_at(actor, dossier.commune)


def _require(actor, commune, permission) -> None:
    if permission not in permissions_at(actor, commune):
        raise Refused(_l("You may not do this for this commune."))


def _record(dossier, actor, action, from_state, to_state, comment="", remarks=None) -> DossierEvent:
    event = DossierEvent(
        dossier_id=dossier.id,
        actor_id=actor.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        round=dossier.round,
        comment=comment,
        remarks=remarks or {},
    )
    db.session.add(event)
    return event


def _check_version(dossier, lock_version) -> None:
    if lock_version is not None and str(lock_version) != str(dossier.lock_version):
        raise Refused(
            _l(
                "Someone else changed this dossier while you were working on it. "
                "Your text is kept below: check the dossier as it is now, then send again."
            )
        )


def start(actor, commune, period: str) -> Dossier:
    _require(actor, commune, RECOGNITION_PREPARE)
    period = (period or "").strip()
    assessed = period_named(province_code_of(commune), period) if len(period) <= 20 else None
    if assessed is None or assessed.start > clock.today():
        raise Refused(
            _l("Enter an assessment period of the plan that has begun, such as 2025 or 2026."),
            {"period": _l("Enter a period such as 2026.")},
        )
    if access.open_dossier(commune) is not None:
        raise Refused(_l("This commune already has a dossier in progress."))
    dossier = Dossier(commune_id=commune.id, commune=commune, period=period, created_by_id=actor.id, explanations={})
    db.session.add(dossier)
    db.session.flush()
    _record(dossier, actor, "create", None, DRAFT)
    return dossier


def edit(actor, dossier: Dossier, comments: str, explanations: dict, lock_version=None) -> None:
    _require(actor, dossier.commune, RECOGNITION_PREPARE)
    if dossier.state not in EDITABLE_STATES:
        raise Refused(_l("This dossier can no longer be changed."))
    _check_version(dossier, lock_version)
    errors = {}
    if len(comments) > 10_000:
        errors["comments"] = _l("At most %(n)s characters.", n=format_number(10_000))
    for code, text in explanations.items():
        if len(text) > 4_000:
            errors[f"explain-{code}"] = _l("At most %(n)s characters.", n=format_number(4_000))
    if errors:
        raise Refused(_l("Please correct the highlighted fields."), errors)
    dossier.comments = comments.strip()
    dossier.explanations = {code: text.strip() for code, text in explanations.items() if text.strip()}
    dossier.updated_at = utcnow()


def _store_dir() -> Path:
    return private_dir(Path(current_app.config["ATTACHMENTS_DIR"]))


def add_attachment(actor, dossier: Dossier, filename: str, data: bytes) -> Attachment:
    """Type-checked by content, size-limited, written outside the web root under a random name.
    The file is removed again if the transaction does not commit."""
    _require(actor, dossier.commune, RECOGNITION_PREPARE)
    if dossier.state not in EDITABLE_STATES:
        raise Refused(_l("This dossier can no longer be changed."))
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not data:
        raise Refused(_l("Choose a file."), {"file": _l("Choose a file.")})
    if len(data) > limit:
        message = _l("The file is larger than %(mb)s MB.", mb=format_number(round(limit / 1024 / 1024, 1)))
        raise Refused(message, {"file": message})
    kind = next((v for magic, v in ATTACHMENT_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        message = _l("Only PDF, PNG or JPEG scans are accepted.")
        raise Refused(message, {"file": message})
    live = [a for a in dossier.attachments if a.removed_at is None]
    if len(live) >= MAX_ATTACHMENTS:
        raise Refused(_l("A dossier holds at most %(n)s files.", n=MAX_ATTACHMENTS))
    stored = secrets.token_hex(16) + kind[1]
    path = _store_dir() / stored
    write_private(path, data)
    db.session.info.setdefault(NEW_FILES, []).append(path)
    original = Path(filename or "").name[:200] or stored
    attachment = Attachment(
        dossier_id=dossier.id,
        stored_name=stored,
        original_name=original,
        content_type=kind[0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    dossier.attachments.append(attachment)
    _record(dossier, actor, "attach", dossier.state, dossier.state, comment=original)
    return attachment


def remove_attachment(actor, dossier: Dossier, attachment: Attachment) -> None:
    """Kept on disk and in the rounds that froze it; only hidden from the dossier from now on."""
    _require(actor, dossier.commune, RECOGNITION_PREPARE)
    if dossier.state not in EDITABLE_STATES:
        raise Refused(_l("This dossier can no longer be changed."))
    attachment.removed_at = utcnow()
    _record(dossier, actor, "detach", dossier.state, dossier.state, comment=attachment.original_name)


def attachment_path(attachment: Attachment) -> Path:
    return _store_dir() / attachment.stored_name


def download_name(attachment: Attachment) -> str:
    """The name a download carries: the uploader's name with the extension of the type its content was
    found to be (a PDF named poly.html downloads as poly.pdf)."""
    extension = next(ext for content_type, ext in ATTACHMENT_TYPES.values() if content_type == attachment.content_type)
    return Path(attachment.original_name).stem + extension


def live_attachments(dossier: Dossier) -> list[Attachment]:
    return [a for a in dossier.attachments if a.removed_at is None]


def transition(actor, dossier: Dossier, action: str, *, comment="", remarks=None, lock_version=None, **decision):
    """Move the dossier along one of TRANSITIONS, or raise Refused."""
    spec = TRANSITIONS.get(action)
    if spec is None:
        raise Refused(_l("Unknown action."))
    _require(actor, dossier.commune, permission_for(action, dossier.commune))
    if dossier.state not in spec.sources:
        raise Refused(_l("This dossier is not at a stage where this can be done."))
    _check_version(dossier, lock_version)
    comment = (comment or "").strip()
    remarks = {k: v.strip() for k, v in (remarks or {}).items() if v and v.strip()}
    from_state = dossier.state
    if action == "submit":
        _submit(actor, dossier)
    elif action == "return":
        if not comment and not remarks:
            message = _l("Say what the commune must mend: a comment or a remark on a criterion.")
            raise Refused(message, {"comment": message})
    elif action == "approve":
        dossier.appraised_by = appraising_body(dossier.commune)
    elif action in ("reject", "revoke"):
        if not comment:
            message = _l("Give the reason.")
            raise Refused(message, {"comment": message})
        if action == "revoke":
            dossier.revoked_on = clock.today()
        else:
            _decide(actor, dossier, decision, require_validity=False)
    elif action == "recognise":
        _decide(actor, dossier, decision, require_validity=True)
    dossier.state = spec.target
    dossier.updated_at = utcnow()
    _record(dossier, actor, action, from_state, spec.target, comment, remarks)
    return dossier


def _submit(actor, dossier: Dossier) -> None:
    as_of, _reason = snapshot.freeze_day(dossier)
    version, lines = snapshot.criteria_lines(dossier.commune, as_of)
    if version is None:
        raise Refused(_l("No criteria are in force: the province has not published any."))
    missing = [line["code"] for line in lines if not line["passed"] and not dossier.explanations.get(line["code"])]
    if missing:
        raise Refused(
            _l("Explain each criterion that is not met before submitting: %(codes)s.", codes=", ".join(missing)),
            {f"explain-{code}": _l("Explain why this criterion is not met.") for code in missing},
        )
    dossier.round += 1
    frozen = snapshot.freeze(dossier, live_attachments(dossier), scorecard_lines=(version, lines))
    db.session.add(
        DossierSubmission(dossier_id=dossier.id, round=dossier.round, submitted_by_id=actor.id, snapshot=frozen)
    )


def _decide(actor, dossier: Dossier, decision: dict, require_validity: bool) -> None:
    errors = {}
    number = (decision.get("decision_number") or "").strip()
    on = decision.get("decision_on")
    until = decision.get("valid_until")
    if not number:
        errors["decision_number"] = _l("Enter the decision number, for example 125/QĐ-UBND.")
    elif len(number) > 60:
        errors["decision_number"] = _l("At most %(n)s characters.", n=60)
    if on is None:
        errors["decision_on"] = _l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
    elif on > clock.today():
        errors["decision_on"] = _l("This date is in the future.")
    if require_validity:
        if until is None:
            errors["valid_until"] = _l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
        elif on is not None and until <= on:
            errors["valid_until"] = _l("The recognition must end after the decision date.")
    if errors:
        raise Refused(_l("Please correct the highlighted fields."), errors)
    db.session.flush()
    dossier.decided_submission_id = dossier.latest_submission.id
    dossier.decision_number, dossier.decision_on = number, on
    dossier.valid_until = until if require_validity else None
    dossier.decided_by_id = actor.id


def discard_unsaved_files(session) -> None:
    """A file written for a transaction that did not commit leaves no trace on disk."""
    for path in session.info.pop(NEW_FILES, []):
        path.unlink(missing_ok=True)


def keep_saved_files(session) -> None:
    session.info.pop(NEW_FILES, None)
