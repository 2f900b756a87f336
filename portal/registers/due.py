"""One thing a commune must act on, as the due list shows it. Each domain's rules of what is due live
in that domain's `due` module (persons, drug tests); the workspace's due list gathers them."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import joinedload


@dataclass(frozen=True)
class DueItem:
    kind: str
    what: str
    person: object
    due_on: date
    overdue: bool
    endpoint: str
    ids: dict
    personal: bool = False  # derived from a field some roles may not see (a test result): for them, hidden
    basis: str = ""  # the legal basis of the step and its deadline, in the law's words


def person_only(model):
    """The row's person in the same query, and nothing of the person's own relations: the list shows names."""
    return joinedload(model.person).lazyload("*")
