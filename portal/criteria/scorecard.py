"""A commune's scorecard: every criterion of the version in force with its value, pass or fail, the
rule in words, and the moment it was computed; for a past day, computed from the registers then."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import get_locale
from sqlalchemy import select

from portal import clock
from portal.criteria.metrics import METRICS, Measure
from portal.criteria.models import COMPARATORS, CommuneResult, Criterion
from portal.criteria.results import evaluate, version_in_force
from portal.extensions import db


@dataclass(frozen=True)
class Line:
    criterion: Criterion
    label: str
    rule: str
    numerator: int
    denominator: int
    value: float
    passed: bool
    computed_at: datetime | None
    unit: object
    target: str

    @property
    def shown(self) -> str:
        metric = METRICS[self.criterion.metric]
        if metric.value == "share":
            return f"{self.numerator}/{self.denominator} {self.unit}"
        return f"{int(self.value)} {self.unit}"


def scorecard(commune, day: date | None = None) -> tuple[list[Line], object]:
    """Today: the kept results (computed live where none is kept yet). A past day: computed live."""
    today = clock.today()
    day = day or today
    version = version_in_force(day)
    if version is None:
        return [], None
    locale = str(get_locale())
    kept = {}
    if day == today:
        kept = {
            r.criterion_id: r
            for r in db.session.scalars(select(CommuneResult).where(CommuneResult.commune_id == commune.id))
        }
    missing = [c for c in version.criteria if c.id not in kept]
    live = {c.id: (m, ok) for c, m, ok in evaluate(missing, commune.id, day)}
    lines = []
    for criterion in version.criteria:
        if criterion.id in kept:
            r = kept[criterion.id]
            measure, passed, at = Measure(r.numerator, r.denominator, r.value), r.passed, r.computed_at
        else:
            (measure, passed), at = live[criterion.id], None
        target = f"{COMPARATORS[criterion.comparator]} {criterion.threshold:g}"
        if METRICS[criterion.metric].value == "share":
            target = f"{COMPARATORS[criterion.comparator]} {criterion.threshold * 100:g}%"
        lines.append(
            Line(
                criterion,
                criterion.label(locale),
                criterion.rule(locale),
                measure.numerator,
                measure.denominator,
                measure.value,
                passed,
                at,
                METRICS[criterion.metric].unit,
                target,
            )
        )
    return lines, version
