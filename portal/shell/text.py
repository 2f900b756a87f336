"""Vietnamese text helpers shared by every register's search."""

import unicodedata


def fold(text: str | None) -> str:
    """Lower case without diacritics, so "nguyen van a" finds "Nguyễn Văn A" (NFC or NFD input)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def clean(text: str | None) -> str:
    """User input as stored: NFC, single spaces, no leading or trailing blanks."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())
