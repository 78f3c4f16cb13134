"""The background writer keeps order, overlaps the caller, and hands failures back."""

from __future__ import annotations

import threading

import pytest

from graphpivot.writebehind import BackgroundWriter


def test_jobs_run_in_order_on_another_thread() -> None:
    done: list[tuple[int, str]] = []
    writer = BackgroundWriter()
    for n in range(50):
        writer.submit(lambda n=n: done.append((n, threading.current_thread().name)))
    writer.close()
    assert [n for n, _ in done] == list(range(50))
    assert {name for _, name in done} == {"graphpivot-writer"}


def test_a_failure_reaches_the_submitter_and_later_jobs_are_dropped() -> None:
    done: list[int] = []
    started = threading.Event()

    def fail() -> None:
        started.set()
        raise RuntimeError("disk full")

    writer = BackgroundWriter()
    writer.submit(fail)
    started.wait(5)
    with pytest.raises(RuntimeError, match="disk full"):  # from submit, or from close if it came first
        writer.submit(lambda: done.append(1))
        writer.close()
    writer.close()  # raised once only; the thread stops
    assert done == []


def test_submit_waits_while_a_job_is_queued() -> None:
    release = threading.Event()
    writer = BackgroundWriter()
    writer.submit(lambda: release.wait(5))  # running
    writer.submit(lambda: None)  # queued: the queue holds one
    third = threading.Thread(target=writer.submit, args=(lambda: None,))
    third.start()
    third.join(0.2)
    assert third.is_alive()  # blocked: memory stays bounded to two batches in flight
    release.set()
    third.join(5)
    assert not third.is_alive()
    writer.close()
