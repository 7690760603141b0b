"""Task functions the pool tests run in worker processes (importable by name)."""

from __future__ import annotations

import os
import time


def square(value: int) -> int:
    return value * value


def crash_on_seven(value: int) -> int:
    if value == 7:
        os._exit(3)
    return value


def hang_on_two(value: int) -> int:
    if value == 2:
        time.sleep(60)
    return value
