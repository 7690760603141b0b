from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.audit import audit, domain_languages, example_languages, load_policy, reason_shape, render_text, shorten
from curate.audit_html import BAR_COLOR, HISTOGRAM_COLOR, render_html
from curate.errors import InputError
from curate.mine import mine
from curate.split import assign_splits
from curate.store import LightExample, Store
from curate.synth import run_synth
from schemas import AuditPolicy, Rejection, Splits, Tolerance
from tests.conftest import REPO, SAMPLE
from tests.png import count_color, read_png


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(tmp_path_factory.mktemp("audit") / "s.duckdb")
    mine(opened, SAMPLE, domain="shop", jobs=1)
    mine(opened, REPO / "data" / "samples" / "html" / "site", domain="site", jobs=1)
    run_synth(opened, "shop", 100, run_id="a", seed=1)
    run_synth(opened, "site", 40, run_id="b", seed=1)
    yield opened
    opened.close()


def report_of(store: Store, policy: AuditPolicy | None = None):  # type: ignore[no-untyped-def]
    examples = store.examples()
    return audit(
        examples,
        scope="the store",
        splits=assign_splits(examples, store.clusters(), Splits(), 0),
        clusters=store.clusters(),
        rejections=[
            Rejection(example_id="x", domain="shop", stage="length", reason="4549 tokens, over the maximum of 4096")
        ],
        policy=policy,
    )


def test_the_audit_counts_every_dimension(store: Store) -> None:
    report = report_of(store)
    assert report.examples == 140
    kinds = {share.value: share.count for share in report.breakdowns["kind"]}
    assert kinds == {"tool_call": 106, "direct": 34}
    assert {share.value for share in report.breakdowns["domain"]} == {"shop", "site"}
    assert sum(share.count for share in report.breakdowns["split"]) == 140
    tools = {share.value for share in report.breakdowns["tool"]}
    assert "find_forms" in tools and "(none)" in tools
    assert report.pairs > 5 and report.broken_pairs == 0
    assert 0 < report.empty_result_share < 0.5
    assert report.lengths is not None and report.lengths.minimum <= report.lengths.median <= report.lengths.maximum
    assert sum(count for _, _, count in report.lengths.histogram) == 140
    assert [(r.stage, r.reason, r.count) for r in report.rejections] == [
        ("length", "N tokens, over the maximum of N", 1)
    ]


def test_a_policy_names_each_violation(store: Store) -> None:
    policy = AuditPolicy(
        tool_call_share=Tolerance(target=0.5, tolerance=0.05),
        min_per_domain=50,
        max_intent_share=0.05,
        max_tokens=100,
    )
    violations = report_of(store, policy).violations
    assert violations[0] == "tool-call share 75.7% is outside 50.0% ± 5.0%"
    assert "domain site has 40 examples, fewer than 50" in violations
    assert any(v.startswith("intent concept:") and v.endswith("of the examples, over 5.0%") for v in violations)
    assert violations[-1].startswith("the longest example has") and violations[-1].endswith("tokens, over 100")
    assert report_of(store, AuditPolicy(tool_call_share=Tolerance(target=0.76, tolerance=0.01))).violations == []


def test_policies_load_from_toml_with_clear_errors(tmp_path: Path) -> None:
    good = tmp_path / "policy.toml"
    good.write_text("tool_call_share = { target = 0.762, tolerance = 0.01 }\nmin_per_domain = 30\n")
    assert load_policy(good).min_per_domain == 30
    bad = tmp_path / "bad.toml"
    bad.write_text("tool_share = 0.7\n")
    with pytest.raises(InputError, match=r"bad\.toml: bad policy: tool_share: Extra inputs are not permitted"):
        load_policy(bad)


def test_reasons_are_grouped_by_their_shape() -> None:
    assert reason_shape("`foo` is not in the tool result") == "X is not in the tool result"
    assert reason_shape("src/a.py:12 is not a location") == reason_shape("src/b.py:9 is not a location")


def test_the_html_page_is_self_contained(store: Store) -> None:
    page = render_html(report_of(store))
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_the_html_page_shows_charts_in_a_real_browser(store: Store, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it)")
    page = tmp_path / "audit.html"
    page.write_text(render_html(report_of(store)))
    shot = tmp_path / "audit.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1000,1600",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    width, height, rows = read_png(shot)
    assert (width, height) == (1000, 1600)
    bars = count_color(rows, tuple(int(BAR_COLOR[i : i + 2], 16) for i in (1, 3, 5)))  # type: ignore[arg-type]
    assert bars > 5_000, "no bars drawn"
    dark = sum(1 for row in rows for i in range(0, len(row), 3) if max(row[i : i + 3]) < 80)
    assert dark > 2_000, "no text drawn"
    histogram_shot = tmp_path / "lengths.png"
    whole = render_html(report_of(store))
    lengths_only = whole.split("<h1>")[0] + "<h2>Token lengths</h2>" + whole.split("<h2>Token lengths</h2>")[1]
    (tmp_path / "lengths.html").write_text(lengths_only)
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={histogram_shot}",
            "--window-size=800,700",
            (tmp_path / "lengths.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _, _, rows = read_png(histogram_shot)
    assert count_color(rows, tuple(int(HISTOGRAM_COLOR[i : i + 2], 16) for i in (1, 3, 5))) > 2_000  # type: ignore[arg-type]


def test_light_records_audit_the_same_as_full_ones(store: Store) -> None:
    full, light = store.examples(), store.light_examples()
    splits = assign_splits(full, store.clusters(), Splits(), 0)
    assert audit(full, scope="s", splits=splits) == audit(light, scope="s", splits=splits)


def test_splits_are_tabled_by_domain_kind_and_language(store: Store) -> None:
    examples = store.examples()
    splits = assign_splits(examples, store.clusters(), Splits(), 0)
    report = audit(examples, scope="s", splits=splits, domain_languages=domain_languages(store, examples))
    assert set(report.by_split) == {"domain", "kind", "language"}
    by_domain = report.by_split["domain"]
    assert by_domain.splits == ["train", "valid", "test"]
    expected = Counter((str(item.record["domain"]), splits[item.id]) for item in examples)
    assert {row.value: row.counts for row in by_domain.rows} == {
        domain: [expected[(domain, split)] for split in ("train", "valid", "test")] for domain in ("shop", "site")
    }
    assert [(row.value, row.total) for row in by_domain.rows] == [("shop", 100), ("site", 40)]
    # the sample shop is Python, the sample site HTML: direct answers take their domain's language
    languages = {share.value: share.count for share in report.breakdowns["language"]}
    assert languages == {"python": 100, "html": 40}
    assert {row.value: row.total for row in report.by_split["kind"].rows} == {"tool_call": 106, "direct": 34}
    text = render_text(report)
    assert "  split by domain: shop train {}, valid {}, test {}; site train".format(*by_domain.rows[0].counts) in text
    assert report.warnings == []


def test_a_domain_without_test_examples_is_warned_of_and_a_policy_can_require_them(store: Store) -> None:
    examples = store.examples()
    splits = assign_splits(examples, store.clusters(), Splits(), 0)
    site = {item.id for item in examples if item.record["domain"] == "site"}
    untested = {example_id: "train" if example_id in site else split for example_id, split in splits.items()}
    report = audit(examples, scope="s", splits=untested)
    assert report.by_split["domain"].rows[1].counts[2] == 0
    assert report.warnings == [
        "domain site has no test examples: it can not be evaluated",
        "language html has no test examples: it can not be evaluated",
    ]
    assert "  WARNING: domain site has no test examples: it can not be evaluated\n" in render_text(report)
    assert report.violations == []
    policy = AuditPolicy(min_test_per_domain=1, min_test_per_language=1)
    assert audit(examples, scope="s", splits=untested, policy=policy).violations == [
        "domain site has 0 test examples, fewer than 1",
        "language html has 0 test examples, fewer than 1",
    ]
    assert audit(examples, scope="s", splits=splits, policy=policy).violations == []
    nothing = audit(examples, scope="s", splits=dict.fromkeys(splits, "train"))
    assert nothing.warnings == ["no example is in the test split: nothing can be evaluated"]


def test_the_test_rules_load_from_a_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("min_test_per_domain = 1\nmin_test_per_language = 5\n")
    assert (load_policy(path).min_test_per_domain, load_policy(path).min_test_per_language) == (1, 5)


def test_languages_come_from_the_tools_called_then_from_the_domain() -> None:
    def example(domain: str, *called: str) -> LightExample:
        record = {"id": f"{domain}-{'-'.join(called)}", "domain": domain, "kind": "direct", "messages": []}
        return LightExample(record, "ok", 1, 0, called, ())

    tools = {"find_symbols": {"python"}, "find_forms": {"html"}, "search_text": {"python", "html"}}
    scope = [
        example("app", "find_symbols"),
        example("app", "search_text"),
        example("app"),
        example("web", "search_text"),
        example("docs"),
    ]
    found = example_languages(scope, tools, {"web": {"html"}})
    assert found == {
        "app-find_symbols": ["python"],
        "app-search_text": ["python"],
        "app-": ["python"],
        "web-search_text": ["html"],
        "docs-": ["(unknown)"],
    }


def test_each_value_has_a_few_samples_shortened(store: Store) -> None:
    report = report_of(store)
    shop = report.samples["domain"]["shop"]
    assert len(shop) == 3 and [sample.id for sample in shop] == sorted(sample.id for sample in shop)
    assert set(report.samples) == {"domain", "kind", "language", "shape"}
    assert all(
        0 < len(sample.question) <= 140 for values in report.samples.values() for s in values.values() for sample in s
    )
    assert shorten("word " * 100, 20) == "word word word word\u2026"
