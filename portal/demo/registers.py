"""Plausible demo registers for one commune, written through the registers' own write path so that
every demo history passes the same rules as an officer's input. Dates are relative to today, so the
due list always has something to show."""

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from portal import clock
from portal.drug_tests.models import MissedCase
from portal.extensions import db
from portal.persons.cccd import sample_cccd
from portal.persons.models import Person, StatusEpisode
from portal.registers import actions
from portal.registers.registry import REGISTERS
from portal.villages.models import Village

FAMILY = ("Nguyễn", "Lê", "Trần", "Phạm", "Hoàng", "Lò", "Hà", "Bùi", "Đỗ", "Vi", "Quách", "Trịnh", "Mai", "Lương")
MIDDLE_MALE = ("Văn", "Đình", "Xuân", "Công", "Minh", "Hữu", "Đức")
MIDDLE_FEMALE = ("Thị", "Thu", "Ngọc", "Minh")
GIVEN_MALE = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Mạnh",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thắng",
    "Tuấn",
    "Việt",
    "Xuân",
    "Pản",
    "Lường",
)
GIVEN_FEMALE = ("Hoa", "Lan", "Mai", "Nga", "Hương", "Thảo", "Yến", "Linh", "Hằng", "Nhung")
PLACES = (
    "Bãi đất trống cuối thôn",
    "Lán bỏ hoang ven suối",
    "Quán nước đầu cầu",
    "Nhà hoang gần chợ",
    "Khu đồi keo",
    "Gầm cầu tràn",
)
MODELS = (
    "Câu lạc bộ “Gia đình không có ma túy”",
    "Tổ tự quản an ninh trật tự",
    "Tổ tư vấn cai nghiện tại cộng đồng",
    "Mô hình “Thôn, bản không ma túy”",
)


def _name(rng: random.Random, sex: str) -> str:
    if sex == "female":
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"


def _save(slug: str, commune, data: dict):
    row, errors = actions.save_row(REGISTERS[slug], commune, None, None, {**data, "is_demo": True})
    if errors:
        raise ValueError(f"demo data breaks the rules of {slug}: {errors} {data}")
    return row


def _episode(commune, person, kind, start, **extra):
    data = {
        "person_id": person.id,
        "kind": kind,
        "started_on": start,
        "term_months": None,
        "post_rehab_after": None,
        "ended_on": None,
        "end_reason": None,
        "decision_number": "",
        "decision_on": start,
        "decision_signer": "Chủ tịch UBND xã",
        "notes": "",
    }
    data.update(extra)
    if not data["decision_number"]:
        data["decision_number"] = f"{random.Random(f'{person.id}{kind}').randint(10, 250)}/QĐ-UBND"
    return _save("episodes", commune, data)


def fill_commune(commune, seed: int, today: date | None = None) -> dict[str, int]:
    """Demo rows for every register of one commune; nothing when it already has demo persons."""
    today = today or clock.today()
    if db.session.scalar(select(Person.id).where(Person.commune_id == commune.id, Person.is_demo).limit(1)):
        return {}
    rng = random.Random(f"{seed}-registers-{commune.code}")
    villages = db.session.scalars(
        select(Village).where(Village.commune_id == commune.id, Village.deleted_at.is_(None)).order_by(Village.id)
    ).all()
    counts: dict[str, int] = {}

    def count(slug):
        counts[slug] = counts.get(slug, 0) + 1

    this_year, last_year = str(today.year), str(today.year - 1)
    households = []
    for v_index, village in enumerate(villages, start=1):
        _save(
            "village-head-commitments",
            commune,
            {
                "village_id": village.id,
                "campaign": this_year,
                "signed_on": min(date(today.year, 1, 15), today),
                "head_name": village.head_name or _name(rng, "male"),
                "conference": f"Hội nghị xã tháng 01/{this_year}",
            },
        )
        count("village-head-commitments")
        for n in range(1, rng.randint(12, 30)):
            sex = "male" if rng.random() < 0.8 else "female"
            household = _save(
                "households",
                commune,
                {
                    "code": f"{commune.code}-{v_index:02d}-{n:03d}",
                    "representative_name": _name(rng, sex),
                    "village_id": village.id,
                    "address": f"{village.name}",
                    "members": rng.randint(1, 7),
                },
            )
            households.append(household)
            count("households")
    for household in households:
        for campaign in (last_year, this_year):
            roll = rng.random()
            if campaign == this_year and roll < 0.06:
                continue  # not signed yet this year
            refused = roll > 0.98
            _save(
                "household-commitments",
                commune,
                {
                    "household_code": household.code,
                    "campaign": campaign,
                    "signed_on": None
                    if refused
                    else min(today, date(int(campaign), rng.randint(1, 3), rng.randint(1, 28))),
                    "signer_name": "",
                    "refused": refused,
                    "refusal_reason": "Chủ hộ đi làm ăn xa, chưa liên hệ được" if refused else "",
                },
            )
            count("household-commitments")

    def new_person(sex="male"):
        born = date(rng.randint(1972, 2004), rng.randint(1, 12), rng.randint(1, 28))
        household = rng.choice(households) if households else None
        person = _save(
            "persons",
            commune,
            {
                "full_name": _name(rng, sex),
                "born_on": born,
                "sex": sex,
                "cccd": sample_cccd(
                    born,
                    sex,
                    "038" if rng.random() < 0.9 else rng.choice(("001", "040", "079")),
                    rng.randint(0, 999_999),
                ),
                "village_id": household.village_id if household else villages[0].id,
                "household_code": household.code if household else "",
                "address": "",
                "notes": "",
            },
        )
        count("persons")
        return person

    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    for _ in range(rng.randint(2, 4)):  # users under management, one ending within the month
        person = new_person()
        _episode(commune, person, "user_managed", ago(rng.choice((120, 200, 345, 360))))
        _save(
            "tests",
            commune,
            {
                "person_id": person.id,
                "lead_id": None,
                "tested_on": ago(30),
                "reason": "under_management",
                "sample": "urine",
                "result": "negative",
                "substances": "",
                "testing_body": "Công an xã",
                "notes": "",
            },
        )
        count("tests")
    for _ in range(rng.randint(2, 4)):  # addicts in voluntary rehab at home
        person = new_person()
        start = ago(rng.randint(60, 240))
        _episode(commune, person, "addict", start)
        _episode(commune, person, "rehab_home", start + timedelta(days=4), term_months=rng.choice((6, 9, 12)))
    for _ in range(rng.randint(1, 3)):  # on methadone
        person = new_person()
        start = ago(rng.randint(300, 900))
        _episode(commune, person, "addict", start)
        _episode(commune, person, "methadone", start + timedelta(days=5))
    for _ in range(rng.randint(1, 2)):  # finished voluntary rehab, now in post-rehab management
        person = new_person()
        start = ago(rng.randint(420, 600))
        _episode(commune, person, "addict", start, ended_on=start + timedelta(days=190), end_reason="term_completed")
        _episode(
            commune,
            person,
            "rehab_home",
            start + timedelta(days=3),
            term_months=6,
            ended_on=start + timedelta(days=190),
            end_reason="term_completed",
        )
        _episode(commune, person, "post_rehab", start + timedelta(days=190), post_rehab_after="voluntary")
        _save(
            "supports",
            commune,
            {
                "person_id": person.id,
                "given_on": start + timedelta(days=220),
                "kind": rng.choice(("vocational_training", "job", "loan")),
                "provider": "Hội Nông dân xã",
                "notes": "",
            },
        )
        count("supports")
    if rng.random() < 0.7:  # an addict with no treatment yet: on the due list
        person = new_person()
        _episode(commune, person, "addict", ago(rng.randint(2, 20)))
    if rng.random() < 0.5:  # a released offender
        person = new_person()
        release = ago(rng.randint(100, 700))
        _episode(commune, person, "prison", release - timedelta(days=3 * 365), ended_on=release, end_reason="released")
        _episode(commune, person, "released_offender", release)
    for index in range(rng.randint(2, 4)):  # suspects: some tested, one positive and on no register
        person = new_person("male" if rng.random() < 0.85 else "female")
        listed = ago(rng.randint(3, 40))
        lead = _save(
            "suspects",
            commune,
            {
                "person_id": person.id,
                "ground": rng.choice(("a", "c", "d", "e")),
                "source": "Tin báo của Tổ an ninh trật tự cơ sở",
                "listed_on": listed,
                "notes": "",
            },
        )
        count("suspects")
        if index == 0 or listed < ago(10):
            _save(
                "tests",
                commune,
                {
                    "person_id": person.id,
                    "lead_id": lead.id,
                    "tested_on": listed + timedelta(days=2),
                    "reason": "suspected",
                    "sample": "urine",
                    "result": "positive" if index == 0 else "negative",
                    "substances": "Methamphetamine" if index == 0 else "",
                    "testing_body": "Trạm Y tế xã",
                    "notes": "",
                },
            )
            count("tests")
    for _ in range(rng.randint(0, 2)):
        found = ago(rng.randint(60, 500))
        eradicated = rng.random() < 0.6
        _save(
            "hotspots",
            commune,
            {
                "place": rng.choice(PLACES),
                "village_id": rng.choice(villages).id,
                "kind": rng.choice(("use_point", "use_cluster")),
                "found_on": found,
                "status": "eradicated" if eradicated else "watch",
                "status_since": found + timedelta(days=45),
                "notes": "",
            },
        )
        count("hotspots")
    for name in rng.sample(MODELS, rng.randint(1, 2)):
        model = _save(
            "models",
            commune,
            {
                "name": name,
                "village_id": None,
                "led_by": "Mặt trận Tổ quốc xã",
                "started_on": ago(400),
                "status": "active",
                "notes": "",
            },
        )
        count("models")
        for month in range(1, 6):
            _save(
                "activities",
                commune,
                {
                    "model_id": model.id,
                    "held_on": ago(30 * month),
                    "kind": rng.choice(("meeting", "outreach", "campaign", "sports")),
                    "participants": rng.randint(15, 120),
                    "notes": "",
                },
            )
            count("activities")
    if rng.random() < 0.3:
        _save(
            "incidents",
            commune,
            {
                "occurred_on": ago(rng.randint(20, 200)),
                "person_id": None,
                "village_id": rng.choice(villages).id,
                "severity": "administrative",
                "psychosis": False,
                "summary": "Gây mất trật tự công cộng sau khi sử dụng ma túy",
                "source_document": "",
            },
        )
        count("incidents")
    for model, slug in ((StatusEpisode, "episodes"), (MissedCase, "missed-cases")):
        counts[slug] = db.session.scalar(select(func.count(model.id)).where(model.commune_id == commune.id))
    return counts
