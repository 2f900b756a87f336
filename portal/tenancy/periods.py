"""Assessment periods and commitment campaigns, as a province declares them in its plan.json.

A criterion's window is the period that holds the day (or a rolling window the criterion declares),
never "the calendar year of today": the plan's first period runs from its launch in December 2024 to
the end of 2025, then one period a year. A household's pledge counts from the day it is signed until
the deadline of the next campaign, so nothing falls off on 1 January."""

from dataclasses import dataclass
from datetime import date

from portal.tenancy.settings import plan_settings

FOREVER = date(9999, 12, 31)


@dataclass(frozen=True)
class Period:
    key: str  # what a dossier names, e.g. "2025"
    start: date
    end: date
    label_vi: str
    label_en: str

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_vi

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Campaign:
    key: str
    opens: date
    deadline: date  # the day by which every household should have signed
    label_vi: str
    label_en: str


def _year(year: int) -> Period:
    return Period(str(year), date(year, 1, 1), date(year, 12, 31), f"Năm {year}", f"{year}")


def _declared(province_code: str) -> tuple[list[Period], int]:
    spec = plan_settings(province_code).get("assessment_periods", {})
    periods = [
        Period(p["key"], date.fromisoformat(p["from"]), date.fromisoformat(p["to"]), p["label_vi"], p["label_en"])
        for p in spec.get("declared", [])
    ]
    return periods, int(spec.get("yearly_from", 1))


def period_of(province_code: str, day: date) -> Period | None:
    """The assessment period that holds the day: a declared one, else the calendar year once the
    province assesses yearly; None before the plan's first period."""
    periods, yearly_from = _declared(province_code)
    for period in periods:
        if period.holds(day):
            return period
    last = max((p.end for p in periods), default=date.min)
    return _year(day.year) if day.year >= yearly_from and day > last else None


def period_named(province_code: str, key: str) -> Period | None:
    periods, yearly_from = _declared(province_code)
    for period in periods:
        if period.key == key:
            return period
    if key.isdigit() and len(key) == 4 and int(key) >= yearly_from:
        period = _year(int(key))
        return period if period.start > max((p.end for p in periods), default=date.min) else None
    return None


def campaigns(province_code: str) -> tuple[Campaign, ...]:
    return tuple(
        sorted(
            (
                Campaign(
                    c["key"],
                    date.fromisoformat(c["opens"]),
                    date.fromisoformat(c["deadline"]),
                    c["label_vi"],
                    c["label_en"],
                )
                for c in plan_settings(province_code).get("commitment_campaigns", [])
            ),
            key=lambda c: c.opens,
        )
    )


def pledge_valid_until(signed_on: date, declared: tuple[Campaign, ...]) -> date:
    """A pledge counts until the deadline of the first campaign that opens after it was signed."""
    return next((c.deadline for c in declared if c.opens > signed_on), FOREVER)


def campaign_of(day: date, declared: tuple[Campaign, ...]) -> Campaign | None:
    """The campaign running on the day: the latest one opened by then."""
    return next((c for c in reversed(declared) if c.opens <= day), None)


def province_code_of(unit) -> str:
    """The code of the province a unit lies in (its plan.json holds the periods and campaigns)."""
    return next((u.code for u in (*unit.ancestors(), unit) if u.level == "province"), unit.code)
