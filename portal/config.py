"""Configuration read from the environment (documented in README.md)."""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.clock import DEFAULT_ZONE


def _database_url(instance_path: str | None, variable: str = "DATABASE_URL") -> str | None:
    url = os.environ.get(variable, "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "portal.sqlite3") if instance_path else None
    # psycopg 3 is the driver we ship; accept the usual spellings of a PostgreSQL URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"PORTAL_TIMEZONE={name!r} is not a time zone (for example Asia/Ho_Chi_Minh)") from exc
    return name


DEVELOPMENT_KEY = "development-only-not-secret"
DEVELOPMENT_TOTP_KEY = "development-only-totp-key-not-secret"
MIN_SECRET_BYTES = 32


def _import_settings(instance_path: str) -> dict:
    """Spreadsheet imports: where a sheet is checked and read (it waits in its job's row), the limits
    checked before any parsing, and where jobs run: "process" (the app server starts each job's process)
    or "postgresql" (a queue that workers started apart take from: portal/queue.py)."""
    return {
        "IMPORTS_DIR": os.environ.get("IMPORTS_DIR", os.path.join(instance_path, "imports")),
        "IMPORT_MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024))),
        "IMPORT_MAX_UNPACKED": int(os.environ.get("IMPORT_MAX_UNPACKED", str(200 * 1024 * 1024))),
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "100000")),
        "IMPORT_MAX_RUNNING": int(os.environ.get("IMPORT_MAX_RUNNING", "2")),  # per deployment, at once
        "JOB_QUEUE": os.environ.get("JOB_QUEUE", "process"),
        # with the queue, an export of more rows than this is written by a worker (portal/exports/jobs.py)
        "EXPORT_QUEUE_ROWS": int(os.environ.get("EXPORT_QUEUE_ROWS", "5000")),
    }


def _check_job_queue(config: dict) -> None:
    if config["JOB_QUEUE"] not in ("process", "postgresql"):
        raise RuntimeError(f"JOB_QUEUE must be process or postgresql, not {config['JOB_QUEUE']!r}")
    if config["JOB_QUEUE"] == "postgresql" and not (config["SQLALCHEMY_DATABASE_URI"] or "").startswith("postgresql"):
        raise RuntimeError("JOB_QUEUE=postgresql needs DATABASE_URL on PostgreSQL: the queue lives in its database")


def _check_secret_key(secret: str | None) -> None:
    """Outside development the key signs every cookie: never the published development key, never short."""
    if not secret:
        raise RuntimeError("SECRET_KEY must be set outside development (PORTAL_ENV=development)")
    if secret == DEVELOPMENT_KEY or len(secret.encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(
            f"SECRET_KEY must be a random value of at least {MIN_SECRET_BYTES} bytes, not the development key "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )


def _check_totp_key(key: str | None, secret: str) -> None:
    """The key that seals the TOTP secrets (portal.auth.at_rest): set, long, and not SECRET_KEY."""
    if not key or len(key.encode()) < MIN_SECRET_BYTES or key == secret:
        raise RuntimeError(
            f"TOTP_ENCRYPTION_KEY must be set outside development: a random value of at least {MIN_SECRET_BYTES} "
            "bytes, different from SECRET_KEY (it encrypts the two-factor secrets at rest)"
        )


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ.get("PORTAL_ENV", "production")
    development = env in ("development", "testing")
    secret = os.environ.get("SECRET_KEY")
    zone = _timezone(os.environ.get("PORTAL_TIMEZONE") or DEFAULT_ZONE)
    secret = (overrides or {}).get("SECRET_KEY") or secret
    totp_key = (overrides or {}).get("TOTP_ENCRYPTION_KEY") or os.environ.get("TOTP_ENCRYPTION_KEY")
    if not development:
        _check_secret_key(secret)
        _check_totp_key(totp_key, secret)
    config = {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret or DEVELOPMENT_KEY,
        "TOTP_ENCRYPTION_KEY": totp_key or DEVELOPMENT_TOTP_KEY,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # PostgreSQL: the role that owns the tables, for migrations, backups and restores; the portal itself
        # connects as DATABASE_URL's role, which row-level security binds (portal.tenancy.database).
        "DATABASE_OWNER_URI": _database_url(None, "DATABASE_OWNER_URL"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))),
        # The cookie is signed anew only when the session changes: it expires at the absolute limit after
        # the login, and the idle limit is the server's (the session's last-seen time), so a page that
        # changes nothing sends no Set-Cookie (and costs no signing).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "20")),
        "LOGIN_WINDOW_MINUTES": int(os.environ.get("LOGIN_WINDOW_MINUTES", "15")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        "ACCOUNT_SHEET_MAX_ROWS": 5000,
        # Dossier scans: outside the web root, under names the server makes.
        "ATTACHMENTS_DIR": os.environ.get("ATTACHMENTS_DIR", os.path.join(instance_path, "attachments")),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", str(4 * 1024 * 1024))),
        **_import_settings(instance_path),
        "BABEL_DEFAULT_LOCALE": "vi",
        # The province's day (portal.clock): due dates, legal ends, criteria windows, snapshots.
        "PORTAL_TIMEZONE": zone,
        "BABEL_DEFAULT_TIMEZONE": zone,
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations"),
        "LANGUAGES": ("vi", "en"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which has its own timeouts
        # the key of the CCCD hashes the retention sweep keeps (default: derived from SECRET_KEY)
        "CCCD_HASH_KEY": os.environ.get("CCCD_HASH_KEY", ""),
        # age public keys (age1…, comma-separated) that every backup is encrypted to
        "BACKUP_RECIPIENTS": os.environ.get("BACKUP_RECIPIENTS", ""),
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        # X-Forwarded-For is believed only from these addresses or networks (the reverse proxies)
        "TRUSTED_PROXIES": os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1"),
    }
    if overrides:
        config.update(overrides)
    _check_job_queue(config)
    return config
