"""Real projects from the package registry, for the oracle tests: sdists (their tests included, which
wheels leave out), pinned, fetched once with pip into a cache that outlives the run, and unpacked into
the test's own folder. Offline, set CURATE_TEST_OFFLINE=1 to skip these tests instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

PINNED = {"fastapi": "0.163.2", "starlette": "1.10.0", "flask": "3.1.3", "svcs": "26.2.0"}
CACHE = Path(os.environ.get("CURATE_TEST_CACHE", str(Path.home() / ".cache" / "curate-tests" / "sdists")))


def sdist_archive(name: str) -> Path:
    """The pinned sdist of `name`, downloaded on first use."""
    archive = CACHE / f"{name}-{PINNED[name]}.tar.gz"
    if archive.is_file():
        return archive
    if os.environ.get("CURATE_TEST_OFFLINE"):
        pytest.skip(f"{archive.name} is not cached and CURATE_TEST_OFFLINE is set")
    CACHE.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, "-q", "-d", str(CACHE), f"{name}=={PINNED[name]}"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert archive.is_file(), f"pip download {name}=={PINNED[name]} failed: {done.stderr[-2000:]}"
    return archive


def unpacked(name: str, into: Path) -> Path:
    """The pinned sdist of `name` unpacked under `into`: its project folder."""
    with tarfile.open(sdist_archive(name)) as archive:
        archive.extractall(into, filter="data")
    return into / f"{name}-{PINNED[name]}"
