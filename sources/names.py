"""Names read from disks and archives, made safe to store and to print: valid UTF-8, on one line.

Light on purpose (it imports only `re`): the command line prints every name through `printable`.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters, and the separators `str.splitlines` breaks lines at."""


def printable(text: str) -> str:
    """`text` as valid UTF-8 on one line: bytes that were not UTF-8 (Python's surrogate escapes) as
    `\\xff`, control characters and line separators as `\\n`, `\\x1b`, `\\u2028`. Text that holds neither
    comes back as it was. For names read from disks and archives, and for anything the CLI prints."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a lone surrogate no file system made: show its code point
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def name_problem(path: str) -> str | None:
    """Why a file's path cannot be stored as it is, or None."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not UTF-8"
    control = CONTROL.search(path)
    if control is not None:
        return f"the name holds a control character ({repr(control.group())[1:-1]})"
    return None
