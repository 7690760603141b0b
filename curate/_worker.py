"""The worker side of `curate.pool`: `python -m curate._worker IN_FD OUT_FD module:function [MAX_BYTES]`.

With MAX_BYTES the worker's address space is limited to it (`RLIMIT_AS`): an allocation past it
raises MemoryError in the task (Python's), or ends the worker (a native library's), never the machine.
Where the system does not enforce the limit (macOS), the worker runs without it."""

from __future__ import annotations

import contextlib
import gc
import importlib
import resource
import sys
from multiprocessing.connection import Connection


def main(argv: list[str]) -> None:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    module_name, _, function_name = argv[2].partition(":")
    if len(argv) > 3:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = int(argv[3]) if hard == resource.RLIM_INFINITY else min(int(argv[3]), hard)
        with contextlib.suppress(ValueError, OSError):  # macOS does not enforce RLIMIT_AS and may refuse it
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    function = getattr(importlib.import_module(module_name), function_name)
    gc.freeze()  # the imported modules' objects: out of every later full collection
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return
        if message is None:
            return
        for task_id, arguments in message:
            try:
                result = function(*arguments)
            except Exception as error:  # the task failed, not the worker: say why, go on with the next
                outbox.send((task_id, False, f"{type(error).__name__}: {' '.join(str(error).split())}"))
            else:
                outbox.send((task_id, True, result))


if __name__ == "__main__":
    main(sys.argv[1:])
