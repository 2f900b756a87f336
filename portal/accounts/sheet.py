"""Reading a sheet of accounts to create (CSV or XLSX), and writing its template."""

import csv
import io
import zipfile

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook

from portal.accounts.actions import NewAccount
from portal.imports.sheet_reader import bounded_rows
from portal.shell.text import fold
from portal.tenancy.roles import ROLES

COLUMNS = {
    "username": ("username", "ten dang nhap"),
    "full_name": ("full_name", "ho va ten", "ho ten"),
    "role": ("role", "vai tro"),
    "unit_code": ("unit_code", "ma don vi"),
}
HEADERS_VI = {"username": "Tên đăng nhập", "full_name": "Họ và tên", "role": "Vai trò", "unit_code": "Mã đơn vị"}
# Uncompressed size an account sheet may claim; a zip bomb claims far more.
MAX_UNPACKED = 50 * 1024 * 1024


class SheetError(ValueError):
    pass


def _role_code(value: str) -> str:
    folded = fold(value).replace(" ", "_")
    for name, role in ROLES.items():
        if folded in (name, fold(str(role.label)).replace(" ", "_")):
            return name
    return folded


def _rows_from_xlsx(data: bytes, max_rows: int) -> list[list]:
    """The rows that hold anything, header included, reading no further than one row past the most a
    file may have (the caller refuses it then), and no wider than the portal's sheets are."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
            raise SheetError(_l("The file unpacks to more than the allowed size."))
        if any(i.filename.lower().endswith("vbaproject.bin") for i in archive.infolist()):
            raise SheetError(_l("Files with macros are not accepted."))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SheetError(_l("This is not a valid Excel (.xlsx) file.")) from exc
    rows = []
    for values in bounded_rows(book.worksheets[0]):
        if any(v is not None and str(v).strip() for v in values):
            rows.append(["" if v is None else str(v) for v in values])
            if len(rows) > max_rows + 1:
                break
    book.close()
    return rows


def read_accounts(filename: str, data: bytes, max_rows: int) -> list[NewAccount]:
    name = (filename or "").lower()
    if data[:2] == b"PK" and name.endswith(".xlsx"):
        rows = _rows_from_xlsx(data, max_rows)
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SheetError(_l("A CSV file must be saved as UTF-8.")) from exc
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise SheetError(_l("Upload an .xlsx or .csv file."))
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise SheetError(_l("The file is empty."))
    header = [fold(str(h)) for h in rows[0]]
    positions = {}
    for key, names in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found:
            raise SheetError(_l("Column %(name)s is missing.", name=HEADERS_VI[key]))
        positions[key] = found[0]
    body = rows[1:]
    if len(body) > max_rows:
        raise SheetError(_l("At most %(n)d accounts per file.", n=max_rows))

    def cell(row, key):
        i = positions[key]
        return str(row[i]).strip() if i < len(row) else ""

    return [
        NewAccount(
            username=cell(r, "username"),
            full_name=cell(r, "full_name"),
            role=_role_code(cell(r, "role")),
            unit_code=cell(r, "unit_code"),
        )
        for r in body
    ]


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Tài khoản"
    sheet.append([HEADERS_VI[k] for k in COLUMNS])
    sheet.append(["nguyenvana.vanam", "Nguyễn Văn A", "commune_officer", "15076"])
    help_sheet = book.create_sheet("Hướng dẫn")
    help_sheet.append(["Cột", "Ý nghĩa"])
    help_sheet.append(["Tên đăng nhập", "3–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới"])
    help_sheet.append(["Họ và tên", "Họ và tên đầy đủ, có dấu"])
    help_sheet.append(["Vai trò", ", ".join(ROLES)])
    help_sheet.append(["Mã đơn vị", "Mã đơn vị hành chính nơi giao vai trò (xã: 5 chữ số, huyện: 3 chữ số)"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
