"""Blocking work (file parsing, sqlite) off the event loop, in threads that cannot hold up exit.

`asyncio.to_thread` uses the loop's default executor, and `asyncio.run` waits for its threads
when it closes: a connector stuck parsing a huge file would keep the process alive long after
the report's deadline. `in_thread` runs the call in a daemon thread instead: when the caller
gives up (a deadline cancels the await) the pipeline goes on, and the process can exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

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


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """The event loop's default executor (DNS lookups, `loop.run_in_executor(None, …)`), on
    daemon threads: a lookup hanging in the resolver cannot hold the process past its
    deadline, as the stock executor does when `asyncio.run` waits for it at shutdown. (A
    ThreadPoolExecutor subclass only because the event loop insists; it never starts the
    pool's own threads.)"""

    def submit(
        self, fn: Callable[..., T], /, *args: object, **kwargs: object
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        context = contextvars.copy_context()

        def target() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(context.run(fn, *args, **kwargs))
            except BaseException as exc:  # handed to the waiter, never lost
                future.set_exception(exc)

        threading.Thread(target=target, name="investigate-executor", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons and their callers have moved on."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with `DaemonExecutor` as the loop's default executor."""
    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(DaemonExecutor())
        return runner.run(_boxed(coro)).value


class _Box(Generic[T]):
    """A coroutine's result, held where no repr looks: when `Runner.run` ends it asks
    `signal.getsignal` for its SIGINT handler, which formats the handler's repr (it is not a
    `signal.Handlers`), and that holds the finished task, whose repr holds its result's: the
    whole report's, built and dropped on every run."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


async def _boxed(coro: Coroutine[Any, Any, T]) -> _Box[T]:
    return _Box(await coro)
