"""The options the command line generates or shares: `curate train`'s setting flags come from
LoraSettings's fields (so `--help` shows the real defaults), and the options several commands take
are declared once."""

from __future__ import annotations

import re
from dataclasses import fields

import click
import pytest

from curate.cli import cli
from curate.cli_training import SETTING_FLAGS
from tests.test_cli import run
from train.lora import LoraSettings

# The LoraSettings fields set only with `curate train --config` (an mlx-lm YAML)
CONFIG_ONLY = {"grad_accumulation_steps", "fine_tune_type", "optimizer", "optimizer_config", "lr_schedule"}
# The options of `curate train` that are not settings
NOT_SETTINGS = {"--model", "--config", "--resume", "--runs", "-h", "--help"}


def option_entries(help_text: str) -> dict[str, str]:
    """Each option's help entry, its wrapped lines joined, by every name it has (`--a / --no-a`)."""
    options = help_text.split("\nOptions:\n", 1)[1]
    entries: list[str] = []
    for line in options.splitlines():
        if re.match(r"^  -", line):
            entries.append(line.strip())
        elif line.strip():
            # a continuation; click breaks lines after a hyphen too (`[default: mask-` / `prompt]`)
            glue = "" if entries[-1].endswith("-") else " "
            entries[-1] += glue + line.strip()
    found: dict[str, str] = {}
    for entry in entries:
        names = re.match(r"^((?:-{1,2}[\w-]+(?:, | / )?)+)", entry)
        assert names, entry
        for name in re.split(r", | / ", names.group(1).strip()):
            found[name] = entry
    return found


def test_train_help_shows_every_setting_flag_with_the_real_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    entries = option_entries(out)
    defaults = {item.name: item.default for item in fields(LoraSettings)}
    flags = {name for name in entries if name not in NOT_SETTINGS and not name.startswith("--no-")}
    assert flags == {"--" + name.replace("_", "-") for name in SETTING_FLAGS}
    for name in SETTING_FLAGS:
        flag, default = "--" + name.replace("_", "-"), defaults[name]
        entry = entries[flag]
        shown = re.search(r"\[default: ([^;\]]+)", entry)
        if isinstance(default, bool) and default:
            assert f"--no-{flag[2:]}" in entries and shown and shown.group(1) == flag[2:], entry
        elif isinstance(default, bool):
            # a plain flag: off unless given, and click shows no default for it
            assert shown is None and f"--no-{flag[2:]}" not in entries, entry
        else:
            assert shown, entry
            assert type(default)(shown.group(1)) == default and shown.group(1) == str(default), entry


def test_every_setting_is_a_flag_or_left_to_the_config() -> None:
    names = [item.name for item in fields(LoraSettings)]
    assert set(SETTING_FLAGS) | CONFIG_ONLY == set(names) and not set(SETTING_FLAGS) & CONFIG_ONLY
    # the flags keep the fields' order
    assert list(SETTING_FLAGS) == [name for name in names if name in SETTING_FLAGS]


def test_a_setting_flag_checks_its_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "mix", "--rank", "0")
    assert code == 2 and err == "curate: error: Invalid value for '--rank': 0 is not in the range x>=1.\n"
    code, _, err = run(capsys, "train", "mix", "--dropout", "2")
    assert code == 2 and err == "curate: error: Invalid value for '--dropout': 2.0 is not in the range 0<=x<=1.\n"


def _option(command: str, name: str) -> click.Option:
    found = [param for param in cli.commands[command].params if isinstance(param, click.Option) and name in param.opts]
    assert len(found) == 1, (command, name)
    return found[0]


@pytest.mark.parametrize("command", ["mine", "dedup"])
def test_mine_and_dedup_share_the_engine_options(command: str) -> None:
    engine = _option(command, "--engine")
    assert isinstance(engine.type, click.Choice) and list(engine.type.choices) == ["local", "ray"]
    assert engine.default == "local" and engine.help and "Ray Data (curate[ray])" in engine.help
    address = _option(command, "--ray-address")
    assert address.help == "A Ray cluster to use (default: start a local Ray runtime)."


@pytest.mark.parametrize(
    ("command", "help_text"),
    [
        ("mine", "Print the run's statistics as JSON."),
        ("synth", "Print the run's statistics as JSON."),
        ("examples", "One example record per line (JSON Lines)."),
        ("validate", "Print the statistics as JSON."),
        ("rejections", "One rejection per line as JSON."),
        ("audit", "Print the report as JSON."),
    ],
)
def test_json_is_one_flag_everywhere(command: str, help_text: str) -> None:
    option = _option(command, "--json")
    assert option.is_flag and option.name == "as_json" and option.help == help_text
