"""Every register of the commune workspace, by slug and by table."""

from portal.registers.spec import Register

REGISTERS: dict[str, Register] = {}


def declare(register: Register) -> Register:
    REGISTERS[register.slug] = register
    return register


def by_table(table: str) -> Register:
    return next(r for r in REGISTERS.values() if r.model.__tablename__ == table)


def load_row_choices(form, commune) -> None:
    """Fill every RowSelectField of the form with the commune's rows."""
    from portal.registers.fields import RowSelectField

    for field in form:
        if isinstance(field, RowSelectField):
            target = by_table(field.model_name)
            field.load(commune, target.model, lambda row, t=target: t.describe(row, True))
