from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from curate.cli import cli, main
from curate.tools import catalog
from tests.conftest import SAMPLE, write_tree


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CURATE_DB", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_mine_then_call_a_tool(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1")
    assert code == 0 and out.startswith("shop (domain shop): 12 files, 12 mined, 0 unchanged, 0 failed, 0 removed in ")
    assert db.exists()
    code, out, _ = run(capsys, "tool", "call", "find_fixtures", "--domain", "shop", "--args", '{"scope": "session"}')
    assert code == 0
    assert json.loads(out) == {
        "tool": "find_fixtures",
        "total": 1,
        "truncated": False,
        "matches": [
            {
                "path": "tests/conftest.py",
                "line": 9,
                "name": "database",
                "function": "database",
                "scope": "session",
                "autouse": False,
            }
        ],
        "coverage": {"uses": ["pytest"], "reads": ["pytest"], "unread": []},
    }
    code, out, _ = run(capsys, "mine", str(SAMPLE), "--domain", "shop", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 12
    code, out, _ = run(capsys, "sources")
    assert code == 0 and out.startswith("shop\tdomain=shop\tfolder\t12 files\t0 failed\tlicense=MIT")


def test_failed_files_are_listed_with_reasons(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "proj", {"ok.py": "x = 1\n", "bad.py": "def (:\n"})
    code, out, _ = run(capsys, "mine", str(root), "--jobs", "1")
    assert code == 0 and "failed: syntax_error 1 (see `curate files --source proj --status failed`)" in out
    code, out, _ = run(capsys, "files", "--source", "proj", "--status", "failed")
    assert out.startswith("bad.py\tfailed\tsyntax_error: bad.py:1:")


def test_tool_list_prints_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tool", "list")
    assert code == 0 and json.loads(out) == catalog()


def test_schema_prints_json_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schemas = json.loads(out)
    assert code == 0 and {"Fact", "Source", "ToolSpec", "ToolResult", "FileRecord"} <= set(schemas)
    code, out, _ = run(capsys, "schema", "Fact")
    assert json.loads(out)["additionalProperties"] is False


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["mine", "/no/such/place"], 2, "curate: error: /no/such/place: no such file or folder\n"),
        (
            ["tool", "call", "find_routes", "--domain", "x", "--args", "{oops"],
            2,
            "curate: error: --args is not valid JSON: Expecting property name enclosed in double quotes at column 2\n",
        ),
        (
            ["tool", "call", "find_routes", "--domain", "x", "--args", "[1]"],
            2,
            "curate: error: --args must be a JSON object\n",
        ),
        (["schema", "Nope"], 2, "curate: error: no record type 'Nope' (known: "),
        (["frobnicate"], 2, "curate: error: No such command 'frobnicate'.\n"),
        (["mine"], 2, "curate: error: what to mine? a PATH, or --from FILE\n"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    got, out, err = run(capsys, *argv)
    assert got == code and err.startswith(message) and err.count("\n") == 1 and out == ""


def test_reading_before_mining_says_what_to_do(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tool", "call", "find_routes", "--domain", "shop")
    assert code == 2 and err == f"curate: error: {db}: no store here (run `curate mine PATH` first)\n"


def test_debug_shows_the_traceback(db: Path) -> None:
    from curate.errors import InputError

    with pytest.raises(InputError):
        main(["--debug", "mine", "/no/such/place"])


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


def test_every_command_is_documented_in_help_and_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name, command in _commands(cli):
        assert command.help, f"`curate {name}` has no help text"
        assert f"curate {name}" in readme, f"`curate {name}` is not in the README"


def test_the_readme_quickstart_runs(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    mixes = tmp_path / "mixes"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data" / "mixes", mixes)
    monkeypatch.setenv("CURATE_MIXES", str(mixes))
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "quickstart")
    assert code == 0
    assert out.startswith("mined shop: 12 files (12 parsed, 0 unchanged, 0 failed), ")
    assert "? Show me the FastAPI route definitions  [find_routes  on shop: showing 8 of 10]" in out
    assert "  src/shop/routes/health.py:7  GET /health  -> health" in out
    assert "? Find all async functions in this codebase  [find_symbols {'kind': 'async_function'} on asyncio: " in out
    assert "? Find all form elements in this HTML  [query_html {'selector': 'form'} on site: 7]" in out
    assert "  index.html:48  image-alt: image has no alt attribute" in out
    composed = "of them parallel, multi-step, multi-turn, clarification or recovery"
    for domain, calls, shaped, direct in (
        ("shop", 76, 25, 24),
        ("asyncio", 152, 50, 48),
        ("typer", 46, 15, 14),
        ("site", 30, 10, 10),
    ):
        assert f"synthesized {domain}: {calls} tool calls ({shaped} {composed}) + {direct} direct answers (" in out
    assert "validated 400 stored examples: verified 400" in out
    assert "checks: schema pass, arguments pass, replay pass, grounding pass, secrets pass, length pass" in out
    assert "mix phase6: 280 examples (" in out and "mix phase7: 310 examples (" in out
    assert "phase6 -> phase7: +30 examples, tool calls 76.1% -> 76.1%" in out
    assert "exported phase7 for mlx-lm to data/exports/phase7: " in out
    assert (tmp_path / "data" / "exports" / "phase7" / "manifest.json").exists()
    assert (mixes / "phase7.lock.json").exists()
    code, out, _ = run(capsys, "quickstart")
    assert "mined shop: 12 files (0 parsed, 12 unchanged, 0 failed)" in out
    assert ", 0 new, " in out
