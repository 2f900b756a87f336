"""Official documents as PDF (WeasyPrint), laid out as a Vietnamese administrative document (Decree
30/2020: national motto top right, issuing body top left, number, place and date, the type and
summary centred, the signature block bottom right, recipients bottom left). The heading is
`shell/_pdf_header.html`; the page, fonts and parts are `pdf.css`."""

from datetime import date
from pathlib import Path

from flask import render_template

STYLESHEET = Path(__file__).with_name("pdf.css")


def long_date(day: date | None) -> str:
    """The way an official document dates itself: ngày 05 tháng 03 năm 2026 (blanks when not yet dated)."""
    if day is None:
        return "ngày … tháng … năm ……"
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def render_pdf(template: str, **context) -> bytes:
    from weasyprint import CSS, HTML  # imported on use: it loads Pango, which only these documents need

    html = render_template(template, long_date=long_date, **context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
