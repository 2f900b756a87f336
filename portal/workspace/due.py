"""What needs action in a commune on a day, each item linked to its record and naming its legal basis,
gathered from the rules of each domain and grouped by what to do next:

- files of persons moving here from another commune, to accept (`portal/cases/transfers.py`);
- missed cases not yet on any register, suspects listed but not tested (`portal/drug_tests/due.py`);
- the case procedure, step by step: management decision, determination, stop, rehab registration,
  post-rehab decision, monthly checks and tests, terms ending (`portal/cases/due.py`)."""

from datetime import date

from portal import clock
from portal.cases import due as cases_due
from portal.cases import transfers
from portal.drug_tests import due as drug_tests_due
from portal.registers.due import DueItem

DUE_KINDS = {**transfers.DUE_KINDS, **drug_tests_due.DUE_KINDS, **cases_due.STEPS}


def due_items(commune, today: date | None = None, personal: bool = True) -> list[DueItem]:
    """What is due; without `personal`, not the items derived from a field the reader may not see."""
    today = today or clock.today()
    items = (
        transfers.commune_due(commune, today)
        + drug_tests_due.commune_due(commune, today)
        + cases_due.commune_due(commune, today)
    )
    return sorted((i for i in items if personal or not i.personal), key=lambda i: (not i.overdue, i.due_on))


def due_groups(items: list[DueItem]) -> list[tuple[str, object, list[DueItem]]]:
    """The items by what to do next, in the order of the procedure; each group by its deadline."""
    groups = []
    for kind, label in DUE_KINDS.items():
        of_kind = sorted((i for i in items if i.kind == kind), key=lambda i: i.due_on)
        if of_kind:
            groups.append((kind, label, of_kind))
    return groups
