"""Backups sealed to a public key: a stolen backup file reveals nothing.

`backup` encrypts the archive with age (through pyrage) to one or more recipients (`age1…` public
keys, from `--recipient` or BACKUP_RECIPIENTS); only the holder of a matching identity file (the
`AGE-SECRET-KEY-1…` line that `age-keygen` prints, kept off the server) can `restore` it. The plain
archive exists only inside a private temporary folder while it is made or read."""

from pathlib import Path

import pyrage
from pyrage import x25519

from portal.files import open_private

AGE_HEADER = b"age-encryption.org/v1"
SEALED_SUFFIX = ".age"


class SealError(RuntimeError):
    """A key that cannot be read, or a backup the identity does not open."""


def recipients_from(values) -> list:
    """Public keys given as `age1…` strings, or as paths of files holding one a line."""
    keys = []
    for value in values:
        lines = Path(value).read_text().splitlines() if Path(value).is_file() else [value]
        for line in (x.strip() for x in lines):
            if not line or line.startswith("#"):
                continue
            try:
                keys.append(x25519.Recipient.from_str(line))
            except (pyrage.RecipientError, ValueError) as exc:
                raise SealError(f"not an age public key (age1…): {line[:20]}…") from exc
    return keys


def identities_from(path: Path) -> list:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise SealError(f"cannot read the identity file {path}") from exc
    identities = []
    for line in (x.strip() for x in lines):
        if line.startswith("AGE-SECRET-KEY-1"):
            try:
                identities.append(x25519.Identity.from_str(line))
            except (pyrage.IdentityError, ValueError) as exc:
                raise SealError("the identity file holds a key that cannot be read") from exc
    if not identities:
        raise SealError("the identity file holds no AGE-SECRET-KEY-1… line")
    return identities


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(AGE_HEADER)) == AGE_HEADER


def seal(plain: Path, target: Path, recipients: list) -> None:
    """Encrypt `plain` into `target`, created 0600."""
    with open(plain, "rb") as source, open_private(target) as out:
        pyrage.encrypt_io(source, out, recipients)


def unseal(sealed: Path, target: Path, identities: list) -> None:
    """Decrypt `sealed` into `target` (in a private folder), created 0600."""
    with open(sealed, "rb") as source, open_private(target) as out:
        try:
            pyrage.decrypt_io(source, out, identities)
        except pyrage.DecryptError as exc:
            raise SealError("this identity does not open the backup (or the file is damaged)") from exc
