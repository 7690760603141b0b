"""What kind of class a class is, from its resolved bases and decorators.

Used twice: by the extractor with what one module knows, and by linking with what the whole source
knows (a class deriving from a project's own `BaseSchema(BaseModel)` is a pydantic model too).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable

EXCEPTION_ROOTS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)
ENUM_ROOTS = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"})
PYDANTIC_ROOTS = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic_settings.BaseSettings",
        "pydantic.BaseSettings",
        "sqlmodel.SQLModel",
    }
)
PROTOCOL_ROOTS = frozenset({"typing.Protocol", "typing_extensions.Protocol"})
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass", "attr.dataclass"})

INHERITED_FLAGS = ("is_pydantic_model", "is_enum", "is_exception")


def direct_flags(resolved_bases: Iterable[str | None], resolved_decorators: Iterable[str | None]) -> dict[str, bool]:
    bases = [base for base in resolved_bases if base]
    return {
        "is_dataclass": any(decorator in DATACLASS_DECORATORS for decorator in resolved_decorators),
        "is_pydantic_model": any(base in PYDANTIC_ROOTS for base in bases),
        "is_enum": any(base in ENUM_ROOTS for base in bases),
        "is_protocol": any(base in PROTOCOL_ROOTS for base in bases),
        "is_exception": any(base in EXCEPTION_ROOTS for base in bases),
    }


def inherited_flags(
    resolved_bases: Iterable[str | None],
    lookup: Callable[[str], dict[str, bool] | None],
) -> dict[str, bool]:
    """Flags that pass from a base to its subclasses, given the flags of classes the project defines."""
    flags = dict.fromkeys(INHERITED_FLAGS, False)
    for base in resolved_bases:
        if not base:
            continue
        known = lookup(base)
        if known is None:
            continue
        for flag in INHERITED_FLAGS:
            flags[flag] = flags[flag] or known[flag]
    return flags
