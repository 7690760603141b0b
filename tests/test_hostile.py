"""Hostile input, built here (nothing checked in as blobs): one `curate mine` over all of it finishes,
records every bad file with its reason, and stays within a bounded memory.

The mine runs in a child process, so its peak memory (and its workers') can be measured. An
unreadable file is in the corpus only when the tests do not run as root, who reads whatever the
permissions (`tests/test_mine.py` covers it as root too).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from curate.store import Store

MEMORY_LIMIT = 1_500_000  # KiB of peak resident memory for the mine and its workers


def build_corpus(root: Path) -> dict[str, str | None]:
    """Write the corpus; returns each file's expected failure reason (None: mined fine)."""
    root.mkdir(parents=True)
    expected: dict[str, str | None] = {}

    def write(name: str, data: bytes, reason: str | None) -> None:
        (root / name).write_bytes(data)
        expected[name] = reason

    write("fine.py", b"def ok():\n    return 1\n", None)
    write("syntax_error.py", b"def broken(:\n    pass\n", "syntax_error")
    write("null_bytes.py", b"x = 1\x00\ny = 2\n", "binary")
    write("invalid_utf8.py", b"x = '\xff\xfe\xfd'\n", "undecodable")
    write("binary.py", random.Random(0).randbytes(8192), "binary")
    write("deep_nesting.py", b"x = " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "too_deeply_nested")
    write("concatenation.py", b"x = " + b" + ".join([b"'a'"] * 100_000) + b"\n", "too_deeply_nested")
    literal = b"x = [" + b",".join(b"%d" % (i % 10) for i in range(1_000_000)) + b"]\n"
    write("one_line_literal.py", literal, "too_large")  # 2 MB on one line: 4.7 GB in libcst, unbounded
    write("dict_literal.py", b"x = {" + b",".join(b"%d: %d" % (i, i) for i in range(300_000)) + b"}\n", "too_large")
    with (root / "fifty_megabytes.py").open("wb") as handle:
        handle.write(b"x = 1\n" * (50 * 1024 * 1024 // 6))
    expected["fifty_megabytes.py"] = "too_large"
    with (root / "sparse.html").open("wb") as handle:
        handle.truncate(1 << 30)  # one GiB that takes no disk
    expected["sparse.html"] = "too_large"
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
            for level in range(1, 10)
        )
        + b"]><html><body><p>&lol9;</p></body></html>"
    )
    write("entity_bomb.html", bomb, None)
    write("deep.html", b"<html><body>" + b"<div>" * 100_000 + b"</div>" * 100_000 + b"</body></html>", None)
    if os.geteuid() != 0:
        write("unreadable.py", b"x = 1\n", "unreadable")
        os.chmod(root / "unreadable.py", 0)
    for fifo in ("pipe.py", "pipe.html"):  # opening one would block the mine until a writer came
        os.mkfifo(root / fifo)
        expected[fifo] = "not_a_file"
    os.symlink("loop.py", root / "loop.py")
    expected["loop.py"] = "symlink"
    os.symlink("/etc/hostname", root / "outside.py")
    expected["outside.py"] = "symlink"
    (root / "cycle").mkdir()
    os.symlink("..", root / "cycle" / "up")  # a folder link: never walked
    return expected


WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:], check=False)
with open(sys.argv[1], "w") as peak:
    peak.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""


def mine_as_child(db: Path, corpus: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `curate mine` in a child; its and its workers' peak resident memory in KiB, measured by a
    fresh parent of its own (this process's children, other tests' pool workers among them, would
    count in ours)."""
    peak_file = db.parent / "peak"
    command = [sys.executable, "-m", "curate", "--db", str(db), "mine", str(corpus), "--domain", "hostile"]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(peak_file), *command, "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done, int(peak_file.read_text())


@pytest.mark.slow
def test_a_hostile_tree_is_mined_to_the_end_with_every_failure_recorded(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    expected = build_corpus(corpus)
    store_folder = tmp_path / "store"
    store_folder.mkdir()
    done, peak = mine_as_child(store_folder / "s.duckdb", corpus)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    with Store.open(store_folder / "s.duckdb", read_only=True) as store:
        (source,) = store.sources()
        recorded = {item.path: item for item in store.files(source.name)}
    assert set(recorded) == set(expected)
    for name, reason in expected.items():
        item = recorded[name]
        assert (item.status == "ok") == (reason is None), (name, item.status, item.reason, item.error)
        if reason is not None:
            assert item.reason == reason and item.error, (name, item.reason, item.error)
    assert peak < MEMORY_LIMIT, f"peak resident memory {peak / 1024:.0f} MiB"


def test_a_file_that_vanishes_mid_run_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed, then gone before it is read: the walk is made to list a file that is not there."""
    from curate.mine import mine
    from tests.conftest import write_tree

    root = write_tree(tmp_path / "proj", {"here.py": "x = 1\n"})
    walk = os.walk

    def listing_a_ghost(top: str, **options: bool) -> object:
        for folder, dirs, names in walk(top, **options):
            yield folder, dirs, [*names, "gone.py"] if folder == str(root) else names

    monkeypatch.setattr(os, "walk", listing_a_ghost)
    with Store.open(tmp_path / "s.duckdb") as store:
        assert mine(store, root, domain="p", jobs=1).failed == {"vanished": 1}
        assert [(r.path, r.reason) for r in store.files("proj", status="failed")] == [("gone.py", "vanished")]


PARENT_LIMIT = 500_000  # KiB: the mine's window of file bytes and its own baseline, far below the files' sum


@pytest.mark.slow
def test_the_parent_holds_a_window_of_file_bytes_not_the_source(tmp_path: Path) -> None:
    """200 files just under the 5 MB limit (980 MB, sparse: no disk) once sat in the parent all at
    once; now it takes them as the pool needs them."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index in range(200):
        with (corpus / f"m{index:03}.py").open("wb") as handle:
            handle.truncate(4_900_000)  # zeros: read whole, then refused by a worker as binary
    store_folder = tmp_path / "store"
    store_folder.mkdir()
    done, peak = mine_as_child(store_folder / "s.duckdb", corpus)
    assert done.returncode == 0, done.stderr
    with Store.open(store_folder / "s.duckdb", read_only=True) as store:
        assert {item.reason for item in store.files("corpus")} == {"binary"}
    assert peak < PARENT_LIMIT, f"peak resident memory {peak / 1024:.0f} MiB"
