"""The compiled catalogs (.mo) are build output, not kept in git. A portal started from a tree where they
are missing, or older than their .po, compiles them before it serves anything; where it cannot write
them it refuses to start and says what to run. Serving the whole portal in English, silently, would be
worse than not starting."""

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def ensure_compiled(directories: str) -> list[Path]:
    """Compile every catalog under the directories (`;`-separated, as Flask-Babel reads them) that is
    missing or stale; the compiled files' paths."""
    compiled = []
    for directory in filter(None, directories.split(";")):
        for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            try:
                _compile(po, mo)
            except OSError as exc:
                raise RuntimeError(
                    f"The translations in {directory} are not compiled and cannot be written here ({exc}): "
                    f"run `pybabel compile -d {directory}` as the user who may write them, then start again."
                ) from exc
            compiled.append(mo)
    return compiled


def _compile(po: Path, mo: Path) -> None:
    """As `pybabel compile` does (fuzzy entries left out); written aside and moved in at once, so that
    two processes starting together never read half a file."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    temporary = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as out:
            write_mo(out, catalog)
        os.replace(temporary, mo)
    finally:
        temporary.unlink(missing_ok=True)
