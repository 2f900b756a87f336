"""The dossier and the decision as PDF (WeasyPrint), laid out as a Vietnamese administrative document
(Decree 30/2020: national motto top right, issuing body top left, number, place and date, the type
and summary centred, the signature block bottom right, recipients bottom left)."""

from datetime import date
from pathlib import Path

from flask import render_template

from portal.recognition.appraisal import appraising_body, in_sentence
from portal.tenancy.settings import plan_settings


def long_date(day: date) -> str:
    """The way an official document dates itself: ngày 05 tháng 03 năm 2026."""
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _province_code(dossier) -> str:
    return dossier.commune.path.strip("/").split("/")[0]


STYLESHEET = Path(__file__).with_name("pdf.css")


def render_pdf(template: str, **context) -> bytes:
    from weasyprint import CSS, HTML  # imported on use: it loads Pango, which only these documents need

    html = render_template(template, long_date=long_date, **context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


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
