"""Secrets encrypted at rest: the TOTP secrets (enrolled, and being enrolled).

A column typed `Encrypted` holds `v1:` and AES-256-GCM of the value (a random 96-bit nonce before the
ciphertext, base64), under a key derived from TOTP_ENCRYPTION_KEY, a setting apart from SECRET_KEY: a
copy of the database, or of its backups, gives no one the codes of an officer's phone. Code reads and
writes plain values; the type seals and opens them at the database's edge."""

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

PREFIX = "v1:"


class SecretUnreadable(RuntimeError):
    """A sealed value the configured key does not open (a wrong TOTP_ENCRYPTION_KEY)."""


def _cipher() -> AESGCM:
    key = current_app.config["TOTP_ENCRYPTION_KEY"]
    return AESGCM(hashlib.sha256(b"portal.totp-at-rest|" + key.encode()).digest())


def seal(value: str) -> str:
    nonce = os.urandom(12)
    return PREFIX + base64.urlsafe_b64encode(nonce + _cipher().encrypt(nonce, value.encode(), None)).decode()


def unseal(stored: str) -> str:
    if not stored.startswith(PREFIX):  # a value from before the encryption (the migration seals them all)
        return stored
    raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    try:
        return _cipher().decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag as exc:
        raise SecretUnreadable("TOTP_ENCRYPTION_KEY does not open the stored secrets") from exc


class Encrypted(TypeDecorator):
    impl = String(200)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value)
