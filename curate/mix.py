"""Mixture recipes (`data/mixes/NAME.toml`), their deterministic resolution into lockfiles, and diffs.

A build either meets every count and quota exactly and writes `NAME.lock.json`, or writes nothing
and fails with a deficit report saying what is missing and by how much.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from curate.dedup import near_duplicate_groups, normalize
from curate.errors import CheckFailed, InputError
from curate.files import atomic_write, read_text, read_toml
from curate.languages import UNKNOWN_LANGUAGE, catalog_languages, domain_languages, example_languages
from curate.split import place, stratify
from curate.store import SCHEMA_VERSION, AnyExample, LightExample, Store
from schemas import (
    SHAPES,
    SPLIT_NAMES,
    Exclusion,
    Licenses,
    Lockfile,
    MixCounts,
    MixRecipe,
    ResolvedComponent,
    ResolvedMix,
    Selector,
    Shape,
    Splits,
)

MIXES_DIR = Path(__file__).resolve().parent.parent / "data" / "mixes"
DEFAULT_SEED = 0
DECONTAMINATION_THRESHOLD = 0.8
DEFAULT_MIN_TEST = 1
"""Test examples each domain and language of a mix gets, where the recipe does not say."""
LATER_SETTINGS = ("licenses", "shapes", "system", "min_test_per_domain", "min_test_per_language")
"""Recipe settings added after lockfiles were first written: hashed only when set."""


class MixDeficit(CheckFailed):
    """A recipe asks for more than the store holds."""

    def __init__(self, name: str, lines: Sequence[str]) -> None:
        super().__init__(f"mix {name!r} cannot be built: " + "; ".join(lines))
        self.lines = list(lines)


# -- recipes --------------------------------------------------------------------------------------
def recipe_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.toml"


def lock_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.lock.json"


def load_recipe(folder: Path, name: str) -> MixRecipe:
    path = recipe_path(folder, name)
    if not path.is_file():
        known = ", ".join(recipe_names(folder)) or "none"
        raise InputError(f"no mix recipe {name!r} in {folder} (recipes: {known})")
    try:
        recipe = MixRecipe.model_validate(read_toml(path, "mix recipe"))
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "recipe"
        raise InputError(f"bad recipe: {where}: {problem['msg']}", path=str(path)) from None
    if recipe.name != name:
        raise InputError(f"name {recipe.name!r} must match the file name", path=str(path))
    return recipe


def recipe_names(folder: Path) -> list[str]:
    return sorted(path.name.removesuffix(".toml") for path in folder.glob("*.toml"))


def resolve(folder: Path, name: str) -> ResolvedMix:
    chain: list[MixRecipe] = []
    current: str | None = name
    while current is not None:
        if current in [recipe.name for recipe in chain]:
            raise InputError(f"mix {name!r}: `extends` runs in a circle ({' -> '.join(r.name for r in chain)})")
        recipe = load_recipe(folder, current)
        chain.append(recipe)
        current = recipe.extends
    lineage = [recipe.name for recipe in reversed(chain)]

    def setting(field: str) -> Any:
        return next((getattr(recipe, field) for recipe in chain if getattr(recipe, field) is not None), None)

    components: list[ResolvedComponent] = []
    for position, recipe in enumerate(reversed(chain)):
        seed = recipe.seed if recipe.seed is not None else DEFAULT_SEED
        # a recipe's own total, else the nearest ancestor's
        total = next((r.total for r in chain[len(chain) - 1 - position :] if r.total is not None), None)
        counts = share_counts(recipe, total)
        for index, component in enumerate(recipe.components):
            components.append(
                ResolvedComponent(
                    origin=f"{recipe.name}#{index + 1}", seed=seed, select=component.select, count=counts[index]
                )
            )
    quotas = setting("quotas")
    split_seed = setting("split_seed")
    return ResolvedMix(
        name=name,
        lineage=lineage,
        components=components,
        tool_call_share=quotas.tool_call if quotas is not None else None,
        splits=setting("splits") or Splits(),
        split_seed=split_seed if split_seed is not None else DEFAULT_SEED,
        group_by=setting("group_by") or "source",
        min_test_per_domain=setting("min_test_per_domain"),
        min_test_per_language=setting("min_test_per_language"),
        max_tokens=setting("max_tokens"),
        dedup=setting("dedup") or "near",
        decontaminate=[item for recipe in reversed(chain) for item in recipe.decontaminate],
        licenses=setting("licenses"),
        shapes=setting("shapes"),
        system=setting("system"),
    )


def share_counts(recipe: MixRecipe, total: int | None) -> list[int]:
    """Each component's count; shares of `total` are rounded by largest remainder, so they add up."""
    shared = [i for i, component in enumerate(recipe.components) if component.count is None]
    if shared and total is None:
        raise InputError(f"mix {recipe.name!r}: component {shared[0] + 1} has a share but no recipe sets a total")
    counts = [component.count or 0 for component in recipe.components]
    if shared and total is not None:
        exact = {i: (recipe.components[i].share or 0) * total for i in shared}
        for i in shared:
            counts[i] = math.floor(exact[i])
        wanted = min(total, round(sum(exact.values())))
        by_remainder = sorted(shared, key=lambda i: (-(exact[i] - counts[i]), i))
        for i in by_remainder[: max(0, wanted - sum(counts[j] for j in shared))]:
            counts[i] += 1
    return counts


def recipe_hash(mix: ResolvedMix) -> str:
    # settings added since lockfiles were first written hash only when set, so old lockfiles stay valid
    unset = {name for name in LATER_SETTINGS if getattr(mix, name) is None}
    dumped = mix.model_dump(mode="json", exclude=unset)
    return hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()


# -- building ---------------------------------------------------------------------------------------
def matches(selector: Selector, record: dict[str, Any]) -> bool:
    provenance = record["provenance"]
    sources = [source["name"] for source in provenance.get("sources", [])]
    if provenance.get("imported"):
        sources.append(str(provenance["imported"]))
    checks = (
        (selector.domain, [record["domain"]]),
        (selector.kind, [record["kind"]]),
        (selector.intent, [record["intent"]]),
        (selector.template, [record["template"]]),
        (selector.source, sources),
    )
    return all(
        pattern is None or any(fnmatch.fnmatchcase(value, pattern) for value in values) for pattern, values in checks
    )


def describe(selector: Selector) -> str:
    fields = selector.model_dump(exclude_none=True)
    return ", ".join(f"{key}={value}" for key, value in fields.items()) or "everything"


def rank(seed: int, origin: str, example_id: str) -> str:
    return hashlib.sha256(f"{seed}:{origin}:{example_id}".encode()).hexdigest()


def build(store: Store, folder: Path, name: str, *, base: Path | None = None) -> Lockfile:
    """Resolve a recipe against the store: the lockfile, or MixDeficit. Writes nothing."""
    mix = resolve(folder, name)
    examples = store.light_examples()
    clusters = store.clusters()
    dropped = {
        cluster.example_id
        for cluster in clusters
        if not cluster.kept and (mix.dedup == "near" or (mix.dedup == "exact" and cluster.method == "exact"))
    }
    placement = place(examples, clusters, mix.splits, mix.split_seed, mix.group_by)
    excluded = [Exclusion(example_id=i, reason=reason) for i, reason in placement.unplaced.items()]
    excluded += decontaminated(examples, mix.decontaminate, base or folder)
    if mix.licenses is not None:
        excluded += unlicensed(examples, {source.name: source.license for source in store.sources()}, mix.licenses)
    excluded_ids = {item.example_id for item in excluded}
    eligible = [
        item
        for item in examples
        if item.status in ("verified", "unverified")
        and (mix.max_tokens is None or item.tokens <= mix.max_tokens)
        and item.id not in dropped
        and item.id not in excluded_ids
    ]
    taken: set[str] = set()
    buckets: list[Bucket] = []
    deficits: list[str] = []
    for component in mix.components:
        candidates = [item for item in eligible if item.id not in taken and matches(component.select, item.record)]
        candidates.sort(key=lambda item: rank(component.seed, component.origin, item.id))
        wanted: dict[str | None, int]
        if mix.tool_call_share is None:
            wanted = {None: component.count}
        else:
            tool_calls = round(component.count * mix.tool_call_share)
            wanted = {"tool_call": tool_calls, "direct": component.count - tool_calls}
        for kind, count in wanted.items():
            pool = [item for item in candidates if kind is None or item.record["kind"] == kind]
            if len(pool) < count:
                what = f"{kind} examples" if kind else "examples"
                earlier = sum(
                    1
                    for item in eligible
                    if item.id in taken
                    and matches(component.select, item.record)
                    and (kind is None or item.record["kind"] == kind)
                )
                by_earlier = f" ({earlier} more taken by earlier components)" if earlier else ""
                deficits.append(
                    f"{component.origin} ({describe(component.select)}) needs {count} {what}, "
                    f"{len(pool)} eligible: {count - len(pool)} short{by_earlier}"
                )
            picked = pool[:count]
            taken.update(item.id for item in picked)
            buckets.append(Bucket(pool, picked))
    if not deficits and mix.shapes:
        deficits = fill_shapes(mix.shapes, buckets, eligible, taken)
    if deficits:
        raise MixDeficit(name, deficits)
    chosen = [item for bucket in buckets for item in bucket.picked]
    splits = stratify(
        chosen,
        {item.id: placement.splits[item.id] for item in chosen},
        placement.keys,
        strata(store, chosen),
        {
            "domain": mix.min_test_per_domain if mix.min_test_per_domain is not None else DEFAULT_MIN_TEST,
            "language": mix.min_test_per_language if mix.min_test_per_language is not None else DEFAULT_MIN_TEST,
        },
        mix.split_seed,
    )
    by_split: dict[str, list[str]] = {split: [] for split in SPLIT_NAMES}
    for item in chosen:
        by_split[splits[item.id]].append(item.id)
    return Lockfile(
        name=name,
        recipe_hash=recipe_hash(mix),
        store_schema_version=SCHEMA_VERSION,
        recipe=mix,
        splits={split: sorted(ids) for split, ids in by_split.items()},
        counts=MixCounts(
            total=len(chosen),
            splits={split: len(ids) for split, ids in by_split.items()},
            kinds=dict(sorted(Counter(str(item.record["kind"]) for item in chosen).items())),
            domains=dict(sorted(Counter(str(item.record["domain"]) for item in chosen).items())),
        ),
        excluded=sorted(excluded, key=lambda item: item.example_id),
    )


def strata(store: Store, examples: Sequence[LightExample]) -> dict[str, list[str]]:
    """Each example's domain and languages (as the audit reads them), as `domain:NAME` and `language:NAME`."""
    languages = example_languages(examples, catalog_languages(), domain_languages(store, examples))
    return {
        item.id: [f"domain:{item.record['domain']}"]
        + [f"language:{language}" for language in languages[item.id] if language != UNKNOWN_LANGUAGE]
        for item in examples
    }


@dataclass
class Bucket:
    """What one component draws for one kind: its ranked candidates and the ones it took."""

    pool: list[LightExample]
    picked: list[LightExample]


def shape_of_item(item: AnyExample) -> str:
    return str(item.record.get("shape") or "single")


def fill_shapes(
    shapes: dict[Shape, float], buckets: list[Bucket], eligible: Sequence[LightExample], taken: set[str]
) -> list[str]:
    """Give each named shape at least ceil(share * total) examples of the mix, or say why it cannot.

    The components keep their counts and kind quotas: within one component's draw of one kind, the
    lowest-ranked example of a shape that can spare it (unnamed, or above its own minimum) gives way
    to the best-ranked unpicked candidate of the shape that is short. The last components give way
    first, so a child recipe fills a quota from its own components before it changes its parent's."""
    total = sum(len(bucket.picked) for bucket in buckets)
    shares: dict[str, float] = {str(shape): share for shape, share in shapes.items()}
    ordered: list[str] = [shape for shape in SHAPES if shape in shares]
    need = {shape: math.ceil(shares[shape] * total - 1e-9) for shape in ordered}
    have = Counter(shape_of_item(item) for bucket in buckets for item in bucket.picked)
    available = Counter(shape_of_item(item) for item in eligible)

    def asked(shape: str) -> str:
        return f"shape {shape} needs {need[shape]} of the {total} examples (at least {shares[shape]:.1%})"

    short = [
        f"{asked(shape)}, {available[shape]} eligible: {need[shape] - available[shape]} short"
        for shape in ordered
        if available[shape] < need[shape]
    ]
    if short:
        return short
    for shape in ordered:
        for bucket in reversed(buckets):
            incoming = [item for item in bucket.pool if item.id not in taken and shape_of_item(item) == shape]
            for new in incoming:
                if have[shape] >= need[shape]:
                    break
                victim = next(
                    (
                        old
                        for old in reversed(bucket.picked)
                        if shape_of_item(old) != shape
                        and (shape_of_item(old) not in need or have[shape_of_item(old)] > need[shape_of_item(old)])
                    ),
                    None,
                )
                if victim is None:
                    break
                bucket.picked.remove(victim)
                bucket.picked.append(new)
                taken.discard(victim.id)
                taken.add(new.id)
                have[shape_of_item(victim)] -= 1
                have[shape] += 1
    return [
        f"{asked(shape)}, {available[shape]} eligible, but the components' selections and kind quotas "
        f"leave room for {have[shape]}: {need[shape] - have[shape]} short"
        for shape in ordered
        if have[shape] < need[shape]
    ]


def unlicensed(examples: Sequence[AnyExample], licenses: dict[str, str | None], rule: Licenses) -> list[Exclusion]:
    """The examples drawn from a source whose license the recipe does not allow."""
    excluded = []
    for item in examples:
        for source in item.record["provenance"].get("sources", []):
            license = licenses.get(source["name"])
            if license is None:
                refused = rule.unknown == "deny"
            else:
                refused = license in rule.deny or (bool(rule.allow) and license not in rule.allow)
            if refused:
                why = (
                    f"source {source['name']} has license {license}"
                    if license
                    else f"source {source['name']} has no known license"
                )
                excluded.append(Exclusion(example_id=item.id, reason=f"{why}, which the recipe does not allow"))
                break
    return excluded


def decontaminated(examples: Sequence[AnyExample], files: Sequence[str], base: Path) -> list[Exclusion]:
    """Examples whose query is a near-duplicate of a query in the evaluation sets."""
    if not files:
        return []
    evaluation: list[str] = []
    for file in files:
        path = (base / file) if not Path(file).is_absolute() else Path(file)
        if not path.is_file():
            raise InputError("no such evaluation set", path=str(path))
        for number, line in enumerate(read_text(path, "evaluation set").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
                content = next(m["content"] for m in messages if isinstance(m, dict) and m.get("role") == "user")
                if isinstance(content, list):  # OpenAI content parts
                    content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
                if not isinstance(content, str) or not content.strip():
                    raise TypeError
                evaluation.append(content)
            except (json.JSONDecodeError, KeyError, TypeError, StopIteration, AttributeError):
                raise InputError("not a chat row with a user message", path=str(path), line=number) from None
    queries = [item.query for item in examples]
    groups = near_duplicate_groups([*evaluation, *queries], DECONTAMINATION_THRESHOLD)
    exact = {normalize(text) for text in evaluation}
    hits: dict[str, str] = {}
    for group in groups:
        if any(index < len(evaluation) for index in group):
            for index in group:
                if index >= len(evaluation):
                    hits[examples[index - len(evaluation)].id] = "near-duplicate of an evaluation query"
    for item in examples:
        if normalize(item.query) in exact:
            hits[item.id] = "same query as an evaluation query"
    return [Exclusion(example_id=example_id, reason=reason) for example_id, reason in sorted(hits.items())]


def write_lockfile(folder: Path, lockfile: Lockfile) -> Path:
    path = lock_path(folder, lockfile.name)
    # settings newer than the lockfile format are written only when set: the same recipe gives the same bytes
    unset = {name for name in LATER_SETTINGS if name != "licenses" and getattr(lockfile.recipe, name) is None}
    dumped = lockfile.model_dump(mode="json", exclude={"recipe": unset} if unset else None)
    atomic_write(path, json.dumps(dumped, indent=1, sort_keys=True) + "\n")
    return path


def read_lockfile(folder: Path, name: str) -> Lockfile:
    path = lock_path(folder, name)
    if not path.is_file():
        raise InputError(f"mix {name!r} was never built", hint=f"run `curate mix build {name}`")
    try:
        return Lockfile.model_validate_json(read_text(path, "lockfile"))
    except ValidationError as error:
        raise InputError(f"not a lockfile: {error.errors()[0]['msg']}", path=str(path)) from None


# -- diffs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    dimension: str
    value: str
    before: float
    after: float


@dataclass(frozen=True)
class MixDiff:
    before: str
    after: str
    added: dict[str, list[str]]
    removed: dict[str, list[str]]
    moved: list[tuple[str, str, str]]
    """(example id, split before, split after) for examples in both that changed split."""
    drift: list[Drift]


def shares(store: Store, lockfile: Lockfile) -> dict[tuple[str, str], float]:
    ids = lockfile.ids()
    records = [item.record for item in store.light_examples(ids=ids)]
    total = len(records) or 1
    counted: Counter[tuple[str, str]] = Counter()
    for record in records:
        for dimension in ("domain", "kind", "intent"):
            counted[(dimension, str(record[dimension]))] += 1
        counted[("shape", str(record.get("shape") or "single"))] += 1
    for split, split_ids in lockfile.splits.items():
        counted[("split", split)] += len(split_ids)
    return {key: count / total for key, count in counted.items()}


def diff(store: Store, before: Lockfile, after: Lockfile) -> MixDiff:
    old = {example_id: split for split, ids in before.splits.items() for example_id in ids}
    new = {example_id: split for split, ids in after.splits.items() for example_id in ids}
    added: dict[str, list[str]] = {
        split: sorted(i for i, s in new.items() if s == split and i not in old) for split in SPLIT_NAMES
    }
    removed: dict[str, list[str]] = {
        split: sorted(i for i, s in old.items() if s == split and i not in new) for split in SPLIT_NAMES
    }
    old_shares, new_shares = shares(store, before), shares(store, after)
    keys = sorted(set(old_shares) | set(new_shares))
    drift = [
        Drift(dimension, value, old_shares.get((dimension, value), 0.0), new_shares.get((dimension, value), 0.0))
        for dimension, value in keys
    ]
    moved = sorted((i, old[i], new[i]) for i in old.keys() & new.keys() if old[i] != new[i])
    return MixDiff(before.name, after.name, added, removed, moved, drift)


def render_diff(result: MixDiff, before: str, after: str) -> str:
    """The totals (per split too), one line per example added (`+`), removed (`-`) or moved (`~`),
    then the table of shares, `before` and `after` naming the two mixes."""
    added = sum(len(ids) for ids in result.added.values())
    removed = sum(len(ids) for ids in result.removed.values())
    per_split = ", ".join(
        f"{split} +{len(result.added[split])}/-{len(result.removed[split])}" for split in result.added
    )
    lines = [
        f"{before} -> {after}: +{added} added, -{removed} removed, {len(result.moved)} moved between splits "
        f"({per_split})"
    ]
    lines += [f"+ {split}\t{example_id}" for split, ids in result.added.items() for example_id in ids]
    lines += [f"- {split}\t{example_id}" for split, ids in result.removed.items() for example_id in ids]
    lines += [f"~ {was}->{now}\t{example_id}" for example_id, was, now in result.moved]
    lines.append(f"{'share':<40}{before:>10}{after:>10}{'drift':>10}")
    for item in result.drift:
        label = f"{item.dimension} {item.value}"
        change = (item.after - item.before) * 100
        lines.append(f"{label:<40}{item.before * 100:>9.1f}%{item.after * 100:>9.1f}%{change:>+10.1f}")
    return "\n".join(lines) + "\n"
