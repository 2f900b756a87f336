"""What needs action in a commune on a day, each item linked to its record, gathered from the rules of
each domain (`portal/persons/due.py`, `portal/drug_tests/due.py`):

- management, post-rehab and voluntary-rehab periods ending within 30 days, or past their legal end;
- addicts with no treatment episode (they must register within 5 working days of the finding);
- suspects listed but not tested;
- missed cases not yet on any register."""

from datetime import date

from portal import clock
from portal.drug_tests import due as drug_tests_due
from portal.persons import due as persons_due
from portal.registers.due import DueItem

DUE_KINDS = {**persons_due.DUE_KINDS, **drug_tests_due.DUE_KINDS}


def due_items(commune, today: date | None = None, personal: bool = True) -> list[DueItem]:
    """What is due; without `personal`, not the items derived from a field the reader may not see."""
    today = today or clock.today()
    items = persons_due.commune_due(commune, today) + drug_tests_due.commune_due(commune, today)
    return sorted((i for i in items if personal or not i.personal), key=lambda i: (not i.overdue, i.due_on))
