from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from curate.pool import run_tasks


def collect(function: str, values: list[int], **options: float) -> tuple[dict[int, int], dict[int, str]]:
    results: dict[int, int] = {}
    crashes: dict[int, str] = {}
    run_tasks(
        f"tests.pool_tasks:{function}",
        [(value,) for value in values],
        jobs=2,
        on_result=results.__setitem__,
        on_crash=crashes.__setitem__,
        **options,  # type: ignore[arg-type]
    )
    return results, crashes


def test_results_arrive_by_task_index() -> None:
    results, crashes = collect("square", list(range(10)))
    assert results == {index: index * index for index in range(10)} and crashes == {}


def test_a_dying_worker_names_its_task_and_the_rest_complete() -> None:
    results, crashes = collect("crash_on_seven", list(range(12)))
    assert set(crashes) == {7} and "exit code 3" in crashes[7]
    assert results == {index: index for index in range(12) if index != 7}


def test_a_hung_task_times_out_and_the_rest_complete() -> None:
    results, crashes = collect("hang_on_two", list(range(6)), task_timeout=2.0)
    assert set(crashes) == {2} and "longer than 2s" in crashes[2]
    assert results == {index: index for index in range(6) if index != 2}


def test_a_raising_task_is_reported_in_one_line_and_its_worker_goes_on(capfd: pytest.CaptureFixture[str]) -> None:
    results, crashes = collect("raise_on_five", list(range(10)))
    assert crashes == {5: "raised ValueError: five is not welcome"}
    assert results == {index: index for index in range(10) if index != 5}
    assert capfd.readouterr().err == ""


def test_a_dead_workers_stderr_goes_into_the_report_not_the_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    results, crashes = collect("complain_and_die_on_four", list(range(8)))
    assert crashes == {4: "the parser process died (exit code 134): fatal runtime error: stack overflow"}
    assert results == {index: index for index in range(8) if index != 4}
    assert capfd.readouterr().err == ""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_a_worker_cannot_take_more_memory_than_its_limit() -> None:
    results, crashes = collect("allocate_on_three", list(range(6)), memory_limit=512 * 1024 * 1024)
    assert crashes == {3: "raised MemoryError: "}
    assert results == {index: index for index in range(6) if index != 3}


def test_tasks_are_taken_from_an_iterator_within_the_window() -> None:
    """Each task weighs more than the window: it is taken only once nothing is in flight, yet all are done."""
    results: dict[int, int] = {}
    in_flight_when_taken: list[int] = []

    def tasks() -> Iterator[tuple[int]]:
        for value in range(10):
            in_flight_when_taken.append(value - len(results))
            yield (value,)

    run_tasks(
        "tests.pool_tasks:square",
        tasks(),
        jobs=2,
        on_result=results.__setitem__,
        on_crash=lambda index, why: None,
        weight=lambda task: 100,
        window=50,
    )
    assert results == {index: index * index for index in range(10)}
    assert in_flight_when_taken == [0] * 10
