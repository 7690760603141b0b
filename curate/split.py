"""Stable, leak-free splits: an example's split is a hash of its group's key, never of the mix, and no
user turn is asked in two splits.

Group keys: a tool-call example groups by the source file behind its answer, a direct example by its
knowledge card, and a tool-call example paired with a direct one by that card, so a pair never
straddles splits. Near-duplicate clusters join groups; a joined group takes the key of its member
that reached the store first, so a new example that joins an existing group goes where the group
already is.

User turns: the same question asked of two domains ("Find all dataclasses in this codebase") or a
follow-up many conversations share ("Which files use that module?") would let the test split
measure memorized phrasings. So every normalized user turn (`dedup.normalize`: case, spacing and
punctuation aside) is held in one split, the split of the first example that asked it. Joining the
groups that share a turn instead would chain them (one common follow-up joins a quarter of a store
into one group, and the split ratios go with it), so turns are placed in arrival order: a unit (an
example with its pair and near-duplicates, which never part) goes to its group's split unless one of
its turns is already held elsewhere; then it follows that turn, alone, leaving the rest of its group
where it was. A unit whose turns are held in two different splits (a multi-turn conversation whose
first question is asked in test and whose follow-up in train) moves the smaller side: the examples
asking those turns there, with every example that shares a turn with them, join the larger side,
and the unit with them. With `group_by = "domain"` a unit never leaves its domain's split (that
would put part of a held-out codebase in train): one whose turn is held elsewhere is left out of
every split with its reason (`Placement.unplaced`), and a mix lists it as excluded.

Stability: adding examples never moves existing ones, unless a new example bridges two groups (the
later group follows the earlier), or asks two turns held in two splits (the smaller side moves), or
joins a pair or near-duplicate cluster whose turns then do.

Stratification (`stratify`, per built mix): a domain or language with fewer test examples than the
recipe's minimum takes groups from its train examples, nearest the test range of the hash first, as
though its train share were lowered; a group moves only when no other example of the mix asks one
of its turns in train or valid (so the move leaks nothing), and never the stratum's last train
group. The moves are the same for the same examples, so a child mix that adds other domains
keeps its parent's; a mix that takes only part of a domain may test other groups of it than
another mix does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from curate.dedup import UnionFind, normalize
from curate.store import AnyExample
from curate.store.examples import Cluster
from schemas import SPLIT_NAMES, GroupBy, Splits

TRAIN_SPLIT, TEST_SPLIT = SPLIT_NAMES[0], SPLIT_NAMES[2]


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


def user_turns(record: Mapping[str, object]) -> list[str]:
    """The conversation's user turns, normalized, each once, in order (a turn of only punctuation is none)."""
    messages = record["messages"]
    assert isinstance(messages, list)
    found = (normalize(str(m.get("content") or "")) for m in messages if m.get("role") == "user")
    return list(dict.fromkeys(turn for turn in found if turn))


def group_keys(
    examples: Sequence[AnyExample], clusters: Sequence[Cluster], group_by: GroupBy = "source"
) -> dict[str, str]:
    """Each example's group key, over the whole store (so every mix agrees on every split)."""
    cards_by_pair = {
        str(item.record["pair_id"]): str(item.record["provenance"]["card"])
        for item in examples
        if item.record.get("pair_id") and item.record["kind"] == "direct" and item.record["provenance"].get("card")
    }
    groups = UnionFind(len(examples))
    _join(groups, _cluster_keys(examples, clusters))
    keys = [base_key(item.record, cards_by_pair, group_by) for item in examples]
    _join(groups, enumerate(keys))
    if group_by != "source":  # pairs still go together, whatever the grouping
        _join(groups, ((i, item.record.get("pair_id")) for i, item in enumerate(examples)))
    first = _earliest(examples, groups)
    return {item.id: keys[first[groups.find(index)]] for index, item in enumerate(examples)}


def _cluster_keys(examples: Sequence[AnyExample], clusters: Sequence[Cluster]) -> Iterable[tuple[int, object]]:
    position = {item.id: index for index, item in enumerate(examples)}
    return ((position[c.example_id], (c.domain, c.cluster)) for c in clusters if c.example_id in position)


def _earliest(examples: Sequence[AnyExample], groups: UnionFind) -> dict[int, int]:
    """Each group's member that reached the store first (then the smallest id), by root."""
    first: dict[int, int] = {}
    for index, item in enumerate(examples):
        root = groups.find(index)
        current = first.get(root)
        if current is None or (item.added, item.id) < (examples[current].added, examples[current].id):
            first[root] = index
    return first


def _join(groups: UnionFind, keyed: Iterable[tuple[int, object]]) -> None:
    """Put the indexes that share a key (None is no key) in one group."""
    first: dict[object, int] = {}
    for index, key in keyed:
        if key is not None:
            groups.union(first.setdefault(key, index), index)


def bucket(key: str, seed: int) -> float:
    """Where a group key falls in [0, 1): below the train share is train, then valid, then test."""
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:15], 16) / 16**15


def split_of(key: str, splits: Splits, seed: int) -> str:
    position = bucket(key, seed)
    if position < splits.train:
        return SPLIT_NAMES[0]
    if position < splits.train + splits.valid:
        return SPLIT_NAMES[1]
    return SPLIT_NAMES[2]


@dataclass(frozen=True)
class Placement:
    splits: dict[str, str]
    """The split of every example that could be placed, by id."""
    unplaced: dict[str, str]
    """Why each example that could not be placed without a leak was left out, by id."""
    keys: dict[str, str]
    """Every example's group key, by id."""


def place(
    examples: Sequence[AnyExample],
    clusters: Sequence[Cluster],
    splits: Splits,
    seed: int,
    group_by: GroupBy = "source",
) -> Placement:
    """Every example of the store in a split, or out of all of them with its reason (see the module)."""
    keys = group_keys(examples, clusters, group_by)
    units = UnionFind(len(examples))
    _join(units, _cluster_keys(examples, clusters))
    _join(units, ((i, item.record.get("pair_id")) for i, item in enumerate(examples)))
    members: dict[int, list[int]] = {}
    for index in range(len(examples)):
        members.setdefault(units.find(index), []).append(index)
    first = _earliest(examples, units)
    unit_of = {examples[index].id: [examples[i].id for i in group] for group in members.values() for index in group}
    turns_of = {item.id: user_turns(item.record) for item in examples}
    held: dict[str, str] = {}
    carriers: dict[str, list[str]] = {}
    placed: dict[str, str] = {}
    unplaced: dict[str, str] = {}
    for root in sorted(members, key=lambda root: (examples[first[root]].added, examples[first[root]].id)):
        unit = [examples[index].id for index in members[root]]
        turns = list(dict.fromkeys(turn for example_id in unit for turn in turns_of[example_id]))
        homes = {turn: held[turn] for turn in turns if turn in held}
        where = set(homes.values())
        own = split_of(keys[unit[0]], splits, seed)
        if group_by == "domain" and where - {own}:
            turn, split = next((turn, split) for turn, split in homes.items() if split != own)
            unplaced.update(dict.fromkeys(unit, f"its domain is held in {own}, but {turn!r} is asked in {split}"))
            continue
        if len(where) > 1:
            # the unit's turns are held in two splits: the examples that hold them on the smaller side
            # (with every example that shares a turn with them) join the larger
            sides = {
                split: _closure([t for t, s in homes.items() if s == split], carriers, turns_of, unit_of)
                for split in where
            }
            target = max(sides, key=lambda split: (len(sides[split]), split == own, -SPLIT_NAMES.index(split)))
            for split, side in sides.items():
                if split != target:
                    placed.update(dict.fromkeys(side, target))
                    held.update((turn, target) for example_id in side for turn in turns_of[example_id])
            where = {target}
        split = where.pop() if where else own
        placed.update(dict.fromkeys(unit, split))
        for turn in turns:
            held[turn] = split
            carriers.setdefault(turn, []).extend(i for i in unit if turn in turns_of[i])
    return Placement(splits=placed, unplaced=unplaced, keys=keys)


def _closure(
    turns: Sequence[str],
    carriers: Mapping[str, list[str]],
    turns_of: Mapping[str, list[str]],
    unit_of: Mapping[str, list[str]],
) -> set[str]:
    """The placed examples that ask one of `turns`, with their units and, in turn, every example that
    asks what they ask: the least set that can change split without a leak."""
    seen, found, stack = set(turns), set[str](), list(turns)
    while stack:
        for example_id in carriers.get(stack.pop(), []):
            for member in unit_of[example_id]:
                if member not in found:
                    found.add(member)
                    fresh = [turn for turn in turns_of[member] if turn not in seen]
                    seen.update(fresh)
                    stack.extend(fresh)
    return found


def assign_splits(
    examples: Sequence[AnyExample],
    clusters: Sequence[Cluster],
    splits: Splits,
    seed: int,
    group_by: GroupBy = "source",
) -> dict[str, str]:
    """The split of every example `place` can place."""
    return place(examples, clusters, splits, seed, group_by).splits


def shared_turns(examples: Iterable[AnyExample], splits: Mapping[str, str]) -> dict[str, list[str]]:
    """The normalized user turns asked in more than one split, each with its splits (sorted)."""
    found: dict[str, set[str]] = {}
    for item in examples:
        split = splits.get(item.id)
        if split is not None:
            for turn in user_turns(item.record):
                found.setdefault(turn, set()).add(split)
    return {turn: sorted(held) for turn, held in sorted(found.items()) if len(held) > 1}


def stratify(
    examples: Sequence[AnyExample],
    splits: Mapping[str, str],
    keys: Mapping[str, str],
    strata: Mapping[str, Sequence[str]],
    minimum: Mapping[str, int],
    seed: int,
) -> dict[str, str]:
    """`splits` of a mix's `examples` with each stratum's test examples raised to its minimum where
    the module's rule allows. `strata`: each example's strata by id (`domain:shop`, `language:html`);
    `minimum`: the least test examples, by the part of a stratum before the colon."""
    result = dict(splits)
    by_turn: dict[str, set[str]] = {}
    by_key: dict[str, list[str]] = {}
    turns = {item.id: user_turns(item.record) for item in examples}
    for item in examples:
        by_key.setdefault(keys[item.id], []).append(item.id)
        for turn in turns[item.id]:
            by_turn.setdefault(turn, set()).add(item.id)
    for label in sorted({label for item in examples for label in strata.get(item.id, ())}):
        wanted = minimum.get(label.split(":", 1)[0], 0)
        within = [item.id for item in examples if label in strata.get(item.id, ())]
        tested = sum(1 for example_id in within if result[example_id] == TEST_SPLIT)
        trained = sum(1 for example_id in within if result[example_id] == TRAIN_SPLIT)
        candidates = sorted(
            {keys[example_id] for example_id in within if result[example_id] == TRAIN_SPLIT},
            key=lambda key: (-bucket(key, seed), key),
        )
        for key in candidates:
            if tested >= wanted:
                break
            block = [example_id for example_id in by_key[key] if result[example_id] == TRAIN_SPLIT]
            counted = sum(1 for example_id in block if label in strata.get(example_id, ()))
            if counted >= trained or _leaks(block, result, by_turn, turns):
                continue
            result.update(dict.fromkeys(block, TEST_SPLIT))
            tested, trained = tested + counted, trained - counted
    return result


def _leaks(
    block: Sequence[str], splits: Mapping[str, str], by_turn: Mapping[str, set[str]], turns: Mapping[str, list[str]]
) -> bool:
    """Whether moving `block` to test would put one of its user turns in two splits: an example
    outside it asks the same in train or valid."""
    inside = set(block)
    return any(
        other not in inside and splits[other] != TEST_SPLIT
        for example_id in block
        for turn in turns[example_id]
        for other in by_turn[turn]
    )
