"""A model behind any OpenAI-compatible `/v1/chat/completions` endpoint (mlx_lm.server, vLLM,
llama.cpp's server, Ollama), asked for the next assistant turn of a conversation with tools.

The standard library speaks HTTP here: one POST a turn, a timeout on every request, retries with
backoff on 5xx and 429, and one clear error when the server cannot be reached or answers something
that is not a chat completion. Tool-call arguments go out as JSON strings (as the OpenAI API takes
them) and come back decoded; arguments that are not a JSON object make the turn a malformed call.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from curate.errors import CurateError


class EndpointError(CurateError):
    """The endpoint cannot be reached, refuses the request, or answers no chat completion."""


@dataclass(frozen=True)
class RequestedCall:
    """A tool call the model asked for; `id` is the model's own, when it gave one."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class Turn:
    """The model's next turn: calls, or an answer, or something meant as a call that cannot be read."""

    content: str | None
    calls: list[RequestedCall] = field(default_factory=list)
    malformed: str | None = None
    """Why the calls cannot be read (None: they could, or there were none)."""
    raw: str | None = None
    """What the model wrote, as it wrote it."""
    seconds: float = 0.0
    tokens: int | None = None


def chat_url(url: str) -> str:
    base = url.rstrip("/")
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as an OpenAI request carries it: tool-call arguments as JSON strings."""
    return [
        {
            **message,
            "content": message.get("content") or "",
            "tool_calls": [
                {**call, "function": {**call["function"], "arguments": json.dumps(call["function"]["arguments"])}}
                for call in message["tool_calls"]
            ],
        }
        if message.get("tool_calls")
        else message
        for message in messages
    ]


class Endpoint:
    """An OpenAI-compatible chat endpoint and the model name to ask it for."""

    def __init__(
        self, url: str, model: str, *, timeout: float = 120.0, retries: int = 2, max_tokens: int = 512
    ) -> None:
        self.url = chat_url(url)
        self.model = model
        self.name = f"{model}@{url.rstrip('/')}"
        self.timeout = timeout
        self.retries = retries
        self.max_tokens = max_tokens

    def turn(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Turn:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": wire_messages(messages),
            "temperature": 0.0,
            "max_tokens": self.max_tokens,
        }
        if tools:
            body["tools"] = tools
        began = time.perf_counter()
        payload = self.post(body)
        seconds = time.perf_counter() - began
        return read_turn(payload, self.url, seconds)

    def post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        last = ""
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code} {error.reason}"
                if error.code < 500 and error.code != 429:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                last = f"unreachable ({getattr(error, 'reason', error)})"
            except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, or nested past reading
                why = "nested too deeply" if isinstance(error, RecursionError) else type(error).__name__
                raise EndpointError(f"{self.url} did not answer JSON ({why})") from None
            if attempt < self.retries:
                time.sleep(min(0.5 * 2**attempt, 4.0))
        raise EndpointError(f"{self.url}: {last}", hint=f"after {self.retries + 1} tries")


def read_turn(payload: Any, url: str, seconds: float) -> Turn:
    """The assistant message of a chat completion as a `Turn`."""
    try:
        message = payload["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise EndpointError(f"{url} answered without choices[0].message") from None
    if not isinstance(message, dict):
        raise EndpointError(f"{url} answered a message that is not an object")
    content = message.get("content")
    content = content if isinstance(content, str) else None
    usage = payload.get("usage") if isinstance(payload, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    tokens = tokens if isinstance(tokens, int) else None
    raw_calls = message.get("tool_calls") or []
    raw = json.dumps({"content": content, "tool_calls": raw_calls}, ensure_ascii=False)
    calls: list[RequestedCall] = []
    if not isinstance(raw_calls, list):
        return Turn(content, malformed="tool_calls is not a list", raw=raw, seconds=seconds, tokens=tokens)
    for index, call in enumerate(raw_calls, start=1):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            why = f"tool call {index} has no function name"
            return Turn(content, malformed=why, raw=raw, seconds=seconds, tokens=tokens)
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as error:
                why = f"{function['name']}: arguments are not JSON ({error.msg} at column {error.colno})"
                return Turn(content, malformed=why, raw=raw, seconds=seconds, tokens=tokens)
        if not isinstance(arguments, dict):
            why = f"{function['name']}: arguments are not a JSON object"
            return Turn(content, malformed=why, raw=raw, seconds=seconds, tokens=tokens)
        call_id = call.get("id")
        calls.append(RequestedCall(function["name"], arguments, call_id if isinstance(call_id, str) else None))
    return Turn(content, calls, raw=raw if calls else None, seconds=seconds, tokens=tokens)
