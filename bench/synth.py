"""Synthesis and verification throughput, and near-duplicate detection at scale.

Corpus: packages of the running Python's standard library, each mined as its own domain (real code
present on every machine; mining is not timed). Figures:

- synth: `Synthesizer.run` for `--n` examples split evenly over the domains (76% tool calls), which
  runs every tool call for real and verifies every candidate through the six stages; examples/s
  end to end, and examples/s of each verification stage (examples / seconds spent in that stage);
- re-verify: a fresh `Verifier` per domain over the same records (what `curate validate` does);
- baseline: `schemas.Example.model_validate` over the same records, the floor any verifier pays;
- near-dup: `near_duplicate_groups` over `--queries` real user queries (every phrasing of every
  candidate call the domains' facts allow; when those are too few, the whole stdlib is mined as one
  more domain), against a baseline of computing their MinHashes alone.

- shapes: for each conversation shape beyond single, `Synthesizer.run` over the same domains with
  `--shape-n` examples, a quarter of them of that shape (the rest single calls and direct answers);
  examples/s end to end, and the shape's own conversations per second of that run.

Targets: synth (single shape) >= 1,000 verified examples/s on 2 cores; near-dup over 100,000
queries <= 60 s.
Exits 1 when a target is missed.
Usage: uv run python bench/synth.py [--n 10000] [--shape-n 2000] [--queries 100000] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

# The sibling benchmark; importable because running a script puts its folder first on `sys.path`.
from mine_python import cpu_model, invocation, print_table, replace_section, verdict

from curate.dedup import minhashes, near_duplicate_groups
from curate.intents import DomainFacts, intents_for
from curate.mine import mine
from curate.shape_phrases import COMPOSED
from curate.store import Store, StoredExample
from curate.synth import Synthesizer
from curate.verify import Verifier
from schemas import VERIFICATION_STAGES, Example

STDLIB = Path(os.path.dirname(os.__file__))
DOMAINS = (
    "asyncio",
    "email",
    "unittest",
    "multiprocessing",
    "xml",
    "importlib",
    "idlelib",
    "tkinter",
    "http",
    "logging",
)
SYNTH_TARGET = 1_000.0
NEAR_DUP_TARGET = 60.0
SECTION = "synth"


@dataclass
class Figures:
    examples: int = 0
    synth_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reverify_seconds: float = 0.0
    baseline_seconds: float = 0.0
    rejected: int = 0
    queries: int = 0
    near_seconds: float = 0.0
    minhash_seconds: float = 0.0
    clusters: int = 0
    shapes: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    """Per shape: examples of the run, conversations of the shape, seconds."""

    @property
    def synth_rate(self) -> float:
        return self.examples / self.synth_seconds

    def stage_rate(self, stage: str) -> float:
        seconds = self.stage_seconds.get(stage, 0.0)
        return self.examples / seconds if seconds else float("inf")


def mine_domains(store: Store, domains: Sequence[str]) -> list[str]:
    mined = []
    for domain in domains:
        root = STDLIB / domain
        if root.is_dir():
            mine(store, root, domain=domain, exclude=["test", "tests", "idle_test"])
            mined.append(domain)
    return mined


def synthesize_all(store: Store, domains: Sequence[str], n: int, figures: Figures) -> list[StoredExample]:
    examples: list[StoredExample] = []
    share, extra = divmod(n, len(domains))
    for index, domain in enumerate(domains):
        wanted = share + (1 if index < extra else 0)
        synthesizer = Synthesizer(store, domain, seed=1)
        started = time.perf_counter()
        synthesis = synthesizer.run(wanted)
        figures.synth_seconds += time.perf_counter() - started
        for stage, seconds in synthesizer.verifier.seconds.items():
            figures.stage_seconds[stage] += seconds
        figures.rejected += len(synthesis.rejections)
        examples.extend(synthesis.examples)
    figures.examples = len(examples)
    return examples


def synthesize_shapes(store: Store, domains: Sequence[str], n: int, figures: Figures) -> None:
    share, extra = divmod(n, len(domains))
    for shape in COMPOSED:
        examples = shaped = 0
        seconds = 0.0
        for index, domain in enumerate(domains):
            wanted = share + (1 if index < extra else 0)
            synthesizer = Synthesizer(store, domain, seed=1)
            started = time.perf_counter()
            synthesis = synthesizer.run(wanted, shapes={shape: 0.25})
            seconds += time.perf_counter() - started
            examples += len(synthesis.examples)
            shaped += sum(1 for item in synthesis.examples if item.record["shape"] == shape)
        figures.shapes[shape] = (examples, shaped, seconds)


def reverify(store: Store, examples: Sequence[StoredExample], figures: Figures) -> None:
    by_domain: dict[str, list[StoredExample]] = defaultdict(list)
    for item in examples:
        by_domain[str(item.record["domain"])].append(item)
    started = time.perf_counter()
    for domain, items in by_domain.items():
        verifier = Verifier(store, domain)
        for item in items:
            if not verifier.verify(item.record).passed:
                raise SystemExit(f"bench: a synthesized example failed re-verification: {item.id}")
    figures.reverify_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for item in examples:
        Example.model_validate(item.record)
    figures.baseline_seconds = time.perf_counter() - started


def all_queries(store: Store, domains: Sequence[str], wanted: int) -> list[str]:
    """Every phrasing of every candidate call over the domains, until `wanted` distinct queries."""
    queries: dict[str, None] = {}
    for domain in domains:
        facts = DomainFacts(Synthesizer(store, domain).executor.context, domain)
        for intent in intents_for({"python"}):
            for call in intent.calls(facts):
                for _, template in intent.phrasings(call):
                    queries[template.format(project=domain, **call.slots)] = None
                    if len(queries) >= wanted:
                        return list(queries)
    return list(queries)


def near_dup(queries: list[str], figures: Figures) -> None:
    figures.queries = len(queries)
    started = time.perf_counter()
    minhashes(queries)
    figures.minhash_seconds = time.perf_counter() - started
    started = time.perf_counter()
    figures.clusters = len(near_duplicate_groups(queries))
    figures.near_seconds = time.perf_counter() - started


def table(figures: Figures, domains: Sequence[str]) -> list[tuple[str, str]]:
    rows = [
        ("domains (stdlib packages)", ", ".join(domains)),
        ("examples synthesized and verified", f"{figures.examples:,} ({figures.rejected} candidates rejected)"),
        ("synth + verify, end to end", f"{figures.synth_seconds:.2f} s = {figures.synth_rate:,.0f} examples/s"),
    ]
    rows += [(f"  stage `{stage}`", f"{figures.stage_rate(stage):,.0f} examples/s") for stage in VERIFICATION_STAGES]
    verify_rate = figures.examples / figures.reverify_seconds
    baseline_rate = figures.examples / figures.baseline_seconds
    rows += [
        ("re-verify (fresh verifier, like `curate validate`)", f"{verify_rate:,.0f} examples/s"),
        ("baseline: `Example.model_validate` alone", f"{baseline_rate:,.0f} examples/s"),
        ("re-verify / baseline", f"{figures.reverify_seconds / figures.baseline_seconds:.1f}x"),
        ("target: synth >= 1,000 examples/s", verdict(figures.synth_rate >= SYNTH_TARGET)),
    ]
    rows += [
        (
            f"shape `{shape}` (25% of a run)",
            f"{examples:,} examples in {seconds:.2f} s = {examples / seconds:,.0f} examples/s; "
            f"{shaped:,} {shape} = {shaped / seconds:,.0f}/s",
        )
        for shape, (examples, shaped, seconds) in figures.shapes.items()
    ]
    rows += [
        ("near-dup queries", f"{figures.queries:,} ({figures.clusters:,} clusters at threshold 0.8)"),
        ("baseline: MinHash of every query", f"{figures.minhash_seconds:.2f} s"),
        ("near-dup (MinHash + LSH + union)", f"{figures.near_seconds:.2f} s"),
        ("near-dup / baseline", f"{figures.near_seconds / figures.minhash_seconds:.2f}x"),
        ("target: near-dup <= 60 s", verdict(figures.near_seconds <= NEAR_DUP_TARGET)),
    ]
    return rows


def section(rows: list[tuple[str, str]], command: str) -> str:
    machine = f"{os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.machine()}"
    versions = f"Python {platform.python_version()}, duckdb {version('duckdb')}, datasketch {version('datasketch')}"
    lines = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"## {SECTION}\n\n"
        f"`{command}` on {datetime.date.today().isoformat()}: {machine}; {versions}.\n\n"
        f"| figure | value |\n|---|---|\n{lines}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="examples to synthesize (default 10,000)")
    parser.add_argument("--shape-n", type=int, default=2_000, help="examples per shape run (default 2,000)")
    parser.add_argument("--queries", type=int, default=100_000, help="queries for near-dup (default 100,000)")
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS), help="stdlib packages to mine")
    parser.add_argument("--write", type=Path, help="replace this script's section of that file (BENCHMARKS.md)")
    arguments = parser.parse_args(argv)
    figures = Figures()
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "bench.duckdb") as store:
        started = time.perf_counter()
        domains = mine_domains(store, arguments.domains)
        print(f"mined {len(domains)} domains in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        examples = synthesize_all(store, domains, arguments.n, figures)
        reverify(store, examples, figures)
        synthesize_shapes(store, domains, arguments.shape_n, figures)
        queries = all_queries(store, domains, arguments.queries)
        if len(queries) < arguments.queries:
            mine(store, STDLIB, domain="stdlib", exclude=["test", "site-packages"])
            queries = all_queries(store, [*domains, "stdlib"], arguments.queries)
        near_dup(queries, figures)
    rows = table(figures, domains)
    print_table(rows)
    if arguments.write:
        text = arguments.write.read_text(encoding="utf-8") if arguments.write.exists() else "# Benchmarks\n"
        arguments.write.write_text(replace_section(text, SECTION, section(rows, invocation("bench/synth.py", argv))))
        print(f"\nwrote the {SECTION} section of {arguments.write}")
    passed = figures.synth_rate >= SYNTH_TARGET and figures.near_seconds <= NEAR_DUP_TARGET
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
