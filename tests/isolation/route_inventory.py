"""Every route of the portal, classified. A route missing here fails the suite (test_route_inventory),
and every unit route is swept for foreign access with the expectations below (test_idor_sweep).

Expectations are written out by hand for the seeded world (tests/world.py), independently of the
code's role table: who should reach which unit with which permission.
"""

from dataclasses import dataclass, field

PUBLIC = "public"  # anyone, logged in or not
ANY_USER = "any user"  # any logged-in user; touches only their own account

PUBLIC_ROUTES = {"static", "healthz", "auth.login", "auth.language"}
ANY_USER_ROUTES = {"root.index", "auth.logout", "auth.password"}

ALL_LEVELS = ("province", "district", "commune")


@dataclass(frozen=True)
class UnitRoute:
    permission: str
    levels: tuple[str, ...]
    owner: str  # a user for whom the route works, as the control request
    owner_unit: str
    # URL parameter -> kind of object it names ("row" of the tenant model, "account", "assignment")
    objects: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)  # a valid form body for the control request


VILLAGE = {"village_id": "row"}
UNIT_ROUTES = {
    "units.home": UnitRoute("unit.view", ALL_LEVELS, "officer_a", "A"),
    "villages.index": UnitRoute("registers.read", ("commune",), "viewer_a", "A"),
    "villages.new": UnitRoute("registers.write", ("commune",), "officer_a", "A"),
    "villages.create": UnitRoute(
        "registers.write", ("commune",), "officer_a", "A", body={"name": "Thôn Mới Lập", "kind": "village"}
    ),
    "villages.edit": UnitRoute("registers.write", ("commune",), "officer_a", "A", VILLAGE),
    "villages.update": UnitRoute(
        "registers.write",
        ("commune",),
        "officer_a",
        "A",
        VILLAGE,
        body={"name": "Thôn Đổi Tên", "kind": "village", "version": "1"},
    ),
    "villages.delete": UnitRoute("registers.write", ("commune",), "officer_a", "A", VILLAGE),
    "villages.restore": UnitRoute("registers.write", ("commune",), "officer_a", "A", VILLAGE),
    "villages.history": UnitRoute("registers.read", ("commune",), "district_1", "A", VILLAGE),
    "accounts.index": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1"),
    "accounts.create": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1"),
    "accounts.import_sheet": UnitRoute("accounts.manage", ("province", "district"), "district_1", "D1"),
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
}

# Where each user holds each permission (unit keys of tests/world.py), written out by hand.
REACH = {
    "unit.view": {
        "officer_a": {"A"},
        "viewer_a": {"A"},
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": {"D1", "A", "B"},
        "district_2": {"D2", "C"},
        "province": {"P", "D1", "D2", "A", "B", "C"},
        "admin": {"P", "D1", "D2", "A", "B", "C"},
    },
    "registers.read": {
        "officer_a": {"A"},
        "viewer_a": {"A"},
        "officer_b": {"B"},
        "officer_c": {"C"},
        "district_1": {"A", "B"},
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

# Accounts a manager may open, by (manager, scope unit): written out by hand.
MANAGED_ACCOUNTS = {
    ("district_1", "D1"): {"officer_a", "viewer_a", "officer_b"},
    ("district_2", "D2"): {"officer_c"},
    ("admin", "P"): {"officer_a", "viewer_a", "officer_b", "officer_c", "district_1", "district_2", "province"},
    ("admin", "D1"): {"officer_a", "viewer_a", "officer_b", "district_1"},
    ("admin", "D2"): {"officer_c", "district_2"},
}
