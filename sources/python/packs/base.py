"""The hooks a framework pack overrides, and what a pack may use of the driver that calls them.
Adding a pack: one module with a `Pack` subclass, plus one line in `sources/python/packs/__init__.py`."""

from __future__ import annotations

from typing import Any, Protocol

import libcst as cst

from schemas import Fact
from sources.python.context import ModuleContext
from sources.python.vocabulary import ClassInfo, FunctionInfo, Scope


class Extractor(Protocol):
    """What a pack may call on the driver walking a module (`sources.python.extract.ModuleExtractor`)."""

    @property
    def ctx(self) -> ModuleContext:
        """The module's imports and bindings, and its source text."""

    @property
    def state(self) -> dict[str, Any]:
        """Per-module notes packs keep between hooks (`test_classes`, `click_groups`)."""

    def emit(self, fact: Fact) -> None: ...

    def make(self, kind: str, name: str, qualname: str, line: int, end_line: int, **detail: Any) -> Fact: ...

    def candidate(self, pack: str, receiver: str, proposed: Fact) -> None:
        """A framework use through an imported object: linking keeps it if the object qualifies."""

    def receiver_of(self, node: cst.BaseExpression) -> tuple[str | None, str | None]:
        """(class of a locally bound instance, qualified name of an imported object)."""

    def qualified(self, node: cst.BaseExpression) -> str:
        """The module-qualified name of an object, for matching across modules."""


class Pack:
    name = "base"
    instance_types: frozenset[str] = frozenset()
    """Classes whose instances this pack's candidates must be bound to, for linking to keep them."""
    reads: dict[str, frozenset[str]] = {}  # noqa: RUF012 (read-only, overridden per pack)
    """The frameworks (lowercase distribution names) whose facts of each kind this pack finds: what a
    tool's answer may claim it searched (`{"route": frozenset({"fastapi", "starlette"})}`)."""

    def may_be_reexported(self, local_type: str) -> bool:
        """`from .compat import FastAPI; app = FastAPI()`: the class may be the framework's, re-exported
        by the project; only linking, which sees every module, can tell."""
        return local_type.rsplit(".", 1)[-1] in {known.rsplit(".", 1)[-1] for known in self.instance_types}

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        """Called for every def, methods and nested ones included."""

    def on_class(self, extractor: Extractor, info: ClassInfo) -> None:
        """Called for every class."""

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        """Called for every call that is a whole statement (or the value of an assignment)."""

    def on_module(self, extractor: Extractor) -> None:
        """Called once per module, after its statements were walked (module-level names in scope): for
        what no def, class or call statement shows, such as Django's `urlpatterns = [...]` tables."""

    def accepts(self, candidate: Fact, target: str, is_instance: bool, known: dict[str, Any]) -> bool:
        """Whether a candidate whose receiver resolved to `target` across modules is real."""
        return is_instance and target in self.instance_types
