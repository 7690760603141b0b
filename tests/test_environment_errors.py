"""Environment failures (a database that is not curate's, a folder that cannot be written, a file that
is not UTF-8, a limit past what DuckDB counts) are one line, `curate: error: ...`, with exit 2, and
change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from curate.cli import main
from tests.conftest import SAMPLE


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("curate: error: "), err
    assert "internal error" not in lines[0] and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("environment") / "s.duckdb"
    assert main(["--db", str(path), "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1"]) == 0
    return path


def test_a_duckdb_file_that_is_not_curates_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(foreign)) as connection:
        connection.execute("CREATE TABLE sales (amount INTEGER)")
    code, _, err = run(capsys, "--db", str(foreign), "mine", str(SAMPLE), "--jobs", "1")
    assert code == 2
    one_line_error(err, "not a curate store", "sales")
    with duckdb.connect(str(foreign)) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert tables == [("sales",)]


def test_a_store_whose_folder_cannot_be_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    code, _, err = run(capsys, "--db", str(tmp_path / "plain" / "s.duckdb"), "mine", str(SAMPLE), "--jobs", "1")
    assert code == 2
    one_line_error(err, "cannot make its folder")


def test_recipes_and_policies_that_are_not_utf8(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "bad.toml").write_bytes(b'name = "bad"\xff\n')
    code, _, err = run(capsys, "--db", str(store), "--mixes", str(mixes), "mix", "show", "bad")
    assert code == 2
    one_line_error(err, "bad.toml", "not UTF-8")
    (tmp_path / "policy.toml").write_bytes(b"min_per_domain = 1\n\xfe")
    code, _, err = run(capsys, "--db", str(store), "audit", "--policy", str(tmp_path / "policy.toml"))
    assert code == 2
    one_line_error(err, "policy.toml", "not UTF-8")
    (tmp_path / "broken.toml").write_text("min_per_domain = \n")
    code, _, err = run(capsys, "--db", str(store), "audit", "--policy", str(tmp_path / "broken.toml"))
    assert code == 2
    one_line_error(err, "broken.toml", "not TOML")


def test_outputs_that_cannot_be_written(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    code, _, err = run(capsys, "--db", str(store), "audit", "--html", str(tmp_path / "plain" / "audit.html"))
    assert code == 2
    one_line_error(err, "cannot write here")
    assert (tmp_path / "plain").read_text() == "a file, not a folder"


def test_a_limit_past_what_duckdb_counts_means_every_match(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--db", str(store), "tool", "call", "search_text", "--domain", "shop", "--args"]
    code, out, err = run(capsys, *args, '{"pattern": "def ", "regex": true}', "--limit", str(2**70))
    assert code == 0, err
    huge = json.loads(out)
    code, out, err = run(capsys, *args, '{"pattern": "def ", "regex": true}', "--limit", "0")
    assert code == 0, err
    assert huge == json.loads(out) and huge["total"] == len(huge["matches"]) > 0


def test_a_lockfile_that_cannot_be_replaced(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lockfile's name taken by a folder: the rename fails after the temporary file is written."""
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "tiny.toml").write_text('name = "tiny"\n[[components]]\nselect = { domain = "shop" }\ncount = 0\n')
    (mixes / "tiny.lock.json").mkdir()
    code, _, err = run(capsys, "--db", str(store), "--mixes", str(mixes), "mix", "build", "tiny")
    assert code == 2
    one_line_error(err, "tiny.lock.json", "cannot write here")
    assert sorted(path.name for path in mixes.iterdir()) == ["tiny.lock.json", "tiny.toml"]


def test_a_size_limit_past_what_a_worker_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.duckdb")
    huge = "99999999999999999999"
    code, _, err = run(capsys, "--db", db, "mine", str(SAMPLE), "--max-file-size", huge, "--jobs", "1")
    assert code == 2
    one_line_error(err, "size limit must be from 1 byte to 1073741824")
