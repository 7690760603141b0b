"""An optional teacher model behind any OpenAI-compatible `/v1/chat/completions` endpoint
(mlx_lm.server, ollama, vLLM...) that rewords queries and answers.

What it writes is never trusted: a reworded example passes the same six stages as any other, so a
teacher that invents a name or a line number only gets its example rejected (and recorded).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from typing import Any

from curate.errors import CurateError
from curate.synth import Rewriter

PARAPHRASE = (
    "Reword the user's request to a code assistant. Keep its meaning and every name, path and quoted "
    "text exactly. Reply with the reworded request only."
)
REPHRASE = (
    "Reword this answer of a code assistant so it reads naturally. Keep every `backticked` value, every "
    "number and every code block exactly as they are; add no facts. Reply with the reworded answer only."
)


class TeacherError(CurateError):
    """The teacher cannot be reached or answers nonsense."""


class Teacher(Rewriter):
    def __init__(self, url: str, model: str, *, timeout: float = 60.0, retries: int = 2, temperature: float = 0.7):
        base = url.rstrip("/")
        self.endpoint = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model
        self.name = f"{model}@{base}"
        self.timeout = timeout
        self.retries = retries
        self.temperature = temperature

    def paraphrase(self, query: str) -> str:
        return self.complete(PARAPHRASE, query)

    def rephrase(self, answer: str) -> str:
        return self.complete(REPHRASE, answer)

    def complete(self, instruction: str, text: str) -> str:
        body = json.dumps(
            {
                "model": self.model,
                "messages": [{"role": "system", "content": instruction}, {"role": "user", "content": text}],
                "temperature": self.temperature,
            }
        ).encode()
        request = urllib.request.Request(self.endpoint, data=body, headers={"Content-Type": "application/json"})
        last = ""
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _content(json.loads(response.read()), self.endpoint)
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code} {error.reason}"
                if error.code < 500 and error.code != 429:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                reason = getattr(error, "reason", error)
                last = f"unreachable ({reason})"
            except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, or nested past reading
                why = "nested too deeply" if isinstance(error, RecursionError) else type(error).__name__
                raise TeacherError(f"teacher at {self.endpoint} did not answer JSON ({why})") from None
            if attempt < self.retries:
                time.sleep(min(0.5 * 2**attempt, 4.0))
        raise TeacherError(f"teacher at {self.endpoint}: {last}", hint=f"after {self.retries + 1} tries")


def _content(payload: Any, endpoint: str) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise TeacherError(f"teacher at {endpoint} answered without choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise TeacherError(f"teacher at {endpoint} answered an empty message")
    return content.strip()
