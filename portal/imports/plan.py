"""Reading a sheet into a plan: which rows add a record, which update one (and what changes), which
are refused (row, column, reason). Nothing is written here: the preview shows the plan, and the
commit builds it again from the same file inside its own transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.imports.columns import CHOICE, Bad, parse
from portal.imports.files import FileRefused, header_key, open_sheet
from portal.imports.specs import ImportSpec
from portal.registers.display import format_value
from portal.shell.text import fold

PROGRESS_EVERY = 500
REPORT_REFUSALS = 1000  # refusals kept for the preview; the count is always exact
REPORT_UPDATES = 200
STORED_AS = {"village": "village_id", "household_code": "household_id"}  # a column read as a reference


@dataclass
class Refusal:
    row: int
    column: str  # the column's header, in the reader's language
    reason: str


@dataclass
class Update:
    row: int
    id: int
    changes: dict
    before: dict  # the whole current row, as the lookups read it


@dataclass
class Plan:
    spec: ImportSpec
    total: int = 0  # data rows read (blank rows skipped)
    adds: list[tuple[int, dict]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    refused_rows: int = 0
    example_skipped: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    ctx: dict = field(default_factory=dict, repr=False)  # the spec's lookups, for the write

    @property
    def committable(self) -> bool:
        return not self.refused_rows and bool(self.adds or self.updates)

    def report(self) -> dict:
        """What the preview shows, as JSON: the counts and the first refusals and updates."""
        labels = {c.key: str(c.label) for c in self.spec.columns}
        return {
            "total": self.total,
            "refusals": [[r.row, r.column, r.reason] for r in self.refusals[:REPORT_REFUSALS]],
            "refusal_count": len(self.refusals),
            "updates": [
                [
                    u.row,
                    [[labels.get(k, k), _shown(u.before.get(k)), _shown(v)] for k, v in u.changes.items()],
                ]
                for u in self.updates[:REPORT_UPDATES]
            ],
            "ignored_columns": self.ignored_columns,
            "example_skipped": self.example_skipped,
        }


def _shown(value) -> str:
    return format_value(value)


def build_plan(
    spec: ImportSpec,
    commune,
    path: Path,
    *,
    max_rows: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    sink=None,
) -> Plan:
    """Raises FileRefused when the file as a whole cannot be imported (missing columns, too many rows).
    A sink (`write.Inserter`) receives each new row as soon as it is accepted, to write it meanwhile."""
    today = today or clock.today()
    sheet = open_sheet(path)
    try:
        positions, ignored = _columns(spec, sheet.headers)
        plan = Plan(spec, ignored_columns=ignored)
        ctx = plan.ctx = spec.prepare(commune)
        if sink is not None:
            sink.start(ctx)
        lookups = {c.key: c.choice_lookup() for c in spec.columns if c.kind == CHOICE}
        columns = [c for c in spec.columns if c.key in positions]
        labels = {c.key: str(c.label) for c in spec.columns}
        seen: dict[tuple, int] = {}
        examples = _examples(spec)
        try:
            for number, cells in sheet.rows:
                plan.total += 1
                if plan.total > max_rows:
                    raise FileRefused(_l("At most %(n)d rows per file; split it into several files.", n=max_rows))
                if progress and plan.total % PROGRESS_EVERY == 0:
                    progress(plan.total, sheet.total)
                raw = {c.key: cells[positions[c.key]] if positions[c.key] < len(cells) else None for c in columns}
                if plan.total == 1 and _is_example(examples, raw):  # the template puts it first
                    plan.example_skipped = True
                    plan.total -= 1
                    continue
                _plan_row(spec, plan, ctx, number, raw, lookups, labels, seen, today, sink)
        except FileRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a sheet that breaks half-way is refused as a whole
            raise FileRefused(_l("This file cannot be read as an Excel (.xlsx) workbook.")) from exc
    finally:
        sheet.close()
    if progress:
        progress(plan.total, plan.total)
    return plan


def _plan_row(spec, plan, ctx, number, raw, lookups, labels, seen, today, sink) -> None:
    values, errors = {}, []
    for column in spec.columns:
        try:  # a column the file lacks reads as an empty cell: its default, for a new record only
            values[column.key] = parse(column, raw.get(column.key), today, lookups.get(column.key))
        except Bad as bad:
            errors.append((column.key, bad.message))
    if not errors:
        converted = spec.convert(values, ctx)
        errors = converted.errors
    if errors:
        plan.refused_rows += 1
        plan.refusals.extend(Refusal(number, labels[key], str(message)) for key, message in errors)
        return
    key = converted.key
    if key in seen:
        plan.refused_rows += 1
        plan.refusals.append(Refusal(number, str(spec.key_label), str(_l("Duplicate of row %(row)d.", row=seen[key]))))
        return
    seen[key] = number
    if converted.match is None:
        plan.adds.append((number, converted.values))
        if sink is not None:
            sink.add(converted.values)
        return
    row_id, current = converted.match
    absent = {STORED_AS.get(c.key, c.key) for c in spec.columns if c.key not in raw}
    changes = {k: v for k, v in converted.values.items() if k in current and k not in absent and current[k] != v}
    if changes:
        plan.updates.append(Update(number, row_id, changes, current))
    else:
        plan.unchanged += 1


def _columns(spec: ImportSpec, headers: list[tuple[int, str]]) -> tuple[dict[str, int], list[str]]:
    """Which position holds which column (headers in any order, Vietnamese or English, NFC or NFD)."""
    known = {}
    for column in spec.columns:
        for name in column.headers():
            known[name] = column.key
    positions, ignored = {}, []
    for position, text in headers:
        key = known.get(header_key(text))
        if key is None:
            ignored.append(text)
        elif key in positions:
            raise FileRefused(_l("The column “%(name)s” appears twice.", name=text))
        else:
            positions[key] = position
    missing = [str(c.label) for c in spec.columns if c.required and c.key not in positions]
    for group in spec.required_any:
        if not any(key in positions for key in group):
            missing.append(str(_l(" or ")).join(str(spec.column(key).label) for key in group))
    if missing:
        raise FileRefused(_l("Columns missing from the first row: %(names)s.", names="; ".join(missing)))
    return positions, ignored


def _examples(spec: ImportSpec) -> dict:
    """The template's example row, as it reads back: folded text, or a day."""
    with force_locale("vi"):  # the template is written in Vietnamese
        return {
            c.key: c.example if isinstance(c.example, date) else fold(str(c.example))
            for c in spec.columns
            if c.example not in (None, "")
        }


def _is_example(examples: dict, raw: dict) -> bool:
    """The example row left in the file: skipped, and the preview says so."""
    compared = [key for key in examples if key in raw]
    for key in compared:
        cell, example = raw[key], examples[key]
        if isinstance(example, date):
            if not (isinstance(cell, datetime) and cell.date() == example):
                return False
        elif fold(str(cell if cell is not None else "")) != example:
            return False
    return bool(compared)
