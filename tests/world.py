"""The seeded test world: one province, two districts, three communes, a named user per role, and a
tenant-owned row of every register in every commune, each carrying a canary string unique to its
commune. Every isolation test reads this one description of who should reach what."""

import base64
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyotp
from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.auth.models import RoleAssignment, User
from portal.auth.passwords import hash_password
from portal.cases.models import Absence, CaseTransfer, Determination, ResidenceCheck, TeamMember
from portal.criteria.models import CriteriaVersion
from portal.criteria.results import load_default_criteria
from portal.drug_tests.models import DrugTest, MissedCase, SuspicionLead
from portal.exports.models import READY, ExportJob
from portal.extensions import db
from portal.hotspots.models import Hotspot, HotspotStatus
from portal.imports.models import CHECKED, ImportJob
from portal.incidents.models import Incident
from portal.persons.models import Person, ReintegrationSupport, StatusEpisode
from portal.prevention.models import ModelActivity, PreventionModel
from portal.recognition.models import APPROVED, RECOGNISED, Attachment, Dossier, DossierEvent, DossierSubmission
from portal.recognition.snapshot import freeze
from portal.shell.text import fold
from portal.tenancy.guard import system_scope
from portal.tenancy.models import ARCHIVE_SUFFIX, AdminUnit, UnitLineage
from portal.tenancy.sync import TENANTS_DIR
from portal.villages.models import Household, HouseholdCommitment, Village, VillageHeadCommitment

PASSWORD = "correct horse battery 3822"
PASSWORD_HASH = hash_password(PASSWORD)

# key: (code, name, kind, level, parent key)
UNITS = {
    "P": ("38", "Tỉnh Thanh Hóa", "province", "province", None),
    "D1": ("389", "Huyện Ngọc Lặc", "rural_district", "district", "P"),
    "D2": ("KV390", "Khu vực Cẩm Thủy", "area", "district", "P"),  # an area of the 2025 tree
    "A": ("15085", "Xã Quang Trung", "commune", "commune", "D1"),
    "B": ("15076", "Xã Vân Am", "commune", "commune", "D1"),
    "C": ("15133", "Xã Cẩm Thành", "commune", "commune", "D2"),
    "X": ("15073", "Xã Thạch Lập", "commune", "commune", "D1"),  # archived by the 2025 reform: see ARCHIVED
}
# An old commune the 2025 reform merged into A: a read-only archive (its rows moved to A) that A's officers
# read. Its address is its code and -2024.
ARCHIVED = {"X": ("A", date(2025, 6, 30))}
COMMUNES = ("A", "B", "C")
CENTROIDS = {"A": (20.08, 105.39), "B": (20.13, 105.33), "C": (20.22, 105.47)}  # latitude, longitude

# username: (role, unit key)
USERS = {
    "officer_a": ("commune_officer", "A"),
    "viewer_a": ("commune_viewer", "A"),
    "officer_b": ("commune_officer", "B"),
    "officer_c": ("commune_officer", "C"),
    "district_1": ("district_officer", "D1"),
    "district_2": ("district_officer", "D2"),
    "province": ("province_officer", "P"),
    "admin": ("admin", "P"),
}


def totp_secret(username: str) -> str:
    """The seeded account's TOTP secret, so that a test can make its codes as the user's app would."""
    return base64.b32encode(hashlib.sha256(username.encode()).digest()[:20]).decode()


def totp_code(username: str) -> str:
    return pyotp.TOTP(totp_secret(username)).now()


def canary(unit_key: str, n: int = 1) -> str:
    return f"CANARY-{unit_key}-{n}X"


@dataclass
class World:
    """Plain ids and codes of what was seeded (safe to use outside any database session)."""

    unit_id: dict[str, int] = field(default_factory=dict)
    unit_code: dict[str, str] = field(default_factory=dict)
    user_id: dict[str, int] = field(default_factory=dict)
    assignment_id: dict[str, int] = field(default_factory=dict)
    row_id: dict[tuple[type, str], int] = field(default_factory=dict)  # (model, commune key) -> id
    dossier_id: dict[str, int] = field(default_factory=dict)  # commune key -> its recognised dossier
    attachment_id: dict[str, int] = field(default_factory=dict)  # commune key -> that dossier's file
    transfer_out: dict[str, int] = field(default_factory=dict)  # commune key -> the move it sent (A→B, B→C, C→A)
    transfer_in: dict[str, int] = field(default_factory=dict)  # commune key -> the move waiting for it
    export_id: dict[str, int] = field(default_factory=dict)  # commune key -> its officer's queued export, ready

    def unit_key(self, unit_id: int) -> str:
        return next(k for k, v in self.unit_id.items() if v == unit_id)


def _village(commune, key, made):
    name = f"Thôn {canary(key)}"
    return Village(
        commune_id=commune.id,
        name=name,
        kind="village",
        search_key=fold(name),
        head_name=f"Trưởng thôn {canary(key, 2)}",
    )


def _household(commune, key, made):
    return Household(
        commune_id=commune.id,
        code=f"HH-{key}",
        representative_name=f"Chủ hộ {canary(key)}",
        village_id=made[Village].id,
        address=f"Xóm {canary(key, 2)}",
        members=4,
    )


def _commitment(commune, key, made):
    return HouseholdCommitment(
        commune_id=commune.id,
        household_id=made[Household].id,
        campaign="2025",
        signed_on=date(2025, 3, 1),
        signer_name=f"Người ký {canary(key)}",
    )


def _head_commitment(commune, key, made):
    return VillageHeadCommitment(
        commune_id=commune.id,
        village_id=made[Village].id,
        campaign="2025",
        signed_on=date(2025, 2, 1),
        head_name=f"Trưởng thôn {canary(key)}",
        conference=f"Hội nghị {canary(key, 2)}",
    )


def _person(commune, key, made):
    return Person(
        commune_id=commune.id,
        full_name=f"Nguyễn Văn {canary(key)}",
        born_on=date(1990, 5, 1),
        sex="male",
        cccd=f"03809000{'ABC'.index(key) + 1:04d}",
        village_id=made[Village].id,
        address=f"Nhà {canary(key, 2)}",
        search_key=fold(f"Nguyễn Văn {canary(key)}"),
    )


def _episode(commune, key, made):
    return StatusEpisode(
        commune_id=commune.id,
        person_id=made[Person].id,
        kind="user_managed",
        started_on=date(2025, 1, 10),
        legal_end_on=date(2026, 1, 10),
        decision_number=f"QĐ {canary(key)}",
    )


def _team_member(commune, key, made):
    return TeamMember(
        commune_id=commune.id,
        episode_id=made[StatusEpisode].id,
        role="leader",
        full_name=f"Tổ trưởng {canary(key)}",
        position=f"Công an xã {canary(key, 2)}",
    )


def _residence_check(commune, key, made):
    return ResidenceCheck(
        commune_id=commune.id,
        person_id=made[Person].id,
        checked_on=date(2025, 2, 10),
        outcome="present",
        notes=f"Kiểm tra {canary(key)}",
    )


def _absence(commune, key, made):
    return Absence(
        commune_id=commune.id,
        person_id=made[Person].id,
        left_on=date(2025, 3, 1),
        returned_on=date(2025, 3, 5),
        notes=f"Vắng {canary(key)}",
    )


def _determination(commune, key, made):
    return Determination(
        commune_id=commune.id,
        person_id=made[Person].id,
        test_id=made[DrugTest].id,
        requested_on=date(2025, 5, 5),
        facility=f"Bệnh viện {canary(key)}",
        result_on=date(2025, 5, 9),
        result="not_addicted",
    )


def _support(commune, key, made):
    return ReintegrationSupport(
        commune_id=commune.id,
        person_id=made[Person].id,
        given_on=date(2025, 4, 1),
        kind="job",
        provider=f"HTX {canary(key)}",
    )


def _lead(commune, key, made):
    return SuspicionLead(
        commune_id=commune.id,
        person_id=made[Person].id,
        ground="a",
        listed_on=date(2025, 5, 1),
        source=f"Tin báo {canary(key)}",
    )


def _test(commune, key, made):
    return DrugTest(
        commune_id=commune.id,
        person_id=made[Person].id,
        lead_id=made[SuspicionLead].id,
        tested_on=date(2025, 5, 3),
        reason="suspected",
        sample="urine",
        result="positive",
        testing_body=f"Trạm y tế {canary(key)}",
    )


def _missed(commune, key, made):
    return MissedCase(
        commune_id=commune.id,
        person_id=made[Person].id,
        test_id=made[DrugTest].id,
        detected_on=date(2025, 5, 3),
        notes=f"Ghi chú {canary(key)}",
    )


def _hotspot(commune, key, made):
    return Hotspot(
        commune_id=commune.id,
        place=f"Bãi {canary(key)}",
        village_id=made[Village].id,
        kind="use_point",
        found_on=date(2025, 1, 5),
        status="active",
        status_since=date(2025, 1, 5),
    )


def _hotspot_status(commune, key, made):
    return HotspotStatus(commune_id=commune.id, hotspot_id=made[Hotspot].id, status="active", since=date(2025, 1, 5))


def _model(commune, key, made):
    return PreventionModel(commune_id=commune.id, name=f"Câu lạc bộ {canary(key)}", started_on=date(2024, 6, 1))


def _activity(commune, key, made):
    return ModelActivity(
        commune_id=commune.id,
        model_id=made[PreventionModel].id,
        held_on=date(2025, 6, 1),
        kind="meeting",
        participants=25,
        notes=f"Buổi họp {canary(key)}",
    )


def _incident(commune, key, made):
    return Incident(
        commune_id=commune.id,
        occurred_on=date(2025, 6, 2),
        person_id=made[Person].id,
        severity="less_serious",
        summary=f"Gây rối {canary(key)}",
    )


# Every tenant-owned model needs a factory here (in dependency order), so that the sweep and the
# canaries cover it: test_world_covers_every_tenant_model fails otherwise.
def _import_job(commune, key, made):
    """A checked import waiting for its confirmation (its file is not on disk: a commit of it is refused)."""
    return ImportJob(
        commune_id=commune.id,
        register="households",
        filename=f"ho-{canary(key)}.xlsx",
        stored_name=f"world-{key}.xlsx",
        size=1,
        sha256="0" * 64,
        state=CHECKED,
        rows_total=2,
        to_add=1,
        refused_rows=0,
        report={"total": 2, "refusals": [], "refusal_count": 0, "updates": [[3, [["Chủ hộ", canary(key, 2), "B"]]]]},
    )


FACTORIES = {
    Village: _village,
    Household: _household,
    HouseholdCommitment: _commitment,
    VillageHeadCommitment: _head_commitment,
    Person: _person,
    StatusEpisode: _episode,
    ReintegrationSupport: _support,
    SuspicionLead: _lead,
    DrugTest: _test,
    MissedCase: _missed,
    TeamMember: _team_member,
    ResidenceCheck: _residence_check,
    Absence: _absence,
    Determination: _determination,
    Hotspot: _hotspot,
    HotspotStatus: _hotspot_status,
    PreventionModel: _model,
    ModelActivity: _activity,
    Incident: _incident,
    ImportJob: _import_job,
}


def seed_world() -> World:
    world = World()
    units: dict[str, AdminUnit] = {}
    with system_scope(db.session):
        for key, (code, name, kind, level, parent) in UNITS.items():
            parent_unit = units.get(parent)
            archived = key in ARCHIVED
            unit = AdminUnit(
                code=code,
                address=code + ARCHIVE_SUFFIX if archived else code,
                tree="2024" if archived else None,
                valid_to=ARCHIVED[key][1] if archived else None,
                name=name,
                kind=kind,
                level=level,
                parent=parent_unit,
                path=(parent_unit.path if parent_unit else "/") + code + "/",
                latitude=CENTROIDS.get(key, (None, None))[0],
                longitude=CENTROIDS.get(key, (None, None))[1],
            )
            db.session.add(unit)
            db.session.flush()
            units[key] = unit
            world.unit_id[key], world.unit_code[key] = unit.id, unit.address
        for key, (successor, until) in ARCHIVED.items():
            db.session.add(
                UnitLineage(
                    from_unit_id=units[key].id,
                    to_unit_id=units[successor].id,
                    is_default=True,
                    effective_on=until + timedelta(days=1),
                )
            )
        for username, (role, unit_key) in USERS.items():
            user = User(
                username=username,
                full_name=f"Cán bộ {username} {canary('acct' + unit_key)}",
                search_key=fold(f"{username} cán bộ"),
                password_hash=PASSWORD_HASH,
            )
            assignment = RoleAssignment(role=role, unit=units[unit_key])
            user.assignments.append(assignment)
            if role != "commune_viewer":  # enrolled, as these roles must be (portal.auth.two_factor)
                user.totp_secret, user.totp_enabled_at = totp_secret(username), clock.utcnow()
            db.session.add(user)
            db.session.flush()
            world.user_id[username], world.assignment_id[username] = user.id, assignment.id
        for key in COMMUNES:
            made = {}
            for model, factory in FACTORIES.items():
                row = factory(units[key], key, made)
                db.session.add(row)
                db.session.flush()
                made[model] = row
                world.row_id[(model, key)] = row.id
        load_default_criteria(units["P"], TENANTS_DIR / "thanh-hoa" / "criteria.json")
        db.session.flush()
        for key, to_key in zip(COMMUNES, (*COMMUNES[1:], COMMUNES[0]), strict=True):
            transfer = _transfer(units[key], units[to_key], world.row_id[(Person, key)], world.user_id["officer_a"])
            world.transfer_out[key], world.transfer_in[to_key] = transfer.id, transfer.id
        for key in COMMUNES:
            dossier, attachment = recognised_dossier(units[key], world.user_id["province"], canary("dossier" + key))
            world.dossier_id[key], world.attachment_id[key] = dossier.id, attachment.id
        for key in COMMUNES:
            world.export_id[key] = _ready_export(units[key], world.user_id[f"officer_{key.lower()}"], key).id
        db.session.commit()
    return world


def _sheet_with(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ready_export(commune, requester_id: int, key: str) -> ExportJob:
    """A queued export its commune's officer asked for, written and waiting to be downloaded."""
    job = ExportJob(
        commune_id=commune.id,
        requested_by_id=requester_id,
        register="households",
        selection={"query": "", "filters": {}, "sort": "", "deleted": False},
        personal=False,
        state=READY,
        rows=1,
        file_name=f"ho-{key}.xlsx",
        file=_sheet_with(f"Lò Văn {canary(key)}"),
    )
    db.session.add(job)
    db.session.flush()
    return job


def _transfer(sender, receiver, person_id: int, recorded_by: int) -> CaseTransfer:
    """A move of the commune's person to the next commune, waiting for the receiver. The receiver may read
    who is coming: the name it shows carries no canary (the person's own row still does)."""
    person = db.session.get(Person, person_id)
    transfer = CaseTransfer(
        commune_id=sender.id,
        to_commune_id=receiver.id,
        person_id=person_id,
        full_name=f"Người chuyển đi từ {sender.name}",
        born_on=person.born_on,
        case_kind="user_managed",
        legal_end_on=date(2026, 1, 10),
        moved_on=date(2025, 6, 1),
        reason="Chuyển nơi ở",
        recorded_by=recorded_by,
        recorded_at=clock.utcnow(),
    )
    db.session.add(transfer)
    db.session.flush()
    return transfer


def recognised_dossier(commune, decided_by: int, comments: str):
    """A dossier of the commune already through every stage, with one submission and one attached scan."""
    dossier = Dossier(
        commune_id=commune.id, commune=commune, period="2025", state=RECOGNISED, round=1, comments=comments
    )
    db.session.add(dossier)
    db.session.flush()
    data = b"%PDF-1.4 " + comments.encode()
    stored = f"world-{commune.code}-{dossier.id}.pdf"
    store = Path(current_app.config["ATTACHMENTS_DIR"])
    store.mkdir(parents=True, exist_ok=True)
    (store / stored).write_bytes(data)
    attachment = Attachment(
        dossier_id=dossier.id,
        stored_name=stored,
        original_name=f"bien-ban-{comments}.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(attachment)
    db.session.flush()
    version = db.session.scalar(select(CriteriaVersion).order_by(CriteriaVersion.id.desc()).limit(1))
    lines = [  # every criterion met, as the province recognised it (the live results need not be computed)
        {
            "code": c.code,
            "label_vi": c.label_vi,
            "label_en": c.label_en,
            "rule_vi": c.rule_vi,
            "rule_en": c.rule_en,
            "target": f"{c.comparator} {c.threshold:g}",
            "numerator": 1,
            "denominator": 1,
            "value": c.threshold,
            "share": False,
            "unit": "",
            "passed": True,
            "borderline": False,
        }
        for c in version.criteria
    ]
    about = {"id": version.id, "number": version.number, "effective_from": version.effective_from.isoformat()}
    frozen = freeze(dossier, [attachment], date(2025, 11, 20), scorecard_lines=(about, lines))
    submission = DossierSubmission(dossier_id=dossier.id, round=1, snapshot=frozen)
    db.session.add(submission)
    db.session.flush()
    dossier.decided_submission_id = submission.id
    dossier.decision_number, dossier.decision_on = f"{commune.code}/QĐ-UBND", date(2025, 12, 1)
    dossier.valid_until, dossier.decided_by_id = date(2028, 12, 1), decided_by
    db.session.add(DossierEvent(dossier_id=dossier.id, action="recognise", from_state=APPROVED, to_state=RECOGNISED))
    db.session.flush()
    return dossier, attachment
