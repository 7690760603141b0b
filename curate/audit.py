"""The balance audit: shares by every dimension users balance on, pairs, empty results, lengths,
near-duplicates and the rejection ledger, checked against a policy. `audit` is pure: examples in,
report out; `audit_scope` and `audit_mix` read their scope from the store and call it."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from curate.errors import InputError
from curate.files import read_toml
from curate.languages import UNKNOWN_LANGUAGE, catalog_languages, domain_languages, example_languages
from curate.mix import read_lockfile
from curate.split import assign_splits, shared_turns
from curate.store import AnyExample, Store
from curate.store.examples import Cluster, called_tools, result_totals
from schemas import (
    SPLIT_NAMES,
    AuditPolicy,
    AuditReport,
    Example,
    LengthStats,
    Rejection,
    RejectionCount,
    Sample,
    Share,
    SplitRow,
    Splits,
    SplitTable,
)

DIMENSIONS = (
    "domain",
    "kind",
    "language",
    "intent",
    "tool",
    "template",
    "split",
    "source",
    "license",
    "shape",
    "calls",
)
HISTOGRAM_BINS = 12
SPLIT_TABLES = ("domain", "kind", "language")
"""The dimensions tabled against the splits (a domain or language with no test examples is warned of)."""
SAMPLED = ("domain", "kind", "language", "shape")
SAMPLES_PER_VALUE = 3
SAMPLE_CHARS = 140
SHARED_TURN_SAMPLES = 5
TEST_SPLIT = "test"


def values_of(
    item: AnyExample,
    dimension: str,
    splits: dict[str, str],
    licenses: Mapping[str, str | None] | None = None,
    languages: Mapping[str, list[str]] | None = None,
) -> list[str]:
    """`languages`: each example's languages, by id (`example_languages`)."""
    record = item.record
    if dimension == "language":
        return (languages or {}).get(item.id) or [UNKNOWN_LANGUAGE]
    if dimension == "tool":
        # each tool once per example, so shares stay shares of examples
        called = item.called if item.called is not None else called_tools(record)
        return sorted(set(called)) or ["(none)"]
    if dimension == "split":
        return [splits.get(item.id, "(none)")]
    if dimension == "shape":
        return [str(record.get("shape") or "single")]
    if dimension == "calls":
        # tool calls in the whole conversation: 0, 1, 2, or 3+
        calls = len(item.called if item.called is not None else called_tools(record))
        return [str(calls) if calls < 3 else "3+"]
    if dimension == "source":
        provenance = record["provenance"]
        names = [source["name"] for source in provenance.get("sources", [])]
        if provenance.get("imported"):
            names.append(f"imported:{provenance['imported']}")
        if provenance.get("card"):
            names.append(f"card:{provenance['card']}")
        return names or ["(none)"]
    if dimension == "license":
        provenance = record["provenance"]
        found = [(licenses or {}).get(source["name"]) or "(unknown)" for source in provenance.get("sources", [])]
        if provenance.get("imported"):
            found.append("(imported)")
        return sorted(set(found)) or ["(card only)"]
    if dimension == "template":
        template = str(record["template"])
        return [template.rsplit("/", 1)[0] if record["kind"] == "tool_call" else template.split("/", 1)[0]]
    return [str(record[dimension])]


def breakdown(
    examples: Sequence[AnyExample],
    dimension: str,
    splits: dict[str, str],
    licenses: Mapping[str, str | None] | None = None,
    languages: Mapping[str, list[str]] | None = None,
) -> list[Share]:
    counts = Counter(value for item in examples for value in values_of(item, dimension, splits, licenses, languages))
    total = len(examples) or 1
    return [
        Share(value=value, count=count, share=count / total)
        for value, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]


def split_table(
    examples: Sequence[AnyExample],
    dimension: str,
    splits: dict[str, str],
    languages: Mapping[str, list[str]] | None = None,
) -> SplitTable:
    counts: Counter[tuple[str, str]] = Counter()
    for item in examples:
        split = splits.get(item.id, "(none)")
        for value in values_of(item, dimension, splits, languages=languages):
            counts[(value, split)] += 1
    names = list(SPLIT_NAMES) + sorted({split for _, split in counts} - set(SPLIT_NAMES))
    totals = Counter[str]()
    for (value, _), count in counts.items():
        totals[value] += count
    return SplitTable(
        splits=names,
        rows=[
            SplitRow(value=value, counts=[counts[(value, split)] for split in names], total=total)
            for value, total in sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
        ],
    )


def shorten(text: str, limit: int = SAMPLE_CHARS) -> str:
    """One line of at most `limit` characters, an ellipsis where it was cut."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def samples_of(
    examples: Sequence[AnyExample], dimension: str, splits: dict[str, str], languages: Mapping[str, list[str]]
) -> dict[str, list[Sample]]:
    """The first `SAMPLES_PER_VALUE` examples by id of each value: the same scope, the same samples."""
    found: dict[str, list[Sample]] = {}
    for item in sorted(examples, key=lambda item: item.id):
        for value in values_of(item, dimension, splits, languages=languages):
            chosen = found.setdefault(value, [])
            if len(chosen) < SAMPLES_PER_VALUE:
                chosen.append(Sample(id=item.id, question=shorten(item.query)))
    return dict(sorted(found.items()))


def tested_counts(report: AuditReport) -> list[tuple[str, str, int]]:
    """(dimension, value, test examples) for every domain and language of the split tables."""
    found: list[tuple[str, str, int]] = []
    for dimension in ("domain", "language"):
        table = report.by_split.get(dimension)
        if table is None or TEST_SPLIT not in table.splits:
            continue
        column = table.splits.index(TEST_SPLIT)
        found.extend((dimension, row.value, row.counts[column]) for row in table.rows)
    return found


def split_warnings(report: AuditReport) -> list[str]:
    """A domain or language with no test examples can not be evaluated on, and a user turn asked in
    two splits is partly remembered: always said, policy or not."""
    counts = tested_counts(report)
    shared = [shared_turns_line(report)] if report.shared_turns else []
    if report.examples and not any(count for _, _, count in counts):
        return ["no example is in the test split: nothing can be evaluated", *shared]
    untested = [
        f"{dimension} {value} has no test examples: it can not be evaluated"
        for dimension, value, count in counts
        if count == 0 and value != UNKNOWN_LANGUAGE
    ]
    return untested + shared


def shared_turns_line(report: AuditReport) -> str:
    samples = "; ".join(f"{turn!r} in {', '.join(splits)}" for turn, splits in report.shared_turn_samples.items())
    return (
        f"{report.shared_turns} normalized user turns are asked in more than one split, so the test partly "
        f"measures remembered phrasings (e.g. {samples})"
    )


def length_stats(tokens: Sequence[int], counted_with: str) -> LengthStats | None:
    if not tokens:
        return None
    ordered = sorted(tokens)

    def quantile(fraction: float) -> int:
        return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    low, high = ordered[0], ordered[-1]
    width = max(1, math.ceil((high + 1 - low) / HISTOGRAM_BINS))
    bins = Counter((value - low) // width for value in ordered)
    histogram = [
        (low + index * width, low + (index + 1) * width, bins.get(index, 0)) for index in range(HISTOGRAM_BINS)
    ]
    while histogram and histogram[-1][2] == 0:
        histogram.pop()
    return LengthStats(
        counted_with=counted_with,
        minimum=low,
        median=quantile(0.5),
        p90=quantile(0.9),
        p99=quantile(0.99),
        maximum=high,
        mean=round(statistics.fmean(ordered), 1),
        histogram=histogram,
    )


NUMBERS = re.compile(r"\d+")
QUOTED = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"")
PATHS = re.compile(r"[\w./-]+\.(?:py|pyi|html?)\b")


def reason_shape(reason: str) -> str:
    """Rejections grouped by kind of reason: quoted names and numbers stand for any."""
    return NUMBERS.sub("N", PATHS.sub("PATH", QUOTED.sub("X", reason)))


def is_empty_result(item: AnyExample) -> bool:
    """Every tool result of the conversation found nothing."""
    totals = item.totals if item.totals is not None else result_totals(item.record)
    return bool(totals) and all(total == 0 for total in totals)


def audit(
    examples: Sequence[AnyExample],
    *,
    scope: str,
    splits: dict[str, str],
    clusters: Sequence[Cluster] = (),
    rejections: Sequence[Rejection] = (),
    count_tokens: Callable[[AnyExample], int] | None = None,
    counted_with: str = "stored estimate",
    policy: AuditPolicy | None = None,
    secrets: Sequence[str] = (),
    licenses: Mapping[str, str | None] | None = None,
    tool_languages: Mapping[str, Collection[str]] | None = None,
    domain_languages: Mapping[str, Collection[str]] | None = None,
) -> AuditReport:
    """`secrets`: the kind of every secret redacted while mining the scope's sources; `licenses`:
    each source's license, by source name; `tool_languages`: each tool's languages (default: the
    catalog's); `domain_languages`: the languages of each domain's mined files."""
    ids = {item.id for item in examples}
    languages = example_languages(
        examples, catalog_languages() if tool_languages is None else tool_languages, domain_languages
    )
    pair_members = Counter(str(item.record["pair_id"]) for item in examples if item.record.get("pair_id"))
    paired = sum(count for count in pair_members.values() if count >= 2)
    broken = sum(count for count in pair_members.values() if count < 2)
    tool_calls = [item for item in examples if item.record["kind"] == "tool_call"]
    empty = sum(1 for item in tool_calls if is_empty_result(item))
    tokens = [count_tokens(item) if count_tokens else item.tokens for item in examples]
    in_scope = [cluster for cluster in clusters if cluster.example_id in ids]
    cluster_sizes = Counter((cluster.domain, cluster.cluster) for cluster in in_scope)
    ledger = Counter((rejection.stage, reason_shape(rejection.reason)) for rejection in rejections)
    shared = shared_turns(examples, splits)
    report = AuditReport(
        scope=scope,
        examples=len(examples),
        breakdowns={dimension: breakdown(examples, dimension, splits, licenses, languages) for dimension in DIMENSIONS},
        pairs=sum(1 for count in pair_members.values() if count >= 2),
        paired_share=paired / len(examples) if examples else 0.0,
        broken_pairs=broken,
        empty_result_share=empty / len(tool_calls) if tool_calls else 0.0,
        lengths=length_stats(tokens, counted_with),
        near_duplicate_clusters=sum(1 for size in cluster_sizes.values() if size >= 2),
        examples_in_clusters=sum(size for size in cluster_sizes.values() if size >= 2),
        secrets=dict(sorted(Counter(secrets).items())),
        rejections=[
            RejectionCount(stage=stage, reason=reason, count=count)
            for (stage, reason), count in sorted(ledger.items(), key=lambda pair: (pair[0][0], -pair[1], pair[0][1]))
        ],
        by_split={dimension: split_table(examples, dimension, splits, languages) for dimension in SPLIT_TABLES},
        samples={dimension: samples_of(examples, dimension, splits, languages) for dimension in SAMPLED},
        shared_turns=len(shared),
        shared_turn_samples=dict(list(shared.items())[:SHARED_TURN_SAMPLES]),
    )
    report = report.model_copy(update={"warnings": split_warnings(report)})
    if policy is not None:
        report = report.model_copy(update={"violations": violations(report, policy)})
    return report


def violations(report: AuditReport, policy: AuditPolicy) -> list[str]:
    found: list[str] = []
    shares = {dimension: {s.value: s for s in values} for dimension, values in report.breakdowns.items()}
    if policy.tool_call_share is not None:
        share = shares["kind"].get("tool_call")
        actual = share.share if share else 0.0
        target = policy.tool_call_share
        if abs(actual - target.target) > target.tolerance + 1e-12:
            found.append(f"tool-call share {actual:.1%} is outside {target.target:.1%} ± {target.tolerance:.1%}")
    if policy.min_per_domain is not None:
        for value in shares["domain"].values():
            if value.count < policy.min_per_domain:
                found.append(f"domain {value.value} has {value.count} examples, fewer than {policy.min_per_domain}")
    for dimension, limit in (("intent", policy.max_intent_share), ("template", policy.max_template_share)):
        if limit is not None:
            for value in shares[dimension].values():
                if value.share > limit:
                    found.append(f"{dimension} {value.value} is {value.share:.1%} of the examples, over {limit:.1%}")
    if policy.max_tokens is not None and report.lengths is not None and report.lengths.maximum > policy.max_tokens:
        found.append(f"the longest example has {report.lengths.maximum} tokens, over {policy.max_tokens}")
    if policy.max_empty_result_share is not None and report.empty_result_share > policy.max_empty_result_share:
        found.append(
            f"{report.empty_result_share:.1%} of tool calls find nothing, over {policy.max_empty_result_share:.1%}"
        )
    if policy.min_paired_share is not None and report.paired_share < policy.min_paired_share:
        found.append(
            f"{report.paired_share:.1%} of the examples are in matched pairs, under {policy.min_paired_share:.1%}"
        )
    least = {"domain": policy.min_test_per_domain, "language": policy.min_test_per_language}
    for dimension, name, count in tested_counts(report):
        wanted = least[dimension]
        if wanted is not None and count < wanted and name != UNKNOWN_LANGUAGE:
            found.append(f"{dimension} {name} has {count} test examples, fewer than {wanted}")
    if policy.max_shared_turns is not None and report.shared_turns > policy.max_shared_turns:
        found.append(
            f"{report.shared_turns} normalized user turns are asked in more than one split, "
            f"over {policy.max_shared_turns}"
        )
    return found


def load_policy(path: Path) -> AuditPolicy:
    data = read_toml(path, "policy file")
    try:
        return AuditPolicy.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "policy"
        raise InputError(f"bad policy: {where}: {problem['msg']}", path=str(path)) from None


def render_text(report: AuditReport, top: int = 8) -> str:
    lines = [f"audit of {report.scope}: {report.examples} examples"]
    for dimension, values in report.breakdowns.items():
        shown = ", ".join(f"{value.value} {value.count} ({value.share:.1%})" for value in values[:top])
        more = f", and {len(values) - top} more" if len(values) > top else ""
        lines.append(f"  by {dimension}: {shown}{more}")
    for dimension, table in report.by_split.items():
        shown = "; ".join(
            f"{row.value} "
            + ", ".join(f"{split} {count}" for split, count in zip(table.splits, row.counts, strict=True))
            for row in table.rows[:top]
        )
        more = f"; and {len(table.rows) - top} more" if len(table.rows) > top else ""
        lines.append(f"  split by {dimension}: {shown}{more}")
    lines.append(
        f"  matched pairs: {report.pairs} ({report.paired_share:.1%} of the examples), {report.broken_pairs} broken"
    )
    lines.append(f"  tool calls that find nothing: {report.empty_result_share:.1%}")
    if report.lengths is not None:
        lengths = report.lengths
        lines.append(
            f"  tokens ({lengths.counted_with}): min {lengths.minimum}, median {lengths.median}, p90 {lengths.p90}, "
            f"p99 {lengths.p99}, max {lengths.maximum}, mean {lengths.mean}"
        )
    lines.append(
        f"  near-duplicate clusters: {report.near_duplicate_clusters} ({report.examples_in_clusters} examples)"
    )
    shown = "; ".join(f"{turn!r} in {', '.join(splits)}" for turn, splits in report.shared_turn_samples.items())
    lines.append(f"  user turns asked in more than one split: {report.shared_turns}{f' ({shown})' if shown else ''}")
    if report.secrets:
        found = ", ".join(f"{kind} {count}" for kind, count in report.secrets.items())
        lines.append(f"  secrets redacted while mining: {found} (none reaches an example)")
    for rejection in report.rejections:
        lines.append(f"  rejected at {rejection.stage}: {rejection.count} x {rejection.reason}")
    for warning in report.warnings:
        lines.append(f"  WARNING: {warning}")
    for violation in report.violations:
        lines.append(f"  VIOLATION: {violation}")
    return "\n".join(lines) + "\n"


def mix_scope(
    store: Store, mixes: Path, name: str, *, light: bool = True
) -> tuple[Sequence[AnyExample], dict[str, str]]:
    """A built mix's examples and the split of each."""
    lockfile = read_lockfile(mixes, name)
    splits = {example_id: split for split, ids in lockfile.splits.items() for example_id in ids}
    return (store.light_examples(ids=lockfile.ids()) if light else store.examples(ids=lockfile.ids())), splits


def source_licenses(store: Store) -> dict[str, str | None]:
    return {source.name: source.license for source in store.sources()}


def secret_kinds(store: Store, examples: Sequence[AnyExample]) -> list[str]:
    """The kind of every secret redacted from the sources of these examples' domains."""
    domains = {str(item.record["domain"]) for item in examples}
    sources = {source.name for source in store.sources() if source.domain in domains}
    return [secret.kind for secret in store.secrets() if secret.source in sources]


def audit_mix(store: Store, mixes: Path, name: str, *, policy: AuditPolicy | None = None) -> AuditReport:
    """`curate audit --mix NAME` with the stored token estimates."""
    examples, splits = mix_scope(store, mixes, name)
    return audit(
        examples,
        scope=f"mix {name}",
        splits=splits,
        clusters=store.clusters(),
        rejections=store.example_rejections(),
        policy=policy,
        secrets=secret_kinds(store, examples),
        licenses=source_licenses(store),
        domain_languages=domain_languages(store, examples),
    )


def audit_scope(
    store: Store,
    mixes: Path,
    *,
    mix_name: str | None = None,
    domain: str | None = None,
    tokenizer: str | None = None,
    policy: AuditPolicy | None = None,
) -> AuditReport:
    """`curate audit`: a built mix (default: every example in the store, split as `assign_splits`
    would), narrowed to one domain if given; tokens counted with `tokenizer` (a tokenizer.json or a
    model folder), else the stored estimates."""
    if mix_name:
        examples, splits = mix_scope(store, mixes, mix_name, light=not tokenizer)
        scope = f"mix {mix_name}"
    else:
        examples = list[AnyExample](store.examples() if tokenizer else store.light_examples())
        splits = assign_splits(examples, store.clusters(), Splits(), 0)
        scope = "the store"
    if domain:
        examples = [item for item in examples if item.record["domain"] == domain]
        scope += f", domain {domain}"
    counter = None
    if tokenizer:
        # verify brings the tool executor with it: imported only when a tokenizer counts
        from curate.verify import conversation_text, tokenizer_counter

        count = tokenizer_counter(tokenizer)
        counter = lambda item: count(conversation_text(Example.model_validate(item.record)))  # noqa: E731
    return audit(
        examples,
        scope=scope,
        splits=splits,
        clusters=store.clusters(),
        rejections=store.example_rejections(domain=domain),
        count_tokens=counter,
        counted_with=f"tokenizer {tokenizer}" if tokenizer else "estimate (3 bytes a token)",
        policy=policy,
        secrets=secret_kinds(store, examples),
        licenses=source_licenses(store),
        domain_languages=domain_languages(store, examples),
    )
