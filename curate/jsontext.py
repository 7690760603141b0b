"""JSON text the way curate stores and hashes it: `dumps` canonical (sorted keys), `compact` in the
keys' own order. Both keep non-ASCII text as it is and leave out every optional space."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, for hashes and metadata."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def compact(value: Any) -> str:
    """Compact JSON in the keys' own order: messages and tools are stored the way they are exported
    (role before content, name before arguments), so an export can copy them without re-encoding."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
