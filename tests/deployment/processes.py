"""The portal's own processes started by the deployment tests: their environment on the test's database,
and a queue worker run until nothing waits."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def portal_env(app) -> dict:
    """A portal process's environment on the test's database, with the test app's keys (the reach's
    signature and the TOTP secrets' encryption derive from them)."""
    return {
        **os.environ,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TOTP_ENCRYPTION_KEY": app.config["TOTP_ENCRYPTION_KEY"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""),
        "DATABASE_OWNER_URL": app.config["DATABASE_OWNER_URI"].replace("+psycopg", ""),
    }


def work_the_queue(app) -> None:
    """A worker started apart, as on another machine, taking jobs until none is left."""
    subprocess.run(  # noqa: S603 - the portal's own worker, stopping once nothing waits
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--until-empty"],
        cwd=ROOT,
        env={**portal_env(app), "JOB_QUEUE": "postgresql"},
        check=True,
        timeout=120,
    )
