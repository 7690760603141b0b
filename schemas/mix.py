"""Mixtures: a recipe says which examples a training set holds; a lockfile says which ones it got."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.example import Shape

SplitName = Literal["train", "valid", "test"]
GroupBy = Literal["source", "domain", "question"]
"""What keeps examples together in one split: the source file (or card) behind them (default), their
whole domain (hold out entire codebases), or only their question (pairs and near-duplicates still
stay together in every mode)."""
SPLIT_NAMES: tuple[SplitName, ...] = ("train", "valid", "test")


class MixRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Selector(MixRecord):
    """Which examples a component draws from; each field is a glob (`*`, `?`), all must match."""

    domain: str | None = None
    kind: Literal["tool_call", "direct"] | None = None
    intent: str | None = None
    source: str | None = None
    template: str | None = None


class Component(MixRecord):
    select: Selector = Field(default_factory=Selector)
    count: int | None = Field(None, ge=0)
    share: float | None = Field(None, gt=0, le=1)
    """Of the recipe's `total`."""

    @model_validator(mode="after")
    def _count_or_share(self) -> Component:
        if (self.count is None) == (self.share is None):
            raise ValueError("a component needs exactly one of count or share")
        return self


class Splits(MixRecord):
    train: float = Field(default=0.8, ge=0, le=1)
    valid: float = Field(default=0.1, ge=0, le=1)
    test: float = Field(default=0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Splits:
        if abs(self.train + self.valid + self.test - 1) > 1e-9:
            raise ValueError("split ratios must add up to 1")
        return self


class Quotas(MixRecord):
    tool_call: float | None = Field(None, ge=0, le=1)
    """The share of tool-call examples in every component (the rest are direct answers), exact up to
    rounding per component."""


class Licenses(MixRecord):
    """`[licenses]` of a recipe: which source licenses (SPDX ids, as `curate sources` shows them) its
    examples may come from. An example drawn from several sources needs every one allowed."""

    allow: list[str] = Field(default_factory=list)
    """Only these (empty: any not denied)."""
    deny: list[str] = Field(default_factory=list)
    unknown: Literal["allow", "deny"] = "allow"
    """A source whose license curate could not tell."""


class MixRecipe(MixRecord):
    """`data/mixes/NAME.toml`. A recipe that `extends` another inherits its components (drawn with
    the parent's seed, so they pick the same examples) and any setting it does not set itself."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    extends: str | None = None
    seed: int | None = None
    """Draws this recipe's own components."""
    split_seed: int | None = None
    """Assigns every example of the store to a split (default 0); keep it across a lineage so that
    a child mix keeps its parent's examples where they were."""
    group_by: GroupBy | None = None
    min_test_per_domain: int | None = Field(None, ge=0)
    """Test examples the build gives each domain of the mix, moving groups out of train where that
    leaks no user turn and leaves the domain some train examples (default 1; 0: none moved)."""
    min_test_per_language: int | None = Field(None, ge=0)
    """The same for each language (python, html) of the mix (default 1)."""
    total: int | None = Field(None, ge=1)
    components: list[Component] = Field(default_factory=list)
    quotas: Quotas | None = None
    splits: Splits | None = None
    max_tokens: int | None = Field(None, ge=1)
    dedup: Literal["none", "exact", "near"] | None = None
    """Leave out the examples a dedup cluster does not keep: exact ones, or near ones too (default)."""
    decontaminate: list[str] = Field(default_factory=list)
    """JSONL files of evaluation conversations; examples whose query is a near-duplicate of one of
    theirs are left out (and listed in the lockfile)."""
    licenses: Licenses | None = None
    shapes: dict[Shape, float] | None = None
    """`[shapes]`: the least share of the whole mix each named conversation shape must have
    (`parallel = 0.1`: at least ceil(0.1 * total) parallel conversations); shapes not named are
    unconstrained."""
    system: str | None = Field(None, min_length=1)
    """A system prompt the export puts first in every row that has none."""

    @field_validator("shapes")
    @classmethod
    def _shares_fit(cls, shapes: dict[str, float] | None) -> dict[str, float] | None:
        if shapes is None:
            return None
        for shape, share in shapes.items():
            if not 0 < share <= 1:
                raise ValueError(f"the share of {shape} must be above 0 and at most 1, not {share}")
        if sum(shapes.values()) > 1 + 1e-9:
            raise ValueError(f"the shapes' shares add up to {sum(shapes.values()):g}, more than 1")
        return shapes


class ResolvedComponent(MixRecord):
    origin: str
    """The recipe that declared it; its seed draws the component."""
    seed: int
    select: Selector
    count: int


class ResolvedMix(MixRecord):
    """A recipe with `extends` applied and every default filled in: what a lockfile's hash covers."""

    name: str
    lineage: list[str]
    components: list[ResolvedComponent]
    tool_call_share: float | None
    splits: Splits
    split_seed: int
    group_by: GroupBy = "source"
    min_test_per_domain: int | None = None
    """None: the default (`curate.mix.DEFAULT_MIN_TEST`), so lockfiles of recipes that do not set it keep their hash."""
    min_test_per_language: int | None = None
    max_tokens: int | None
    dedup: Literal["none", "exact", "near"]
    decontaminate: list[str]
    licenses: Licenses | None = None
    shapes: dict[Shape, float] | None = None
    system: str | None = None


class Exclusion(MixRecord):
    example_id: str
    reason: str


class MixCounts(MixRecord):
    total: int
    splits: dict[str, int]
    kinds: dict[str, int]
    domains: dict[str, int]


class Lockfile(MixRecord):
    """`NAME.lock.json`: exactly which examples a built mix holds, per split, sorted."""

    name: str
    recipe_hash: str
    store_schema_version: int
    recipe: ResolvedMix
    splits: dict[str, list[str]]
    counts: MixCounts
    excluded: list[Exclusion] = Field(default_factory=list)

    def ids(self) -> list[str]:
        return sorted(example_id for ids in self.splits.values() for example_id in ids)
