"""One object carries what every part of a run shares: consoles, settings, clock, HTTP seam."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import IO, TYPE_CHECKING, Any, overload

from investigate.config import LoadedConfig, load_config

if TYPE_CHECKING:
    import httpx2
    from rich.console import Console

    from investigate.models import Entities, Ticket
    from investigate.sdk.transport import HttpOptions


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _console_class() -> type[Console]:
    from investigate.safeconsole import SafeConsole  # rich (~0.1 s): only when something prints

    class _Console(SafeConsole):
        def on_broken_pipe(self) -> None:
            """The reader went away (`| head`): rich would exit 1; the CLI's boundary ends
            quietly with 0 instead (`cli.run`)."""
            self.quiet = True
            raise BrokenPipeError

    return _Console


def make_console(*, stderr: bool, force_color: bool | None = None) -> Console:
    no_color = "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
    console = _console_class()(
        stderr=stderr,
        no_color=no_color,
        force_terminal=force_color,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        markup=True,
    )
    if stderr and not console.is_terminal:  # CI logs: a path or URL stays on one line
        console.soft_wrap = True
    return console


class _LazyConsole:
    """A `Context` field whose default console is made on first use."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    @overload
    def __get__(self, obj: None, objtype: Any = None) -> _LazyConsole: ...
    @overload
    def __get__(self, obj: Context, objtype: Any = None) -> Console: ...
    def __get__(self, obj: Context | None, objtype: Any = None) -> Console | _LazyConsole:
        if obj is None:
            return self  # the dataclass default: "make one when needed"
        value: Console | None = obj.__dict__.get(self.attr)
        if value is None:
            value = obj.__dict__[self.attr] = make_console(stderr=self.stderr)
        return value

    def __set__(self, obj: Context, value: Console | _LazyConsole) -> None:
        obj.__dict__[self.attr] = None if isinstance(value, _LazyConsole) else value

    def file(self, obj: Context) -> IO[str]:
        """Where the console writes, without making one."""
        made: Console | None = obj.__dict__.get(self.attr)
        if made is not None:
            return made.file
        return sys.stderr if self.stderr else sys.stdout


@dataclass
class Context:
    config: LoadedConfig = field(default_factory=lambda: load_config(None))
    out: _LazyConsole = _LazyConsole(stderr=False)
    err: _LazyConsole = _LazyConsole(stderr=True)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = _now
    verbose: bool = False
    transport: httpx2.AsyncBaseTransport | None = None
    """Test seam: when set, every HTTP client uses this transport."""
    memo: dict[Hashable, Any] = field(default_factory=dict)
    """Per-run caches shared by the tickets of a batch (records files, parsed log lines), keyed
    by their owner; each owner bounds what it keeps."""
    batch: bool = False
    """Many tickets in this run (`investigate batch`): caches that only pay off when work is
    repeated are worth their memory."""
    planned: tuple[str, ...] = ()
    """A batch's entity values (lower case, as `EntityMatcher` keeps them), from every ticket
    it fetched before the first investigation: a connector that scans shared data (a log file)
    looks for all of them in one pass instead of one pass per ticket."""
    prefetched: dict[str, tuple[Ticket, Entities]] = field(default_factory=dict)
    """Tickets a batch fetched to plan (`planned`) and the entities read from each, each pair
    taken by its investigation."""

    @property
    def stderr_is_tty(self) -> bool:
        return sys.stderr.isatty() and self.err.is_terminal

    @property
    def stdout(self) -> IO[str]:
        """`out`'s file, without importing rich when nothing was set (`--format json`)."""
        return Context.__dict__["out"].file(self)  # type: ignore[no-any-return]

    def http(self, options: HttpOptions) -> httpx2.AsyncClient:
        from investigate.sdk.transport import make_client

        return make_client(options, transport=self.transport)
