"""Every error curate reports on purpose. The CLI prints `curate: error: <message>` and exits with
`exit_code`: 2 for bad input, 1 for a check that failed."""

from __future__ import annotations


class CurateError(Exception):
    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(CurateError):
    """Something the user gave cannot be used: a path, an argument, a file."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None):
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint=hint)
        self.path = path
        self.line = line


class StoreError(CurateError):
    """The store cannot be opened or used."""

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: {message}", hint=hint)
        self.path = path


class StoreBusyError(StoreError):
    """Another process holds the store for writing."""


class ToolCallError(CurateError):
    """A tool was called with an unknown name or invalid arguments."""

    def __init__(self, tool: str, message: str) -> None:
        super().__init__(f"tool {tool}: {message}")
        self.tool = tool
        self.problem = message


class CheckFailed(CurateError):
    exit_code = 1
