"""The HTML miner against an independent `html.parser` oracle (tests/html_oracle.py).

Each test mines a folder, asks `query_html` for `form`, `input`, `table`, `nav`, `img` and
`img:not([alt])`, and compares the (path, line, tag) rows with what the oracle reads in the same
files. Files the miner recorded as failed are left out of the comparison, and the compared files
and rows are counted, so that a test cannot pass by comparing nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import REPO
from tests.html_oracle import EXTENSIONS, Row, Truth, html_files, truth

SITE = REPO / "data" / "samples" / "html" / "site"
DOCS = Path("/usr/share/doc")
TAG_SELECTORS = ("form", "input", "table", "nav", "img")
NO_ALT = "img:not([alt])"
CORPUS_FILES = 150
CORPUS_MAX_BYTES = 2_000_000
MIN_CORPUS_COMPARED = 50
SHOWN_PER_SIDE = 25


def selected(store: Store, domain: str, selector: str) -> set[Row]:
    result = call_tool(store, domain, "query_html", {"selector": selector}, limit=0)
    return {(match["path"], match["line"], match["tag"]) for match in result.matches}


def difference(aspect: str, expected: set[Row] | set[str], got: set[Row] | set[str]) -> str | None:
    missing, extra = sorted(expected - got), sorted(got - expected)
    if not missing and not extra:
        return None
    lines = [f"{aspect}: {len(missing)} missing (oracle only), {len(extra)} extra (miner only)"]
    for sign, rows in (("-", missing), ("+", extra)):
        lines.extend(f"  {sign} {row}" for row in rows[:SHOWN_PER_SIDE])
        if len(rows) > SHOWN_PER_SIDE:
            lines.append(f"  {sign} ... and {len(rows) - SHOWN_PER_SIDE} more")
    return "\n".join(lines)


def cross_check(store: Store, root: Path, domain: str = "site") -> Truth:
    """Mine root, compare every selector with the oracle on the files mined ok, return the compared truth."""
    mine(store, root, domain=domain, jobs=2)
    source = root.name
    recorded = {record.path for record in store.files(source) if record.path.lower().endswith(EXTENSIONS)}
    mined_ok = {record.path for record in store.files(source, status="ok")}
    expected = truth(str(root))
    problems: list[str] = []
    files = difference("files seen", expected.files, recorded)
    if files is not None:
        problems.append(files)
    compared = expected.restricted(mined_ok)
    for selector in (*TAG_SELECTORS, NO_ALT):
        want = compared.images_without_alt if selector == NO_ALT else compared.of_tag(selector)
        got = {row for row in selected(store, domain, selector) if row[0] in compared.files}
        problem = difference(selector, want, got)
        if problem is not None:
            problems.append(problem)
    assert not problems, "\n".join(problems)
    return compared


def test_sample_site_matches_the_oracle(store: Store) -> None:
    compared = cross_check(store, SITE)
    assert compared.files == set(html_files(str(SITE)))
    assert {tag for _, _, tag in compared.elements} == set(TAG_SELECTORS)
    assert ("signup.html", 37, "input") in compared.elements  # a start tag over several lines
    assert ("article.html", 66, "form") in compared.elements
    assert ("article.html", 72, "form") not in compared.elements  # a nested <form> is dropped
    assert ("templates/base.html", 48, "input") in compared.elements  # Jinja tags inside a start tag
    assert compared.images_without_alt == {("index.html", 48, "img"), ("legacy-latin1.html", 44, "img")}


def copy_docs(target: Path) -> int:
    """Up to CORPUS_FILES HTML pages of /usr/share/doc, spread over the packages, at their relative paths."""
    candidates = [
        path
        for path in html_files(str(DOCS))
        if os.access(DOCS / path, os.R_OK) and (DOCS / path).stat().st_size <= CORPUS_MAX_BYTES
    ]
    if len(candidates) > CORPUS_FILES:
        candidates = [candidates[index * len(candidates) // CORPUS_FILES] for index in range(CORPUS_FILES)]
    for path in candidates:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DOCS / path, target / path)
    return len(candidates)


@pytest.mark.slow
def test_system_docs_match_the_oracle(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "doc"
    if not copy_docs(root):
        pytest.skip(f"no HTML pages under {DOCS}")
    compared = cross_check(store, root)
    assert len(compared.files) >= MIN_CORPUS_COMPARED, sorted(compared.files)
    assert compared.of_tag("table") and compared.of_tag("img") and compared.of_tag("input"), compared.elements
