"""One object carries what every part of a run shares: consoles, settings, clock, HTTP seam."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console

from investigate.config import LoadedConfig, load_config
from investigate.termsafe import SafeConsole

if TYPE_CHECKING:
    import httpx2

    from investigate.http import HttpOptions


def _now() -> datetime:
    return datetime.now(UTC)


class _Console(SafeConsole):
    def on_broken_pipe(self) -> None:
        """The reader went away (`| head`): rich would exit 1; the CLI's boundary ends quietly
        with 0 instead (`cli.run`)."""
        self.quiet = True
        raise BrokenPipeError


def make_console(*, stderr: bool, force_color: bool | None = None) -> Console:
    no_color = "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
    console = _Console(
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


@dataclass
class Context:
    config: LoadedConfig = field(default_factory=lambda: load_config(None))
    out: Console = field(default_factory=lambda: make_console(stderr=False))
    err: Console = field(default_factory=lambda: make_console(stderr=True))
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = _now
    verbose: bool = False
    transport: httpx2.AsyncBaseTransport | None = None
    """Test seam: when set, every HTTP client uses this transport."""

    @property
    def stderr_is_tty(self) -> bool:
        return self.err.is_terminal and sys.stderr.isatty()

    def http(self, options: HttpOptions) -> httpx2.AsyncClient:
        from investigate.http import make_client

        return make_client(options, transport=self.transport)
