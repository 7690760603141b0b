"""Export: golden files, byte-identical re-exports, mlx-lm's loader round trip, atomic writes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.errors import CheckFailed, InputError
from curate.export import export, first_sentence, rows_of
from curate.mine import mine
from curate.mix import build, write_lockfile
from curate.store import Store
from curate.store.examples import ExampleText
from curate.synth import run_synth
from tests.conftest import REPO, SAMPLE
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

GOLDEN = Path(__file__).parent / "golden" / "export"
RECIPE = """name = "tiny"
seed = 1
[quotas]
tool_call = 0.75
[splits]
train = 0.4
valid = 0.3
test = 0.3
[[components]]
select = { domain = "shop" }
count = 12
[[components]]
select = { domain = "site" }
count = 8
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    root = tmp_path_factory.mktemp("export")
    store = Store.open(root / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    mine(store, REPO / "data" / "samples" / "html" / "site", domain="site", jobs=1)
    run_synth(store, "shop", 20, run_id="a", seed=1)
    run_synth(store, "site", 12, run_id="b", seed=1)
    mixes = root / "mixes"
    mixes.mkdir()
    (mixes / "tiny.toml").write_text(RECIPE)
    write_lockfile(mixes, build(store, mixes, "tiny"))
    yield store, mixes
    store.close()


def run(built: tuple[Store, Path], out: Path, **options: Any) -> Any:
    store, mixes = built
    return export(store, mixes, "tiny", out, check=check_export, build_tokenizer=build_tokenizer, **options)


def test_mlx_export_matches_the_golden_files(built: tuple[Store, Path], tmp_path: Path) -> None:
    run(built, tmp_path / "out")
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == ["manifest.json", "test.jsonl", "train.jsonl", "valid.jsonl"]
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path / "out", GOLDEN)
    for name in names:
        assert (tmp_path / "out" / name).read_text() == (GOLDEN / name).read_text(), name


def test_the_same_lockfile_gives_byte_identical_files(built: tuple[Store, Path], tmp_path: Path) -> None:
    for form in ("mlx", "parquet", "hf"):
        first, second = tmp_path / f"{form}1", tmp_path / f"{form}2"
        run(built, first, format=form)
        run(built, second, format=form)
        files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
        assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
        for relative in files:
            assert (first / relative).read_bytes() == (second / relative).read_bytes(), (form, relative)


def test_rows_load_with_mlx_lm_and_calls_parse_back(built: tuple[Store, Path], tmp_path: Path) -> None:
    done = run(built, tmp_path / "out")
    trip = done.manifest["round_trip"]
    assert trip["checked"] and trip["rows"] == sum(done.manifest["rows"].values()) and trip["calls"] > 0
    files = sorted((tmp_path / "out").glob("*.jsonl"))
    rows = [json.loads(line) for file in files for line in file.open()]
    for row in rows:
        assert row["messages"][-1]["role"] == "assistant"
        for message in row["messages"]:
            for call in message.get("tool_calls", []):
                assert isinstance(call["function"]["arguments"], dict)
    assert all("tools" in row for row in rows if any(m.get("tool_calls") for m in row["messages"]))
    store, mixes = built
    toolless = [item.id for item in store.examples(kind="direct") if not item.record["tools"]]
    assert toolless  # synthesis offers a quarter of direct answers no tools
    (mixes / "direct.toml").write_text(
        f'name = "direct"\n[splits]\ntrain = 1.0\nvalid = 0.0\ntest = 0.0\n[[components]]\n'
        f'select = {{ kind = "direct" }}\ncount = {len(store.examples(kind="direct"))}\n'
    )
    write_lockfile(mixes, build(store, mixes, "direct"))
    export(store, mixes, "direct", tmp_path / "direct", check=check_export, build_tokenizer=build_tokenizer)
    direct = [json.loads(line) for line in (tmp_path / "direct" / "train.jsonl").open()]
    assert len([row for row in direct if "tools" not in row]) == len(toolless) < len(direct)


def test_turns_each_trains_every_assistant_turn(built: tuple[Store, Path], tmp_path: Path) -> None:
    each = run(built, tmp_path / "each").manifest
    last = run(built, tmp_path / "last", turns="last").manifest
    assert each["examples"] == last["examples"]
    assert last["rows"] == last["examples"]
    tool_calls = sum(
        1
        for line in (tmp_path / "last" / "train.jsonl").open()
        if any(m.get("tool_calls") for m in json.loads(line)["messages"])
    )
    assert each["rows"]["train"] == last["rows"]["train"] + tool_calls


def test_a_round_trip_failure_writes_nothing_and_keeps_the_old_export(
    built: tuple[Store, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(built, out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    class Broken:
        rows, calls, problems = 1, 0, ["train.jsonl row 1: calls render and parse back as []"]

    store, mixes = built
    with pytest.raises(CheckFailed, match="does not round-trip through mlx-lm"):
        export(store, mixes, "tiny", out, check=lambda folder, tokenizer: Broken(), build_tokenizer=build_tokenizer)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def test_a_mix_never_built_is_an_input_error(built: tuple[Store, Path], tmp_path: Path) -> None:
    store, mixes = built
    with pytest.raises(InputError, match="mix 'phase9' was never built"):
        export(store, mixes, "phase9", tmp_path / "out", check=check_export, build_tokenizer=build_tokenizer)


def test_export_never_replaces_a_folder_that_is_not_an_export(built: tuple[Store, Path], tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep")
    with pytest.raises(InputError, match="not an earlier curate export"):
        run(built, precious)
    assert (precious / "thesis.txt").read_text() == "keep"
    run(built, tmp_path / "fresh")
    run(built, tmp_path / "fresh")  # an earlier export is replaced
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o777 & ~umask


def test_export_refuses_a_project_holding_its_own_manifest(built: tuple[Store, Path], tmp_path: Path) -> None:
    project = tmp_path / "webapp"
    (project / "src").mkdir(parents=True)
    (project / "manifest.json").write_text('{"name": "my extension", "files": {"a": {}}, "mix": "x"}')
    (project / "src" / "app.js").write_text("console.log(1)")

    def contents() -> list[tuple[Path, bytes]]:
        return sorted((path.relative_to(project), path.read_bytes()) for path in project.rglob("*") if path.is_file())

    before = contents()
    with pytest.raises(InputError, match="not an earlier curate export"):
        run(built, project)
    assert contents() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["webapp"]


def test_the_cli_refuses_out_dot_in_a_project_with_a_manifest(
    built: tuple[Store, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from curate.cli import main

    _, mixes = built
    project = tmp_path / "project"
    project.mkdir()
    (project / "manifest.json").write_text('{"manifest_version": 3}')
    (project / "background.js").write_text("chrome.runtime")
    monkeypatch.chdir(project)
    Store.open(tmp_path / "other.duckdb").close()
    code = main(["--db", str(tmp_path / "other.duckdb"), "--mixes", str(mixes), "export", "tiny", "--out", "."])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("curate: error: ") and "refusing to replace it" in err and "\n" not in err
    assert sorted(path.name for path in project.iterdir()) == ["background.js", "manifest.json"]


def test_an_earlier_export_with_a_file_added_is_not_replaced(built: tuple[Store, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(built, out)
    (out / "notes.md").write_text("mine")
    with pytest.raises(InputError, match=r"does not list.*first: notes\.md"):
        run(built, out)
    assert (out / "notes.md").read_text() == "mine" and (out / "train.jsonl").exists()


def test_replacing_an_export_deletes_only_what_its_manifest_lists(built: tuple[Store, Path], tmp_path: Path) -> None:
    from curate.export import remove_owned

    out = tmp_path / "out"
    run(built, out, format="hf")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generator"] == "curate export"
    (out / "data" / "late.txt").write_text("appeared after the check")
    remove_owned(out, set(manifest["files"]) | {"manifest.json"})
    assert [path.relative_to(out).as_posix() for path in out.rglob("*")] == ["data", "data/late.txt"]


def test_an_export_by_an_older_curate_is_still_replaced(built: tuple[Store, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(built, out)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["generator"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert run(built, out).manifest["generator"] == "curate export"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


def test_a_link_at_out_is_refused(built: tuple[Store, Path], tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    run(built, target)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(InputError, match="is a link"):
        run(built, tmp_path / "link")
    assert (target / "manifest.json").exists()


def test_a_recipe_edited_after_its_build_must_be_rebuilt(built: tuple[Store, Path], tmp_path: Path) -> None:
    _, mixes = built
    original = (mixes / "tiny.toml").read_text()
    try:
        (mixes / "tiny.toml").write_text(original.replace("seed = 1", "seed = 2"))
        with pytest.raises(InputError, match="the recipe of mix 'tiny' changed since it was built"):
            run(built, tmp_path / "out")
    finally:
        (mixes / "tiny.toml").write_text(original)


def test_the_round_trip_skips_the_call_format_the_system_turn_shows(tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}]
    row = {"messages": [{"role": "user", "content": "help"}, {"role": "assistant", "content": "Sure."}], "tools": tools}
    (tmp_path / "train.jsonl").write_text(json.dumps(row) + "\n")
    tokenizer = build_tokenizer([json.dumps(row)] * 5, tmp_path / "tokenizer")
    outcome = check_export(tmp_path, tokenizer)
    assert (outcome.rows, outcome.calls, outcome.problems) == (1, 0, [])


def test_opening_rows_stop_at_the_first_assistant_turn_and_cut_an_answer_in_words_to_its_first_sentence() -> None:
    asked = {"role": "user", "content": "What is dependency injection?"}
    answer = {"role": "assistant", "content": "It passes collaborators in. So tests can pass fakes.\nMore."}
    then = [{"role": "user", "content": "And why?"}, {"role": "assistant", "content": "Tests."}]
    said = ExampleText("e1", json.dumps([asked, answer, *then]), "[]", "d", "direct_answer", "i", "t", None)
    (row,) = rows_of(said, "opening")
    assert json.loads(row.line())["messages"] == [asked, {**answer, "content": "It passes collaborators in."}]
    assert json.loads(rows_of(said, "first")[0].line())["messages"] == [asked, answer]
    call = {"type": "function", "function": {"name": "find_symbols", "arguments": {"kind": "class"}}}
    calling = [asked, {"role": "assistant", "content": "", "tool_calls": [call]}, {"role": "tool", "content": "{}"}]
    called = ExampleText("e2", json.dumps(calling), "[]", "d", "tool_call", "i", "t", None)
    assert rows_of(called, "opening")[0].line() == rows_of(called, "first")[0].line()
    assert first_sentence("A single sentence with no end") == "A single sentence with no end"
    assert first_sentence("One line\nand the next. More") == "One line"
