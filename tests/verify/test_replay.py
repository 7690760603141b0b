"""Stage 3: a recorded result that is not byte for byte a fresh run of the call fails `replay`."""

from __future__ import annotations

import json
from pathlib import Path

from curate.mine import mine
from curate.store import Store
from tests.conftest import SAMPLE
from tests.verify.conftest import Record, find, nonempty, verdict


def test_a_tampered_tool_result_fails_replay(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    result = json.loads(record["messages"][2]["content"])
    result["matches"][0]["line"] += 1
    record["messages"][2]["content"] = json.dumps(result, separators=(",", ":"))
    stage, reason = verdict(mined, record)
    assert stage == "replay"
    assert "differs from a fresh run" in reason


def test_reformatted_but_equal_json_still_fails_replay(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes", nonempty)
    record["messages"][2]["content"] = json.dumps(json.loads(record["messages"][2]["content"]), indent=1)
    assert verdict(mined, record)[0] == "replay"


def test_a_missing_source_path_in_a_fresh_store_is_a_replay_failure(records: dict[str, Record], tmp_path: Path) -> None:
    with Store.open(tmp_path / "other.duckdb") as other:
        mine(other, SAMPLE, domain="shop", jobs=1, exclude=["src/shop/cli.py", "src/shop/admin.py"])
        record = find(records, "tool_call:cli_commands", nonempty)
        assert verdict(other, record)[0] == "replay"
