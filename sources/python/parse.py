"""Reading Python source as the interpreter does: its bytes decoded (PEP 263), parsed by CPython's
`ast` (positions, and a guard against nesting that would crash libcst) and by libcst, with every way
the parse can fail turned into a recorded reason."""

from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst

from sources.extraction import ExtractionFailure

MAX_TOKENS = 400_000
"""The most tokens a Python file may have to be parsed. libcst holds about 2.3 KB a token while it
parses (a 2 MB one-line list literal, a million elements, took 4.7 GB in a worker; CPython's own
parser 960 MB): 400,000 tokens stay near a gigabyte. Real modules are far below (the largest in a
typical site-packages, an ANTLR parser of 530 KB, has 82,000)."""

_PREFIX = rb"[rRbBuUfF]{0,2}"
_LONG_STRING = rb'"""(?:[^"\\]+|\\.|"(?!""))*(?:"""|\Z)' + rb"|'''(?:[^'\\]+|\\.|'(?!''))*(?:'''|\Z)"
_SHORT_STRING = rb'"(?:[^"\\\n]+|\\.)*"?' + rb"|'(?:[^'\\\n]+|\\.)*'?"
_TOKEN = re.compile(
    rb"#[^\n]*|" + _PREFIX + rb"(?:" + _LONG_STRING + rb"|" + _SHORT_STRING + rb")|\w+|[^\w\s]", re.DOTALL
)
"""A token of Python source, near enough to count them: a comment, a string (its prefix; triple-quoted
ones across lines), a name or number, a punctuation character."""


def check_tokens(data: bytes, limit: int = MAX_TOKENS) -> None:
    """Refuse, as `too_large`, a file of more than `limit` tokens, counted in one pass of a regular
    expression (a tenth of a second a megabyte) before any parser holds a node for each."""
    for count, _ in enumerate(_TOKEN.finditer(data), 1):
        if count > limit:
            raise ExtractionFailure(
                "too_large",
                f"more than {limit} tokens (a parse holds about 2 KB a token): split it, or leave it "
                "out with --exclude",
            )


def decode(data: bytes) -> str:
    """Decode Python source the way the interpreter would (PEP 263 cookie, BOM, else UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise ExtractionFailure("undecodable", str(error)) from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ExtractionFailure("undecodable", f"not valid {encoding}: {error}") from None


def parse_cst(path: str, text: str) -> cst.Module:
    """libcst's parse. Code it cannot read is `syntax_error` when its grammar rejects it, and
    `unsupported_syntax` when it accepts the grammar but fails building or checking a node (a bug or
    syntax newer than it: `t"a" t"b"` raises CSTLogicError, `() if 0 else(lambda:())` TypeError, LibCST
    #1061) or its native parser panics (pyo3's PanicException, a BaseException)."""
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        message = error.message.splitlines()[0] if error.message else "invalid syntax"
        raise ExtractionFailure("syntax_error", f"{path}:{error.raw_line}:{error.raw_column}: {message}") from None
    except (RecursionError, MemoryError):
        raise
    except Exception as error:  # libcst's own failure on code its grammar accepted: not the file's
        raise _unsupported(path, text, error) from None
    except BaseException as error:
        if type(error).__name__ != "PanicException":  # pyo3's, not importable by name; anything else goes on
            raise
        raise _unsupported(path, text, error) from None


def _unsupported(path: str, text: str, error: BaseException) -> ExtractionFailure:
    message = " ".join(str(error).split()) or "no message"
    line = _failing_line(text, error)
    where = f"{path}:{line}" if line is not None else path
    return ExtractionFailure(
        "unsupported_syntax", f"{where}: libcst cannot read this: {type(error).__name__}: {message}"
    )


def _failing_line(text: str, error: BaseException) -> int | None:
    """The line of the node libcst was building when it failed: its code, found in the text. libcst
    reports no position for these errors, but its nodes know their own code."""
    traceback = error.__traceback__
    while traceback is not None:
        node = traceback.tb_frame.f_locals.get("self")
        if isinstance(node, cst.CSTNode):
            try:
                snippet = cst.Module(body=[]).code_for_node(node)
            except Exception:  # a node too broken to print: no line, the message still says what failed
                return None
            index = text.find(snippet) if snippet.strip() else -1
            return text.count("\n", 0, index) + 1 if index >= 0 else None
        traceback = traceback.tb_next
    return None


def parse_ast(text: str) -> ast.Module | None:
    """CPython's parse, for positions and as a guard: nesting that makes CPython give up makes
    libcst's native parser overflow its stack and kill the process (LibCST #1000), so stop here."""
    try:
        return ast.parse(text)
    except RecursionError:
        raise ExtractionFailure("too_deeply_nested", "nesting exceeds what CPython's parser accepts") from None
    except SyntaxError as error:
        if error.msg and error.msg.startswith("too many nested"):
            raise ExtractionFailure("too_deeply_nested", f"line {error.lineno}: {error.msg}") from None
        return None
    except (ValueError, MemoryError):
        return None
