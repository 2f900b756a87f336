"""Files that hold personal data (the SQLite database, dossier attachments, uploaded import sheets,
restored copies) are readable by the portal's own user only: 0600 files in 0700 directories, whatever
the process's umask (a red team found them created 0644)."""

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """The directory, made if missing, and closed to other users (a directory made earlier too). A shared
    directory such as /tmp (sticky, writable by all) is never changed: the portal's files are then kept
    private one by one."""
    path.mkdir(parents=True, exist_ok=True)
    if not os.stat(path).st_mode & stat.S_ISVTX:
        os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path):
    """A new file opened for writing in binary, 0600 from its first byte (never readable by others)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode through O_CREAT: set it
    return os.fdopen(descriptor, "wb")


def write_private(path: Path, data: bytes) -> None:
    with open_private(path) as out:
        out.write(data)


def make_private(path: Path) -> None:
    """An existing file closed to other users (one a library created: the SQLite database and its log)."""
    if path.exists():
        os.chmod(path, FILE_MODE)
