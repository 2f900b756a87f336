"""The registry of metrics. A metric is one population of register rows and one condition a row must
meet. From that single definition come the numerator (rows that meet it), the denominator (all rows),
and the list of rows that fail: the number on a page and the records behind it cannot disagree."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, not_, or_, select

from portal.cases.models import Determination
from portal.drug_tests.models import MISSED_REASONS, DrugTest, MissedCase, SuspicionLead
from portal.extensions import db
from portal.hotspots.models import Hotspot, HotspotStatus
from portal.incidents.models import Incident
from portal.persons.legal_terms import ADDICT_FILE_KINDS, CUSTODY, MEASURES, TREATED_OR_IN_CUSTODY
from portal.persons.models import Person, StatusEpisode
from portal.prevention.models import ModelActivity, PreventionModel
from portal.tenancy.periods import Campaign
from portal.villages.models import Household, HouseholdCommitment
from portal.villages.pledges import has_counting_pledge, resident_on

AWAY = ("rehab_facility", "rehab_compulsory", "prison")  # not living in the community


@dataclass(frozen=True)
class Frame:
    """What a metric is computed against: the day, where its window starts (the criterion's window),
    the criteria version's rules and the province's commitment campaigns."""

    day: date
    since: date
    rules: dict = field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = ()


@dataclass(frozen=True)
class Metric:
    name: str
    model: type  # the rows of the population
    register: str  # where a failing row is opened
    unit: object  # what is counted, for "47/50 households"
    population: object  # (commune_id, frame) -> list of SQL conditions on `model`
    passes: object  # (frame) -> SQL condition a row of the population meets
    value: str  # "share" (numerator / denominator), "failing" (count of failing rows) or "passing"
    tables: frozenset  # the register tables whose writes can change it
    # Rows counted and listed apart (addicts in custody): (commune_id, frame) -> SQL conditions, or None.
    aside: object = None
    # Why a failing row fails, in words: (row, frame) -> str, or None where the rule says it all.
    why: object = None


@dataclass(frozen=True)
class Measure:
    numerator: int
    denominator: int
    value: float
    aside: int = 0


def _running(day):
    return and_(StatusEpisode.running_on(day), StatusEpisode.deleted_at.is_(None))


def _person_has(kinds, day, *conditions):
    return exists().where(
        StatusEpisode.commune_id == Person.commune_id,
        StatusEpisode.person_id == Person.id,
        StatusEpisode.kind.in_(kinds),
        _running(day),
        *conditions,
    )


def _live(model):
    return model.deleted_at.is_(None)


def _addicts(commune_id, frame):
    return [Person.commune_id == commune_id, _live(Person), _person_has(["addict"], frame.day)]


# C1 (version 2) -------------------------------------------------------------------------------------------


def _in_custody(frame):
    return _person_has(sorted(CUSTODY), frame.day)


def _determined(frame, person_id=Person.id, commune_id=Person.commune_id):
    """An addiction determination of "addicted" on record by the day (portal/cases)."""
    return exists().where(
        Determination.commune_id == commune_id,
        Determination.person_id == person_id,
        Determination.deleted_at.is_(None),
        Determination.result == "addicted",
        Determination.result_on <= frame.day,
    )


def _has_file(frame):
    """A management file: the addiction determination or a measure's decision is recorded."""
    decided = _person_has(sorted(ADDICT_FILE_KINDS), frame.day, StatusEpisode.decision_on.is_not(None))
    return or_(decided, _determined(frame))


def _measured_addicts(commune_id, frame):
    out = _addicts(commune_id, frame)
    return [*out, not_(_in_custody(frame))] if frame.rules.get("custody_leaves_denominator") else out


def _measure_applied(frame):
    return and_(_has_file(frame), _person_has(sorted(MEASURES), frame.day), not_(_in_custody(frame)))


def _why_addict_fails(person, frame) -> str:
    running = [e for e in person.episodes if e.deleted_at is None and e.running_on(frame.day)]
    if any(e.kind in CUSTODY for e in running):
        return str(_l("In custody: counted apart, not as treated"))
    decided = any(e.kind in ADDICT_FILE_KINDS and e.decision_on for e in running)
    if not decided and not db.session.scalar(select(_determined(frame, person.id, person.commune_id))):
        return str(_l("No management file: no addiction determination or decision recorded"))
    return str(_l("No rehab, treatment or waiting for a compulsory-rehab decision"))


# Hotspots --------------------------------------------------------------------------------------------------


def _status_on(frame):
    """A hotspot's status on the day: its current one once in force, else the history's, else active."""
    earlier = (
        select(HotspotStatus.status)
        .where(
            HotspotStatus.commune_id == Hotspot.commune_id,
            HotspotStatus.hotspot_id == Hotspot.id,
            HotspotStatus.since <= frame.day,
        )
        .order_by(HotspotStatus.since.desc(), HotspotStatus.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case((Hotspot.status_since <= frame.day, Hotspot.status), else_=func.coalesce(earlier, "active"))


def _windowed(model, column):
    """The rows of a commune dated within the criterion's window, up to the day."""
    return lambda commune_id, frame: [
        model.commune_id == commune_id,
        _live(model),
        column >= frame.since,
        column <= frame.day,
    ]


def _pledged_by(frame, *conditions):
    return exists().where(
        HouseholdCommitment.commune_id == Household.commune_id,
        HouseholdCommitment.household_id == Household.id,
        _live(HouseholdCommitment),
        HouseholdCommitment.refused.is_(False),
        *conditions,
    )


def _activity_since(frame):
    return exists().where(
        ModelActivity.commune_id == PreventionModel.commune_id,
        ModelActivity.model_id == PreventionModel.id,
        _live(ModelActivity),
        ModelActivity.held_on >= frame.since,
        ModelActivity.held_on <= frame.day,
    )


def _hotspots_found(commune_id, frame):
    return [Hotspot.commune_id == commune_id, _live(Hotspot), Hotspot.found_on <= frame.day]


SERIOUS = ("very_serious", "especially_serious")
EPISODE_TABLES = frozenset({"person", "status_episode"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # Version 1's C1: an addict in prison passed as treated, and no file was asked for.
        Metric(
            "addicts_in_treatment",
            Person,
            "persons",
            _l("addicts"),
            _addicts,
            lambda frame: _person_has(sorted(TREATED_OR_IN_CUSTODY), frame.day),
            "share",
            EPISODE_TABLES,
        ),
        # C1 as the law reads: a file (determination or decision) and a measure applied, waiting for a
        # compulsory-rehab decision included; addicts in custody counted apart.
        Metric(
            "addicts_with_measure",
            Person,
            "persons",
            _l("addicts"),
            _measured_addicts,
            _measure_applied,
            "share",
            EPISODE_TABLES,
            aside=lambda commune_id, frame: [*_addicts(commune_id, frame), _in_custody(frame)],
            why=_why_addict_fails,
        ),
        Metric(
            "addicts_in_community",
            Person,
            "persons",
            _l("addicts"),
            _addicts,
            lambda frame: _person_has(AWAY, frame.day),
            "failing",
            EPISODE_TABLES,
        ),
        Metric(
            "suspects_tested",
            SuspicionLead,
            "suspects",
            _l("suspects"),
            lambda commune_id, frame: [
                SuspicionLead.commune_id == commune_id,
                _live(SuspicionLead),
                SuspicionLead.listed_on <= frame.day,
            ],
            lambda frame: exists().where(
                DrugTest.commune_id == SuspicionLead.commune_id,
                DrugTest.lead_id == SuspicionLead.id,
                _live(DrugTest),
                DrugTest.tested_on <= frame.day,
            ),
            "share",
            frozenset({"suspicion_lead", "drug_test"}),
        ),
        Metric(
            "missed_cases",
            MissedCase,
            "missed-cases",
            _l("missed cases"),
            _windowed(MissedCase, MissedCase.detected_on),
            lambda frame: false(),
            "failing",
            frozenset({"missed_case", "drug_test", "status_episode"}),
            why=lambda row, frame: str(MISSED_REASONS.get(row.reason, "")),
        ),
        Metric(
            "psychosis_incidents",
            Incident,
            "incidents",
            _l("incidents"),
            _windowed(Incident, Incident.occurred_on),
            lambda frame: not_(and_(Incident.psychosis.is_(True), Incident.severity.in_(SERIOUS))),
            "failing",
            frozenset({"incident"}),
        ),
        # Version 1's C4: only this calendar year's campaign counted, every household for ever.
        Metric(
            "households_committed",
            Household,
            "households",
            _l("households"),
            lambda commune_id, frame: [Household.commune_id == commune_id, _live(Household)],
            lambda frame: _pledged_by(
                frame, HouseholdCommitment.campaign == str(frame.day.year), HouseholdCommitment.signed_on <= frame.day
            ),
            "share",
            frozenset({"household", "household_commitment"}),
        ),
        # C4 with campaigns: resident households whose pledge still counts on the day.
        Metric(
            "households_pledged",
            Household,
            "households",
            _l("households"),
            lambda commune_id, frame: [Household.commune_id == commune_id, _live(Household), resident_on(frame.day)],
            lambda frame: has_counting_pledge(frame.day, frame.campaigns),
            "share",
            frozenset({"household", "household_commitment"}),
        ),
        Metric(
            "active_models",
            PreventionModel,
            "models",
            _l("models"),
            lambda commune_id, frame: [
                PreventionModel.commune_id == commune_id,
                _live(PreventionModel),
                PreventionModel.started_on <= frame.day,
            ],
            lambda frame: and_(PreventionModel.status == "active", _activity_since(frame)),
            "passing",
            frozenset({"prevention_model", "model_activity"}),
        ),
        Metric(
            "active_hotspots",
            Hotspot,
            "hotspots",
            _l("hotspots"),
            _hotspots_found,
            lambda frame: _status_on(frame) != "active",
            "failing",
            frozenset({"hotspot", "hotspot_status"}),
        ),
        Metric(
            "new_hotspots",
            Hotspot,
            "hotspots",
            _l("hotspots"),
            _hotspots_found,
            lambda frame: Hotspot.found_on < frame.since,
            "failing",
            frozenset({"hotspot"}),
        ),
    )
}


def measure(metric: Metric, commune_id: int, frame: Frame, session=None) -> Measure:
    """One query: how many rows the population holds and how many of them meet the condition (and, for
    a metric that sets rows apart, a second: how many)."""
    session = session or db.session
    condition = metric.passes(frame)
    numerator, denominator = session.execute(
        select(func.coalesce(func.sum(case((condition, 1), else_=0)), 0), func.count(metric.model.id)).where(
            *metric.population(commune_id, frame)
        )
    ).one()
    numerator, denominator = int(numerator), int(denominator)
    aside = 0
    if metric.aside is not None:
        aside = session.scalar(select(func.count(metric.model.id)).where(*metric.aside(commune_id, frame)))
    if metric.value == "share":
        value = 1.0 if denominator == 0 else numerator / denominator
    elif metric.value == "failing":
        value = float(denominator - numerator)
    else:
        value = float(numerator)
    return Measure(numerator, denominator, value, aside)


def failing_rows(metric: Metric, commune_id: int, frame: Frame):
    """The rows behind the number: those of the population that do not meet the condition."""
    return (
        select(metric.model)
        .where(*metric.population(commune_id, frame), not_(metric.passes(frame)))
        .order_by(metric.model.id)
    )


def aside_rows(metric: Metric, commune_id: int, frame: Frame):
    """The rows a metric counts apart (none for most)."""
    if metric.aside is None:
        return None
    return select(metric.model).where(*metric.aside(commune_id, frame)).order_by(metric.model.id)
