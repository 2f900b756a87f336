"""How a register is declared. Its form declares each field once (label, kind, choices, limits read from
the model); the list's columns, the labels and choices shown on its pages, its export and its import
sheet read them from there and add only what is theirs (a link, a sort, an example for the template)."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.core import UnboundField

from portal.tenancy.roles import REGISTERS_READ


@dataclass(frozen=True)
class Declared:
    """A form field as the register's form declares it."""

    label: Any
    choices: dict | None  # stored value -> label, for a choice (the empty "choose" entry left out)


def declared_fields(form_class) -> dict[str, Declared]:
    """The fields of a form class, read from its declaration (no form is made, no request needed)."""
    found = {}
    for klass in reversed(form_class.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, UnboundField):
                found[name] = Declared(value.args[0] if value.args else value.kwargs.get("label"), _choices(value))
    return found


def _choices(unbound: UnboundField) -> dict | None:
    if not issubclass(unbound.field_class, SelectField) or not unbound.kwargs.get("choices"):
        return None
    pairs = [(c[0], c[1]) if isinstance(c, tuple) else (c.value, c.label) for c in unbound.kwargs["choices"]]
    return {value: label for value, label in pairs if value not in ("", None)}


@dataclass(frozen=True)
class Column:
    key: str  # attribute of the row (or a name the register's `cell` function knows)
    label: Any = None  # None: the form field's label (of `key`, or of `key`_id for a row it names)
    personal: bool | None = None  # masked for viewers (no registers.read_personal); None: in personal_fields
    sortable: bool = True
    link: bool = False  # links to the row's page
    choices: dict | None = None  # stored value -> label


@dataclass(frozen=True)
class Filter:
    key: str  # query-string parameter
    label: Any
    choices: Callable  # (commune) -> [(value, label)]
    apply: Callable  # (statement, value, commune, today) -> statement
    personal: bool = False  # filters on personal data: not offered to viewers (the filter itself would tell)


def former_commune_filter(model) -> Filter:
    """Rows by the commune of the 2024 tree they were kept in before the reform moved them here: offered
    where the commune was formed from others."""
    return Filter(
        "former",
        _l("Former commune"),
        lambda commune: [(link.from_unit_id, link.from_unit.name) for link in commune.predecessor_links],
        lambda stmt, value, commune, today: stmt.where(model.former_commune_id == int(value)),
    )


@dataclass
class Register:
    slug: str  # URL segment, e.g. "persons"
    model: type
    form: type
    title: Any  # the register's name, plural
    noun: Any  # one row, for "Add …"
    columns: list[Column]
    describe: Callable  # (row, personal: bool) -> short text naming the row
    search_text: Callable  # (row) -> text the search matches (folded on save)
    search_is_personal: bool = False  # viewers without personal access cannot search it
    filters: list[Filter] = field(default_factory=list)
    default_sort: str = "-id"
    validate: Callable | None = None  # (commune, data, row|None) -> {field: message}
    apply: Callable | None = None  # (commune, row, data) -> None; default: copy the form's fields
    after_save: Callable | None = None  # (commune, actor, row, created) -> None, same transaction
    # What is kept from the register's live rows, made again when a row is deleted or restored (an
    # absence lengthens a post-rehab term; a positive test makes a missed case): (commune, actor, row)
    # -> None, same transaction (see `follow_delete_or_restore`).
    delete_followers: list[Callable] = field(default_factory=list)
    # Rules of other domains that follow this register's saves, same signature and transaction; a domain
    # that depends on this one adds its rule where it declares its own registers (see `follow`).
    followers: list[Callable] = field(default_factory=list)
    # Writes a domain above forbids: (commune, row|None, data|None) -> a message, or None. A person who
    # moved to another commune keeps their records here as they were (portal/cases/registers.py).
    guards: list[Callable] = field(default_factory=list)
    # Who reads the register: a register derived from a field some roles may not see (missed cases are
    # positive tests) is read only with registers.read_personal.
    read_permission: str = REGISTERS_READ
    # More of the row's page from domains that depend on this one: (commune, row, personal) -> dict (see `add_detail`)
    detail_parts: list[Callable] = field(default_factory=list)
    prefill: tuple[str, ...] = ()  # form fields a "new" link may preset from the query string
    detail_template: str | None = None  # extra section of the row's page
    detail_context: Callable | None = None  # (commune, row, personal) -> dict for that section
    cell: Callable | None = None  # (row, key, personal, unit) -> value, for computed columns
    can_create: bool = True
    field_labels: dict = field(default_factory=dict)  # labels of fields not on the form (history, detail)
    personal_fields: tuple[str, ...] = ()  # the personal fields: masked for viewers in lists, pages, history, exports
    choices: dict = field(default_factory=dict)  # field -> {stored value: label}, for display
    references: dict = field(default_factory=dict)  # field -> table of the row it names (besides the form's)
    name: str = ""  # blueprint (endpoint prefix), when the URL segment alone would mislead; default: the slug

    def __post_init__(self):
        self.name = self.name or self.slug
        self.filters = [*self.filters, former_commune_filter(self.model)]
        declared = declared_fields(self.form)
        self.choices = {**{k: f.choices for k, f in declared.items() if f.choices}, **self.choices}
        self.columns = [self._completed(column, declared) for column in self.columns]

    def _completed(self, column: Column, declared: dict[str, Declared]) -> Column:
        """A list column with what the register declares of its field: the form's label and choices, and
        whether it is personal (`personal_fields`)."""
        own = declared.get(column.key) or declared.get(f"{column.key}_id")
        label = column.label if column.label is not None else (own.label if own else self.field_labels.get(column.key))
        if label is None:
            raise ValueError(f"{self.slug}: column {column.key!r} has no label and no form field of that name")
        choices = column.choices if column.choices is not None else self.choices.get(column.key)
        personal = column.personal if column.personal is not None else column.key in self.personal_fields
        return replace(column, label=label, choices=choices, personal=personal)

    def follow(self, rule: Callable) -> Callable:
        """Run `rule` after every save of this register (a higher domain's consequence of a lower one's write)."""
        self.followers.append(rule)
        return rule

    def follow_delete_or_restore(self, rule: Callable) -> Callable:
        """Run `rule` after every delete and restore of this register's rows."""
        self.delete_followers.append(rule)
        return rule

    def guard(self, rule: Callable) -> Callable:
        """Refuse a create, change, delete or restore of this register when `rule` says why."""
        self.guards.append(rule)
        return rule

    def add_detail(self, part: Callable) -> Callable:
        """Add `part`'s values to the context of this register's row page (a higher domain's records of the row)."""
        self.detail_parts.append(part)
        return part

    @property
    def param(self) -> str:
        return f"{self.model.__tablename__}_id"


def choice_filter(key: str, label, column, choices: dict, *, personal: bool = False) -> Filter:
    """A filter keeping the rows whose column holds the chosen value."""
    return Filter(
        key,
        label,
        lambda commune: [(value, str(text)) for value, text in choices.items()],
        lambda stmt, value, commune, today: stmt.where(column == value),
        personal=personal,
    )
