"""Layer 3 of isolation: the ORM guard, and the audit every tenant-owned write leaves.

A model becomes tenant-owned by inheriting `TenantOwned`. From then on, without anyone remembering:
- every ORM query of it is scoped to the request's reach (the communes the URL's unit covers), and a
  query with no reach set raises `ScopeMissing` unless the code runs in `system_scope()`;
- every insert, update or delete of it must fall inside the request's write reach, and writes one
  audit row (who, when, unit, object, action, before/after) in the same transaction;
- the isolation tests seed it, sweep its routes and look for its canaries.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ForeignKey, Table, insert, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.sql import visitors

from portal import clock

REACH = "portal.reach"  # frozenset of commune ids the current request may read
WRITE_REACH = "portal.write_reach"  # frozenset of commune ids it may write
ACTOR = "portal.actor_id"  # the acting user's id, for the audit row
SYSTEM = "portal.system"  # CLI, migrations, metric rebuilds: explicitly unscoped
UNITS = "portal.units"  # frozenset of every unit id under the URL's unit (dossiers, results, the audit trail)
MANAGE_UNITS = "portal.manage_units"  # frozenset of the unit ids where the request may grant roles

tenant_models: list[type] = []

class ScopeMissing(RuntimeError):
    """A tenant-owned model was queried or written with no reach set."""


class OutsideReach(RuntimeError):
    """A tenant-owned row was about to be written outside the request's write reach."""


class TenantOwned:
    """Mixin for every model that holds a commune's data."""

    # Shown in the audit and the route sweep: the URL parameter that names one row, e.g. village_id.
    audit_exclude: tuple[str, ...] = ()
    # Its rows change the commune's workspace: a write renews the commune's stamp (tenancy/stamps.py).
    stamped_by = "commune_id"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            tenant_models.append(cls)

    @declared_attr
    def commune_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr takes the class
        return mapped_column(ForeignKey("admin_unit.id"), index=True, nullable=False)


def set_reach(
    session,
    read: frozenset[int],
    write: frozenset[int] = frozenset(),
    actor_id=None,
    units: frozenset[int] = frozenset(),
    manage: frozenset[int] = frozenset(),
) -> None:
    """What the request may touch: the communes whose registers it reads and writes, the units it views
    (`units`) and those where it grants roles (`manage`). Row-level security reads the same sets."""
    info = session.info  # once: a scoped session looks its session up at every attribute
    info[REACH] = frozenset(read)
    info[WRITE_REACH] = frozenset(write) & frozenset(read)
    info[UNITS] = frozenset(units) | frozenset(read)
    info[MANAGE_UNITS] = frozenset(manage) & info[UNITS]
    info[ACTOR] = actor_id
    info.pop(SYSTEM, None)


def acting_as(session, actor_id) -> None:
    """The user the next writes' audit rows name."""
    session.info[ACTOR] = actor_id


def clear_reach(session) -> None:
    info = session.info
    for key in (REACH, WRITE_REACH, UNITS, MANAGE_UNITS, ACTOR, SYSTEM):
        info.pop(key, None)


@contextmanager
def system_scope(session, actor_id=None) -> Iterator[None]:
    """Unscoped access for code that is not serving a user: CLI commands, migrations, rebuilds."""
    saved = {k: session.info.get(k) for k in (REACH, WRITE_REACH, ACTOR, SYSTEM)}
    session.info[SYSTEM] = True
    session.info[ACTOR] = actor_id
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                session.info.pop(key, None)
            else:
                session.info[key] = value


@contextmanager
def viewing_units(session, units: frozenset[int]) -> Iterator[None]:
    """For a page about no one unit (the inbox, the menu's count): view these units (`units_of(user)`),
    reading no register; the request's own reach comes back after."""
    saved = session.info.get(UNITS)
    session.info[UNITS] = frozenset(units)
    try:
        yield
    finally:
        if saved is None:
            session.info.pop(UNITS, None)
        else:
            session.info[UNITS] = saved


class CoreOnTenantData(ScopeMissing):
    """A statement on a tenant table through its Table, not its model: the guard cannot scope it."""


# The guard's decision for each statement shape (its SQLAlchemy cache key, parameter values left out):
# (whether a model of tenant data is in it, whether a tenant table appears as a plain Core table).
# Inspecting a statement walks all of it; the same shape runs on every page, so it is decided once.
DECISIONS: dict[tuple, tuple[bool, bool]] = {}
DECISIONS_KEPT = 10_000  # shapes remembered at most (a few hundred in practice); then forgotten at once


def _inspect(state) -> tuple[bool, bool]:
    if any(issubclass(m.class_, TenantOwned) for m in state.all_mappers):
        return True, False
    tenant_tables = {m.__table__ for m in tenant_models}
    through_models, raw = False, False
    for node in visitors.iterate(state.statement):
        entity = getattr(node, "_annotations", {}).get("parententity")
        if entity is not None and issubclass(entity.class_, TenantOwned):
            through_models = True
        elif isinstance(node, Table) and node in tenant_tables:
            raw = True
    return through_models, raw


def _decision(state) -> tuple[bool, bool]:
    key = state.statement._generate_cache_key()  # memoized on the statement: its execution reuses it
    if key is None:  # a statement SQLAlchemy cannot cache is inspected every time
        return _inspect(state)
    decided = DECISIONS.get(key.key)
    if decided is None:
        if len(DECISIONS) >= DECISIONS_KEPT:
            DECISIONS.clear()
        decided = DECISIONS[key.key] = _inspect(state)
    return decided


def _touches_tenant_data(state) -> bool:
    """A tenant-owned entity anywhere in the statement: at the top, or only inside a subquery (which
    with_loader_criteria scopes too). Tenant tables named as plain Core tables cannot be scoped: they
    are refused outside system scope. Decided once per statement shape (`DECISIONS`)."""
    through_models, raw = _decision(state)
    if raw and not through_models and not state.session.info.get(SYSTEM):
        raise CoreOnTenantData("a tenant table queried as a Core table: use its model, or system_scope")
    return through_models


def scope_tenant_queries(state) -> None:
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    if not _touches_tenant_data(state):
        return
    info = state.session.info
    if info.get(SYSTEM):
        return
    reach = info.get(REACH)
    if reach is None:
        raise ScopeMissing("tenant-owned data queried with no reach set")
    ids = sorted(reach)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned, lambda cls: cls.commune_id.in_(ids), include_aliases=True, track_closure_variables=True
        )
    )


def _changes(obj, action: str) -> tuple[dict | None, dict | None]:
    state = inspect(obj)
    skip = set(getattr(obj, "audit_exclude", ()))
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skip:
            continue
        hist = state.attrs[key].history
        if action == "create":
            after[key] = getattr(obj, key)
        elif action == "delete":
            before[key] = hist.unchanged[0] if hist.unchanged else (hist.deleted or [None])[0]
        elif hist.has_changes():
            before[key] = hist.deleted[0] if hist.deleted else None
            after[key] = hist.added[0] if hist.added else None
    return (before or None), (after or None)


def _primary_key(obj) -> str | None:
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return "-".join(str(v) for v in values) if all(v is not None for v in values) else None


def check_write_reach(session, flush_context, instances) -> None:
    touched = [o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, TenantOwned)]
    if not touched or session.info.get(SYSTEM):
        return
    write = session.info.get(WRITE_REACH)
    if write is None:
        raise ScopeMissing("tenant-owned data written with no reach set")
    for obj in touched:
        if obj.commune_id not in write:
            raise OutsideReach(f"{type(obj).__name__} of commune {obj.commune_id} is outside the write reach")
        if obj in session.dirty and inspect(obj).attrs.commune_id.history.has_changes():
            raise OutsideReach("a row cannot move to another commune")


def audit_tenant_writes(session, flush_context) -> None:
    from portal.audit.models import AuditEvent
    from portal.audit.rows import audit_row

    rows = []
    now = clock.utcnow()
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, TenantOwned):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            before, after = _changes(obj, action)
            if action == "update" and before is None and after is None:
                continue
            rows.append(
                audit_row(
                    action,
                    at=now,
                    actor_id=session.info.get(ACTOR),
                    unit_id=obj.commune_id,
                    object_type=obj.__tablename__,
                    # the primary key is set once the row is inserted (identity comes only after the flush)
                    object_id=_primary_key(obj),
                    before=before,
                    after=after,
                    system=bool(session.info.get(SYSTEM)),
                )
            )
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)
