"""The habits every command keeps: `--version`, a bare `curate` that helps, help on every option and
an example in every command's help, `--json` that parses on every listing and report, unknown names
refused with the closest known ones, progress on a terminal's stderr only, shell completion."""

from __future__ import annotations

import io
import json
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from rich.console import Console

from curate import cli_support
from curate.cli import cli, main
from schemas import Example, FileRecord, MixCounts, Rejection, Source
from tests.conftest import SAMPLE
from tests.test_cli import _commands, db, run  # noqa: F401  (the fixture)

COMMANDS = [("", cli), *_commands(cli)]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"curate {version('curate')}\n", "")


def test_bare_curate_or_group_prints_the_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, err) == (0, "")
    assert out.startswith("Usage: curate [OPTIONS] COMMAND [ARGS]...") and "\nCommands:\n" in out
    code, out, err = run(capsys, "mix")
    assert (code, err) == (0, "") and out.startswith("Usage: curate mix [OPTIONS] COMMAND [ARGS]...")


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name or "curate" for name, _ in COMMANDS])
def test_every_option_has_help_and_every_help_an_example(
    name: str, command: click.Command, capsys: pytest.CaptureFixture[str]
) -> None:
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`curate {name}` {param.opts[0]} has no help"
    code, out, _ = run(capsys, *name.split(), "--help")
    assert code == 0
    # the example is kept as written (click's `\b`), each line a whole command of this one
    example = out.split("\n  Example:\n", 1)
    assert len(example) == 2, f"`curate {name} --help` shows no example"
    lines = example[1].split("\n\n", 1)[0].splitlines()
    assert lines and all(line.startswith(f"    curate {name}".rstrip()) for line in lines), lines


@pytest.fixture
def mined(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: F811
    """The shop sample mined, 12 examples synthesized, and a recipe `small` of 8 of them."""
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "small.toml").write_text('name = "small"\n[[components]]\nselect = { domain = "shop" }\ncount = 8\n')
    monkeypatch.setenv("CURATE_MIXES", str(mixes))
    assert run(capsys, "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1")[0] == 0
    assert run(capsys, "synth", "--domain", "shop", "--n", "12", "--seed", "3")[0] == 0
    return mixes


def test_every_listing_prints_json_that_parses(mined: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def document(*argv: str) -> object:
        code, out, err = run(capsys, *argv, "--json")
        assert (code, err) == (0, ""), (argv, err)
        return json.loads(out)

    def lines(*argv: str) -> list[dict[str, object]]:
        code, out, err = run(capsys, *argv, "--json")
        assert (code, err) == (0, ""), (argv, err)
        return [json.loads(line) for line in out.splitlines()]

    built = document("mix", "build", "small")
    assert isinstance(built, dict) and MixCounts.model_validate(built["counts"]).total == 8
    assert Path(built["lockfile"]) == mined / "small.lock.json"
    listed = document("sources")
    assert isinstance(listed, dict) and listed["unmined"] == []
    assert [Source.model_validate(entry["source"]).name for entry in listed["sources"]] == ["shop"]
    assert listed["sources"][0]["files"] == 12 and listed["sources"][0]["failed"] == 0
    files = document("files", "--source", "shop")
    assert isinstance(files, list) and len([FileRecord.model_validate(record) for record in files]) == 12
    intents = document("intents")
    assert isinstance(intents, list) and {"name", "language", "tool", "templates"} == set(intents[0])
    assert len([Example.model_validate(record) for record in lines("examples")]) == 12
    assert all(Rejection.model_validate(record).domain == "shop" for record in lines("rejections"))
    assert document("runs") == []
    mixes = document("mix", "list")
    assert isinstance(mixes, list) and mixes[0]["name"] == "small" and mixes[0]["built"] is True
    assert MixCounts.model_validate(mixes[0]["counts"]).total == 8
    # `mix show`, `tool list`, `tool call` and `schema` print JSON always
    assert json.loads(run(capsys, "mix", "show", "small")[1])["lock"]["counts"]["total"] == 8
    changed = document("mix", "diff", "small", "small")
    assert isinstance(changed, dict) and changed["before"] == changed["after"] == "small" and changed["moved"] == []
    deduped = document("dedup")
    assert isinstance(deduped, dict) and deduped["shop"]["examples"] == 12
    validated = document("validate")
    assert isinstance(validated, dict) and validated["examples"] == 12
    assert isinstance(document("audit", "--mix", "small"), dict)
    reported = document("report", "mixes")
    assert isinstance(reported, list) and reported[0]["name"] == "small" and reported[0]["examples"] == 8
    manifest = document("export", "small", "--out", str(tmp_path / "out"), "--turns", "last")
    assert isinstance(manifest, dict) and manifest["round_trip"]["rows"] > 0
    imported = document("import", str(tmp_path / "out" / "train.jsonl"), "--domain", "again", "--format", "mlx")
    assert isinstance(imported, dict) and imported["domain"] == "again"
    assert imported["files"][0]["imported"] > 0 and imported["files"][0]["bad"] == []
    checked = document("doctor", "--outputs", str(tmp_path / "out"))
    assert isinstance(checked, dict) and checked["healthy"] is True and checked["problems"] == []


# Commands with `--json` that the test above leaves out, and why
JSON_ELSEWHERE = {
    "mine": "its --json is tested in test_cli",
    "synth": "the fixture runs it; its --json is the run's statistics like mine's",
    "chat": "needs a model",
    "eval": "needs a trained model",
    "report phases": "needs a training run",
}
JSON_HERE = {
    "mix build",
    "sources",
    "files",
    "intents",
    "examples",
    "rejections",
    "runs",
    "mix list",
    "mix diff",
    "dedup",
    "validate",
    "audit",
    "report mixes",
    "export",
    "import",
    "doctor",
}


def test_every_command_with_json_is_run_above() -> None:
    with_json = {
        name
        for name, command in _commands(cli)
        if any(isinstance(param, click.Option) and "--json" in param.opts for param in command.params)
    }
    assert with_json == JSON_HERE | set(JSON_ELSEWHERE)


UNKNOWN_NAMES = [
    (["examples", "--domain", "shopp"], "no domain 'shopp' (did you mean 'shop'?)"),
    (["rejections", "--domain", "shopp"], "no domain 'shopp' (did you mean 'shop'?)"),
    (["rejections", "--stage", "lenght"], "no stage 'lenght' (did you mean 'length'?)"),
    (
        ["rejections", "--stage", "nosuch"],
        "no stage 'nosuch' (known: arguments, grounding, length, replay, schema, secrets, synthesis)",
    ),
    (["validate", "--domain", "shoq"], "no domain 'shoq' (did you mean 'shop'?)"),
    (["dedup", "--domain", "zzz"], "no domain 'zzz' (known: shop)"),
    (["audit", "--domain", "Shop"], "no domain 'Shop' (did you mean 'shop'?)"),
    (["sources", "--domain", "shops"], "no domain 'shops' (did you mean 'shop'?)"),
    (["files", "--source", "shpo"], "no source 'shpo' (did you mean 'shop'?)"),
    (["mix", "build", "smal"], "no mix 'smal' (did you mean 'small'?)"),
    (["mix", "show", "smalll"], "no mix 'smalll' (did you mean 'small'?)"),
    (["mix", "diff", "small", "other"], "no mix 'other' (known: small)"),
    (["audit", "--mix", "smal"], "no mix 'smal' (did you mean 'small'?)"),
    (["export", "smal", "--out", "x"], "no mix 'smal' (did you mean 'small'?)"),
    (["eval", "smal", "--configs", "base"], "no mix 'smal' (did you mean 'small'?)"),
    (["train", "smal"], "no mix 'smal' (did you mean 'small'?)"),
    (["fuse", "nope"], "no training run 'nope' (`curate runs` lists them)"),
    (["report", "phases", "nope"], "no training run 'nope' (`curate runs` lists them)"),
    (["train", "--resume", "nope"], "no training run 'nope' (`curate runs` lists them)"),
]


def test_unknown_names_exit_2_with_the_closest_ones(mined: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in UNKNOWN_NAMES:
        assert run(capsys, *argv) == (2, "", f"curate: error: {message}\n"), argv


def test_progress_shows_on_a_terminal_only_and_never_with_json(
    mined: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(cli_support, "stderr", Console(file=terminal, force_terminal=True, width=100))
    code, out, _ = run(capsys, "validate")
    assert (code, out) == (0, "12 examples: verified 12\n") and "validating" in terminal.getvalue()
    terminal.truncate(0)
    code, out, _ = run(capsys, "validate", "--json")
    assert code == 0 and json.loads(out)["examples"] == 12 and terminal.getvalue() == ""
    # captured (not a terminal): nothing on stderr either
    monkeypatch.setattr(cli_support, "stderr", Console(stderr=True))
    assert run(capsys, "validate") == (0, "12 examples: verified 12\n", "")


def test_no_bar_is_made_where_none_can_be_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Captured stderr and nothing forcing a terminal: no rich bar (rich is not even loaded for it);
    `FORCE_COLOR` leaves it to rich, as a console set by a test does."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with cli_support.progress_bar() as bar:
        assert isinstance(bar, cli_support.Unshown)
    monkeypatch.setenv("FORCE_COLOR", "1")
    with cli_support.progress_bar() as bar:
        assert not isinstance(bar, cli_support.Unshown)


def test_shell_completion_is_clicks(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("_CURATE_COMPLETE", "bash_source")
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    assert "complete -o nosort -F _curate_completion curate" in capsys.readouterr().out
