"""Reading, writing and hashing files: a text or TOML file the user gave read with one clear error, a
write that readers never see half done, and a file's sha256 read in blocks (so a large export or
archive is never held in memory whole)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from curate.errors import InputError


def read_text(path: Path, what: str = "file") -> str:
    """A UTF-8 text file the user gave; missing, unreadable or not UTF-8 is one input error."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"no such {what}", path=str(path)) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text (byte {error.start}): not a {what}", path=str(path)) from None
    except OSError as error:
        raise InputError(f"cannot read it: {error.strerror or error}", path=str(path)) from None


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """A TOML file the user gave, as a table; anything else is one input error naming the line."""
    try:
        return tomllib.loads(read_text(path, what))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not TOML: {error}", path=str(path)) from None


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it and a rename: `path` holds either
    its old contents or all of the new, never part of them. A folder that cannot be written, or a
    write or rename that fails, is one input error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise InputError(f"cannot write here: {error.strerror or error}", path=str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; lockfiles and pages are ordinary files
        os.replace(temporary, path)
    except OSError as error:  # a full disk, `path` a folder: nothing written, one line
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write here: {error.strerror or error}", path=str(path)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
