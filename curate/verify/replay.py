"""Stage 3: each call, run again against the store, gives the recorded result byte for byte.

When the result differs and the domain's sources have been re-mined since the example was made, the
example is stale (rejected, but marked so: it is the source that moved). An imported example has
nothing to replay against: the stage is skipped and the example stays "unverified".
"""

from __future__ import annotations

from curate.errors import CurateError
from curate.tools import result_content
from curate.verify.stage import Context, Passed, Stage, StageFailure, tool_results
from schemas import Example

SKIPPED = Passed(mark="skipped", status="unverified")


def check_replay(example: Example, context: Context) -> Passed | None:
    if example.provenance.imported is not None:
        return SKIPPED
    limit = example.provenance.tool_limit
    results = tool_results(example)
    for call in example.calls:
        try:
            fresh = context.executor(call.function.name, call.function.arguments, limit or 0)
        except CurateError as error:
            raise StageFailure("replay", f"the call fails now: {error}") from None
        if results.get(call.id) != result_content(fresh):
            stale = is_stale(example, context)
            raise StageFailure("replay", differs(call.function.name, stale), stale=stale)
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
