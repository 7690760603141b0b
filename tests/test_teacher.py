"""The teacher path against an OpenAI-compatible HTTP server on loopback.

The server here is a small in-process fake that speaks the `/v1/chat/completions` contract; it tests
the HTTP client, retries and errors, and that a teacher's words pass the same six stages."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from curate.mine import mine
from curate.store import Store
from curate.synth import synthesize
from curate.teacher import Teacher, TeacherError
from tests.conftest import SAMPLE

GARBAGE = {"not utf-8": b'{"choices": "\xff\xfe"}', "deep": b"[" * 100_000 + b"]" * 100_000}


class FakeServer(ThreadingHTTPServer):
    mode = "reword"
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        if self.server.mode == "fail":
            self.send_error(500, "overloaded")
            return
        if self.server.mode in GARBAGE:
            self.answer(GARBAGE[self.server.mode])
            return
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if system.startswith("Reword the user's request"):
            text = f"Could you help me with this: {user}"
        elif self.server.mode == "hallucinate":
            text = re.sub(r":(\d+)`", ":999`", user)
        else:
            text = f"{user}\n\nThose are all of them."
        self.answer(json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode())

    def answer(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer(("127.0.0.1", 0), Handler)
    fake.requests = []
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    yield store
    store.close()


def url(server: FakeServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_a_faithful_teacher_rewords_and_is_recorded(server: FakeServer, shop: Store) -> None:
    synthesis = synthesize(shop, "shop", 10, seed=1, teacher=Teacher(url(server), "tiny"))
    assert synthesis.teacher_kept > 0
    taught = [item for item in synthesis.examples if item.record["provenance"].get("teacher")]
    assert taught and all(item.record["template"].endswith("/teacher") for item in taught)
    assert all(item.query.startswith("Could you help me with this: ") for item in taught)
    assert taught[0].record["provenance"]["teacher"] == f"tiny@{url(server)}"
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert server.requests[0]["model"] == "tiny"


def test_a_hallucinating_teacher_is_rejected_by_grounding(server: FakeServer, shop: Store) -> None:
    server.mode = "hallucinate"
    synthesis = synthesize(
        shop, "shop", 10, seed=1, tool_ratio=1.0, intents=["routes"], teacher=Teacher(url(server), "t")
    )
    assert synthesis.counts()["tool_call"] == 10
    grounded = [rejection for rejection, record in synthesis.rejections if record["provenance"].get("teacher")]
    assert grounded and {rejection.stage for rejection in grounded} == {"grounding"}
    assert all(":999" in rejection.reason for rejection in grounded)
    for item in synthesis.examples:
        assert ":999`" not in item.record["messages"][-1]["content"]


def test_server_errors_are_retried_then_reported(server: FakeServer) -> None:
    server.mode = "fail"
    teacher = Teacher(url(server), "t", retries=1)
    with pytest.raises(TeacherError, match=r"HTTP 500 .*after 2 tries"):
        teacher.paraphrase("hello")
    assert len(server.requests) == 2


def test_an_unreachable_teacher_is_one_clear_error() -> None:
    with pytest.raises(TeacherError, match=r"teacher at http://127.0.0.1:9/v1/chat/completions: unreachable"):
        Teacher("http://127.0.0.1:9/v1", "t", retries=0, timeout=2).paraphrase("hello")


@pytest.mark.parametrize("mode", sorted(GARBAGE))
def test_a_reply_that_cannot_be_read_is_one_clear_error(server: FakeServer, mode: str) -> None:
    server.mode = mode
    with pytest.raises(TeacherError, match=r"did not answer JSON"):
        Teacher(url(server), "t", retries=0).paraphrase("hello")
