"""A commune's scorecard: every criterion of the version in force with its value, pass or fail, the
rule in words, the assessment period it counts over, and the moment it was computed; for a past day,
computed from the registers as they stood then."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import clock
from portal.criteria.metrics import METRICS, Measure
from portal.criteria.models import COMPARATORS, CommuneResult, CriteriaVersion, Criterion
from portal.criteria.results import evaluate, province_code, version_in_force
from portal.extensions import db
from portal.tenancy.periods import Period, period_of


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
    period: Period | None = None
    aside: int = 0  # rows counted apart (addicts in custody)

    @property
    def shown(self) -> str:
        metric = METRICS[self.criterion.metric]
        if metric.value == "share":
            return f"{self.numerator}/{self.denominator} {self.unit}"
        return f"{int(self.value)} {self.unit}"

    @property
    def aside_note(self) -> str:
        return str(_l("%(n)s in custody, counted apart", n=self.aside)) if self.aside else ""


def _target(criterion: Criterion) -> str:
    if METRICS[criterion.metric].value == "share":
        return f"{COMPARATORS[criterion.comparator]} {criterion.threshold * 100:g}%"
    return f"{COMPARATORS[criterion.comparator]} {criterion.threshold:g}"


def _measures(commune, version: CriteriaVersion, day: date, use_kept: bool) -> dict:
    """criterion id -> (measure, passed, computed_at): kept results where asked and held, else live."""
    kept = {}
    if use_kept:
        kept = {
            r.criterion_id: (Measure(r.numerator, r.denominator, r.value, r.aside), r.passed, r.computed_at)
            for r in db.session.scalars(select(CommuneResult).where(CommuneResult.commune_id == commune.id))
        }
    missing = [c for c in version.criteria if c.id not in kept]
    return kept | {c.id: (m, ok, None) for c, m, ok in evaluate(missing, commune.id, day)}


def scorecard(commune, day: date | None = None, version: CriteriaVersion | None = None) -> tuple[list[Line], object]:
    """Today, under the version in force: the kept results (computed live where none is kept yet). A past
    day, or another version (version 1 stays reproducible): computed live from the registers."""
    today = clock.today()
    day = day or today
    in_force = version_in_force(day)
    version = version or in_force
    if version is None:
        return [], None
    locale = str(get_locale())
    period = period_of(province_code(version), day)
    measures = _measures(commune, version, day, use_kept=day == today and version is in_force)
    lines = []
    for criterion in version.criteria:
        measure, passed, at = measures[criterion.id]
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
                _target(criterion),
                period,
                measure.aside,
            )
        )
    return lines, version
