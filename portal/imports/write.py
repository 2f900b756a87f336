"""The write path of an import: a whole plan in the caller's transaction, or nothing.

New rows go in as bulk inserts (thousands per statement), each with the audit row the ORM guard
would have written for it; updated rows go through the ORM, so the guard checks and audits them as
any edit. The commune's criteria are marked touched, so its results are recomputed before the
commit like after any register write. The caller commits (or rolls back: nothing stays)."""

import contextvars
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, text

from portal.audit.models import AuditEvent
from portal.audit.rows import audit_row
from portal.clock import utcnow
from portal.criteria.results import TOUCHED
from portal.extensions import db
from portal.imports.plan import Plan
from portal.shell.text import fold
from portal.tenancy.guard import SYSTEM, WRITE_REACH, OutsideReach, tenant_models
from portal.tenancy.rls import BOUND_BEYOND_REGISTERS

CHUNK = 2000


@dataclass
class Outcome:
    added: int
    updated: int


def _check_reach(commune) -> None:
    session = db.session
    if not session.info.get(SYSTEM) and commune.id not in session.info.get(WRITE_REACH, frozenset()):
        raise OutsideReach(f"an import into commune {commune.id} is outside the write reach")


class Inserter:
    """Inserts new rows chunk by chunk, each with its audit row. Used as the plan's sink, it writes
    while the sheet is still being read, on a thread of its own: the database's work (SQLite's C code,
    which releases the GIL, or the PostgreSQL server) then runs beside the parsing, on the other core.
    The main thread touches no database while the plan is read (its lookups were read before), so the
    session's connection is used by one thread at a time. A refused row later in the file still
    commits nothing: the caller rolls back."""

    def __init__(self, spec, commune, actor, ctx: dict | None = None):
        _check_reach(commune)
        self.spec, self.commune = spec, commune
        self.actor_id = actor.id if actor is not None else None
        self.connection = db.session.connection()
        self.system = bool(db.session.info.get(SYSTEM))
        self.now = utcnow()
        self.ctx: dict = ctx or {}  # the plan's lookups (set by start() when used as its sink)
        self.added: list[tuple[int, dict]] = []
        self.buffer: list[dict] = []
        self.chunks: queue.Queue = queue.Queue(maxsize=4)
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # as the plan's sink

    def start(self, ctx: dict) -> None:
        self.ctx = ctx
        # in the job's context: its day (portal.clock.working_on) holds in this thread too
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self._run,), name="import-inserter", daemon=True)
        self.thread.start()

    def add(self, values: dict) -> None:
        self.buffer.append(values)
        if len(self.buffer) >= CHUNK:
            self._hand_over()

    def finish(self) -> list[tuple[int, dict]]:
        """Every row added so far is written (or the writer's error is raised)."""
        if self.buffer:
            self._hand_over()
        self._stop()
        if self.error is not None:
            raise self.error
        return self.added

    def _stop(self) -> None:
        if self.thread is not None:
            self.chunks.put(None)
            self.thread.join()
            self.thread = None

    def abandon(self) -> None:
        """The plan failed: let the thread end; the caller rolls the transaction back."""
        self.buffer = []
        self._stop()

    def _hand_over(self) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put(self.buffer)
        self.buffer = []

    def _run(self) -> None:
        while (chunk := self.chunks.get()) is not None:
            if self.error is None:
                try:
                    self.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread by finish()
                    self.error = exc

    # the writing itself

    def write(self, chunk: list[dict]) -> None:
        spec, register, model = self.spec, self.spec.register, self.spec.model
        rows = [
            {
                "commune_id": self.commune.id,
                **values,
                "search_key": fold(register.search_text(spec.row_for_search(values, self.ctx)))[:400],
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
                "is_demo": False,
            }
            for values in chunk
        ]
        ids = _insert(self.connection, model.__table__, rows)
        _bulk(self.connection, AuditEvent.__table__, self._audit_rows(ids, rows))
        self.added.extend(zip(ids, chunk, strict=True))

    def _audit_rows(self, ids: list[int], rows: list[dict]) -> list[dict]:
        """The rows the guard writes for ORM inserts: every column but the excluded ones."""
        model = self.spec.model
        keys = [k for k in rows[0] if k not in set(model.audit_exclude) and k != "id"]
        return [
            audit_row(
                "create",
                at=self.now,
                actor_id=self.actor_id,
                unit_id=self.commune.id,
                object_type=model.__tablename__,
                object_id=row_id,
                after={"id": row_id, **{k: row[k] for k in keys}},
                system=self.system,
            )
            for row_id, row in zip(ids, rows, strict=True)
        ]


def commit_plan(
    plan: Plan,
    commune,
    actor,
    progress: Callable[[int, int], None] | None = None,
    inserted: list[tuple[int, dict]] | None = None,
) -> Outcome:
    """Write the plan: its new rows (unless an Inserter already wrote them while the plan was read:
    `inserted`), then its updates, then what the register does after a save."""
    _check_reach(commune)
    session = db.session
    spec, register, model = plan.spec, plan.spec.register, plan.spec.model
    total, done = len(plan.adds) + len(plan.updates), 0
    if inserted is None:
        inserter = Inserter(spec, commune, actor, plan.ctx)
        for start in range(0, len(plan.adds), CHUNK):
            inserter.write([values for _, values in plan.adds[start : start + CHUNK]])
            done = len(inserter.added)
            if progress:
                progress(done, total)
        inserted = inserter.added
    done = len(inserted)
    changed: list[tuple[int, dict]] = []
    for start in range(0, len(plan.updates), CHUNK):
        chunk = plan.updates[start : start + CHUNK]
        rows = {r.id: r for r in session.scalars(select(model).where(model.id.in_([u.id for u in chunk])))}
        for update in chunk:
            row = rows[update.id]  # the guard scoped this read to the commune: a foreign id is not here
            for key, value in update.changes.items():
                setattr(row, key, value)
            row.search_key = fold(register.search_text(row))[:400]
            changed.append((update.id, {**update.before, **update.changes}))
        session.flush()  # the guard checks the write reach and writes each update's audit row
        done += len(chunk)
        if progress:
            progress(done, total)
    session.info.setdefault(TOUCHED, {}).setdefault(commune.id, set()).add(model.__tablename__)
    spec.after(commune, actor, inserted, changed)
    return Outcome(len(inserted), len(changed))


def _insert(connection, table, rows: list[dict]) -> list[int]:
    """Insert the rows and give their ids in order. Core on the session's connection, so no ORM
    bookkeeping per row (the reach was checked by the caller). PostgreSQL takes the ids from the
    sequence, then COPYs the rows: a many-VALUES INSERT … RETURNING costs four times as much there."""
    if connection.dialect.name != "postgresql":
        return (
            connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        )
    ids = (
        connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)},
        )
        .scalars()
        .all()
    )
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    _copy(connection, table, rows)
    return ids


def _bulk(connection, table, rows: list[dict]) -> None:
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        connection.execute(table.insert(), rows)


def _copy(connection, table, rows: list[dict]) -> None:
    """COPY … FROM STDIN on the session's own connection, so inside its transaction. Every row names
    the same columns (the plan fills each column of a new record). PostgreSQL refuses COPY into a table
    under row-level security, so the rows go to a temporary table of the transaction first, then across
    with one INSERT … SELECT, which the policies check row by row like any insert."""
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    secured = table.name in BOUND_BEYOND_REGISTERS or any(model.__table__ is table for model in tenant_models)
    target = f"import_stage_{table.name}" if secured else table.name
    if secured:  # only the columns the rows name: the table's own defaults fill the others on the way across
        connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{target}"')
        connection.exec_driver_sql(
            f'CREATE TEMPORARY TABLE "{target}" ON COMMIT DROP AS SELECT {quoted} FROM "{table.name}" WITH NO DATA'  # noqa: S608
        )
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{target}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    if secured:
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{target}"')  # noqa: S608 - the model's own column names
