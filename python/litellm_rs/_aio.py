"""Awaiting engine calls on the caller's event loop.

Each loop gets one ``_core.CompletionQueue``. The engine runs a submitted call on its own threads
and, when it is done, queues the outcome and wakes the loop through a socket the loop watches
(``loop.add_reader``). The loop thread drains the queue and resolves the waiting futures, so the
engine's threads never take the GIL and results are built where the GIL is held anyway.
"""

from __future__ import annotations

import os
import weakref

from . import _core

TYPE_CHECKING = False
if TYPE_CHECKING:  # asyncio itself is imported on the first await, not with litellm_rs
    import asyncio
    from typing import Any, Callable

__all__ = ["submit"]


class _Bridge:
    __slots__ = ("__weakref__", "pending", "pid", "queue")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue = _core.CompletionQueue()
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.pid = os.getpid()
        loop.add_reader(self.queue.fileno(), self._drain)

    def _drain(self) -> None:
        pending = self.pending
        for cid, ok, value in self.queue.drain():
            fut = pending.pop(cid, None)
            if fut is None or fut.done():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


_bridges: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Bridge] = weakref.WeakKeyDictionary()


def _bridge(loop: asyncio.AbstractEventLoop) -> _Bridge:
    bridge = _bridges.get(loop)
    if bridge is None or bridge.pid != os.getpid():
        bridge = _Bridge(loop)
        _bridges[loop] = bridge
    return bridge


async def submit(start: Callable[..., int], *args: Any) -> Any:
    """Start an engine call with ``start(queue, *args)`` and await its outcome. Cancelling the
    awaiting task cancels the call (the upstream request or stream is dropped)."""
    import asyncio  # already loaded: we are running on its loop

    loop = asyncio.get_running_loop()
    bridge = _bridge(loop)
    fut = loop.create_future()
    cid = start(bridge.queue, *args)
    bridge.pending[cid] = fut
    try:
        return await fut
    except asyncio.CancelledError:
        bridge.pending.pop(cid, None)
        bridge.queue.cancel(cid)
        raise
