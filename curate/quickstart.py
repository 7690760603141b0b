"""The README's quickstart on embedded defaults: mine the sample shop project, the stdlib's
`asyncio` and the installed Typer package (real code nobody here wrote) and the sample web site,
answer questions users ask, synthesize verified training examples for each domain, build the
reference's phase mixes and export phase 7 for mlx-lm."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curate.dedup import dedup
from curate.export import export
from curate.mine import mine
from curate.mix import build, diff, write_lockfile
from curate.render import conversation
from curate.report import mix_rows, render_mixes
from curate.shape_phrases import COMPOSED
from curate.store import Store
from curate.synth import run_synth
from curate.tools import call_tool
from curate.validate import validate
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
SAMPLE = SAMPLES / "python" / "shop"
SITE = SAMPLES / "html" / "site"

QUESTIONS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("Show me the FastAPI route definitions", "shop", "find_routes", {}),
    ("Find all pytest fixtures", "shop", "find_fixtures", {}),
    ("Which CLI commands does the shop have?", "shop", "find_cli_commands", {}),
    ("Find all async functions in this codebase", "asyncio", "find_symbols", {"kind": "async_function"}),
    ("Find all form elements in this HTML", "site", "query_html", {"selector": "form"}),
    ("Show me the navigation component", "site", "find_landmarks", {"role": "navigation"}),
    ("Which images lack alt text?", "site", "check_accessibility", {"rules": ["image-alt"]}),
)

EXAMPLES = (("shop", 100), ("asyncio", 200), ("typer", 60), ("site", 40))
"""Examples synthesized per domain, at the reference's 76/24 tool-call/direct balance."""
SHAPE_MIX: dict[str, float] = dict.fromkeys(COMPOSED, 0.05)
"""Of each domain's examples, 5% of each shape beyond single (parallel, multi-step, multi-turn,
clarification, recovery): a quarter of all examples, every one a tool call."""
DISTRACTORS = 2
"""Each example offers the tools it calls and two others (a direct answer three), not the whole
catalog: the model must still pick the right tool, in rows a fifth as long."""


def _describe(match: dict[str, Any]) -> str:
    where = f"{match['path']}:{match['line']}"
    if "rule" in match:
        return f"{where}  {match['rule']}: {match['message']}"
    if "role" in match:
        label = f" ({match['label']})" if match["label"] else ""
        return f"{where}  <{match['tag']}> {match['role']}{label}"
    if "tag" in match:
        action = match["attributes"].get("action")
        return f"{where}  <{match['tag']}>{f' action={action}' if action else ''}"
    if "methods" in match:
        return f"{where}  {','.join(match['methods'])} {match['route']}  -> {match['name']}"
    if "scope" in match:
        return f"{where}  {match['name']} (scope {match['scope']}{', autouse' if match['autouse'] else ''})"
    if "framework" in match:
        return f"{where}  {match['name']} ({match['framework']})"
    return f"{where}  {match.get('signature', match.get('name', ''))}"


def sources() -> list[tuple[Path, str]]:
    """(folder, domain) of what the quickstart mines: the sample project, the stdlib's asyncio, the
    installed Typer package and the sample web site."""
    import typer

    return [
        (SAMPLE, "shop"),
        (Path(asyncio.__file__).parent, "asyncio"),
        (Path(typer.__file__).parent, "typer"),
        (SITE, "site"),
    ]


def mine_samples(store: Store) -> Iterator[str]:
    for target, domain in sources():
        stats = mine(store, target, domain=domain)
        facts = sum(stats.facts.values())
        yield (
            f"mined {domain}: {stats.files} files ({stats.mined} parsed, {stats.unchanged} unchanged, "
            f"{sum(stats.failed.values())} failed){f', {facts} facts' if facts else ''}"
        )


def synthesize_samples(store: Store) -> Iterator[str]:
    """Synthesize every domain's examples (all verified), then validate the whole store."""
    for domain, wanted in EXAMPLES:
        run_id = f"quickstart-synth-{domain}"
        synthesis, added = run_synth(
            store, domain, wanted, run_id=run_id, seed=0, shapes=SHAPE_MIX, distractors=DISTRACTORS
        )
        made = synthesis.stats()
        rejected = sum(made["rejected"].values())
        composed = sum(count for shape, count in made["shapes"].items() if shape != "single")
        yield (
            f"synthesized {domain}: {made['tool_call']} tool calls ({composed} of them parallel, multi-step, "
            f"multi-turn, clarification or recovery) + {made['direct']} direct answers "
            f"({made['paired']} matched pairs, {added} new, {rejected} candidates rejected), all verified"
        )
    validation = validate(store, run_id="quickstart-validate")
    yield f"validated {validation.examples} stored examples: " + ", ".join(
        f"{status} {count}" for status, count in sorted(validation.status.items())
    )


def run_quickstart(store: Store, mixes: Path, exports: Path, shown: int = 8) -> Iterator[str]:
    yield from mine_samples(store)
    for question, domain, tool, arguments in QUESTIONS:
        result = call_tool(store, domain, tool, arguments, limit=shown)
        count = f"showing {len(result.matches)} of {result.total}" if result.truncated else f"{result.total}"
        yield ""
        yield f"? {question}  [{tool} {arguments or ''} on {domain}: {count}]"
        for match in result.matches:
            yield f"  {_describe(match)}"
    yield ""
    yield from synthesize_samples(store)
    shown_example = store.examples(domain="shop", kind="tool_call")[0]
    yield ""
    yield conversation(shown_example).rstrip()
    yield ""
    yield from curate_and_export(store, mixes, exports)
    yield ""
    yield "Next: curate audit --mix phase7 --html audit.html; curate mix diff phase6 phase7; curate demo"


def curate_and_export(store: Store, mixes: Path, exports: Path) -> Iterator[str]:
    """Dedup, build the reference's phase mixes, compare them, audit and export phase 7."""
    for domain, _ in EXAMPLES:
        report = dedup(store, domain)
        yield f"dedup {domain}: {report.exact_dropped} exact and {report.near_dropped} near duplicates set aside"
    built = {}
    for name in ("phase6", "phase7"):
        built[name] = build(store, mixes, name)
        path = write_lockfile(mixes, built[name])
        splits = ", ".join(f"{split} {count}" for split, count in built[name].counts.splits.items())
        yield f"mix {name}: {built[name].counts.total} examples ({splits}) -> {path}"
    change = diff(store, built["phase6"], built["phase7"])
    added = sum(len(ids) for ids in change.added.values())
    kinds = {d.value: d for d in change.drift if d.dimension == "kind"}
    yield (
        f"phase6 -> phase7: +{added} examples, tool calls {kinds['tool_call'].before:.1%} -> "
        f"{kinds['tool_call'].after:.1%}"
    )
    done = export(store, mixes, "phase7", exports / "phase7", check=check_export, build_tokenizer=build_tokenizer)
    trip = done.manifest["round_trip"]
    yield (
        f"exported phase7 for mlx-lm to {exports / 'phase7'}: "
        + ", ".join(f"{split} {rows}" for split, rows in done.manifest["rows"].items())
        + f" rows; {trip['rows']} rows and {trip['calls']} tool calls round-tripped through mlx-lm"
    )
    yield ""
    yield render_mixes(mix_rows(store, mixes)).rstrip()
