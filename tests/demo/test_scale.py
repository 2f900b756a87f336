"""The province-scale generator: rows that keep the registers' rules, and communes that fail exactly
the criteria they were made to fail."""

import random

from sqlalchemy import func, select

from portal import clock
from portal.criteria.models import CommuneResult, Criterion
from portal.criteria.results import refresh_commune
from portal.demo.scale import Batches, fill_commune
from portal.extensions import db
from portal.registers.registry import REGISTERS
from portal.shell.text import fold
from portal.tenancy.guard import system_scope
from portal.tenancy.models import AdminUnit
from portal.villages.models import Household, HouseholdCommitment

TOLERATED = {"C1b"}  # fewer than 10 addicts at home: a commune with many treated at home may fail it too


def _new_commune(world, n: int) -> AdminUnit:
    district = db.session.get(AdminUnit, world.unit_id["D1"])
    code = f"9{n:04d}"
    commune = AdminUnit(
        code=code, name=f"Xã Sinh {n}", kind="commune", level="commune", parent=district, path=f"{district.path}{code}/"
    )
    db.session.add(commune)
    db.session.flush()
    return commune


def test_generated_communes_fail_exactly_what_they_were_made_to_fail(app, world):
    today = clock.today()
    seen = set()
    with app.app_context(), system_scope(db.session):
        for n in range(12):
            commune = _new_commune(world, n)
            batches = Batches()
            fails = fill_commune(batches, commune, random.Random(f"test-{n}"), today)
            batches.flush()
            refresh_commune(commune.id, today)
            failing = set(
                db.session.scalars(
                    select(Criterion.code)
                    .join(CommuneResult, CommuneResult.criterion_id == Criterion.id)
                    .where(CommuneResult.commune_id == commune.id, CommuneResult.passed.is_(False))
                )
            )
            assert failing - TOLERATED == fails, (n, failing, fails)
            seen |= fails
            households = db.session.scalar(select(func.count(Household.id)).where(Household.commune_id == commune.id))
            assert 1100 <= households <= 3300
            household = db.session.scalars(select(Household).where(Household.commune_id == commune.id)).first()
            assert household.search_key == fold(REGISTERS["households"].search_text(household))
            commitments = select(func.count(HouseholdCommitment.id)).where(HouseholdCommitment.commune_id == commune.id)
            assert (db.session.scalar(commitments) < households) == ("C4" in fails)
        db.session.rollback()
    assert len(seen) >= 4  # the variation covers several kinds of failure
