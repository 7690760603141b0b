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
    for raw, shown in ((b"latin\xe9.py", "latin\\xe9.py"), (b"new\nline.html", "new\\nline.html")):
        with open(os.path.join(os.fsencode(root), raw), "wb") as handle:
            handle.write(b"x = 1\n")
        expected[shown] = "bad_name"  # recorded under the name escaped
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


def _members(copies: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    return [(name, f"def f():\n    return {body!r}\n".encode()) for name, body in copies]


DUPLICATES = [
    ("pkg/__init__.py", "init"),
    ("pkg/a.py", "first"),
    ("pkg/a.py", "again"),
    ("pkg/./a.py", "dotted"),
    ("pkg//a.py", "doubled"),
    ("pkg/b/../a.py", "climbed"),
    ("/pkg/c.py", "absolute"),
]


def _wheel(path: Path) -> Path:
    import warnings
    import zipfile

    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names it is asked to write
        for name, data in _members(DUPLICATES):
            archive.writestr(name, data)
    return path


def _sdist(path: Path) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, data in _members(DUPLICATES):
            member = tarfile.TarInfo(name if name.startswith("/") else f"pkg-1.0/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


@pytest.mark.parametrize("build", [_wheel, _sdist], ids=["wheel", "sdist"])
def test_duplicate_archive_members_are_read_once_and_the_store_stays_whole(
    tmp_path: Path, build: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pkg/a.py` twice, `pkg/./a.py` and `pkg//a.py` are one file: the first is mined, the others
    are counted as duplicate_member; `..` and absolute names as unsafe_member. read_symbol answers
    from the first, and doctor finds nothing wrong."""
    from curate.cli import main
    from curate.mine import mine
    from curate.tools import call_tool

    archive = build(tmp_path / ("pkg-1.0-py3-none-any.whl" if build is _wheel else "pkg-1.0.tar.gz"))  # type: ignore[operator]
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        stats = mine(store, archive, domain="pkg", jobs=1)
        assert (stats.files, stats.mined, dict(stats.skipped)) == (2, 2, {"duplicate_member": 3, "unsafe_member": 2})
        assert [(r.path, r.status) for r in store.files("pkg")] == [("pkg/__init__.py", "ok"), ("pkg/a.py", "ok")]
        (match,) = call_tool(store, "pkg", "read_symbol", {"path": "pkg/a.py", "qualname": "f"}, limit=0).matches
        assert "'first'" in match["source"]
        again = mine(store, archive, domain="pkg", jobs=1)  # a rerun finds the same one file, unchanged
        assert (again.unchanged, again.mined, dict(again.skipped)) == (2, 0, dict(stats.skipped))
    assert main(["--db", str(db), "--mixes", str(tmp_path / "mixes"), "doctor", "--outputs", str(tmp_path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("healthy")
    assert main(["--db", str(db), "mine", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "skipped archive members: duplicate_member 3, unsafe_member 2" in out


def test_file_names_that_are_not_utf8_or_hold_control_characters_are_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name with bytes that are not UTF-8, a newline or a tab: each is recorded as bad_name under
    its escaped name, the rest is mined, and nothing the CLI prints breaks a line. A listed source
    (`--from`) holding them is mined, not failed."""
    from curate.cli import main

    root = tmp_path / "proj"
    root.mkdir()
    (root / "ok.py").write_text("def ok(): ...\n")
    (root / "new\nline.py").write_text("def newline(): ...\n")
    (root / "tab\there.py").write_text("def tab(): ...\n")
    os.makedirs(os.path.join(os.fsencode(root), b"dir\xe9"))
    for raw in (b"latin\xe9.py", b"dir\xe9/inside.py"):
        with open(os.path.join(os.fsencode(root), raw), "wb") as handle:
            handle.write(b"x = 1\n")
    db = tmp_path / "s.duckdb"
    (tmp_path / "list.txt").write_text("proj\n")
    assert main(["--db", str(db), "mine", "--from", str(tmp_path / "list.txt")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 mined, 0 unchanged, 0 failed")
    with Store.open(db, read_only=True) as store:
        recorded = {r.path: (r.status, r.reason) for r in store.files("proj")}
    assert recorded == {
        "ok.py": ("ok", None),
        "new\\nline.py": ("failed", "bad_name"),
        "tab\\there.py": ("failed", "bad_name"),
        "latin\\xe9.py": ("failed", "bad_name"),
        "dir\\xe9/inside.py": ("failed", "bad_name"),
    }
    assert main(["--db", str(db), "files", "--source", "proj"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.count("\t") in (1, 2) for line in lines)
    assert "new\\nline.py\tfailed\tbad_name: the name holds a control character (\\n): never read" in lines


def test_a_folder_named_with_a_newline_is_mined_and_printed_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from curate.cli import main

    root = tmp_path / "two\nlines"
    root.mkdir()
    (root / "ok.py").write_text("def ok(): ...\n")
    db = str(tmp_path / "s.duckdb")
    assert main(["--db", db, "mine", str(root), "--domain", "p"]) == 0
    assert capsys.readouterr().out.startswith("two\\nlines (domain p): 1 files, 1 mined")
    assert main(["--db", db, "sources"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["--db", db, "mine", str(tmp_path / "gone\nnow")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


LICENSE_READER = """
import resource, sys
from pathlib import Path
from sources.files import detect_license
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = detect_license(Path(sys.argv[1]))
print(found, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_the_license_is_told_from_a_bounded_prefix(tmp_path: Path) -> None:
    """A 1.5 GB sparse LICENSE (it takes no disk) was read whole: 2.8 GiB more resident, 19 s. Now a
    prefix: nothing measurable."""
    root = tmp_path / "proj"
    root.mkdir()
    with (root / "LICENSE").open("wb") as handle:
        handle.write(b"MIT License\n\nPermission is hereby granted, free of charge\n")
        handle.truncate(1_500_000_000)
    done = subprocess.run(
        [sys.executable, "-c", LICENSE_READER, str(root)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    license_found, grown = done.stdout.split()
    assert license_found == "MIT"
    assert int(grown) < 50_000, f"peak resident memory grew by {int(grown) / 1024:.0f} MiB"


def test_a_store_holding_a_path_twice_is_repaired_by_the_next_mine(tmp_path: Path) -> None:
    """Mines before members were read once stored `pkg/a.py` as often as the archive named it. The
    rows are made here as they were (two writes of one path, the same bytes), and mining again
    leaves one."""
    from curate.mine import mine
    from curate.store import FileWrite
    from curate.tools import call_tool
    from sources.versions import EXTRACTOR_VERSIONS

    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl")
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, wheel, domain="pkg", jobs=1)
        (record,) = [item for item in store.files("pkg") if item.path == "pkg/a.py"]
        again = FileWrite(record, "def f():\n    return 'first'\n", [], None, EXTRACTOR_VERSIONS["python"])
        store.write_files("pkg", [again, again])
        assert "duplicate files: pkg:pkg/a.py" in store.integrity_problems()
        repaired = mine(store, wheel, domain="pkg", jobs=1)
        assert (repaired.mined, repaired.unchanged) == (1, 1)
        assert store.integrity_problems() == []
        (match,) = call_tool(store, "pkg", "read_symbol", {"path": "pkg/a.py", "qualname": "f"}, limit=0).matches
        assert "'first'" in match["source"]


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
