"""What the stages and inbox reasons are called on screen."""

from flask_babel import lazy_gettext as _l

STAGE_LABELS = {
    "none": _l("No dossier"),
    "draft": _l("Self-assessment in progress"),
    "submitted": _l("Awaiting appraisal"),
    "returned": _l("Returned for mending"),
    "approved": _l("Awaiting province decision"),
    "recognised": _l("Recognised"),
    "expired": _l("Recognition expired"),
    "rejected": _l("Rejected"),
    "revoked": _l("Recognition revoked"),
}

WHY_LABELS = {
    "finish": _l("Self-assessment to finish and submit"),
    "mend": _l("Returned by the appraisers: mend and resubmit"),
    "appraise": _l("Dossier to appraise"),
    "decide": _l("Dossier to decide on"),
    "broken": _l("Recognised commune now failing a criterion"),
    "decided": _l("Decision made"),
}

ACTION_LABELS = {
    "create": _l("Self-assessment started"),
    "attach": _l("File attached"),
    "detach": _l("File removed"),
    "submit": _l("Submitted"),
    "return": _l("Returned to the commune"),
    "approve": _l("Approved and forwarded"),
    "recognise": _l("Recognised"),
    "reject": _l("Rejected"),
    "revoke": _l("Recognition revoked"),
}
