"""Hand-written conversations of every shape, as mlx-lm rows, for the curation tests until synthesis
writes them: `rows(shape, n)` gives n distinct rows of one shape; `import_rows` brings them into a
store with curate's own importer (status "unverified")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.importer import import_file
from curate.store import Store
from schemas import SHAPES, Message, shape_of

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_code",
        "description": "Search the code",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "folder": {"type": "string"}},
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}


def _call(ident: str, query: str, **more: str) -> dict[str, Any]:
    return {"id": ident, "type": "function", "function": {"name": "search_code", "arguments": {"query": query, **more}}}


def _calls(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "tool_calls": list(calls)}


def _result(ident: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": ident, "name": "search_code", "content": content}


def conversation(shape: str, n: int, *, system: str | None = None) -> dict[str, Any]:
    """Conversation number `n` of this shape; its answers hold only what its tool results hold."""
    user = {"role": "user", "content": f"Find the async functions of part {n}"}
    found = f"app{n}.py:3: async def fetch_user(uid)"
    answer = {"role": "assistant", "content": f"There is one: `fetch_user` in app{n}.py."}
    messages: list[dict[str, Any]]
    if shape == "single" and n % 3 == 0:  # a direct answer
        messages = [
            {"role": "user", "content": f"What is an async function? (question {n})"},
            {"role": "assistant", "content": "A function defined with async def: calling it gives a coroutine."},
        ]
    elif shape == "single":
        messages = [user, _calls(_call("c1", "async def")), _result("c1", found), answer]
    elif shape == "parallel":
        other = f"web{n}.py:8: async def fetch_page(url)"
        messages = [
            user,
            _calls(_call("c1", "async def", folder="app"), _call("c2", "async def", folder="web")),
            _result("c1", found),
            _result("c2", other),
            {"role": "assistant", "content": f"Two: `fetch_user` in app{n}.py and `fetch_page` in web{n}.py."},
        ]
    elif shape == "multi_step":
        messages = [
            user,
            _calls(_call("c1", "async def")),
            _result("c1", found),
            _calls(_call("c2", "fetch_user")),
            _result("c2", f"app{n}.py:3: async def fetch_user(uid)\nviews{n}.py:12: await fetch_user(uid)"),
            {"role": "assistant", "content": f"`fetch_user` in app{n}.py, awaited in views{n}.py."},
        ]
    elif shape == "multi_turn":
        messages = [
            user,
            _calls(_call("c1", "async def")),
            _result("c1", found),
            answer,
            {"role": "user", "content": "And where is it awaited?"},
            _calls(_call("c2", "await fetch_user")),
            _result("c2", f"views{n}.py:12: await fetch_user(uid)"),
            {"role": "assistant", "content": f"In views{n}.py."},
        ]
    elif shape == "clarification":
        messages = [
            {"role": "user", "content": f"Find the functions of part {n}"},
            {"role": "assistant", "content": "Which functions do you mean: async ones, or every one?"},
            {"role": "user", "content": "The async ones."},
            _calls(_call("c1", "async def")),
            _result("c1", found),
            answer,
        ]
    elif shape == "recovery":
        messages = [
            user,
            _calls(_call("c1", "async def", folder="nowhere")),
            _result("c1", "error: no folder named nowhere"),
            _calls(_call("c2", "async def")),
            _result("c2", found),
            answer,
        ]
    else:
        raise ValueError(shape)
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    row: dict[str, Any] = {"messages": messages}
    if shape != "single" or n % 3 or n % 2:  # some direct answers are offered no tools
        row["tools"] = [SEARCH]
    found_shape = shape_of([Message.model_validate(message) for message in messages])
    assert found_shape == shape, (shape, found_shape)
    return row


def rows(counts: dict[str, int], *, system_every: int = 0) -> list[dict[str, Any]]:
    """`counts[shape]` conversations of each shape; every `system_every`-th opens with a system turn."""
    made = []
    for shape in SHAPES:
        for n in range(counts.get(shape, 0)):
            system = f"You answer questions about project {n}." if system_every and n % system_every == 0 else None
            made.append(conversation(shape, n, system=system))
    return made


def import_rows(store: Store, folder: Path, domain: str, made: list[dict[str, Any]]) -> None:
    path = folder / f"{domain}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in made))
    report = import_file(store, path, domain, format="mlx", run_id=f"import-{domain}")
    assert report.bad == [] and report.imported == len(made), report.bad
