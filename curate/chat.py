"""`curate chat`: ask a question about a mined domain, run every tool call the model makes with the
executor on the store, feed each result back, until the model answers or the step limit comes.

The model is a training run (its base model with its adapters), a model folder (a fused one), a hub
id in the local cache, or any OpenAI-compatible endpoint. The model is offered the tools a domain's
examples offer, and results are paged as in examples, so it is asked as it was trained.

Nothing here raises for what a model does: a call that cannot be read, a tool that fails, an empty
answer or the step limit end the conversation (or, for a failing tool, go back to the model as the
tool turn `{"error": ...}`), and the transcript says what happened (`ChatTranscript.status`, `detail`).
A transcript can be saved as an example candidate (`save_transcript`): it goes through the six
stages like any other, and is stored when it passes or recorded as a rejection when it does not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from curate.endpoint import RequestedCall, Turn
from curate.errors import CurateError, InputError
from curate.intents import active_catalog
from curate.store import Store, StoredExample
from curate.synth import domain_languages, example_id, offered_tools, source_revisions
from curate.tools import DEFAULT_LIMIT, TOOLS, Executor, result_content
from curate.verify import DEFAULT_MAX_TOKENS, TokenCounter, Verdict, Verifier, estimate_tokens
from schemas import Message, shape_of
from schemas.chat import CallTiming, ChatStep, ChatTranscript, StepOutcome
from train.evaluate import classify

GENERATOR = "curate.chat"
DEFAULT_MAX_STEPS = 5


class ChatModel(Protocol):
    """Whatever writes the assistant's next turn: a local model or an endpoint."""

    name: str

    def turn(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Turn: ...


def _json_call(body: str, tools: Any) -> Any:
    return json.loads(body)


class LocalChatModel:
    """A model loaded with mlx-lm (`train.chat`); its text is read here: a `<tool_call>` block (the
    markers its chat template uses) holding JSON with a name and arguments is a call; one that cannot
    be read, or a fenced or bare JSON call, is malformed (as `curate eval` sorts them); else an answer."""

    def __init__(self, model_path: str, adapter_path: str | None, name: str, *, max_tokens: int = 256) -> None:
        from train.chat import LocalModel

        self.model = LocalModel(model_path, adapter_path)
        self.name = name
        self.max_tokens = max_tokens

    def turn(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Turn:
        generated = self.model.generate(messages, tools, max_tokens=self.max_tokens)
        return read_text(
            generated.text,
            self.model.tool_call_start,
            self.model.tool_call_end,
            seconds=generated.seconds,
            tokens=generated.tokens,
        )


def read_text(text: str, start: str, end: str, *, seconds: float = 0.0, tokens: int | None = None) -> Turn:
    """A model's raw text as a turn: calls, a malformed call, or an answer."""
    parsed = classify(text, _json_call, start, end)
    if parsed.outcome == "call":
        calls = [RequestedCall(call.name, call.arguments) for call in parsed.calls]
        return Turn(None, calls, raw=text, seconds=seconds, tokens=tokens)
    if parsed.outcome == "malformed_call":
        why = f"a {start} block that is not JSON with a name and arguments" if start in text else "a call as bare JSON"
        return Turn(None, malformed=why, raw=text, seconds=seconds, tokens=tokens)
    return Turn(text.strip(), raw=text, seconds=seconds, tokens=tokens)


def local_model(store: Store, name: str, *, max_tokens: int = 256) -> LocalChatModel:
    """A training run (base + adapters), a model folder (a fused one), or a hub id in the local cache."""
    from curate.training import model_folder
    from train import MlxUnavailable, require_mlx
    from train.model import ModelNotFound, locate_model

    try:
        require_mlx()
    except MlxUnavailable as error:
        raise InputError(str(error)) from None
    runs = store.train_runs([name])
    if runs:
        run = runs[0]
        adapters = Path(run.folder) / "adapters"
        if not (adapters / "adapters.safetensors").is_file():
            raise InputError(f"run {name} has no adapters yet ({run.status})", hint="`curate runs` lists them")
        base, adapter_path = model_folder(run), str(adapters)
    else:
        try:
            base, adapter_path = str(locate_model(name, cached_only=True)), None
        except ModelNotFound as error:
            raise InputError(
                f"{name!r} is not a training run, a model folder or a hub id in the local cache ({error})",
                hint="`curate runs` lists the runs",
            ) from None
    try:
        return LocalChatModel(base, adapter_path, name, max_tokens=max_tokens)
    except (OSError, ValueError) as error:  # a folder mlx-lm cannot load: say which, in one line
        raise InputError(f"cannot load {base}: {str(error).splitlines()[0]}") from None


class Session:
    """One domain's store, its offered tools, and the executor that answers the model's calls."""

    def __init__(self, store: Store, domain: str, *, limit: int = DEFAULT_LIMIT) -> None:
        self.domain = domain
        self.limit = limit
        probe = Executor(store, domain)  # raises InputError for an unknown domain
        self.tools = offered_tools(domain_languages(probe))
        offered = {tool["function"]["name"] for tool in self.tools}
        self.executor = Executor(store, domain, {name: tool for name, tool in TOOLS.items() if name in offered})

    def execute(self, name: str, arguments: dict[str, Any]) -> tuple[str, int | None, str | None]:
        """(the tool turn's content, matches found, the error) for one call."""
        try:
            result = self.executor(name, arguments, self.limit)
        except CurateError as error:
            return json.dumps({"error": str(error)}, ensure_ascii=False), None, str(error)
        return result_content(result), result.total, None


def converse(
    question: str, model: ChatModel, session: Session, *, max_steps: int = DEFAULT_MAX_STEPS
) -> ChatTranscript:
    """Ask, execute every call, feed it back, until an answer or `max_steps` model turns."""
    began = time.perf_counter()
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    steps: list[ChatStep] = []
    used: set[str] = set()

    def finish(status: str, detail: str) -> ChatTranscript:
        return ChatTranscript.model_validate(
            {
                "domain": session.domain,
                "model": model.name,
                "status": status,
                "detail": detail,
                "messages": messages,
                "tools": session.tools,
                "steps": steps,
                "seconds": time.perf_counter() - began,
            }
        )

    for step in range(1, max_steps + 1):
        turn = model.turn(messages, session.tools)
        if turn.malformed is not None:
            steps.append(ChatStep(step=step, outcome="malformed_call", model_seconds=turn.seconds, raw=turn.raw))
            return finish("malformed_call", f"step {step}: the model's call cannot be read: {turn.malformed}")
        if not turn.calls:
            answer = (turn.content or "").strip()
            outcome: StepOutcome = "answer" if answer else "empty_answer"
            raw = turn.raw if not answer and turn.raw else None
            steps.append(ChatStep(step=step, outcome=outcome, model_seconds=turn.seconds, tokens=turn.tokens, raw=raw))
            if not answer:
                wrote = f"only whitespace ({turn.tokens or '?'} tokens)" if raw else "nothing"
                return finish("empty_answer", f"step {step}: the model wrote {wrote}")
            messages.append({"role": "assistant", "content": answer})
            made = sum(len(item.calls) for item in steps)
            return finish("answered", f"answered in {step} steps after {made} tool calls")
        calls = []
        for call in turn.calls:
            call_id = call.id if call.id and call.id not in used else f"call_{len(used) + 1}"
            used.add(call_id)
            calls.append((call_id, call))
        assistant: dict[str, Any] = {
            "role": "assistant",
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call_id, call in calls
            ],
        }
        if turn.content and turn.content.strip():
            assistant["content"] = turn.content.strip()
        messages.append(assistant)
        timings = []
        for call_id, call in calls:
            started = time.perf_counter()
            content, total, error = session.execute(call.name, call.arguments)
            seconds = time.perf_counter() - started
            timings.append(CallTiming(id=call_id, name=call.name, seconds=seconds, total=total, error=error))
            messages.append({"role": "tool", "tool_call_id": call_id, "name": call.name, "content": content})
        steps.append(ChatStep(step=step, outcome="call", model_seconds=turn.seconds, tokens=turn.tokens, calls=timings))
    return finish("step_limit", f"the model was still calling tools after {max_steps} steps")


def example_record(transcript: ChatTranscript, sources: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The transcript as an example candidate (what `curate examples --json` prints)."""
    messages = [{key: value for key, value in message.items() if value is not None} for message in transcript.messages]
    locations: set[str] = set()
    for message in messages:
        if message["role"] != "tool":
            continue
        try:
            matches = json.loads(message["content"]).get("matches") or []
        except (ValueError, AttributeError):  # an error turn, or text: no locations
            continue
        locations.update(f"{match['path']}:{match['line']}" for match in matches if "path" in match)
    called = any(message.get("tool_calls") for message in messages)
    return {
        "id": example_id(transcript.domain, messages, transcript.tools),
        "domain": transcript.domain,
        "kind": "tool_call" if called else "direct",
        "intent": "chat",
        "template": "chat",
        "messages": messages,
        "tools": transcript.tools,
        "provenance": {
            "generator": GENERATOR,
            "generator_version": "1",
            "seed": 0,
            "sources": sources,
            "locations": sorted(locations),
            "tool_limit": limit,
            "teacher": transcript.model,
        },
        "catalog_version": active_catalog().version,
        "shape": shape_of([Message.model_validate(message) for message in messages]),
    }


def save_transcript(
    store: Store,
    transcript: ChatTranscript,
    run_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> Verdict:
    """Verify the transcript as an example candidate; store it when it passes, record its rejection
    (stage and reason, with the record) when it does not."""
    record = example_record(transcript, source_revisions(store, transcript.domain), limit)
    verdict = Verifier(store, transcript.domain, max_tokens=max_tokens, count_tokens=count_tokens).verify(record)
    if verdict.rejection is not None:
        store.record_example_rejections([(verdict.rejection, record)], run_id)
    else:
        store.save_examples([StoredExample(record, verdict.status, verdict.checks, verdict.tokens)], run_id)
    store.record_run(run_id, "chat", {"domain": transcript.domain, "example": record["id"], "status": verdict.status})
    return verdict


Say = Callable[[str], None]


def show(transcript: ChatTranscript, say: Say) -> None:
    """The conversation for a person: each call with what it found and its time, then the answer."""
    for step in transcript.steps:
        for call in step.calls:
            arguments = next(
                item["function"]["arguments"]
                for message in transcript.messages
                for item in message.get("tool_calls") or []
                if item["id"] == call.id
            )
            found = f"error: {call.error}" if call.error else f"{call.total} found"
            say(f"-> {call.name} {json.dumps(arguments, ensure_ascii=False)}  ({found}, {call.seconds * 1000:.1f} ms)")
    if transcript.answer is not None:
        say(transcript.answer)
    else:
        say(f"[{transcript.status}] {transcript.detail}")
        raw = transcript.steps[-1].raw if transcript.steps else None
        if raw and raw.strip():
            say(f"the model wrote: {raw.strip()[:300]}")
    model = sum(step.model_seconds for step in transcript.steps)
    say(f"({len(transcript.steps)} steps, {transcript.seconds:.2f}s: model {model:.2f}s)")
