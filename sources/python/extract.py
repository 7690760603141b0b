"""The Python extractor: file bytes in, facts out.

One driver walks the statements of a module (never every expression: a full libcst visitor costs
~0.6x a parse on the stdlib) and hands functions, classes and calls to the framework packs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

import libcst as cst

from schemas import Fact
from sources.extraction import Extraction, Redact, failed, guarded, to_rows
from sources.python.classes import direct_flags
from sources.python.context import IMPORTS, AnyImport, ModuleContext, absolute_module
from sources.python.packs import PACKS
from sources.python.parse import check_tokens, decode, parse_ast, parse_cst
from sources.python.positions import Positions, positions_for
from sources.python.responses import add_responses
from sources.python.syntax import OwnBodyVisitor, blocks, dotted, suite_statements
from sources.python.vocabulary import ClassInfo, DecoratorInfo, FunctionInfo, Scope, qualname_of


class ModuleExtractor:
    """Walks one parsed module; framework packs add their facts through the hooks it calls."""

    def __init__(self, ctx: ModuleContext, positions: Positions, text_lines: list[str]) -> None:
        self.ctx = ctx
        self.positions = positions
        self.text_lines = text_lines
        self.facts: list[Fact] = []
        self.packs = PACKS
        self.state: dict[str, Any] = {}

    # -- facts shared by every pack -------------------------------------------------------
    def emit(self, fact: Fact) -> None:
        self.facts.append(fact)

    def make(self, kind: str, name: str, qualname: str, line: int, end_line: int, **detail: Any) -> Fact:
        return Fact(
            kind=kind,  # type: ignore[arg-type]
            name=name,
            qualname=qualname,
            path=self.ctx.path,
            line=line,
            end_line=end_line,
            detail=detail,
        )

    def candidate(self, pack: str, receiver: str, proposed: Fact) -> None:
        """A framework use through an imported object: linking keeps it if the object qualifies."""
        self.emit(
            self.make(
                "candidate",
                proposed.name,
                proposed.qualname,
                proposed.line,
                proposed.end_line,
                pack=pack,
                receiver=receiver,
                proposed=proposed.model_dump(mode="json"),
            )
        )

    def receiver_of(self, node: cst.BaseExpression) -> tuple[str | None, str | None]:
        """(class of a locally bound instance, qualified name of an imported object)."""
        local_type = self.ctx.instance_type(node)
        if local_type is not None:
            return local_type, None
        name = dotted(node)
        if name is not None and name.split(".")[0] in self.ctx.imports:
            return None, self.ctx.resolve(node)
        return None, None

    def qualified(self, node: cst.BaseExpression) -> str:
        """The module-qualified name of an object, for matching across modules."""
        name = dotted(node)
        if name is not None and name.split(".")[0] in self.ctx.imports:
            return self.ctx.resolve(node) or name
        prefix = f"{self.ctx.module}." if self.ctx.module else ""
        return f"{prefix}{name or self.ctx.source_of(node)}"

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> list[Fact]:
        module = self.ctx.code
        last_line = max(len(self.text_lines), 1)
        docstring = module.get_docstring()
        self.emit(
            self.make(
                "module",
                self.ctx.module.rsplit(".", 1)[-1] if self.ctx.module else posixpath.basename(self.ctx.path),
                self.ctx.module,
                1,
                last_line,
                docstring=_first_line(docstring),
                is_package=self.ctx.is_package,
            )
        )
        self.walk(module.body, ())
        for pack in self.packs:
            pack.on_module(self)
        return add_responses(self.facts, module, self.positions, self.ctx)

    def walk(self, statements: Sequence[cst.CSTNode], scope: tuple[Scope, ...]) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self.small_statement(small, scope)
            elif isinstance(statement, cst.BaseSmallStatement):
                self.small_statement(statement, scope)
            elif isinstance(statement, cst.FunctionDef):
                self.function(statement, scope)
            elif isinstance(statement, cst.ClassDef):
                self.klass(statement, scope)
            else:
                for block in blocks(statement):
                    self.walk(block, scope)

    def decorators(self, node: cst.FunctionDef | cst.ClassDef) -> list[DecoratorInfo]:
        lines = self.positions.decorator_lines(node)
        infos: list[DecoratorInfo] = []
        for decorator, line in zip(node.decorators, lines, strict=True):
            expression = decorator.decorator
            callee = expression.func if isinstance(expression, cst.Call) else expression
            infos.append(DecoratorInfo(decorator, self.ctx.source_of(expression), self.ctx.resolve(callee), line))
        return infos

    def function(self, node: cst.FunctionDef, scope: tuple[Scope, ...]) -> None:
        line, end_line = self.positions.span(node)
        decorators = self.decorators(node)
        start_line = decorators[0].line if decorators else line
        name = node.name.value
        is_method = bool(scope) and scope[-1].is_class
        type_params = self.ctx.source_of(node.type_parameters) if node.type_parameters is not None else ""
        signature = f"{type_params}({self.ctx.source_of(node.params)})"
        returns = self.ctx.source_of(node.returns.annotation) if node.returns is not None else None
        if returns is not None:
            signature += f" -> {returns}"
        fact = self.make(
            "function",
            name,
            qualname_of(scope, name),
            line,
            end_line,
            is_async=node.asynchronous is not None,
            is_generator=self.is_generator(node, start_line, end_line),
            is_method=is_method,
            is_nested=any(not item.is_class for item in scope),
            decorators=[{"written": info.written, "resolved": info.resolved, "line": info.line} for info in decorators],
            signature=signature,
            returns=returns,
            start_line=start_line,
            docstring=_first_line(node.get_docstring()),
        )
        self.emit(fact)
        owner = self.state.get("class_nodes", {}).get(scope[-1]) if is_method else None
        info = FunctionInfo(node, fact, decorators, scope, owner)
        for pack in self.packs:
            pack.on_function(self, info)
        body = suite_statements(node.body)
        local = self.ctx.enter(body)
        try:
            self.walk(body, (*scope, Scope(name, is_class=False)))
        finally:
            self.ctx.leave(local)

    def klass(self, node: cst.ClassDef, scope: tuple[Scope, ...]) -> None:
        line, end_line = self.positions.span(node)
        decorators = self.decorators(node)
        name = node.name.value
        bases = [arg.value for arg in node.bases if arg.keyword is None and not arg.star]
        resolved_bases = [self.ctx.resolve(_unsubscript(base)) for base in bases]
        flags = direct_flags(resolved_bases, [info.resolved for info in decorators])
        fact = self.make(
            "class",
            name,
            qualname_of(scope, name),
            line,
            end_line,
            bases=[self.ctx.source_of(base) for base in bases],
            resolved_bases=resolved_bases,
            decorators=[{"written": info.written, "resolved": info.resolved, "line": info.line} for info in decorators],
            start_line=decorators[0].line if decorators else line,
            docstring=_first_line(node.get_docstring()),
            **flags,
        )
        self.emit(fact)
        inner = (*scope, Scope(name, is_class=True))
        self.state.setdefault("class_nodes", {})[inner[-1]] = node
        info = ClassInfo(node, fact, decorators, scope)
        for pack in self.packs:
            pack.on_class(self, info)
        self.walk(suite_statements(node.body), inner)

    def small_statement(self, node: cst.CSTNode, scope: tuple[Scope, ...]) -> None:
        if isinstance(node, IMPORTS):
            self.imports(node, scope)
            return
        call: cst.BaseExpression | None = None
        if isinstance(node, cst.Expr):
            call = node.value.expression if isinstance(node.value, cst.Await) else node.value
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            call = node.value
            if not scope:
                self.binding(node)
        if isinstance(call, cst.Call):
            line, end_line = self.positions.span(node)
            for pack in self.packs:
                pack.on_call(self, call, line, end_line, scope)

    def imports(self, node: AnyImport, scope: tuple[Scope, ...]) -> None:
        line, end_line = self.positions.span(node)
        qualname = qualname_of(scope, "<import>") if scope else "<import>"
        lazy = isinstance(node, (cst.LazyImport, cst.LazyImportFrom))
        if isinstance(node, (cst.Import, cst.LazyImport)):
            for alias in node.names:
                module = dotted(alias.name) or ""
                local = _asname(alias)
                self.emit(
                    self.make(
                        "import",
                        local or module,
                        qualname,
                        line,
                        end_line,
                        module=module,
                        alias=local,
                        is_module_level=not scope,
                        lazy=lazy,
                    )
                )
            return
        target = dotted(node.module) if node.module is not None else None
        level = len(node.relative)
        module = absolute_module(self.ctx.module, self.ctx.is_package, level, target)
        if isinstance(node.names, cst.ImportStar):
            self.emit(
                self.make(
                    "import",
                    "*",
                    qualname,
                    line,
                    end_line,
                    module=module,
                    imported="*",
                    level=level,
                    is_module_level=not scope,
                    lazy=lazy,
                )
            )
            return
        for alias in node.names:
            imported = dotted(alias.name) or ""
            local = _asname(alias)
            self.emit(
                self.make(
                    "import",
                    local or imported,
                    qualname,
                    line,
                    end_line,
                    module=module,
                    imported=imported,
                    alias=local,
                    level=level,
                    is_module_level=not scope,
                    lazy=lazy,
                )
            )

    def binding(self, node: cst.Assign | cst.AnnAssign) -> None:
        if isinstance(node, cst.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
                return
            name = node.targets[0].target.value
        elif isinstance(node.target, cst.Name):
            name = node.target.value
        else:
            return
        bound = self.ctx.bindings.get(name)
        if bound is None:
            return
        line, end_line = self.positions.span(node)
        self.emit(
            self.make(
                "binding",
                name,
                name,
                line,
                end_line,
                target=bound.target,
                is_instance=bound.is_instance,
                keywords=bound.keywords,
            )
        )

    def is_generator(self, node: cst.FunctionDef, start_line: int, end_line: int) -> bool:
        text = "".join(self.text_lines[start_line - 1 : end_line])
        if "yield" not in text:
            return False
        return _yields(node.body)


def _yields(body: cst.CSTNode) -> bool:
    finder = _YieldFinder()
    body.visit(finder)
    return finder.found


class _YieldFinder(OwnBodyVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _unsubscript(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.value if isinstance(node, cst.Subscript) else node


def _first_line(docstring: str | None) -> str | None:
    if not docstring:
        return None
    for line in docstring.splitlines():
        if line.strip():
            return line.strip()
    return None


def extract_python(
    path: str,
    data: bytes,
    module: str,
    is_package: bool = False,
    max_bytes: int | None = None,
    force_cst_positions: bool = False,
    redact: Redact | None = None,
) -> Extraction:
    """Facts of one Python file (refused over `max_bytes`, default 5 MB). Never raises for a bad
    file: the reason is in the result. `redact` is applied to the decoded text before it is parsed."""
    try:
        return guarded(
            data,
            "python",
            max_bytes,
            _has_nul,
            lambda: _extract(path, data, module, is_package, force_cst_positions, redact),
        )
    except MemoryError:  # libcst on a huge module, past the worker's memory bound
        return failed("too_large", "ran out of memory")


def _has_nul(data: bytes) -> bool:
    return b"\x00" in data


def _extract(
    path: str, data: bytes, module: str, is_package: bool, force_cst_positions: bool, redact: Redact | None
) -> Extraction:
    check_tokens(data)
    text = decode(data)
    if redact is not None:
        text = redact(text)
    tree = parse_ast(text)
    code = parse_cst(path, text)
    positions = positions_for(code, tree, force_cst=force_cst_positions)
    ctx = ModuleContext(module, is_package, path, code)
    ctx.collect(code.body)
    text_lines = text.splitlines(keepends=True)
    facts = ModuleExtractor(ctx, positions, text_lines).run()
    return Extraction(rows=to_rows(facts), text=text, lines=len(text_lines), positions=positions.method)


def module_name(path: str, package_dirs: frozenset[str], root_package: str | None = None) -> tuple[str, bool]:
    """Dotted module name of a file relative to the mined root, and whether it is a package.

    Climbs from the file's folder while folders hold an `__init__.py`, as the import system would;
    a file outside any package is named by its stem (its folder is what would be on `sys.path`).
    When the mined folder is itself a package (`root_package`, its name), names start with it.
    """
    folder, filename = posixpath.split(path)
    stem = filename[:-3] if filename.endswith(".py") else filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts: list[str] = [] if is_package else [stem]
    while folder and folder in package_dirs:
        folder, name = posixpath.split(folder)
        parts.insert(0, name)
    if not folder and root_package:
        parts.insert(0, root_package)
    return ".".join(parts), is_package
