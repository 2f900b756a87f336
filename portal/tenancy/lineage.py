"""The 2025 tree, its areas and its lineage from the late-2024 tree, as data in `tenants/<province>/`
(`units-2025.csv`, `areas.csv`, `lineage.csv`; written by `tenants/tools/extract_2025_tree.py`).

A code alone does not name a unit: the 2025 tree reuses old codes (15085 was Xã Quang Trung and is now
Xã Thạch Lập). Identity is the pair (tree, code), and what became of an old commune is read from the
lineage, never guessed from its code. `check()` refuses a lineage that names a unit neither tree has,
leaves an old commune without a successor, or gives one no single default."""

import csv
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.tenancy.models import TREE_2025_FROM, AdminUnit, UnitLineage
from portal.tenancy.sync import TENANTS_DIR, SyncReport, upsert_unit


@dataclass(frozen=True)
class Successor:
    old_code: str
    new_code: str
    default: bool  # where a split commune's rows go unless the province moves a village
    share: float | None  # for a split: this part's share of the successors' area (None: joined whole)


def _rows(province: str, name: str) -> list[dict]:
    path = TENANTS_DIR / province / name
    if not path.is_file():
        raise FileNotFoundError(f"no {name} at {path}")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_tree_2025(province: str) -> list[dict]:
    """The commune-level units of the 2025 tree, each naming its area as `parent_code`."""
    return _rows(province, "units-2025.csv")


def read_areas(province: str) -> list[dict]:
    """The province's areas (khu vực): by default one per former district."""
    return _rows(province, "areas.csv")


def read_lineage(province: str) -> list[Successor]:
    return [
        Successor(r["old_code"], r["new_code"], r["default"] == "1", float(r["share"]) if r["share"] else None)
        for r in _rows(province, "lineage.csv")
    ]


def check(old_codes: set[str], new_codes: set[str], lineage: list[Successor]) -> list[str]:
    """What is wrong with a lineage, in words (empty: it can be replayed)."""
    problems = []
    unknown_old = _l("The lineage names %(code)s, which the 2024 tree does not have.")
    unknown_new = _l("The lineage names %(code)s, which the 2025 tree does not have.")
    for link in lineage:
        if link.old_code not in old_codes:
            problems.append(str(unknown_old % {"code": link.old_code}))
        if link.new_code not in new_codes:
            problems.append(str(unknown_new % {"code": link.new_code}))
    defaults: dict[str, int] = {}
    for link in lineage:
        defaults[link.old_code] = defaults.get(link.old_code, 0) + link.default
    for code in sorted(old_codes - set(defaults)):
        problems.append(str(_l("Commune %(code)s of the 2024 tree has no successor in the lineage.", code=code)))
    for code, count in sorted(defaults.items()):
        if count != 1:
            message = _l("Commune %(code)s has %(n)s default successors instead of one.", code=code, n=count)
            problems.append(str(message))
    orphans = new_codes - {link.new_code for link in lineage}
    for code in sorted(orphans):
        problems.append(str(_l("Unit %(code)s of the 2025 tree has no predecessor in the lineage.", code=code)))
    return problems


def sync_tree_2025(province: str, root: AdminUnit) -> SyncReport:
    """The areas and the units of the 2025 tree under the province, created or updated (idempotent)."""
    report = SyncReport()
    by_key = {(u.tree, u.code): u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.tree == "2025"))}
    areas = {}
    for row in read_areas(province):
        wanted = {
            "name": row["name"],
            "kind": "area",
            "level": "district",
            "parent_id": root.id,
            "path": f"{root.path}{row['code']}/",
            "latitude": None,
            "longitude": None,
            "valid_to": None,
            "address": row["code"],
        }
        areas[row["code"]] = upsert_unit(by_key, "2025", row["code"], wanted, report, valid_from=TREE_2025_FROM)
    for row in read_tree_2025(province):
        area = areas.get(row["parent_code"])
        if area is None:
            raise ValueError(f"unit {row['code']}: area {row['parent_code']} is not in areas.csv")
        wanted = {
            "name": row["name"],
            "kind": row["kind"],
            "level": "commune",
            "parent_id": area.id,
            "path": f"{area.path}{row['code']}/",
            "latitude": float(row["latitude"]) if row["latitude"] else None,
            "longitude": float(row["longitude"]) if row["longitude"] else None,
            "valid_to": None,
            "address": row["code"],
        }
        upsert_unit(by_key, "2025", row["code"], wanted, report, valid_from=TREE_2025_FROM)
    db.session.flush()
    return report


def sync_lineage(province: str) -> int:
    """The lineage rows of the file, kept by (old unit, new unit); refused whole when `check` finds a fault.
    Returns how many rows were added or changed."""
    old = {u.code: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.tree == "2024"))}
    new = {u.code: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.tree == "2025"))}
    lineage = read_lineage(province)
    old_communes = {code for code, u in old.items() if u.level == "commune"}
    problems = check(old_communes, {code for code, u in new.items() if u.level == "commune"}, lineage)
    if problems:
        raise ValueError("; ".join(problems))
    kept = {(r.from_unit_id, r.to_unit_id): r for r in db.session.scalars(select(UnitLineage))}
    changed = 0
    for link in lineage:
        source, target = old[link.old_code], new[link.new_code]
        row = kept.get((source.id, target.id))
        if row is None:
            row = UnitLineage(from_unit_id=source.id, to_unit_id=target.id, effective_on=TREE_2025_FROM)
            db.session.add(row)
        if row.id is None or (row.is_default, row.share) != (link.default, link.share):
            row.is_default, row.share = link.default, link.share
            changed += 1
    db.session.flush()
    return changed
