"""The import graph, read from the source with `ast`: imports point down and nowhere run in a circle.

`schemas/` is the ground floor, `sources/` imports only it and itself, and inside `sources/python/`
the framework packs sit below the driver that runs them. Function-level imports count as much as
top-level ones: hiding an import in a function hides an arrow, it does not remove it.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schemas", "sources", "train", "curate")


def module_files() -> dict[str, Path]:
    """Dotted name of every module of our packages, with its file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def imported_modules(name: str, path: Path) -> set[str]:
    """Modules of our packages that this module imports, wherever the import statement sits."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join([*parts[: len(parts) - (node.level - 1)], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                targets.add(candidate if candidate in MODULES else base)
    return {_known(target) for target in targets if target.split(".")[0] in PACKAGES}


def _known(target: str) -> str:
    """The module a dotted name lives in (`sources.python.extract.argument` -> `sources.python.extract`)."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    assert target in MODULES, f"{target} is not a module of ours"
    return target


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_graph_reads_every_module() -> None:
    assert "sources.python.extract" in GRAPH
    assert "sources.python.packs" in GRAPH["sources.python.extract"]
    assert "sources.python.vocabulary" in GRAPH["sources.python.packs.pytest"]


def test_no_import_circle() -> None:
    try:
        tuple(graphlib.TopologicalSorter(GRAPH).static_order())
    except graphlib.CycleError as error:
        # The sorter lists each module before the one that imports it; read it the other way round.
        pytest.fail(f"import circle: {' imports '.join(reversed(error.args[1]))}")


def test_schemas_import_nothing_of_ours_but_schemas() -> None:
    for name, targets in GRAPH.items():
        if name.startswith("schemas"):
            assert {t.split(".")[0] for t in targets} <= {"schemas"}, name


def test_sources_import_only_schemas_and_sources() -> None:
    for name, targets in GRAPH.items():
        if name.startswith("sources"):
            assert {t.split(".")[0] for t in targets} <= {"schemas", "sources"}, (name, targets)


DEFERRED_IMPORTS = {
    ("sources/extract.py", "extract_file"),  # libcst is half a worker's start; a worker of pages never needs it
    ("sources/extraction.py", "from_row"),  # workers make rows; only the parent validates them into models
}
"""The imports a worker defers on purpose, each saying why where it is made."""


def test_sources_import_at_the_top_of_a_module() -> None:
    """No import in a function, but the deferred few: the module's imports are its first lines, and
    say all it needs."""
    for name, path in MODULES.items():
        if not name.startswith("sources"):
            continue
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (where, node.name) not in DEFERRED_IMPORTS:
                hidden = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not hidden, f"{where}:{hidden[0].lineno}: import inside {node.name}()"


def test_the_packs_sit_below_the_python_driver() -> None:
    """Packs and their vocabulary reach neither the driver nor linking, which both run the packs."""
    below = [name for name in GRAPH if name.startswith("sources.python.packs")] + ["sources.python.vocabulary"]
    for name in below:
        assert not reachable(name) & {"sources.python.extract", "sources.python.link", "sources.python"}, name
