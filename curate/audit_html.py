"""An audit as one self-contained HTML page: inline SVG bars and histograms, no script, no network."""

from __future__ import annotations

from html import escape

from schemas import AuditReport, Share

BAR_COLOR = "#3b6ea5"
HISTOGRAM_COLOR = "#d9822b"
WIDTH = 560
ROW = 22
LABEL = 200
MAX_BARS = 15
TITLES = {"calls": "number of tool calls"}

STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1d2430; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
.violation { color: #b42318; font-weight: 600; }
table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
"""


def bars(values: list[Share]) -> str:
    shown = values[:MAX_BARS]
    height = ROW * len(shown) + 4
    biggest = max((value.share for value in shown), default=1.0) or 1.0
    rows = []
    for index, value in enumerate(shown):
        y = index * ROW + 2
        length = (WIDTH - LABEL - 90) * value.share / biggest
        rows.append(
            f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(value.value[:32])}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" fill="{BAR_COLOR}" rx="2"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 15}">{value.count} ({value.share:.1%})</text>'
        )
    more = f"<p>and {len(values) - MAX_BARS} more</p>" if len(values) > MAX_BARS else ""
    svg = f'<svg width="{WIDTH}" height="{height}" role="img">{"".join(rows)}</svg>'
    return svg + more


def histogram(report: AuditReport) -> str:
    if report.lengths is None:
        return "<p>No examples.</p>"
    bins = report.lengths.histogram
    height, bottom = 180, 30
    biggest = max(count for _, _, count in bins) or 1
    width = (WIDTH - 40) / len(bins)
    parts = []
    for index, (low, _high, count) in enumerate(bins):
        bar = (height - bottom - 10) * count / biggest
        x = 20 + index * width
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{width - 3:.1f}" height="{bar:.1f}" '
            f'fill="{HISTOGRAM_COLOR}"><title>{count} examples from {low} tokens</title></rect>'
        )
        if index % 2 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 10}">{low}</text>')
    return f'<svg width="{WIDTH}" height="{height}" role="img">{"".join(parts)}</svg>'


def render_html(report: AuditReport) -> str:
    lengths = report.lengths
    cards = [
        ("examples", f"{report.examples:,}"),
        ("matched pairs", f"{report.pairs:,}"),
        ("empty results", f"{report.empty_result_share:.1%}"),
        ("median tokens", str(lengths.median) if lengths else "-"),
        ("near-dup clusters", f"{report.near_duplicate_clusters:,}"),
    ]
    sections = [
        f"<h2>By {escape(TITLES.get(dimension, dimension))}</h2>{bars(values)}"
        for dimension, values in report.breakdowns.items()
        if values
    ]
    rejections = "".join(
        f"<tr><td>{escape(item.stage)}</td><td>{item.count}</td><td>{escape(item.reason)}</td></tr>"
        for item in report.rejections
    )
    violations = "".join(f'<li class="violation">{escape(item)}</li>' for item in report.violations)
    length_line = (
        f"<p>Counted with {escape(lengths.counted_with)}: min {lengths.minimum}, median {lengths.median}, "
        f"p90 {lengths.p90}, p99 {lengths.p99}, max {lengths.maximum}.</p>"
        if lengths
        else ""
    )
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>curate audit: {escape(report.scope)}</title><style>{STYLE}</style></head>
<body>
<h1>Audit of {escape(report.scope)}</h1>
<div class="cards">{"".join(f"<div class='card'>{escape(name)}<b>{value}</b></div>" for name, value in cards)}</div>
{f"<h2>Policy violations</h2><ul>{violations}</ul>" if violations else ""}
{"".join(sections)}
<h2>Token lengths</h2>{histogram(report)}{length_line}
<h2>Rejections</h2>
{f"<table><tr><th>stage</th><th>count</th><th>reason</th></tr>{rejections}</table>" if rejections else "<p>None.</p>"}
</body>
</html>
"""
