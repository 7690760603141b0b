"""Secrets in other spellings: found in the text a reader really sees, not only in the raw bytes.

A secret can hide from a scan of the bytes behind an encoding: a declared charset (`# coding: utf-7`
spells `+` as `+ACs-`), an HTML character reference (`AKIA&#73;OSF...`, `&quot;` around a
password), a JSON string escape (`\\u0041KIA...`, `\\"` around a password) or a file name. Here each
is decoded as its reader decodes it and scanned again:

- `redact_text`: a file's decoded text (the one its extractor uses and the store keeps), and in HTML
  that text with its character references resolved; a secret found there is redacted in its
  original spelling (the references), so the decoded secret is never written anywhere, and every
  line keeps its number;
- `find_secrets_in_spellings`: a message as a model reads it: plain, with character references
  resolved, and every JSON string in it decoded (nested JSON too);
- `redact_strings`: every string in a record (a rejected example kept for inspection);
- `redact_path`, `hide_secret_names`: the file and folder names of a path: a file whose path holds
  a secret is not read, and is recorded as `secret_in_name` under its path with the secret redacted.
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from sources.files import SourceFile
from sources.secrets import (
    LINE_BREAK,
    MARKERS,
    REDACTION_ROUNDS,
    SecretFinding,
    markers_in,
    might_hold_secrets,
    redact_secrets,
    redaction,
    secret_spans,
)

CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
"""What `html.unescape` resolves (its own pattern): resolving each match alone resolves the text."""
JSON_STRING = re.compile(r'"(?:[^"\\\r\n]|\\.){0,100000}"')
"""A JSON string literal anywhere in a text (a tool result, arguments written as text)."""
SPELLING_DEPTH = 3
"""How many times a JSON string inside a JSON string is decoded again."""
_NOT_CONTINUATION = bytes(byte for byte in range(256) if not 0x80 <= byte < 0xC0)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def redact_text(text: str, *, html: bool = False) -> tuple[str, list[SecretFinding]]:
    """The text with every secret replaced, and the findings in order of line. In HTML also every
    secret spelled with character references: it is replaced where it is written (references and
    all, by `&lt;REDACTED:KIND&gt;`). Line breaks are kept, so every line keeps its number."""
    findings: list[SecretFinding] = []
    for _ in range(REDACTION_ROUNDS):  # a reference redacted may show a key glued to it (`redact_secrets`)
        data = _encode(text)
        markers = markers_in(data)
        redacted, found = redact_secrets(data, html=html, markers=markers)
        if found:
            text = redacted.decode("utf-8", "surrogatepass")
        more: list[SecretFinding] = []
        if html and "&" in text:
            text, more = _redact_references(text, None if found else markers)
        findings += found + more
        if not more:
            break
    return text, sorted(findings, key=lambda finding: finding[1])


def _redact_references(text: str, markers: frozenset[bytes] | None) -> tuple[str, list[SecretFinding]]:
    """Secrets that only appear once the character references are resolved, redacted in `text`
    (`markers`: those `text` holds, when known)."""
    resolved = html.unescape(text)
    if resolved == text:
        return text, []
    data = _encode(resolved)
    spans = secret_spans(data, None if markers is None else _markers_once_resolved(text, markers))
    if not spans:
        return text, []
    # the resolved text as segments: a reference (one piece of `text` giving its expansion) or a
    # run of plain text between them; each starts at `starts[i]` in the resolved text and at
    # `origins[i]` in `text`, and a reference ends at `ends[i]` in `text`
    starts: list[int] = []
    origins: list[int] = []
    ends: list[int] = []
    is_reference: list[bool] = []
    position = length = 0
    for match in CHARACTER_REFERENCE.finditer(text):
        expansion = html.unescape(match.group())
        if expansion == match.group():
            continue  # no reference: stays in the plain run
        if match.start() > position:
            starts.append(length)
            origins.append(position)
            ends.append(match.start())
            is_reference.append(False)
            length += match.start() - position
        starts.append(length)
        origins.append(match.start())
        ends.append(match.end())
        is_reference.append(True)
        length += len(expansion)
        position = match.end()
    starts.append(length)
    origins.append(position)
    ends.append(len(text))
    is_reference.append(False)

    def in_text(at: int, end: bool) -> int:
        """Where resolved position `at` (a start, or the last character of an end) lies in `text`."""
        index = bisect_right(starts, at) - 1
        if is_reference[index]:
            return ends[index] if end else origins[index]
        return origins[index] + at - starts[index] + (1 if end else 0)

    parts: list[str] = []
    findings: list[SecretFinding] = []
    line = 1
    done = counted = 0
    characters = offset = 0  # `offset` bytes of `data` hold `characters` characters
    for start, end, pattern in spans:
        spans_at: list[int] = []
        for target in (start, end):
            chunk = data[offset:target]
            characters += len(chunk) - len(chunk.translate(None, _NOT_CONTINUATION))
            offset = target
            spans_at.append(characters)
        first = in_text(spans_at[0], end=False)
        last = in_text(spans_at[1] - 1, end=True) if spans_at[1] > spans_at[0] else first
        if first < done:
            continue  # inside a secret already taken (two findings in one reference)
        secret = text[first:last]
        parts.append(text[done:first])
        parts.append(redaction(pattern.kind, html=True).decode() + "\n" * len(LINE_BREAK.findall(_encode(secret))))
        line += len(LINE_BREAK.findall(_encode(text[counted:first])))
        counted = first
        findings.append((pattern.kind, line))
        done = last
    parts.append(text[done:])
    return "".join(parts), findings


def _markers_once_resolved(text: str, markers: frozenset[bytes]) -> frozenset[bytes]:
    """Every marker the text may hold once its references are resolved, from those it holds as written
    (`markers`): a marker in the resolved text lies in a run copied from the text, or holds a
    character some reference resolves to. (The markers are ASCII, so in UTF-8 too.) Saves searching
    the resolved page for each marker again: its references resolve to `<`, `&`, `&nbsp;`..."""
    resolved = set("".join(html.unescape("&" + name) for name in set(CHARACTER_REFERENCE.findall(text))))
    return markers | {marker for marker in MARKERS if not resolved.isdisjoint(marker.decode())}


def _json_strings(text: str, depth: int) -> Iterator[str]:
    """Every JSON string literal in the text, decoded; and those inside them, `depth` levels down."""
    if depth <= 0 or '"' not in text:
        return
    for match in JSON_STRING.finditer(text):
        literal = match.group()
        if "\\" not in literal:
            continue  # decodes to itself: already scanned
        try:
            value = json.loads(literal)
        except ValueError:  # not JSON after all (a Python string, a bad escape): scanned as it is
            continue
        if isinstance(value, str):
            yield value
            yield from _json_strings(value, depth - 1)


def spellings(text: str) -> Iterator[str]:
    """The text as each reader may read it: as written, with character references resolved, and
    each JSON string in it decoded."""
    yield text
    if "&" in text:
        resolved = html.unescape(text)
        if resolved != text:
            yield resolved
    yield from _json_strings(text, SPELLING_DEPTH)


def find_secrets_in_spellings(text: str) -> list[SecretFinding]:
    """The secrets in any spelling of the text (lines are those of the spelling they were found in)."""
    encoded = [_encode(spelling) for spelling in spellings(text)]
    if not might_hold_secrets(b"\0".join(encoded)):  # no marker anywhere: nothing to sweep for
        return []
    found: list[SecretFinding] = []
    for spelling in encoded:
        found += redact_secrets(spelling)[1]
    return found


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, keys included (what `redact_strings` redacts)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_in(item)


def redact_strings(value: Any) -> Any:
    """The value (JSON-like) with every string's secrets redacted: a secret found only in another
    spelling takes the whole string (`<REDACTED:KIND>`), since its spelling cannot be cut out."""
    if isinstance(value, str):
        redacted, _ = redact_text(value)
        hidden = find_secrets_in_spellings(redacted)
        if hidden:
            return "".join(redaction(kind).decode() for kind in sorted({kind for kind, _ in hidden}))
        return redacted
    if isinstance(value, (list, tuple)):
        return [redact_strings(item) for item in value]
    if isinstance(value, dict):
        return {redact_strings(key): redact_strings(item) for key, item in value.items()}
    return value


def redact_path(path: str) -> tuple[str, list[str]]:
    """The path with every secret in its file and folder names replaced by `<REDACTED:KIND>`, and the
    kind of each (in any spelling: a name is scanned as written and with references resolved)."""
    redacted, findings = redact_text(path)
    hidden = [kind for kind, _ in find_secrets_in_spellings(redacted)]
    if hidden:
        # a secret only another spelling shows: the name that holds it goes whole
        parts = redacted.split("/")
        parts = [
            "".join(redaction(kind).decode() for kind in sorted({kind for kind, _ in found}))
            if (found := find_secrets_in_spellings(part))
            else part
            for part in parts
        ]
        redacted = "/".join(parts)
    return redacted, [kind for kind, _ in findings] + hidden


SECRET_IN_NAME = "secret_in_name"
"""The reason a file is not read: a secret in its name or a folder's."""
_TOKEN = re.compile(r"<REDACTED:([a-z_]+)>")


def hide_secret_names(files: Iterable[SourceFile]) -> list[SourceFile]:
    """The files, each whose path holds a secret (in a file or folder name) replaced by a file not
    read (`secret_in_name`) under its path with the secret redacted; a path that is then another's
    takes a number (`~2`). Nothing of the secret is kept: not its path, nor its bytes, nor a fact."""
    files = list(files)
    taken = {item.path for item in files}
    hidden: list[SourceFile] = []
    for item in files:
        path, kinds = redact_path(item.path)
        if not kinds:
            hidden.append(item)
            continue
        unique, number = path, 1
        while unique in taken:
            number += 1
            unique = f"{path}~{number}"
        taken.add(unique)
        error = f"a file or folder name holds a secret ({', '.join(sorted(set(kinds)))}): not read"
        hidden.append(SourceFile(unique, item.language, item.size, None, SECRET_IN_NAME, error))
    return hidden


def name_findings(item: SourceFile) -> list[SecretFinding]:
    """(kind, 0) for each secret redacted from a file's path (line 0: in its name)."""
    return [(kind, 0) for kind in _TOKEN.findall(item.path)] if item.reason == SECRET_IN_NAME else []
