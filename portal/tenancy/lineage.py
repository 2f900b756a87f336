"""The 2025 tree, its areas and its lineage from the late-2024 tree, as data in `tenants/<province>/`
(`units-2025.csv`, `areas.csv`, `lineage.csv`; written by `tenants/tools/extract_2025_tree.py`).

A code alone does not name a unit: the 2025 tree reuses old codes (15085 was Xã Quang Trung and is now
Xã Thạch Lập). Identity is the pair (tree, code), and what became of an old commune is read from the
lineage, never guessed from its code. `check()` refuses a lineage that names a unit neither tree has,
leaves an old commune without a successor, or gives one no single default."""

import csv
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.tenancy.sync import TENANTS_DIR


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
