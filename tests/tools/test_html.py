from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from curate.errors import ToolCallError
from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import REPO

SITE = REPO / "data" / "samples" / "html" / "site"
HTML_TOOLS = {
    "query_html": {"selector": "form"},
    "find_forms": {},
    "find_tables": {},
    "html_outline": {"path": "*.html"},
    "find_landmarks": {},
    "check_accessibility": {},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("site") / "s.duckdb")
    stats = mine(store, SITE, domain="site", jobs=2)
    assert stats.failed == {}
    yield store
    store.close()


def test_html_results_have_the_common_shape(site: Store) -> None:
    for name, arguments in HTML_TOOLS.items():
        result = call_tool(site, "site", name, arguments, limit=0).model_dump()
        assert set(result) == {"tool", "total", "truncated", "matches"} and result["total"] > 0, name
        keys = [(match["path"], match["line"]) for match in result["matches"]]
        assert keys == sorted(keys), name


def test_query_html_css_and_xpath(site: Store) -> None:
    css = call_tool(site, "site", "query_html", {"selector": "nav a", "path": "index.html"}, limit=0)
    xpath = call_tool(site, "site", "query_html", {"selector": "xpath://nav//a", "path": "index.html"}, limit=0)
    assert css.total > 0 and css.matches == xpath.matches
    match = css.matches[0]
    assert set(match) == {"path", "line", "tag", "attributes", "text", "xpath"} and match["tag"] == "a"
    assert match["xpath"].startswith("/html/body/")


def test_query_html_finds_images_without_alt(site: Store) -> None:
    missing = call_tool(site, "site", "query_html", {"selector": "img:not([alt])"}, limit=0)
    findings = call_tool(site, "site", "check_accessibility", {"rules": ["image-alt"]}, limit=0)
    assert {(m["path"], m["line"]) for m in missing.matches} >= {(m["path"], m["line"]) for m in findings.matches}
    assert findings.total > 0 and {m["rule"] for m in findings.matches} == {"image-alt"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"selector": "form[["}, "cannot read selector"),
        ({"selector": "xpath://a/@href"}, "the XPath must select elements"),
        ({"selector": "xpath:count(//a)"}, "the XPath must select elements"),
        ({"selector": "xpath://a[", "path": "index.html"}, "cannot read selector"),
    ],
)
def test_bad_selectors_are_clear_errors(site: Store, arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ToolCallError, match=message):
        call_tool(site, "site", "query_html", arguments)


def test_forms_carry_controls_and_labels(site: Store) -> None:
    forms = call_tool(site, "site", "find_forms", {"path": "signup.html"}, limit=0).matches
    assert len(forms) == 2
    sources = {control.get("label_source") for form in forms for control in form["controls"]}
    assert {"label-for", "label-wrap", "aria-label", "aria-labelledby"} <= sources


def test_the_outline_flags_skipped_levels(site: Store) -> None:
    outline = call_tool(site, "site", "html_outline", {"path": "report.html"}, limit=0).matches
    assert any(heading["skipped_from"] is not None for heading in outline)


def test_landmarks_by_role(site: Store) -> None:
    navigation = call_tool(site, "site", "find_landmarks", {"role": "navigation"}, limit=0).matches
    assert {m["path"] for m in navigation} >= {"index.html", "article.html"}
    assert any(m["tag"] == "div" for m in navigation)


NESTED = "xpath://*[count(following::node()[count(preceding::node()[count(following::node()) > 0]) > 0]) > 0]"


def test_a_costly_xpath_is_refused_before_it_runs_every_time(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Nested counts over following::/preceding:: on 5,000 elements are estimated at 10^16 node visits (the
    eval runs model-predicted calls through this code): refused at once, with the estimate. Ordinary
    selectors on the same page still run."""
    root = tmp_path_factory.mktemp("costly") / "site"
    root.mkdir()
    rows = "".join(f"<li><a href='/p{index}'>item {index}</a></li>" for index in range(2_500))
    (root / "big.html").write_text(f"<html lang='en'><body><main><ul>{rows}</ul></main></body></html>")
    with Store.open(root.parent / "s.duckdb") as store:
        mine(store, root, domain="big", jobs=1)
        started = time.monotonic()
        for _ in range(2):
            with pytest.raises(ToolCallError, match=r"big\.html: the selector is too costly \(about 1\.0e\+16"):
                call_tool(store, "big", "query_html", {"selector": NESTED})
        assert time.monotonic() - started < 30  # refused, not run: far below the years it would take
        assert call_tool(store, "big", "query_html", {"selector": "li:nth-child(2n) a"}, limit=0).total == 1_250
        assert call_tool(store, "big", "query_html", {"selector": "xpath://a[. = 'item 7']"}).total == 1
