"""A register's rows as an .xlsx file, with the list's filters and search applied.

Rows are read in batches and written by openpyxl's write-only workbook to a temporary file, which is
then streamed: memory stays flat however long the register. Every text cell that a spreadsheet would
run as a formula is quoted. Columns with personal data are left out for roles that may not see them.
A register that can be imported exports the same columns as its import template, so an exported file
can be corrected and imported back."""

import tempfile
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.extensions import db
from portal.registers.actions import NOT_COPIED
from portal.registers.fields import RowSelectField
from portal.registers.registry import by_table
from portal.registers.spec import Register
from portal.shell.sheets import DAY_FORMAT, YES_WORD, safe_cell

BATCH = 500


def export_columns(register: Register, personal: bool, sheet=None) -> list[tuple[str, callable]]:
    """(header, value of a row) for every column the reader may see: the import sheet's columns when the
    register has one (`sheet`, a portal.imports spec), else the form's fields."""
    spec = sheet
    if spec is not None:
        return [
            (str(c.label), _choice_reader(c.key, c.choices, spec.export_value))
            for c in spec.columns
            if personal or c.key not in spec.personal
        ]
    form = register.form(formdata=None, meta={"csrf": False})
    columns = []
    for field in form:
        if field.name in NOT_COPIED or (field.name in register.personal_fields and not personal):
            continue
        if isinstance(field, RowSelectField):
            columns.append((str(field.label.text), _reference_reader(field.name, by_table(field.model_name), personal)))
        else:
            columns.append(
                (str(field.label.text), _choice_reader(field.name, register.choices.get(field.name), _attribute))
            )
    return columns


def _attribute(row, key):
    return getattr(row, key, None)


def _choice_reader(key, choices, read):
    def value(row):
        stored = read(row, key)
        if choices is not None and stored in choices:
            return str(choices[stored])
        if isinstance(stored, bool):
            return YES_WORD if stored else ""
        return stored

    return value


def _reference_reader(key, target: Register, personal: bool):
    def value(row):
        referenced = getattr(row, key.removesuffix("_id"), None)
        return target.describe(referenced, personal) if referenced is not None else ""

    return value


def export_audited(rows: int, query: str, filters: dict, deleted: bool, personal: bool) -> dict:
    """What the audit trail keeps of an export, written at once or by a queued job: the list's search and
    the filters set."""
    return {
        "rows": rows,
        "search": query,
        "filters": {k: v for k, v in filters.items() if v},
        "deleted": deleted,
        "personal": personal,
    }


def export_file_name(register: Register, unit, day: date) -> str:
    return f"{register.title} - {unit.name} - {day.strftime('%d-%m-%Y')}.xlsx"


def write_export(register: Register, stmt, personal: bool, sheet=None) -> tuple[Path, int]:
    """The file (the caller streams and deletes it) and the number of rows in it."""
    columns = export_columns(register, personal, sheet)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(register.title)[:31])
    bold = Font(bold=True)
    header = []
    for label, _value in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        sheet.append([_cell(sheet, value(row)) for _label, value in columns])
        count += 1
    if count == 0:
        sheet.append([_("No records match the filters.")])
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - streamed, then deleted
    handle.close()
    book.save(handle.name)
    return Path(handle.name), count


def _cell(sheet, value):
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DAY_FORMAT
        return cell
    return safe_cell("" if value is None else value)
