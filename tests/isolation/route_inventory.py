"""Every route of the portal, classified. A route missing here fails the suite (test_route_inventory),
and every unit route is swept for foreign access with the expectations below (test_idor_sweep).

Expectations are written out by hand for the seeded world (tests/world.py), independently of the
code's role table: who should reach which unit with which permission.
"""

import io
from dataclasses import dataclass, field

from portal import clock
from portal.persons.models import Person, StatusEpisode
from portal.prevention.models import PreventionModel
from portal.villages.models import Village
from tests.world import canary

PUBLIC = "public"  # anyone, logged in or not
ANY_USER = "any user"  # any logged-in user; touches only their own account

PUBLIC_ROUTES = {"static", "healthz", "auth.login", "auth.login_code", "auth.language"}
ANY_USER_ROUTES = {
    "root.index", "auth.logout", "auth.password", "auth.two_factor_setup", "inbox.inbox", "inbox.waiting",
    "privacy.privacy_notice",
}

ALL_LEVELS = ("province", "district", "commune")


@dataclass(frozen=True)
class UnitRoute:
    permission: str
    levels: tuple[str, ...]
    owner: str  # a user for whom the route works, as the control request
    owner_unit: str
    # URL parameter -> kind of object it names ("row" of the tenant model, "account", "assignment")
    objects: dict = field(default_factory=dict)
    body: object = None  # a valid form body for the control request: a dict, or a function of the world
    params: dict = field(default_factory=dict)  # other URL values (not ids of rows)
    prepare: object = None  # a function of the world run before the owner's control request (e.g. a state)

    def body_for(self, world) -> dict:
        return self.body(world) if callable(self.body) else dict(self.body or {})


# Every register of the commune workspace, classified by hand. A register added to the portal and not
# listed here leaves its routes unclassified, and test_every_route_is_classified fails.
# slug: (URL parameter of one row, a valid form body for its owner in commune A, or None: no "new" form)
REGISTERS = {
    "villages": ("village_id", lambda w: {"name": "Thôn Mới Lập", "kind": "village", "head_name": ""}),
    "households": (
        "household_id",
        lambda w: {
            "code": "HH-NEW",
            "representative_name": "Lò Văn Hải",
            "village_id": w.row_id[(Village, "A")],
            "address": "",
            "members": "5",
        },
    ),
    "household-commitments": (
        "household_commitment_id",
        lambda w: {
            "household_code": "HH-A",
            "campaign": "2024",
            "signed_on": "05/03/2024",
            "signer_name": "",
            "refusal_reason": "",
        },
    ),
    "village-head-commitments": (
        "village_head_commitment_id",
        lambda w: {
            "village_id": w.row_id[(Village, "A")],
            "campaign": "2024",
            "signed_on": "01/02/2024",
            "head_name": "Ông Lò Văn Pản",
            "conference": "Hội nghị xã",
        },
    ),
    "persons": (
        "person_id",
        lambda w: {
            "full_name": "Hà Thị Lan",
            "born_on": "12/05/1995",
            "sex": "female",
            "cccd": "038195000123",
            "village_id": w.row_id[(Village, "A")],
            "household_code": "",
            "address": "",
            "notes": "",
        },
    ),
    "episodes": (
        "status_episode_id",
        lambda w: {
            "person_id": w.row_id[(Person, "A")],
            "kind": "released_offender",
            "started_on": "01/03/2025",
            "term_months": "",
            "post_rehab_after": "",
            "ended_on": "",
            "end_reason": "",
            "decision_number": "",
            "decision_on": "",
            "decision_signer": "",
            "notes": "",
        },
    ),
    "supports": (
        "reintegration_support_id",
        lambda w: {
            "person_id": w.row_id[(Person, "A")],
            "given_on": "01/06/2025",
            "kind": "job",
            "provider": "UBND xã",
        },
    ),
    "suspects": (
        "suspicion_lead_id",
        lambda w: {"person_id": w.row_id[(Person, "A")], "ground": "a", "listed_on": "01/06/2025", "source": ""},
    ),
    "tests": (
        "drug_test_id",
        lambda w: {
            "person_id": w.row_id[(Person, "A")],
            "lead_id": "",
            "tested_on": "02/06/2025",
            "reason": "suspected",
            "sample": "urine",
            "result": "negative",
        },
    ),
    "missed-cases": ("missed_case_id", None),
    "hotspots": (
        "hotspot_id",
        lambda w: {
            "place": "Bãi đất trống",
            "village_id": w.row_id[(Village, "A")],
            "kind": "use_point",
            "found_on": "01/05/2025",
            "status": "active",
            "status_since": "01/05/2025",
        },
    ),
    "models": (
        "prevention_model_id",
        lambda w: {
            "name": "Câu lạc bộ mới",
            "village_id": "",
            "led_by": "",
            "started_on": "01/01/2025",
            "status": "active",
        },
    ),
    "activities": (
        "model_activity_id",
        lambda w: {
            "model_id": w.row_id[(PreventionModel, "A")],
            "held_on": "01/06/2025",
            "kind": "meeting",
            "participants": "30",
        },
    ),
    "team-members": (
        "team_member_id",
        lambda w: {
            "episode_id": w.row_id[(StatusEpisode, "A")],
            "role": "member",
            "full_name": "Hà Văn Mẹ",
            "position": "",
        },
    ),
    "residence-checks": (
        "residence_check_id",
        lambda w: {"person_id": w.row_id[(Person, "A")], "checked_on": "01/06/2025", "outcome": "present"},
    ),
    "absences": (
        "absence_id",
        lambda w: {"person_id": w.row_id[(Person, "A")], "left_on": "01/06/2025", "returned_on": "05/06/2025"},
    ),
    "determinations": (
        "determination_id",
        lambda w: {
            "person_id": w.row_id[(Person, "A")],
            "test_id": "",
            "requested_on": "01/06/2025",
            "facility": "Bệnh viện tỉnh",
            "result_on": "",
            "result": "",
        },
    ),
    "incidents": (
        "incident_id",
        lambda w: {
            "occurred_on": "01/06/2025",
            "person_id": "",
            "village_id": "",
            "severity": "less_serious",
            "summary": "Gây rối trật tự",
        },
    ),
}
# The body that edits a row: the create body, plus the version the form was opened at.
UPDATE_BODIES = {
    "missed-cases": lambda w: {"resolved_on": "", "notes": "Đã xác minh"},
    "episodes": lambda w: {**REGISTERS["episodes"][1](w), "kind": "user_managed", "started_on": "10/01/2025"},
}


# A register's endpoints are named after its blueprint, which is its URL segment unless that would mislead.
BLUEPRINTS = {
    "tests": "drug_tests",
    "models": "prevention_models",
    "team-members": "team_members",
    "residence-checks": "residence_checks",
}
PERSONAL_REGISTERS = {"missed-cases"}  # a viewer reads every register but these


def _register_routes() -> dict:
    routes = {}
    for url_segment, (param, body) in REGISTERS.items():
        slug = BLUEPRINTS.get(url_segment, url_segment)
        row = {param: "row"}
        update = UPDATE_BODIES.get(url_segment, body)
        routes.update(
            {
                f"{slug}.index": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
                f"{slug}.show": UnitRoute("registers.read", ("commune",), "district_1", "A", row),
                f"{slug}.edit": UnitRoute("registers.write", ("commune",), "officer_a", "A", row),
                f"{slug}.update": UnitRoute(
                    "registers.write",
                    ("commune",),
                    "officer_a",
                    "A",
                    row,
                    body=lambda w, u=update: {**u(w), "version": "1"},
                ),
                f"{slug}.export": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
                f"{slug}.delete": UnitRoute("registers.write", ("commune",), "officer_a", "A", row),
                f"{slug}.restore": UnitRoute("registers.write", ("commune",), "officer_a", "A", row),
            }
        )
        if url_segment in PERSONAL_REGISTERS:  # derived from test results: read with personal data only
            for view, owner in (("index", "officer_a"), ("show", "district_1"), ("export", "officer_a")):
                route = routes[f"{slug}.{view}"]
                routes[f"{slug}.{view}"] = UnitRoute("registers.read_personal", route.levels, owner, "A", route.objects)
        if body is not None:
            routes[f"{slug}.new"] = UnitRoute("registers.write", ("commune",), "officer_a", "A")
            routes[f"{slug}.create"] = UnitRoute("registers.write", ("commune",), "officer_a", "A", body=body)
    return routes


CRITERIA_CODES = ("C1", "C1b", "C2", "C3a", "C3b", "C4", "C5", "H1", "H2")  # tenants/thanh-hoa/criteria.json


def _dossier_in(state: str):
    """prepare: the owner's dossier (commune A's) put in the state the transition starts from."""

    def prepare(world):
        from portal.extensions import db
        from portal.recognition.models import Dossier

        db_dossier = db.session.get(Dossier, world.dossier_id["A"])
        db_dossier.state = state

    return prepare


def _recognition_routes() -> dict:
    dossier, attachment = {"dossier_id": "dossier"}, {"attachment_id": "attachment"}
    decision = {"decision_number": "12/QĐ-UBND", "decision_on": "01/02/2026", "valid_until": "01/02/2029"}
    return {
        "recognition.index": UnitRoute("unit.view", ALL_LEVELS, "district_1", "D1"),
        "recognition.start": UnitRoute(
            "recognition.prepare",
            ("commune",),
            "officer_a",
            "A",
            body={"period": "2026"},
        ),
        "recognition.show": UnitRoute("unit.view", ("commune",), "province", "A", dossier),
        "recognition.edit": UnitRoute(
            "recognition.prepare",
            ("commune",),
            "officer_a",
            "A",
            dossier,
            body={
                "comments": "Xã đã rà soát",
                "then": "submit",
                **{f"explain-{c}": "Đang khắc phục" for c in CRITERIA_CODES},
            },
            prepare=_dossier_in("returned"),
        ),
        "recognition.upload": UnitRoute(
            "recognition.prepare",
            ("commune",),
            "officer_a",
            "A",
            dossier,
            body=lambda w: {"file": (io.BytesIO(b"%PDF-1.4 scan"), "bien-ban.pdf")},
            prepare=_dossier_in("draft"),
        ),
        "recognition.download": UnitRoute("unit.view", ("commune",), "viewer_a", "A", attachment),
        "recognition.remove": UnitRoute(
            "recognition.prepare", ("commune",), "officer_a", "A", attachment, prepare=_dossier_in("draft")
        ),
        "recognition.return": UnitRoute(
            "recognition.appraise",
            ("commune",),
            "district_1",
            "A",
            dossier,
            body={"comment": "Bổ sung biên bản", "remark-C2": "Thiếu cam kết"},
            prepare=_dossier_in("submitted"),
        ),
        "recognition.approve": UnitRoute(
            "recognition.appraise", ("commune",), "district_1", "A", dossier, prepare=_dossier_in("submitted")
        ),
        "recognition.recognise": UnitRoute(
            "recognition.decide", ("commune",), "province", "A", dossier, body=decision, prepare=_dossier_in("approved")
        ),
        "recognition.reject": UnitRoute(
            "recognition.decide",
            ("commune",),
            "province",
            "A",
            dossier,
            body={**decision, "comment": "Chưa đạt tiêu chí"},
            prepare=_dossier_in("approved"),
        ),
        "recognition.revoke": UnitRoute(
            "recognition.decide", ("commune",), "province", "A", dossier, body={"comment": "Phát sinh điểm"}
        ),
        "recognition.dossier_pdf": UnitRoute("unit.view", ("commune",), "district_1", "A", dossier),
        "recognition.decision_pdf": UnitRoute("unit.view", ("commune",), "officer_a", "A", dossier),
        "recognition.recognised_xlsx": UnitRoute("unit.view", ("province", "district"), "province", "P"),
    }


def households_sheet() -> io.BytesIO:
    """A valid one-row households file for commune A (its village is the world's)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã hộ", "Chủ hộ", "Thôn"])
    book.active.append(["HH-SHEET", "Lò Văn Tệp", f"Thôn {canary('A')}"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _export_routes() -> dict:
    job = {"export_job_id": "export"}
    return {
        "exports.show": UnitRoute("registers.read", ("commune",), "officer_a", "A", job),
        "exports.download": UnitRoute("registers.read", ("commune",), "officer_a", "A", job),
    }


def _import_routes() -> dict:
    job = {"import_job_id": "row"}
    return {
        "imports.index": UnitRoute("registers.write", ("commune",), "officer_a", "A"),
        "imports.template": UnitRoute(
            "registers.write", ("commune",), "officer_a", "A", params={"register": "households"}
        ),
        "imports.upload": UnitRoute(
            "registers.write",
            ("commune",),
            "officer_a",
            "A",
            body=lambda w: {"register": "households", "file": (households_sheet(), "ho.xlsx")},
        ),
        "imports.show": UnitRoute("registers.write", ("commune",), "officer_a", "A", job),
        "imports.confirm": UnitRoute("registers.write", ("commune",), "officer_a", "A", job, body={"version": "1"}),
        "imports.discard": UnitRoute("registers.write", ("commune",), "officer_a", "A", job),
    }


def _settle_world_moves(world):
    """prepare: the world's moves settled, so that its person may move again."""
    from portal.cases.models import CaseTransfer
    from portal.extensions import db

    for transfer_id in world.transfer_out.values():
        db.session.get(CaseTransfer, transfer_id).state = "accepted"


def _case_routes() -> dict:
    return {
        "cases.form_pdf": UnitRoute(
            "registers.read_personal",
            ("commune",),
            "officer_a",
            "A",
            {"status_episode_id": "row"},
            params={"number": "07"},
        ),
        "cases.move": UnitRoute(
            "registers.write",
            ("commune",),
            "officer_a",
            "A",
            {"person_id": "row"},
            body=lambda w: {
                "to_commune_id": str(w.unit_id["B"]),
                "destination": "",
                "moved_on": clock.today().strftime("%d/%m/%Y"),
                "reason": "Chuyển nơi ở",
            },
            prepare=_settle_world_moves,
        ),
        "cases.transfers": UnitRoute("registers.read_personal", ("commune",), "officer_a", "A"),
        "cases.accept": UnitRoute(
            "registers.write",
            ("commune",),
            "officer_b",
            "B",
            {"transfer_id": "received_transfer"},
            body=lambda w: {"village_id": str(w.row_id[(Village, "B")])},
        ),
        "cases.withdraw": UnitRoute(
            "registers.write", ("commune",), "officer_a", "A", {"transfer_id": "sent_transfer"}
        ),
        "cases.form_08_pdf": UnitRoute(
            "registers.read_personal", ("commune",), "officer_a", "A", {"transfer_id": "sent_transfer"}
        ),
    }


UNIT_ROUTES = {
    "units.home": UnitRoute("unit.view", ALL_LEVELS, "officer_a", "A"),
    **_case_routes(),
    "workspace.due": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
    "workspace.due_count": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
    "criteria.past": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
    "criteria.failing": UnitRoute("registers.read", ("commune",), "viewer_a", "A", params={"code": "C4"}),
    "criteria.index": UnitRoute("criteria.manage", ("province",), "province", "P"),
    "reform.index": UnitRoute("units.manage", ("province",), "province", "P"),
    # no village of the world came from a split commune: the owner's move is refused, and so told
    "reform.move": UnitRoute(
        "units.manage",
        ("province",),
        "province",
        "P",
        body=lambda w: {"village": w.row_id[(Village, "A")], "to": "15076"},
    ),
    "access_log.index": UnitRoute("audit.read", ("province",), "province", "P", params={}),
    "rollups.export": UnitRoute("unit.view", ("province", "district"), "district_1", "D1"),
    "rollups.printable": UnitRoute("unit.view", ("province", "district"), "province", "P"),
    **_recognition_routes(),
    "criteria.publish": UnitRoute("criteria.manage", ("province",), "province", "P", body=lambda w: publish_body()),
    **_register_routes(),
    **_import_routes(),
    **_export_routes(),
    "accounts.index": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1"),
    "accounts.create": UnitRoute(
        "accounts.manage",
        ("province", "district"),
        "district_1",
        "D1",
        body={"username": "xa.moi", "full_name": "Nguyễn Văn Mới", "role": "commune_officer", "unit_code": "15076"},
    ),
    "accounts.import_sheet": UnitRoute(
        "accounts.manage",
        ("province", "district"),
        "district_1",
        "D1",
        body=lambda w: {
            "sheet": (
                io.BytesIO("username,full_name,role,unit_code\nxa.tep1,Nguyễn Văn Tệp,commune_viewer,15076\n".encode()),
                "tai-khoan.csv",
            )
        },
    ),
    "accounts.import_template": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1"),
    "accounts.show": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1", {"user_id": "account"}),
    "accounts.grant": UnitRoute(
        "accounts.manage",
        ("province", "district"),
        "district_1",
        "D1",
        {"user_id": "account"},
        body={"role": "commune_viewer", "unit_code": "15076"},
    ),
    "accounts.revoke": UnitRoute(
        "accounts.manage",
        ("province", "district"),
        "district_1",
        "D1",
        {"user_id": "account", "assignment_id": "assignment"},
    ),
    "accounts.disable": UnitRoute(
        "accounts.manage", ("province", "district"), "district_1", "D1", {"user_id": "account"}
    ),
    "accounts.enable": UnitRoute(
        "accounts.manage", ("province", "district"), "district_1", "D1", {"user_id": "account"}
    ),
    "accounts.reset_password": UnitRoute(
        "accounts.manage", ("province", "district"), "district_1", "D1", {"user_id": "account"}
    ),
    "accounts.reset_two_factor": UnitRoute(
        "accounts.manage", ("province", "district"), "district_1", "D1", {"user_id": "account"}
    ),
    "province_settings.province_settings": UnitRoute("unit.view", ("province",), "province", "P"),
    "accounts.awaiting": UnitRoute("accounts.activate", ("province", "district"), "province", "P"),
    # the control: officer_c's account, issued by the administrator, activated by the area's officer
    "accounts.activate": UnitRoute(
        "accounts.activate",
        ("province", "district"),
        "district_2",
        "D2",
        {"user_id": "account"},
        prepare=lambda w: _awaiting("officer_c", issued_by="admin", world=w),
    ),
}


def _awaiting(username: str, issued_by: str, world) -> None:
    from portal.auth.models import User
    from portal.extensions import db

    user = db.session.get(User, world.user_id[username])
    user.awaiting_activation, user.issued_by_id, user.issued_at = True, world.user_id[issued_by], clock.utcnow()


def publish_body(**changes) -> dict:
    """The publish form as the page fills it from the newest version, with the given fields changed."""
    import json

    from portal.tenancy.sync import TENANTS_DIR

    spec = json.loads((TENANTS_DIR / "thanh-hoa" / "criteria.json").read_text(encoding="utf-8"))["versions"][-1]
    body = {"count": str(len(spec["criteria"])), "effective_from": clock.today().strftime("%d/%m/%Y"), "note": ""}
    for i, item in enumerate(spec["criteria"]):
        body.update({f"c-{i}-{k}": str(v) for k, v in item.items()})
        body[f"c-{i}-active"] = "y"
    body.update(changes)
    return body


# Where each user holds each permission (unit keys of tests/world.py), written out by hand. X, an archive
# of the 2025 reform, is read-only for everyone and read by its successor A's officers.
REACH = {
    "units.manage": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": set(),
        "district_2": set(),
        "province": {"P", "D1", "D2", "A", "B", "C"},
        "admin": {"P", "D1", "D2", "A", "B", "C"},
    },
    "audit.read": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": set(),
        "district_2": set(),
        "province": {"P", "D1", "D2", "A", "B", "C", "X"},
        "admin": {"P", "D1", "D2", "A", "B", "C", "X"},
    },
    "unit.view": {
        "officer_a": {"A", "X"},
        "viewer_a": {"A", "X"},
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": {"D1", "A", "B", "X"},
        "district_2": {"D2", "C"},
        "province": {"P", "D1", "D2", "A", "B", "C", "X"},
        "admin": {"P", "D1", "D2", "A", "B", "C", "X"},
    },
    "registers.read": {
        "officer_a": {"A", "X"},
        "viewer_a": {"A", "X"},
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": {"A", "B", "X"},
        "district_2": {"C"},
        "province": set(),
        "admin": set(),
    },
    "registers.read_personal": {
        "officer_a": {"A", "X"},
        "viewer_a": set(),
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": {"A", "B", "X"},
        "district_2": {"C"},
        "province": set(),
        "admin": set(),
    },
    "registers.write": {
        "officer_a": {"A"},
        "viewer_a": set(),
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": set(),
        "district_2": set(),
        "province": set(),
        "admin": set(),
    },
    "criteria.manage": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": set(),
        "district_2": set(),
        "province": {"P", "D1", "D2", "A", "B", "C"},
        "admin": set(),
    },
    "recognition.prepare": {
        "officer_a": {"A"},
        "viewer_a": set(),
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": set(),
        "district_2": set(),
        "province": set(),
        "admin": set(),
    },
    "recognition.appraise": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": {"D1", "A", "B"},
        "district_2": {"D2", "C"},
        "province": set(),
        "admin": set(),
    },
    "recognition.decide": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": set(),
        "district_2": set(),
        "province": {"P", "D1", "D2", "A", "B", "C"},
        "admin": set(),
    },
    "accounts.manage": {
        "officer_a": set(),
        "viewer_a": set(),
        "officer_b": set(),
        "officer_c": set(),
        "district_1": {"D1", "A", "B"},
        "district_2": {"D2", "C"},
        "province": set(),
        "admin": {"P", "D1", "D2", "A", "B", "C"},
    },
}

REACH["accounts.activate"] = {
    "officer_a": set(),
    "viewer_a": set(),
    "officer_b": set(),
    "officer_c": set(),
    "district_1": {"D1", "A", "B"},
    "district_2": {"D2", "C"},
    "province": {"P", "D1", "D2", "A", "B", "C"},
    "admin": {"P", "D1", "D2", "A", "B", "C"},
}

# Accounts a manager may open, by (manager, scope unit): written out by hand.
MANAGED_ACCOUNTS = {
    ("district_1", "D1"): {"officer_a", "viewer_a", "officer_b"},
    ("district_2", "D2"): {"officer_c"},
    ("admin", "P"): {"officer_a", "viewer_a", "officer_b", "officer_c", "district_1", "district_2", "province"},
    ("admin", "D1"): {"officer_a", "viewer_a", "officer_b", "district_1"},
    ("admin", "D2"): {"officer_c", "district_2"},
}
