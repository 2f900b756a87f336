"""Load a province's late-2024 unit tree from `tenants/<province>/units.csv`, idempotently (the 2025 tree
and the lineage: portal/tenancy/lineage.py)."""

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.tenancy.models import ARCHIVE_SUFFIX, LEVELS, TREE_2025_FROM, AdminUnit

TENANTS_DIR = Path(__file__).resolve().parents[2] / "tenants"


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0


def read_tree(province: str) -> list[dict]:
    path = TENANTS_DIR / province / "units.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no unit tree at {path}")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["level"] not in LEVELS:
            raise ValueError(f"unit {row['code']}: unknown level {row['level']!r}")
    return rows


def upsert_unit(by_key: dict, tree: str | None, code: str, wanted: dict, report: SyncReport, **new) -> AdminUnit:
    """The unit of this tree with this code, created or brought to `wanted`; counted in the report."""
    unit = by_key.get((tree, code))
    if unit is None:
        unit = AdminUnit(code=code, tree=tree, **wanted, **new)
        db.session.add(unit)
        db.session.flush()
        by_key[(tree, code)] = unit
        report.created += 1
    elif any(getattr(unit, k) != v for k, v in wanted.items()):
        for key, value in wanted.items():
            setattr(unit, key, value)
        report.updated += 1
    else:
        report.unchanged += 1
    return unit


def _tree_of(row: dict) -> str | None:
    return None if row["level"] == "province" else "2024"


def sync_tree(rows: list[dict], today: date | None = None, archived: bool = False) -> SyncReport:
    """Create or update every unit of the late-2024 file; close (valid_to) the units of its province it no
    longer has. `archived`: the 2025 tree is loaded too, so these units were valid until 30/06/2025 and
    are addressed as `<code>-2024`.

    Units are matched by tree and code, so a renamed unit is updated in place, never duplicated.
    """
    report = SyncReport()
    by_key = {(u.tree, u.code): u for u in db.session.scalars(select(AdminUnit))}
    seen: set[tuple] = set()
    for level in LEVELS:  # parents before children
        for row in (r for r in rows if r["level"] == level):
            tree = _tree_of(row)
            parent = by_key.get((None, row["parent_code"])) or by_key.get(("2024", row["parent_code"]))
            if row["parent_code"] and parent is None:
                raise ValueError(f"unit {row['code']}: parent {row['parent_code']} is not in the tree")
            closed = archived and tree == "2024"
            wanted = {
                "name": row["name"],
                "kind": row["kind"],
                "level": row["level"],
                "parent_id": parent.id if parent else None,
                "path": (parent.path if parent else "/") + row["code"] + "/",
                "latitude": float(row["latitude"]) if row["latitude"] else None,
                "longitude": float(row["longitude"]) if row["longitude"] else None,
                "valid_to": TREE_2025_FROM - timedelta(days=1) if closed else None,
                "address": row["code"] + ARCHIVE_SUFFIX if closed else row["code"],
            }
            upsert_unit(by_key, tree, row["code"], wanted, report, valid_from=today)
            seen.add((tree, row["code"]))
    roots = [r["code"] for r in rows if r["level"] == "province"]
    for key, unit in by_key.items():
        in_province = any(unit.path.startswith(f"/{r}/") for r in roots)
        if key not in seen and unit.tree == "2024" and in_province and unit.valid_to is None:
            unit.valid_to = today or clock.today()
            report.closed += 1
    db.session.flush()
    return report
