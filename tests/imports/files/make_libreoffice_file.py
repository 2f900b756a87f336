"""Makes libreoffice-persons.xlsx: a persons sheet written by openpyxl, then opened and saved again by
LibreOffice Calc, which writes its own dialect of .xlsx (shared strings, styles, dates as serials with its
own number formats, a dimension tag). Run once by hand where LibreOffice is installed:

    python tests/imports/files/make_libreoffice_file.py

(apt-get install -y libreoffice-calc-nogui). The result is committed; the tests only read it."""

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
ROWS = [
    ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn nơi cư trú", "Địa chỉ"],
    ["Trần Văn Bảo", datetime(1990, 5, 20), "Nam", "038090001235", "Làng Mới", "Xóm 2"],
    ["Lê Thị Hoa", datetime(1995, 11, 2), "Nữ", "038195004321", "Thôn Chiềng", ""],
    ["Phạm Văn Đức", "07/08/1988", "Nam", "", "Làng Mới", "Xóm 5"],
]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "source.xlsx"
        book = Workbook()
        for row in ROWS:
            book.active.append(row)
        book.active["B2"].number_format = book.active["B3"].number_format = "DD/MM/YYYY"
        book.save(source)
        out = Path(work) / "out"
        subprocess.run(  # noqa: S603
            [shutil.which("soffice") or "soffice", "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
             "--outdir", str(out), str(source)],
            check=True,
        )  # fmt: skip
        shutil.copy(out / "source.xlsx", HERE / "libreoffice-persons.xlsx")


if __name__ == "__main__":
    main()
