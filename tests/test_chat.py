"""`curate chat`: the agent loop against a scripted OpenAI-compatible endpoint (a fixed sequence of
chat completions, so every step is known), a real `mlx_lm.server` on the tiny model, and the tiny
model loaded in-process. Every call the model makes runs on a real store; its result goes back in order."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from curate.chat import example_record, read_text
from curate.cli import main
from curate.mine import mine
from curate.store import Store
from curate.synth import source_revisions
from curate.tools import DEFAULT_LIMIT, call_tool, result_content
from curate.verify import check_schema
from schemas import Example
from schemas.chat import ChatTranscript
from tests.conftest import REPO, SAMPLE

ROUTES = "Show me the FastAPI route definitions"


def completion(content: str | None = None, calls: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """One chat completion, as an OpenAI server sends it (arguments as JSON strings, or as given when
    they are not a dict, to script malformed calls)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_stub_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args) if isinstance(args, dict) else args},
            }
            for index, (name, args) in enumerate(calls)
        ]
    return {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}]}


class Scripted(ThreadingHTTPServer):
    script: list[dict[str, Any]]
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: Scripted

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        script = self.server.script
        reply = script.pop(0) if len(script) > 1 else script[0]  # the last reply repeats
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[Scripted]:
    server = Scripted(("127.0.0.1", 0), Handler)
    server.script, server.requests = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chat") / "chat.duckdb"
    with Store.open(path) as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
    return path


def url(server: Scripted) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def chat(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "chat", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expected(db: Path, name: str, arguments: dict[str, Any]) -> str:
    """What `curate tool call` gives for this call, as a tool turn carries it."""
    with Store.open(db, read_only=True) as store:
        return result_content(call_tool(store, "shop", name, arguments))


def test_every_call_is_executed_and_fed_back_in_order(
    endpoint: Scripted, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.script = [
        completion(calls=[("find_routes", {"method": "GET"})]),
        completion(calls=[("find_fixtures", {}), ("find_cli_commands", {})]),
        completion("Done: routes, fixtures and commands."),
    ]
    code, out, err = chat(
        capsys, db, "--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--json", "--save", ROUTES
    )
    assert code == 0, err
    transcript = ChatTranscript.model_validate_json(out)
    assert transcript.status == "answered" and transcript.answer == "Done: routes, fixtures and commands."
    calls = [("find_routes", {"method": "GET"}), ("find_fixtures", {}), ("find_cli_commands", {})]
    tool_turns = [message for message in transcript.messages if message["role"] == "tool"]
    ids = [turn["tool_call_id"] for turn in tool_turns]
    assert ids[0] == "call_stub_0" and len(set(ids)) == 3  # the stub reuses an id: the loop renames it
    assert [(turn["name"], turn["content"]) for turn in tool_turns] == [
        (name, expected(db, name, args)) for name, args in calls
    ]
    # each request carried everything before it: the question, then every call and its result in order
    sent = endpoint.requests
    assert [len(request["messages"]) for request in sent] == [1, 3, 6]
    assert sent[0]["messages"] == [{"role": "user", "content": ROUTES}]
    assert sent[0]["tools"] == transcript.tools and sent[0]["model"] == "stub"
    assert sent[2]["messages"][1]["tool_calls"][0]["function"] == {
        "name": "find_routes",
        "arguments": '{"method": "GET"}',
    }
    assert [m.get("tool_call_id") for m in sent[2]["messages"]] == [None, None, "call_stub_0", None, *ids[1:]]
    assert [m["content"] for m in sent[2]["messages"] if m["role"] == "tool"] == [t["content"] for t in tool_turns]
    assert [step.outcome for step in transcript.steps] == ["call", "call", "answer"]
    assert [call.name for step in transcript.steps for call in step.calls] == [name for name, _ in calls]
    assert all(call.seconds > 0 and call.error is None for step in transcript.steps for call in step.calls)
    assert transcript.seconds >= sum(step.model_seconds for step in transcript.steps)
    # the transcript is an example: it parses as one and passes the schema stage; --save verified it
    # and stored it, or recorded it as a rejection with its stage and reason
    with Store.open(db, read_only=True) as store:
        record = example_record(transcript, source_revisions(store, "shop"), DEFAULT_LIMIT)
        saved = store.examples(ids=[record["id"]])
        rejected = [item for item in store.example_rejections(domain="shop") if item.example_id == record["id"]]
    assert check_schema(record) == Example.model_validate(record)
    assert f"saved example {record['id']}: " in err
    assert len(saved) + len(rejected) == 1
    if saved:
        assert saved[0].record == record and saved[0].status == "verified"
    else:
        assert f"rejected at {rejected[0].stage}: {rejected[0].reason}" in err


def test_a_grounded_single_call_conversation_is_saved_verified(
    endpoint: Scripted, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = json.loads(expected(db, "find_routes", {}))
    first = result["matches"][0]
    answer = (
        f"There are {result['total']} routes; the first is `{first['route']}` at `{first['path']}:{first['line']}`."
    )
    endpoint.script = [completion(calls=[("find_routes", {})]), completion(answer)]
    code, out, err = chat(
        capsys, db, "--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--save", ROUTES
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"-> find_routes {{}}  ({result['total']} found, ") and lines[0].endswith(" ms)")
    assert lines[1] == answer
    assert lines[2].startswith("(2 steps, ")
    example_id = lines[3].split()[2].rstrip(":")
    assert lines[3] == f"saved example {example_id}: verified"
    with Store.open(db, read_only=True) as store:
        (saved,) = store.examples(ids=[example_id])
    assert saved.status == "verified" and saved.record["kind"] == "tool_call"
    assert saved.record["provenance"]["generator"] == "curate.chat"
    assert saved.record["messages"][-1] == {"role": "assistant", "content": answer}


@pytest.mark.parametrize(
    ("script", "status", "detail"),
    [
        (
            [completion(calls=[("find_routes", "{not json")])],
            "malformed_call",
            "step 1: the model's call cannot be read: find_routes: arguments are not JSON (",
        ),
        ([completion(calls=[("find_routes", "[1, 2]")])], "malformed_call", "arguments are not a JSON object"),
        ([completion("")], "empty_answer", "step 1: the model wrote nothing"),
        ([completion(calls=[("find_routes", {})])], "step_limit", "the model was still calling tools after 3 steps"),
    ],
)
def test_what_a_model_does_wrong_ends_the_conversation_and_says_so(
    endpoint: Scripted,
    db: Path,
    capsys: pytest.CaptureFixture[str],
    script: list[dict[str, Any]],
    status: str,
    detail: str,
) -> None:
    endpoint.script = script
    argv = ("--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--max-steps", "3", "--json", ROUTES)
    code, out, err = chat(capsys, db, *argv)
    transcript = ChatTranscript.model_validate_json(out)
    assert code == 1 and err == f"curate: error: the model did not answer ({status})\n"
    assert transcript.status == status and detail in transcript.detail
    assert len(endpoint.requests) == len(transcript.steps) <= 3


def test_a_tool_error_goes_back_to_the_model_as_the_tool_turn(
    endpoint: Scripted, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.script = [
        completion(calls=[("find_routes", {"method": 5}), ("no_such_tool", {}), ("find_html", {})]),
        completion("Sorry."),
    ]
    code, out, _ = chat(capsys, db, "--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--json", "q")
    transcript = ChatTranscript.model_validate_json(out)
    assert code == 0 and transcript.status == "answered"
    errors = [json.loads(m["content"])["error"] for m in transcript.messages if m["role"] == "tool"]
    assert errors[0].startswith("tool find_routes: method: ")
    assert errors[1].startswith("tool no_such_tool: no such tool (known: ")
    assert [call.error for call in transcript.steps[0].calls] == errors
    assert [m["content"] for m in endpoint.requests[1]["messages"] if m["role"] == "tool"] == [
        json.dumps({"error": error}) for error in errors
    ]


def test_interactive_asks_each_line_as_its_own_conversation(
    endpoint: Scripted, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    endpoint.script = [completion("One."), completion("Two.")]
    monkeypatch.setattr("sys.stdin", io.StringIO("first question\n\nsecond question\nexit\nnever asked\n"))
    code, out, _ = chat(capsys, db, "--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--json")
    transcripts = [ChatTranscript.model_validate_json(line) for line in out.splitlines()]
    assert code == 0 and [t.question for t in transcripts] == ["first question", "second question"]
    assert [t.answer for t in transcripts] == ["One.", "Two."]
    assert [len(request["messages"]) for request in endpoint.requests] == [1, 1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("no-such-run", "--domain", "shop", "q"), "'no-such-run' is not a training run, a model folder or a hub id"),
        (("--endpoint", "URL", "--model", "m", "--domain", "nowhere", "q"), "no domain 'nowhere' in the store"),
        (("--endpoint", "http://127.0.0.1:9", "--domain", "shop", "q"), "--endpoint needs --model NAME"),
        (("--domain", "shop"), "which model? `curate chat RUN --domain D`"),
        (("--endpoint", "http://127.0.0.1:9", "--model", "m", "--domain", "shop", "q"), "http://127.0.0.1:9/v1/chat"),
    ],
)
def test_bad_input_is_one_line(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    argv = tuple(a.replace("URL", "http://127.0.0.1:9") for a in argv)
    code, out, err = chat(capsys, db, *argv)
    assert code == 2 and out == "" and err.startswith("curate: error: ") and err.count("\n") == 1
    assert message in err


def test_a_local_model_s_text_is_read_as_calls_a_malformed_call_or_an_answer() -> None:
    call = '<tool_call>\n{"name": "find_routes", "arguments": {"method": "GET"}}\n</tool_call>'
    turn = read_text(call + call.replace("GET", "POST"), "<tool_call>", "</tool_call>")
    assert [(c.name, c.arguments) for c in turn.calls] == [
        ("find_routes", {"method": "GET"}),
        ("find_routes", {"method": "POST"}),
    ]
    assert turn.malformed is None and turn.content is None
    broken = read_text('<tool_call>{"name": "find_routes", "arguments": {</tool_call>', "<tool_call>", "</tool_call>")
    assert broken.calls == [] and broken.malformed and "<tool_call>" in broken.malformed
    bare = read_text('{"name": "find_routes", "arguments": {}}', "<tool_call>", "</tool_call>")
    assert bare.malformed == "a call as bare JSON"
    answer = read_text("  There are 10 routes.\n", "<tool_call>", "</tool_call>")
    assert answer.content == "There are 10 routes." and answer.calls == [] and answer.malformed is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded tiny model (randomly initialised: the loop is real, its answers are not good)."""
    from train.model import TinyModel, build_tiny_model

    export = REPO / "tests" / "golden" / "export"
    rows = [json.loads(line) for line in (export / "train.jsonl").open()]
    return build_tiny_model(rows, tmp_path_factory.mktemp("model") / "tiny", TinyModel(vocab_size=2048))


ENDED = {"answered", "malformed_call", "empty_answer", "step_limit"}


@pytest.mark.slow
def test_chat_with_a_model_folder_loaded_in_process(tiny: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = chat(
        capsys, db, str(tiny), "--domain", "shop", "--max-tokens", "12", "--max-steps", "2", "--json", ROUTES
    )
    transcript = ChatTranscript.model_validate_json(out)
    assert code == (0 if transcript.status == "answered" else 1), err
    assert transcript.model == str(tiny) and transcript.status in ENDED and 1 <= len(transcript.steps) <= 2
    assert all(step.tokens is not None and 0 < step.tokens <= 12 for step in transcript.steps)
    assert transcript.messages[0] == {"role": "user", "content": ROUTES}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def mlx_server(tiny: Path) -> Iterator[str]:
    """A real `mlx_lm.server` on the tiny model, on loopback; stopped (the process this started) after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlx_lm.server", "--model", str(tiny), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TRANSFORMERS_VERBOSITY": "error"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "mlx_lm.server exited"
            try:
                with urllib.request.urlopen(f"{base}/v1/models", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "mlx_lm.server did not start in 120 s"
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_chat_against_a_real_mlx_lm_server(mlx_server: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("--endpoint", mlx_server, "--model", "default_model", "--domain", "shop", "--max-tokens", "16")
    code, out, err = chat(capsys, db, *argv, "--max-steps", "2", "--json", "--save", ROUTES)
    transcript = ChatTranscript.model_validate_json(out)
    assert code == (0 if transcript.status == "answered" else 1), err
    assert transcript.model == f"default_model@{mlx_server}" and transcript.status in ENDED
    assert 1 <= len(transcript.steps) <= 2 and all(step.model_seconds > 0 for step in transcript.steps)
    # every call the server's parser read was executed and answered in order
    called = [c["id"] for m in transcript.messages for c in m.get("tool_calls") or []]
    assert called == [m["tool_call_id"] for m in transcript.messages if m["role"] == "tool"]
    assert "saved example " in err


def test_a_grounded_multi_step_conversation_is_verified_too(
    endpoint: Scripted, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes, fixtures = (json.loads(expected(db, name, {})) for name in ("find_routes", "find_fixtures"))
    first = routes["matches"][0]
    answer = (
        f"There are {routes['total']} routes and {fixtures['total']} fixtures; "
        f"the first route is `{first['route']}` at `{first['path']}:{first['line']}`."
    )
    endpoint.script = [
        completion(calls=[("find_routes", {})]),
        completion(calls=[("find_fixtures", {})]),
        completion(answer),
    ]
    argv = ("--endpoint", url(endpoint), "--model", "stub", "--domain", "shop", "--save")
    code, out, err = chat(capsys, db, *argv, "Show me the FastAPI route definitions and the pytest fixtures")
    assert code == 0, err
    assert out.splitlines()[-1].endswith(": verified")
