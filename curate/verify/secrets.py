"""Stage 5: no message holds a secret (an API key, a token, a private key, a password...).

Mined sources are redacted as they are read, so this catches what comes from elsewhere (an imported
dataset, a teacher's wording, a card).
"""

from __future__ import annotations

import json

from curate.verify.stage import Stage, StageFailure
from schemas import Example
from sources.secrets import find_secrets


def check_secrets(example: Example) -> None:
    """No secret in any message's content or in any call's arguments."""
    for number, message in enumerate(example.messages, start=1):
        texts = [message.content or ""]
        texts += [json.dumps(call.function.arguments, ensure_ascii=False) for call in message.tool_calls or ()]
        for text in texts:
            found = find_secrets(text)
            if found:
                kinds = ", ".join(sorted({kind for kind, _ in found}))
                raise StageFailure("secrets", f"message {number} ({message.role}) holds a secret: {kinds}")


SECRETS = Stage("secrets", lambda example, _context: check_secrets(example))
