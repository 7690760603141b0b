"""Bytes to text the way a browser would: BOM, then `<meta charset>`, then UTF-8, then windows-1252.

libxml2 decodes bytes without a declared charset as Latin-1, so curate never hands it bytes: it
decodes here and records a warning whenever it had to guess.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
PRESCAN_BYTES = 4096
# What the WHATWG encoding standard maps these labels to.
ALIASES = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None


NOT_FOR_PAGES = frozenset({"utf-7", "utf_7"})
"""Labels browsers refuse (the Encoding Standard has no UTF-7): a page declaring one is read as if it
declared nothing, as browsers read it, so nothing hides behind it."""


def _codec(label: str) -> str | None:
    """The Python codec for a declared charset, or None when it names no text encoding Python has
    (`base64` and `rot13` are codecs, but from bytes to bytes)."""
    name = ALIASES.get(label.lower(), label.lower())
    try:
        found = codecs.lookup(name)
        b"\x00".decode(found.name)  # raises for a codec that is no text encoding (decoding one byte must)
    except LookupError:
        return None
    except UnicodeDecodeError:  # a text encoding that cannot read a NUL byte alone (utf-16 and kin)
        pass
    return None if found.name in NOT_FOR_PAGES else found.name


def decode_html(data: bytes) -> Decoded:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(encoding, errors="replace"), encoding)
    declared = META_CHARSET.search(data[:PRESCAN_BYTES])
    warning = None
    if declared is not None:
        label = declared.group(1).decode("ascii", errors="replace")
        codec = _codec(label)
        if codec is not None and not codec.startswith("utf-16"):
            return Decoded(data.decode(codec, errors="replace"), codec)
        warning = f"declared charset {label!r} is unknown"
    try:
        return Decoded(data.decode("utf-8"), "utf-8", warning)
    except UnicodeDecodeError:
        fallback = "no charset declared" if warning is None else warning
        return Decoded(
            data.decode("cp1252", errors="replace"), "cp1252", f"{fallback}; not UTF-8, read as windows-1252"
        )
