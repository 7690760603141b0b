"""Stage 4 for direct answers: a project's own names fail `grounding`; public library names do not."""

from __future__ import annotations

from curate.store import Store
from tests.verify.conftest import Record, find, verdict


def test_a_direct_answer_naming_project_code_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "direct:concept:python")
    record["messages"][-1]["content"] += " In this project, see `reprice_command`."
    stage, reason = verdict(mined, record)
    assert stage == "grounding"
    assert "'reprice_command', local to the sources (src/shop/admin.py:" in reason


def test_a_direct_answer_may_name_public_libraries(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "direct:concept:python")
    record["messages"][-1]["content"] += " See `asyncio.TaskGroup`, `functools.lru_cache` and `typer.Typer`."
    assert verdict(mined, record) == (None, "")
