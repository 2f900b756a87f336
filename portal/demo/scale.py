"""`demo load --scale province`: the province's real tree filled with registers at its real size
(~4,400 villages, ~1.2 million households each with this year's commitment, ~15,000 persons with their
status episodes, ~60,000 drug tests, hotspots, models, incidents), deterministic from a seed.

Rows go in with bulk inserts (executemany in chunks, ids assigned here), not through the registers'
write path: a million ORM saves would take hours. That path's rules are kept by construction (every
reference stays inside its commune, search keys are folded by each register's own `search_text`), and
the results, a year of monthly snapshots and the recognition dossiers are then computed as usual.

Each commune gets a profile: about a third meet every criterion, the others fail one or two chosen
from the failures communes really have (an addict without treatment, an untested suspect, households
that have not signed, a model gone quiet, an active or a new hotspot, a serious incident)."""

import random
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import click
from sqlalchemy import func, insert, select, text

from portal import clock
from portal.criteria.models import CommuneResult, MonthlySnapshot
from portal.criteria.results import refresh_all, tally_month, version_in_force
from portal.demo.registers import FAMILY, GIVEN_FEMALE, GIVEN_MALE, MIDDLE_FEMALE, MIDDLE_MALE, MODELS, PLACES
from portal.drug_tests.models import DrugTest, SuspicionLead
from portal.extensions import db
from portal.hotspots.models import Hotspot
from portal.incidents.models import Incident
from portal.persons.cccd import sample_cccd
from portal.persons.legal_terms import legal_end
from portal.persons.models import Person, StatusEpisode
from portal.prevention.models import ModelActivity, PreventionModel
from portal.recognition.models import (
    APPROVED,
    DRAFT,
    RECOGNISED,
    RETURNED,
    SUBMITTED,
    Dossier,
    DossierEvent,
    DossierSubmission,
)
from portal.recognition.snapshot import criteria_lines
from portal.registers.registry import REGISTERS
from portal.shell.text import fold
from portal.tenancy.models import AdminUnit, UnitLineage
from portal.villages.models import Household, HouseholdCommitment, Village, VillageHeadCommitment

CHUNK = 20_000
# What a failing commune fails, and how often (weights).
FAILURES = {"C1": 5, "C2": 4, "C4": 6, "C5": 3, "H1": 3, "H2": 2, "C3b": 1}
WRITE_ORDER = [
    Village,
    VillageHeadCommitment,
    Household,
    HouseholdCommitment,
    Person,
    StatusEpisode,
    SuspicionLead,
    DrugTest,
    Hotspot,
    PreventionModel,
    ModelActivity,
    Incident,
    MonthlySnapshot,
]
VILLAGE_WORDS = ("Làng", "Thôn", "Bản", "Xóm")
VILLAGE_NAMES = ("Trung", "Mới", "Đồng", "Chiềng", "Bái", "Quang Hợp", "Mốc", "Tân Lập", "Cốc", "Minh Thành")
VILLAGE_NAMES += ("Hón", "Đồng Tâm", "Na", "Khối", "Phú Sơn", "Lập Thành", "Bắc", "Nam", "Đông", "Tây")


class Batches:
    """Rows by table, written in chunks; ids come from here so rows can point at each other at once."""

    def __init__(self):
        self.rows: dict = {}
        self.next_id: dict = {}
        self.counts: dict = {}

    def new_id(self, model) -> int:
        if model not in self.next_id:
            self.next_id[model] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def add(self, model, **values) -> int:
        values.setdefault("id", self.new_id(model))
        self.rows.setdefault(model, []).append(values)
        if len(self.rows[model]) >= CHUNK:
            self.flush()
        return values["id"]

    def flush(self) -> None:
        """Every pending row, referenced tables first."""
        for m in sorted(self.rows, key=WRITE_ORDER.index):
            rows = self.rows.pop(m)
            db.session.execute(insert(m), rows)
            self.counts[m.__tablename__] = self.counts.get(m.__tablename__, 0) + len(rows)

    def fix_sequences(self) -> None:
        """PostgreSQL hands out ids from sequences: move them past the ids given here."""
        if db.engine.dialect.name != "postgresql":
            return
        for model in self.next_id:
            table = model.__tablename__
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            )


def _key(slug: str, **attrs) -> str:
    """The search key exactly as the register's own write path folds it."""
    return fold(REGISTERS[slug].search_text(SimpleNamespace(**attrs)))[:400]


def _name(rng, sex):
    if sex == "female":
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"


def _fails(rng) -> set[str]:
    roll = rng.random()
    count = 0 if roll < 0.34 else (1 if roll < 0.75 else 2)
    codes, weights = list(FAILURES), list(FAILURES.values())
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(codes, weights)[0])
    return chosen


def fill_commune(b: Batches, commune: AdminUnit, rng: random.Random, today: date) -> set[str]:
    """Every register of one commune at realistic size; returns the criteria it was made to fail."""
    fails = _fails(rng)
    ScaleCommune(b, commune, rng, today, fails, _size(commune)).fill()
    return fails


def _size(commune: AdminUnit) -> int:
    """How many communes of 2024 a unit of 2025 stands for (whole or its main part): the province keeps
    its ~1.2 M households across 166 communes instead of 547."""
    merged = db.session.scalar(
        select(func.count(UnitLineage.id)).where(UnitLineage.to_unit_id == commune.id, UnitLineage.is_default)
    )
    return max(1, merged or 0)


class ScaleCommune:
    """One commune's rows at the province's scale, made in a fixed order from one seeded random source,
    each kind of record by its own method. `fails` names the criteria the commune is made to fail."""

    def __init__(self, b: Batches, commune: AdminUnit, rng: random.Random, today: date, fails: set[str], size=1):
        self.b, self.commune, self.rng, self.today, self.fails = b, commune, rng, today, fails
        self.size = size  # the old communes it stands for: villages, households and persons scale with it
        self.cid, self.year, self.campaign = commune.id, today.year, str(today.year)
        self.village_ids: list[int] = []
        self.households: list[tuple[int, int]] = []

    def fill(self) -> None:
        self.villages()
        self.households_and_commitments()
        self.managed_users()
        self.treated_addicts()
        self.post_rehab()
        if "C1" in self.fails:  # an addict at home with no treatment yet
            pid, name = self.person()
            self.episode(pid, name, "addict", self.ago(self.rng.randint(3, 40)))
        self.suspects()
        self.hotspots()
        self.prevention_models()
        self.incidents()

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def villages(self) -> None:
        rng, year, campaign = self.rng, self.year, self.campaign
        urban = self.commune.kind in ("ward", "township")
        for n in range(rng.randint(5, 11) * self.size):
            name = f"Tổ dân phố {n + 1}" if urban else f"{rng.choice(VILLAGE_WORDS)} {VILLAGE_NAMES[n % 20]}"
            head = _name(rng, "male")
            vid = self.b.add(
                Village,
                commune_id=self.cid,
                name=name,
                kind="residential_group" if urban else "village",
                head_name=head,
                search_key=_key("villages", name=name, head_name=head),
                is_demo=True,
            )
            self.village_ids.append(vid)
            self.b.add(
                VillageHeadCommitment,
                commune_id=self.cid,
                village_id=vid,
                campaign=campaign,
                signed_on=min(date(year, 1, 15), self.today),
                head_name=head,
                conference=f"Hội nghị xã tháng 01/{campaign}",
                search_key=fold(f"{name} {head} {campaign}"),
                is_demo=True,
            )

    def households_and_commitments(self) -> None:
        rng, campaign = self.rng, self.campaign
        unsigned = rng.uniform(0.005, 0.03) if "C4" in self.fails else 0.0
        for n in range(rng.randint(1100, 3300) * self.size):
            vid = self.village_ids[n % len(self.village_ids)]
            code = f"{self.commune.code}-{n + 1:05d}"
            representative = _name(rng, "male" if rng.random() < 0.8 else "female")
            hid = self.b.add(
                Household,
                commune_id=self.cid,
                code=code,
                representative_name=representative,
                village_id=vid,
                address="",
                members=rng.randint(1, 7),
                search_key=_key("households", code=code, representative_name=representative, address=""),
                is_demo=True,
            )
            self.households.append((hid, vid))
            if rng.random() < unsigned:
                continue
            self.b.add(
                HouseholdCommitment,
                commune_id=self.cid,
                household_id=hid,
                campaign=campaign,
                signed_on=min(self.today, date(self.year, rng.randint(1, 3), rng.randint(1, 28))),
                search_key=fold(f"{code} {campaign}"),
                is_demo=True,
            )

    def person(self, sex="male") -> tuple[int, str]:
        rng = self.rng
        hid, vid = rng.choice(self.households)
        born = date(rng.randint(1970, 2005), rng.randint(1, 12), rng.randint(1, 28))
        name = _name(rng, sex)
        cccd = sample_cccd(born, sex, "038", rng.randint(0, 999_999))
        pid = self.b.add(
            Person,
            commune_id=self.cid,
            full_name=name,
            born_on=born,
            sex=sex,
            cccd=cccd,
            village_id=vid,
            household_id=hid,
            search_key=_key("persons", full_name=name, cccd=cccd, address=""),
            is_demo=True,
        )
        return pid, name

    def episode(self, pid, name, kind, start, term_months=None, post_rehab_after=None, ended_on=None, end_reason=None):
        number = f"{self.rng.randint(10, 250)}/QĐ-UBND"
        self.b.add(
            StatusEpisode,
            commune_id=self.cid,
            person_id=pid,
            kind=kind,
            started_on=start,
            term_months=term_months,
            post_rehab_after=post_rehab_after,
            legal_end_on=legal_end(kind, start, term_months, post_rehab_after),
            ended_on=ended_on,
            end_reason=end_reason,
            decision_number=number,
            decision_on=start,
            decision_signer="Chủ tịch UBND xã",
            search_key=fold(f"{name} {number}"),
            is_demo=True,
        )

    def test(self, pid, name, day, reason, result="negative", lead_id=None):
        body = "Trạm Y tế xã" if reason == "suspected" else "Công an xã"
        substances = "Methamphetamine" if result == "positive" else ""
        self.b.add(
            DrugTest,
            commune_id=self.cid,
            person_id=pid,
            lead_id=lead_id,
            tested_on=day,
            reason=reason,
            sample="urine",
            result=result,
            substances=substances,
            testing_body=body,
            search_key=fold(f"{name} {body} {substances}"),
            is_demo=True,
        )

    def managed_users(self) -> None:
        """Users under management, tested about monthly."""
        rng = self.rng
        for _ in range(rng.randint(8, 16) * self.size):
            pid, name = self.person()
            start = self.ago(rng.randint(30, 330))
            self.episode(pid, name, "user_managed", start)
            for k in range(rng.randint(5, 10)):
                day = start + timedelta(days=30 * (k + 1))
                if day <= self.today:
                    self.test(pid, name, day, "under_management")

    def treated_addicts(self) -> None:
        """Addicts in treatment at home or on methadone, tested too."""
        rng = self.rng
        for _ in range(rng.randint(3, 9) * self.size):
            pid, name = self.person()
            start = self.ago(rng.randint(60, 700))
            self.episode(pid, name, "addict", start)
            if rng.random() < 0.6:
                self.episode(pid, name, "rehab_home", start + timedelta(days=4), term_months=rng.choice((6, 9, 12, 24)))
            else:
                self.episode(pid, name, "methadone", start + timedelta(days=5))
            for k in range(rng.randint(2, 5)):
                self.test(pid, name, min(self.today, start + timedelta(days=45 * (k + 1))), "in_treatment")

    def post_rehab(self) -> None:
        """Finished rehab, now in post-rehab management."""
        rng = self.rng
        for _ in range(rng.randint(2, 5) * self.size):
            pid, name = self.person()
            start = self.ago(rng.randint(420, 800))
            end = start + timedelta(days=190)
            self.episode(pid, name, "addict", start, ended_on=end, end_reason="term_completed")
            self.episode(pid, name, "post_rehab", end, post_rehab_after="voluntary")
            for k in range(rng.randint(2, 5)):
                self.test(pid, name, min(self.today, end + timedelta(days=60 * (k + 1))), "in_treatment")

    def suspects(self) -> None:
        """Suspects listed and tested, unless the commune fails C2."""
        rng = self.rng
        for index in range(rng.randint(3, 8) * self.size):
            pid, name = self.person("male" if rng.random() < 0.85 else "female")
            listed = self.ago(rng.randint(15, 300))
            ground = rng.choice(("a", "c", "d", "e"))
            lead = self.b.add(
                SuspicionLead,
                commune_id=self.cid,
                person_id=pid,
                ground=ground,
                source="Tin báo của Tổ an ninh trật tự cơ sở",
                listed_on=listed,
                search_key=fold(f"{name} Tin báo của Tổ an ninh trật tự cơ sở"),
                is_demo=True,
            )
            if "C2" in self.fails and index == 0:
                continue
            self.test(pid, name, listed + timedelta(days=2), "suspected", lead_id=lead)

    def hotspot(self, kind, found, status, since) -> None:
        place = self.rng.choice(PLACES)
        self.b.add(
            Hotspot,
            commune_id=self.cid,
            place=place,
            village_id=self.rng.choice(self.village_ids),
            kind=kind,
            found_on=found,
            status=status,
            status_since=since,
            search_key=fold(place),
            is_demo=True,
        )

    def hotspots(self) -> None:
        rng, year, today = self.rng, self.year, self.today
        for n in range(rng.randint(0, 3)):  # hotspots found in past years and eradicated
            found = date(year - 1 - n, rng.randint(1, 12), rng.randint(1, 28))
            self.hotspot(rng.choice(("use_point", "use_cluster")), found, "eradicated", found + timedelta(days=60))
        for code, found, status in (("H1", date(year - 1, 10, 5), "active"), ("H2", self.ago(20), "eradicated")):
            if code in self.fails:
                self.hotspot("use_point", min(found, today), status, min(found + timedelta(days=10), today))

    def prevention_models(self) -> None:
        rng, year = self.rng, self.year
        for m, name in enumerate(rng.sample(MODELS, rng.randint(1, 3))):
            mid = self.b.add(
                PreventionModel,
                commune_id=self.cid,
                name=name,
                led_by="Mặt trận Tổ quốc xã",
                started_on=date(year - 1, rng.randint(1, 12), 1),
                status="active",
                search_key=fold(f"{name} Mặt trận Tổ quốc xã"),
                is_demo=True,
            )
            quiet = "C5" in self.fails  # every model's activities stopped last year
            for k in range(1, 13):
                held = date(year - 1, k, rng.randint(1, 28)) if quiet else self.ago(28 * k + m)
                if held.year < year - 1 or held > self.today:
                    continue
                self.b.add(
                    ModelActivity,
                    commune_id=self.cid,
                    model_id=mid,
                    held_on=held,
                    kind=rng.choice(("meeting", "outreach", "campaign", "sports")),
                    participants=rng.randint(15, 150),
                    search_key=fold(name),
                    is_demo=True,
                )

    def incident(self, day, severity, psychosis, summary) -> None:
        self.b.add(
            Incident,
            commune_id=self.cid,
            occurred_on=day,
            village_id=self.rng.choice(self.village_ids),
            severity=severity,
            psychosis=psychosis,
            summary=summary,
            search_key=fold(summary),
            is_demo=True,
        )

    def incidents(self) -> None:
        rng = self.rng
        for _ in range(rng.randint(0, 2)):
            self.incident(
                self.ago(rng.randint(20, 300)),
                "administrative",
                False,
                "Gây mất trật tự công cộng sau khi sử dụng ma túy",
            )
        if "C3b" in self.fails:
            self.incident(
                self.ago(rng.randint(1, 40)), "very_serious", True, "Đối tượng ngáo đá gây thương tích cho người thân"
            )


def monthly_history(communes, rng: random.Random, today: date, months: int = 12) -> int:
    """A year of month-start snapshots: each commune met its criteria from some month on (or fails the
    same ones throughout), so the province's trend climbs as it did under the plan."""
    version = version_in_force()
    codes = {c.id: c.code for c in version.criteria}
    kept: dict[int, dict[str, CommuneResult]] = {}
    for result in db.session.scalars(select(CommuneResult).where(CommuneResult.criterion_id.in_(codes))):
        kept.setdefault(result.commune_id, {})[codes[result.criterion_id]] = result
    first = date(today.year, today.month, 1)
    month_starts = []
    for k in range(months, 0, -1):
        y, m = divmod(first.month - 1 - k, 12)
        month_starts.append(date(first.year + y, m + 1, 1))
    b = Batches()
    for commune in communes:
        results = kept.get(commune.id, {})
        since = rng.randint(0, months)  # months before now that it has looked as it does today
        lagging = rng.choice(sorted(codes.values()))
        for index, month in enumerate(month_starts):
            behind = index < months - since
            for code, result in results.items():
                passed = result.passed and not (behind and code == lagging)
                b.add(
                    MonthlySnapshot,
                    commune_id=commune.id,
                    month=month,
                    version_id=version.id,
                    criterion_code=code,
                    numerator=result.numerator if passed == result.passed else max(result.denominator - 1, 0),
                    denominator=result.denominator,
                    value=result.value if passed == result.passed else 0.0,
                    passed=passed,
                    taken_at=datetime.combine(month, datetime.min.time(), UTC),
                )
    b.flush()
    b.fix_sequences()
    for month in month_starts:
        tally_month(month)
    return b.counts.get("monthly_snapshot", 0)


def recognition_history(communes, province_officer_id, district_officers: dict, rng, today: date) -> dict:
    """Dossiers as the rollout left them: many communes meeting every criterion recognised earlier in
    the year, others waiting for the district or the province, some drafting or mending; a few
    recognised communes that fail a criterion since."""
    version = version_in_force()
    met = {
        cid
        for cid, ok in db.session.execute(
            select(CommuneResult.commune_id, func.min(CommuneResult.passed.cast(db.Integer)))
            .where(CommuneResult.criterion_id.in_([c.id for c in version.criteria]))
            .group_by(CommuneResult.commune_id)
        )
        if ok
    }
    counts: dict[str, int] = {}
    for commune in communes:
        roll = rng.random()
        if commune.id in met:
            state = RECOGNISED if roll < 0.55 else (APPROVED if roll < 0.7 else (SUBMITTED if roll < 0.85 else None))
        else:
            state = RECOGNISED if roll < 0.04 else (DRAFT if roll < 0.3 else (RETURNED if roll < 0.4 else None))
        if state is None:
            continue
        dossier, lines = _dossier(commune, state, today)
        if state != DRAFT:
            submitted_on = today - timedelta(days=rng.randint(20, 200))
            submission = _submission(dossier, commune, version, lines, submitted_on)
            _steps(dossier, submission, district_officers.get(commune.parent_id), province_officer_id, rng, today)
        counts[state] = counts.get(state, 0) + 1
    return counts


def _dossier(commune: AdminUnit, state: str, today: date) -> tuple[Dossier, list]:
    """The commune's dossier of this year in the given state, with an explanation of each failing line."""
    _version, lines = criteria_lines(commune)
    explanations = {
        line["code"]: "Xã đang khắc phục, dự kiến hoàn thành trong quý tới." for line in lines if not line["passed"]
    }
    dossier = Dossier(
        commune_id=commune.id,
        period=str(today.year),
        state=state,
        round=0 if state == DRAFT else 1,
        comments="Xã đã rà soát đầy đủ các sổ theo dõi và biên bản họp thôn.",
        explanations=explanations,
    )
    db.session.add(dossier)
    db.session.flush()
    return dossier, lines


def _submission(dossier: Dossier, commune: AdminUnit, version, lines: list, submitted_on: date) -> DossierSubmission:
    """The first round's frozen snapshot (a recognised commune met every criterion when it was submitted)."""
    snapshot = {
        "as_of": submitted_on.isoformat(),
        "commune": {"code": commune.code, "name": commune.name},
        "district": {"code": commune.parent.code, "name": commune.parent.name},
        "period": dossier.period,
        "version": {"id": version.id, "number": version.number, "effective_from": version.effective_from.isoformat()},
        "criteria": [{**line, "passed": True} if dossier.state == RECOGNISED else line for line in lines],
        "models": [],
        "commitments": [],
        "comments": dossier.comments,
        "explanations": dossier.explanations,
        "attachments": [],
    }
    submission = DossierSubmission(
        dossier_id=dossier.id,
        round=1,
        snapshot=snapshot,
        submitted_at=datetime.combine(submitted_on, datetime.min.time(), UTC),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def _steps(dossier: Dossier, submission: DossierSubmission, district_officer, province_officer_id, rng, today) -> None:
    """The workflow's events up to the dossier's state, and a recognised dossier's decision."""
    state = dossier.state

    def event(action, from_state, to_state, actor_id=None, **extra):
        db.session.add(
            DossierEvent(
                dossier_id=dossier.id,
                actor_id=actor_id,
                action=action,
                from_state=from_state,
                to_state=to_state,
                **extra,
            )
        )

    event("submit", DRAFT, SUBMITTED)
    if state == RETURNED:
        comment = "Bổ sung biên bản họp thôn và danh sách hộ chưa ký cam kết."
        event("return", SUBMITTED, RETURNED, district_officer, round=1, comment=comment)
    if state in (APPROVED, RECOGNISED):
        event("approve", SUBMITTED, APPROVED, district_officer, round=1)
    if state == RECOGNISED:
        submitted_on = submission.submitted_at.date()
        decided = min(today, submitted_on + timedelta(days=rng.randint(10, 40)))
        dossier.decided_submission_id = submission.id
        dossier.decision_number = f"{rng.randint(100, 4000)}/QĐ-UBND"
        dossier.decision_on, dossier.valid_until = decided, decided.replace(year=decided.year + 3)
        dossier.decided_by_id = province_officer_id
        event("recognise", APPROVED, RECOGNISED, province_officer_id, round=1)


def load_province(province: AdminUnit, seed: int, echo=click.echo) -> dict:
    today = clock.today()
    rng = random.Random(f"{seed}-province")
    communes = db.session.scalars(
        select(AdminUnit)
        .where(AdminUnit.level == "commune", AdminUnit.path.startswith(province.path), AdminUnit.valid_to.is_(None))
        .order_by(AdminUnit.code)
    ).all()
    filled = set(db.session.scalars(select(Household.commune_id).distinct()))
    todo = [c for c in communes if c.id not in filled]
    echo(f"{len(communes)} communes; {len(communes) - len(todo)} already hold households and are left as they are")
    b, started = Batches(), time.monotonic()
    failing = 0
    for n, commune in enumerate(todo, start=1):
        failing += bool(fill_commune(b, commune, random.Random(f"{seed}-{commune.code}"), today))
        if n % 25 == 0 or n == len(todo):
            b.flush()
            households = b.counts.get("household", 0)
            echo(f"  {n}/{len(todo)} communes, {households:,} households, {time.monotonic() - started:.0f} s")
    b.flush()
    b.fix_sequences()
    db.session.commit()
    echo("Computing every commune's results ...")
    refresh_all(today)
    db.session.commit()
    echo("A year of monthly snapshots ...")
    snapshots = monthly_history(todo, rng, today)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # the planner's statistics of tables that grew by millions of rows at once: without them it plans for
        # empty tables until autovacuum comes by (nested loops where a hash join takes a fifth of the time)
        echo("Updating the planner's statistics (ANALYZE) ...")
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {**b.counts, "monthly_snapshot": snapshots, "communes made to fail": failing}
