"""A file sent to the browser to keep: an attachment whose name survives Vietnamese letters."""

from urllib.parse import quote

from flask import Response

from portal.shell.text import fold

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, mimetype: str, filename: str) -> Response:
    """An ASCII fallback name for old clients and the exact name as RFC 6266 filename*."""
    ascii_name = "".join(c if c.isalnum() or c in "._-" else "-" for c in fold(filename)) or "download"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response
