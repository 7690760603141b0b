from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.audit import audit, load_policy, reason_shape
from curate.audit_html import BAR_COLOR, HISTOGRAM_COLOR, render_html
from curate.errors import InputError
from curate.mine import mine
from curate.split import assign_splits
from curate.store import Store
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
    lengths_only = render_html(report_of(store)).split("<h2>By domain</h2>")[0] + (
        "<h2>Token lengths</h2>" + render_html(report_of(store)).split("<h2>Token lengths</h2>")[1]
    )
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
