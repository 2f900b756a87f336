"""An uploaded spreadsheet: refused fast when hostile, read row by row when not.

Checked before any parsing, on the archive's own directory: the kind of file (an .xlsx is a zip with a
workbook in it; an old .xls or a password-protected file is not), macros, the sizes the archive declares
(a zip bomb declares far more than it holds, or a ratio no spreadsheet has), and XML that declares a
DOCTYPE or entities. openpyxl then parses with defusedxml, which refuses entity tricks a second time."""

import pickle
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.shell.text import fold

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
MAX_MEMBERS = 2000
MAX_RATIO = 200  # an XML sheet compresses 5-30 times; far beyond that is built to explode
RATIO_FROM = 1024 * 1024  # small members may compress better without harm


class FileRefused(ValueError):
    """The whole file is refused before any row is read."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_archive(path: Path, max_unpacked: int) -> None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE2_MAGIC):
        raise FileRefused(
            _l("This is an old Excel (.xls) file or a password-protected one: save it as Excel Workbook (.xlsx).")
        )
    if not head.startswith(ZIP_MAGIC):
        raise FileRefused(_l("This is not an Excel (.xlsx) file."))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRefused(_l("This is not an Excel (.xlsx) file."))
            if (
                any(m.filename.lower().endswith("vbaproject.bin") for m in members)
                or b"macroEnabled" in archive.read("[Content_Types].xml")[:65536]
            ):
                raise FileRefused(_l("Files with macros are not accepted: save it as Excel Workbook (.xlsx)."))
            if len(members) > MAX_MEMBERS:
                raise FileRefused(_l("This file is not a plain spreadsheet (too many parts)."))
            unpacked = sum(m.file_size for m in members)
            if unpacked > max_unpacked:
                raise FileRefused(
                    _l(
                        "This file unpacks to %(size)d MB, more than the %(limit)d MB allowed.",
                        size=unpacked // 2**20,
                        limit=max_unpacked // 2**20,
                    )
                )
            for member in members:
                if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                    raise FileRefused(_l("This file is compressed in a way no spreadsheet is (a zip bomb)."))
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        start = part.read(4096)
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        raise FileRefused(_l("This file holds XML declarations that are not accepted."))
    except zipfile.BadZipFile as exc:
        raise FileRefused(_l("This file is damaged: it cannot be opened as an Excel (.xlsx) file.")) from exc


@dataclass
class Sheet:
    headers: list[tuple[int, str]]  # (position, header as written)
    total: int  # data rows the sheet declares (an estimate: blank rows count)
    rows: Iterator[tuple[int, tuple]]  # (Excel row number, values)
    close: callable


REASONS = {
    "unreadable": _l("This file cannot be read as an Excel (.xlsx) workbook."),
    "no_sheet": _l("The workbook has no sheet."),
    "empty": _l("The first sheet is empty."),
}
READER = Path(__file__).with_name("sheet_reader.py")


def open_sheet(path: Path) -> Sheet:
    """The first worksheet: its header row (the first row with anything in it), then its rows.

    openpyxl parses the sheet in a process of its own (`sheet_reader.py`) that hands the rows over in
    batches through a pipe, so checking and writing rows runs beside the parsing, on the other core,
    instead of after it. The reader inherits nothing but the pipe (a killed import's database
    connection dies with it) and ends when the pipe closes, whoever closes it."""
    reader = subprocess.Popen(  # noqa: S603 - our own script, with the path of a file we stored
        [sys.executable, "-I", str(READER), str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )

    def close() -> None:
        reader.stdout.close()
        try:
            reader.wait(timeout=5)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()

    first = _receive(reader.stdout)
    if first is None or first[0] == "refused":
        close()
        raise FileRefused(REASONS[first[1] if first else "empty"])
    _, number, header, declared = first
    headers = [(i, str(v).strip()) for i, v in enumerate(header) if v not in (None, "")]
    return Sheet(headers, max(declared - number, 0), _received(reader.stdout), close)


DIED = ("refused", "unreadable")  # the reader ended without saying it had sent every row


def _receive(stream):
    try:
        return pickle.load(stream)  # noqa: S301 - written by our own reader process, from parsed values
    except (EOFError, pickle.UnpicklingError):
        return DIED


def _received(stream) -> Iterator[tuple[int, tuple]]:
    """Every row, or FileRefused: a reader that dies half-way never passes for the end of the sheet."""
    while True:
        batch = _receive(stream)
        if batch is None:
            return
        if isinstance(batch, tuple):
            raise FileRefused(REASONS[batch[1]])
        yield from batch


def header_key(text: str) -> str:
    return fold(text).rstrip(" *:")
