"""The worker side of `curate.pool`: `python -m curate._worker IN_FD OUT_FD module:function`."""

from __future__ import annotations

import gc
import importlib
import sys
from multiprocessing.connection import Connection


def main(argv: list[str]) -> None:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    module_name, _, function_name = argv[2].partition(":")
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
