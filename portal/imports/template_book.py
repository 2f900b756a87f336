"""The blank workbook of an importable register: Vietnamese headers, an example row, drop-down lists
where a value is a choice, text cells where leading zeros matter, and a sheet explaining each column."""

from datetime import date
from io import BytesIO

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.imports.columns import CCCD, CHOICE, CODE, DAY, INT, TEXT, YEAR, YESNO
from portal.imports.specs import ImportSpec
from portal.shell.sheets import DAY_FORMAT, YES_WORD, safe_cell

KIND_HELP = {
    TEXT: _l("Text"),
    CODE: _l("Code (letters or digits)"),
    DAY: _l("Date dd/mm/yyyy"),
    INT: _l("Whole number"),
    CHOICE: _l("One of the list"),
    YESNO: _l("“Có” or empty"),
    CCCD: _l("12 digits"),
    YEAR: _l("Year, e.g. 2025"),
}
TEMPLATE_ROWS = 2000  # rows given the drop-downs and formats


def _example(value):
    """A cell of the example row: a day or a number as such, anything else (a choice's label) as text."""
    if value is None or isinstance(value, date | int):
        return value
    return safe_cell(str(value))


def template_workbook(spec: ImportSpec) -> bytes:
    with force_locale("vi"):
        return _build(spec)


def _build(spec: ImportSpec) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(spec.title)[:31]
    lists = book.create_sheet(_("Lists")[:31])
    help_sheet = book.create_sheet(_("How to fill it in")[:31])
    _fill_data_sheet(sheet, lists, spec)
    _fill_help_sheet(help_sheet, spec)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_data_sheet(sheet, lists, spec: ImportSpec) -> None:
    """The headers, the grey example row, each column's format and, for a choice, its drop-down."""
    sheet.append([str(c.label) for c in spec.columns])
    sheet.append([_example(c.example) for c in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="777777")
    list_column = 0
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, min(40, len(str(column.label)) + 6))
        if column.kind == DAY:
            sheet[f"{letter}2"].number_format = DAY_FORMAT
        if column.kind in (CCCD, CODE, YEAR):
            sheet[f"{letter}2"].number_format = "@"  # text: a CCCD keeps its leading zero
        choices = column.choice_labels("vi") if column.kind == CHOICE else ([YES_WORD] if column.kind == YESNO else [])
        if choices:
            list_column += 1
            _add_drop_down(
                sheet, lists, column, choices, get_column_letter(list_column), f"{letter}2:{letter}{TEMPLATE_ROWS}"
            )
    sheet.freeze_panes = "A2"
    lists.sheet_state = "hidden"


def _add_drop_down(sheet, lists, column, choices: list[str], list_letter: str, cells: str) -> None:
    """The choices written in a column of the hidden lists sheet, and the cells that must pick one."""
    for row, label in enumerate(choices, start=1):
        lists[f"{list_letter}{row}"] = label
    validation = DataValidation(
        type="list",
        formula1=f"'{lists.title}'!${list_letter}$1:${list_letter}${len(choices)}",
        allow_blank=not column.required,
        showErrorMessage=True,
        errorTitle=str(column.label),
        error=_("Choose a value from the list."),
    )
    validation.add(cells)
    sheet.add_data_validation(validation)


def _fill_help_sheet(help_sheet, spec: ImportSpec) -> None:
    """A row per column (required, kind, meaning, valid values, example), then how the import reads the file."""
    help_sheet.append([_("Column"), _("Required"), _("Kind"), _("Meaning"), _("Valid values"), _("Example")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        choices = "; ".join(column.choice_labels("vi")) if column.kind == CHOICE else ""
        example = column.example.strftime("%d/%m/%Y") if hasattr(column.example, "strftime") else column.example
        help_sheet.append(
            [
                str(column.label),
                YES_WORD if column.required else "",
                str(KIND_HELP[column.kind]),
                str(column.help),
                choices,
                safe_cell(str(example or "")),
            ]
        )
    help_sheet.append([])
    for line in (
        _(
            "Each row is matched to an existing record by: %(key)s. A matching row updates it; any other row adds one.",
            key=str(spec.key_label),
        ),
        _("The grey example row may stay: the import skips it."),
        _("Columns may be in any order; other columns are ignored."),
        _("The file is imported whole or not at all: fix every refused row, then import it again."),
    ):
        help_sheet.append([line])
    for letter, width in zip("ABCDEF", (28, 10, 22, 60, 50, 20), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
