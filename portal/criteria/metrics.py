"""The registry of metrics. A metric is one population of register rows and one condition a row must
meet. From that single definition come the numerator (rows that meet it), the denominator (all rows),
and the list of rows that fail: the number on a page and the records behind it cannot disagree."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, not_, select

from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.hotspots.models import Hotspot
from portal.incidents.models import Incident
from portal.persons.legal_terms import TREATED_OR_IN_CUSTODY
from portal.persons.models import Person, StatusEpisode
from portal.prevention.models import ModelActivity, PreventionModel
from portal.villages.models import Household, HouseholdCommitment

AWAY = ("rehab_facility", "rehab_compulsory", "prison")  # not living in the community


@dataclass(frozen=True)
class Metric:
    name: str
    model: type  # the rows of the population
    register: str  # where a failing row is opened
    unit: object  # what is counted, for "47/50 households"
    population: object  # (commune_id, day) -> list of SQL conditions on `model`
    passes: object  # (day) -> SQL condition a row of the population meets
    value: str  # "share" (numerator / denominator), "failing" (count of failing rows) or "passing"
    tables: frozenset  # the register tables whose writes can change it


@dataclass(frozen=True)
class Measure:
    numerator: int
    denominator: int
    value: float


def _running(day):
    return and_(StatusEpisode.running_on(day), StatusEpisode.deleted_at.is_(None))


def _person_has(kinds, day):
    return exists().where(
        StatusEpisode.commune_id == Person.commune_id,
        StatusEpisode.person_id == Person.id,
        StatusEpisode.kind.in_(kinds),
        _running(day),
    )


def _year_start(day: date) -> date:
    return date(day.year, 1, 1)


def _live(model):
    return model.deleted_at.is_(None)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "addicts_in_treatment",
            Person,
            "persons",
            _l("addicts"),
            lambda commune_id, day: [Person.commune_id == commune_id, _live(Person), _person_has(["addict"], day)],
            lambda day: _person_has(sorted(TREATED_OR_IN_CUSTODY), day),
            "share",
            frozenset({"person", "status_episode"}),
        ),
        Metric(
            "addicts_in_community",
            Person,
            "persons",
            _l("addicts"),
            lambda commune_id, day: [Person.commune_id == commune_id, _live(Person), _person_has(["addict"], day)],
            lambda day: _person_has(AWAY, day),
            "failing",
            frozenset({"person", "status_episode"}),
        ),
        Metric(
            "suspects_tested",
            SuspicionLead,
            "suspects",
            _l("suspects"),
            lambda commune_id, day: [
                SuspicionLead.commune_id == commune_id,
                _live(SuspicionLead),
                SuspicionLead.listed_on <= day,
            ],
            lambda day: exists().where(
                DrugTest.commune_id == SuspicionLead.commune_id,
                DrugTest.lead_id == SuspicionLead.id,
                _live(DrugTest),
                DrugTest.tested_on <= day,
            ),
            "share",
            frozenset({"suspicion_lead", "drug_test"}),
        ),
        Metric(
            "missed_cases",
            MissedCase,
            "missed-cases",
            _l("missed cases"),
            lambda commune_id, day: [
                MissedCase.commune_id == commune_id,
                _live(MissedCase),
                MissedCase.detected_on >= _year_start(day),
                MissedCase.detected_on <= day,
            ],
            lambda day: false(),
            "failing",
            frozenset({"missed_case", "drug_test", "status_episode"}),
        ),
        Metric(
            "psychosis_incidents",
            Incident,
            "incidents",
            _l("incidents"),
            lambda commune_id, day: [
                Incident.commune_id == commune_id,
                _live(Incident),
                Incident.occurred_on >= _year_start(day),
                Incident.occurred_on <= day,
            ],
            lambda day: not_(
                and_(Incident.psychosis.is_(True), Incident.severity.in_(("very_serious", "especially_serious")))
            ),
            "failing",
            frozenset({"incident"}),
        ),
        Metric(
            "households_committed",
            Household,
            "households",
            _l("households"),
            lambda commune_id, day: [Household.commune_id == commune_id, _live(Household)],
            lambda day: exists().where(
                HouseholdCommitment.commune_id == Household.commune_id,
                HouseholdCommitment.household_id == Household.id,
                _live(HouseholdCommitment),
                HouseholdCommitment.campaign == str(day.year),
                HouseholdCommitment.refused.is_(False),
                HouseholdCommitment.signed_on <= day,
            ),
            "share",
            frozenset({"household", "household_commitment"}),
        ),
        Metric(
            "active_models",
            PreventionModel,
            "models",
            _l("models"),
            lambda commune_id, day: [
                PreventionModel.commune_id == commune_id,
                _live(PreventionModel),
                PreventionModel.started_on <= day,
            ],
            lambda day: and_(
                PreventionModel.status == "active",
                exists().where(
                    ModelActivity.commune_id == PreventionModel.commune_id,
                    ModelActivity.model_id == PreventionModel.id,
                    _live(ModelActivity),
                    ModelActivity.held_on >= _year_start(day),
                    ModelActivity.held_on <= day,
                ),
            ),
            "passing",
            frozenset({"prevention_model", "model_activity"}),
        ),
        Metric(
            "active_hotspots",
            Hotspot,
            "hotspots",
            _l("hotspots"),
            lambda commune_id, day: [Hotspot.commune_id == commune_id, _live(Hotspot), Hotspot.found_on <= day],
            lambda day: Hotspot.status != "active",
            "failing",
            frozenset({"hotspot"}),
        ),
        Metric(
            "new_hotspots",
            Hotspot,
            "hotspots",
            _l("hotspots"),
            lambda commune_id, day: [Hotspot.commune_id == commune_id, _live(Hotspot), Hotspot.found_on <= day],
            lambda day: Hotspot.found_on < _year_start(day),
            "failing",
            frozenset({"hotspot"}),
        ),
    )
}


def measure(metric: Metric, commune_id: int, day: date, session=None) -> Measure:
    """One query: how many rows the population holds and how many of them meet the condition."""
    condition = metric.passes(day)
    numerator, denominator = (
        (session or db.session)
        .execute(
            select(func.coalesce(func.sum(case((condition, 1), else_=0)), 0), func.count(metric.model.id)).where(
                *metric.population(commune_id, day)
            )
        )
        .one()
    )
    numerator, denominator = int(numerator), int(denominator)
    if metric.value == "share":
        value = 1.0 if denominator == 0 else numerator / denominator
    elif metric.value == "failing":
        value = float(denominator - numerator)
    else:
        value = float(numerator)
    return Measure(numerator, denominator, value)


def failing_rows(metric: Metric, commune_id: int, day: date):
    """The rows behind the number: those of the population that do not meet the condition."""
    return (
        select(metric.model)
        .where(*metric.population(commune_id, day), not_(metric.passes(day)))
        .order_by(metric.model.id)
    )
