"""The unit tree, kept in each worker process under its stamp.

Every page asks the tree: which unit a URL names, the units and communes under it, the archived communes
its communes came from, what the user's roles reach. The tree changes only when a province's tree is
synced or reorganised, and every such write gives `tree_stamp` a new random value in its transaction
(`bump_stamp_on_change`, hooked in portal/listeners.py). The login's one statement reads the stamp with
the session (portal/auth/sessions.py); when it is the stamp the worker read the tree at, the request
asks the tree nothing more. Otherwise the worker reads the whole tree again (two statements: ~800 units
and their lineage for a province) through the request's own connection, so a transaction that changed
the tree reads its own change.

Units are kept as detached model objects, never attached to a session: `unit()` puts a copy into the
request's session without a statement (`as_loaded`) and gives it its parent the same way, so a view
may use it, follow `unit.parent` or write it as any loaded row.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property

from flask import g
from sqlalchemy import select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.extensions import db
from portal.tenancy.models import AdminUnit, TreeStamp, UnitLineage

_STAMP_SEEN = "portal_tree_stamp"  # flask.g: the stamp this request (or command) read
_LINKS_SEEN = "portal_tree_links"  # flask.g: the lineage links this request asked for, in its session
_TREE_SEEN = "portal_tree"  # flask.g: the kept tree at the stamp this request read (asked for again and again)
_KEPT: dict[str, "Tree"] = {}  # per database URL: the tree this worker read last


@dataclass
class Tree:
    stamp: str | None
    units: dict[int, AdminUnit]  # detached: merge before use (`unit()`)
    links: list[UnitLineage] = field(default_factory=list)  # detached, like the units
    _under: dict[tuple[str, ...], tuple] = field(default_factory=dict)

    @cached_property
    def links_from(self) -> dict[int, list[UnitLineage]]:
        """Old commune -> its links, the default successor first."""
        found = defaultdict(list)
        for link in sorted(self.links, key=lambda link: (not link.is_default, link.to_unit_id)):
            found[link.from_unit_id].append(link)
        return found

    @cached_property
    def links_to(self) -> dict[int, list[UnitLineage]]:
        """New commune -> its links, by the old commune's id."""
        found = defaultdict(list)
        for link in sorted(self.links, key=lambda link: link.from_unit_id):
            found[link.to_unit_id].append(link)
        return found

    @cached_property
    def successor_paths(self) -> dict[int, list[str]]:
        """Old commune -> the paths of the units it became."""
        return {old: [self.units[link.to_unit_id].path for link in found] for old, found in self.links_from.items()}

    @cached_property
    def by_address(self) -> dict[str, int]:
        return {unit.address: unit.id for unit in self.units.values()}

    @cached_property
    def by_code(self) -> dict[str, list[int]]:
        codes = defaultdict(list)
        for unit in sorted(self.units.values(), key=lambda u: u.id):
            codes[unit.code].append(unit.id)
        return codes

    def with_its_sources(self, unit_id: int) -> tuple[int, ...]:
        """The unit, the units it was formed from and its province, by id (no unit merged into a session):
        the units whose stamps a commune's page is kept under (portal/home/kept.py)."""
        ids, parent = [unit_id, *(link.from_unit_id for link in self.links_to.get(unit_id, ()))], unit_id
        while parent is not None and self.units[parent].level != "province":
            parent = self.units[parent].parent_id
        return (*ids, parent) if parent is not None else tuple(ids)

    def under(self, paths: tuple[str, ...]) -> tuple[frozenset[int], frozenset[int]]:
        """Every unit under these paths with the archived communes theirs came from, and the communes of
        the paths' own trees: computed once per worker and tree."""
        kept = self._under.get(paths)
        if kept is None:
            inside = [u for u in self.units.values() if u.path.startswith(paths)]
            units = {u.id for u in inside}
            units.update(link.from_unit_id for u in inside for link in self.links_to.get(u.id, ()))
            communes = frozenset(u.id for u in inside if u.level == "commune")
            kept = self._under[paths] = (frozenset(units), communes)
        return kept


def read_stamp_with(statement):
    """The statement with the tree's stamp as one more column (a scalar subquery)."""
    return statement.add_columns(select(TreeStamp.value).where(TreeStamp.id == 1).scalar_subquery())


def saw_stamp(stamp: str | None) -> None:
    """The stamp the request read with the login."""
    g.setdefault(_STAMP_SEEN, stamp)


def current() -> Tree:
    """The tree as this request sees it: kept when its stamp is the one the request read."""
    seen = g.get(_TREE_SEEN)
    if seen is not None:
        return seen
    if _STAMP_SEEN not in g:
        g.setdefault(_STAMP_SEEN, db.session.scalar(select(TreeStamp.value).where(TreeStamp.id == 1)))
    stamp = g.get(_STAMP_SEEN)
    key = str(db.engine.url)
    kept = _KEPT.get(key)
    if kept is None or stamp is None or kept.stamp != stamp:
        kept = _read(stamp)
        if stamp is not None:
            _KEPT[key] = kept
    if stamp is not None:  # a tree never stamped is read again at each question
        g.setdefault(_TREE_SEEN, kept)
    return kept


def _read(stamp: str | None) -> Tree:
    return Tree(stamp, {u.id: u for u in _detached(AdminUnit)}, _detached(UnitLineage))


def _detached(model) -> list:
    """Every row of the model's table, as detached objects with their columns loaded."""
    rows = []
    for row in db.session.execute(select(*model.__table__.c).order_by(model.__table__.c.id)).mappings():
        obj = model(**row)
        make_transient_to_detached(obj)
        rows.append(obj)
    return rows


def unit(unit_id: int | None) -> AdminUnit | None:
    """The unit, in the request's session with its parents (no statement). One the session holds already is
    returned as it is (with whatever the request changed in it)."""
    kept = current().units.get(unit_id)
    if kept is None:
        return None
    held = _held(kept)
    if held is None:
        held = as_loaded(AdminUnit, _columns_of(kept))
        set_committed_value(held, "parent", unit(kept.parent_id))
    return held


def as_loaded(model, values: dict):
    """A row of the model as the ORM would have loaded it with these column values, in the request's
    session, without a statement; the session's own object, given these values, when it holds the row."""
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    if db.session.identity_map.get(identity_key(model, values["id"])) is not None:
        return db.session.merge(obj, load=False)
    db.session.add(obj)
    return obj


def _columns_of(kept) -> dict:
    """A kept object's column values (its relationships are set in the session by whoever asks)."""
    return {key: kept.__dict__[key] for key in _column_keys(type(kept)) if key in kept.__dict__}


@cache
def _column_keys(model) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in model.__mapper__.column_attrs)


def _held(kept):
    """The session's own object of this row, if it holds one."""
    return db.session.identity_map.get(identity_key(type(kept), kept.id))


def unit_at(address: str) -> AdminUnit | None:
    return unit(current().by_address.get(address))


def links(unit_id: int, successors: bool) -> list[UnitLineage]:
    """The unit's lineage links in the request's session, with both their units: what an old commune
    became (its default successor first) or what a new one was formed from. Once a request."""
    asked = g.setdefault(_LINKS_SEEN, {})
    if (unit_id, successors) not in asked:
        tree = current()
        kept = (tree.links_from if successors else tree.links_to).get(unit_id, ())
        asked[(unit_id, successors)] = [_link_in_session(link) for link in kept]
    return asked[(unit_id, successors)]


def _link_in_session(link: UnitLineage) -> UnitLineage:
    held = _held(link)
    if held is None:
        held = as_loaded(UnitLineage, _columns_of(link))
        set_committed_value(held, "from_unit", unit(link.from_unit_id))
        set_committed_value(held, "to_unit", unit(link.to_unit_id))
    return held


def archived_with_code(code: str) -> list[AdminUnit]:
    tree = current()
    return [unit(i) for i in tree.by_code.get(code, ()) if tree.units[i].valid_to is not None]


def bump_stamp_on_change(session, flush_context) -> None:
    """A flush that writes a unit or a lineage link gives the tree a new stamp in its transaction."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, (AdminUnit, UnitLineage)) for obj in touched):
        return
    value = secrets.token_hex(16)
    connection = session.connection()
    if connection.execute(update(TreeStamp).where(TreeStamp.id == 1).values(value=value)).rowcount == 0:
        connection.execute(TreeStamp.__table__.insert().values(id=1, value=value))
    for seen in (_STAMP_SEEN, _TREE_SEEN, _LINKS_SEEN):
        g.pop(seen, None)
