"""The columns of an import sheet, and how a cell of each kind becomes a stored value.

Real files vary: spaces around values, dates as Excel dates or as dd/mm/yyyy text, numbers where text
was meant (a CCCD that lost its leading zero), Vietnamese in NFC or NFD. Each kind accepts those and
refuses anything else with one Vietnamese sentence that says what to type instead."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.persons.cccd import normalise
from portal.shell.text import clean, fold

TEXT, CODE, DAY, INT, CHOICE, YESNO, CCCD, YEAR = "text", "code", "day", "int", "choice", "yesno", "cccd", "year"
DAY_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y/%m/%d")
YES = frozenset({"co", "x", "yes", "y", "1", "true", "dung"})
NO = frozenset({"", "khong", "no", "n", "0", "false", "sai"})

FORMULA = _l("This cell holds a formula; type the value itself.")
REQUIRED = _l("This cell is empty; it is required.")
NOT_A_DAY = _l("Not a date: type it as dd/mm/yyyy, for example 05/03/2025.")
FUTURE = _l("This date is in the future.")
NOT_A_NUMBER = _l("Not a whole number.")
NOT_YES_NO = _l("Type “Có” or leave it empty.")
NOT_A_YEAR = _l("A campaign is a year, e.g. 2025.")
TEXT_EXPECTED = _l("Type text here, not a date.")


class Bad(ValueError):
    """A cell that cannot be stored: the message says why, in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str  # the key the spec reads (a model attribute, or a name it resolves, like "village")
    kind: str = TEXT
    # The header, as the template writes it (Vietnamese) and as the preview names it. None: the label of the
    # register form's field of that name (see ImportSpec.columns), like the choices and the length limit.
    label: Any = None
    required: bool = False
    max_length: int = 0
    choices: dict | None = None  # stored value -> label
    low: int = 0
    high: int = 0
    past_only: bool = False  # a day that cannot be in the future
    help: Any = ""
    example: Any = None
    default: Any = None  # stored when the cell is empty
    also: tuple[str, ...] = ()  # earlier headers still read from officers' files, e.g. "Chủ hộ"

    def headers(self) -> set[str]:
        """Every spelling of the header the importer recognises: Vietnamese, English, the key, the earlier."""
        names = {fold(self.key.replace("_", " ")), fold(self.key), *(fold(name) for name in self.also)}
        for locale in ("vi", "en"):
            with force_locale(locale):
                names.add(fold(str(self.label)))
        return names

    def choice_labels(self, locale: str = "vi") -> list[str]:
        with force_locale(locale):
            return [str(label) for label in (self.choices or {}).values()]

    def choice_lookup(self) -> dict[str, str]:
        """Every way a cell may name a choice: its label in either language, its code, and for the
        law's lettered lists ("b) …") the letter alone or the text without it."""
        lookup = {}
        for value, label in (self.choices or {}).items():
            lookup[fold(value)] = value
            for locale in ("en", "vi"):
                with force_locale(locale):
                    text = fold(str(label))
                lookup[text] = value
                lettered = re.fullmatch(r"(\w{1,2})\) (.+)", text)
                if lettered:
                    lookup.setdefault(lettered.group(1), value)
                    lookup.setdefault(lettered.group(1) + ")", value)
                    lookup.setdefault(lettered.group(2), value)
        return lookup


def parse(column: Column, raw, today: date, choice_lookup: dict | None = None):
    """The stored value of one cell, or Bad."""
    if isinstance(raw, str):
        if raw.lstrip().startswith("="):
            raise Bad(FORMULA)
        raw = clean(raw)
    if raw is None or raw == "":
        if column.required:
            raise Bad(REQUIRED)
        return column.default if column.default is not None else (None if column.kind in (DAY, INT) else "")
    kind = column.kind
    if kind in (TEXT, CODE):
        value = _text(raw)
        if column.max_length and len(value) > column.max_length:
            raise Bad(_l("At most %(max)d characters; this has %(n)d.", max=column.max_length, n=len(value)))
        return value
    if kind == DAY:
        value = _day(raw)
        if column.past_only and value > today:
            raise Bad(FUTURE)
        return value
    if kind == INT:
        value = _int(raw)
        if column.high and not column.low <= value <= column.high:
            raise Bad(_l("Must be between %(low)d and %(high)d.", low=column.low, high=column.high))
        return value
    if kind == CHOICE:
        value = (choice_lookup or column.choice_lookup()).get(fold(str(raw)))
        if value is None:
            raise Bad(
                _l("“%(value)s” is not one of: %(choices)s.", value=str(raw)[:60], choices="; ".join(_labels(column)))
            )
        return value
    if kind == YESNO:
        folded = fold(str(raw)) if not isinstance(raw, bool) else ("1" if raw else "0")
        if folded in YES:
            return True
        if folded in NO:
            return False
        raise Bad(NOT_YES_NO)
    if kind == CCCD:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            # a 12-digit number typed into a number cell loses its leading zero (every province code has one)
            digits = str(int(raw))
            return digits.zfill(12) if len(digits) == 11 else digits
        return normalise(str(raw))
    if kind == YEAR:
        value = str(int(raw)) if isinstance(raw, int | float) and not isinstance(raw, bool) else str(raw)
        if not re.fullmatch(r"20\d\d", value):
            raise Bad(NOT_A_YEAR)
        return value
    raise ValueError(f"unknown column kind {kind!r}")


def _labels(column: Column) -> list[str]:
    return [str(label) for label in (column.choices or {}).values()]


def _text(raw) -> str:
    if isinstance(raw, datetime | date):
        raise Bad(TEXT_EXPECTED)
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean(str(raw))


def _day(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        text = raw.replace("-", "/").replace(".", "/").split(" ")[0]
        for pattern in DAY_FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    raise Bad(NOT_A_DAY)


def _int(raw) -> int:
    if isinstance(raw, bool):
        raise Bad(NOT_A_NUMBER)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\d{1,9}", raw):
        return int(raw)
    raise Bad(NOT_A_NUMBER)
