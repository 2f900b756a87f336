"""The province's trend from the monthly snapshots against the plan's targets, and the map of its
communes at their centroids: the numbers and coordinates the server-drawn SVGs are made of."""

import math
from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import select

from portal.criteria.models import MonthlyTally
from portal.extensions import db
from portal.tenancy.models import TREE_2025_FROM, AdminUnit
from portal.tenancy.settings import plan_settings


@dataclass(frozen=True)
class Month:
    month: date
    meeting_all: int
    communes: int  # communes with a snapshot that month

    @property
    def share(self) -> float:
        return self.meeting_all / self.communes if self.communes else 0.0

    @property
    def tree(self) -> str:
        """The unit tree the month was tallied on: the 547 communes of 2024, or the 166 of 2025."""
        return "2025" if self.month >= TREE_2025_FROM else "2024"


def tree_changes(months: list[Month]) -> int | None:
    """The index of the first month on the 2025 tree when the trend runs through the reform, else None."""
    for index in range(1, len(months)):
        if months[index - 1].tree != months[index].tree:
            return index
    return None


@dataclass(frozen=True)
class Target:
    by: date
    share: float
    label: str
    source: str


def trend(province: AdminUnit, months: int = 24) -> list[Month]:
    """The last months' tallies, oldest first: kept when each month's snapshots are taken."""
    rows = db.session.scalars(
        select(MonthlyTally)
        .where(MonthlyTally.province_id == province.id)
        .order_by(MonthlyTally.month.desc())
        .limit(months)
    ).all()
    return [Month(r.month, r.meeting_all, r.communes) for r in reversed(rows)]


def targets(province: AdminUnit) -> list[Target]:
    english = str(get_locale()) == "en"
    return [
        Target(date.fromisoformat(t["by"]), t["share"], t["label_en"] if english else t["label_vi"], t["source"])
        for t in plan_settings(province.code)["targets"]
    ]


@dataclass(frozen=True)
class Point:
    row: object  # the CommuneRow
    x: float
    y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float


MAP_WIDTH = 640
MAP_PAD = 16


def map_layout(rows, districts) -> tuple[list[Point], list[Label], float]:
    """Communes placed by an equirectangular projection of their centroids (fine at a province's size),
    and each district's name at the middle of its communes. Returns the points, labels and the height."""
    placed = [r for r in rows if r.unit.latitude is not None and r.unit.longitude is not None]
    if not placed:
        return [], [], 0
    lats = [r.unit.latitude for r in placed]
    lons = [r.unit.longitude for r in placed]
    west, north = min(lons), max(lats)
    scale_x = math.cos(math.radians(sum(lats) / len(lats)))
    width_deg = (max(lons) - west) * scale_x or 1.0
    height_deg = (north - min(lats)) or 1.0
    k = (MAP_WIDTH - 2 * MAP_PAD) / width_deg
    height = height_deg * k + 2 * MAP_PAD

    def project(lat, lon):
        return MAP_PAD + (lon - west) * scale_x * k, MAP_PAD + (north - lat) * k

    points = []
    for r in placed:
        x, y = project(r.unit.latitude, r.unit.longitude)
        points.append(Point(r, round(x, 1), round(y, 1)))
    labels = []
    names = {d.id: d.name for d in districts}
    by_district: dict[int, list[Point]] = {}
    for p in points:
        by_district.setdefault(p.row.unit.parent_id, []).append(p)
    for district_id, members in by_district.items():
        x = sum(p.x for p in members) / len(members)
        y = sum(p.y for p in members) / len(members)
        labels.append(Label(names.get(district_id, ""), round(x, 1), round(y, 1)))
    return points, labels, round(height, 1)


def map_state(row) -> str:
    if row.broken_since:
        return "broken"
    if row.recognised:
        return "recognised"
    if row.meets_all:
        return "meets"
    return "fails" if row.computed else "none"


def map_marks(points: list[Point], district_names: dict, unit_href: str, state_names: dict) -> Markup:
    """The communes' marks as SVG, built here rather than in the template: a province is 547 links."""
    states = {k: escape(v) for k, v in state_names.items()}
    districts = {k: escape(v) for k, v in district_names.items()}
    out = []
    for p in points:
        unit, state = p.row.unit, map_state(p.row)
        name, x, y = escape(unit.name), p.x, p.y
        if state in ("recognised", "broken"):
            shape = f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"></rect>'
        elif state == "meets":
            shape = f'<circle cx="{x}" cy="{y}" r="4"></circle>'
        elif state == "fails":
            shape = f'<polygon points="{x},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"></polygon>'
        else:
            shape = f'<circle cx="{x}" cy="{y}" r="3" class="hollow"></circle>'
        href = escape(unit_href.replace("__code__", unit.address))
        out.append(
            f'<a href="{href}" aria-label="{name}: {states[state]}" class="map-{state}">'
            f"<title>{name} ({districts.get(unit.parent_id, '')}): {states[state]}</title>{shape}</a>"
        )
    return Markup("".join(out))  # noqa: S704 - every value above is escaped
