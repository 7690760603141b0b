"""Functions registered by name, with their keyword-only parameters checked like a record.

The intent files name a call builder or an answer writer and give its parameters; the registry
checks them (unknown, missing, wrong type: pydantic, strict) and binds them, so a bad intent file
fails when the catalog loads, never halfway through a synthesis run.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

R = TypeVar("R")


class ParameterError(ValueError):
    """A registered name is unknown, or its parameters do not fit; `key` is the offending parameter."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Registered(Generic[R]):
    name: str
    function: Callable[..., R]
    parameters: type[BaseModel]

    def bind(self, values: Mapping[str, Any]) -> Callable[..., R]:
        """The function with these parameters fixed; raises ParameterError when they do not fit."""
        try:
            checked = self.parameters.model_validate(dict(values))
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise ParameterError(f"{self.name}: {where}: {problem['msg']}", str(problem["loc"][0])) from None
        return functools.partial(self.function, **{name: getattr(checked, name) for name in values})


class Registry(Generic[R]):
    """Named functions of one kind (call builders, answer writers)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, Registered[R]] = {}

    def register(self, name: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        def add(function: Callable[..., R]) -> Callable[..., R]:
            if name in self.entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self.entries[name] = Registered(name, function, parameters_of(function))
            return function

        return add

    def unregister(self, name: str) -> None:
        self.entries.pop(name, None)

    def get(self, name: object) -> Registered[R]:
        if not isinstance(name, str) or name not in self.entries:
            raise ParameterError(f"unknown {self.kind} {name!r} (known: {', '.join(sorted(self.entries))})")
        return self.entries[name]


def parameters_of(function: Callable[..., Any]) -> type[BaseModel]:
    """A strict record of the function's keyword-only parameters (those an intent file gives)."""
    hints = typing.get_type_hints(function, include_extras=True)
    fields: dict[str, Any] = {
        parameter.name: (
            hints[parameter.name],
            ... if parameter.default is inspect.Parameter.empty else parameter.default,
        )
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    config = ConfigDict(extra="forbid", strict=True)
    return create_model(f"{function.__name__}_parameters", __config__=config, **fields)
