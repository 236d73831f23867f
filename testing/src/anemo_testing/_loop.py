"""An asyncio event loop in a thread of its own: async code called from plain (sync) tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread, from :meth:`start` to :meth:`stop`.

    ``with LoopThread() as runner:`` starts it and stops it at the block's end. The loop is the
    thread's current event loop, so code run on it (a Tornado server) finds it as usual.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="anemo-loop-thread", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> LoopThread:
        """Start the thread running the loop; ``self``."""
        self._thread.start()
        return self

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run ``coro`` on the loop and wait (up to ``timeout`` seconds) for its result.

        Its exception is raised here; on timeout, ``concurrent.futures.TimeoutError`` is (the
        builtin ``TimeoutError`` from Python 3.11) and the coroutine is cancelled.
        """
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self, timeout: float = 10) -> None:
        """Stop the loop, wait up to ``timeout`` seconds for the thread, and close the loop."""
        if self.loop.is_closed():
            return
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        self.loop.close()

    def __enter__(self) -> LoopThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
