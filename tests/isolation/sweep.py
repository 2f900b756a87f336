"""Helpers of the IDOR sweep: build each route's URL for given ids, and fingerprint database state."""

import re

from sqlalchemy import select, text

from portal.extensions import db
from portal.tenancy.guard import system_scope, tenant_models
from tests.world import COMMUNES, UNITS, USERS

PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# The tables a request could change; audit rows are counted too (a refused write writes none).
STATE_TABLES = (
    "admin_unit",
    "user_account",
    "role_assignment",
    *(m.__tablename__ for m in tenant_models),
    "dossier",
    "dossier_submission",
    "dossier_event",
    "dossier_attachment",
    "case_transfer",  # moves between communes: the one record two communes read
    "export_job",  # a queued export: its requester's own
)
# Object kinds that belong to one commune, like a register row: reachable only through that commune.
COMMUNE_OBJECTS = ("row", "dossier", "attachment", "sent_transfer", "received_transfer")
# Objects of one commune that only the account which made them reaches (a queued export and its file).
OWN_OBJECTS = ("export",)
PARAM_MODEL = {m.__tablename__ + "_id": m for m in tenant_models}


def url_for_rule(rule: str, values: dict) -> str:
    return PARAM.sub(lambda m: str(values[m.group(1)]), rule)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def state_fingerprint(app) -> tuple:
    # A context of its own: requests must never share a session with the test's checks.
    with app.app_context(), system_scope(db.session):
        rows = tuple(
            tuple(tuple(r) for r in db.session.execute(text(f"SELECT * FROM {t} ORDER BY id")))  # noqa: S608
            for t in STATE_TABLES
        )
        # a look at a personal record or an export writes its audit row by design; any other means a change
        audits = db.session.scalar(text("SELECT count(*) FROM audit_event WHERE action NOT IN ('read', 'export')"))
        db.session.rollback()
    return rows, audits


def foreign_fingerprint(app, world, foreign_units: set[str]) -> tuple:
    """Everything that belongs to the given units: their register rows, role assignments and accounts."""
    unit_ids = [world.unit_id[k] for k in foreign_units]
    users = [world.user_id[u] for u, (_, k) in USERS.items() if k in foreign_units]
    with app.app_context(), system_scope(db.session):
        parts = []
        for model in tenant_models:
            parts.append(
                tuple(
                    tuple(r)
                    for r in db.session.execute(
                        select(model.__table__).where(model.__table__.c.commune_id.in_(unit_ids)).order_by("id")
                    )
                )
            )
        dossiers = tuple(
            tuple(r) for r in db.session.execute(text("SELECT * FROM dossier ORDER BY id")) if r.commune_id in unit_ids
        )
        ids = {r[0] for r in dossiers}
        parts.append(dossiers)
        for table in ("dossier_submission", "dossier_event", "dossier_attachment"):
            parts.append(
                tuple(
                    tuple(r)
                    for r in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
                    if r.dossier_id in ids
                )
            )
        parts.append(
            tuple(
                tuple(r)
                for r in db.session.execute(text("SELECT * FROM role_assignment ORDER BY id"))
                if r.unit_id in unit_ids or r.user_id in users
            )
        )
        parts.append(
            tuple(tuple(r) for r in db.session.execute(text("SELECT * FROM user_account ORDER BY id")) if r.id in users)
        )
        parts.append(
            tuple(
                tuple(r)
                for r in db.session.execute(text("SELECT * FROM case_transfer ORDER BY id"))
                if r.commune_id in unit_ids or r.to_commune_id in unit_ids
            )
        )
        db.session.rollback()
    return tuple(parts)


def object_choices(world, kind: str, param: str):
    """(ids for the URL, the unit key the object belongs to, the account it names) for every seeded object."""
    if kind == "row":
        model = PARAM_MODEL[param]
        return [({param: world.row_id[(model, key)]}, key, None) for key in COMMUNES]
    if kind == "dossier":
        return [({"dossier_id": world.dossier_id[key]}, key, None) for key in COMMUNES]
    if kind == "attachment":  # a file of a dossier: both ids in the URL
        return [
            ({"dossier_id": world.dossier_id[key], "attachment_id": world.attachment_id[key]}, key, None)
            for key in COMMUNES
        ]
    if kind == "account":
        return [({"user_id": world.user_id[name]}, USERS[name][1], name) for name in USERS]
    if kind == "sent_transfer":  # a move between communes, named by its sender
        return [({param: world.transfer_out[key]}, key, None) for key in COMMUNES]
    if kind == "received_transfer":  # the same moves, named by their receivers
        return [({param: world.transfer_in[key]}, key, None) for key in COMMUNES]
    if kind == "export":  # each commune's officer's own
        return [({param: world.export_id[key]}, key, f"officer_{key.lower()}") for key in COMMUNES]
    raise ValueError(kind)


def owner_object_ids(world, route) -> dict:
    """URL ids of the objects a route names, taken from its owner's own unit."""
    values = {}
    for param, kind in route.objects.items():
        if kind == "row":
            values[param] = world.row_id[(PARAM_MODEL[param], route.owner_unit)]
        elif kind == "dossier":
            values["dossier_id"] = world.dossier_id[route.owner_unit]
        elif kind == "attachment":
            values["dossier_id"] = world.dossier_id[route.owner_unit]
            values["attachment_id"] = world.attachment_id[route.owner_unit]
        elif kind in ("sent_transfer", "received_transfer"):
            values[param] = (world.transfer_out if kind == "sent_transfer" else world.transfer_in)[route.owner_unit]
        elif kind == "export":
            values[param] = world.export_id[route.owner_unit]
    return values


def level_of(unit_key: str) -> str:
    return UNITS[unit_key][3]
