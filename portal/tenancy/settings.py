"""A province's own settings, kept as data in `tenants/<province>/plan.json`: the plan's targets and
the names and titles its official documents carry."""

import json
from datetime import date
from functools import cache

from portal.tenancy.sync import TENANTS_DIR


@cache
def _all() -> dict[str, dict]:
    settings = {}
    for path in sorted(TENANTS_DIR.glob("*/plan.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        settings[data["province_code"]] = {**data, "folder": path.parent.name}
    return settings


def province_folder(province_code: str) -> str:
    """The province's folder under tenants/ (its unit trees, lineage, criteria and plan)."""
    return _all()[province_code]["folder"]


def plan_settings(province_code: str) -> dict:
    """The province's plan.json, or empty settings for a province that has none."""
    return _all().get(province_code, {"targets": [], "documents": {}})


def days_off(province_code: str) -> tuple:
    """The days the province gives off by decision (`days_off` in plan.json), besides the public holidays."""
    return tuple(date.fromisoformat(d) for d in plan_settings(province_code).get("days_off", []))
