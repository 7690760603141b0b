"""The core facts: functions, classes, imports, positions, qualnames."""

from __future__ import annotations

import textwrap

import pytest

from sources.extraction import ExtractionFailure
from sources.python import extract_python, module_name
from sources.python.parse import check_tokens
from tests.conftest import extract, of_kind


def test_functions_carry_flags_signature_and_docstring() -> None:
    facts = extract(
        '''
        import functools

        @functools.cache
        @other(
            1,
        )
        async def fetch(url: str, *, retries: int = 3) -> bytes:
            """Fetch a URL.

            More text.
            """
            return b""

        def numbers():
            yield 1
        '''
    )
    fetch, numbers = of_kind(facts, "function")
    assert (fetch.name, fetch.line, fetch.end_line) == ("fetch", 8, 13)
    assert fetch.detail["start_line"] == 4
    assert fetch.detail["is_async"] and not fetch.detail["is_generator"]
    assert fetch.detail["signature"] == "(url: str, *, retries: int = 3) -> bytes"
    assert fetch.detail["returns"] == "bytes"
    assert fetch.detail["docstring"] == "Fetch a URL."
    assert [(d["written"], d["resolved"], d["line"]) for d in fetch.detail["decorators"]] == [
        ("functools.cache", "functools.cache", 4),
        ("other( 1, )", None, 5),
    ]
    assert numbers.detail["is_generator"] and not numbers.detail["is_async"]


def test_qualnames_follow_python() -> None:
    facts = extract(
        """
        class Outer:
            class Inner:
                def method(self):
                    def helper():
                        class Local:
                            async def deep(self): ...
        def top():
            async def nested(): ...
        """
    )
    names = [(fact.kind, fact.qualname, fact.line) for fact in facts if fact.kind in {"class", "function"}]
    assert names == [
        ("class", "Outer", 2),
        ("class", "Outer.Inner", 3),
        ("function", "Outer.Inner.method", 4),
        ("function", "Outer.Inner.method.<locals>.helper", 5),
        ("class", "Outer.Inner.method.<locals>.helper.<locals>.Local", 6),
        ("function", "Outer.Inner.method.<locals>.helper.<locals>.Local.deep", 7),
        ("function", "top", 8),
        ("function", "top.<locals>.nested", 9),
    ]
    method = next(f for f in facts if f.qualname == "Outer.Inner.method")
    nested = next(f for f in facts if f.qualname == "top.<locals>.nested")
    assert method.detail["is_method"] and not method.detail["is_nested"]
    assert nested.detail["is_nested"] and nested.detail["is_async"] and not nested.detail["is_method"]


def test_generator_flag_ignores_nested_scopes() -> None:
    facts = extract(
        """
        def outer():
            def inner():
                yield 1
            return [x for x in inner()]

        def uses_lambda():
            return lambda: (yield)

        async def agen():
            yield 1
        """
    )
    flags = {fact.qualname: fact.detail["is_generator"] for fact in of_kind(facts, "function")}
    assert flags == {"outer": False, "outer.<locals>.inner": True, "uses_lambda": False, "agen": True}


def test_definitions_inside_blocks_are_found() -> None:
    facts = extract(
        """
        import sys
        if sys.version_info >= (3, 11):
            def a(): ...
        elif True:
            def b(): ...
        else:
            def c(): ...
        try:
            def d(): ...
        except ImportError:
            def e(): ...
        finally:
            def f(): ...
        for _ in range(1):
            def g(): ...
        else:
            def h(): ...
        with open("x") as handle:
            def i(): ...
        match sys.platform:
            case "linux":
                def j(): ...
        while False: k = 1; l = 2
        """
    )
    assert [(f.name, f.line) for f in of_kind(facts, "function")] == [
        ("a", 4),
        ("b", 6),
        ("c", 8),
        ("d", 10),
        ("e", 12),
        ("f", 14),
        ("g", 16),
        ("h", 18),
        ("i", 20),
        ("j", 23),
    ]


def test_classes_and_their_kinds() -> None:
    facts = extract(
        """
        import enum
        from dataclasses import dataclass as dc
        from typing import Protocol, Generic
        import pydantic

        @dc(frozen=True)
        class Point:
            x: int

        class Color(enum.IntEnum):
            RED = 1

        class Greeter(Protocol):
            def greet(self) -> str: ...

        class Oops(ValueError):
            pass

        class User(pydantic.BaseModel):
            name: str

        class Box(Generic[T]):
            pass
        """
    )
    flags = {
        fact.name: sorted(
            k for k in ("is_dataclass", "is_enum", "is_protocol", "is_exception", "is_pydantic_model") if fact.detail[k]
        )
        for fact in of_kind(facts, "class")
    }
    assert flags == {
        "Point": ["is_dataclass"],
        "Color": ["is_enum"],
        "Greeter": ["is_protocol"],
        "Oops": ["is_exception"],
        "User": ["is_pydantic_model"],
        "Box": [],
    }
    box = next(f for f in facts if f.name == "Box")
    assert box.detail["bases"] == ["Generic[T]"] and box.detail["resolved_bases"] == ["typing.Generic"]


def test_imports_resolve_relative_modules() -> None:
    facts = extract(
        """
        import os.path as p, json
        from . import sibling
        from ..core import Thing as T
        from .. import *
        def f():
            import csv
        """,
        path="pkg/sub/mod.py",
        module="pkg.sub.mod",
    )
    rows = [
        (f.line, f.detail["module"], f.detail["imported"], f.detail["alias"], f.detail["is_module_level"])
        for f in of_kind(facts, "import")
    ]
    assert rows == [
        (2, "os.path", None, "p", True),
        (2, "json", None, None, True),
        (3, "pkg.sub", "sibling", None, True),
        (4, "pkg.core", "Thing", "T", True),
        (5, "pkg", "*", None, True),
        (7, "csv", None, None, False),
    ]


def test_relative_imports_in_a_package_init() -> None:
    facts = extract("from .core import x\n", path="pkg/__init__.py", module="pkg", is_package=True)
    assert of_kind(facts, "import")[0].detail["module"] == "pkg.core"


def test_modern_syntax_parses_with_exact_lines() -> None:
    """3.12 type parameters and aliases, 3.14 t-strings: on an older Python, `ast` cannot read
    them and positions come from libcst instead; lines must not change."""
    facts = extract(
        """
        type Pair[T] = tuple[T, T]

        class Stack[T]:
            def push[U: int](self, item: T) -> None: ...

        def render(name):
            return t"hello {name}"

        @decorator
        def last[*Ts](): ...
        """
    )
    assert [(f.kind, f.qualname, f.line, f.end_line) for f in facts if f.kind in {"class", "function"}] == [
        ("class", "Stack", 4, 5),
        ("function", "Stack.push", 5, 5),
        ("function", "render", 7, 8),
        ("function", "last", 11, 11),
    ]
    push = next(f for f in facts if f.name == "push")
    assert push.detail["signature"] == "[U: int](self, item: T) -> None"
    assert next(f for f in facts if f.name == "last").detail["start_line"] == 10


def test_both_position_methods_agree() -> None:
    source = '''
        import x

        @a.b(1,
             2)
        class K(Base, metaclass=M):
            """Doc."""

            @property
            def p(self):  # comment
                return (1 +
                        2)

            # trailing comment

        async def g():
            if x:
                pass
            # comment at the end

        x.register_factory(A, b)
        '''
    by_ast = extract(source)
    by_cst = extract(source, force_cst_positions=True)
    assert by_ast == by_cst


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"def f(:\n    pass\n", "syntax_error"),
        (b"x = '\xff\xfe'\n", "undecodable"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "undecodable"),
        (b"\x7fELF\x00\x00\x01", "binary"),
        (b"x = " + b"(" * 10_000 + b"1" + b")" * 10_000, "too_deeply_nested"),
        (b"x = " + b" + ".join([b"'a'"] * 100_000), "too_deeply_nested"),
        (b"x = 1\n" * 10, "too_large"),
    ],
)
def test_bad_files_are_failed_with_a_reason(data: bytes, reason: str) -> None:
    result = extract_python("bad.py", data, "bad", max_bytes=50)
    if reason != "too_large":
        result = extract_python("bad.py", data, "bad")
    assert (result.status, result.reason) == ("failed", reason)
    assert result.error and result.facts == []


def test_a_file_of_too_many_tokens_is_refused_before_any_parse() -> None:
    """A 2 MB one-line literal (a million elements) once took 4.7 GB in libcst; a dict as well."""
    listed = b"x = [" + b",".join(b"%d" % (i % 10) for i in range(1_000_000)) + b"]\n"
    mapped = b"x = {" + b",".join(b"%d:'v'" % i for i in range(200_000)) + b"}\n"
    for data in (listed, mapped):
        result = extract_python("big.py", data, "big")
        assert (result.status, result.reason) == ("failed", "too_large")
        assert result.error is not None and "tokens" in result.error


@pytest.mark.parametrize(
    ("source", "tokens"),
    [
        (b"x = 1\n", 3),
        (b"s = '''a = [1, 2,\n3]''' # [1, 2]\n", 4),
        (b'f = rb"\\" + "it\'s"\n', 5),
        (b'u = """unterminated', 3),
    ],
)
def test_tokens_are_counted_as_python_reads_them(source: bytes, tokens: int) -> None:
    check_tokens(source, limit=tokens)
    with pytest.raises(ExtractionFailure):
        check_tokens(source, limit=tokens - 1)


def test_syntax_errors_point_at_the_source() -> None:
    result = extract_python("src/app.py", b"x = 1\ndef f(:\n", "app")
    assert result.error is not None and result.error.startswith("src/app.py:2:")


def test_latin1_file_with_a_coding_cookie() -> None:
    result = extract_python("l.py", "# -*- coding: latin-1 -*-\ndef café(): pass\n".encode("latin-1"), "l")
    assert result.status == "ok"
    assert [f.name for f in result.facts if f.kind == "function"] == ["café"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pkg/__init__.py", ("pkg", True)),
        ("pkg/sub/mod.py", ("pkg.sub.mod", False)),
        ("src/pkg/mod.py", ("pkg.mod", False)),
        ("scripts/run.py", ("run", False)),
        ("top.py", ("top", False)),
    ],
)
def test_module_names_follow_packages(path: str, expected: tuple[str, bool]) -> None:
    packages = frozenset({"pkg", "pkg/sub", "src/pkg"})
    assert module_name(path, packages) == expected


def test_relative_imports_in_a_root_package() -> None:
    """A mined folder that is itself a package: its `__init__.py` is module "" and `.app` is `app`."""
    facts = extract("from .app import app\nfrom . import util\n", path="__init__.py", module="", is_package=True)
    assert [(f.detail["module"], f.detail["imported"]) for f in of_kind(facts, "import")] == [
        ("app", "app"),
        ("", "util"),
    ]


def test_both_position_methods_agree_on_real_code() -> None:
    """The ast-backed positions must equal libcst's own PositionProvider on real stdlib files."""
    import asyncio
    import json
    import pathlib

    files = sorted(pathlib.Path(json.__file__).parent.glob("*.py"))
    files += [pathlib.Path(asyncio.__file__).parent / name for name in ("base_events.py", "tasks.py", "locks.py")]
    for file in files:
        data = file.read_bytes()
        by_ast = extract_python(file.name, data, file.stem)
        by_cst = extract_python(file.name, data, file.stem, force_cst_positions=True)
        assert (by_ast.positions, by_cst.positions) == ("ast", "libcst")
        assert by_ast.facts == by_cst.facts, file


def test_pydoc_topics_does_not_overflow_the_recursion_limit() -> None:
    """`pydoc_data/topics.py` makes full libcst visitors raise RecursionError (LibCST #1178)."""
    import pydoc_data.topics

    path = pydoc_data.topics.__file__
    assert path is not None
    with open(path, "rb") as handle:
        result = extract_python("pydoc_data/topics.py", handle.read(), "pydoc_data.topics")
    assert result.status == "ok" and result.facts[0].kind == "module"


def test_a_mined_folder_that_is_a_package_names_its_modules() -> None:
    assert module_name("fixtures.py", frozenset({""}), "_pytest") == ("_pytest.fixtures", False)
    assert module_name("__init__.py", frozenset({""}), "_pytest") == ("_pytest", True)
    assert module_name("sub/x.py", frozenset({"", "sub"}), "pkg") == ("pkg.sub.x", False)
    assert module_name("scripts/x.py", frozenset({""}), "pkg") == ("x", False)


def test_a_fixture_scope_that_is_not_literal_is_none_with_its_expression_kept() -> None:
    facts = extract(
        """
        import pytest

        scope = "session"

        @pytest.fixture(scope=scope)
        def from_variable(): ...

        @pytest.fixture(scope=determine_scope)
        def from_callable(): ...

        @pytest.fixture(scope="module")
        def literal(): ...

        @pytest.fixture(scope=None)
        def default(): ...
        """,
        path="conftest.py",
    )
    assert [(f.name, f.detail["scope"], f.detail["scope_expression"]) for f in of_kind(facts, "fixture")] == [
        ("from_variable", None, "scope"),
        ("from_callable", None, "determine_scope"),
        ("literal", "module", None),
        ("default", "function", None),
    ]


def test_lazy_imports_are_imports_and_bind_their_names() -> None:
    """`lazy import` (PEP 810, 3.15) parses in libcst as its own nodes, LazyImport and LazyImportFrom
    (not Import subclasses); `ast` on an older Python rejects it, so positions come from libcst."""
    source = """
        lazy import os.path as p
        lazy from . import sibling
        import sys

        def create_app():
            lazy from fastapi import FastAPI
            app = FastAPI()

            @app.get("/")
            def index(): ...
        """
    result = extract_python("pkg/m.py", textwrap.dedent(source).encode(), "pkg.m")
    imports = of_kind(result.facts, "import")
    assert [(f.name, f.line, f.detail["module"], f.detail["is_module_level"], f.detail["lazy"]) for f in imports] == [
        ("p", 2, "os.path", True, True),
        ("sibling", 3, "pkg", True, True),
        ("sys", 4, "sys", True, False),
        ("FastAPI", 7, "fastapi", False, True),
    ]
    (route,) = of_kind(result.facts, "route")
    assert (route.name, route.line, route.detail["route"]) == ("index", 11, "/")


@pytest.mark.parametrize(
    ("source", "line", "error"),
    [
        ('x = 1\ny = t"a" t"b"\n', 2, "CSTLogicError: Logic error!"),  # valid 3.14: t-strings concatenated
        ('x = (f"a"\n     t"b")\n', 1, "CSTLogicError: Logic error!"),
        ("import os\n\nx = () if 0 else(lambda:())\n", 3, "TypeError: super(type, obj)"),  # valid 3.11, LibCST #1061
    ],
)
def test_valid_code_libcst_cannot_read_is_unsupported_syntax_at_its_line(source: str, line: int, error: str) -> None:
    result = extract_python("src/new.py", source.encode(), "new")
    assert (result.status, result.reason) == ("failed", "unsupported_syntax")
    assert result.error is not None and result.error.startswith(f"src/new.py:{line}: libcst cannot read this: {error}")
    assert "\n" not in result.error
