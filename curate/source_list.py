"""`curate mine --from FILE`: mine a list of sources, one a line, resumably.

A line is `SOURCE [DOMAIN]`: a folder, an sdist (`.tar.gz`), a wheel (`.whl`), or
`pypi:NAME[==VERSION]`, fetched with `pip download --no-deps` into a cache (a pinned version found
there is not fetched again). Paths are relative to the list's folder; `#` starts a comment. The
domain defaults to the source's name.

Each entry's state is kept in the store. A rerun skips an entry already mined from the same content
(the sha256 of its archive; a folder is mined again, which reads only its changed files), so a run
killed midway goes on where it stopped. An entry that fails (a missing path, a package pip cannot
fetch, an archive that does not open) is recorded with its reason and the run goes on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import CurateError, InputError
from curate.files import sha256_file
from curate.mine import Engine, MineStats, mine, refuse_link
from curate.store import Store

PYPI = re.compile(r"^pypi:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:==(?P<version>[A-Za-z0-9.+!_-]+))?$")
DOWNLOAD_SECONDS = 300


@dataclass(frozen=True)
class ListedSource:
    entry: str
    domain: str | None
    line: int


@dataclass
class ListStats:
    mined: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def read_source_list(path: Path) -> list[ListedSource]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read it: {error}", path=str(path)) from None
    listed = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise InputError("a line is `SOURCE [DOMAIN]`", path=str(path), line=number)
        if parts[0].startswith("pypi:") and not PYPI.match(parts[0]):
            raise InputError(f"{parts[0]!r} is not `pypi:NAME[==VERSION]`", path=str(path), line=number)
        listed.append(ListedSource(parts[0], parts[1] if len(parts) == 2 else None, number))
    return listed


def fetch_from_pypi(name: str, version: str | None, cache: Path) -> Path:
    """The wheel (or sdist) pip downloads for NAME[==VERSION], kept in `cache/NAME/`."""
    folder = cache / name.lower()
    if version is not None:
        cached = _archives(folder, name, version)
        if cached:
            return cached[0]
    folder.mkdir(parents=True, exist_ok=True)
    requirement = f"{name}=={version}" if version else name
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q"]
    try:
        done = subprocess.run(
            [*command, "-d", str(folder), requirement],
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"pip download {requirement}: no answer in {DOWNLOAD_SECONDS} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise InputError(f"pip download {requirement}: {lines[-1] if lines else 'failed'}")
    found = _archives(folder, name, version)
    if not found:
        raise InputError(f"pip download {requirement} gave no wheel or sdist")
    return found[0]


def _archives(folder: Path, name: str, version: str | None) -> list[Path]:
    """Archives of NAME (and VERSION) in `folder`, newest first, wheels before sdists."""
    if not folder.is_dir():
        return []
    wanted = re.sub(r"[-_.]+", "_", name).lower()
    found = []
    for path in folder.iterdir():
        stem = path.name.removesuffix(".whl").removesuffix(".tar.gz")
        parts = re.split(r"-", stem)
        if len(parts) < 2 or re.sub(r"[-_.]+", "_", parts[0]).lower() != wanted:
            continue
        if version is not None and parts[1] != version:
            continue
        if path.name.endswith((".whl", ".tar.gz")):
            found.append((path.stat().st_mtime, path.name.endswith(".whl"), path))
    return [path for _, _, path in sorted(found, reverse=True)]


def mine_list(
    store: Store,
    path: Path,
    *,
    cache: Path,
    jobs: int | None = None,
    on_source: Callable[[str, str, MineStats | None], None] | None = None,
    engine: Engine = "local",
    ray_address: str | None = None,
    max_file_size: int | None = None,
) -> ListStats:
    """Mine every entry of the list at `path`; `on_source(entry, outcome, stats)` after each.
    `max_file_size` is `mine`'s, for every entry."""
    stats = ListStats()
    done = store.listed()
    for listed in read_source_list(path):
        target: Path | None = None
        try:
            match = PYPI.match(listed.entry)
            if match:
                target = fetch_from_pypi(match["name"], match["version"], cache)
            else:
                refuse_link(path.parent / listed.entry)
                target = (path.parent / listed.entry).resolve()
                if not target.exists():
                    raise InputError("no such file or folder", path=str(target))
            sha = sha256_file(target) if target.is_file() else None  # a folder re-mines its changed files
            previous = done.get(listed.entry)
            if (
                sha is not None
                and previous is not None
                and (previous.domain, previous.status, previous.reason, previous.sha256)
                == (listed.domain, "mined", None, sha)
            ):
                stats.skipped.append(listed.entry)
                if on_source is not None:
                    on_source(listed.entry, "unchanged", None)
                continue
            mined = mine(
                store,
                target,
                domain=listed.domain,
                jobs=jobs,
                engine=engine,
                ray_address=ray_address,
                max_file_size=max_file_size,
            )
        except Exception as error:  # one source never stops the list: a broken archive raises anything
            reason = str(error) if isinstance(error, CurateError) else f"{type(error).__name__}: {error}"
            store.record_listed(listed.entry, listed.domain, "failed", reason, None, None)
            stats.failed.append((listed.entry, reason))
            if on_source is not None:
                on_source(listed.entry, f"failed: {reason}", None)
            continue
        store.record_listed(listed.entry, listed.domain, "mined", None, mined.source, sha)
        stats.mined.append(listed.entry)
        if on_source is not None:
            on_source(listed.entry, "mined", mined)
    return stats
