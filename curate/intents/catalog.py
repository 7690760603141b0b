"""The intent catalog: intents read from TOML files (`data/intents/*.toml`) and checked at load.

Each file holds `[[intent]]` entries: a name, the tool the call goes to, the language of the domains
it serves, a call builder and an answer writer (by registered name, with their parameters), and the
query templates in order. Files load in name order and entries keep their order: the order is part
of what a seed reproduces. A bad entry is an `InputError` naming its file and line; the version is a
hash of the files, so examples record exactly which catalog wrote them.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from curate.errors import InputError
from curate.intents.calls import BUILDERS, SLOTS
from curate.intents.model import Intent, placeholders
from curate.intents.registry import ParameterError
from curate.intents.writers import WRITERS
from curate.tools import TOOLS

INTENTS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "intents"
WORD = re.compile(r"\w+")
KEYS = ("name", "tool", "language", "calls", "answer", "templates")


@dataclass(frozen=True)
class Catalog:
    intents: dict[str, Intent]
    version: str
    """A short hash of the files' names and bytes."""
    files: tuple[Path, ...]

    @functools.cached_property
    def template_words(self) -> frozenset[str]:
        """The words of the question templates, which a question may use freely (verification)."""
        return frozenset(
            word for intent in self.intents.values() for template in intent.templates for word in WORD.findall(template)
        )


def load_catalog(*folders: Path) -> Catalog:
    """The intents of every `*.toml` under the folders (each folder's files in name order)."""
    files = [path for folder in folders for path in intent_files(folder)]
    intents: dict[str, tuple[Intent, str]] = {}
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode() + data)
        source = IntentFile(path, data)
        for intent, line in source.intents():
            if intent.name in intents:
                raise InputError(f"intent {intent.name!r} repeats {intents[intent.name][1]}", path=str(path), line=line)
            intents[intent.name] = (intent, f"{path}:{line}")
    return Catalog({name: intent for name, (intent, _) in intents.items()}, digest.hexdigest()[:12], tuple(files))


def intent_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError("not a folder of intent files", path=str(folder))
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise InputError("no intent files (*.toml) here", path=str(folder))
    return files


@functools.cache
def shipped() -> Catalog:
    """The catalog under `data/intents/`, read once."""
    return load_catalog(INTENTS_DIR)


class IntentFile:
    """One intent file: its entries turned into intents, its errors pointed at a line."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        try:
            self.text = data.decode("utf-8")
            self.table = tomllib.loads(self.text)
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8: {error}", path=str(path)) from None
        except tomllib.TOMLDecodeError as error:
            found = re.search(r"\(at line (\d+), column \d+\)$", str(error))
            message = str(error)[: found.start()].strip() if found else str(error)
            raise InputError(f"not TOML: {message}", path=str(path), line=int(found[1]) if found else None) from None
        lines = self.text.splitlines()
        self.starts = [
            number for number, text in enumerate(lines, start=1) if re.match(r"\s*\[\[\s*intent\s*\]\]", text)
        ]
        self.lines = lines

    def intents(self) -> list[tuple[Intent, int]]:
        for key in self.table:
            if key != "intent":
                self.fail(f"unknown key {key!r} (an intent file holds [[intent]] entries)", self.top_line(key))
        entries = self.table.get("intent", [])
        if not isinstance(entries, list) or not entries:
            self.fail("no [[intent]] entries", 1)
        return [
            (self.intent(number, entry), self.entry_line(number, "name", None)) for number, entry in enumerate(entries)
        ]

    def intent(self, number: int, entry: object) -> Intent:
        def fail(message: str, key: str | None = None, needle: str | None = None) -> NoReturn:
            self.fail(message, self.entry_line(number, key, needle))

        if not isinstance(entry, dict):
            fail(f"intent #{number + 1} must be a table")
        for key in entry:
            if key not in KEYS:
                fail(f"unknown key {key!r} (known: {', '.join(KEYS)})", key)
        for key in KEYS:
            if key not in entry:
                fail(f"intent #{number + 1} lacks {key!r}")
        name, tool, language, templates = entry["name"], entry["tool"], entry["language"], entry["templates"]
        for key, value in (("name", name), ("tool", tool), ("language", language)):
            if not isinstance(value, str) or not value:
                fail(f"{key} must be a non-empty string", key)
        if tool not in TOOLS:
            fail(f"{name}: unknown tool {tool!r} (known: {', '.join(sorted(TOOLS))})", "tool")
        served = TOOLS[tool].languages if tool in TOOLS else frozenset[str]()
        if language not in served:
            fail(
                f"{name}: tool {tool} serves {'/'.join(sorted(served)) or 'no language'}, not {language!r}", "language"
            )
        if not isinstance(templates, list) or not templates or not all(isinstance(t, str) for t in templates):
            fail(f"{name}: templates must be a non-empty list of strings", "templates")
        calls_table, answer_table = (self.named_table(entry, key, name, fail) for key in ("calls", "answer"))
        try:  # the fixed arguments only: the builder adds the others
            TOOLS[tool].arguments.model_validate(calls_table.get("arguments") or {})
        except ValidationError as error:
            for problem in error.errors():
                if problem["type"] != "missing":
                    where = ".".join(str(part) for part in problem["loc"])
                    fail(f"{name}: calls: arguments for {tool}: {where}: {problem['msg']}", "calls")
        try:
            build = BUILDERS.get(calls_table.pop("builder"))
            calls = build.bind(calls_table)
        except ParameterError as error:
            fail(f"{name}: calls: {error}", "calls")
        try:
            answer = WRITERS.get(answer_table.pop("writer")).bind(answer_table)
        except ParameterError as error:
            fail(f"{name}: answer: {error}", "answer")
        slots = SLOTS[build.name]
        for template in templates:
            try:
                wanted = frozenset(placeholders(template) - {"project"})
            except ValueError as error:
                fail(f"{name}: template {template!r}: {error}", "templates", template)
            if wanted not in slots:
                fills = ", ".join("{" + ", ".join(sorted(names)) + "}" for names in slots)
                fail(
                    f"{name}: template {template!r} names {sorted(wanted)}, which no call of {build.name} fills "
                    f"(its calls fill: {fills}; {{project}} is always free)",
                    "templates",
                    template,
                )
        return Intent(name, tool, language, tuple(templates), calls, answer)

    def named_table(
        self, entry: dict[str, Any], key: str, name: str, fail: Callable[[str, str], NoReturn]
    ) -> dict[str, Any]:
        """A copy of `calls` / `answer`: a table with `builder` / `writer` and the parameters."""
        table = entry[key]
        field = "builder" if key == "calls" else "writer"
        if not isinstance(table, dict) or field not in table:
            fail(f'{name}: {key} must be a table with {field} = "..." and its parameters', key)
        return dict(table)

    # -- where in the file -----------------------------------------------------------------------
    def fail(self, message: str, line: int | None) -> NoReturn:
        raise InputError(message, path=str(self.path), line=line)

    def entry_line(self, number: int, key: str | None, needle: str | None) -> int:
        """The line of `key` (or of `needle`, a template) inside the entry, else the entry's header."""
        if number >= len(self.starts):  # entries written as `intent = [...]`, not [[intent]] headers
            return self.top_line("intent")
        start = self.starts[number]
        end = self.starts[number + 1] if number + 1 < len(self.starts) else len(self.lines) + 1
        for lineno in range(start, end):
            text = self.lines[lineno - 1]
            if needle is not None and needle in text:
                return lineno
        if key is not None:
            pattern = re.compile(rf"\s*({re.escape(key)}\s*=|\[\s*intent\.{re.escape(key)}\s*\])")
            for lineno in range(start, end):
                if pattern.match(self.lines[lineno - 1]):
                    return lineno
        return start

    def top_line(self, key: str) -> int:
        pattern = re.compile(rf"\s*({re.escape(key)}\s*=|\[+\s*{re.escape(key)}\b)")
        return next((n for n, text in enumerate(self.lines, start=1) if pattern.match(text)), 1)
