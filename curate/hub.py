"""`curate export MIX --format hf`: a folder the Hugging Face Hub reads as a dataset, every row read
back the way `datasets` reads it before the folder is kept; and `--push-to-hub REPO`, its upload.

The folder:

- `data/train-00000-of-00001.parquet`, `data/validation-...`, `data/test-...` (the Hub's split names:
  curate's `valid` is `validation`; an empty split gets no file and no entry in the card).
- `README.md`, the dataset card: YAML front matter with `configs` (each split's data files),
  `dataset_info` (the features and split sizes), `license` and `tags`; a body with the recipe, the
  lockfile's sha256, the counts by domain, kind and shape, the licenses, the columns and how to load it.
- `manifest.json`, as every export writes it.

Columns: `id, domain, kind, intent, template, pair_id, turn, messages, tools`. `messages` is a list of
`{role, content, tool_calls, tool_call_id, name}` (every message has every field, null where it has
none) and `tool_calls` a list of `{id, type, function: {name, arguments}}`; `tools` is the OpenAI list
`{type, function: {name, description, parameters}}`. A call's `arguments` and a tool's `parameters`
are `datasets.Json()`: their keys differ from tool to tool, so one Arrow struct would give every call
every tool's keys (nulls a chat template would render); they are stored as JSON text under Arrow's
canonical JSON type, and `datasets` hands them back as objects. Not JSON strings in the row: Qwen2.5's
template renders `arguments | tojson`, which would encode a string a second time. So
`tokenizer.apply_chat_template(row["messages"], tools=row["tools"])` takes a loaded row as it is.
A reader without `datasets.Json` (datasets before 2026) sees the JSON text.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from curate.errors import CheckFailed, InputError
from curate.jsontext import compact
from curate.store.examples import ExampleText

HUB_SPLITS = {"train": "train", "valid": "validation", "test": "test"}
"""curate's split names and the Hub's."""
CARD = "README.md"
DATA = "data"
ROW_GROUP = 1000
"""Rows per Parquet row group: small enough for the Hub's viewer to page through."""
MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "name")
TAGS = ("tool-calling", "function-calling", "code", "synthetic", "curate")
HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "isc",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl-2.1",
        "lgpl-3.0",
        "agpl-3.0",
        "mpl-2.0",
        "epl-2.0",
        "cc0-1.0",
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "unlicense",
        "bsl-1.0",
        "artistic-2.0",
        "wtfpl",
    ]
)
"""The Hub's license ids for the SPDX licenses sources commonly carry; any other is `other`."""


class ExportRow(Protocol):
    """What the export hands over for each row (`curate.export.Row`)."""

    @property
    def example(self) -> ExampleText: ...
    @property
    def turn(self) -> int: ...
    @property
    def messages(self) -> str: ...
    @property
    def tools(self) -> str: ...


@dataclass(frozen=True)
class Card:
    """What the dataset card says about the mix."""

    mix: str
    lineage: list[str]
    """The recipe and the recipes it extends, nearest first."""
    lockfile_sha256: str
    recipe_hash: str
    turns: str
    system: str | None
    examples: dict[str, int]
    domains: dict[str, int]
    kinds: dict[str, int]
    shapes: dict[str, int]
    licenses: dict[str, int]
    """Examples by the license of their sources (an example drawn from two counts under both)."""


@dataclass(frozen=True)
class SplitFile:
    split: str
    """The Hub's name."""
    path: str
    rows: int
    num_bytes: int
    """The split's size in Arrow, as `dataset_info` counts it."""


def features() -> Any:
    """The dataset's `datasets.Features`."""
    import datasets

    if not hasattr(datasets, "Json"):
        raise InputError(
            f"the hf format needs a datasets release with the Json feature (this is datasets {datasets.__version__})",
            hint="upgrade datasets: `uv add 'datasets>=5'`",
        )
    from datasets import Features, Json, List, Value

    text = Value("string")
    call = {"id": text, "type": text, "function": {"name": text, "arguments": Json()}}
    message = {"role": text, "content": text, "tool_calls": List(call), "tool_call_id": text, "name": text}
    tool = {"type": text, "function": {"name": text, "description": text, "parameters": Json()}}
    columns = dict.fromkeys(("id", "domain", "kind", "intent", "template", "pair_id"), text)
    return Features({**columns, "turn": Value("int32"), "messages": List(message), "tools": List(tool)})


def hub_messages(messages: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """Messages as the Arrow column holds them: every field present, arguments as JSON text."""
    stored = []
    for message in messages:
        unknown = sorted(set(message) - set(MESSAGE_FIELDS))
        if unknown:
            raise CheckFailed(f"{where}: a message has {unknown[0]!r}, which the hf format has no column for")
        calls = message.get("tool_calls")
        stored.append(
            {
                **{name: message.get(name) for name in MESSAGE_FIELDS},
                "tool_calls": None
                if calls is None
                else [
                    {
                        "id": call.get("id"),
                        "type": call.get("type", "function"),
                        "function": {
                            "name": call["function"]["name"],
                            "arguments": compact(call["function"]["arguments"]),
                        },
                    }
                    for call in calls
                ],
            }
        )
    return stored


def hub_tools(tools: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """Tools as the Arrow column holds them (parameters as JSON text); a tool of another shape is refused."""
    stored = []
    for tool in tools:
        function = tool.get("function")
        if set(tool) - {"type", "function"} or not isinstance(function, dict):
            raise CheckFailed(f"{where}: a tool is not {{type, function}}, which the hf format holds")
        if set(function) - {"name", "description", "parameters"}:
            extra = sorted(set(function) - {"name", "description", "parameters"})[0]
            raise CheckFailed(
                f"{where}: tool {function.get('name')!r} has {extra!r}, which the hf format has no column for"
            )
        stored.append(
            {
                "type": tool.get("type", "function"),
                "function": {
                    "name": function.get("name"),
                    "description": function.get("description"),
                    "parameters": None if "parameters" not in function else compact(function["parameters"]),
                },
            }
        )
    return stored


def arrow_table(rows: Sequence[ExportRow], split: str) -> Any:
    import pyarrow as pa

    schema = features().arrow_schema
    records = []
    for number, row in enumerate(rows, start=1):
        example, where = row.example, f"{split} row {number} ({row.example.id})"
        records.append(
            {
                "id": example.id,
                "domain": example.domain,
                "kind": example.kind,
                "intent": example.intent,
                "template": example.template,
                "pair_id": example.pair_id,
                "turn": row.turn,
                "messages": hub_messages(json.loads(row.messages), where),
                "tools": hub_tools(json.loads(row.tools), where),
            }
        )
    plain = pa.schema([pa.field(column.name, _storage(column.type)) for column in schema], metadata=schema.metadata)
    return pa.Table.from_pylist(records, schema=plain).cast(schema)


def _storage(kind: Any) -> Any:
    """The Arrow type with every JSON extension type as its storage (text), to build the table from."""
    import pyarrow as pa

    if isinstance(kind, pa.BaseExtensionType):
        return kind.storage_type
    if pa.types.is_list(kind):
        return pa.list_(pa.field(kind.value_field.name, _storage(kind.value_type)))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(child.name, _storage(child.type)) for child in kind])
    return kind


def write_data(folder: Path, rows: Mapping[str, Sequence[ExportRow]]) -> list[SplitFile]:
    """Each non-empty split as one Parquet file under `data/`, each read back with `datasets` and
    checked against the rows (CheckFailed names the first row that differs)."""
    import pyarrow.parquet as pq

    (folder / DATA).mkdir()
    written = []
    for split, split_rows in rows.items():
        if not split_rows:
            continue
        name = HUB_SPLITS[split]
        relative = f"{DATA}/{name}-00000-of-00001.parquet"
        table = arrow_table(split_rows, name)
        pq.write_table(table, folder / relative, compression="zstd", row_group_size=ROW_GROUP)
        _read_back(folder / relative, split_rows, name)
        written.append(SplitFile(name, relative, len(split_rows), table.nbytes))
    return written


def _read_back(path: Path, rows: Sequence[ExportRow], split: str) -> None:
    import pyarrow.parquet as pq
    from datasets import Dataset

    loaded = Dataset(pq.read_table(path))[:]
    for number, (row, messages, tools) in enumerate(zip(rows, loaded["messages"], loaded["tools"], strict=True), 1):
        if _plain(messages) != _plain(json.loads(row.messages)) or _plain(tools) != _plain(json.loads(row.tools)):
            raise CheckFailed(f"data/{path.name} row {number} ({row.example.id}) does not read back as the same row")


def _plain(value: Any) -> Any:
    """Without the null fields a struct column adds."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def hub_license(spdx: str) -> str:
    """The Hub's license id for an SPDX id (`GPL-3.0-only` -> `gpl-3.0`), `other` when it has none."""
    plain = spdx.lower().removesuffix("-only").removesuffix("-or-later")
    return plain if plain in HUB_LICENSES else "other"


def card_licenses(licenses: Mapping[str, int]) -> str | list[str]:
    """The card's `license`: one id, or a sorted list when the sources carry several."""
    ids = sorted(
        {"unknown" if name.startswith("(") else hub_license(name) for name in licenses if name != "(card only)"}
    )
    if not ids:
        return "unknown"
    return ids[0] if len(ids) == 1 else ids


def render_card(card: Card, written: Sequence[SplitFile]) -> str:
    import yaml

    info = features()._to_yaml_list()
    front = {
        "license": card_licenses(card.licenses),
        "pretty_name": card.mix,
        "tags": list(TAGS),
        "task_categories": ["text-generation"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": file.split, "path": file.path} for file in written],
            }
        ],
        "dataset_info": {
            "features": info,
            "splits": [
                {"name": file.split, "num_bytes": file.num_bytes, "num_examples": file.rows} for file in written
            ],
            "dataset_size": sum(file.num_bytes for file in written),
        },
    }
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{_body(card, written)}"


def _body(card: Card, written: Sequence[SplitFile]) -> str:
    name, *extends = card.lineage
    parts = [
        f"# {card.mix}\n",
        "Tool-calling conversations for training a small code assistant, written by curate "
        f"(`curate export {card.mix} --format hf`).\n",
        "## Recipe\n",
        "| | |\n|---|---|",
        f"| recipe | `{name}` |",
        f"| extends | {', '.join(f'`{parent}`' for parent in extends) or '(nothing)'} |",
        f"| recipe hash | `{card.recipe_hash}` |",
        f"| lockfile sha256 | `{card.lockfile_sha256}` |",
        f"| rows | {_turns(card.turns)} |",
        f"| system prompt | {_cell(card.system) if card.system else '(none)'} |\n",
        "## Splits\n",
        "| split | examples | rows |\n|---|---:|---:|",
        *(f"| {file.split} | {card.examples.get(_curate_split(file.split), 0)} | {file.rows} |" for file in written),
        "",
        _counts("Domains", "domain", card.domains),
        _counts("Kinds", "kind", card.kinds),
        _counts("Shapes", "shape", card.shapes),
        _counts("Licenses", "license of the sources", card.licenses),
        "An example drawn from sources of two licenses counts under both; `(card only)`: curate's own "
        "knowledge cards; `(imported)`: rows imported from another dataset, whose license is that dataset's.\n",
        COLUMNS,
    ]
    return "\n".join(parts)


COLUMNS = """## Columns

`id, domain, kind, intent, template, pair_id, turn, messages, tools`. `messages` is a list of
`{role, content, tool_calls, tool_call_id, name}` with `tool_calls` a list of
`{id, type, function: {name, arguments}}`; `tools` is the OpenAI list of
`{type, function: {name, description, parameters}}`. A call's `arguments` and a tool's `parameters`
are `Json()` features (JSON text in the Parquet files, objects once loaded): their keys differ from
tool to tool.

## Loading

```python
from datasets import load_dataset

dataset = load_dataset("OWNER/NAME")  # or the path of this folder
row = dataset["train"][0]
text = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
```

With mlx-lm (`mlx_lm.lora --config lora.yaml`), whose `--data OWNER/NAME` reads a split named
`valid`, name the splits:

```yaml
hf_dataset:
  path: OWNER/NAME
  train_split: train
  valid_split: validation
  test_split: test
  chat_feature: messages
mask_prompt: true
```
"""


def _turns(turns: str) -> str:
    if turns == "each":
        return (
            "one per assistant turn (`turn` is its index): the conversation up to it, which trains as its last message"
        )
    if turns == "first":
        return "one per conversation: up to its first assistant turn (the call/no-call decision)"
    if turns == "opening":
        return "one per conversation: up to its first assistant turn, an answer in words cut to its first sentence"
    return "whole conversations"


def _curate_split(hub_split: str) -> str:
    return next(name for name, hub in HUB_SPLITS.items() if hub == hub_split)


def _counts(title: str, what: str, counts: Mapping[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    lines = [f"## {title}\n", f"| {what} | examples |", "|---|---:|", *(f"| {_cell(k)} | {v} |" for k, v in ordered)]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def breakdown(values: Sequence[Sequence[str]]) -> dict[str, int]:
    """Examples by value, each example once per value it has."""
    return dict(sorted(Counter(value for found in values for value in set(found)).items()))


def ready_to_push(repo: str) -> Any:
    """The `HfApi` to push with, or an InputError saying in one line why there is none: checked
    before the export does any work."""
    try:
        import huggingface_hub
        from huggingface_hub import constants
    except ImportError:  # optional: only pushing needs it
        raise InputError("--push-to-hub needs huggingface_hub", hint="uv add huggingface_hub") from None
    if "/" not in repo or repo.count("/") > 1:
        raise InputError(f"--push-to-hub {repo}: a repository is OWNER/NAME")
    if constants.HF_HUB_OFFLINE:
        raise InputError("cannot push to the Hub: HF_HUB_OFFLINE is set")
    token = huggingface_hub.get_token()
    if not token:
        raise InputError("no Hugging Face token to push with", hint="set HF_TOKEN or run `hf auth login`")
    return huggingface_hub.HfApi(token=token)


def push(api: Any, folder: Path, repo: str, message: str) -> str:
    """Upload the export folder as dataset repository `repo` (created when missing); the commit's URL."""
    try:
        api.create_repo(repo, repo_type="dataset", exist_ok=True)
        commit = api.upload_folder(repo_id=repo, repo_type="dataset", folder_path=str(folder), commit_message=message)
    except Exception as error:  # network, refused token, Hub error: one line; the export stays on disk
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"cannot push to {repo}: {reason}", path=str(folder), hint="the export is written; push it again later"
        ) from None
    return str(getattr(commit, "commit_url", commit))
