"""Roll-ups of the kept per-commune results."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import get_locale
from sqlalchemy import and_, case, func, select

from portal import clock
from portal.criteria.models import CommuneResult, Criterion
from portal.criteria.results import version_in_force
from portal.extensions import db
from portal.recognition.access import NONE, communes_below, newest_dossier_rows, stage_of
from portal.recognition.models import APPROVED, DRAFT, RECOGNISED, RETURNED, SUBMITTED
from portal.tenancy.models import AdminUnit


@dataclass
class CommuneRow:
    """A commune's line. On a district page it carries every cell; on the province page only its counts
    (computed in SQL: 547 communes x 9 criteria need not cross the wire)."""

    unit: AdminUnit
    cells: dict = field(default_factory=dict)  # criterion code -> kept result (district pages only)
    results: int = 0  # criteria with a kept result
    failing: int = 0  # of which not met
    failing_since: date | None = None  # the oldest current breach
    dossier: object = None  # its newest recognition dossier
    stage: str = NONE
    broken_since: date | None = None  # recognised, and failing a criterion since that day

    @property
    def computed(self) -> bool:
        return self.results > 0

    @property
    def meets_all(self) -> bool:
        return self.results > 0 and self.failing == 0

    @property
    def submitted(self) -> bool:
        """Waiting for a decision: with the district or with the province."""
        return self.stage in (SUBMITTED, APPROVED)

    @property
    def recognised(self) -> bool:
        return self.stage == RECOGNISED


def _communes(parent: AdminUnit, run) -> dict[int, CommuneRow]:
    communes = run(
        select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.address,
            AdminUnit.name,
            AdminUnit.parent_id,
            AdminUnit.path,
            AdminUnit.latitude,
            AdminUnit.longitude,
            AdminUnit.valid_to,
        )
        .where(AdminUnit.level == "commune", AdminUnit.path.startswith(parent.path), _same_tree(parent))
        .order_by(AdminUnit.code)
    ).all()
    return {c.id: CommuneRow(c) for c in communes}


def _same_tree(parent: AdminUnit):
    """The communes of the current tree; below a district of the 2024 tree, its archived communes (history,
    with the results they had when the reform archived them)."""
    return AdminUnit.valid_to.is_(None) if parent.valid_to is None else AdminUnit.valid_to.is_not(None)


def _stages_and_breaches(rows: dict[int, CommuneRow], parent: AdminUnit, run) -> list[CommuneRow]:
    for dossier in run(newest_dossier_rows(parent)):
        if dossier.commune_id in rows:
            rows[dossier.commune_id].dossier, rows[dossier.commune_id].stage = dossier, stage_of(dossier)
    for row in rows.values():
        if row.recognised and row.computed and row.failing:
            row.broken_since = row.failing_since or clock.today()
    return list(rows.values())


def commune_rows(parent: AdminUnit, criteria: list[Criterion]) -> list[CommuneRow]:
    """Every commune below the unit with every kept result and its newest dossier: three queries of plain
    rows, whatever the number of communes (for a district's matrix)."""
    run = db.session.connection().execute  # Core rows: none of these tables is tenant-owned
    rows = _communes(parent, run)
    codes = {c.id: c.code for c in criteria}
    if codes:
        for result in run(
            select(
                CommuneResult.commune_id,
                CommuneResult.criterion_id,
                CommuneResult.numerator,
                CommuneResult.denominator,
                CommuneResult.value,
                CommuneResult.passed,
                CommuneResult.failing_since,
            ).where(CommuneResult.criterion_id.in_(codes), CommuneResult.commune_id.in_(communes_below(parent)))
        ):
            row = rows.get(result.commune_id)
            if row is not None:
                row.cells[codes[result.criterion_id]] = result
    for row in rows.values():
        row.results = len(row.cells)
        failing = [r for r in row.cells.values() if not r.passed]
        row.failing = len(failing)
        row.failing_since = min((r.failing_since for r in failing if r.failing_since), default=None)
    return _stages_and_breaches(rows, parent, run)


def commune_counts(parent: AdminUnit, criteria: list[Criterion]) -> tuple[list[CommuneRow], dict]:
    """Every commune below the unit with its counts (not its cells), and per district the communes meeting
    each criterion: the same facts as commune_rows, tallied by the database (for the province)."""
    run = db.session.connection().execute
    rows = _communes(parent, run)
    passing: dict[int, dict[str, int]] = {}
    if criteria:
        codes = [c.code for c in criteria]
        not_met = CommuneResult.passed.is_(False)
        met = [
            func.sum(case((and_(CommuneResult.criterion_id == c.id, CommuneResult.passed), 1), else_=0))
            for c in criteria
        ]
        for commune_id, results, failing, since, *met_by_criterion in run(
            select(
                CommuneResult.commune_id,
                func.count(),
                func.sum(case((not_met, 1), else_=0)),
                func.min(case((not_met, CommuneResult.failing_since))),
                *met,
            )
            .where(
                CommuneResult.criterion_id.in_([c.id for c in criteria]),
                CommuneResult.commune_id.in_(communes_below(parent)),
            )
            .group_by(CommuneResult.commune_id)
        ):
            row = rows.get(commune_id)
            if row is None:
                continue
            row.results, row.failing, row.failing_since = results, int(failing or 0), since
            district = passing.setdefault(row.unit.parent_id, {})
            for code, n in zip(codes, met_by_criterion, strict=True):
                district[code] = district.get(code, 0) + int(n or 0)
    return _stages_and_breaches(rows, parent, run), passing


@dataclass
class Totals:
    communes: int = 0
    computed: int = 0
    meeting_all: int = 0
    submitted: int = 0
    recognised: int = 0
    broken: int = 0  # recognised but failing a criterion now
    passing: dict = field(default_factory=dict)  # criterion code -> communes meeting it
    stages: dict = field(default_factory=dict)  # stage -> communes at it

    def add(self, row: CommuneRow) -> None:
        self.communes += 1
        self.computed += row.computed
        self.meeting_all += row.meets_all
        self.submitted += row.submitted
        self.recognised += row.recognised
        self.broken += row.broken_since is not None
        self.stages[row.stage] = self.stages.get(row.stage, 0) + 1
        for code, result in row.cells.items():
            self.passing[code] = self.passing.get(code, 0) + int(result.passed)

    def merge(self, other: "Totals") -> None:
        self.communes += other.communes
        self.computed += other.computed
        self.meeting_all += other.meeting_all
        self.submitted += other.submitted
        self.recognised += other.recognised
        self.broken += other.broken
        for counts, more in ((self.passing, other.passing), (self.stages, other.stages)):
            for key, n in more.items():
                counts[key] = counts.get(key, 0) + n

    @property
    def share(self) -> float:
        return self.meeting_all / self.communes if self.communes else 0.0


def district_view(district: AdminUnit):
    version = version_in_force()
    criteria = version.criteria if version else []
    rows = commune_rows(district, criteria)
    totals = Totals()
    for row in rows:
        totals.add(row)
    return version, criteria, rows, totals


def province_view(province: AdminUnit):
    """Per district: its totals, made from its communes; the province's totals, made from its districts."""
    version = version_in_force()
    criteria = version.criteria if version else []
    districts = db.session.scalars(
        select(AdminUnit)
        .where(AdminUnit.parent_id == province.id, AdminUnit.valid_to.is_(None))
        .order_by(AdminUnit.code)
    ).all()
    by_district = {d.id: Totals() for d in districts}
    rows, passing = commune_counts(province, criteria)
    for row in rows:
        by_district[row.unit.parent_id].add(row)
    for district_id, met in passing.items():
        if district_id in by_district:
            by_district[district_id].passing = met
    total = Totals()
    for totals in by_district.values():
        total.merge(totals)
    return version, criteria, [(d, by_district[d.id]) for d in districts], total, rows


def label(criterion: Criterion) -> str:
    return criterion.label(str(get_locale()))


def sorted_and_filtered(rows: list[CommuneRow], criteria, args) -> tuple[list[CommuneRow], str, str]:
    """The district matrix as asked: `fails=<code>` or `fails=any|none|uncomputed`, `sort=name|failing|<code>`."""
    codes = {c.code for c in criteria}
    fails = args.get("fails", "")
    if fails in codes:
        rows = [r for r in rows if fails in r.cells and not r.cells[fails].passed]
    elif fails == "any":
        rows = [r for r in rows if r.failing]
    elif fails == "none":
        rows = [r for r in rows if r.meets_all]
    elif fails == "uncomputed":
        rows = [r for r in rows if not r.computed]
    elif fails == "unsubmitted":  # nothing sent up yet: no dossier, a draft, or a return to mend
        rows = [r for r in rows if r.stage in (NONE, DRAFT, RETURNED)]
    elif fails == "recognised":
        rows = [r for r in rows if r.recognised]
    elif fails == "broken":
        rows = [r for r in rows if r.broken_since]
    else:
        fails = ""
    sort = args.get("sort", "failing")
    if sort in codes:
        rows = sorted(rows, key=lambda r: (r.cells[sort].value if sort in r.cells else float("inf"), r.unit.code))
    elif sort == "name":
        rows = sorted(rows, key=lambda r: r.unit.name)
    else:
        sort = "failing"  # the ranking: communes meeting all first, then by how many criteria fail
        rows = sorted(rows, key=lambda r: (not r.computed, r.failing, r.unit.code))
    return rows, sort, fails
