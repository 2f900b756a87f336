"""Checking a citizen identity number (CCCD, 12 digits) against a person's date of birth and sex.

Digits 1-3: the province where the *birth* was registered (never compare with the residence);
digit 4: century and sex (1900s: 0 male, 1 female; 2000s: 2 male, 3 female; 2100s: 4/5);
digits 5-6: the last two digits of the birth year; digits 7-12: random."""

import hashlib
import hmac
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l

# Birth-registration province codes of QĐ 124/2004 (the 63 provinces before the 2025 merger).
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split()
)
CENTURY_BASE = {1900: 0, 2000: 2, 2100: 4}


def normalise(number: str | None) -> str:
    return "".join((number or "").split()).replace(".", "").replace("-", "")


def century_digit(born: date, sex: str) -> str:
    return str(CENTURY_BASE[born.year // 100 * 100] + (1 if sex == "female" else 0))


def cccd_problems(number: str, born: date | None, sex: str | None) -> list:
    """Every mistake in the number, each with its own message; empty when it is consistent."""
    number = normalise(number)
    if not number.isdigit():
        return [_l("A CCCD number has digits only.")]
    if len(number) != 12:
        return [_l("A CCCD number has 12 digits; this one has %(n)d.", n=len(number))]
    problems = []
    if number[:3] not in PROVINCE_CODES:
        problems.append(_l("The first three digits (%(code)s) are not a province code.", code=number[:3]))
    if born is not None and sex in ("male", "female") and born.year // 100 * 100 in CENTURY_BASE:
        expected = century_digit(born, sex)
        if number[3] != expected:
            fourth = int(number[3])
            said_sex = "female" if fourth % 2 else "male"
            if said_sex != sex:
                problems.append(
                    _l("The fourth digit (%(d)s) is for a woman, but the person is a man.", d=number[3])
                    if said_sex == "female"
                    else _l("The fourth digit (%(d)s) is for a man, but the person is a woman.", d=number[3])
                )
            else:
                problems.append(
                    _l(
                        "The fourth digit (%(d)s) does not match the century of birth (%(year)s).",
                        d=number[3],
                        year=born.year,
                    )
                )
        if number[4:6] != f"{born.year % 100:02d}":
            problems.append(
                _l(
                    "Digits 5–6 (%(yy)s) must be the last two digits of the birth year (%(year)s).",
                    yy=number[4:6],
                    year=born.year,
                )
            )
    return problems


def sample_cccd(born: date, sex: str, province: str, serial: int) -> str:
    """A well-formed number, for demo data."""
    return f"{province}{century_digit(born, sex)}{born.year % 100:02d}{serial % 1_000_000:06d}"


def cccd_key() -> bytes:
    """The key of the CCCD hashes the retention sweep keeps (portal.privacy.retention): CCCD_HASH_KEY, or
    one derived from SECRET_KEY (set CCCD_HASH_KEY to rotate SECRET_KEY without losing the matches)."""
    explicit = current_app.config.get("CCCD_HASH_KEY")
    if explicit:
        return explicit.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"portal.cccd-hash", hashlib.sha256).digest()


def cccd_hash(cccd: str) -> str:
    """A keyed hash of the number: matches a returning person, reveals nothing without the key."""
    return hmac.new(cccd_key(), cccd.strip().encode(), hashlib.sha256).hexdigest()
