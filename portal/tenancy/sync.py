"""Load a province's unit tree from `tenants/<province>/units.csv`, idempotently."""

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.tenancy.models import LEVELS, AdminUnit

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


def sync_tree(rows: list[dict], today: date | None = None) -> SyncReport:
    """Create or update every unit of the file; close (valid_to) the units of its province it no longer has.

    Units are matched by code, so a renamed unit is updated in place, never duplicated.
    """
    report = SyncReport()
    by_code = {u.code: u for u in db.session.scalars(select(AdminUnit))}
    seen: set[str] = set()
    for level in LEVELS:  # parents before children
        for row in (r for r in rows if r["level"] == level):
            parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
            if row["parent_code"] and parent is None:
                raise ValueError(f"unit {row['code']}: parent {row['parent_code']} is not in the tree")
            wanted = {
                "name": row["name"],
                "kind": row["kind"],
                "level": row["level"],
                "parent_id": parent.id if parent else None,
                "path": (parent.path if parent else "/") + row["code"] + "/",
                "latitude": float(row["latitude"]) if row["latitude"] else None,
                "longitude": float(row["longitude"]) if row["longitude"] else None,
                "valid_to": None,
            }
            unit = by_code.get(row["code"])
            if unit is None:
                unit = AdminUnit(code=row["code"], valid_from=today, **wanted)
                db.session.add(unit)
                db.session.flush()
                by_code[unit.code] = unit
                report.created += 1
            elif any(getattr(unit, k) != v for k, v in wanted.items()):
                for key, value in wanted.items():
                    setattr(unit, key, value)
                report.updated += 1
            else:
                report.unchanged += 1
            seen.add(row["code"])
    roots = [r["code"] for r in rows if r["level"] == "province"]
    for unit in by_code.values():
        if unit.code not in seen and any(unit.path.startswith(f"/{r}/") for r in roots) and unit.valid_to is None:
            unit.valid_to = today or clock.today()
            report.closed += 1
    return report
