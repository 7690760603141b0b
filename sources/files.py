"""Reading a source's files: a folder, an sdist (`.tar.gz`) or a wheel (`.whl`).

Never follows links, never leaves the root, never reads a file larger than its language's limit (or
the one limit given); each file that cannot be read comes back with a reason instead of its bytes.
Every path that comes back is valid UTF-8 without control characters: a file whose name is not comes
back as `bad_name`, under its name escaped (`bad\\xff.py`, `new\\nline.py`). An archive member
named like an earlier one (`pkg/a.py` twice, `pkg/./a.py`, `pkg//a.py`) comes back as
`duplicate_member` and one that would leave the root (`..`, an absolute name) as `unsafe_member`,
neither read: the first of each path is the one mined (`NOT_STORED` says which reasons have no
file of their own).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sources.names import name_problem, printable

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "build",
        "dist",
    }
)
NOT_STORED = frozenset({"duplicate_member", "unsafe_member"})
"""Reasons of files that are not files of the source: another copy of a path already read, or a name
outside the root. They are counted in the run's stats, never stored as files."""
LICENSE_PREFIX = 64_000
"""How much of a LICENSE file or of metadata is read to tell the license: enough for every license's
plain statement, never a whole file (a 1.5 GB sparse LICENSE was once read whole)."""
LANGUAGES = {".py": "python", ".html": "html", ".htm": "html"}
MAX_FILE_BYTES = {"python": 5_000_000, "html": 32_000_000}
"""The default size limit of each language. Python stays at 5 MB: libcst's memory grows fast on huge
literals. HTML keeps real single-page documentation (Node.js's `api/all.html` is 8.4 MB): a
generated 32 MB documentation page (346,000 facts) peaks at 1.1 GiB resident while one worker
extracts it, an 8.4 MB one at 330 MiB."""


def size_limit(language: str, max_bytes: int | None = None) -> int:
    """The size limit of a language's files: `max_bytes` when given (it applies to every language)."""
    return MAX_FILE_BYTES[language] if max_bytes is None else max_bytes


def too_large(size: int, language: str, max_bytes: int) -> str:
    """The error of a file over its limit."""
    return f"{size} bytes is over the {max_bytes} byte limit for {language} files (--max-file-size)"


@dataclass(frozen=True)
class SourceFile:
    path: str
    """Relative to the source's root, `/`-separated."""
    language: str
    size: int
    data: bytes | None
    reason: str | None = None
    error: str | None = None


def origin_of(target: Path) -> str:
    if target.is_dir():
        return "folder"
    if target.name.endswith((".tar.gz", ".tgz")):
        return "sdist"
    if target.suffix == ".whl":
        return "wheel"
    raise ValueError(f"{target}: not a folder, an sdist (.tar.gz) or a wheel (.whl)")


def default_name(target: Path) -> str:
    name = target.name
    if name.endswith(".whl"):
        return name.split("-")[0]
    for suffix in (".tar.gz", ".tgz"):
        if name.endswith(suffix):
            return re.sub(r"-\d[^-]*$", "", name[: -len(suffix)])
    return name


def _excluded(path: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/") for pattern in exclude)


def _excluded_folder(path: str, exclude: Sequence[str]) -> bool:
    """Whether everything under a folder is excluded (`test`, `test/`, `test/*` all prune `test`)."""
    return _excluded(path, exclude) or _excluded(path + "/", exclude)


def read_source(target: Path, exclude: Sequence[str] = (), max_bytes: int | None = None) -> Iterator[SourceFile]:
    """Every file of a known language in the source; excluded ones are never read. A file over
    `max_bytes` (default: its language's limit, `MAX_FILE_BYTES`) is not read. A folder's files come
    as they are read, one at a time (a folder's files by name, then its subfolders by name), so a
    caller that lets each go holds one file's bytes at most; an archive's come sorted by path. A path
    comes back once with bytes at most: a duplicate archive member (or an escaped bad name equal
    to another file's) comes back as `duplicate_member`, after the first."""
    origin = origin_of(target)
    if origin == "folder":
        files = _read_folder(target, max_bytes, exclude)
    elif origin == "sdist":
        files = _read_sdist(target, max_bytes)
    else:
        files = _read_wheel(target, max_bytes)
    seen: set[str] = set()
    # An archive's members sorted (stable: of equal paths, the archive's first stays first); a folder's
    # files as walked, so that its bytes are never all held at once.
    for item in files if origin == "folder" else sorted(files, key=lambda f: f.path):
        if _excluded(item.path, exclude):
            continue
        if item.reason in NOT_STORED:
            yield item
        elif item.path in seen:
            yield _duplicate(item.path, item.path, item.language, item.size)
        else:
            seen.add(item.path)
            yield item


def _language(name: str) -> str | None:
    return LANGUAGES.get(os.path.splitext(name)[1])


def _bad_name(path: str, language: str) -> SourceFile | None:
    problem = name_problem(path)
    if problem is None:
        return None
    return SourceFile(printable(path), language, 0, None, "bad_name", f"{problem}: never read")


def _duplicate(path: str, member: str, language: str, size: int) -> SourceFile:
    return SourceFile(
        path,
        language,
        size,
        None,
        "duplicate_member",
        f"member {printable(member)!r} names the same file as an earlier member: only the first is read",
    )


def _read_folder(root: Path, max_bytes: int | None, exclude: Sequence[str]) -> Iterator[SourceFile]:
    top = str(root)
    for folder, dirs, names in os.walk(top, followlinks=False):
        relative = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = sorted(
            name
            for name in dirs
            if name not in SKIPPED_DIRS
            and not os.path.islink(os.path.join(folder, name))
            and not _excluded_folder(prefix + name, exclude)
        )
        for name in sorted(names):
            language = _language(name)
            if language is None or _excluded(prefix + name, exclude):
                continue
            yield _bad_name(prefix + name, language) or _read_one(
                os.path.join(folder, name), prefix + name, language, max_bytes
            )


def _read_one(full: str, path: str, language: str, max_bytes: int | None) -> SourceFile:
    limit = size_limit(language, max_bytes)
    if os.path.islink(full):
        return SourceFile(path, language, 0, None, "symlink", "links are never followed")
    try:
        status = os.stat(full, follow_symlinks=False)
        if not stat.S_ISREG(status.st_mode):  # opening a FIFO blocks until a writer comes: never open one
            return SourceFile(path, language, 0, None, "not_a_file", "a FIFO, socket or device, never read")
        size = status.st_size
        if size > limit:
            return SourceFile(path, language, size, None, "too_large", too_large(size, language, limit))
        with open(full, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        return SourceFile(path, language, 0, None, "vanished", "the file disappeared while mining")
    except OSError as error:
        return SourceFile(path, language, 0, None, "unreadable", error.strerror or str(error))
    return SourceFile(path, language, len(data), data)


def _member_path(name: str) -> str | None:
    """An archive member's name as a path inside the root: `pkg/./a.py` and `pkg//a.py` are
    `pkg/a.py`; an absolute name or one that climbs (`..`) is None."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts:
        return None
    return "/".join(parts)


def _unsafe(member: str, language: str) -> SourceFile:
    return SourceFile(
        printable(member), language, 0, None, "unsafe_member", "an absolute name or one with `..`: never read"
    )


def _read_sdist(target: Path, max_bytes: int | None) -> Iterator[SourceFile]:
    seen: set[str] = set()
    with tarfile.open(target, "r:*") as archive:
        for member in archive:
            name = _member_path(member.name)
            if name is None:
                language = _language(member.name)
                if language is not None:
                    yield _unsafe(member.name, language)
                continue
            if "/" not in name:
                continue
            path = name.split("/", 1)[1]
            language = _language(path)
            if language is None or any(part in SKIPPED_DIRS for part in path.split("/")[:-1]):
                continue
            if path in seen:
                yield _duplicate(path, member.name, language, member.size)
                continue
            seen.add(path)
            if not member.isfile():
                yield SourceFile(path, language, 0, None, "symlink", "links are never followed")
                continue
            bad = _bad_name(path, language)
            if bad is not None:
                yield bad
                continue
            limit = size_limit(language, max_bytes)
            if member.size > limit:
                yield SourceFile(
                    path, language, member.size, None, "too_large", too_large(member.size, language, limit)
                )
                continue
            handle = archive.extractfile(member)
            data = handle.read(limit + 1) if handle is not None else b""
            yield SourceFile(path, language, len(data), data)


def _read_wheel(target: Path, max_bytes: int | None) -> Iterator[SourceFile]:
    seen: set[str] = set()
    with zipfile.ZipFile(target) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            language = _language(info.filename)
            if language is None:
                continue
            path = _member_path(info.filename)
            if path is None:
                yield _unsafe(info.filename, language)
                continue
            if path in seen:
                yield _duplicate(path, info.filename, language, info.file_size)
                continue
            seen.add(path)
            bad = _bad_name(path, language)
            if bad is not None:
                yield bad
                continue
            limit = size_limit(language, max_bytes)
            if info.file_size > limit:
                yield SourceFile(
                    path, language, info.file_size, None, "too_large", too_large(info.file_size, language, limit)
                )
                continue
            with archive.open(info) as handle:
                data = handle.read(limit + 1)
            yield SourceFile(path, language, len(data), data)


def _file_prefix(path: Path) -> bytes | None:
    """The first `LICENSE_PREFIX` bytes of a regular file (not a link, a FIFO or a device), or None."""
    try:
        if not stat.S_ISREG(os.stat(path, follow_symlinks=False).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read(LICENSE_PREFIX)
    except OSError:  # missing, unreadable or gone: no license read from it
        return None


LICENSE_HINTS = (
    ("Apache-2.0", "Apache License"),
    ("MIT", "MIT License"),
    ("MIT", "Permission is hereby granted, free of charge"),
    ("BSD-3-Clause", "Redistributions of source code must retain"),
    ("GPL-3.0", "GNU GENERAL PUBLIC LICENSE"),
    ("MPL-2.0", "Mozilla Public License"),
    ("PSF-2.0", "PYTHON SOFTWARE FOUNDATION LICENSE"),
)


def detect_license(target: Path) -> str | None:
    """A source's license from its metadata or its LICENSE file, when one says plainly which. Reads
    at most `LICENSE_PREFIX` bytes of each file, and never a link or anything but a regular file."""
    texts: list[str] = []
    if target.is_dir():
        for name in ("PKG-INFO", "LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "pyproject.toml"):
            prefix = _file_prefix(target / name)
            if prefix is not None:
                texts.append(prefix.decode("utf-8", errors="replace"))
    elif origin_of(target) == "wheel":
        with zipfile.ZipFile(target) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".dist-info/METADATA"):
                    with archive.open(info) as handle:
                        texts.append(handle.read(LICENSE_PREFIX).decode("utf-8", errors="replace"))
    for text in texts:
        match = re.search(r"^(?:License-Expression:|license\s*=)\s*[\"']?([A-Za-z0-9.\-+ ]+)", text, re.MULTILINE)
        if match:
            return match.group(1).strip()
    for text in texts:
        for spdx, hint in LICENSE_HINTS:
            if hint.lower() in text.lower():
                return spdx
    return None
