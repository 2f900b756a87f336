"""Numbers and text read from a request, within what the portal can use. Anything else is a 400 with
the usual error page, never a 500 from deep in the database driver."""

from flask import abort, request

MAX_PAGE = 1_000_000  # far beyond any list's last page, far below what the database's integers hold
CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))


def page_number(args) -> int:
    """The list page asked for: 1 when absent or not a number, 400 when beyond any list."""
    page = args.get("page", 1, type=int)
    if page > MAX_PAGE:
        abort(400)
    return max(page, 1)


def has_control_characters(text: str) -> bool:
    return not CONTROL.isdisjoint(text)


def refuse_nul_bytes() -> None:
    """No field or parameter holds a NUL byte: PostgreSQL cannot store one, and no officer types one.
    Uploads (multipart) are left to their views, which set their own size limit before anything is read."""
    values = list(request.args.values())
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)
