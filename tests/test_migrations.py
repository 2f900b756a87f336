"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def _portal_owns(name, kind, parents) -> bool:
    """The job queue's tables are procrastinate's own (portal/queue.py), made by its schema, not the models."""
    return not (kind == "table" and (name or "").startswith("procrastinate_"))


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        # the job queue's tables are procrastinate's own (portal/queue.py), made by its schema, not the models
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _portal_owns})
        assert compare_metadata(context, db.metadata) == []
