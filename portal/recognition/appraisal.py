"""Who appraises a commune's dossier. Until 30/06/2025 the district police did; they were dissolved, and
the province says in its plan.json who does now (`"recognition": {"appraised_by": ...}`):

- "province" (the default): the provincial police officers who decide also appraise;
- "area": the provincial police officers who follow the commune's area (khu vực).

A dossier records the body that appraised it when it is approved, so one appraised by district police
keeps that as history and its decision names them."""

from portal.tenancy.periods import province_code_of
from portal.tenancy.roles import RECOGNITION_APPRAISE, RECOGNITION_DECIDE
from portal.tenancy.settings import plan_settings

APPRAISERS = ("province", "area")


def appraised_by(unit) -> str:
    chosen = plan_settings(province_code_of(unit)).get("recognition", {}).get("appraised_by", "province")
    if chosen not in APPRAISERS:
        raise ValueError(f"plan.json: recognition.appraised_by is {chosen!r}, not one of {APPRAISERS}")
    return chosen


def appraisal_permission(commune) -> str:
    """The permission that returns or approves the commune's dossier."""
    return RECOGNITION_APPRAISE if appraised_by(commune) == "area" else RECOGNITION_DECIDE


def in_sentence(name: str) -> str:
    return name[:1].lower() + name[1:]


def appraising_body(commune) -> str:
    """The body that appraises the commune's dossiers now, as a decision names it."""
    province = next((u for u in (*commune.ancestors(), commune) if u.level == "province"), commune)
    area = commune.parent
    if appraised_by(commune) == "province" or area is None or area.level != "district":
        return f"Công an {in_sentence(province.name)}"
    if area.kind != "area":  # a district of the 2024 tree
        return f"Công an {in_sentence(area.name)}"
    return f"Công an {in_sentence(province.name)} (cán bộ theo dõi {in_sentence(area.name)})"
