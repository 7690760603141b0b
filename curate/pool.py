"""A process pool that survives its workers dying.

libcst's native parser can overflow its stack on huge expressions and kill the process (LibCST
#1000); `concurrent.futures` then fails every pending task. Here each worker reports task by task
and works through its chunk in order: when one dies, the first task it had not finished is the
culprit, reported as such, and the rest of its chunk goes back in the queue. A task running past its
time limit has its worker killed and is reported the same way; a task that raises is reported with
its exception's one-line message, and its worker goes on. Workers write their stderr (a native
parser's panic message, a dying interpreter's last words) to a file of their own, never to the
terminal: its last line is added to the report of a worker that died.

Tasks are taken from a lazy iterable only as workers need them, within a window of bytes and tasks:
the caller never has to hold every task's input at once (a mine of 400 files just under the size
limit once held 2.2 GB of file bytes in the parent).

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
from collections.abc import Callable, Iterable
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
WINDOW_BYTES = 256 * 1024 * 1024
"""What the tasks taken and not yet finished may weigh together (a mine's file bytes)."""
WORKER_MEMORY = 3 * 1024**3
"""Each worker's address space. A 32 MB HTML page peaks at 1.1 GiB resident; Python past its token
limit (`sources.python.parse.MAX_TOKENS`) never gets near. Unbounded, libcst once took 4.7 GB on a
2 MB literal."""


def _start_worker(function: str, memory_limit: int | None = None) -> _Worker:
    to_child_read, to_child_write = os.pipe()
    from_child_read, from_child_write = os.pipe()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (the worker's: closed by _stop)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "curate._worker",
            str(to_child_read),
            str(from_child_write),
            function,
            *([str(memory_limit)] if memory_limit else []),
        ],
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
    tasks: Iterable[tuple[Any, ...]],
    *,
    jobs: int,
    on_result: Callable[[int, Any], None],
    on_crash: Callable[[int, str], None],
    chunk_size: int = 4,
    task_timeout: float = 120.0,
    weight: Callable[[tuple[Any, ...]], int] | None = None,
    window: int = WINDOW_BYTES,
    memory_limit: int | None = WORKER_MEMORY,
) -> None:
    """Run `function(*task)` (function named `module:name`) for each task in `jobs` processes.

    Tasks are numbered in the order `tasks` gives them, and taken from it only as workers need them:
    the tasks taken and not yet finished weigh at most `window` (by `weight`, e.g. a file's bytes; a
    single heavier task is taken alone) and number at most a few chunks a worker, so a lazy `tasks`
    is never held whole. Each worker's address space is limited to `memory_limit` bytes (None: no
    limit): a task that needs more raises MemoryError there, or its worker dies and it is reported as a
    crash. Results and crashes arrive by task index, in the calling thread.
    """
    source = iter(tasks)
    held: dict[int, tuple[Any, ...]] = {}  # taken and not finished: what a retry needs
    weights: dict[int, int] = {}
    exhausted = False
    taken = 0
    queue: deque[list[int]] = deque()
    workers: list[_Worker] = []
    most_held = max(1, jobs) * chunk_size * 2

    def take_chunk() -> bool:
        """Take the next chunk from `tasks` into the queue, if the window has room; False if not."""
        nonlocal exhausted, taken
        chunk: list[int] = []
        while not exhausted and len(chunk) < chunk_size:
            if held and (sum(weights.values()) >= window or len(held) >= most_held):
                break
            try:
                task = next(source)
            except StopIteration:
                exhausted = True
                break
            held[taken] = task
            weights[taken] = weight(task) if weight else 0
            chunk.append(taken)
            taken += 1
        if chunk:
            queue.append(chunk)
        return bool(chunk)

    def finished(task_id: int) -> None:
        held.pop(task_id, None)
        weights.pop(task_id, None)

    def feed(worker: _Worker) -> None:
        if not worker.chunk and (queue or take_chunk()):
            worker.chunk = queue.popleft()
            worker.last_progress = time.monotonic()
            worker.inbox.send([(index, held[index]) for index in worker.chunk])

    def feed_all() -> None:
        for worker in workers:
            feed(worker)
        while len(workers) < jobs and (queue or take_chunk()):
            worker = _start_worker(function, memory_limit)
            workers.append(worker)
            feed(worker)

    def drain(worker: _Worker) -> bool:
        """Take every result the worker has sent; False once its pipe is closed (it died)."""
        try:
            while worker.outbox.poll():
                task_id, succeeded, result = worker.outbox.recv()
                worker.chunk.remove(task_id)
                worker.last_progress = time.monotonic()
                finished(task_id)
                if succeeded:
                    on_result(task_id, result)
                else:
                    on_crash(task_id, f"raised {result}")
        except (EOFError, OSError):
            return False
        return True

    def lost(worker: _Worker, why: str) -> None:
        drain(worker)
        if worker.chunk:
            culprit, *rest = worker.chunk
            finished(culprit)
            on_crash(culprit, why)
            queue.extendleft([index] for index in reversed(rest))
        worker.chunk = []
        workers.remove(worker)
        _stop(worker)

    try:
        feed_all()
        while held or queue:
            by_outbox = {worker.outbox: worker for worker in workers}
            for ready in wait(list(by_outbox), timeout=1.0):
                worker = by_outbox[ready]  # type: ignore[index]
                if not drain(worker):
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
            feed_all()
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
