"""Linking for Flask, Django and Litestar routes: each route candidate is served under every chain of
mounts above its container (`register_blueprint`, `include`, `Router(route_handlers=[...])`), with the
literal prefixes joined the framework's way, and a class-based view becomes one route per method.

The candidates come from `sources/python/packs/routing.py`; this is called by `link.link`. Pure and
deterministic, like the rest of linking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from schemas import Fact
from sources.python.packs.django import GENERIC_VIEWS
from sources.python.packs.flask import APPS, BLUEPRINTS
from sources.python.packs.routing import (
    ALL_METHODS,
    HTTP_VERBS,
    ROUTE_PACKS,
    Part,
    django_join,
    flask_join,
    join_parts,
    keyword_part,
    litestar_join,
)

MAX_DEPTH = 20
MAX_PREFIXES = 64
"""A container served at more places than this (mounts in a loop) keeps the first ones."""
JOINS: dict[str, Callable[[str, str], str]] = {"flask": flask_join, "django": django_join, "litestar": litestar_join}

Chain = tuple[Part, ...]
Rejected = list[tuple[Fact, str]]


class SourceIndex(Protocol):
    """What this reads of linking's index (`sources.python.link.SourceIndex`)."""

    modules: dict[str, str]
    instances: dict[str, str]
    classes: dict[str, Fact]

    def canonical(self, name: str) -> str: ...


def is_route_candidate(fact: Fact) -> bool:
    return fact.kind == "candidate" and fact.detail["pack"] in ROUTE_PACKS


class _Routes:
    def __init__(self, facts: Sequence[Fact], index: SourceIndex) -> None:
        self.index = index
        self.routes: list[tuple[Fact, str, dict[str, Any]]] = []
        self.edges: dict[str, list[tuple[str, Part | None]]] = defaultdict(list)
        self.own: dict[str, Part] = {}
        self.handlers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.keywords: dict[str, dict[str, str]] = {}
        for fact in facts:
            if fact.kind == "binding" and fact.detail["is_instance"]:
                module = index.modules.get(fact.path, "")
                self.keywords[f"{module}.{fact.name}" if module else fact.name] = fact.detail["keywords"]
        mounts: list[tuple[str, str, str, Part | None]] = []
        for fact in facts:
            if not is_route_candidate(fact):
                continue
            proposed = fact.detail["proposed"]
            receiver = index.canonical(fact.detail["receiver"])
            if "route" in proposed:
                self.routes.append((fact, receiver, proposed))
                if proposed["own_prefix"] is not None:
                    self.own.setdefault(receiver, tuple(proposed["own_prefix"]))
            elif "mount" in proposed:
                mount = proposed["mount"]
                prefix = tuple(mount["prefix"]) if mount["prefix"] is not None else None
                mounts.append((fact.detail["pack"], receiver, mount["child"], prefix))
            elif "handler" in proposed:
                self.handlers[receiver].append(proposed["handler"])
            elif "own_prefix" in proposed:
                self.own.setdefault(receiver, tuple(proposed["own_prefix"]))
        containers = {receiver for _, receiver, _ in self.routes} | {parent for _, parent, _, _ in mounts}
        for pack, parent, child, prefix in mounts:
            key = index.canonical(child)
            if pack == "django" and key not in containers:
                key = index.canonical(f"{child}.urlpatterns")
            self.edges[key].append((parent, prefix))

    def flask_kind(self, key: str, instance_of: str | None) -> str | None:
        """`app` or `blueprint` for an instance of Flask's classes or of a project subclass of them."""
        target = instance_of or self.index.instances.get(key)
        if target is None:
            return None
        seen: set[str] = set()
        pending = [self.index.canonical(target)]
        while pending and len(seen) < MAX_DEPTH:
            name = pending.pop()
            if name in APPS:
                return "app"
            if name in BLUEPRINTS:
                return "blueprint"
            seen.add(name)
            fact = self.index.classes.get(name)
            if fact is not None:
                bases = [self.index.canonical(base) for base in fact.detail["resolved_bases"] if base]
                pending.extend(base for base in bases if base not in seen)
        return None

    def own_prefix(self, key: str) -> Part | None:
        if key in self.own:
            return self.own[key]
        return keyword_part(self.keywords.get(key, {}).get("url_prefix"))

    def prefixes(self, key: str, depth: int = 0) -> list[Chain]:
        """Every chain of prefixes a container's routes are served under."""
        own = self.own_prefix(key)
        if not self.edges.get(key) or depth > MAX_DEPTH:
            return [(own,)] if own is not None else [()]
        chains: list[Chain] = []
        for parent, prefix in self.edges[key]:
            given = prefix if prefix is not None else own
            for outer in self.prefixes(parent, depth + 1):
                chains.append((*outer, given) if given is not None else outer)
        return chains[:MAX_PREFIXES]

    def view_handlers(self, key: str) -> tuple[list[dict[str, Any]], list[str] | None, list[str]]:
        """(verb methods, a `methods` list, the resolved bases) along a view class and its project bases."""
        verbs: dict[str, dict[str, Any]] = {}
        methods: list[str] | None = None
        bases: list[str] = []
        pending, seen = [key], set[str]()
        while pending and len(seen) < MAX_DEPTH:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            for handler in self.handlers.get(name, []):
                if handler["name"] in HTTP_VERBS:
                    verbs.setdefault(handler["name"], handler)
                elif methods is None:
                    methods = list(handler["methods"])
            fact = self.index.classes.get(name)
            if fact is not None:
                resolved = [self.index.canonical(base) for base in fact.detail["resolved_bases"] if base]
                bases.extend(resolved)
                pending.extend(resolved)
        ordered = [verbs[verb] for verb in HTTP_VERBS if verb in verbs]
        return ordered, methods, bases

    def expand(self, route: Fact, framework: str, view: str) -> list[Fact]:
        verbs, methods, bases = self.view_handlers(self.index.canonical(view))
        short = route.detail["function"].rsplit(".", 1)[-1]
        if verbs:
            out = []
            for handler in verbs:
                same_file = handler.get("path") == route.path and handler["line"] != route.line
                detail = {
                    **route.detail,
                    "methods": [handler["name"].upper()],
                    "function": f"{short}.{handler['name']}",
                    "handler_line": handler["line"] if same_file else None,
                }
                out.append(
                    route.model_copy(
                        update={"name": handler["name"], "qualname": f"{short}.{handler['name']}", "detail": detail}
                    )
                )
            return out
        if methods is None and framework == "django":
            chain = [self.index.canonical(view), *bases]
            known = [
                list(GENERIC_VIEWS[base.rsplit(".", 1)[-1]])
                for base in chain
                if base.startswith("django.views.") and base.rsplit(".", 1)[-1] in GENERIC_VIEWS
            ]
            methods = known[0] if known else list(ALL_METHODS)
        return [route.model_copy(update={"detail": {**route.detail, "methods": sorted(methods or ["GET"])}})]

    def settle(self, added: list[Fact], rejected: Rejected) -> None:
        for fact, receiver, proposed in self.routes:
            route = Fact.model_validate(proposed["route"])
            framework = route.detail["framework"]
            if (
                fact.detail["pack"] == "flask"
                and proposed["container"] is None
                and self.flask_kind(receiver, proposed["instance_of"]) is None
            ):
                rejected.append((fact, f"{fact.detail['receiver']} is not a Flask app or blueprint"))
                continue
            if proposed["view_function"] is not None:
                for handler in self.handlers.get(self.index.canonical(proposed["view_function"]), []):
                    route = route.model_copy(update={"detail": {**route.detail, "methods": handler["methods"]}})
            relative: Part = (route.detail["route"], route.detail["route_is_literal"])
            routes = [route] if proposed["view"] is None else self.expand(route, framework, proposed["view"])
            for chain in self.prefixes(receiver):
                text, literal = join_parts((*chain, relative), JOINS[framework])
                for one in routes:
                    detail = {**one.detail, "route": text, "route_is_literal": literal}
                    added.append(one.model_copy(update={"detail": detail}))


def link_routes(facts: Sequence[Fact], index: SourceIndex) -> tuple[list[Fact], Rejected]:
    """The routes the Flask, Django and Litestar candidates make, and the candidates that are not routes."""
    added: list[Fact] = []
    rejected: Rejected = []
    _Routes(facts, index).settle(added, rejected)
    return added, rejected
