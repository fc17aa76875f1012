"""Blocking work (file parsing, sqlite) off the event loop, in threads that cannot hold up exit.

`asyncio.to_thread` uses the loop's default executor, and `asyncio.run` waits for its threads
when it closes: a connector stuck parsing a huge file would keep the process alive long after
the report's deadline. `in_thread` runs the call in a daemon thread instead: when the caller
gives up (a deadline cancels the await) the pipeline goes on, and the process can exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], /, *args: object) -> T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: object) -> None:
        if future.done():  # the caller stopped waiting
            return
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            future.set_exception(value)

    def target() -> None:
        try:
            result: object = context.run(fn, *args)
            ok = True
        except BaseException as exc:  # handed to the awaiting task, never lost
            result, ok = exc, False
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(settle, ok, result)

    name = f"investigate-{getattr(fn, '__name__', 'work')}"
    threading.Thread(target=target, name=name, daemon=True).start()
    return await future
