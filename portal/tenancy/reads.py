"""Every read of a row that names a person is recorded, by construction.

A model that carries a person's name or identity says so (`names_a_person = True`: persons, households
and their commitments, villages and their heads' commitments). Whenever the ORM loads such a row while
serving a signed-in user outside system scope, the row is noted; before the response leaves, one audit
row per table names the rows the page had in hand (`read`, `after.ids`), unless the page recorded them
itself (`record_read`, `record_list_read`, with their context); all of them are committed together (one
INSERT) before the response leaves. A page that loaded a person's row and cannot record it is not sent.
A redirect, or an error page, shows no row and records nothing.

This does not depend on anyone declaring a column personal: a new page that lists people records its
reads because it loads them (tests/isolation/test_read_audit.py renders every route to prove it). The
hooks are installed with the others (portal/listeners.py)."""

from flask import abort, g, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import object_session

from portal.audit.actions import PENDING, RECORDED, add_read_rows, commit_keeping_what_was_read, read_row
from portal.extensions import db
from portal.tenancy.guard import SYSTEM

LOADED = "portal_rows_loaded"  # g: {(table, id)} loaded for the user in this request


def install(app) -> None:
    app.after_request(record_rows_read)


def note_loaded(target, context) -> None:
    """Instance "load" of every register row (portal/listeners.py): a row that names a person, noted."""
    if getattr(target, "names_a_person", False):
        _note(target)


def note_refreshed(target, context, attrs) -> None:
    if getattr(target, "names_a_person", False):
        _note(target)


def _note(target) -> None:
    session = object_session(target)
    if not has_request_context() or session is None or session.info.get(SYSTEM) or not current_user.is_authenticated:
        return
    g.setdefault(LOADED, set()).add((target.__tablename__, target.id))


def record_rows_read(response):
    loaded = g.pop(LOADED, set()) - g.pop(RECORDED, set())
    rows = g.pop(PENDING, [])  # the page's own read rows (record_read, record_list_read)
    if not (loaded or rows) or 300 <= response.status_code < 400 or response.status_code >= 500:
        return response
    unit = (request.view_args or {}).get("unit")
    by_table: dict[str, list[int]] = {}
    for table, row_id in loaded:
        by_table.setdefault(table, []).append(row_id)
    unit_id = getattr(unit, "id", None)
    for table, ids in sorted(by_table.items()):
        rows.append(read_row(current_user.id, unit_id, table, {"ids": sorted(ids), "page": request.path}))
    try:
        add_read_rows(rows)
        commit_keeping_what_was_read()
    except Exception:  # noqa: BLE001 - whatever kept the audit row from being written, the page is not sent
        db.session.rollback()
        abort(503)
    return response
