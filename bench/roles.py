"""The benchmarks' servers connect as production's do: on PostgreSQL, as the application role that
row-level security binds (DATABASE_URL), with the owner named apart (DATABASE_OWNER_URL)."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "portal_app"


def server_env(url: str) -> dict:
    """The environment of a portal process on this database (the URL is the owner's)."""
    env = {**os.environ, "DATABASE_URL": url}
    if url.startswith("postgresql"):
        owner = make_url(url)
        app = owner.set(username=APP_ROLE, password="portal-app-bench" if owner.password else None)  # noqa: S106
        env["DATABASE_URL"] = app.render_as_string(hide_password=False)
        env["DATABASE_OWNER_URL"] = url
    return env


def grant(url: str) -> None:
    """Create the application role if it is missing and give it its grants on this database."""
    if url.startswith("postgresql"):
        subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "flask", "--app", "wsgi", "database", "grant"],
            env=server_env(url),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
