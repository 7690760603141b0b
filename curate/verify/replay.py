"""Stage 3: each call, run again against the store in order, gives the recorded result byte for byte
(a call that fails, in a recovery, gives the recorded error byte for byte).

When the result differs and the domain's sources have been re-mined since the example was made, the
example is stale (rejected, but marked so: it is the source that moved). An imported example has
nothing to replay against: the stage is skipped and the example stays "unverified".
"""

from __future__ import annotations

import json

from curate.errors import CurateError
from curate.tools import call_content
from curate.verify.stage import Context, Passed, Stage, StageFailure, result_turns, tool_results
from schemas import Example, is_error_result

SKIPPED = Passed(mark="skipped", status="unverified")


def check_replay(example: Example, context: Context) -> Passed | None:
    if example.provenance.imported is not None:
        return SKIPPED
    limit = example.provenance.tool_limit
    results = tool_results(example)
    where = result_turns(example)
    for call in example.calls:
        recorded, turn = results.get(call.id), where.get(call.id)
        try:
            fresh = call_content(context.executor, call.function.name, call.function.arguments, limit or 0)
        except CurateError as error:
            raise StageFailure("replay", f"the call fails now: {error}", turn=turn) from None
        if recorded != fresh:
            if is_error_result(fresh) and not is_error_result(recorded):
                raise StageFailure(
                    "replay", f"the call fails now: {json.loads(fresh)['error']}", turn=where.get(call.id)
                )
            stale = is_stale(example, context)
            raise StageFailure("replay", differs(call.function.name, stale), stale=stale, turn=turn)
    return None


def is_stale(example: Example, context: Context) -> bool:
    """The example was made from source revisions the store no longer holds."""
    current = {source.name: source.revision for source in context.store.sources(context.domain)}
    recorded = {source.name: source.revision for source in example.provenance.sources}
    return bool(recorded) and recorded != current


def differs(tool: str, stale: bool) -> str:
    if stale:
        return f"stale: {tool} gives a different result since the source was re-mined"
    return f"the recorded {tool} result differs from a fresh run of the same call"


REPLAY = Stage("replay", check_replay)
