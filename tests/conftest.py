from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.store import Store
from schemas import Fact
from sources.python import extract_python

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "samples" / "python" / "shop"


def extract(source: str, path: str = "m.py", module: str = "m", **options: object) -> list[Fact]:
    """Facts of a dedented snippet; fails the test if the snippet does not extract."""
    result = extract_python(path, textwrap.dedent(source).encode(), module, **options)  # type: ignore[arg-type]
    assert result.status == "ok", (result.reason, result.error)
    return result.facts


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `needle` in the dedented snippet."""
    seen = 0
    for number, line in enumerate(textwrap.dedent(source).splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the snippet")


def of_kind(facts: list[Fact], kind: str) -> list[Fact]:
    return [fact for fact in facts if fact.kind == kind]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "curate.duckdb")
    yield opened
    opened.close()
