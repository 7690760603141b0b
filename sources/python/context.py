"""What a name means inside one module: its imports and module-level bindings.

libcst's QualifiedNameProvider costs ~7x a parse and cannot see that `app` in `@app.get` is a
`FastAPI()` instance, so the extractor keeps this small table instead, filled in one cheap pass over
the module's top-level statements before anything else is read.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from sources.python.syntax import blocks, dotted

BUILTIN_NAMES = frozenset(dir(builtins))
IMPORTS = (cst.Import, cst.ImportFrom, cst.LazyImport, cst.LazyImportFrom)
"""Import statements, lazy ones (`lazy import m`: PEP 810, Python 3.15, their own libcst nodes) included."""
AnyImport = cst.Import | cst.ImportFrom | cst.LazyImport | cst.LazyImportFrom


@dataclass(frozen=True)
class Binding:
    target: str
    """Qualified name of what the local name refers to (a class when `is_instance`)."""
    is_instance: bool
    keywords: dict[str, str] = field(default_factory=dict)


def absolute_module(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve `from ..x import y` relative to `module` (PEP 328)."""
    if level == 0:
        return target or ""
    parts = [part for part in module.split(".") if part]
    package_parts = parts if is_package else parts[:-1]
    keep = len(package_parts) - (level - 1)
    base = package_parts[: max(keep, 0)]
    if target:
        base.append(target)
    return ".".join(base)


@dataclass(frozen=True)
class LocalScope:
    """The names bound outside a function body, restored when its walk ends."""

    imports: dict[str, str]
    bindings: dict[str, Binding]
    definitions: set[str]


def _binds(statement: cst.CSTNode) -> bool:
    """Whether a statement of a body may bind an import or a call's result (looked into if/try/with)."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(
            isinstance(small, IMPORTS)
            or (isinstance(small, (cst.Assign, cst.AnnAssign)) and isinstance(small.value, cst.Call))
            for small in statement.body
        )
    if isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
        return any(_binds(inner) for block in blocks(statement) for inner in block)
    return False


class ModuleContext:
    def __init__(self, module: str, is_package: bool, path: str, code: cst.Module) -> None:
        self.module = module
        self.is_package = is_package
        self.path = path
        self.code = code
        self.imports: dict[str, str] = {}
        self.bindings: dict[str, Binding] = {}
        self.definitions: set[str] = set()

    def source_of(self, node: cst.CSTNode) -> str:
        return " ".join(self.code.code_for_node(node).split())

    def resolve_name(self, name: str) -> str | None:
        if name in self.imports:
            return self.imports[name]
        if name in self.definitions or name in self.bindings:
            return f"{self.module}.{name}" if self.module else name
        if name in BUILTIN_NAMES:
            return name
        return None

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """Qualified name of a dotted expression; an instance's attribute reads `Class.attr`."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        binding = self.bindings.get(head)
        if binding is not None and head not in self.imports:
            base = binding.target
        else:
            resolved = self.resolve_name(head)
            if resolved is None:
                return None
            base = resolved
        return f"{base}.{rest}" if rest else base

    def instance_type(self, node: cst.BaseExpression) -> str | None:
        """The class a receiver is an instance of, when bound here (`app = FastAPI()`)."""
        if isinstance(node, cst.Name):
            binding = self.bindings.get(node.value)
            if binding is not None and binding.is_instance and node.value not in self.imports:
                return binding.target
        return None

    def enter(self, statements: Sequence[cst.CSTNode]) -> LocalScope | None:
        """Bind the imports and assignments of a function body over the enclosing ones while the body
        is walked (`def create_app(): app = FastAPI()`), and give what `leave` restores; None when the
        body binds nothing a pack could use (the common case, which costs no copy)."""
        if not any(_binds(statement) for statement in statements):
            return None
        saved = LocalScope(self.imports, self.bindings, self.definitions)
        self.imports, self.bindings, self.definitions = dict(self.imports), dict(self.bindings), set(self.definitions)
        self.collect(statements)
        return saved

    def leave(self, saved: LocalScope | None) -> None:
        if saved is not None:
            self.imports, self.bindings, self.definitions = saved.imports, saved.bindings, saved.definitions

    def collect(self, statements: Sequence[cst.CSTNode]) -> None:
        """Record imports and bindings of top-level statements (descending into if/try blocks)."""
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._collect_small(small)
            elif isinstance(statement, cst.BaseSmallStatement):
                self._collect_small(statement)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                self.imports.pop(statement.name.value, None)
                self.definitions.add(statement.name.value)
            elif isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
                for block in blocks(statement):
                    self.collect(block)

    def _collect_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, (cst.Import, cst.LazyImport)):
            for alias in small.names:
                full = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.imports[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    self.imports[head] = head
        elif isinstance(small, (cst.ImportFrom, cst.LazyImportFrom)):
            target = dotted(small.module) if small.module is not None else None
            module = absolute_module(self.module, self.is_package, len(small.relative), target)
            if isinstance(small.names, cst.ImportStar):
                return
            for alias in small.names:
                name = dotted(alias.name) or ""
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                self.imports[local] = f"{module}.{name}" if module else name
        elif isinstance(small, cst.Assign):
            if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                self._bind(small.targets[0].target.value, small.value, None)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            self._bind(small.target.value, small.value, small.annotation.annotation)

    def _bind(self, name: str, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None) -> None:
        self.imports.pop(name, None)
        if isinstance(value, cst.Call):
            constructor = self.resolve(value.func)
            annotated = self.resolve(annotation) if annotation is not None else None
            target = annotated or constructor
            if target is not None:
                keywords = {
                    arg.keyword.value: self.source_of(arg.value) for arg in value.args if arg.keyword is not None
                }
                self.bindings[name] = Binding(target, is_instance=True, keywords=keywords)
                return
        elif value is not None and dotted(value) is not None:
            target = self.resolve(value)
            if target is not None:
                self.bindings[name] = Binding(target, is_instance=False)
                return
        elif annotation is not None:
            annotated = self.resolve(annotation)
            if annotated is not None:
                self.bindings[name] = Binding(annotated, is_instance=True)
                return
        self.definitions.add(name)
