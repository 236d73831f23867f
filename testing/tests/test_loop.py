"""LoopThread: a loop in a thread of its own, called from the test's thread, closed at the end."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from anemo_testing import LoopThread


async def where() -> tuple[threading.Thread, asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return threading.current_thread(), asyncio.get_event_loop()


def test_call_runs_on_the_loop_in_another_thread() -> None:
    """A coroutine runs on ``.loop``, in the loop's thread, which has it as its event loop."""
    with LoopThread() as runner:
        thread, loop = runner.call(where())
    assert thread is not threading.current_thread()
    assert thread.daemon
    assert loop is runner.loop


def test_the_block_end_stops_the_thread_and_closes_the_loop() -> None:
    """Leaving the block stops the loop, ends its thread and closes the loop."""
    with LoopThread() as runner:
        thread, _ = runner.call(where())
    assert runner.loop.is_closed()
    assert not thread.is_alive()


def test_start_and_stop_without_a_block() -> None:
    """``start()`` returns the runner; ``stop()`` may be called twice."""
    runner = LoopThread().start()
    try:
        assert runner.call(asyncio.sleep(0, "done")) == "done"
    finally:
        runner.stop()
    runner.stop()
    assert runner.loop.is_closed()


def test_a_coroutine_s_exception_is_raised_in_the_caller() -> None:
    """The coroutine's own exception reaches the caller; the loop keeps serving afterwards."""

    async def fail() -> None:
        raise LookupError("from the loop")

    with LoopThread() as runner:
        with pytest.raises(LookupError, match="from the loop"):
            runner.call(fail())
        assert runner.call(asyncio.sleep(0, 1)) == 1


def test_a_timeout_cancels_the_coroutine() -> None:
    """Past ``timeout`` the caller gets a TimeoutError and the coroutine is cancelled."""
    cancelled = threading.Event()

    async def hang() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with LoopThread() as runner:
        with pytest.raises(concurrent.futures.TimeoutError):
            runner.call(hang(), timeout=0.05)
        assert cancelled.wait(5)
