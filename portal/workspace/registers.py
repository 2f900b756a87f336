"""The commune workspace's registers, in the order the workspace shows them."""

from functools import cache

from sqlalchemy import bindparam, func, select

from portal.extensions import db
from portal.registers.registry import REGISTERS
from portal.tenancy.models import AdminUnit

ORDER = (
    "persons",
    "episodes",
    "suspects",
    "tests",
    "missed-cases",
    "supports",
    "team-members",
    "residence-checks",
    "absences",
    "determinations",
    "villages",
    "households",
    "household-commitments",
    "village-head-commitments",
    "hotspots",
    "models",
    "activities",
    "incidents",
)


def load_registers() -> None:
    """Import every domain's declarations (each module declares its registers once)."""
    from portal.cases import registers as _cases  # noqa: F401
    from portal.drug_tests import registers as _testing  # noqa: F401
    from portal.hotspots import registers as _hotspots  # noqa: F401
    from portal.incidents import registers as _incidents  # noqa: F401
    from portal.persons import registers as _persons  # noqa: F401
    from portal.prevention import registers as _prevention  # noqa: F401
    from portal.villages import registers as _villages  # noqa: F401

    assert set(REGISTERS) == set(ORDER), "list every register in portal/workspace/registers.py ORDER"


def register_counts(commune: AdminUnit) -> list[tuple]:
    """(register, live rows) for the commune: one statement of one count per register (the guard scopes
    each of them to the request's reach like any query)."""
    row = db.session.execute(_counts_statement(), {"commune_id": commune.id}).one()
    return [(REGISTERS[slug], count) for slug, count in zip(ORDER, row, strict=True)]


@cache
def _counts_statement():
    """Built once (eighteen subqueries cost more to build than to run): the commune is a parameter."""
    return select(
        *(
            select(func.count(model.id))
            .where(model.commune_id == bindparam("commune_id"), model.deleted_at.is_(None))
            .scalar_subquery()
            for model in (REGISTERS[slug].model for slug in ORDER)
        )
    )


def summary(commune: AdminUnit) -> dict:
    """What the workspace shows of the registers (the count of what is due comes after the page)."""
    return {"register_counts": register_counts(commune)}
