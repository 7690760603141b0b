from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from curate.cli import main
from curate.cli_mining import ByteSize
from curate.errors import InputError
from curate.mine import mine
from curate.store import FactRejection, Store
from curate.tools import call_tool
from tests.conftest import REPO, SAMPLE, write_tree


def names(store: Store, domain: str, tool: str, **arguments: object) -> list[tuple[str, int, str]]:
    result = call_tool(store, domain, tool, dict(arguments), limit=0)
    return [(m["path"], m["line"], m["name"]) for m in result.matches]


def test_mining_the_sample_links_routes_across_modules(store: Store) -> None:
    stats = mine(store, SAMPLE, domain="shop", jobs=2)
    assert (stats.files, stats.mined, sum(stats.failed.values())) == (12, 12, 0)
    assert stats.linked == 2 and stats.rejected_candidates == 0
    assert ("src/shop/routes/health.py", 7, "health") in names(store, "shop", "find_routes")
    source = store.sources("shop")[0]
    assert source.license == "MIT" and source.origin == "folder"


def test_rerun_parses_only_what_changed(store: Store, tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "proj",
        {
            "pkg/__init__.py": "",
            "pkg/base.py": "from pydantic import BaseModel\nclass Base(BaseModel):\n    pass\n",
            "pkg/models.py": "from pkg.base import Base\nclass User(Base):\n    pass\n",
            "pkg/old.py": "def gone(): ...\n",
        },
    )
    first = mine(store, root, domain="p", jobs=1)
    assert (first.mined, first.unchanged) == (4, 0)
    assert [n for _, _, n in names(store, "p", "find_symbols", kind="pydantic_model")] == ["Base", "User"]

    second = mine(store, root, domain="p", jobs=1)
    assert (second.mined, second.unchanged, second.deleted) == (0, 4, 0)

    (root / "pkg/base.py").write_text("class Base:\n    pass\n")
    (root / "pkg/old.py").unlink()
    third = mine(store, root, domain="p", jobs=1)
    assert (third.mined, third.unchanged, third.deleted) == (1, 2, 1)
    assert names(store, "p", "find_symbols", kind="pydantic_model") == []
    assert names(store, "p", "find_symbols", kind="function") == []


def test_sdists_and_wheels_are_mined_like_folders(store: Store, tmp_path: Path) -> None:
    sdist = tmp_path / "shop-0.3.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(SAMPLE, arcname="shop-0.3.0")
    wheel = tmp_path / "shop-0.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for file in sorted((SAMPLE / "src").rglob("*.py")):
            archive.write(file, file.relative_to(SAMPLE / "src").as_posix())
        archive.writestr("shop-0.3.0.dist-info/METADATA", "Name: shop\nLicense-Expression: MIT\n")
    assert mine(store, sdist, domain="sdist").source == "shop"
    mine(store, SAMPLE, domain="folder", name="shop-folder")
    mine(store, wheel, domain="wheel", name="shop-wheel")
    folder_routes = names(store, "folder", "find_routes")
    assert names(store, "sdist", "find_routes") == folder_routes
    assert names(store, "wheel", "find_routes") == [(p.removeprefix("src/"), line, n) for p, line, n in folder_routes]
    assert store.sources("wheel")[0].license == "MIT"


def test_links_are_recorded_never_followed(store: Store, tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.py": "def secret(): ...\n"})
    root = write_tree(tmp_path / "proj", {"ok.py": "def ok(): ...\n"})
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "loop").symlink_to(root)
    (root / "elsewhere").symlink_to(outside)
    stats = mine(store, root, domain="p", jobs=1)
    assert stats.failed == {"symlink": 1}
    assert [(r.path, r.reason) for r in store.files("proj", status="failed")] == [("link.py", "symlink")]
    assert [n for _, _, n in names(store, "p", "find_symbols", kind="function")] == ["ok"]


def test_unreadable_files_are_recorded(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "proj", {"locked.py": "x = 1\n"})
    (root / "locked.py").chmod(0)
    if os.geteuid() == 0:  # root reads whatever the permissions: let the OS refuse the way it would
        import builtins

        import sources.files

        def refuse(file: str, *args: object, **kwargs: object) -> object:
            if str(file).endswith("locked.py"):
                raise PermissionError(13, "Permission denied", file)
            return builtins.open(file, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(sources.files, "open", refuse, raising=False)
    assert mine(store, root, domain="p", jobs=1).failed == {"unreadable": 1}
    assert [(r.reason, r.error) for r in store.files("proj", status="failed")] == [("unreadable", "Permission denied")]


def test_every_bad_file_is_recorded_and_the_run_goes_on(
    store: Store, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(
        tmp_path / "proj",
        {"good.py": "async def fine(): ...\n", "broken.py": "def (:\n", "tstrings.py": 'x = 1\ny = t"a" t"b"\n'},
    )
    (root / "binary.py").write_bytes(b"\x00\x01\x02")
    (root / "latin.py").write_bytes(b"x = '\xe9'\n")
    (root / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    stats = mine(store, root, domain="p", jobs=2)
    assert stats.mined == 1
    assert stats.failed == {
        "binary": 1,
        "syntax_error": 1,
        "too_deeply_nested": 1,
        "undecodable": 1,
        "unsupported_syntax": 1,
    }
    assert names(store, "p", "find_symbols", kind="async_function") == [("good.py", 1, "fine")]
    (tstrings,) = [record for record in store.files("proj", status="failed") if record.path == "tstrings.py"]
    assert tstrings.error == "tstrings.py:2: libcst cannot read this: CSTLogicError: Logic error!"
    assert capfd.readouterr().err == ""  # no worker traceback reaches the terminal


def test_bad_targets_are_input_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        mine(store, tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InputError, match="not a folder, an sdist"):
        mine(store, tmp_path / "notes.txt")


def _cli(db: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "curate", "--db", str(db), *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _killed_midway(db: Path, args: list[str], wal_bytes: int) -> int:
    """Start `curate mine`, SIGKILL it once its write-ahead log passes `wal_bytes`; files it committed."""
    process = _cli(db, *args)
    wal = db.with_name(db.name + ".wal")
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > wal_bytes:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    with Store.open(db) as partial:
        return len(partial.file_states("python" + ".".join(map(str, sys.version_info[:2]))))


@pytest.mark.slow
def test_a_mine_killed_midway_then_rerun_equals_one_uninterrupted_run(tmp_path: Path) -> None:
    corpus = Path(os.__file__).parent
    args = [
        "mine",
        str(corpus),
        "--domain",
        "stdlib",
        "--exclude",
        "test",
        "--exclude",
        "site-packages",
        "--exclude",
        "idlelib",
        "--exclude",
        "lib2to3",
        "--batch",
        "25",
    ]
    source = "python" + ".".join(map(str, sys.version_info[:2]))
    clean_db = tmp_path / "clean.duckdb"
    # Kill once some batches are committed (the write-ahead log has grown) and before the end. A kill
    # can land inside the first commit (which is then rightly discarded), so try a later moment then.
    for attempt, threshold in enumerate((2_000_000, 4_000_000, 8_000_000, 16_000_000)):
        killed_db = tmp_path / f"killed{attempt}.duckdb"
        done = _killed_midway(killed_db, args, threshold)
        if done > 0:
            break
    assert _cli(killed_db, *args).wait() == 0
    assert _cli(clean_db, *args).wait() == 0
    with Store.open(killed_db) as killed, Store.open(clean_db) as clean:
        killed_rows, clean_rows = killed.dump(), clean.dump()
        total = len(clean.files(source))
    assert 0 < done < total
    for table in clean_rows:
        assert killed_rows[table] == clean_rows[table], table


def test_excluded_files_are_never_read(store: Store, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {"keep.py": "x = 1\n", "test/a.py": "y = 2\n", "gen/deep/b.py": "z = 3\n"})
    (root / "gen" / "link.py").symlink_to(root / "keep.py")
    stats = mine(store, root, domain="p", jobs=1, exclude=["test/*", "gen"])
    assert stats.files == 1 and [r.path for r in store.files("proj")] == ["keep.py"]


def test_candidates_that_do_not_qualify_are_recorded_with_a_reason(store: Store, tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "proj",
        {
            "cache.py": "store = dict()\n",
            "views.py": "from cache import store\n\n@store.get('/x')\ndef x(): ...\n",
        },
    )
    stats = mine(store, root, domain="p", jobs=1)
    assert (stats.linked, stats.rejected_candidates) == (0, 1)
    assert store.rejections("proj") == [
        FactRejection("proj", "views.py", 4, "link", "cache.store is not a fastapi object")
    ]
    assert names(store, "p", "find_routes") == []


def test_size_limits_fit_each_language_and_one_given_limit_applies_to_all(store: Store, tmp_path: Path) -> None:
    """A single-page HTML doc over 5 MB is mined (Node.js's `api/all.html` is 8.4 MB); a Python file
    that size is not, unless the limit is raised; the limits are in the run's stats."""
    page = '<!DOCTYPE html><html lang="en"><title>All</title><h1>API</h1><p>' + "word " * 1_200_000 + "</p>"
    root = write_tree(tmp_path / "docs", {"all.html": page, "big.py": "X = '" + "x" * 6_000_000 + "'\n"})
    stats = mine(store, root, domain="d", jobs=1)
    assert (stats.mined, stats.failed) == (1, {"too_large": 1})
    assert [(r.path, r.error) for r in store.files("docs", status="failed")] == [
        ("big.py", "6000007 bytes is over the 5000000 byte limit for python files (--max-file-size)")
    ]
    assert stats.as_dict()["max_file_size"] == {"html": 32_000_000, "python": 5_000_000}

    raised = mine(store, root, domain="d", jobs=1, max_file_size=7_000_000)
    assert (raised.mined, raised.unchanged, raised.failed) == (1, 1, {})
    assert raised.as_dict()["max_file_size"] == {"html": 7_000_000, "python": 7_000_000}
    lowered = mine(store, root, domain="d", jobs=1, max_file_size=1000)
    assert (lowered.mined, lowered.failed) == (0, {"too_large": 2})


@pytest.mark.parametrize(
    ("written", "size"),
    [("1234", 1234), ("500k", 500_000), ("16MB", 16_000_000), ("2MiB", 2 * 1024 * 1024), ("1.5 GB", 1_500_000_000)],
)
def test_sizes_are_read_with_their_units(written: str, size: int) -> None:
    assert ByteSize().convert(written, None, None) == size


def test_max_file_size_on_the_command_line_and_for_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "proj", {"a.py": "def a(): ...\n" * 200, "b.html": "<p>" + "x" * 3000 + "</p>"})
    db = str(tmp_path / "s.duckdb")
    assert main(["--db", db, "mine", str(root), "--max-file-size", "1k", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["failed"], stats["max_file_size"]) == ({"too_large": 2}, {"html": 1000, "python": 1000})
    (tmp_path / "list.txt").write_text("proj\n")
    assert main(["--db", db, "mine", "--from", str(tmp_path / "list.txt"), "--max-file-size", "2600"]) == 0
    with Store.open(tmp_path / "s.duckdb") as store:
        assert [(r.path, r.status) for r in store.files("proj")] == [("a.py", "ok"), ("b.html", "failed")]
    capsys.readouterr()
    assert main(["--db", db, "mine", str(root), "--max-file-size", "lots"]) == 2
    assert "'lots' is not a size such as 16MB, 500k or 1234 (bytes)" in capsys.readouterr().err


def test_the_ray_engine_passes_the_size_limit_to_each_batch() -> None:
    """Ray Data's batch function, called as Ray calls it (numpy columns), without a Ray runtime."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("pyarrow")
    from curate.ray_engine import _extract_batch

    batch = {
        "index": np.array([0, 1]),
        "path": np.array(["a.py", "b.py"]),
        "data": np.array([b"def a(): ...\n" * 10, b"def b(): ...\n"], dtype=object),
        "language": np.array(["python", "python"]),
        "module": np.array(["a", "b"]),
        "is_package": np.array([False, False]),
        "max_bytes": np.array([100, -1]),
    }
    table = _extract_batch(batch).to_pylist()
    assert [(row["status"], row["reason"]) for row in table] == [("failed", "too_large"), ("ok", None)]


def test_a_linked_source_is_refused_like_every_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Links inside a source are never followed; a source given as a link is refused the same way,
    named on one line with what it points to. In a list, that entry fails and the rest is mined."""
    root = write_tree(tmp_path / "proj", {"ok.py": "def ok(): ...\n"})
    (tmp_path / "alias").symlink_to(root)
    db = str(tmp_path / "s.duckdb")
    assert main(["--db", db, "mine", str(tmp_path / "alias")]) == 2
    error = f"curate: error: {tmp_path / 'alias'}: a link: curate never follows links (mine what it points to: {root})"
    assert capsys.readouterr().err == error + "\n"
    (tmp_path / "list.txt").write_text("alias\nproj\n")
    assert main(["--db", db, "mine", "--from", str(tmp_path / "list.txt")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"alias\tfailed: {tmp_path / 'alias'}: a link: curate never follows links")
    assert out[1].startswith("proj\tmined: 1 files, 1 mined")
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        assert [source.name for source in store.sources()] == ["proj"]


def test_a_source_stays_in_its_domain(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Mining a source again under another domain used to move it there silently, and the examples
    made from it in its first domain were rejected: now an input error naming the domain it is in.
    Without --domain it stays where it is; under another --name it is mined into the new one too."""
    root = write_tree(tmp_path / "proj", {"ok.py": "def ok(): ...\n"})
    mine(store, root, domain="first", jobs=1)
    with pytest.raises(InputError, match="source 'proj' already belongs to domain 'first', not 'second'") as raised:
        mine(store, root, domain="second", jobs=1)
    assert raised.value.hint == "mine it with --domain first, or under another --name"
    assert mine(store, root, jobs=1).domain == "first"
    mine(store, root, domain="second", name="proj-second", jobs=1)
    assert [(source.name, source.domain) for source in store.sources()] == [
        ("proj", "first"),
        ("proj-second", "second"),
    ]
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "mine", str(root), "--domain", "first"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "mine", str(root), "--domain", "second"]) == 2
    assert capsys.readouterr().err == (
        "curate: error: source 'proj' already belongs to domain 'first', not 'second' "
        "(mine it with --domain first, or under another --name)\n"
    )
