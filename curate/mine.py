"""`curate mine`: read a source (Python and HTML), extract facts from changed files in parallel, store, link.

Incremental: a file whose bytes (sha256) and extractor version are unchanged is not parsed again.
Resumable: files are committed in batches, each file whole, so a killed run loses at most its
last uncommitted batch, and rerunning picks up exactly where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import Literal

from curate.columns import Columns, held_bytes
from curate.errors import InputError
from curate.pool import run_tasks
from curate.store import FileState, FileWrite, Store
from schemas import FileRecord, Source
from sources.extraction import Extraction
from sources.files import (
    MAX_FILE_BYTES,
    NOT_STORED,
    SourceFile,
    default_name,
    detect_license,
    origin_of,
    read_source,
    size_limit,
)
from sources.names import name_problem, printable
from sources.spellings import SECRET_IN_NAME, hide_secret_names, name_findings, redact_path
from sources.versions import EXTRACTOR_VERSIONS

LINK_KINDS = ("module", "import", "binding", "class", "candidate", "cli_command", "cli_mount")
BATCH_FILES = 1_000
BATCH_SECONDS = 10.0
"""Files mined are committed by the batch: at most `--batch` files (`BATCH_FILES`), at most this long
after the last commit. A commit costs DuckDB a checkpoint that compresses the partly filled row
groups again: writing 2,500 HTML pages (290,000 facts) took 1.8 s of CPU in 13 commits of 200
files, 1.2 s in 3 of 1,000."""
LARGEST_SIZE_LIMIT = 1 << 30
"""The highest `--max-file-size`: a worker holds a file many times over (a 32 MB page peaks at 1.1 GiB)."""
BATCH_BYTES = 64 * 1024 * 1024
"""Texts and fact columns waiting to be written past this many bytes are written at once, whatever
their count."""

Engine = Literal["local", "ray"]
ProgressCallback = Callable[[int, int], None]
Kinds = dict[str, int]


@dataclass
class MineStats:
    source: str
    domain: str
    files: int = 0
    mined: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    """Archive members that are no file of their own (`sources.files.NOT_STORED`), by reason."""
    facts: Counter[str] = field(default_factory=Counter)
    secrets: Counter[str] = field(default_factory=Counter)
    linked: int = 0
    rejected_candidates: int = 0
    seconds: float = 0.0
    max_file_size: dict[str, int] = field(default_factory=dict)
    """The size limit each language's files were read under, in bytes."""

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "domain": self.domain,
            "files": self.files,
            "mined": self.mined,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": dict(sorted(self.failed.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "facts": dict(sorted(self.facts.items())),
            "secrets": dict(sorted(self.secrets.items())),
            "linked": self.linked,
            "rejected_candidates": self.rejected_candidates,
            "max_file_size": dict(sorted(self.max_file_size.items())),
            "seconds": round(self.seconds, 3),
        }


def _sha256(data: bytes | None) -> str:
    return hashlib.sha256(data or b"").hexdigest()


def _revision(files: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for path, sha in sorted(files):
        digest.update(f"{path}\0{sha}\n".encode())
    return digest.hexdigest()


def mine(
    store: Store,
    target: str | Path,
    *,
    domain: str | None = None,
    name: str | None = None,
    jobs: int | None = None,
    exclude: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    batch_files: int = BATCH_FILES,
    engine: Engine = "local",
    ray_address: str | None = None,
    max_file_size: int | None = None,
) -> MineStats:
    """Mine one source. `engine="ray"` extracts on Ray Data (`curate.ray_engine`) and writes the
    source's files in one transaction; the facts are the same as the local process pool's. A file
    over `max_file_size` bytes (default: its language's limit, `sources.files.MAX_FILE_BYTES`) is
    recorded as `too_large` and not read."""
    started = time.perf_counter()
    root = Path(target)
    refuse_link(root)
    if not root.exists():
        raise InputError("no such file or folder", path=printable(str(target)))
    try:
        origin = origin_of(root)
    except ValueError as error:
        raise InputError(printable(str(error))) from None
    for option, given in (("--name", name), ("--domain", domain)):
        problem = None if given is None else name_problem(given)
        if problem is not None:
            raise InputError(f"{option} {printable(given or '')!r}: {problem}")
    source_name = redact_path(printable(name or default_name(root.resolve())))[0]
    if max_file_size is not None and not 1 <= max_file_size <= LARGEST_SIZE_LIMIT:
        raise InputError(f"the size limit must be from 1 byte to {LARGEST_SIZE_LIMIT} (1 GiB), not {max_file_size}")
    stats = MineStats(
        source=source_name,
        domain=_domain_of(store, source_name, domain),
        max_file_size={language: size_limit(language, max_file_size) for language in MAX_FILE_BYTES},
    )
    listed: list[SourceFile] = []
    hashed: dict[str, str] = {}
    for item in read_source(root, exclude, max_file_size):  # hashed and let go: read again to extract
        if item.reason in NOT_STORED:
            stats.skipped[item.reason or "unknown"] += 1
            continue
        hashed[item.path] = _sha256(item.data)
        listed.append(replace(item, data=None))
    files = hide_secret_names(listed)
    shas = {item.path: _sha256(None) if item.reason == SECRET_IN_NAME else hashed[item.path] for item in files}
    revision = _revision([(item.path, shas[item.path]) for item in files])
    store.save_source(
        Source(
            name=source_name,
            domain=stats.domain,
            root=redact_path(printable(str(root.resolve())))[0],
            origin=origin,  # type: ignore[arg-type]
            revision=revision,
            license=detect_license(root),
        )
    )
    known = store.file_states(source_name)
    stats.files = len(files)
    gone = sorted(set(known) - set(shas))
    store.delete_files(source_name, gone)
    stats.deleted = len(gone)
    # a path stored twice (archives' duplicate members, before they were read once) is written again
    repeated = {
        path for path, count in Counter(record.path for record in store.files(source_name)).items() if count > 1
    }
    todo = [
        item
        for item in files
        if item.path in repeated
        or known.get(item.path) != FileState(shas[item.path], EXTRACTOR_VERSIONS[item.language])
    ]
    stats.unchanged = len(files) - len(todo)
    package_dirs = frozenset(posixpath.dirname(item.path) for item in files if item.path.endswith("/__init__.py"))
    root_is_package = origin == "folder" and any(item.path == "__init__.py" for item in files)
    root_package = root.resolve().name if root_is_package and root.resolve().name.isidentifier() else None
    _extract_all(
        store,
        source_name,
        todo,
        lambda: read_source(root, exclude, max_file_size),
        shas,
        package_dirs,
        root_package,
        jobs,
        stats,
        on_progress,
        batch_files,
        engine,
        ray_address,
        max_file_size,
    )
    if todo or gone or store.linked_revision(source_name) != revision:
        from sources.python.link import link  # the parser loads only when something changed

        facts = [stored.fact for stored in store.facts(source=source_name, kinds=LINK_KINDS)]
        linked = link(facts)
        store.apply_link(source_name, revision, linked.added, linked.changed, linked.rejected)
        stats.linked = len(linked.added)
        stats.rejected_candidates = len(linked.rejected)
    stats.seconds = time.perf_counter() - started
    store.record_run(uuid.uuid4().hex, f"mine {redact_path(str(target))[0]}", stats.as_dict())
    return stats


def refuse_link(root: Path) -> None:
    """A source given as a link is refused, as links inside a source are never followed; a link
    among the folders above it is the user's own setup and is followed."""
    if root.is_symlink():
        raise InputError(
            "a link: curate never follows links",
            path=printable(str(root)),
            hint=f"mine what it points to: {printable(os.path.realpath(root))}",
        )


def _domain_of(store: Store, source: str, domain: str | None) -> str:
    """The domain a mine writes: the one asked for, else the one the source already belongs to, else
    the source's name. Asking for another domain than the source's is an error: the source would
    leave its domain, and the examples made from it there would no longer be grounded."""
    known = next((item.domain for item in store.sources() if item.name == source), None)
    if known is not None and domain is not None and domain != known:
        raise InputError(
            f"source {source!r} already belongs to domain {known!r}, not {printable(domain)!r}",
            hint=f"mine it with --domain {known}, or under another --name",
        )
    return domain or known or source


def _extract_all(
    store: Store,
    source: str,
    todo: list[SourceFile],
    reread: Callable[[], Iterator[SourceFile]],
    shas: dict[str, str],
    package_dirs: frozenset[str],
    root_package: str | None,
    jobs: int | None,
    stats: MineStats,
    on_progress: ProgressCallback | None,
    batch_files: int,
    engine: Engine = "local",
    ray_address: str | None = None,
    max_file_size: int | None = None,
) -> None:
    """Extract the files of `todo`, read again through `reread` only as the pool takes them: the
    parent holds a window of file bytes (`curate.pool.WINDOW_BYTES`) and of texts waiting to be
    written (`BATCH_BYTES`), never a whole source."""
    pending: list[FileWrite] = []
    pending_bytes = 0
    last_flush = time.monotonic()
    done = 0

    def flush() -> None:
        nonlocal pending, pending_bytes, last_flush
        store.write_files(source, pending)
        pending = []
        pending_bytes = 0
        last_flush = time.monotonic()

    def add(item: SourceFile, extraction: Extraction, facts: Columns | None = None, kinds: Kinds | None = None) -> None:
        """One file's outcome; `facts` and `kinds` come from the workers, else they are read from
        `extraction.rows`."""
        nonlocal done, pending_bytes
        record = FileRecord(
            path=item.path,
            sha256=shas[item.path],
            size=item.size,
            language=item.language,
            status="ok" if extraction.status == "ok" else "failed",
            reason=extraction.reason,
            error=extraction.error,
            lines=extraction.lines,
        )
        if record.status == "ok":
            stats.mined += 1
        else:
            stats.failed[record.reason or "unknown"] += 1
        stats.facts.update(kinds if kinds is not None else Counter(map(itemgetter(0), extraction.rows)))
        text = extraction.text
        for kind, _ in extraction.secrets:
            stats.secrets[kind] += 1
        pending.append(
            FileWrite(
                record,
                text,
                extraction.rows,
                extraction.positions,
                EXTRACTOR_VERSIONS[item.language],
                extraction.secrets,
                facts,
            )
        )
        pending_bytes += len(text or "") + (held_bytes(facts) if facts is not None else 0)
        done += 1
        if on_progress is not None:
            on_progress(done, len(todo))
        if engine == "local" and (
            len(pending) >= batch_files or pending_bytes >= BATCH_BYTES or time.monotonic() - last_flush > BATCH_SECONDS
        ):
            flush()

    wanted: dict[str, SourceFile] = {}
    for item in todo:
        if item.reason is not None:
            add(item, Extraction(status="failed", reason=item.reason, error=item.error, secrets=name_findings(item)))
        else:
            wanted[item.path] = item
    readable: list[SourceFile] = []  # by task index, without their bytes

    def tasks() -> Iterator[tuple[str, bytes, str, str, bool, int | None]]:
        """The wanted files read again, one at a time. One that changed since it was hashed is
        recorded with the bytes extracted; one that can no longer be read, with its reason."""
        if not wanted:
            return
        from sources.python import module_name  # the parser loads only when a file is to be read

        for item in reread():
            if wanted.pop(item.path, None) is None:
                continue
            shas[item.path] = _sha256(item.data)
            if item.data is None:
                add(item, Extraction(status="failed", reason=item.reason, error=item.error))
                continue
            module, is_package = (
                module_name(item.path, package_dirs, root_package) if item.language == "python" else ("", False)
            )
            readable.append(replace(item, data=None))
            yield (item.path, item.data, item.language, module, is_package, max_file_size)
        for item in list(wanted.values()):
            add(item, Extraction(status="failed", reason="vanished", error="the file disappeared while mining"))

    if engine == "ray":
        from curate import ray_engine

        for index, extraction in ray_engine.extract(list(tasks()), ray_address):
            add(readable[index], extraction)
        flush()
        return
    run_tasks(
        "curate.mine_worker:extract_file_columns",
        ((source, *task) for task in tasks()),
        jobs=jobs or os.cpu_count() or 1,
        on_result=lambda index, extracted: add(readable[index], extracted.extraction, extracted.facts, extracted.kinds),
        on_crash=lambda index, why: add(
            readable[index], Extraction(status="failed", reason="parser_crashed", error=why)
        ),
        weight=lambda task: len(task[2]),
    )
    flush()
