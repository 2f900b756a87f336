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
from portal.prevention.models import PreventionModel
from portal.registers import actions
from portal.registers.registry import REGISTERS
from portal.tenancy.models import TREE_2025_FROM
from portal.villages.models import Household, Village

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
    return CommuneDemo(commune, random.Random(f"{seed}-registers-{commune.code}"), today).fill()


class CommuneDemo:
    """One commune's demo registers, made in a fixed order from one seeded random source (the same seed
    gives the same commune), each kind of record by its own method."""

    def __init__(self, commune, rng: random.Random, today: date):
        self.commune, self.rng, self.today = commune, rng, today
        self.villages = db.session.scalars(
            select(Village).where(Village.commune_id == commune.id, Village.deleted_at.is_(None)).order_by(Village.id)
        ).all()
        self.households = []
        self.counts: dict[str, int] = {}

    def fill(self) -> dict[str, int]:
        self.village_heads_and_households()
        self.household_commitments()
        self.managed_users()
        self.addicts_in_treatment()
        self.post_rehab()
        self.untreated_addict_and_released_offender()
        self.suspects()
        self.found_elsewhere()
        self.hotspots()
        self.prevention_models()
        self.incident()
        for model, slug in ((StatusEpisode, "episodes"), (MissedCase, "missed-cases")):
            self.counts[slug] = db.session.scalar(
                select(func.count(model.id)).where(model.commune_id == self.commune.id)
            )
        return self.counts

    def add(self, slug: str, data: dict):
        self.counts[slug] = self.counts.get(slug, 0) + 1
        return _save(slug, self.commune, data)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def village_heads_and_households(self) -> None:
        rng, today, this_year = self.rng, self.today, str(self.today.year)
        for v_index, village in enumerate(self.villages, start=1):
            self.add(
                "village-head-commitments",
                {
                    "village_id": village.id,
                    "campaign": this_year,
                    "signed_on": min(date(today.year, 1, 15), today),
                    "head_name": village.head_name or _name(rng, "male"),
                    "conference": f"Hội nghị xã tháng 01/{this_year}",
                },
            )
            for n in range(1, rng.randint(12, 30)):
                sex = "male" if rng.random() < 0.8 else "female"
                household = self.add(
                    "households",
                    {
                        "code": f"{self.commune.code}-{v_index:02d}-{n:03d}",
                        "representative_name": _name(rng, sex),
                        "village_id": village.id,
                        "address": f"{village.name}",
                        "members": rng.randint(1, 7),
                        **self.residence(),
                    },
                )
                self.households.append(household)

    def residence(self) -> dict:
        """Now and then a household that moved away: it leaves the commitment criterion from that day."""
        if self.rng.random() < 0.02:
            return {"residence": "moved_away", "residence_since": self.ago(self.rng.randint(30, 300))}
        return {"residence": "resident", "residence_since": None}

    def household_commitments(self) -> None:
        rng, today = self.rng, self.today
        this_year, last_year = str(today.year), str(today.year - 1)
        for household in self.households:
            for campaign in (last_year, this_year):
                roll = rng.random()
                if campaign == this_year and roll < 0.06:
                    continue  # not signed yet this year
                refused = roll > 0.98
                signed_on = None if refused else min(today, date(int(campaign), rng.randint(1, 3), rng.randint(1, 28)))
                self.add(
                    "household-commitments",
                    {
                        "household_code": household.code,
                        "campaign": campaign,
                        "signed_on": signed_on,
                        "signer_name": "",
                        "refused": refused,
                        "refusal_reason": "Đại diện hộ gia đình đi làm ăn xa, chưa liên hệ được" if refused else "",
                    },
                )

    def new_person(self, sex="male"):
        rng = self.rng
        born = date(rng.randint(1972, 2004), rng.randint(1, 12), rng.randint(1, 28))
        household = rng.choice(self.households) if self.households else None
        full_name = _name(rng, sex)  # drawn before the CCCD's province: the seed's order makes the same commune
        province = "038" if rng.random() < 0.9 else rng.choice(("001", "040", "079"))
        return self.add(
            "persons",
            {
                "full_name": full_name,
                "born_on": born,
                "sex": sex,
                "cccd": sample_cccd(born, sex, province, rng.randint(0, 999_999)),
                "village_id": household.village_id if household else self.villages[0].id,
                "household_code": household.code if household else "",
                "address": "",
                "notes": "",
            },
        )

    def test(self, person, tested_on: date, reason: str, *, lead=None, positive=False, body="Công an xã", by="commune"):
        return self.add(
            "tests",
            {
                "person_id": person.id,
                "lead_id": lead.id if lead else None,
                "tested_on": tested_on,
                "reason": reason,
                "sample": "urine",
                "result": "positive" if positive else "negative",
                "substances": "Methamphetamine" if positive else "",
                "testing_body": body,
                "found_by": by,
                "notes": "",
            },
        )

    def managed_users(self) -> None:
        """Users under management, one ending within the month."""
        for _ in range(self.rng.randint(2, 4)):
            person = self.new_person()
            start = self.ago(self.rng.choice((120, 200, 345, 360)))
            episode = _episode(self.commune, person, "user_managed", start)
            self.team(episode)
            for months_ago in (3, 2, 1):  # the monthly checks, the latest one possibly missed
                checked = self.today - timedelta(days=30 * months_ago + self.rng.randint(0, 12))
                if checked > start and self.rng.random() < 0.85:
                    self.add("residence-checks", {"person_id": person.id, "checked_on": checked, "outcome": "present"})
            self.test(person, self.ago(30), "under_management")

    def team(self, episode) -> None:
        """The Tổ quản lý a Form 07 names: the police officer, the village's representative, a relative who helps."""
        for role, name, position, mentor in (
            ("leader", _name(self.rng, "male"), "Cán bộ Công an xã", False),
            ("deputy", _name(self.rng, "male"), "Trưởng thôn", False),
            ("member", _name(self.rng, "female"), "Người thân trong gia đình", True),
        ):
            data = {"episode_id": episode.id, "role": role, "full_name": name, "position": position, "mentor": mentor}
            self.add("team-members", data)

    def addicts_in_treatment(self) -> None:
        rng, commune = self.rng, self.commune
        for _ in range(rng.randint(2, 4)):  # addicts in voluntary rehab at home
            person = self.new_person()
            start = self.ago(rng.randint(60, 240))
            _episode(commune, person, "addict", start)
            _episode(commune, person, "rehab_home", start + timedelta(days=4), term_months=rng.choice((6, 9, 12)))
            determination = {"person_id": person.id, "test_id": None, "requested_on": start - timedelta(days=4)}
            determination |= {"facility": "Bệnh viện Tâm thần tỉnh", "doctor": "", "result_on": start}
            self.add("determinations", {**determination, "result": "addicted", "notes": ""})
        for _ in range(rng.randint(1, 3)):  # on methadone
            person = self.new_person()
            start = self.ago(rng.randint(300, 900))
            _episode(commune, person, "addict", start)
            _episode(commune, person, "methadone", start + timedelta(days=5))

    def post_rehab(self) -> None:
        """Finished voluntary rehab, now in post-rehab management, with the support they were given."""
        rng, commune = self.rng, self.commune
        for _ in range(rng.randint(1, 2)):
            person = self.new_person()
            start = self.ago(rng.randint(420, 600))
            ended = start + timedelta(days=190)
            _episode(commune, person, "addict", start, ended_on=ended, end_reason="term_completed")
            _episode(
                commune,
                person,
                "rehab_home",
                start + timedelta(days=3),
                term_months=6,
                ended_on=ended,
                end_reason="term_completed",
            )
            _episode(commune, person, "post_rehab", ended, post_rehab_after="voluntary")
            away = ended + timedelta(days=60)
            absence = {"person_id": person.id, "left_on": away, "returned_on": away + timedelta(days=6)}
            self.add("absences", {**absence, "reported": rng.random() < 0.5, "notes": ""})
            self.add(
                "supports",
                {
                    "person_id": person.id,
                    "given_on": start + timedelta(days=220),
                    "kind": rng.choice(("vocational_training", "job", "loan")),
                    "provider": "Hội Nông dân xã",
                    "notes": "",
                },
            )

    def untreated_addict_and_released_offender(self) -> None:
        rng, commune = self.rng, self.commune
        if rng.random() < 0.7:  # an addict with no treatment yet: on the due list
            person = self.new_person()
            _episode(commune, person, "addict", self.ago(rng.randint(2, 20)))
        if rng.random() < 0.5:  # a released offender
            person = self.new_person()
            release = self.ago(rng.randint(100, 700))
            _episode(
                commune, person, "prison", release - timedelta(days=3 * 365), ended_on=release, end_reason="released"
            )
            _episode(commune, person, "released_offender", release)

    def suspects(self) -> None:
        """Suspects: some tested, one positive and on no register."""
        rng = self.rng
        for index in range(rng.randint(2, 4)):
            person = self.new_person("male" if rng.random() < 0.85 else "female")
            listed = self.ago(rng.randint(3, 40))
            lead = self.add(
                "suspects",
                {
                    "person_id": person.id,
                    "ground": rng.choice(("a", "c", "d", "e")),
                    "source": "Tin báo của Tổ an ninh trật tự cơ sở",
                    "listed_on": listed,
                    "notes": "",
                },
            )
            if index == 0 or listed < self.ago(10):
                tested = listed + timedelta(days=2)
                self.test(person, tested, "suspected", lead=lead, positive=index == 0, body="Trạm Y tế xã")
                if index == 0 and rng.random() < 0.7:  # found by the commune and put under management in time
                    _episode(self.commune, person, "user_managed", min(tested + timedelta(days=3), self.today))

    def found_elsewhere(self) -> None:
        """Now and then, a person the commune had not found: positive at a traffic stop (a missed case),
        put under management afterwards (settled, but still counted in its period)."""
        if self.rng.random() < 0.3:
            person = self.new_person()
            tested = self.ago(self.rng.randint(20, 200))
            self.test(person, tested, "found_using", positive=True, body="Cảnh sát giao thông", by="traffic_police")
            _episode(self.commune, person, "user_managed", tested + timedelta(days=6))

    def hotspots(self) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 2)):
            found = self.ago(rng.randint(60, 500))
            eradicated = rng.random() < 0.6
            self.add(
                "hotspots",
                {
                    "place": rng.choice(PLACES),
                    "village_id": rng.choice(self.villages).id,
                    "kind": rng.choice(("use_point", "use_cluster")),
                    "found_on": found,
                    "status": "eradicated" if eradicated else "watch",
                    "status_since": found + timedelta(days=45),
                    "notes": "",
                },
            )

    def prevention_models(self) -> None:
        rng = self.rng
        for name in rng.sample(MODELS, rng.randint(1, 2)):
            model = self.add(
                "models",
                {
                    "name": name,
                    "village_id": None,
                    "led_by": "Mặt trận Tổ quốc xã",
                    "started_on": self.ago(400),
                    "status": "active",
                    "notes": "",
                },
            )
            for month in range(1, 6):
                self.add(
                    "activities",
                    {
                        "model_id": model.id,
                        "held_on": self.ago(30 * month),
                        "kind": rng.choice(("meeting", "outreach", "campaign", "sports")),
                        "participants": rng.randint(15, 120),
                        "notes": "",
                    },
                )

    def incident(self) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            self.add(
                "incidents",
                {
                    "occurred_on": self.ago(rng.randint(20, 200)),
                    "person_id": None,
                    "village_id": rng.choice(self.villages).id,
                    "severity": "administrative",
                    "psychosis": False,
                    "summary": "Gây mất trật tự công cộng sau khi sử dụng ma túy",
                    "source_document": "",
                },
            )


class AfterTheReform:
    """The work a merged commune did after 01/07/2025 on the registers it took over: the 2026 campaign's
    pledges and the village heads', monthly activities of its models, tests of the users it manages and a
    new suspect."""

    def __init__(self, commune, rng: random.Random, today: date):
        self.commune, self.rng, self.today = commune, rng, today

    def fill(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for slug, data in (*self.pledges(), *self.activities(), *self.tests()):
            _save(slug, self.commune, data)
            counts[slug] = counts.get(slug, 0) + 1
        return counts

    def _live(self, model):
        return db.session.scalars(
            select(model).where(model.commune_id == self.commune.id, model.deleted_at.is_(None)).order_by(model.id)
        ).all()

    def pledges(self):
        if self.today < date(2026, 3, 31):
            return
        for village in self._live(Village):
            yield "village-head-commitments", {
                "village_id": village.id,
                "campaign": "2026",
                "signed_on": date(2026, 1, 10),
                "head_name": village.head_name or "Trưởng thôn",
                "conference": "Hội nghị ký cam kết năm 2026",
            }
        for household in self._live(Household):
            if household.residence == "resident" and self.rng.random() < 0.93:
                signed = date(2026, self.rng.randint(1, 3), self.rng.randint(1, 28))
                yield "household-commitments", {
                    "household_code": household.code,
                    "campaign": "2026",
                    "signed_on": signed,
                    "signer_name": "",
                    "refused": False,
                    "refusal_reason": "",
                }

    def activities(self):
        month = TREE_2025_FROM
        while month <= self.today:
            held_on = month + timedelta(days=self.rng.randint(2, 20))
            for model in self._live(PreventionModel):
                if model.status == "active" and held_on <= self.today:
                    yield "activities", {
                        "model_id": model.id,
                        "held_on": held_on,
                        "kind": self.rng.choice(("meeting", "outreach", "campaign", "sports")),
                        "participants": self.rng.randint(15, 120),
                        "notes": "",
                    }
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)

    def tests(self):
        managed = db.session.scalars(
            select(StatusEpisode).where(
                StatusEpisode.commune_id == self.commune.id,
                StatusEpisode.kind == "user_managed",
                StatusEpisode.running_on(self.today),
                StatusEpisode.deleted_at.is_(None),
            )
        ).all()
        for episode in managed:
            yield "tests", {
                "person_id": episode.person_id,
                "lead_id": None,
                "tested_on": self.today - timedelta(days=self.rng.randint(5, 25)),
                "reason": "under_management",
                "sample": "urine",
                "result": "negative",
                "substances": "",
                "testing_body": "Công an xã",
                "found_by": "commune",
                "notes": "",
            }


def after_the_reform(commune, seed: int, today: date | None = None) -> dict[str, int]:
    today = today or clock.today()
    return AfterTheReform(commune, random.Random(f"{seed}-after-{commune.code}"), today).fill()
