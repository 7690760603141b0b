"""`curate export MIX`: a built mix as training files, written atomically, byte-identical for the
same lockfile, and checked on every export by a round trip through mlx-lm's own loader and parser.

Formats:

- `mlx`: `train.jsonl`, `valid.jsonl`, `test.jsonl`, one row a line: `{"messages": [...], "tools":
  [...]}` (mlx-lm's `chat`/`tools` format; `tools` is left out when an example offers none). mlx-lm's
  `mask_prompt` trains only the last message, so with `turns="each"` a conversation gives one row per
  assistant turn (the call decision, then the final answer); `turns="last"` gives whole conversations;
  `turns="first"` each conversation up to its first assistant turn (the call/no-call decision alone);
  `turns="opening"` the same with an answer in words cut to its first sentence, so that the decision,
  not the prose after it, carries the loss (what a model trained for minutes on a CPU can learn).
- `parquet`: `train.parquet`, ... with columns `id, domain, kind, intent, template, pair_id, turn,
  messages, tools` where `messages` and `tools` are JSON text: tool-call arguments are objects whose
  keys differ from tool to tool, and one Arrow struct for all of them would add keys that are not there.
- `hf`: a folder the Hugging Face Hub reads as a dataset (`curate.hub`): `data/{train,validation,test}-
  00000-of-00001.parquet` with `messages` and `tools` as nested columns that `apply_chat_template`
  takes as they load, and a `README.md` dataset card (configs, features, license, the recipe, the
  lockfile's hash, the counts).
- `hermes`, `sharegpt` (LLaMA-Factory's, with its `dataset_info.json`): `train.jsonl`, ... as
  `curate.formats` writes them, whole conversations (their trainers mask by role), each row read back
  by curate's importer before it is written.

A recipe's `system` prompt goes first in every row that has no system turn, in every format.

Every export writes `manifest.json`: the lockfile's hash, each file's sha256, bytes and rows, the
counts, and the round trip's result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curate import formats, hub
from curate.errors import CheckFailed, InputError
from curate.files import sha256_file
from curate.jsontext import compact
from curate.mix import lock_path, read_lockfile, recipe_hash, resolve
from curate.store import Store
from curate.store.examples import ExampleText
from curate.verify import StageFailure, check_schema, check_secrets
from schemas import SPLIT_NAMES, Lockfile

Format = Literal["mlx", "hf", "parquet", "hermes", "sharegpt"]
WHOLE_CONVERSATIONS = ("hermes", "sharegpt")
"""Formats whose trainers mask by role: every assistant turn of a whole conversation trains."""
Turns = Literal["each", "last", "first", "opening"]
"""each: a row per assistant turn; last: whole conversations; first: each conversation up to its first
assistant turn, the decision a call/no-call test scores (the cheapest rows to train it on)."""
ROUND_TRIP_SAMPLE = 100
TOKENIZER_CORPUS = 100


@dataclass(frozen=True)
class Row:
    example: ExampleText
    turn: int
    messages: str
    """The conversation up to this turn, as compact JSON in the store's key order."""
    tools: str

    def line(self) -> str:
        """The mlx-lm row, `{"messages": [...], "tools": [...]}`, without tools when none are offered."""
        if self.tools == "[]":
            return f'{{"messages":{self.messages}}}'
        return f'{{"messages":{self.messages},"tools":{self.tools}}}'


def rows_of(item: ExampleText, turns: Turns, system: str | None = None) -> list[Row]:
    """The example's rows; `system` goes first in a conversation that has no system turn."""
    messages = item.messages
    if system is not None:
        decoded: list[dict[str, Any]] = json.loads(messages)
        if not decoded or decoded[0].get("role") != "system":
            messages = compact([{"role": "system", "content": system}, *decoded])
    if turns == "last":
        return [Row(item, -1, messages, item.tools)]
    decoded = json.loads(messages)
    if turns in ("first", "opening"):
        first = next(index for index, message in enumerate(decoded) if message.get("role") == "assistant")
        kept = decoded[: first + 1]
        if turns == "opening" and not kept[-1].get("tool_calls") and kept[-1].get("content"):
            kept[-1] = {**kept[-1], "content": first_sentence(str(kept[-1]["content"]))}
        return [Row(item, first, compact(kept), item.tools)]
    return [
        Row(item, index, compact(decoded[: index + 1]), item.tools)
        for index, message in enumerate(decoded)
        if message.get("role") == "assistant"
    ]


def first_sentence(text: str) -> str:
    """Up to the first sentence's end (". ") or the first line's, whichever comes first; all of a
    text that has neither."""
    ends = [index for index in (text.find(". "), text.find("\n")) if index > 0]
    return text[: min(ends) + 1].strip() if ends else text


@dataclass(frozen=True)
class Export:
    folder: Path
    manifest: dict[str, Any]


MANIFEST = "manifest.json"
GENERATOR = "curate export"


def owned_files(out: Path) -> set[str] | None:
    """The files an earlier `curate export` wrote into `out`, from its manifest, or None when no
    manifest says curate wrote the folder. A manifest from before `generator` was recorded counts only
    with the keys that only curate's export writes."""
    try:
        manifest = json.loads((out / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):  # missing, unreadable or not JSON: not ours
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("mix"), str):
        return None
    ours = manifest.get("generator") == GENERATOR or (
        "generator" not in manifest and {"lockfile_sha256", "recipe_hash", "round_trip"} <= manifest.keys()
    )
    files = manifest.get("files")
    if not ours or not isinstance(files, dict):
        return None
    return {str(name) for name in files} | {MANIFEST}


def replaceable(out: Path) -> set[str]:
    """What replacing `out` would delete: nothing for a new or empty folder, the files an earlier export
    listed in its manifest otherwise. Anything else in `out` (a foreign `manifest.json`, a file the
    manifest does not list) refuses the export: `--out` must never delete what curate did not write."""
    if not out.exists() and not out.is_symlink():
        return set()
    if out.is_symlink() or not out.is_dir():
        what = "a link" if out.is_symlink() else "not a folder"
        raise InputError(f"exists and is {what}: refusing to replace it", path=str(out), hint="choose a new folder")
    present = [path for path in out.rglob("*") if path.is_symlink() or not path.is_dir()]
    if not present and not any(out.iterdir()):
        return set()
    owned = owned_files(out)
    if owned is None:
        raise InputError(
            "not an earlier curate export (no manifest.json written by curate) and not empty: refusing to replace it",
            path=str(out),
            hint="choose an empty or new folder",
        )
    foreign = sorted(relative for path in present if (relative := path.relative_to(out).as_posix()) not in owned)
    if foreign:
        raise InputError(
            f"holds {len(foreign)} file(s) that the earlier export's manifest does not list"
            f" (first: {foreign[0]}): refusing to replace it",
            path=str(out),
            hint="move them out, or choose an empty or new folder",
        )
    return owned


def remove_owned(folder: Path, owned: set[str]) -> None:
    """Delete the files an export wrote, then the folders they leave empty; anything that appeared
    since the check stays where it is (`curate doctor` lists the folder as a leftover)."""
    for name in owned:
        (folder / name).unlink(missing_ok=True)
    folders = [path for path in folder.rglob("*") if path.is_dir() and not path.is_symlink()]
    for directory in sorted(folders, reverse=True):
        with contextlib.suppress(OSError):  # not empty: something curate did not write
            directory.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` that replaces it only when everything in it was written."""
    out = Path(os.path.abspath(out))  # `..` folded, a link at `out` itself kept (and refused)
    owned = replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    except OSError as error:
        raise InputError(f"cannot write here: {error.strerror or error}", path=str(out)) from None
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o777 & ~umask)  # mkdtemp makes it private; an export is an ordinary folder
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, retired)
    try:
        os.replace(temporary, out)
    except OSError:
        if retired.exists():
            os.replace(retired, out)
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    if retired.exists():
        remove_owned(retired, owned)


def load_rows(store: Store, lockfile: Lockfile, turns: Turns, system: str | None = None) -> dict[str, list[Row]]:
    wanted = lockfile.ids()
    texts = store.example_texts(wanted)
    missing = sorted(set(wanted) - set(texts))
    if missing:
        raise InputError(
            f"mix {lockfile.name!r} names {len(missing)} examples the store does not hold (first: {missing[0]})",
            hint=f"rebuild it with `curate mix build {lockfile.name}`",
        )
    return {
        split: [
            row for example_id in lockfile.splits.get(split, []) for row in rows_of(texts[example_id], turns, system)
        ]
        for split in SPLIT_NAMES
    }


def write_jsonl(folder: Path, rows: dict[str, list[Row]], line: Callable[[Row], str] = Row.line) -> dict[str, str]:
    """Write each split's file, one `line(row)` a line; returns their sha256s (hashed while writing).
    An empty split gets no file: mlx-lm's loader fails on an empty one (`data[0]`) but reads a missing
    one as empty."""
    digests = {}
    for split, split_rows in rows.items():
        if not split_rows:
            continue
        digest = hashlib.sha256()
        with (folder / f"{split}.jsonl").open("wb") as handle:
            for row in split_rows:
                data = (line(row) + "\n").encode("utf-8")
                digest.update(data)
                handle.write(data)
        digests[f"{split}.jsonl"] = digest.hexdigest()
    return digests


def arrow_table(split_rows: Sequence[Row]) -> Any:
    import pyarrow as pa

    examples = [row.example for row in split_rows]
    return pa.table(
        {
            "id": pa.array([example.id for example in examples], pa.string()),
            "domain": pa.array([example.domain for example in examples], pa.string()),
            "kind": pa.array([example.kind for example in examples], pa.string()),
            "intent": pa.array([example.intent for example in examples], pa.string()),
            "template": pa.array([example.template for example in examples], pa.string()),
            "pair_id": pa.array([example.pair_id for example in examples], pa.string()),
            "turn": pa.array([row.turn for row in split_rows], pa.int32()),
            "messages": pa.array([row.messages for row in split_rows], pa.string()),
            "tools": pa.array([row.tools for row in split_rows], pa.string()),
        }
    )


def write_parquet(folder: Path, rows: dict[str, list[Row]]) -> None:
    import pyarrow.parquet as pq

    for split, split_rows in rows.items():
        pq.write_table(arrow_table(split_rows), folder / f"{split}.parquet", compression="zstd")


def write_hf(
    folder: Path, rows: dict[str, list[Row]], store: Store, lockfile: Lockfile, lock_hash: str, turns: Turns
) -> dict[str, int]:
    """The Hub's folder: the Parquet files and the dataset card; returns each data file's rows."""
    from curate.audit import source_licenses, values_of

    written = hub.write_data(folder, rows)
    examples = store.examples(ids=lockfile.ids())
    licenses = source_licenses(store)
    card = hub.Card(
        mix=lockfile.name,
        lineage=list(reversed(lockfile.recipe.lineage)),
        lockfile_sha256=lock_hash,
        recipe_hash=lockfile.recipe_hash,
        turns=turns,
        system=lockfile.recipe.system,
        examples={split: len(ids) for split, ids in lockfile.splits.items()},
        domains=lockfile.counts.domains,
        kinds=lockfile.counts.kinds,
        shapes=hub.breakdown([values_of(item, "shape", {}) for item in examples]),
        licenses=hub.breakdown([values_of(item, "license", {}, licenses) for item in examples]),
    )
    (folder / hub.CARD).write_text(hub.render_card(card, written), encoding="utf-8")
    return {file.path: file.rows for file in written}


def export(
    store: Store,
    mixes: Path,
    name: str,
    out: Path,
    *,
    format: Format = "mlx",
    turns: Turns = "each",
    tokenizer: Path | None = None,
    check: Callable[[Path, Path], Any] | None = None,
    build_tokenizer: Callable[[list[str], Path], Path] | None = None,
) -> Export:
    """Write a built mix to `out`. `check(folder, tokenizer_dir)` is the round trip (train's
    `check_export`); without `tokenizer`, `build_tokenizer(texts, folder)` makes a small one."""
    replaceable(Path(os.path.abspath(out)))  # refused before any work; checked again when replaced
    lockfile = read_lockfile(mixes, name)
    if recipe_hash(resolve(mixes, name)) != lockfile.recipe_hash:
        raise InputError(
            f"the recipe of mix {name!r} changed since it was built", hint=f"run `curate mix build {name}`"
        )
    unusable = {
        status: count
        for status, count in store.status_counts(lockfile.ids()).items()
        if status not in ("verified", "unverified")
    }
    if unusable:
        listed = ", ".join(f"{count} {status}" for status, count in sorted(unusable.items()))
        raise CheckFailed(
            f"mix {name!r} holds examples that no longer pass verification ({listed})",
            hint=f"see `curate rejections`, then `curate mix build {name}`",
        )
    leaking = _secrets_in(store, store.unscanned_for_secrets(lockfile.ids()))
    if leaking:
        shown = "; ".join(f"{example_id}: {why}" for example_id, why in leaking[:3])
        raise CheckFailed(
            f"mix {name!r} would export {len(leaking)} example(s) that fail the secrets check ({shown})",
            hint="run `curate validate` to reject them, then rebuild the mix",
        )
    lock_hash = sha256_file(lock_path(mixes, name))
    system = lockfile.recipe.system
    if format in WHOLE_CONVERSATIONS:
        turns = "last"
    rows = load_rows(store, lockfile, turns, system)
    if not any(rows.values()):
        raise InputError(f"mix {name!r} holds no examples")
    extra: dict[str, Any] = {}
    if system is not None:
        extra["system"] = {
            "prompt": system,
            "rows_given_it": sum(
                not row.example.messages.startswith(SYSTEM_FIRST) for split_rows in rows.values() for row in split_rows
            ),
        }
    with staged(out) as folder:
        if format in WHOLE_CONVERSATIONS:
            written, dropped = foreign_rows(rows, format)
            digests = write_jsonl(folder, rows, lambda row: written[id(row)])
            extra.update(foreign_manifest(folder, name, format, rows, dropped))
        else:
            digests = write_jsonl(folder, rows)
        round_trip = _round_trip(folder, rows, tokenizer, check, build_tokenizer)
        counted: dict[str, int] = {}
        if format in ("hf", "parquet"):
            for split in SPLIT_NAMES:
                (folder / f"{split}.jsonl").unlink(missing_ok=True)
        if format == "parquet":
            write_parquet(folder, rows)
        if format == "hf":
            counted = write_hf(folder, rows, store, lockfile, lock_hash, turns)
        files = {
            str(path.relative_to(folder)): {
                "sha256": digests.get(str(path.relative_to(folder))) or sha256_file(path),
                "bytes": path.stat().st_size,
            }
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        for part, part_rows in rows.items():
            for suffix in (".jsonl", ".parquet"):
                if f"{part}{suffix}" in files:
                    files[f"{part}{suffix}"]["rows"] = len(part_rows)
        for relative, count in counted.items():
            files[relative]["rows"] = count
        manifest = {
            "generator": GENERATOR,
            "mix": name,
            "lockfile_sha256": lock_hash,
            "recipe_hash": lockfile.recipe_hash,
            "format": format,
            "turns": turns,
            "examples": {split: len(ids) for split, ids in lockfile.splits.items()},
            "domains": lockfile.counts.domains,
            "kinds": lockfile.counts.kinds,
            "rows": {split: len(split_rows) for split, split_rows in rows.items()},
            "files": files,
            "round_trip": round_trip,
            **extra,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Export(out, manifest)


SYSTEM_FIRST = '[{"role":"system"'
"""How a stored conversation that opens with a system turn starts (messages are stored compact, role first)."""


def foreign_rows(rows: dict[str, list[Row]], format: Format) -> tuple[dict[int, str], int]:
    """Each row as a line of the Hermes or ShareGPT format, by the row's id(), checked by reading it
    back with curate's own importer (the same messages, call ids aside, or CheckFailed); and how many
    assistant turns lost their text beside their calls (ShareGPT cannot hold it)."""
    from curate.importer import READERS

    written: dict[int, str] = {}
    dropped = 0
    for split, split_rows in rows.items():
        for number, row in enumerate(split_rows, start=1):
            messages, tools = json.loads(row.messages), json.loads(row.tools)
            if format == "hermes":
                data = formats.hermes_row(messages, tools)
            else:
                data, lost = formats.sharegpt_row(messages, tools)
                dropped += lost
            line = compact(data)
            read, read_tools = READERS[format](json.loads(line))
            if _without_ids(read) != _without_ids(kept_messages(messages, format)) or read_tools != tools:
                raise CheckFailed(
                    f"{split}.jsonl row {number} ({row.example.id}) does not read back as the same conversation "
                    f"in the {format} format"
                )
            written[id(row)] = line
    return written, dropped


def kept_messages(messages: list[dict[str, Any]], format: Format) -> list[dict[str, Any]]:
    """The messages a format can hold: ShareGPT's function_call turns hold no text beside the calls."""
    if format != "sharegpt":
        return messages
    return [
        {key: value for key, value in message.items() if key != "content"} if message.get("tool_calls") else message
        for message in messages
    ]


def _without_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plain = []
    for message in messages:
        kept = {key: value for key, value in message.items() if key != "tool_call_id" and value is not None}
        if "tool_calls" in kept:
            kept["tool_calls"] = [
                {key: value for key, value in call.items() if key != "id"} for call in kept["tool_calls"]
            ]
        plain.append(kept)
    return plain


def foreign_manifest(
    folder: Path, name: str, format: Format, rows: dict[str, list[Row]], dropped: int
) -> dict[str, Any]:
    """What a Hermes or ShareGPT export adds to its manifest (and, for ShareGPT, LLaMA-Factory's
    `dataset_info.json` beside the files)."""
    added: dict[str, Any] = {
        "masking": "whole conversations, one a row: the trainer masks by role, so every assistant turn trains"
    }
    if format == "sharegpt":
        files = [f"{split}.jsonl" for split, split_rows in rows.items() if split_rows]
        info = formats.dataset_info(name, files)
        (folder / "dataset_info.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        added["text_beside_calls_dropped"] = dropped
    return added


def sampled(rows: dict[str, list[Row]], into: Path) -> Path:
    """Up to ROUND_TRIP_SAMPLE rows of each split, evenly spread, as the same lines the export wrote:
    what the round trip loads (mlx-lm's loader parses a whole file, which would dwarf the export)."""
    into.mkdir(parents=True)
    for split, split_rows in rows.items():
        if split_rows:
            step = max(1, -(-len(split_rows) // ROUND_TRIP_SAMPLE))
            lines = "".join(row.line() + "\n" for row in split_rows[::step])
            (into / f"{split}.jsonl").write_text(lines, encoding="utf-8")
    return into


def _round_trip(
    folder: Path,
    rows: dict[str, list[Row]],
    tokenizer: Path | None,
    check: Callable[[Path, Path], Any] | None,
    build_tokenizer: Callable[[list[str], Path], Path] | None,
) -> dict[str, Any]:
    if check is None:
        return {"checked": False}
    with tempfile.TemporaryDirectory() as scratch:
        if tokenizer is None:
            if build_tokenizer is None:
                raise ValueError("a round trip needs a tokenizer or a way to build one")
            everything = [row for split_rows in rows.values() for row in split_rows]
            corpus = [row.line() for row in everything[:: max(1, len(everything) // TOKENIZER_CORPUS)]]
            tokenizer = build_tokenizer(corpus, Path(scratch) / "tokenizer")
            used = "a byte-level BPE trained on this export"
        else:
            used = str(tokenizer)
        outcome = check(sampled(rows, Path(scratch) / "sample"), tokenizer)
    if outcome.problems:
        shown = "; ".join(outcome.problems[:3])
        raise CheckFailed(f"the export does not round-trip through mlx-lm ({len(outcome.problems)} rows): {shown}")
    return {"checked": True, "tokenizer": used, "rows": outcome.rows, "calls": outcome.calls}


def _secrets_in(store: Store, ids: Sequence[str]) -> list[tuple[str, str]]:
    """(example id, why) for each of these examples that holds a secret."""
    found = []
    for item in store.examples(ids=list(ids)) if ids else []:
        try:
            check_secrets(check_schema(item.record))
        except StageFailure as failure:
            found.append((str(item.record["id"]), failure.reason))
    return found
