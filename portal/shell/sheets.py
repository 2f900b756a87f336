"""Writing spreadsheets a user will open: no cell may turn into a live formula (CSV/formula injection),
and days stay days, shown dd/mm/yyyy."""

from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAY_FORMAT = "DD/MM/YYYY"
YES_WORD = "Có"  # what a template and an export write for "yes" (Vietnamese whatever the language)


def safe_cell(value):
    """Text that a spreadsheet would read as a formula is quoted with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook(title: str, headers: list[str], rows, widths: tuple[int, ...] = ()) -> bytes:
    """One sheet: a bold header row, then the rows with every text made safe and days formatted."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date | datetime):
                cell.number_format = DAY_FORMAT
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
