"""Publishing a new version of the criteria: the old versions stay exactly as they were."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import clock
from portal.audit import actions as audit
from portal.criteria.metrics import METRICS
from portal.criteria.models import COMPARATORS, CriteriaVersion, Criterion
from portal.criteria.results import rebuild
from portal.extensions import db

FIELDS = ("code", "metric", "comparator", "threshold", "window", "label_vi", "label_en", "rule_vi", "rule_en")
# Where a windowed metric starts counting (metrics without a window, such as C1, ignore it).
WINDOWS = {
    "period": _l("The assessment period"),
    "months:3": _l("The last 3 months"),
    "months:6": _l("The last 6 months"),
    "months:12": _l("The last 12 months"),
    "calendar_year": _l("The calendar year (version 1)"),
}


def draft_from(current: CriteriaVersion | None) -> dict:
    rows = [
        {**{f: getattr(c, f) for f in FIELDS}, "threshold": f"{c.threshold:g}", "active": True}
        for c in (current.criteria if current else [])
    ]
    rows.append({**{f: "" for f in FIELDS}, "window": "period", "active": True})  # room for one new criterion
    return {"effective_from": clock.today().strftime("%d/%m/%Y"), "note": "", "criteria": rows}


def read_draft(form, current) -> tuple[dict, dict]:
    errors: dict[str, object] = {}
    count = min(int(form.get("count", "0") or 0), 50)
    rows = []
    for i in range(count):
        row = {f: (form.get(f"c-{i}-{f}") or "").strip() for f in FIELDS}
        row["active"] = form.get(f"c-{i}-active") == "y"
        rows.append(row)
    draft = {
        "effective_from": form.get("effective_from", "").strip(),
        "note": form.get("note", "").strip(),
        "criteria": rows,
    }
    try:
        start = datetime.strptime(draft["effective_from"], "%d/%m/%Y").date()
        if start < clock.today():
            errors["effective_from"] = _l("A new version cannot start in the past: past results stay as they were.")
    except ValueError:
        errors["effective_from"] = _l("Enter a date as dd/mm/yyyy, for example 05/03/2025.")
    codes = set()
    chosen = [(i, r) for i, r in enumerate(rows) if r["active"] and (r["code"] or r["metric"])]
    for i, row in chosen:
        if not row["code"] or len(row["code"]) > 10:
            errors[f"c-{i}-code"] = _l("A code of 1 to 10 characters.")
        elif row["code"] in codes:
            errors[f"c-{i}-code"] = _l("Two criteria cannot share a code.")
        codes.add(row["code"])
        if row["metric"] not in METRICS:
            errors[f"c-{i}-metric"] = _l("Choose a metric.")
        if row["comparator"] not in COMPARATORS:
            errors[f"c-{i}-comparator"] = _l("Choose a comparison.")
        if row["window"] not in WINDOWS:
            errors[f"c-{i}-window"] = _l("Choose a window.")
        try:
            float(row["threshold"].replace(",", "."))
        except ValueError:
            errors[f"c-{i}-threshold"] = _l("The threshold is a number, e.g. 1 or 0,95.")
        for field in ("label_vi", "label_en", "rule_vi", "rule_en"):
            if not row[field]:
                errors[f"c-{i}-{field}"] = _l("Fill in both languages.")
    if not chosen:
        errors["__all__"] = _l("A version needs at least one criterion.")
    return draft, errors


def publish(province, actor, draft: dict, current: CriteriaVersion | None = None) -> CriteriaVersion:
    number = (
        db.session.scalar(select(func.max(CriteriaVersion.number)).where(CriteriaVersion.province_id == province.id))
        or 0
    ) + 1
    version = CriteriaVersion(
        province_id=province.id,
        number=number,
        note=draft["note"],
        effective_from=datetime.strptime(draft["effective_from"], "%d/%m/%Y").date(),
        published_by_id=actor.id if actor else None,
        rules=dict(current.rules or {}) if current else {},  # the rules are data: criteria.json carries them
    )
    chosen = [r for r in draft["criteria"] if r["active"] and (r["code"] or r["metric"])]
    for position, row in enumerate(chosen):
        version.criteria.append(
            Criterion(
                position=position,
                code=row["code"],
                metric=row["metric"],
                comparator=row["comparator"],
                threshold=float(row["threshold"].replace(",", ".")),
                window=row["window"],
                label_vi=row["label_vi"],
                label_en=row["label_en"],
                rule_vi=row["rule_vi"],
                rule_en=row["rule_en"],
            )
        )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "criteria_published",
        actor_id=actor.id if actor else None,
        unit_id=province.id,
        object_type="criteria_version",
        object_id=version.id,
        after={
            "number": number,
            "effective_from": draft["effective_from"],
            "criteria": [f"{r['code']} {r['comparator']} {r['threshold']}" for r in chosen],
        },
    )
    if version.effective_from <= clock.today():
        rebuild()  # today's scorecards follow the new version at once; snapshots keep the old one
    return version
