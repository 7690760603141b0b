"""Linking: what one module cannot know alone, settled over all facts of a source.

`from .app import app` then `@app.get(...)`: the extractor records a candidate; here it becomes a
route only if `app` really is bound to a `FastAPI()` somewhere in the source. Class flags inherit
through the project's own classes, and CLI commands get their full names through `add_typer`.
Pure and deterministic: the result depends only on the facts given, so relinking is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schemas import Fact
from sources.python.classes import direct_flags, inherited_flags
from sources.python.link_routes import is_route_candidate, link_routes
from sources.python.packs import PACKS_BY_NAME
from sources.python.packs.cli import CLICK_GROUP_TYPES, click_name, typer_name

MAX_HOPS = 20


@dataclass
class Linked:
    added: list[Fact] = field(default_factory=list)
    """Facts that linking creates (candidates that qualified)."""
    changed: list[Fact] = field(default_factory=list)
    """Extracted facts whose detail linking corrects (same identity, new detail)."""
    rejected: list[tuple[Fact, str]] = field(default_factory=list)
    """Candidates that did not qualify, with the reason."""


class SourceIndex:
    def __init__(self, facts: Iterable[Fact]) -> None:
        self.modules: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        self.instances: dict[str, str] = {}
        self.keywords: dict[str, dict[str, str]] = {}
        """The keyword arguments, as written, of the call that made each instance."""
        self.classes: dict[str, Fact] = {}
        self.click_groups: dict[str, Fact] = {}
        facts = list(facts)
        for fact in facts:
            if fact.kind == "module":
                self.modules[fact.path] = fact.qualname
        for fact in facts:
            module = self.modules.get(fact.path, "")
            if fact.kind == "import" and fact.detail["is_module_level"] and fact.detail.get("imported") != "*":
                local = fact.detail["alias"] or fact.name
                imported = fact.detail.get("imported")
                target = _join(fact.detail["module"], imported) if imported else fact.detail["module"]
                self.aliases[_join(module, local)] = target
            elif fact.kind == "binding":
                key = _join(module, fact.name)
                if fact.detail["is_instance"]:
                    self.instances[key] = fact.detail["target"]
                    self.keywords[key] = fact.detail["keywords"]
                else:
                    self.aliases[key] = fact.detail["target"]
            elif fact.kind == "class":
                self.classes[_join(module, fact.qualname)] = fact
            elif fact.kind == "cli_command" and fact.detail["is_group"]:
                self.click_groups[_join(module, fact.qualname)] = fact

    def canonical(self, name: str) -> str:
        """Follow re-exports and aliases (`pkg.app` -> `pkg.main.app`) to the defining name."""
        seen: set[str] = set()
        while name not in seen and len(seen) < MAX_HOPS:
            seen.add(name)
            if name in self.instances or name in self.classes or name in self.click_groups:
                break
            if name in self.aliases:
                name = self.aliases[name]
                continue
            head, _, attr = name.rpartition(".")
            if head and head in self.aliases:
                name = f"{self.aliases[head]}.{attr}"
                continue
            break
        return name


def _join(module: str, name: str) -> str:
    return f"{module}.{name}" if module else name


def link(facts: Iterable[Fact]) -> Linked:
    facts = list(facts)
    index = SourceIndex(facts)
    linked = Linked()
    known: dict[str, Any] = {"click_groups": set(index.click_groups)}
    for fact in facts:
        if fact.kind != "candidate" or is_route_candidate(fact):
            continue
        pack = PACKS_BY_NAME.get(fact.detail["pack"])
        receiver = index.canonical(fact.detail["receiver"])
        target = index.instances.get(receiver)
        is_instance = target is not None
        target = index.canonical(target) if target is not None else receiver
        if pack is not None and pack.accepts(fact, target, is_instance, known):
            proposed = dict(fact.detail["proposed"])
            if proposed["kind"] == "route":
                framework = "starlette" if target.startswith("starlette.") else "fastapi"
                proposed["detail"] = {**proposed["detail"], "framework": framework}
                proposed["detail"] = _router_prefixed(proposed["detail"], index.keywords.get(receiver, {}))
            elif proposed["kind"] == "cli_command" and (target in index.click_groups or target in CLICK_GROUP_TYPES):
                proposed = _as_click_command(proposed)
            linked.added.append(Fact.model_validate(proposed))
        else:
            linked.rejected.append((fact, f"{fact.detail['receiver']} is not a {fact.detail['pack']} object"))
    _cli_chains(linked, index, known)
    routes, not_routes = link_routes(facts, index)
    linked.added.extend(routes)
    linked.rejected.extend(not_routes)
    linked.changed.extend(_class_flags(index))
    linked.changed.extend(_cli_names([*facts, *linked.added], index))
    linked.added.sort(key=Fact.sort_key)
    linked.changed.sort(key=Fact.sort_key)
    return linked


def _cli_chains(linked: Linked, index: SourceIndex, known: dict[str, Any]) -> None:
    """`from .main import cli`, `@cli.group() def db()`, `@db.command() def sync()`: `sync` is a
    candidate on `db`, which is a group only once its own candidate is kept; go on until none is."""
    pack = PACKS_BY_NAME["cli"]
    while True:
        groups = {
            _join(index.modules.get(fact.path, ""), fact.qualname)
            for fact in linked.added
            if fact.kind == "cli_command" and fact.detail["is_group"]
        } - known["click_groups"]
        if not groups:
            return
        known["click_groups"] = known["click_groups"] | groups
        still: list[tuple[Fact, str]] = []
        for fact, reason in linked.rejected:
            if fact.detail["pack"] == "cli" and pack.accepts(fact, fact.detail["receiver"], False, known):
                linked.added.append(Fact.model_validate(_as_click_command(dict(fact.detail["proposed"]))))
            else:
                still.append((fact, reason))
        linked.rejected = still


def _as_click_command(proposed: dict[str, Any]) -> dict[str, Any]:
    """A command declared on a click group imported from another module (`@cli.command()`): the
    extractor could not tell it from a Typer app's; Click derives its name differently."""
    detail = proposed["detail"]
    function = detail["function"].rsplit(".", 1)[-1]
    name = proposed["name"]
    if name == typer_name(function):
        name = click_name(function)
    detail = {**detail, "framework": "click", "full_name": name}
    return {**proposed, "name": name, "detail": detail}


def _router_prefixed(detail: dict[str, Any], keywords: dict[str, str]) -> dict[str, Any]:
    """A route declared on a router imported from another module gets the router's literal `prefix`
    (`APIRouter(prefix="/items")`), as a route on a router of its own module does."""
    prefix = _string_literal(keywords.get("prefix"))
    if not prefix:
        return detail
    if detail["route_is_literal"]:
        return {**detail, "route": prefix + detail["route"]}
    return {**detail, "route": f'"{prefix}" + {detail["route"]}'}


def _string_literal(written: str | None) -> str | None:
    """The value of a plain one-line string literal as written (`"/items"`), else None."""
    if written is None or len(written) < 2 or written[0] not in "'\"" or written[-1] != written[0]:
        return None
    inner = written[1:-1]
    return None if "\\" in inner or written[0] in inner else inner


def _class_flags(index: SourceIndex) -> list[Fact]:
    memo: dict[str, dict[str, bool]] = {}

    def flags_of(name: str, depth: int = 0) -> dict[str, bool] | None:
        key = index.canonical(name)
        fact = index.classes.get(key)
        if fact is None or depth > MAX_HOPS:
            return None
        if key not in memo:
            memo[key] = _own_flags(fact)
            inherited = inherited_flags(fact.detail["resolved_bases"], lambda base: flags_of(base, depth + 1))
            memo[key] = {flag: own or inherited[flag] for flag, own in _own_flags(fact).items()}
        return memo[key]

    changed: list[Fact] = []
    for key, fact in sorted(index.classes.items()):
        flags = flags_of(key)
        if flags is not None and any(fact.detail[flag] != value for flag, value in flags.items()):
            changed.append(fact.model_copy(update={"detail": {**fact.detail, **flags}}))
    return changed


def _own_flags(fact: Fact) -> dict[str, bool]:
    direct = direct_flags(fact.detail["resolved_bases"], [])
    return {flag: direct[flag] for flag in ("is_pydantic_model", "is_enum", "is_exception")}


def _cli_names(facts: list[Fact], index: SourceIndex) -> list[Fact]:
    """The command line of every command under its root: `users create` for a command of a Typer app
    mounted with `add_typer(users, name="users")`, `db migrate up` for click groups three deep,
    `init-db` for a command added to a group with `add_command(init_db, "init-db")`.

    Each command, group or app steps up to its parent: a command to the group it was declared on,
    a mounted object to where it was mounted. The root's name is not part of the line, except for
    a root command itself (a standalone `@click.command()` is named by its own name)."""
    commands: dict[str, Fact] = {}
    mounts: dict[str, tuple[str, str | None]] = {}
    for fact in facts:
        module = index.modules.get(fact.path, "")
        if fact.kind == "cli_command":
            commands.setdefault(_join(module, fact.qualname), fact)
        elif fact.kind == "cli_mount":
            child = index.canonical(fact.detail["child"])
            name = fact.detail["mount_name"]
            if name is None:
                name = _typer_name_keyword(facts, index, child)
            mounts[child] = (index.canonical(fact.detail["parent"]), name)

    def up(key: str, fact: Fact | None) -> tuple[str, str | None] | None:
        if fact is not None and fact.detail["group"]:
            return index.canonical(fact.detail["group"]), fact.name
        if key in mounts:
            parent, name = mounts[key]
            return parent, name if name is not None or fact is None else fact.name
        return None

    changed: list[Fact] = []
    for fact in facts:
        if fact.kind != "cli_command":
            continue
        key = index.canonical(_join(index.modules.get(fact.path, ""), fact.qualname))
        step = up(key, fact)
        names: list[str] = [] if step is not None else [fact.name]
        seen: set[str] = set()
        while step is not None and key not in seen:
            seen.add(key)
            key, name = step
            if name:
                names.insert(0, name)
            step = up(key, commands.get(key))
        full_name = " ".join(names)
        if full_name != fact.detail["full_name"]:
            changed.append(fact.model_copy(update={"detail": {**fact.detail, "full_name": full_name}}))
    return changed


def _typer_name_keyword(facts: list[Fact], index: SourceIndex, child: str) -> str | None:
    for fact in facts:
        if fact.kind == "binding" and _join(index.modules.get(fact.path, ""), fact.name) == child:
            name = fact.detail["keywords"].get("name")
            if name and name[0] in "'\"" and name[-1] == name[0]:
                return str(name[1:-1])
    return None
