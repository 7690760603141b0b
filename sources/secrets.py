"""Secrets in file contents: found and redacted before anything is extracted or stored.

Patterns for the credentials that leak into repositories most (cloud keys, forge and chat tokens,
payment keys, private keys, JWTs, passwords and high-entropy values assigned to secret-sounding
names, credentials in URLs), in the style of detect-secrets and gitleaks. Each pattern has a cheap
marker (a substring its matches always contain) so a file without any marker costs one pass of
`bytes.find` per marker and no regex at all.

A secret is replaced by `<REDACTED:KIND>` (`&lt;REDACTED:KIND&gt;` in HTML, where `<` would open a
tag); a secret spanning lines (a private key) keeps its line breaks, so every later line keeps its
number. A finding records the kind and the line, never the secret.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

SecretFinding = tuple[str, int]
"""(kind, line)."""

_ASSIGNED = rb"""(?:\s*[:=]\s*|\s*=>\s*|["']\s*:\s*)[rbuRBU]?(["'])([^"'\r\n]{%d,200})\1"""


@dataclass(frozen=True)
class Pattern:
    kind: str
    markers: tuple[bytes, ...]
    regex: re.Pattern[bytes]
    group: int = 0
    """The part of the match that is the secret (the rest is context, kept)."""
    check: Callable[[bytes], bool] | None = None
    pieces: re.Pattern[bytes] | None = None
    """Redact only these parts of the match (a key split over string literals keeps its quotes)."""
    anchor: re.Pattern[bytes] | None = None
    """A part every match holds within `reach` bytes of its start, which the regex engine finds fast
    (a literal). `regex` begins with a class tried at every word boundary, which costs more than all
    the other patterns together on pages full of URLs; with an anchor, `regex` is tried only at the
    starts within reach of one. Same matches: a test holds the two ways equal."""
    reach: int = 0


def _entropy(value: bytes) -> float:
    counts = Counter(value)
    return -sum(count / len(value) * math.log2(count / len(value)) for count in counts.values())


PLACEHOLDERS = re.compile(
    rb"(?i)^(?:x+|\*+|\.+|-+|<.*>|\{.*\}|\$\{.*\}|%\(.*\)s|changeme|change_me|password|passwd|secret|"
    rb"example\w*|your[_-]?\w*|dummy\w*|test\w*|fake\w*|none|null|true|false|redacted.*)$"
)


def _looks_real(value: bytes) -> bool:
    return not PLACEHOLDERS.match(value) and not value.startswith((b"<REDACTED:", b"&lt;REDACTED:"))


def _high_entropy(value: bytes) -> bool:
    return _looks_real(value) and _entropy(value) >= 3.5 and any(48 <= c <= 57 for c in value)


REDACTED = re.compile(rb"<REDACTED:[a-z_]+>|&lt;REDACTED:[a-z_]+&gt;")
KEY_PIECE = re.compile(rb"[A-Za-z0-9+/]{4,}")

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "private_key",
        (b"PRIVATE KEY-----",),
        re.compile(
            rb"(-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----)([\s\S]{16,8000}?)-----END (?:[A-Z]+ )*PRIVATE KEY-----"
        ),
        group=2,
        check=lambda body: KEY_PIECE.search(REDACTED.sub(b"", body)) is not None,
        # kept: redactions already there, and the escapes of a key written inside string literals
        pieces=re.compile(rb"(<REDACTED:[a-z_]+>|&lt;REDACTED:[a-z_]+&gt;|\\[nrt])|[A-Za-z0-9+/]+={0,2}"),
    ),
    Pattern("aws_access_key", (b"AKIA", b"ASIA"), re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    Pattern(
        "aws_secret_key",
        (b"aws_secret", b"AWS_SECRET", b"SecretAccessKey"),
        re.compile(rb"(?i)(?:aws_secret_access_key|aws_secret_key|secretaccesskey)" + _ASSIGNED % 40),
        group=2,
        check=lambda value: len(value) == 40 and _looks_real(value),
    ),
    Pattern(
        "github_token", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"), re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36}\b")
    ),
    Pattern("github_token", (b"github_pat_",), re.compile(rb"\bgithub_pat_[A-Za-z0-9_]{82}\b")),
    Pattern("gitlab_token", (b"glpat-",), re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20}\b")),
    Pattern("slack_token", (b"xox",), re.compile(rb"\bxox[abposr]-[A-Za-z0-9-]{10,250}")),
    Pattern(
        "slack_webhook",
        (b"hooks.slack.com",),
        re.compile(rb"https://hooks\.slack\.com/services/T[A-Za-z0-9_]{8,}/B[A-Za-z0-9_]{8,}/[A-Za-z0-9_]{24}"),
    ),
    Pattern("stripe_key", (b"_live_", b"_test_"), re.compile(rb"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99}\b")),
    Pattern("google_api_key", (b"AIza",), re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}\b")),
    Pattern(
        "openai_key",
        (b"sk-",),
        re.compile(rb"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,200}T3BlbkFJ[A-Za-z0-9_\-]{20,200}\b"),
    ),
    Pattern("anthropic_key", (b"sk-ant-",), re.compile(rb"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,120}\b")),
    Pattern("huggingface_token", (b"hf_",), re.compile(rb"\bhf_[A-Za-z]{34}\b")),
    Pattern("npm_token", (b"npm_",), re.compile(rb"\bnpm_[A-Za-z0-9]{36}\b")),
    Pattern("sendgrid_key", (b"SG.",), re.compile(rb"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b")),
    Pattern("twilio_key", (b"SK",), re.compile(rb"\bSK[0-9a-f]{32}\b")),
    Pattern(
        "jwt",
        (b"eyJ",),
        re.compile(rb"\beyJ[A-Za-z0-9_\-]{10,4096}\.eyJ[A-Za-z0-9_\-]{10,4096}\.[A-Za-z0-9_\-]{10,4096}"),
    ),
    Pattern(
        "url_credentials",
        (b"://",),
        re.compile(rb"\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@\"'<>]{1,64}:([^\s:/@\"'<>]{3,128})(?=@[A-Za-z0-9.\-])"),
        group=1,
        check=_looks_real,
        anchor=re.compile(rb"://[^\s:/@\"'<>]{1,64}:[^\s:/@\"'<>]{3}"),
        reach=21,
    ),
    Pattern(
        "password",
        (b"assw", b"ASSW", b"pwd", b"PWD"),
        re.compile(rb"(?i)\b[a-z_]{0,40}(?:password|passwd|pwd)[a-z_]{0,40}" + _ASSIGNED % 8),
        group=2,
        check=lambda value: _looks_real(value) and not value.isalpha() and b" " not in value,
        anchor=re.compile(rb"(?i)passw|pwd"),
        reach=40,
    ),
    Pattern(
        "generic_secret",
        (b"ecret", b"ECRET", b"oken", b"OKEN", b"pi_key", b"PI_KEY", b"piKey", b"ccess_key", b"CCESS_KEY"),
        re.compile(rb"(?i)\b[a-z_]{0,40}(?:secret|token|api_?key|access_?key)[a-z_]{0,40}" + _ASSIGNED % 20),
        group=2,
        check=_high_entropy,
        anchor=re.compile(rb"(?i)secret|token|api_?key|access_?key"),
        reach=40,
    ),
)

LINE_BREAK = re.compile(rb"\r\n|\r|\n")
KINDS = tuple(sorted({pattern.kind for pattern in PATTERNS}))


def redaction(kind: str, html: bool = False) -> bytes:
    return (f"&lt;REDACTED:{kind}&gt;" if html else f"<REDACTED:{kind}>").encode()


MARKERS = tuple(sorted({marker for pattern in PATTERNS for marker in pattern.markers}))
"""Every pattern's markers: bytes without one of these hold no secret any pattern finds."""


def might_hold_secrets(data: bytes) -> bool:
    """Some pattern's marker is in the bytes (only then can `secret_spans` find anything)."""
    return any(marker in data for marker in MARKERS)


def markers_in(data: bytes) -> frozenset[bytes]:
    """The markers the bytes hold."""
    return frozenset(marker for marker in MARKERS if marker in data)


def secret_spans(data: bytes, markers: AbstractSet[bytes] | None = None) -> list[tuple[int, int, Pattern]]:
    """(start, end, pattern) of every secret in the bytes, in order of position, none overlapping.
    Linear in the input: bounded patterns, one sorted sweep over the matches. `markers`, when the
    caller knows them: a set holding every marker the bytes hold (more is only slower), so that
    the bytes are not searched for each marker again."""
    candidates: list[tuple[int, int, int, int]] = []  # start, priority, end, pattern
    for priority, pattern in enumerate(PATTERNS):
        if markers is not None:
            if markers.isdisjoint(pattern.markers):
                continue
        elif not any(marker in data for marker in pattern.markers):
            continue
        for match in matches(pattern, data):
            value = match.group(pattern.group)
            if pattern.check is None or pattern.check(value):
                start, end = match.span(pattern.group)
                candidates.append((start, priority, end, priority))
    candidates.sort()
    spans: list[tuple[int, int, Pattern]] = []
    position = 0
    for start, _, end, index in candidates:
        if start < position:
            continue  # overlaps a secret already taken (an earlier one, or a more specific pattern)
        spans.append((start, end, PATTERNS[index]))
        position = end
    return spans


REDACTION_ROUNDS = 8
"""How many times a redacted text is scanned again. A key glued to the secret after it
(`AKIA...WEPhttps://hooks.slack.com/...`) has no word boundary and is no match until the secret after
it is replaced by a redaction, which makes one: the next round finds it. Each round runs only when
the one before found something, so a text without secrets is scanned once."""


def redact_secrets(
    data: bytes, *, html: bool = False, markers: AbstractSet[bytes] | None = None
) -> tuple[bytes, list[SecretFinding]]:
    """The bytes with every secret replaced, and the findings, in order of line. Linear in the input:
    at most `REDACTION_ROUNDS` sweeps. `markers` as `secret_spans` takes them."""
    findings: list[SecretFinding] = []
    for _ in range(REDACTION_ROUNDS):
        data, found = _redact_once(data, html, markers)
        if not found:
            break
        markers = None  # the bytes changed
        findings += found
    return data, sorted(findings, key=lambda finding: finding[1]) if len(findings) > 1 else findings


def _redact_once(data: bytes, html: bool, markers: AbstractSet[bytes] | None) -> tuple[bytes, list[SecretFinding]]:
    """The bytes with every secret found in one sweep replaced, lines counted as it goes."""
    spans = secret_spans(data, markers)
    if not spans:
        return data, []
    parts: list[bytes] = []
    findings: list[SecretFinding] = []
    position = counted = 0
    line = 1
    for start, end, pattern in spans:
        secret = data[start:end]
        token = redaction(pattern.kind, html)
        parts.append(data[position:start])
        if pattern.pieces is not None:
            parts.append(pattern.pieces.sub(_keep_redactions(token), secret))
        else:
            parts.append(token + b"\n" * len(LINE_BREAK.findall(secret)))
        line += len(LINE_BREAK.findall(data, counted, start))
        counted = start
        findings.append((pattern.kind, line))
        position = end
    parts.append(data[position:])
    return b"".join(parts), findings


def matches(pattern: Pattern, data: bytes) -> Iterator[re.Match[bytes]]:
    """`pattern.regex.finditer(data)`, found from the pattern's anchor where it has one: every match
    starts within reach before an anchor, so only those starts are tried, in order."""
    if pattern.anchor is None:
        yield from pattern.regex.finditer(data)
        return
    match_at = pattern.regex.match
    done = 0  # every start before this was tried, or lies inside a match (finditer's matches never overlap)
    for anchor in pattern.anchor.finditer(data):
        at = anchor.start()
        for start in range(max(at - pattern.reach, done), at + 1):
            found = match_at(data, start)
            if found is not None:
                yield found
                done = found.end()
                break
        else:
            done = max(done, at + 1)


def _keep_redactions(token: bytes) -> Callable[[re.Match[bytes]], bytes]:
    """A piece of a secret becomes `token`; a redaction already there stays."""
    return lambda piece: piece[1] or token


def find_secrets(text: str) -> list[SecretFinding]:
    """The secrets still in a text (an export's rows, an imported example): a redacted one is gone."""
    return redact_secrets(text.encode("utf-8", errors="surrogatepass"))[1]
