"""The six verification stages every example passes, in order; the first failure rejects it.

1. schema     it parses as an `Example`; roles come in a valid order; every tool call is answered
              exactly once; every called tool is offered and is the catalog's tool.
2. arguments  each call's arguments are valid against the tool's JSON Schema, strictly: a bool is not
              an int, a JSON string is not an object, no extra keys, enums respected.
3. replay     the call is run again against the store and must give the recorded result byte for
              byte; when the source has been re-mined since, the example is stale.
4. grounding  every identifier, `path:line`, path, code block and number in a tool-call answer comes
              from the tool results (or the call's own arguments); a direct answer names nothing
              local to the domain's mined sources (public library names are fine).
5. secrets    no message holds a secret (an API key, a token, a private key, a password...).
6. length     the conversation, tools included, fits the token budget.

One module per concern (`schema`, `replay`, `grounding` with `locality`, `secrets`, `length`), each
holding its `Stage`; `verifier.STAGES` lists them in order; `stage` holds what they share.
"""

from __future__ import annotations

from curate.verify.grounding import check_imported_grounding, check_tool_grounding, template_words
from curate.verify.length import (
    BYTES_PER_TOKEN,
    DEFAULT_MAX_TOKENS,
    conversation_text,
    estimate_tokens,
    tokenizer_counter,
)
from curate.verify.locality import check_direct_grounding, local_names
from curate.verify.schema import check_arguments, check_schema, schema_problem
from curate.verify.secrets import check_secrets
from curate.verify.stage import Context, Passed, Stage, StageFailure, TokenCounter, tool_results
from curate.verify.verifier import STAGES, Verdict, Verifier

__all__ = [
    "BYTES_PER_TOKEN",
    "DEFAULT_MAX_TOKENS",
    "STAGES",
    "Context",
    "Passed",
    "Stage",
    "StageFailure",
    "TokenCounter",
    "Verdict",
    "Verifier",
    "check_arguments",
    "check_direct_grounding",
    "check_imported_grounding",
    "check_schema",
    "check_secrets",
    "check_tool_grounding",
    "conversation_text",
    "estimate_tokens",
    "local_names",
    "schema_problem",
    "template_words",
    "tokenizer_counter",
    "tool_results",
]
