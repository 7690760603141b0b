"""An audit as one self-contained HTML page: inline SVG bars and histograms, no script, no network.

The page passes curate's own accessibility rules (`sources.html.a11y`) and axe-core's serious and
critical ones: a `main` landmark, a `lang`, headings in order, header cells with a scope, text of
at least 4.5:1 contrast, and every chart a `<figure>` whose `<svg role="img">` is named by its
`<title>` and described, numbers and all, by its `<desc>`; each chart has labelled axes.
"""

from __future__ import annotations

import math
from html import escape

from schemas import AuditReport, Sample, Share, SplitTable

BAR_COLOR = "#3b6ea5"
HISTOGRAM_COLOR = "#d9822b"
AXIS_COLOR = "#57606a"
GRID_COLOR = "#d8dee4"
WIDTH = 640
ROW = 22
LABEL = 200
MAX_BARS = 15
TITLES = {"calls": "number of tool calls"}
TEST_SPLIT = "test"
MANY_VALUED = frozenset({"tool", "source", "license", "language"})
"""Dimensions where one example can count under several values."""

STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1d2430; background: #fff; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
.violation { color: #b42318; font-weight: 600; }
.warning { color: #8a4b00; font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
td.count { text-align: right; font-variant-numeric: tabular-nums; }
td.missing { color: #b42318; font-weight: 600; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
figure { margin: .5rem 0 1rem; }
figcaption { color: #57606a; font-size: .9rem; }
ul.samples { margin: 0; padding-left: 1.1rem; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
svg .axis { stroke: #57606a; } svg .grid { stroke: #d8dee4; }
"""


def nice_ticks(biggest: int, count: int = 4) -> list[int]:
    """0 and a few round steps (1, 2 or 5 times a power of ten) up to at least `biggest`."""
    if biggest <= 0:
        return [0, 1]
    rough = biggest / count
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)
    return list(range(0, math.ceil(biggest / step) * step + 1, step))


def label(value: str, limit: int = 28) -> str:
    """A value short enough for the left axis; the chart's description has it whole."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def figure(number: int, title: str, description: str, width: int, height: int, body: str, caption: str) -> str:
    """A chart: an `<svg role="img">` named by its title, described by its numbers, in a captioned figure."""
    name, about = f"chart-{number}-title", f"chart-{number}-desc"
    return (
        f'<figure><svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{name} {about}"><title id="{name}">{escape(title)}</title>'
        f'<desc id="{about}">{escape(description)}</desc>{body}</svg>'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def bars(number: int, dimension: str, values: list[Share], total: int) -> str:
    """Horizontal bars: the values down the left axis, examples along the bottom one."""
    shown = values[:MAX_BARS]
    top, bottom = 4, 42
    plot = WIDTH - LABEL - 110
    height = top + ROW * len(shown) + bottom
    ticks = nice_ticks(max((value.count for value in shown), default=1))
    scale = plot / ticks[-1]
    axis_y = top + ROW * len(shown)
    parts = []
    for tick in ticks:
        x = LABEL + tick * scale
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}"/>'
            f'<line class="axis" x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}"/>'
            f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle">{tick:,}</text>'
        )
    for index, value in enumerate(shown):
        y = top + index * ROW
        length = value.count * scale
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(label(value.value))}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" fill="{BAR_COLOR}" rx="2"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 15}">{value.count:,} ({value.share:.1%})</text>'
        )
    parts.append(
        f'<line class="axis" x1="{LABEL}" y1="{top}" x2="{LABEL}" y2="{axis_y}"/>'
        f'<line class="axis" x1="{LABEL}" y1="{axis_y}" x2="{LABEL + plot}" y2="{axis_y}"/>'
        f'<text x="{LABEL + plot / 2:.1f}" y="{axis_y + 36}" text-anchor="middle">examples</text>'
        f'<text x="{LABEL - 8}" y="{axis_y + 36}" text-anchor="end">{escape(dimension)}</text>'
    )
    name = TITLES.get(dimension, dimension)
    listed = ", ".join(f"{value.value} {value.count} ({value.share:.1%})" for value in shown)
    more = f" and {len(values) - MAX_BARS} more" if len(values) > MAX_BARS else ""
    chart = figure(
        number,
        f"Examples by {name}",
        f"{listed}{more}.",
        WIDTH,
        height,
        "".join(parts),
        f"Examples of each {name} ({total:,} in all"
        + ("; one may count under several)." if dimension in MANY_VALUED else ")."),
    )
    return chart + (f"<p>and {len(values) - MAX_BARS} more</p>" if more else "")


def histogram(number: int, report: AuditReport) -> str:
    """Token lengths: bins of tokens along the bottom axis, examples up the left one."""
    if report.lengths is None:
        return "<p>No examples.</p>"
    bins = report.lengths.histogram
    height, left, right, top, bottom = 260, 56, 16, 22, 52
    width = WIDTH + 80
    plot_width, plot_height = width - left - right, height - top - bottom
    ticks = nice_ticks(max(count for _, _, count in bins))
    scale = plot_height / ticks[-1]
    step = plot_width / len(bins)
    base = top + plot_height
    parts = []
    for tick in ticks:
        y = base - tick * scale
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    for index, (low, high, count) in enumerate(bins):
        bar = count * scale
        x = left + index * step
        parts.append(
            f'<rect x="{x + 1.5:.1f}" y="{base - bar:.1f}" width="{step - 3:.1f}" height="{bar:.1f}" '
            f'fill="{HISTOGRAM_COLOR}"><title>{count:,} examples of {low:,} to {high - 1:,} tokens</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{base - bar - 5:.1f}" text-anchor="middle">{count:,}</text>'
            f'<line class="axis" x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 5}"/>'
            f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle">{low:,}</text>'
        )
    last = bins[-1][1]
    parts.append(
        f'<line class="axis" x1="{left + plot_width:.1f}" y1="{base}" x2="{left + plot_width:.1f}" y2="{base + 5}"/>'
        f'<text x="{left + plot_width:.1f}" y="{base + 18}" text-anchor="middle">{last:,}</text>'
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>'
        f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_width}" y2="{base}"/>'
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 8}" text-anchor="middle">tokens per example</text>'
        f'<text transform="translate(14 {top + plot_height / 2:.1f}) rotate(-90)" text-anchor="middle">'
        "examples</text>"
    )
    listed = "; ".join(f"{low:,} to {high - 1:,} tokens: {count:,}" for low, high, count in bins)
    return figure(
        number,
        "Examples by token length",
        f"{listed}.",
        width,
        height,
        "".join(parts),
        f"Examples in each range of token counts ({report.lengths.counted_with}; {report.examples:,} in all).",
    )


def split_table(dimension: str, table: SplitTable) -> str:
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in (dimension, *table.splits, "total"))
    rows = []
    for row in table.rows:
        cells = "".join(
            f'<td class="count missing">{count:,}</td>'
            if count == 0 and split == TEST_SPLIT
            else f'<td class="count">{count:,}</td>'
            for split, count in zip(table.splits, row.counts, strict=True)
        )
        rows.append(f'<tr><th scope="row">{escape(row.value)}</th>{cells}<td class="count">{row.total:,}</td></tr>')
    return (
        f"<table><caption>Split by {escape(dimension)}: examples of each {escape(dimension)} in each split</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def shared_turns(report: AuditReport) -> str:
    """The user turns asked in more than one split (a few of them), under the split tables."""
    if not report.shared_turns:
        return "<p>No user turn is asked in more than one split.</p>"
    rows = "".join(
        f"<tr><td>{escape(turn)}</td><td>{escape(', '.join(splits))}</td></tr>"
        for turn, splits in report.shared_turn_samples.items()
    )
    return (
        f"<table><caption>User turns asked in more than one split: {report.shared_turns:,} "
        f"(normalized; the first {len(report.shared_turn_samples)})</caption>"
        f'<thead><tr><th scope="col">turn</th><th scope="col">splits</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def samples_table(dimension: str, values: list[Share], samples: dict[str, list[Sample]]) -> str:
    rows = [
        f'<tr><th scope="row">{escape(value.value)}</th><td><ul class="samples">'
        + "".join(f"<li>{escape(sample.question)}</li>" for sample in samples[value.value])
        + "</ul></td></tr>"
        for value in values[:MAX_BARS]
        if samples.get(value.value)
    ]
    if not rows:
        return ""
    name = TITLES.get(dimension, dimension)
    return (
        f"<table><caption>Sample questions by {escape(name)} (the first by id)</caption>"
        f'<thead><tr><th scope="col">{escape(name)}</th><th scope="col">questions</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(report: AuditReport) -> str:
    lengths = report.lengths
    cards = [
        ("examples", f"{report.examples:,}"),
        ("matched pairs", f"{report.pairs:,}"),
        ("empty results", f"{report.empty_result_share:.1%}"),
        ("median tokens", str(lengths.median) if lengths else "-"),
        ("near-dup clusters", f"{report.near_duplicate_clusters:,}"),
        ("turns in two splits", f"{report.shared_turns:,}"),
    ]
    charted = [(dimension, values) for dimension, values in report.breakdowns.items() if values]
    sections = [
        f"<h2>By {escape(TITLES.get(dimension, dimension))}</h2>{bars(number, dimension, values, report.examples)}"
        + samples_table(dimension, values, report.samples.get(dimension, {}))
        for number, (dimension, values) in enumerate(charted, 1)
    ]
    split_tables = "".join(split_table(dimension, table) for dimension, table in report.by_split.items() if table.rows)
    if split_tables:
        split_tables += shared_turns(report)
    rejections = "".join(
        f'<tr><td>{escape(item.stage)}</td><td class="count">{item.count:,}</td><td>{escape(item.reason)}</td></tr>'
        for item in report.rejections
    )
    rejection_head = '<th scope="col">stage</th><th scope="col">count</th><th scope="col">reason</th>'
    rejection_table = (
        f"<table><thead><tr>{rejection_head}</tr></thead><tbody>{rejections}</tbody></table>"
        if rejections
        else "<p>None.</p>"
    )
    violations = "".join(f'<li class="violation">{escape(item)}</li>' for item in report.violations)
    warnings = "".join(f'<li class="warning">{escape(item)}</li>' for item in report.warnings)
    length_line = (
        f"<p>Counted with {escape(lengths.counted_with)}: min {lengths.minimum}, median {lengths.median}, "
        f"p90 {lengths.p90}, p99 {lengths.p99}, max {lengths.maximum}.</p>"
        if lengths
        else ""
    )
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>curate audit: {escape(report.scope)}</title><style>{STYLE}</style></head>
<body>
<main>
<h1>Audit of {escape(report.scope)}</h1>
<div class="cards">{"".join(f"<div class='card'>{escape(name)}<b>{value}</b></div>" for name, value in cards)}</div>
{f"<h2>Policy violations</h2><ul>{violations}</ul>" if violations else ""}
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
{f"<h2>Splits</h2>{split_tables}" if split_tables else ""}
{"".join(sections)}
<h2>Token lengths</h2>{histogram(len(charted) + 1, report)}{length_line}
<h2>Rejections</h2>
{rejection_table}
</main>
</body>
</html>
"""
