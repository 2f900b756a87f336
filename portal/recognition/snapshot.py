"""What a submission freezes: the scorecard under the criteria version in force (values, pass or fail,
the counts behind each), the prevention models and their activities, the village commitments. Counts
and names of villages and models only: no person. Plain JSON, so later changes to registers or to the
criteria cannot reach it."""

from datetime import date, timedelta

from sqlalchemy import and_, func, select

from portal import clock
from portal.criteria.metrics import METRICS
from portal.criteria.scorecard import scorecard
from portal.extensions import db
from portal.prevention.models import ModelActivity, PreventionModel
from portal.tenancy.periods import campaign_of, campaigns, period_named, province_code_of
from portal.villages.models import Household, Village, VillageHeadCommitment
from portal.villages.pledges import has_counting_pledge, pledge_counts_on, resident_on

BORDERLINE = 0.10  # a passing share within 10 points of its threshold is shown as borderline


def _borderline(line) -> bool:
    if not line.passed or METRICS[line.criterion.metric].value != "share":
        return False
    return abs(line.value - line.criterion.threshold) <= BORDERLINE


def criteria_lines(commune, day: date | None = None) -> tuple[dict | None, list[dict]]:
    """The scorecard as plain data: both languages, so the frozen record reads the same in either."""
    lines, version = scorecard(commune, day)
    if version is None:
        return None, []
    frozen = [
        {
            "code": line.criterion.code,
            "label_vi": line.criterion.label_vi,
            "label_en": line.criterion.label_en,
            "rule_vi": line.criterion.rule_vi,
            "rule_en": line.criterion.rule_en,
            "target": line.target,
            "numerator": line.numerator,
            "denominator": line.denominator,
            "value": line.value,
            "share": METRICS[line.criterion.metric].value == "share",
            "unit": str(line.unit),
            "passed": line.passed,
            "borderline": _borderline(line),
        }
        for line in lines
    ]
    about = {"id": version.id, "number": version.number, "effective_from": version.effective_from.isoformat()}
    return about, frozen


def prevention_summary(commune_id: int, day: date) -> list[dict]:
    """Each live prevention model with its activities and participants over the last twelve months."""
    since = day - timedelta(days=365)
    rows = db.session.execute(
        select(
            PreventionModel.name,
            PreventionModel.status,
            PreventionModel.started_on,
            func.count(ModelActivity.id),
            func.coalesce(func.sum(ModelActivity.participants), 0),
        )
        .outerjoin(
            ModelActivity,
            and_(
                ModelActivity.model_id == PreventionModel.id,
                ModelActivity.commune_id == PreventionModel.commune_id,
                ModelActivity.deleted_at.is_(None),
                ModelActivity.held_on > since,
                ModelActivity.held_on <= day,
            ),
        )
        .where(PreventionModel.commune_id == commune_id, PreventionModel.deleted_at.is_(None))
        .group_by(PreventionModel.id, PreventionModel.name, PreventionModel.status, PreventionModel.started_on)
        .order_by(PreventionModel.name)
    ).all()
    return [
        {"name": n, "status": s, "started_on": started.isoformat(), "activities": a, "participants": int(p)}
        for n, s, started, a, p in rows
    ]


def commitments_summary(commune, day: date) -> list[dict]:
    """Per village: the head's commitment in the campaign running on the day, and how many of the resident
    households have a pledge that counts on the day (villages/pledges.py)."""
    commune_id = commune.id
    declared = campaigns(province_code_of(commune))
    running = campaign_of(day, declared)
    campaign = running.key if running else str(day.year)
    villages = db.session.execute(
        select(Village.id, Village.name)
        .where(Village.commune_id == commune_id, Village.deleted_at.is_(None))
        .order_by(Village.name)
    ).all()
    households = dict(
        db.session.execute(
            select(Household.village_id, func.count(Household.id))
            .where(Household.commune_id == commune_id, Household.deleted_at.is_(None), resident_on(day))
            .group_by(Household.village_id)
        ).all()
    )
    signed = dict(
        db.session.execute(
            select(Household.village_id, func.count(Household.id))
            .where(
                Household.commune_id == commune_id,
                Household.deleted_at.is_(None),
                resident_on(day),
                has_counting_pledge(day, declared),
            )
            .group_by(Household.village_id)
        ).all()
    )
    heads = set(
        db.session.scalars(
            select(VillageHeadCommitment.village_id).where(
                VillageHeadCommitment.commune_id == commune_id,
                VillageHeadCommitment.deleted_at.is_(None),
                pledge_counts_on(day, declared, VillageHeadCommitment.signed_on),
            )
        )
    )
    return [
        {
            "village": name,
            "campaign": campaign,
            "head_signed": vid in heads,
            "households": households.get(vid, 0),
            "signed": signed.get(vid, 0),
        }
        for vid, name in villages
    ]


def freeze_day(dossier, submitted_on: date | None = None) -> tuple[date, str]:
    """The day a submission freezes the scorecard: the end of the dossier's period, or the submission day
    if that comes first; and which of the two it is."""
    today = submitted_on or clock.today()
    period = period_named(province_code_of(dossier.commune), dossier.period)
    if period is not None and period.end < today:
        return period.end, "period_end"
    return today, "submission_day"


def freeze(dossier, attachments: list, submitted_on: date | None = None, scorecard_lines=None) -> dict:
    """The submission's record; `scorecard_lines` = (version, lines) when the caller has them already."""
    day, reason = freeze_day(dossier, submitted_on)
    version, lines = scorecard_lines or criteria_lines(dossier.commune, day)
    period = period_named(province_code_of(dossier.commune), dossier.period)
    return {
        "as_of": day.isoformat(),
        "as_of_reason": reason,
        "period_span": {"start": period.start.isoformat(), "end": period.end.isoformat()} if period else None,
        "commune": {"code": dossier.commune.code, "name": dossier.commune.name},
        "district": {"code": dossier.commune.parent.code, "name": dossier.commune.parent.name},
        "period": dossier.period,
        "version": version,
        "criteria": lines,
        "models": prevention_summary(dossier.commune_id, day),
        "commitments": commitments_summary(dossier.commune, day),
        "comments": dossier.comments,
        "explanations": {k: v for k, v in dossier.explanations.items() if v},
        "attachments": [
            {"name": a.original_name, "size": a.size, "sha256": a.sha256, "type": a.content_type} for a in attachments
        ],
    }
