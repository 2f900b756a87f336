"""The benchmarks' servers connect as production's do: on PostgreSQL, as the application role that
row-level security binds (DATABASE_URL), with the owner named apart (DATABASE_OWNER_URL)."""

import os
import subprocess
import sys
from pathlib import Path

from portal.tenancy.database import app_role_url

ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "portal_app"


def server_env(url: str) -> dict:
    """The environment of a portal process on this database (the URL is the owner's)."""
    env = {**os.environ, "DATABASE_URL": url}
    if url.startswith("postgresql"):
        env["DATABASE_URL"] = app_role_url(url, APP_ROLE, "portal-app-bench")
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
