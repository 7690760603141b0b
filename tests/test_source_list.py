"""`curate mine --from FILE`: a list of real sources (stdlib and installed packages, a package from
the registry when it is reachable), failures recorded, reruns and a killed run going on where it
stopped."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from curate.cli import main
from curate.errors import InputError
from curate.source_list import read_source_list
from curate.store import Store

STDLIB = Path(sysconfig.get_paths()["stdlib"])
STDLIB_PACKAGES = (
    "json", "email", "http", "xml", "logging", "unittest", "importlib", "concurrent", "urllib", "html",
    "sqlite3", "collections", "wsgiref", "xmlrpc", "dbm", "zoneinfo", "tomllib", "ctypes",
)  # fmt: skip
INSTALLED = ("click", "typer", "rich", "jinja2")


def installed(name: str) -> Path:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    return Path(module.__file__).parent


def write_list(folder: Path, extra: str = "") -> Path:
    lines = [f"{STDLIB / name} stdlib-{name}" for name in STDLIB_PACKAGES]
    lines += [f"{installed(name)}  # domain: its name" for name in INSTALLED]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.whl").write_bytes(b"not a zip")
    lines += ["missing/folder", "broken.whl", extra]
    path = folder / "sources.txt"
    path.write_text("# sources to mine\n\n" + "\n".join(lines) + "\n")
    return path


def test_a_bad_line_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("ok/folder\na b c\n")
    with pytest.raises(InputError, match=r"list.txt:2: a line is `SOURCE \[DOMAIN\]`"):
        read_source_list(path)
    path.write_text("pypi:not a name\n")
    with pytest.raises(InputError, match=r"list.txt:1: "):
        read_source_list(path)


@pytest.mark.slow
def test_a_list_of_real_sources_is_mined_with_failures_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.duckdb"
    source_list = write_list(tmp_path / "lists")
    common = ["--db", str(db), "mine", "--from", str(source_list), "--cache", str(tmp_path / "cache")]
    assert main([*common, "--jobs", "2"]) == 1  # two entries fail, the others are mined
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        f"{len(STDLIB_PACKAGES) + len(INSTALLED)} mined, 0 unchanged, 2 failed (see `curate sources`)"
    )
    with Store.open(db, read_only=True) as store:
        sources = {source.name: source.domain for source in store.sources()}
        listed = store.listed()
    assert len(sources) == len(STDLIB_PACKAGES) + len(INSTALLED) >= 20
    assert sources["json"] == "stdlib-json" and sources["click"] == "click"
    assert (listed["missing/folder"].status, listed["missing/folder"].reason) == (
        "failed",
        f"{source_list.parent / 'missing/folder'}: no such file or folder",
    )
    assert listed["broken.whl"].status == "failed" and "BadZipFile" in str(listed["broken.whl"].reason)
    assert main(["--db", str(db), "sources"]) == 0
    shown = capsys.readouterr().out
    assert "missing/folder\tfailed\t" in shown and "broken.whl\tfailed\t" in shown
    assert main(common) == 1
    again = capsys.readouterr().out
    assert f"{STDLIB / 'json'}\tmined: " in again and ", 0 mined, " in again
    assert all(", 0 mined, " in line for line in again.splitlines() if "\tmined: " in line)


@pytest.mark.slow
def test_a_killed_list_run_goes_on_where_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    source_list = write_list(tmp_path / "lists")
    command = [sys.executable, "-m", "curate", "--db", str(db), "mine", "--from", str(source_list), "--jobs", "1"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    finished = [child.stdout.readline() for _ in range(3)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert all("\tmined: " in line for line in finished)
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = rerun.stdout.splitlines()
    for done in finished:
        entry = done.split("\t")[0]
        (line,) = [line for line in lines if line.startswith(entry + "\t")]
        assert ", 0 mined, " in line, line  # finished before the kill: nothing parsed again
    with Store.open(db, read_only=True) as store:
        assert len(store.sources()) == len(STDLIB_PACKAGES) + len(INSTALLED)
        assert store.integrity_problems() == []


@pytest.mark.slow
def test_a_package_from_the_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.txt"
    path.write_text("pypi:six==1.16.0 six\n")
    db, cache = tmp_path / "s.duckdb", tmp_path / "cache"
    code = main(["--db", str(db), "mine", "--from", str(path), "--cache", str(cache)])
    out = capsys.readouterr().out
    if code != 0 and "pip download" in out:
        pytest.skip(f"the registry is not reachable here: {out.strip().splitlines()[0]}")
    assert code == 0 and "pypi:six==1.16.0\tmined: 1 files, 1 mined" in out
    assert [p.name for p in (cache / "six").iterdir()] == ["six-1.16.0-py2.py3-none-any.whl"]
    assert main(["--db", str(db), "mine", "--from", str(path), "--cache", str(cache)]) == 0
    assert "pypi:six==1.16.0\tunchanged" in capsys.readouterr().out  # the same archive: skipped
