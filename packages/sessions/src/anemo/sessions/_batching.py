"""Commands issued in one pass of the event loop, sent to Redis together: one write, one connection.

Under load, many requests reach the store in the same pass of the loop: their HTTP requests
arrived together, or their previous replies did. Sent one by one, every command pays a pool
checkout, a write system call and a wakeup of its own, which is most of a round trip's client
CPU. A :class:`CommandBatcher` queues the commands of a pass and sends them at the start of the
next, pipelined on one borrowed connection, then hands each caller its own reply.

No command waits for another batch: every batch goes out at once on a connection of its own, so
a command's time is its own round trip, as before, and a stalled server fails every command of a
batch within the client's socket timeout. An error the server answers with belongs to its
command alone; a connection that fails fails the commands whose replies had not arrived.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ._clients import ClientLibrary

__all__ = ["CommandBatcher"]

_Pending = list[tuple[tuple[Any, ...], "asyncio.Future[Any]"]]


class CommandBatcher:
    """Pipelines the commands of each loop pass over ``pool``, an asyncio pool of ``library``.

    Callers get what the library would give them: a reply, or the library's exception.
    """

    def __init__(self, pool: Any, library: ClientLibrary) -> None:
        self.pool = pool
        self._library = library
        self._pending: _Pending | None = None
        #: Batches in flight: the loop holds tasks weakly, and a collected one would strand its callers.
        self._sending: set[asyncio.Task[None]] = set()

    async def execute(self, *args: Any) -> Any:
        """Send one command with the others of this pass, and return its reply."""
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        if self._pending is None:
            self._pending = []
            # The task's first step runs in the next pass, after every command of this one is queued.
            task = loop.create_task(self._send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        self._pending.append((args, reply))
        return await reply

    async def _send(self) -> None:
        batch, self._pending = self._pending or [], None
        settled = 0
        try:
            connection = await self.pool.get_connection(*self._library.borrow_arguments(batch[0][0][0]))
            try:
                await connection.send_packed_command(connection.pack_commands([args for args, _ in batch]))
                for _, reply in batch:
                    try:
                        _settle(reply, await connection.read_response())
                    except self._library.answered as exc:  # this command's error; the next reply follows
                        _settle(reply, exc)
                    settled += 1
            finally:
                await self.pool.release(connection)
        except BaseException as exc:  # the connection failed (it dropped itself), or the loop is closing
            for _, reply in batch[settled:]:
                _settle(reply, exc)
            if not isinstance(exc, Exception):
                raise


def _settle(reply: asyncio.Future[Any], outcome: Any) -> None:
    """Hand a caller its reply or exception, unless it stopped waiting (cancelled)."""
    if reply.done():
        return
    if isinstance(outcome, asyncio.CancelledError):
        reply.cancel()
    elif isinstance(outcome, BaseException):
        reply.set_exception(outcome)
    else:
        reply.set_result(outcome)
