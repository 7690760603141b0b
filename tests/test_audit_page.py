"""The audit page: split tables, samples, charts with axes, and accessibility checked three ways (the
page's own structure, curate's own `check_accessibility` tool over the page mined as an HTML domain,
and axe-core in headless Chromium)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html

from curate.audit import audit
from curate.audit_html import render_html
from curate.mine import mine
from curate.split import assign_splits
from curate.store import LightExample, Store
from curate.synth import run_synth
from curate.tools import call_tool
from schemas import AuditReport, Splits
from tests.conftest import REPO, SAMPLE

NPM_CACHE = Path(os.environ.get("CURATE_TEST_NPM", Path.home() / ".cache" / "curate-tests" / "npm"))
NPM_PACKAGES = ("axe-core@4", "playwright-core@1")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_DRIVER = """
const path = require("path");
const fs = require("fs");
const [cache, browserPath, page, args] = process.argv.slice(2);
const { chromium } = require(path.join(cache, "node_modules", "playwright-core"));
const axeSource = fs.readFileSync(path.join(cache, "node_modules", "axe-core", "axe.min.js"), "utf8");
(async () => {
  const browser = await chromium.launch({ executablePath: browserPath, args: JSON.parse(args) });
  try {
    const tab = await browser.newPage();
    await tab.goto(page);
    await tab.addScriptTag({ content: axeSource });
    const [version, results] = await tab.evaluate(async () => [axe.version, await axe.run(document)]);
    const brief = (rule) => ({
      id: rule.id, impact: rule.impact, help: rule.help,
      nodes: rule.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    });
    process.stdout.write(JSON.stringify({
      version, violations: results.violations.map(brief), passes: results.passes.map((r) => r.id),
    }));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditReport]:
    with Store.open(tmp_path_factory.mktemp("page") / "s.duckdb") as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
        mine(store, REPO / "data" / "samples" / "html" / "site", domain="site", jobs=1)
        run_synth(store, "shop", 60, run_id="a", seed=1)
        run_synth(store, "site", 30, run_id="b", seed=1)
        examples = store.examples()
        splits = assign_splits(examples, store.clusters(), Splits(), 0)
        # the site's test examples moved to train: the page must say the site can not be evaluated
        site = {item.id for item in examples if item.record["domain"] == "site"}
        splits = {key: "train" if key in site else split for key, split in splits.items()}
        yield audit(examples, scope="the store", splits=splits, clusters=store.clusters())


@pytest.fixture(scope="module")
def page(report: AuditReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("written") / "audit.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def test_the_page_tables_each_domain_against_the_splits(report: AuditReport, page: Path) -> None:
    document = html.fromstring(page.read_bytes())
    caption = "Split by domain: examples of each domain in each split"
    (table,) = document.xpath("//table[caption = $caption]", caption=caption)
    assert [th.text_content() for th in table.xpath("./thead/tr/th")] == ["domain", "train", "valid", "test", "total"]
    assert all(th.get("scope") == "col" for th in table.xpath("./thead/tr/th"))
    rows = {
        tr.xpath("./th")[0].text_content(): [int(td.text_content()) for td in tr.xpath("./td")]
        for tr in table.xpath("./tbody/tr")
    }
    expected = {row.value: [*row.counts, row.total] for row in report.by_split["domain"].rows}
    assert rows == expected and rows["site"][2] == 0 and rows["shop"][2] > 0
    (missing,) = table.xpath(".//td[contains(@class, 'missing')]")
    assert missing.getparent().xpath("./th")[0].text_content() == "site"
    assert "domain site has no test examples: it can not be evaluated" in document.xpath(
        "//li[@class='warning']/text()"
    )
    assert document.xpath("//table[starts-with(caption, 'Split by kind')]")
    assert document.xpath("//table[starts-with(caption, 'Split by language')]")


def test_the_page_samples_questions_escaped() -> None:
    hostile = "<script>alert(1)</script> & more " + "x" * 300
    record = {
        "id": "e1",
        "domain": "d",
        "kind": "direct",
        "intent": "i",
        "template": "t/q1",
        "provenance": {},
        "messages": [{"role": "user", "content": hostile}],
    }
    report = audit([LightExample(record, "ok", 10, 0, (), ())], scope="one", splits={"e1": "test"})
    page = render_html(report)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    document = html.fromstring(page)
    (cell,) = document.xpath("//table[starts-with(caption, 'Sample questions by domain')]//li")
    assert len(cell.text_content()) <= 140 and cell.text_content().endswith("\u2026")


def test_every_chart_is_a_named_figure_with_labelled_axes(report: AuditReport, page: Path) -> None:
    document = html.fromstring(page.read_bytes())
    assert document.get("lang") == "en" and len(document.xpath("//main")) == 1
    charts = document.xpath("//svg")
    assert len(charts) == len([values for values in report.breakdowns.values() if values]) + 1
    for chart in charts:
        assert chart.get("role") == "img" and chart.getparent().tag == "figure"
        assert chart.getparent().xpath("./figcaption")
        name, about = chart.get("aria-labelledby").split()
        assert chart.xpath("./title/@id") == [name] and chart.xpath("./desc/@id") == [about]
        assert chart.xpath("./title")[0].text_content().startswith("Examples by ")
    lengths = charts[-1]
    labels = [text.text_content() for text in lengths.xpath(".//text")]
    assert "tokens per example" in labels and "examples" in labels
    assert report.lengths is not None
    edges = [f"{low:,}" for low, _, _ in report.lengths.histogram] + [f"{report.lengths.histogram[-1][1]:,}"]
    assert all(edge in labels for edge in edges), "every bin edge is labelled on the x axis"
    assert all(f"{count:,}" in labels for _, _, count in report.lengths.histogram), "every bin shows its count"
    domain = charts[0]
    assert {"examples", "domain", "0"} <= {text.text_content() for text in domain.xpath(".//text")}
    levels = [int(heading.tag[1]) for heading in document.xpath("//h1 | //h2 | //h3 | //h4")]
    assert levels[0] == 1 and all(after <= before + 1 for before, after in itertools.pairwise(levels))
    assert all(th.get("scope") in {"col", "row"} for th in document.xpath("//th"))


def test_the_page_passes_curates_own_accessibility_check(page: Path, tmp_path: Path) -> None:
    """The page mined as an HTML domain; `check_accessibility` reads the findings the extractor stored."""
    broken = tmp_path / "broken"
    broken.mkdir()
    # a control: the same page without its main landmark is caught, so the check does run
    (broken / "audit.html").write_text(page.read_text().replace("<main>", "").replace("</main>", ""))
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, page.parent, domain="audit", jobs=1)
        mine(store, broken, domain="broken", jobs=1)
        result = call_tool(store, "audit", "check_accessibility", {}, limit=0)
        assert (result.total, result.matches) == (0, [])
        control = call_tool(store, "broken", "check_accessibility", {}, limit=0)
    assert [match["rule"] for match in control.matches] == ["landmark-one-main"]


def axe_packages() -> Path:
    """axe-core and playwright-core from the npm registry, into a cache that outlives the run."""
    if all((NPM_CACHE / "node_modules" / name.split("@")[0] / "package.json").exists() for name in NPM_PACKAGES):
        return NPM_CACHE
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed here: axe-core can not run")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    installed = subprocess.run(
        [npm, "install", "--prefix", str(NPM_CACHE), "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {' '.join(NPM_PACKAGES)} (offline?): {installed.stderr.strip()[-300:]}")
    return NPM_CACHE


def test_axe_core_finds_no_serious_or_critical_violation(page: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it)")
    cache = axe_packages()
    driver = tmp_path / "axe.cjs"
    driver.write_text(AXE_DRIVER)
    ran = subprocess.run(
        ["node", str(driver), str(cache), browser, page.as_uri(), json.dumps(CHROMIUM_ARGS)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    results = json.loads(ran.stdout)
    assert re.fullmatch(r"4\.\d+\.\d+", results["version"])
    grave = [rule for rule in results["violations"] if rule["impact"] in {"serious", "critical"}]
    assert grave == [], json.dumps(grave, indent=1)
    # the rules this page most needs did run and pass
    assert {"svg-img-alt", "landmark-one-main", "html-has-lang", "color-contrast", "th-has-data-cells"} <= set(
        results["passes"]
    )


def test_an_empty_scope_gives_a_page_without_charts_or_tables() -> None:
    page = render_html(audit([], scope="nothing", splits={}))
    document = html.fromstring(page)
    assert document.xpath("//main/h1/text()") == ["Audit of nothing"]
    assert not document.xpath("//svg | //table") and "No examples." in page
