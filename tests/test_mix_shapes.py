"""Recipes that ask for conversation shapes (`[shapes]`), and the splits of multi-turn conversations."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.errors import InputError
from curate.mix import MixDeficit, build, lock_path, resolve
from curate.store import Store
from tests.conversations import import_rows, rows

COUNTS = {"single": 30, "parallel": 8, "multi_step": 8, "multi_turn": 8, "clarification": 4, "recovery": 4}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("shapes")
    opened = Store.open(folder / "s.duckdb")
    import_rows(opened, folder, "ref", rows(COUNTS, system_every=3))
    yield opened
    opened.close()


@pytest.fixture
def mixes(tmp_path: Path) -> Path:
    folder = tmp_path / "mixes"
    folder.mkdir()
    return folder


def shapes_of(store: Store, ids: list[str]) -> Counter[str]:
    return Counter(str(item.record["shape"]) for item in store.light_examples(ids=ids))


def test_each_named_shape_gets_at_least_its_share(store: Store, mixes: Path) -> None:
    plain = 'name = "plain"\nseed = 3\n[quotas]\ntool_call = 0.9\n[[components]]\ncount = 30\n'
    (mixes / "plain.toml").write_text(plain)
    shaped_recipe = plain.replace('"plain"', '"shaped"') + "[shapes]\nparallel = 0.2\nrecovery = 0.1\n"
    (mixes / "shaped.toml").write_text(shaped_recipe)
    before = shapes_of(store, build(store, mixes, "plain").ids())
    shaped = build(store, mixes, "shaped")
    after = shapes_of(store, shaped.ids())
    assert after["parallel"] >= 6 and after["recovery"] >= 3  # ceil(0.2 * 30), ceil(0.1 * 30)
    assert before["parallel"] < 6 or before["recovery"] < 3  # the quota changed the draw
    assert shaped.counts.total == 30 and shaped.counts.kinds == {"direct": 3, "tool_call": 27}
    assert build(store, mixes, "shaped") == shaped  # deterministic
    assert resolve(mixes, "shaped").shapes == {"parallel": 0.2, "recovery": 0.1}


def test_a_shape_the_store_lacks_is_a_deficit_per_shape(store: Store, mixes: Path) -> None:
    (mixes / "greedy.toml").write_text(
        'name = "greedy"\n[[components]]\ncount = 40\n[shapes]\nparallel = 0.5\nrecovery = 0.2\nmulti_turn = 0.1\n'
    )
    with pytest.raises(MixDeficit) as raised:
        build(store, mixes, "greedy")
    assert raised.value.lines == [
        "shape parallel needs 20 of the 40 examples (at least 50.0%), 8 eligible: 12 short",
        "shape recovery needs 8 of the 40 examples (at least 20.0%), 4 eligible: 4 short",
    ]
    assert not lock_path(mixes, "greedy").exists()


def test_a_shape_outside_the_components_selection_is_a_deficit(store: Store, mixes: Path) -> None:
    (mixes / "direct.toml").write_text(
        'name = "direct"\n[[components]]\nselect = { kind = "direct" }\ncount = 10\n[shapes]\nparallel = 0.2\n'
    )
    with pytest.raises(MixDeficit) as raised:
        build(store, mixes, "direct")
    assert raised.value.lines == [
        "shape parallel needs 2 of the 10 examples (at least 20.0%), 8 eligible, but the components' selections"
        " and kind quotas leave room for 0: 2 short"
    ]


def test_a_child_inherits_shapes_and_fills_them_from_its_own_components(store: Store, mixes: Path) -> None:
    (mixes / "parent.toml").write_text(
        'name = "parent"\nseed = 1\n[[components]]\nselect = { kind = "direct" }\ncount = 8\n'
    )
    (mixes / "child.toml").write_text(
        'name = "child"\nextends = "parent"\nseed = 2\n[shapes]\nmulti_turn = 0.25\n'
        '[[components]]\nselect = { kind = "tool_call" }\ncount = 12\n'
    )
    (mixes / "grandchild.toml").write_text('name = "grandchild"\nextends = "child"\n')
    parent, child = build(store, mixes, "parent"), build(store, mixes, "child")
    assert set(parent.ids()) <= set(child.ids())  # the parent's draw is kept
    assert shapes_of(store, child.ids())["multi_turn"] >= math.ceil(0.25 * 20)
    assert resolve(mixes, "grandchild").shapes == {"multi_turn": 0.25}
    assert build(store, mixes, "grandchild").ids() == child.ids()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("parallel = 0.7\nrecovery = 0.6\n", "shapes: Value error, the shapes' shares add up to 1.3, more than 1"),
        ("parallel = 0\n", "shapes: Value error, the share of parallel must be above 0 and at most 1, not 0"),
        ("paralel = 0.1\n", "shapes.paralel.\\[key\\]: Input should be 'single', 'parallel'"),
    ],
)
def test_bad_shape_tables_are_input_errors(mixes: Path, table: str, message: str) -> None:
    (mixes / "bad.toml").write_text('name = "bad"\n[shapes]\n' + table)
    with pytest.raises(InputError, match=message):
        resolve(mixes, "bad")


def test_a_conversation_is_one_example_in_one_split(store: Store, mixes: Path) -> None:
    (mixes / "all.toml").write_text(f'name = "all"\n[[components]]\ncount = {sum(COUNTS.values())}\n')
    built = build(store, mixes, "all")
    ids = [example_id for split_ids in built.splits.values() for example_id in split_ids]
    assert len(ids) == len(set(ids)) == sum(COUNTS.values())
    multi_turn = [item for item in store.examples(ids=ids) if item.record["shape"] == "multi_turn"]
    assert multi_turn and all(sum(m["role"] == "user" for m in item.record["messages"]) == 2 for item in multi_turn)


def test_the_cli_prints_a_shape_deficit_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from curate.cli import main

    with Store.open(tmp_path / "s.duckdb") as opened:
        import_rows(opened, tmp_path, "ref", rows({"single": 6, "parallel": 1}))
    (tmp_path / "mixes").mkdir()
    recipe = 'name = "wide"\n[[components]]\ncount = 7\n[shapes]\nparallel = 0.5\n'
    (tmp_path / "mixes" / "wide.toml").write_text(recipe)
    code = main(["--db", str(tmp_path / "s.duckdb"), "--mixes", str(tmp_path / "mixes"), "mix", "build", "wide"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == (
        "deficit report for wide (nothing written):\n"
        "  shape parallel needs 4 of the 7 examples (at least 50.0%), 1 eligible: 3 short\n"
    )
    assert err.startswith("curate: error: mix 'wide' cannot be built: shape parallel needs 4")
