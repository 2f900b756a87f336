"""What each importable register takes from a sheet: its columns, its natural key, and how a row's
cells become stored values under the same rules as the register's form (lengths, CCCD, dates, the
commune's villages and households). One spec per register; `plan` and `write` do the rest."""

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import clock
from portal.drug_tests.models import FOUND_BY, RESULTS, SAMPLES, TEST_REASONS, DrugTest
from portal.extensions import db, limit
from portal.imports.columns import CCCD, CHOICE, CODE, DAY, INT, TEXT, YEAR, YESNO, Column
from portal.persons.cccd import cccd_problems
from portal.persons.models import SEXES, Person
from portal.registers.registry import REGISTERS
from portal.registers.spec import declared_fields
from portal.shell.i18n import format_day
from portal.shell.sheets import YES_WORD
from portal.shell.text import fold
from portal.villages.models import VILLAGE_KINDS, Household, HouseholdCommitment, Village


@dataclass
class Converted:
    key: tuple | None = None
    values: dict = field(default_factory=dict)  # stored values of the columns the file has
    match: tuple[int, dict] | None = None  # (id, current values) of the existing row it updates
    errors: list[tuple[str, object]] = field(default_factory=list)  # (column key, message)


class ImportSpec:
    slug: str
    model: type
    declared: list[Column]  # what is the sheet's own; labels, choices and limits come from the register
    key_label = _l("Natural key")
    identity: frozenset[str] = frozenset()  # columns naming a person of another register (their personal fields)
    required_any: tuple[tuple[str, ...], ...] = ()  # at least one of each group must be in the header

    @property
    def register(self):
        return REGISTERS[self.slug]

    @property
    def title(self):
        return self.register.title

    @cached_property
    def personal(self) -> frozenset[str]:
        """Columns only roles with personal access may export: the register's personal fields (a household
        by its code for `household_id`), and the identity of a person this sheet names."""
        fields = self.register.personal_fields
        keys = {c.key for c in self.declared}
        return frozenset(k for k in keys if k in fields or k.replace("_code", "_id") in fields) | self.identity

    @cached_property
    def columns(self) -> list[Column]:
        """The sheet's columns, completed from the register: a column's label and choices are its form
        field's (the field of that name, or of `<name>_id` for a row it names), its length limit the model's."""
        fields = declared_fields(self.register.form)
        completed = []
        for column in self.declared:
            own = fields.get(column.key) or fields.get(f"{column.key}_id")
            attribute = getattr(self.model, column.key, None)
            completed.append(
                replace(
                    column,
                    label=column.label if column.label is not None else own.label,
                    choices=column.choices if column.choices is not None or own is None else own.choices,
                    max_length=column.max_length or (_length(attribute) if column.kind in (TEXT, CODE) else 0),
                )
            )
        return completed

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def prepare(self, commune) -> dict:
        """Lookups read once for the whole file: the commune's rows by natural key, its villages…"""
        return {}

    def convert(self, values: dict, ctx: dict) -> Converted:
        raise NotImplementedError

    def row_for_search(self, values: dict, ctx: dict):
        """An object the register's `search_text` can read, for a row not yet in the database."""
        return SimpleNamespace(**values)

    def export_value(self, row, key: str):
        """A column's value of a stored row, as the template writes it (a village by its name)."""
        if key == "village":
            return row.village.name if row.village else ""
        return getattr(row, key)

    def after(self, commune, actor, added: list[tuple[int, dict]], changed: list[tuple[int, dict]]) -> None:
        """What the register's own write path does after a save, for the rows of a whole file."""


def _length(attribute) -> int:
    """A text column's limit, or 0 for what is not one of the model's text columns."""
    try:
        return limit(attribute)
    except (AttributeError, IndexError, KeyError):
        return 0


def _live(model, commune, *columns):
    return db.session.execute(
        select(model.id, *columns).where(model.commune_id == commune.id, model.deleted_at.is_(None))
    ).all()


def _villages(commune) -> dict[str, int]:
    return {fold(name): id_ for id_, name in _live(Village, commune, Village.name)}


def _households(commune) -> dict[str, int]:
    return {code: id_ for id_, code in _live(Household, commune, Household.code)}


def _village_of(values: dict, ctx: dict, out: Converted) -> None:
    if "village" in values:
        name = values.pop("village")
        village_id = ctx["villages"].get(name)
        if village_id is None:  # spelled another way (case, diacritics, NFD): found folded, remembered as written
            village_id = ctx["villages"][name] = ctx["villages"].get(fold(name))
        if village_id is None:
            out.errors.append(("village", _l("No village of this commune is called “%(name)s”.", name=name)))
        values["village_id"] = village_id


def _household_of(values: dict, ctx: dict, out: Converted, *, required: bool) -> None:
    if "household_code" in values:
        code = values.pop("household_code")
        household_id = ctx["households"].get(code) if code else None
        if code and household_id is None:
            out.errors.append(
                ("household_code", _l("No household of this commune has the code “%(code)s”.", code=code))
            )
        elif required and not code:
            out.errors.append(("household_code", _l("This cell is empty; it is required.")))
        values["household_id"] = household_id


def _match(existing: dict, key, out: Converted) -> None:
    out.key = key
    out.match = existing.get(key)


# Villages -----------------------------------------------------------------------------------------


class Villages(ImportSpec):
    slug = "villages"
    model = Village
    key_label = _l("Name")
    declared = [
        Column("name", TEXT, required=True, help=_l("The village's name."), example="Làng Mới"),
        Column(
            "kind",
            CHOICE,
            default="village",
            help=_l("Village or residential group."),
            example=VILLAGE_KINDS["village"],
        ),
        Column("head_name", TEXT, example="Lê Văn Bình"),
    ]

    def prepare(self, commune):
        rows = _live(Village, commune, Village.name, Village.kind, Village.head_name)
        return {
            "existing": {
                (fold(r.name),): (r.id, {"name": r.name, "kind": r.kind, "head_name": r.head_name}) for r in rows
            }
        }

    def convert(self, values, ctx):
        out = Converted(values=values)
        _match(ctx["existing"], (fold(values["name"]),), out)
        return out


# Households ---------------------------------------------------------------------------------------


class Households(ImportSpec):
    slug = "households"
    model = Household
    key_label = _l("Household code")
    declared = [
        Column(
            "code",
            CODE,
            required=True,
            help=_l("The commune's own code for the household: it says which household a row updates."),
            example="LM-0001",
        ),
        Column("representative_name", TEXT, required=True, example="Nguyễn Văn An", also=("Chủ hộ",)),
        Column(
            "village",
            TEXT,
            required=True,
            help=_l("The name of one of the commune's villages, as on its Villages page."),
            example="Làng Mới",
        ),
        Column("address", TEXT, example="Xóm 2"),
        Column("members", INT, low=1, high=60, help=_l("A whole number from 1 to 60."), example=4),
    ]

    def prepare(self, commune):
        rows = _live(
            Household, commune, Household.code, Household.representative_name, Household.village_id,
            Household.address, Household.members,
        )  # fmt: skip
        existing = {
            (r.code,): (
                r.id,
                {
                    "code": r.code,
                    "representative_name": r.representative_name,
                    "village_id": r.village_id,
                    "address": r.address,
                    "members": r.members,
                },
            )
            for r in rows
        }
        return {"existing": existing, "villages": _villages(commune)}

    def convert(self, values, ctx):
        out = Converted(values=values)
        _village_of(values, ctx, out)
        _match(ctx["existing"], (values["code"],), out)
        return out


# Household commitments ----------------------------------------------------------------------------


class HouseholdCommitments(ImportSpec):
    slug = "household-commitments"
    model = HouseholdCommitment
    key_label = _l("Household and campaign")
    declared = [
        Column("household_code", CODE, required=True, example="LM-0001"),
        Column("campaign", YEAR, required=True, help=_l("The campaign's year, e.g. 2025."), example="2025"),
        Column(
            "signed_on",
            DAY,
            past_only=True,
            help=_l("dd/mm/yyyy; required unless the household refused."),
            example=date(2025, 3, 15),
        ),
        Column("signer_name", TEXT, help=_l("Leave empty when the representative signed."), example=""),
        Column(
            "refused", YESNO, default=False, help=_l("“Có” when the household refused; empty otherwise."), example=""
        ),
        Column("refusal_reason", TEXT, help=_l("Required when the household refused."), example=""),
    ]

    def prepare(self, commune):
        rows = db.session.execute(
            select(
                HouseholdCommitment.id,
                HouseholdCommitment.household_id,
                HouseholdCommitment.campaign,
                HouseholdCommitment.signed_on,
                HouseholdCommitment.signer_name,
                HouseholdCommitment.refused,
                HouseholdCommitment.refusal_reason,
            ).where(HouseholdCommitment.commune_id == commune.id, HouseholdCommitment.deleted_at.is_(None))
        ).all()
        existing = {
            (r.household_id, r.campaign): (
                r.id,
                {
                    "household_id": r.household_id,
                    "campaign": r.campaign,
                    "signed_on": r.signed_on,
                    "signer_name": r.signer_name,
                    "refused": r.refused,
                    "refusal_reason": r.refusal_reason,
                },
            )
            for r in rows
        }
        households = _households(commune)
        return {"existing": existing, "households": households, "codes": {v: k for k, v in households.items()}}

    def convert(self, values, ctx):
        out = Converted(values=values)
        _household_of(values, ctx, out, required=True)
        refused = values.get("refused", False)
        if refused and not values.get("refusal_reason"):
            out.errors.append(("refusal_reason", _l("Say why the household refused.")))
        if not refused and not values.get("signed_on"):
            out.errors.append(("signed_on", _l("Enter the date it was signed, or “Có” under “Refused to sign”.")))
        if refused:  # as the form saves it: a refusal has no signing day, a signature no reason
            values["signed_on"] = None
        elif "refusal_reason" in values or "refused" in values:
            values["refusal_reason"] = ""
        _match(ctx["existing"], (values.get("household_id"), values["campaign"]), out)
        return out

    def row_for_search(self, values, ctx):
        return SimpleNamespace(household_code=ctx["codes"].get(values.get("household_id"), ""), **values)

    def export_value(self, row, key):
        if key == "refused":
            return YES_WORD if row.refused else ""
        return getattr(row, key)


# Persons ------------------------------------------------------------------------------------------


def _people(commune) -> tuple[dict, dict]:
    """The commune's persons by CCCD and by (folded name, date of birth)."""
    rows = _live(
        Person, commune, Person.full_name, Person.born_on, Person.sex, Person.cccd, Person.village_id,
        Person.household_id, Person.address, Person.notes,
    )  # fmt: skip
    by_cccd, by_name = {}, {}
    for r in rows:
        current = {
            "full_name": r.full_name,
            "born_on": r.born_on,
            "sex": r.sex,
            "cccd": r.cccd,
            "village_id": r.village_id,
            "household_id": r.household_id,
            "address": r.address,
            "notes": r.notes,
        }
        if r.cccd:
            by_cccd[r.cccd] = (r.id, current)
        by_name.setdefault((fold(r.full_name), r.born_on), []).append((r.id, current))
    return by_cccd, by_name


def _find_person(ctx, cccd: str, name: str, born, out: Converted, column: str):
    """The person a row names: by CCCD when it has one, else by name and date of birth."""
    if cccd:
        found = ctx["by_cccd"].get(cccd)
        if found is not None:
            return found
    candidates = ctx["by_name"].get((fold(name), born), []) if name and born else []
    if cccd:
        candidates = [c for c in candidates if not c[1]["cccd"]]  # a different CCCD is a different person
    if len(candidates) > 1:
        out.errors.append(
            (column, _l("Several persons of this commune have this name and date of birth: give the CCCD number."))
        )
    return candidates[0] if len(candidates) == 1 else None


class Persons(ImportSpec):
    slug = "persons"
    model = Person
    key_label = _l("CCCD number, or full name and date of birth")
    declared = [
        Column("full_name", TEXT, required=True, example="Trần Văn Bình"),
        Column(
            "born_on", DAY, required=True, past_only=True, help=_l("dd/mm/yyyy"), example=date(1990, 5, 20)
        ),  # fmt: skip
        Column("sex", CHOICE, required=True, example=SEXES["male"]),
        Column(
            "cccd",
            CCCD,
            help=_l("12 digits; it says which person a row updates. Empty if unknown."),
            example="038090001234",
        ),
        Column("village", TEXT, required=True, example="Làng Mới"),
        Column("household_code", CODE, help=_l("Optional: the person's household."), example=""),
        Column("address", TEXT, example=""),
        Column("notes", TEXT, example=""),
    ]

    def prepare(self, commune):
        by_cccd, by_name = _people(commune)
        households = _households(commune)
        return {"by_cccd": by_cccd, "by_name": by_name, "villages": _villages(commune), "households": households}

    def convert(self, values, ctx):
        out = Converted(values=values)
        _village_of(values, ctx, out)
        _household_of(values, ctx, out, required=False)
        number = values.get("cccd", "")
        if number:
            problems = cccd_problems(number, values["born_on"], values["sex"])
            if problems:
                out.errors.append(("cccd", " ".join(str(p) for p in problems)))
        found = _find_person(ctx, number, values["full_name"], values["born_on"], out, "full_name")
        out.key = ("cccd", number) if number else ("name", fold(values["full_name"]), values["born_on"])
        out.match = found
        return out


# Drug tests ---------------------------------------------------------------------------------------


class DrugTests(ImportSpec):
    slug = "tests"
    model = DrugTest
    key_label = _l("Person, test date and sample")
    identity = frozenset({"cccd", "full_name", "born_on"})  # the person tested, as the persons register keeps them
    required_any = (("cccd", "full_name"),)
    declared = [
        Column(
            "cccd",
            CCCD,
            label=_l("CCCD number"),
            help=_l("The tested person's CCCD; or leave it empty and give the full name and date of birth."),
            example="038090001234",
        ),
        Column(
            "full_name", TEXT, label=_l("Full name"), max_length=limit(Person.full_name), example="Trần Văn Bình"
        ),  # the person's, not a drug test's
        Column("born_on", DAY, label=_l("Date of birth"), past_only=True, example=date(1990, 5, 20)),
        Column("tested_on", DAY, required=True, past_only=True, example=date(2025, 6, 2)),
        Column(
            "reason",
            CHOICE,
            required=True,
            help=_l("Law 73/2021, Article 22(1)"),
            example=TEST_REASONS["under_management"],
        ),
        Column("sample", CHOICE, required=True, example=SAMPLES["urine"]),
        Column("result", CHOICE, required=True, example=RESULTS["negative"]),
        Column("substances", TEXT, example=""),
        Column("testing_body", TEXT, example="Trạm Y tế xã"),
        Column(
            "found_by",
            CHOICE,
            default="commune",
            help=_l("Leave it empty for the commune's own screening. Another body's finding can be a missed case."),
            example=FOUND_BY["commune"],
        ),
        Column("notes", TEXT, example=""),
    ]

    def prepare(self, commune):
        by_cccd, by_name = _people(commune)
        rows = db.session.execute(
            select(
                DrugTest.id, DrugTest.person_id, DrugTest.tested_on, DrugTest.reason, DrugTest.sample,
                DrugTest.result, DrugTest.substances, DrugTest.testing_body, DrugTest.notes,
            ).where(DrugTest.commune_id == commune.id, DrugTest.deleted_at.is_(None))
        ).all()  # fmt: skip
        existing = {}
        for r in rows:
            current = {k: getattr(r, k) for k in ("person_id", "tested_on", "reason", "sample", "result")}
            current.update(substances=r.substances, testing_body=r.testing_body, notes=r.notes)
            existing.setdefault((r.person_id, r.tested_on, r.sample), (r.id, current))
        names = {id_: current["full_name"] for id_, current in by_cccd.values()}
        for found in by_name.values():
            names.update((id_, current["full_name"]) for id_, current in found)
        return {"existing": existing, "by_cccd": by_cccd, "by_name": by_name, "names": names}

    def convert(self, values, ctx):
        out = Converted(values=values)
        number = values.pop("cccd", "")
        name = values.pop("full_name", "")
        born = values.pop("born_on", None)
        person = _find_person(ctx, number, name, born, out, "cccd" if number else "full_name")
        if person is None and not out.errors:
            if number:
                message = _l("No person of this commune has this CCCD number; add the person first.")
            elif name and born:
                message = _l(
                    "No person of this commune has this name and date of birth (%(day)s).", day=format_day(born)
                )
            else:
                message = _l("Give the tested person's CCCD number, or their full name and date of birth.")
            out.errors.append(("cccd" if number or not name else "full_name", message))
        values["person_id"] = person[0] if person else None
        _match(ctx["existing"], (values["person_id"], values["tested_on"], values["sample"]), out)
        return out

    def row_for_search(self, values, ctx):
        return SimpleNamespace(person=SimpleNamespace(full_name=ctx["names"].get(values["person_id"], "")), **values)

    def export_value(self, row, key):
        if key in ("cccd", "full_name", "born_on"):
            return getattr(row.person, key) if row.person else ""
        return getattr(row, key)

    def after(self, commune, actor, added, changed):
        """A test may make a missed case, judged as when a test is saved by hand."""
        from portal.criteria.missed import judge

        # a new negative test has no missed case to record or settle: only the others are looked at
        tests = [(i, v) for i, v in added if v["result"] == "positive"] + list(changed)
        for id_, values in tests:  # a changed row: what it was, with the file's changes
            test = SimpleNamespace(id=id_, **{"found_by": "commune", "lead_id": None, "deleted_at": None, **values})
            judge(commune.id, test, clock.today())


SPECS: dict[str, ImportSpec] = {
    spec.slug: spec for spec in (Villages(), Households(), HouseholdCommitments(), Persons(), DrugTests())
}
