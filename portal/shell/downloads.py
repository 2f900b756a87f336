"""A file sent to the browser to keep: an attachment whose name survives Vietnamese letters."""

from pathlib import Path
from urllib.parse import quote

from flask import Response

from portal.shell.text import fold

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, mimetype: str, filename: str) -> Response:
    """An ASCII fallback name for old clients and the exact name as RFC 6266 filename*."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(filename)
    return response


def stream_file(path: Path, mimetype: str, filename: str, chunk: int = 65536) -> Response:
    """A file made for this response, sent in chunks and deleted once sent (or abandoned)."""

    def chunks():
        try:
            with open(path, "rb") as handle:
                while data := handle.read(chunk):
                    yield data
        finally:
            path.unlink(missing_ok=True)

    response = Response(chunks(), mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Content-Length"] = str(path.stat().st_size)
    return response


def _disposition(filename: str) -> str:
    ascii_name = "".join(c if c.isalnum() or c in "._-" else "-" for c in fold(filename)) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
