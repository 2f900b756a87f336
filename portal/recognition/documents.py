"""The dossier and the decision as PDF, laid out as a Vietnamese administrative document (portal.shell.pdf)."""

from portal.recognition.appraisal import appraising_body, in_sentence
from portal.shell.pdf import render_pdf
from portal.tenancy.settings import plan_settings


def _province_code(dossier) -> str:
    return dossier.commune.path.strip("/").split("/")[0]


def dossier_pdf(dossier, submission) -> bytes:
    return render_pdf(
        "recognition/pdf_dossier.html",
        dossier=dossier,
        submission=submission,
        frozen=submission.snapshot,
        settings=plan_settings(_province_code(dossier))["documents"],
        appraiser=dossier.appraised_by or appraising_body(dossier.commune),
    )


def decision_pdf(dossier) -> bytes:
    frozen = dossier.decided_submission.snapshot
    return render_pdf(
        "recognition/pdf_decision.html",
        dossier=dossier,
        frozen=frozen,
        settings=plan_settings(_province_code(dossier))["documents"],
        # appraised before the reform: by the district police its frozen record names
        appraiser=dossier.appraised_by or "Công an " + in_sentence(frozen["district"]["name"]),
    )
