"""The hooks a framework pack overrides. Adding a pack: one module with a `Pack` subclass, plus
one line in `sources/python/packs/__init__.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from schemas import Fact

if TYPE_CHECKING:
    from sources.python.extract import ClassInfo, FunctionInfo, ModuleExtractor, Scope


class Pack:
    name = "base"
    instance_types: frozenset[str] = frozenset()
    """Classes whose instances this pack's candidates must be bound to, for linking to keep them."""

    def may_be_reexported(self, local_type: str) -> bool:
        """`from .compat import FastAPI; app = FastAPI()`: the class may be the framework's, re-exported
        by the project; only linking, which sees every module, can tell."""
        return local_type.rsplit(".", 1)[-1] in {known.rsplit(".", 1)[-1] for known in self.instance_types}

    def on_function(self, extractor: ModuleExtractor, info: FunctionInfo) -> None:
        """Called for every def, methods and nested ones included."""

    def on_class(self, extractor: ModuleExtractor, info: ClassInfo) -> None:
        """Called for every class."""

    def on_call(
        self, extractor: ModuleExtractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]
    ) -> None:
        """Called for every call that is a whole statement (or the value of an assignment)."""

    def accepts(self, candidate: Fact, target: str, is_instance: bool, known: dict[str, Any]) -> bool:
        """Whether a candidate whose receiver resolved to `target` across modules is real."""
        return is_instance and target in self.instance_types
