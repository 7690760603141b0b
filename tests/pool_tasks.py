"""Task functions the pool tests run in worker processes (importable by name)."""

from __future__ import annotations

import os
import sys
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


def raise_on_five(value: int) -> int:
    if value == 5:
        raise ValueError("five is\nnot welcome")
    return value


def complain_and_die_on_four(value: int) -> int:
    if value == 4:
        print("Traceback (most recent call last):\nfatal runtime error: stack overflow", file=sys.stderr, flush=True)
        os._exit(134)
    return value


def allocate_on_three(value: int) -> int:
    """A gigabyte for task 3: past a worker's memory limit of half that."""
    if value == 3:
        return len(bytearray(1 << 30))
    return value
