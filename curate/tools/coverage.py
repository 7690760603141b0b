"""Coverage: what a framework-bound tool searched, so that no answer claims an absence curate cannot know.

`find_routes` finds the routes of the frameworks the packs read; a project that declares its routes
with another one has routes the tool cannot see. So the results of the tools bound to a fact kind
carry a `Coverage`: the frameworks of that kind the domain imports (`uses`, from the knowledge table
`data/frameworks.toml`, which names frameworks curate does not read too), those the tool reads
(`reads`, derived from the packs' `Pack.reads`, never written here), and those it uses but the tool
does not read (`unread`). An empty result with something `unread` proves nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from curate.errors import InputError
from schemas.tool import Coverage

if TYPE_CHECKING:  # the packs bring libcst: loaded only when a framework-bound tool runs
    from sources.python.packs import Pack

FRAMEWORKS_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "frameworks.toml"
TOOL_KINDS: dict[str, str] = {
    "find_routes": "route",
    "find_cli_commands": "cli_command",
    "find_fixtures": "fixture",
    "find_tests": "test",
    "find_services": "service",
}
"""The tools bound to frameworks, and the fact kind each one finds: their results carry coverage."""
KEYS = ("name", "display", "kinds", "imports")
NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
Fail = Callable[[str, int | None], NoReturn]


@dataclass(frozen=True)
class Framework:
    name: str
    """The lowercase distribution name, as `Pack.reads` names it."""
    display: str
    """How an answer writes it."""
    kinds: frozenset[str]
    imports: tuple[str, ...]

    def imported_by(self, dotted: str) -> bool:
        """`flask`, `flask.views.MethodView`, or `unittest` for `unittest.TestCase`."""
        return any(
            dotted == name or dotted.startswith(name + ".") or name.startswith(dotted + ".") for name in self.imports
        )


def load_frameworks(path: Path = FRAMEWORKS_FILE) -> tuple[Framework, ...]:
    """The table's frameworks in file order. A bad entry is an `InputError` naming the file and line."""
    import tomllib  # read by the framework-bound tools only: the others start without it

    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the framework table: {error}", path=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)$", str(error))
        message = str(error)[: found.start()].strip() if found else str(error)
        raise InputError(f"not TOML: {message}", path=str(path), line=int(found[1]) if found else None) from None
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*framework\s*\]\]", line)]

    def fail(message: str, number: int | None = None) -> NoReturn:
        line = starts[number] if number is not None and number < len(starts) else None
        raise InputError(message, path=str(path), line=line)

    for key in table:
        if key != "framework":
            fail(f"unknown key {key!r} (the table holds [[framework]] entries)")
    entries = table.get("framework")
    if not isinstance(entries, list) or not entries:
        fail("no [[framework]] entries")
    frameworks: list[Framework] = []
    for number, entry in enumerate(entries):
        frameworks.append(framework(entry, number, fail))
    seen: dict[str, int] = {}
    for number, item in enumerate(frameworks):
        if item.name in seen:
            fail(f"framework {item.name!r} repeats entry #{seen[item.name] + 1}", number)
        seen[item.name] = number
    return tuple(frameworks)


def framework(entry: object, number: int, fail: Fail) -> Framework:
    if not isinstance(entry, dict):
        fail(f"entry #{number + 1} must be a table", number)
    unknown = sorted(set(entry) - set(KEYS))
    missing = [key for key in KEYS if key not in entry]
    if unknown or missing:
        problem = f"unknown key {unknown[0]!r}" if unknown else f"lacks {missing[0]!r}"
        fail(f"entry #{number + 1} {problem} (keys: {', '.join(KEYS)})", number)
    name, shown, kinds, imports = (entry[key] for key in KEYS)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        fail(f"name {name!r} must be a lowercase distribution name", number)
    if not isinstance(shown, str) or not shown.strip():
        fail(f"{name}: display must be a non-empty string", number)
    bound = sorted(set(TOOL_KINDS.values()))
    if not isinstance(kinds, list) or not kinds or not all(kind in bound for kind in kinds):
        fail(f"{name}: kinds must be a non-empty list of {', '.join(bound)}", number)
    dotted = isinstance(imports, list) and all(isinstance(item, str) and DOTTED.fullmatch(item) for item in imports)
    if not imports or not dotted:
        fail(f"{name}: imports must be a non-empty list of dotted import names", number)
    return Framework(name, shown, frozenset(kinds), tuple(imports))


@functools.cache
def frameworks() -> tuple[Framework, ...]:
    """The shipped table, read once."""
    return load_frameworks()


def known(kind: str) -> tuple[Framework, ...]:
    """The frameworks of a fact kind, in table order."""
    return tuple(item for item in frameworks() if kind in item.kinds)


def shipped_packs() -> tuple[Pack, ...]:
    from sources.python.packs import PACKS

    return tuple(PACKS)


def reads(kind: str, packs: Iterable[Pack] | None = None) -> frozenset[str]:
    """The frameworks whose facts of `kind` some pack finds (the shipped packs by default)."""
    return frozenset(
        name for pack in (shipped_packs() if packs is None else packs) for name in pack.reads.get(kind, ())
    )


def imported_names(imports: Iterable[tuple[str | None, str | None]]) -> frozenset[str]:
    """What `import` facts import (their `(module, imported)`, `Store.imports`), as absolute dotted
    names (`flask`, `flask.Flask`)."""
    names: set[str] = set()
    for given, imported in imports:
        module = given or ""
        dotted = f"{module}.{imported}" if module and imported and imported != "*" else module
        if dotted and not dotted.startswith("."):
            names.add(dotted)
    return frozenset(names)


def coverage(kind: str, imported: Iterable[str], packs: Iterable[Pack] | None = None) -> Coverage:
    """What a tool finding facts of `kind` searches in a domain that imports these names."""
    names = frozenset(imported)
    uses = {item.name for item in known(kind) if any(item.imported_by(name) for name in names)}
    read = reads(kind, packs)
    return Coverage(uses=sorted(uses), reads=sorted(read), unread=sorted(uses - read))


def display(name: str) -> str:
    """How an answer writes a framework: its table display name, else the name itself."""
    return next((item.display for item in frameworks() if item.name == name), name)


def searched(found: Coverage) -> list[str]:
    """The frameworks an answer that found nothing names, in table order: those the domain uses that
    the tool reads, or every framework the tool reads when the domain uses none of them."""
    used = [name for name in found.uses if name in found.reads]
    return in_table_order(used or found.reads)


def in_table_order(names: Iterable[str]) -> list[str]:
    """Framework names in the table's order (any the table lacks last, sorted)."""
    chosen = set(names)
    ordered = [item.name for item in frameworks() if item.name in chosen]
    return ordered + sorted(chosen - set(ordered))


def either(names: Iterable[str]) -> str:
    """`FastAPI`, `FastAPI or Flask`, `FastAPI, Starlette or Flask` (display names)."""
    shown = [display(name) for name in names]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} or {shown[-1]}"
