"""`curate eval MIX --configs base RUN ...`: the call/no-call test on a built mix's test split, for
several configurations side by side, every score kept in the store.

A prompt is a test conversation up to its first assistant turn; the expected answer is that turn's
first tool call, or no call. Predicted calls are executed against the example's own domain, so
different but equivalent arguments count as right. Scores are given for the whole test split and for
each language (python, html, or mixed: the languages of the tools the example calls, else its
domain's, as the audit reads them), domain and conversation shape, so a phase that
adds HTML shows what it did for HTML and what it cost Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import CurateError, InputError
from curate.languages import catalog_languages, domain_languages, example_languages
from curate.mix import read_lockfile
from curate.store import Store
from curate.tools import Executor, result_content
from train.evaluate import Call, Prompt, Scores, by_group, evaluate_model

DIMENSIONS = ("language", "domain", "shape")
"""What test prompts are grouped by, besides the whole split."""


@dataclass(frozen=True)
class Evaluated:
    """A configuration's scores on the whole test split, and by each dimension's values."""

    scores: Scores
    groups: dict[str, dict[str, Scores]] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        """As the store keeps it: the whole split's scores, with `groups` beside them."""
        groups = {
            dimension: {value: asdict(s) for value, s in found.items()} for dimension, found in self.groups.items()
        }
        return {**asdict(self.scores), "groups": groups}


def language_label(languages: list[str]) -> str:
    """One language's name, or `mixed` for an example about several."""
    return languages[0] if len(languages) == 1 else "mixed"


def prompts_of(store: Store, mixes: Path, mix: str) -> list[Prompt]:
    """The test split's prompts, each knowing its domain (where its calls run)."""
    lockfile = read_lockfile(mixes, mix)
    if not lockfile.splits.get("test"):
        raise InputError(f"mix {mix!r} has an empty test split", hint="give its [splits] a test share")
    prompts = []
    items = store.examples(ids=lockfile.splits["test"])
    # the audit's rule: the languages of the tools an example calls, else its domain's
    languages = example_languages(items, catalog_languages(), domain_languages(store, items))
    for item in items:
        messages = item.record["messages"]
        first = next(i for i, message in enumerate(messages) if message["role"] == "assistant")
        calls = messages[first].get("tool_calls") or []
        expected = Call(calls[0]["function"]["name"], calls[0]["function"]["arguments"]) if calls else None
        domain = str(item.record["domain"])
        groups = {
            "language": language_label(languages[item.id]),
            "domain": domain,
            "shape": str(item.record.get("shape", "single")),
        }
        tools = item.record["tools"] or None
        prompts.append(Prompt(messages[:first], tools, expected, domain, groups, reference=messages[first]))
    return prompts


def configuration(store: Store, name: str, model: str | None) -> tuple[str, str | None]:
    """(model folder, adapters folder) for `base`, a run id, or a model folder (e.g. a fused one)."""
    runs = {run.run_id: run for run in store.train_runs()}
    if name in runs:
        run = runs[name]
        folder = Path(run.folder)
        base = str(folder / "model") if run.model == "tiny" else run.model
        return base, str(folder / "adapters")
    if name == "base":
        if model is None:
            first = next(iter(runs.values()), None)
            if first is None:
                raise InputError("`base` needs --model, or a training run to take the model from")
            return configuration(store, first.run_id, None)[0], None
        return model, None
    if (Path(name) / "config.json").is_file():
        return name, None
    raise InputError(f"{name!r} is not `base`, a training run or a model folder")


def evaluate(
    store: Store,
    mixes: Path,
    mix: str,
    configs: list[str],
    *,
    eval_id: str,
    model: str | None,
    max_tokens: int | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Evaluated]:
    """Score each configuration on the mix's test prompts, as a whole and by group;
    `on_progress(done, total)` after each configuration."""
    prompts = prompts_of(store, mixes, mix)
    executors: dict[str, Executor] = {}

    def execute(domain: str, name: str, arguments: dict[str, Any]) -> str:
        if domain not in executors:
            executors[domain] = Executor(store, domain)
        return result_content(executors[domain](name, arguments))

    results: dict[str, Evaluated] = {}
    for config in configs:
        model_path, adapters = configuration(store, config, model)
        try:
            scores, _, cases = evaluate_model(
                model_path, prompts, adapter_path=adapters, execute=execute, max_tokens=max_tokens
            )
        except CurateError:
            raise
        except (OSError, ValueError) as error:
            raise InputError(f"{config}: cannot load {model_path}: {str(error).splitlines()[0]}") from None
        groups = {dimension: by_group(cases, dimension, execute) for dimension in DIMENSIONS}
        results[config] = Evaluated(scores, groups)
        store.add_eval_result(eval_id, mix, config, model_path, adapters, results[config].stored())
        if on_progress is not None:
            on_progress(len(results), len(configs))
    return results


SCORE_ROWS: tuple[tuple[str, Callable[[Scores], str]], ...] = (
    ("prompts", lambda s: str(s.cases)),
    ("call / no-call accuracy", lambda s: f"{s.accuracy:.1%}"),
    ("call precision / recall", lambda s: f"{s.call_precision:.1%} / {s.call_recall:.1%}"),
    ("call F1", lambda s: f"{s.call_f1:.3f}"),
    ("irrelevance accuracy", lambda s: f"{s.irrelevance_accuracy:.1%}"),
    ("tool name accuracy", lambda s: f"{s.tool_name_accuracy:.1%}"),
    ("argument exact match", lambda s: f"{s.argument_exact_match:.1%}"),
    ("execution match", lambda s: f"{(s.execution_match or 0):.1%}"),
    ("calls / malformed / none", lambda s: "{call} / {malformed_call} / {no_call}".format(**s.outcomes)),
    ("latency mean / p50 / p95", lambda s: f"{s.latency_mean:.2f} / {s.latency_p50:.2f} / {s.latency_p95:.2f} s"),
    ("tokens/s", lambda s: f"{s.tokens_per_second:.1f}"),
)


GROUP_ROWS: tuple[tuple[str, Callable[[Scores], str]], ...] = (
    ("accuracy", lambda s: f"{s.accuracy:.1%}"),
    ("call F1", lambda s: f"{s.call_f1:.3f}"),
    ("tool name accuracy", lambda s: f"{s.tool_name_accuracy:.1%}"),
    ("latency p50", lambda s: f"{s.latency_p50:.2f} s"),
)


def render_scores(results: dict[str, Evaluated]) -> str:
    """Configurations as columns, scores as rows: the whole test split, then each language, domain and
    shape (its prompt count in brackets)."""
    rows: list[tuple[str, list[str]]] = [
        (name, [show(result.scores) for result in results.values()]) for name, show in SCORE_ROWS
    ]
    first = next(iter(results.values()), None)
    for dimension in DIMENSIONS:
        values = first.groups.get(dimension, {}) if first is not None else {}
        for value, scores in values.items():
            for name, show in GROUP_ROWS:
                label = f"{dimension} {value} ({scores.cases}): {name}"
                rows.append((label, [show(result.groups[dimension][value]) for result in results.values()]))
    width = max(len(name) for name, _ in rows)
    lines = [" " * width + "".join(f"  {config:>28}" for config in results)]
    lines += [f"{name:<{width}}" + "".join(f"  {cell:>28}" for cell in cells) for name, cells in rows]
    return "\n".join(lines) + "\n"
