"""Password hashing (Argon2id, OWASP's minimum: m=19 MiB, t=2, p=1) and the password policy.

The list of common passwords is Django's (BSD licence; 20,000 passwords compiled by Royce Williams).
"""

import gzip
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 128

hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the username is unknown, so both answers take the same time.
_DUMMY_HASH = hasher.hash("dummy password for timing")

# No 0/O, 1/l/I: one-time passwords are read off paper.
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(Path(__file__).with_name("common-passwords.txt.gz"), "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def password_problem(password: str, username: str = "") -> object | None:
    """The reason a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _l("The password must have at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("The password must have at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords() or password.lower().rstrip("0123456789!@#.") in _common_passwords():
        return _l("This password is too common. Choose another.")
    if username and username.lower() in password.lower():
        return _l("The password must not contain the username.")
    return None


def one_time_password() -> str:
    return "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(12))
