"""Duplicates: exact (same normalized content) and near-duplicate user queries (MinHash-LSH).

Both are recorded as clusters per domain; nothing is deleted. In each cluster one example is kept,
chosen deterministically (verified before anything else, then the smallest id), so the same store
always gives the same clusters and the same kept examples.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from curate.store import Store, StoredExample
from curate.store.examples import Cluster

DEFAULT_THRESHOLD = 0.8
NUM_PERM = 128
SHINGLE = 5
"""Character 5-grams: user queries are short, so word shingles would leave too few features."""


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def content_key(item: StoredExample) -> str:
    """The normalized query, tool calls and final answer: what makes two examples the same example."""
    parts = [normalize(item.query), normalize(item.record["messages"][-1].get("content") or "")]
    return hashlib.sha256(json.dumps([parts, calls_key(item)], sort_keys=True).encode()).hexdigest()


def calls_key(item: StoredExample) -> str:
    calls = [call["function"] for message in item.record["messages"] for call in message.get("tool_calls") or []]
    return json.dumps(calls, sort_keys=True)


def shingles(text: str) -> set[bytes]:
    normalized = normalize(text)
    if len(normalized) <= SHINGLE:
        return {normalized.encode()}
    return {normalized[index : index + SHINGLE].encode() for index in range(len(normalized) - SHINGLE + 1)}


def minhashes(texts: Sequence[str], seed: int = 1) -> list[Any]:
    from datasketch import MinHash  # imports scipy: only when near-duplicates are wanted

    return list(MinHash.bulk([list(shingles(text)) for text in texts], num_perm=NUM_PERM, seed=seed))


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        roots = sorted((self.find(first), self.find(second)))
        self.parent[roots[1]] = roots[0]

    def groups(self) -> list[list[int]]:
        grouped: dict[int, list[int]] = defaultdict(list)
        for item in range(len(self.parent)):
            grouped[self.find(item)].append(item)
        return [members for members in grouped.values() if len(members) > 1]


Hasher = Callable[[Sequence[str]], list[Any]]
"""Texts to their MinHashes: `minhashes` here, or the same computed on Ray (`curate.ray_engine`)."""


def near_duplicate_groups(
    texts: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    partitions: Sequence[str] | None = None,
    hasher: Hasher = minhashes,
) -> list[list[int]]:
    """Groups (indexes into `texts`) whose MinHash-estimated Jaccard similarity reaches `threshold`,
    linked transitively. LSH finds candidates; each candidate pair is confirmed on its estimate.
    With `partitions`, only texts of the same partition group together."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    from datasketch import MinHashLSH

    hashes = hasher(texts)
    index = MinHashLSH(threshold=min(threshold, 0.95), num_perm=NUM_PERM)
    found = UnionFind(len(texts))
    for position, minhash in enumerate(hashes):
        for other in index.query(minhash):
            same = partitions is None or partitions[position] == partitions[other]
            if same and minhash.jaccard(hashes[other]) >= threshold:
                found.union(position, other)
        index.insert(position, minhash)
    return found.groups()


@dataclass(frozen=True)
class DedupReport:
    examples: int
    exact_clusters: int
    exact_dropped: int
    near_clusters: int
    near_dropped: int


def _keeper(members: Iterable[StoredExample]) -> StoredExample:
    return min(members, key=lambda item: (item.status != "verified", item.id))


def dedup(store: Store, domain: str, threshold: float = DEFAULT_THRESHOLD, hasher: Hasher = minhashes) -> DedupReport:
    examples = store.examples(domain=domain)
    clusters: list[Cluster] = []
    by_content: dict[str, list[StoredExample]] = defaultdict(list)
    for item in examples:
        by_content[content_key(item)].append(item)
    exact = [members for members in by_content.values() if len(members) > 1]
    for members in exact:
        clusters.extend(_cluster(domain, "exact", members))
    survivors = [_keeper(members) for members in by_content.values()]
    survivors.sort(key=lambda item: item.id)
    # a near-duplicate asks the same thing: the same call (or, for direct answers, no call) in other
    # words; "subclasses of MessageError" and "of MessageID" are different questions, however alike
    # and in the same shape: a recovery asks what its single asks, but teaches something else
    queries = [item.query for item in survivors]
    calls = [f"{item.record.get('shape', 'single')}:{calls_key(item)}" for item in survivors]
    groups = near_duplicate_groups(queries, threshold, calls, hasher)
    for group in groups:
        clusters.extend(_cluster(domain, "near", [survivors[index] for index in group]))
    store.save_clusters(domain, clusters)
    return DedupReport(
        examples=len(examples),
        exact_clusters=len(exact),
        exact_dropped=sum(len(members) - 1 for members in exact),
        near_clusters=len(groups),
        near_dropped=sum(len(group) - 1 for group in groups),
    )


def _cluster(domain: str, method: str, members: list[StoredExample]) -> list[Cluster]:
    kept = _keeper(members)
    name = f"{method}_{kept.id}"
    return [Cluster(domain, method, name, item.id, item.id == kept.id) for item in sorted(members, key=lambda i: i.id)]
