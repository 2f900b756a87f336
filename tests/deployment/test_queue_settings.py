"""The job queue's settings: a name the portal knows, and PostgreSQL under it; on SQLite no worker runs."""

import pytest

from portal.config import load_config


def test_the_queue_is_process_or_postgresql_and_postgresql_needs_its_database(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("JOB_QUEUE", raising=False)
    assert load_config(str(tmp_path))["JOB_QUEUE"] == "process"  # the embedded default: nothing beside it
    monkeypatch.setenv("JOB_QUEUE", "redis")
    with pytest.raises(RuntimeError, match="JOB_QUEUE must be process or postgresql"):
        load_config(str(tmp_path))
    monkeypatch.setenv("JOB_QUEUE", "postgresql")
    with pytest.raises(RuntimeError, match="needs DATABASE_URL on PostgreSQL"):
        load_config(str(tmp_path))  # SQLite in instance/
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal_app@db.example/portal")
    assert load_config(str(tmp_path))["JOB_QUEUE"] == "postgresql"


def test_no_worker_runs_on_sqlite(app, dialect):
    if dialect != "sqlite":
        pytest.skip("on PostgreSQL the worker runs (tests/deployment/test_two_servers.py)")
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--until-empty"])
    assert result.exit_code == 1 and "the job queue runs on PostgreSQL" in result.output
