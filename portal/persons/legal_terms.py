"""The law's timed rules for status episodes, as data (domain.md §4; domain-lists.md §1-2).

Each kind says whether it excludes others at the same time and how its legal end is set. A rule that
changes on a date (Law 120/2025 from 1 Jul 2026) is written with the date it starts to apply."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l

LAW_120_IN_FORCE = date(2026, 7, 1)


@dataclass(frozen=True)
class Kind:
    label: object
    exclusive: bool  # at most one exclusive episode at a time (management, rehab, post-rehab, prison)
    on_register: bool  # the person is on the commune's register of users / addicts while it runs
    treatment: bool = False
    fixed_months: int | None = None


KINDS: dict[str, Kind] = {
    "user_managed": Kind(_l("Illegal drug user under management"), True, True, fixed_months=12),
    "addict": Kind(_l("Drug addict"), False, True),
    "rehab_home": Kind(_l("Voluntary rehab at home or in the community"), True, True, True),
    "rehab_facility": Kind(_l("Voluntary rehab at a facility"), True, True, True),
    "rehab_compulsory": Kind(_l("Compulsory rehab"), True, True, True),
    "methadone": Kind(_l("Methadone treatment"), True, True, True),
    "post_rehab": Kind(_l("Post-rehab management"), True, True),
    # Decree 116: held under family or facility management while the compulsory-rehab dossier is decided.
    "awaiting_compulsory": Kind(_l("Waiting for a compulsory-rehab decision"), True, True),
    "prison": Kind(_l("In prison"), True, False),
    "released_offender": Kind(_l("Released after a drug sentence"), False, False),
}
KIND_LABELS = {k: v.label for k, v in KINDS.items()}

# An addict who is in one of these is treated, or held where treatment follows (C1, the due list).
TREATED_OR_IN_CUSTODY = frozenset(k for k, rule in KINDS.items() if rule.treatment) | {"prison"}

# C1 as the law reads (criteria version 2): a measure is applied while treated or waiting for the
# compulsory-rehab decision; custody is counted apart; the file is the determination or a decision.
MEASURES = frozenset(k for k, rule in KINDS.items() if rule.treatment) | {"awaiting_compulsory"}
CUSTODY = frozenset({"prison"})
ADDICT_FILE_KINDS = MEASURES | {"addict"}

# Pairs that cannot run at the same time even though one of them is not exclusive.
INCOMPATIBLE = {frozenset({"addict", "user_managed"}), frozenset({"released_offender", "prison"})}

# Post-rehab lasts 1 year, 2 after an adult's compulsory rehab (Law 73/2021 Art. 40).
POST_REHAB_AFTER = {
    "voluntary": (_l("Voluntary rehab"), 12),
    "methadone": (_l("Completed methadone treatment"), 12),
    "compulsory_juvenile": (_l("Compulsory rehab of a minor"), 12),
    "compulsory_adult": (_l("Compulsory rehab of an adult"), 24),
}

END_REASONS = {
    "term_completed": _l("Term completed (Form 10 / 54 / 26a-b)"),
    "stopped_addicted": _l("Stopped: found addicted"),
    "stopped_education": _l("Stopped: education measure or reform school"),
    "moved_away": _l("Moved to another commune"),
    "prison": _l("Sent to prison"),
    "compulsory_rehab": _l("Sent to compulsory rehab"),
    "dropped_out": _l("Dropped out"),
    "relapsed": _l("Relapsed"),
    "died_missing": _l("Died or declared missing"),
    "released": _l("Released"),
    "other": _l("Other"),
}

# Waiting for a compulsory-rehab decision (Decree 116 Art. 44-47): held by the family (Form 35) or at a
# facility, whose days count toward the compulsory term.
HELD_AT = {"family": _l("Managed by the family"), "facility": _l("At a rehab facility")}
# Methadone is open-ended, by phase (Decision 3140/QĐ-BYT).
METHADONE_PHASES = {
    "induction": _l("Induction (khởi liều)"),
    "titration": _l("Dose adjustment (điều chỉnh liều)"),
    "maintenance": _l("Maintenance (duy trì)"),
    "tapering": _l("Tapering to stop (giảm liều tiến tới ngừng)"),
}

# Due-list windows (days): the province can tune them without touching the rules above.
ENDING_SOON_DAYS = 30
TEST_DUE_DAYS = 7  # test a listed suspect within a week

_RULES = json.loads(Path(__file__).with_name("legal_terms.json").read_text(encoding="utf-8"))


def _in_force(rule: dict, day: date) -> bool:
    starts, ends = rule.get("from", "1900-01-01"), rule.get("until", "9999-12-31")
    return date.fromisoformat(starts) <= day <= date.fromisoformat(ends)


def age_on(born_on: date, day: date) -> int:
    return day.year - born_on.year - ((day.month, day.day) < (born_on.month, born_on.day))


def term_rule(kind: str, start: date, age: int | None = None, repeat: bool = False) -> dict | None:
    """The term the law sets for an episode of this kind starting on this day (legal_terms.json)."""
    who = "minor" if age is not None and age < 18 else "adult"
    treatment = "repeat" if repeat else "first"
    for rule in _RULES["terms"]:
        if (
            rule["kind"] == kind
            and rule.get("who", who) == who
            and rule.get("treatment", treatment) == treatment
            and _in_force(rule, start)
        ):
            return rule
    return None


def deciding_body(kind: str, day: date) -> str:
    """Who decides an episode of this kind on this day: the reform moved them, so it is data."""
    return next((r["body"] for r in _RULES["deciding_bodies"] if r["kind"] == kind and _in_force(r, day)), "")


def ending_horizon(today: date) -> date:
    """A period whose legal end falls on or before this day is ending (or over)."""
    return today + timedelta(days=ENDING_SOON_DAYS)


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return date(year, month, min(start.day, days))


def allowed_terms(kind: str, start: date, age: int | None = None, repeat: bool = False) -> tuple[int, ...]:
    rule = term_rule(kind, start, age, repeat)
    return tuple(range(rule["min"], rule["max"] + 1)) if rule else ()


def legal_end(
    kind: str, start: date, term_months: int | None, after: str | None, credit_days: int = 0, extra_days: int = 0
) -> date | None:
    """The end the law sets for an episode, or None when the law sets none. `credit_days`: days already
    served toward it (a facility's days while waiting for compulsory rehab); `extra_days`: days that do
    not count (unreported absences during post-rehab)."""
    rule = KINDS[kind]
    if rule.fixed_months:
        end = add_months(start, rule.fixed_months)
    elif kind == "post_rehab" and after in POST_REHAB_AFTER:
        end = add_months(start, POST_REHAB_AFTER[after][1])
    elif term_months and kind in {r["kind"] for r in _RULES["terms"]}:
        end = add_months(start, term_months)
    else:
        return None
    return end - timedelta(days=credit_days) + timedelta(days=extra_days)


def conflicts(kind_a: str, kind_b: str) -> bool:
    if kind_a == kind_b:
        return True
    if KINDS[kind_a].exclusive and KINDS[kind_b].exclusive:
        return True
    return frozenset({kind_a, kind_b}) in INCOMPATIBLE
