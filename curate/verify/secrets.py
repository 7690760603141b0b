"""Stage 5: no message holds a secret (an API key, a token, a private key, a password...), in any
spelling a model reads it in.

Mined sources are redacted as they are read, so this catches what comes from elsewhere (an imported
dataset, a teacher's wording, a card). Each text is scanned as written, with HTML character
references resolved, and with every JSON string in it decoded (`sources.spellings`): a tool turn or
an argument written as JSON text hides nothing behind `\\"` or `\\u0041`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from curate.verify.stage import Stage, StageFailure
from schemas import Example
from sources.spellings import find_secrets_in_spellings, strings_in


def _fail(where: str, found: list[tuple[str, int]]) -> None:
    kinds = ", ".join(sorted({kind for kind, _ in found}))
    raise StageFailure("secrets", f"{where} holds a secret: {kinds}")


def check_secrets(example: Example) -> None:
    """No secret in any message's content, in any call's arguments (each value, and all of them as
    JSON) or in the tools offered."""
    for number, message in enumerate(example.messages, start=1):
        texts = [message.content or ""]
        for call in message.tool_calls or ():
            texts.append(json.dumps(call.function.arguments, ensure_ascii=False))
            texts.extend(strings_in(call.function.arguments))
        for text in texts:
            found = find_secrets_in_spellings(text)
            if found:
                _fail(f"message {number} ({message.role})", found)
    ours = catalog_specs()
    for tool in example.tools:
        name = tool.get("function", {}).get("name") if isinstance(tool, dict) else None
        if isinstance(name, str) and ours.get(name) == tool:
            continue  # curate's own spec of the tool, word for word: nothing of anyone else's in it
        found = tool_secrets(json.dumps(tool, sort_keys=True))
        if found:
            _fail("a tool's description", found)


@functools.cache
def catalog_specs() -> dict[str, dict[str, Any]]:
    """curate's own tool specs, by name (imported on first use: verification reads the catalog)."""
    from curate.tools import TOOLS

    return {name: tool.spec.as_openai() for name, tool in TOOLS.items()}


@functools.lru_cache(maxsize=256)
def tool_secrets(dumped: str) -> list[tuple[str, int]]:
    """The secrets in the strings of one tool spec (given as JSON): an imported dataset offers the
    same few tools on every row, so each is scanned once."""
    return [finding for text in strings_in(json.loads(dumped)) for finding in find_secrets_in_spellings(text)]


SECRETS = Stage("secrets", lambda example, _context: check_secrets(example))
