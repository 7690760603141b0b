"""A process pool that survives its workers dying.

libcst's native parser can overflow its stack on huge expressions and kill the process (LibCST
#1000); `concurrent.futures` then fails every pending task. Here each worker reports task by task
and works through its chunk in order: when one dies, the first task it had not finished is the
culprit, reported as such, and the rest of its chunk goes back in the queue. A task running past its
time limit has its worker killed and is reported the same way; a task that raises is reported with
its exception's one-line message, and its worker goes on. Workers write their stderr (a native
parser's panic message, a dying interpreter's last words) to a file of their own, never to the
terminal: its last line is added to the report of a worker that died.

Workers are fresh interpreters running `curate._worker` (not `multiprocessing`'s spawn, which
re-runs the caller's `__main__` in every worker).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import IO, Any


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    inbox: Connection
    outbox: Connection
    stderr: IO[bytes]
    chunk: list[int] = field(default_factory=list)
    last_progress: float = 0.0

    def last_words(self) -> str:
        """The last line the worker wrote to its stderr, if any."""
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - STDERR_TAIL))
        lines = [line.strip() for line in self.stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return lines[-1][:STDERR_TAIL] if lines else ""


STDERR_TAIL = 300
"""Characters of a dead worker's stderr kept in its task's report."""


def _start_worker(function: str) -> _Worker:
    to_child_read, to_child_write = os.pipe()
    from_child_read, from_child_write = os.pipe()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (the worker's: closed by _stop)
    process = subprocess.Popen(
        [sys.executable, "-m", "curate._worker", str(to_child_read), str(from_child_write), function],
        pass_fds=(to_child_read, from_child_write),
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=stderr,
    )
    os.close(to_child_read)
    os.close(from_child_write)
    return _Worker(
        process, Connection(to_child_write, readable=False), Connection(from_child_read, writable=False), stderr
    )


def run_tasks(
    function: str,
    tasks: Sequence[tuple[Any, ...]],
    *,
    jobs: int,
    on_result: Callable[[int, Any], None],
    on_crash: Callable[[int, str], None],
    chunk_size: int = 4,
    task_timeout: float = 120.0,
) -> None:
    """Run `function(*tasks[i])` (function named `module:name`) in `jobs` processes.

    Results and crashes arrive by task index, in the calling thread.
    """
    if not tasks:
        return
    queue: deque[list[int]] = deque(
        [list(range(start, min(start + chunk_size, len(tasks)))) for start in range(0, len(tasks), chunk_size)]
    )
    workers: list[_Worker] = []
    remaining = len(tasks)

    def feed(worker: _Worker) -> None:
        if queue and not worker.chunk:
            worker.chunk = queue.popleft()
            worker.last_progress = time.monotonic()
            worker.inbox.send([(index, tasks[index]) for index in worker.chunk])

    def drain(worker: _Worker) -> bool:
        """Take every result the worker has sent; False once its pipe is closed (it died)."""
        nonlocal remaining
        try:
            while worker.outbox.poll():
                task_id, succeeded, result = worker.outbox.recv()
                worker.chunk.remove(task_id)
                worker.last_progress = time.monotonic()
                remaining -= 1
                if succeeded:
                    on_result(task_id, result)
                else:
                    on_crash(task_id, f"raised {result}")
        except (EOFError, OSError):
            return False
        return True

    def lost(worker: _Worker, why: str) -> None:
        nonlocal remaining
        drain(worker)
        if worker.chunk:
            culprit, *rest = worker.chunk
            on_crash(culprit, why)
            remaining -= 1
            queue.extendleft([index] for index in reversed(rest))
        worker.chunk = []
        workers.remove(worker)
        _stop(worker)
        if queue:
            replacement = _start_worker(function)
            workers.append(replacement)
            feed(replacement)

    try:
        for _ in range(max(1, min(jobs, len(queue)))):
            worker = _start_worker(function)
            workers.append(worker)
            feed(worker)
        while remaining:
            by_outbox = {worker.outbox: worker for worker in workers}
            for ready in wait(list(by_outbox), timeout=1.0):
                worker = by_outbox[ready]  # type: ignore[index]
                if drain(worker):
                    feed(worker)
                else:
                    worker.process.wait()
                    words = worker.last_words()
                    lost(
                        worker,
                        f"the parser process died (exit code {worker.process.returncode})"
                        + (f": {words}" if words else ""),
                    )
            now = time.monotonic()
            for worker in list(workers):
                if worker.chunk and now - worker.last_progress > task_timeout:
                    worker.process.kill()
                    worker.process.wait()
                    lost(worker, f"took longer than {task_timeout:g}s")
    finally:
        for worker in workers:
            _stop(worker)


def _stop(worker: _Worker) -> None:
    with contextlib.suppress(OSError):
        worker.inbox.send(None)
    worker.inbox.close()
    try:
        worker.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
    worker.outbox.close()
    worker.stderr.close()
