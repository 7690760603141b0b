"""`curate doctor`: is the store whole, and is every output complete (or absent)?

- the store: no duplicate keys, no row pointing at nothing (`Store.integrity_problems`);
- every lockfile in the recipes folder reads, and names only examples the store holds. A lockfile
  that names none of the store's examples was built from another store (the default recipes folder
  beside another `--db`): it is noted, not checked, and is no problem of this store's;
- every export (a folder with `manifest.json` under the exports and runs folders) holds exactly the
  files its manifest lists, with their sizes and sha256; a folder with split files and no manifest
  is a half-written export;
- staging folders and files a killed process left behind (`.NAME.tmp-*`, `.NAME.old-*`,
  `.NAME.partial`, `adapters/.resume-*`) are listed as leftovers: harmless (no output is ever read
  from them), removed by `--clean`. A running curate holds the store, so doctor never runs (or
  cleans) beside one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from curate.files import sha256_file
from curate.mix import read_lockfile, recipe_names
from curate.store import Store

LEFTOVER_PATTERNS = (".*.tmp-*", ".*.old-*", ".*.partial", ".resume-*", ".*.lock.json.*")
SPLIT_FILES = ("train.jsonl", "valid.jsonl", "test.jsonl", "train.parquet", "valid.parquet", "test.parquet")


@dataclass
class Diagnosis:
    checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What doctor did not check, and why: no problem."""
    problems: list[str] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def diagnose(store: Store, mixes: Path, outputs: Iterable[Path]) -> Diagnosis:
    diagnosis = Diagnosis()
    diagnosis.problems += [f"store: {problem}" for problem in store.integrity_problems()]
    diagnosis.checked.append(f"store {store.path}")
    known = store.example_ids()
    if mixes.is_dir():
        names = [name for name in recipe_names(mixes) if (mixes / f"{name}.lock.json").exists()]
        for name in names:
            try:
                lockfile = read_lockfile(mixes, name)
            except (ValidationError, ValueError, OSError) as error:
                diagnosis.problems.append(f"lockfile {name}: unreadable ({str(error).splitlines()[0]})")
                continue
            except Exception as error:  # CurateError and kin: the message says what is wrong
                diagnosis.problems.append(f"lockfile {name}: {error}")
                continue
            ids = set(lockfile.ids())
            missing = ids - known
            if missing and missing == ids:
                diagnosis.notes.append(
                    f"lockfile {name}: built from another store (none of its {len(ids)} examples is here); not checked"
                )
            elif missing:
                diagnosis.problems.append(f"lockfile {name}: names {len(missing)} examples the store does not hold")
        others = sum(1 for note in diagnosis.notes if note.startswith("lockfile "))
        diagnosis.checked.append(f"{len(names) - others} lockfiles in {mixes}")
        diagnosis.leftovers += _leftovers(mixes)
    for folder in outputs:
        if not folder.is_dir():
            continue
        exports = 0
        for manifest in sorted(folder.rglob("manifest.json")):
            if any(part.startswith(".") for part in manifest.relative_to(folder).parts):
                continue  # inside a staging folder: a leftover, listed below
            exports += 1
            diagnosis.problems += _check_export(manifest.parent)
        for split in sorted(folder.rglob("*.jsonl")) + sorted(folder.rglob("*.parquet")):
            relative = split.relative_to(folder)
            hidden = any(part.startswith(".") for part in relative.parts)
            if split.name in SPLIT_FILES and not hidden and not (split.parent / "manifest.json").exists():
                diagnosis.problems.append(f"{split.parent}: split files without a manifest (a half-written export)")
        diagnosis.checked.append(f"{exports} exports under {folder}")
        diagnosis.leftovers += _leftovers(folder)
    diagnosis.problems = sorted(set(diagnosis.problems))
    diagnosis.leftovers = sorted(set(diagnosis.leftovers))
    return diagnosis


def clean(leftovers: Iterable[Path]) -> int:
    removed = 0
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def _check_export(folder: Path) -> list[str]:
    try:
        files = json.loads((folder / "manifest.json").read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        files = None
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        return [f"{folder}: manifest.json does not read"]
    problems = []
    for name, expected in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{folder}: {name} is missing")
            continue
        if path.stat().st_size != expected.get("bytes"):
            problems.append(
                f"{folder}: {name} has {path.stat().st_size} bytes, the manifest says {expected.get('bytes')}"
            )
        elif sha256_file(path) != expected.get("sha256"):
            problems.append(f"{folder}: {name} does not match its sha256")
    return problems


def _leftovers(folder: Path) -> list[Path]:
    return [path for pattern in LEFTOVER_PATTERNS for path in folder.rglob(pattern)]
