"""Stable, leak-free splits: an example's split is a hash of its group's key, never of the mix.

Group keys: a tool-call example groups by the source file behind its answer, a direct example by its
knowledge card, and a tool-call example paired with a direct one by that card, so a pair never
straddles splits. Near-duplicate clusters join groups; a joined group takes the key of its member
that reached the store first, so a new example that joins an existing group goes where the group
already is, and adding examples never moves existing ones (unless a new example bridges two groups
that were apart: then the later group follows the earlier).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from curate.dedup import UnionFind, normalize
from curate.store import AnyExample
from curate.store.examples import Cluster
from schemas import SPLIT_NAMES, GroupBy, Splits


def base_key(record: dict[str, object], cards_by_pair: dict[str, str], group_by: GroupBy = "source") -> str:
    provenance = record["provenance"]
    assert isinstance(provenance, dict)
    domain, pair_id = record["domain"], record.get("pair_id")
    if group_by == "domain":
        return f"domain:{domain}"
    if group_by == "source" and not provenance.get("imported"):  # an imported example has only its question to group by
        if record["kind"] == "direct" and provenance.get("card"):
            return f"card:{provenance['card']}"
        if isinstance(pair_id, str) and pair_id in cards_by_pair:
            return f"card:{cards_by_pair[pair_id]}"
        if record["kind"] == "tool_call" and provenance.get("locations"):
            first = str(provenance["locations"][0])
            return f"file:{domain}/{first.rsplit(':', 1)[0]}"
        if record["kind"] == "tool_call":
            return f"empty:{domain}:{record['intent']}"
    messages = record["messages"]
    assert isinstance(messages, list)
    query = "\n".join(m.get("content") or "" for m in messages if m.get("role") == "user")
    return f"query:{domain}:{normalize(query)}"


def group_keys(
    examples: Sequence[AnyExample], clusters: Sequence[Cluster], group_by: GroupBy = "source"
) -> dict[str, str]:
    """Each example's group key, over the whole store (so every mix agrees on every split)."""
    cards_by_pair = {
        str(item.record["pair_id"]): str(item.record["provenance"]["card"])
        for item in examples
        if item.record.get("pair_id") and item.record["kind"] == "direct" and item.record["provenance"].get("card")
    }
    position = {item.id: index for index, item in enumerate(examples)}
    groups = UnionFind(len(examples))
    _join(
        groups,
        ((position[c.example_id], (c.domain, c.cluster)) for c in clusters if c.example_id in position),
    )
    keys = [base_key(item.record, cards_by_pair, group_by) for item in examples]
    _join(groups, enumerate(keys))
    if group_by != "source":  # pairs still go together, whatever the grouping
        _join(groups, ((i, item.record.get("pair_id")) for i, item in enumerate(examples)))
    first: dict[int, int] = {}
    for index, item in enumerate(examples):
        root = groups.find(index)
        current = first.get(root)
        if current is None or (item.added, item.id) < (examples[current].added, examples[current].id):
            first[root] = index
    return {item.id: keys[first[groups.find(index)]] for index, item in enumerate(examples)}


def _join(groups: UnionFind, keyed: Iterable[tuple[int, object]]) -> None:
    """Put the indexes that share a key (None is no key) in one group."""
    first: dict[object, int] = {}
    for index, key in keyed:
        if key is not None:
            groups.union(first.setdefault(key, index), index)


def split_of(key: str, splits: Splits, seed: int) -> str:
    bucket = int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:15], 16) / 16**15
    if bucket < splits.train:
        return SPLIT_NAMES[0]
    if bucket < splits.train + splits.valid:
        return SPLIT_NAMES[1]
    return SPLIT_NAMES[2]


def assign_splits(
    examples: Sequence[AnyExample],
    clusters: Sequence[Cluster],
    splits: Splits,
    seed: int,
    group_by: GroupBy = "source",
) -> dict[str, str]:
    keys = group_keys(examples, clusters, group_by)
    return {example_id: split_of(key, splits, seed) for example_id, key in keys.items()}
