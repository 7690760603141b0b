"""Sources (a mined project) and the files in them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FileStatus = Literal["ok", "failed", "skipped"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    domain: str
    root: str
    """Where it was mined from: a folder, an sdist or a wheel."""
    origin: Literal["folder", "sdist", "wheel"]
    revision: str
    """sha256 over the sorted (path, file sha256) pairs: the same tree gives the same revision."""
    license: str | None = None


class FileRecord(BaseModel):
    """What the miner did with one file; `reason` says why a file was not mined."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    path: str
    sha256: str
    size: int
    language: str
    status: FileStatus
    reason: str | None = None
    """Why a file was not mined: syntax_error, unsupported_syntax (valid code libcst cannot read: newer
    syntax or a libcst bug), undecodable, binary, too_large, too_deeply_nested, symlink, not_a_file
    (a FIFO, socket or device), unreadable, vanished, bad_name (not UTF-8, or a control character: the
    path is the name escaped), parse_error (HTML), parser_crashed."""
    error: str | None = None
    lines: int = 0
