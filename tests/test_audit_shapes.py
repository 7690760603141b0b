"""The audit's shares by conversation shape and by number of tool calls."""

from __future__ import annotations

from pathlib import Path

from curate.audit import audit, render_text
from curate.audit_html import render_html
from curate.split import assign_splits
from curate.store import Store
from schemas import Splits
from tests.conversations import import_rows, rows

COUNTS = {"single": 6, "parallel": 2, "multi_step": 2, "multi_turn": 3, "clarification": 1, "recovery": 1}


def test_the_audit_breaks_down_by_shape_and_by_number_of_calls(store: Store, tmp_path: Path) -> None:
    import_rows(store, tmp_path, "ref", rows(COUNTS))
    examples = store.examples()
    splits = assign_splits(examples, store.clusters(), Splits(), 0)
    report = audit(examples, scope="the store", splits=splits)
    shapes = {share.value: share.count for share in report.breakdowns["shape"]}
    assert shapes == COUNTS
    # single: 2 direct (n = 0, 3) with no call, 4 with one; clarification one; the other shapes two
    calls = {share.value: share.count for share in report.breakdowns["calls"]}
    assert calls == {"0": 2, "1": 5, "2": 8}
    assert report.breakdowns["shape"][0].share == 6 / 15
    text = render_text(report)
    assert "  by shape: single 6 (40.0%), multi_turn 3 (20.0%), multi_step 2 (13.3%), parallel 2 (13.3%)," in text
    assert "  by calls: 2 8 (53.3%), 1 5 (33.3%), 0 2 (13.3%)\n" in text
    page = render_html(report)
    assert "<h2>By shape</h2>" in page and "<h2>By number of tool calls</h2>" in page
    assert audit(store.light_examples(), scope="the store", splits=splits) == report


def test_three_calls_or_more_share_one_bucket(store: Store, tmp_path: Path) -> None:
    import_rows(store, tmp_path, "ref", rows({"parallel": 1}))
    (item,) = store.examples()
    record = dict(item.record)
    assert len(item.called or ()) == 2
    report = audit([item], scope="one", splits={})
    assert [share.value for share in report.breakdowns["calls"]] == ["2"]
    many = type(item)(record, item.status, item.checks, item.tokens, called=("a", "b", "c", "d"))
    assert [share.value for share in audit([many], scope="one", splits={}).breakdowns["calls"]] == ["3+"]
