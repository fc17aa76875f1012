"""Progress on stderr, only on a terminal: per-connector spinners with elapsed time for one
investigation, one bar for a batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from investigate.context import Context
from investigate.pipeline import Progress as ProgressHook

if TYPE_CHECKING:
    from rich.progress import TaskID

_ICONS = {"ok": "[green]✓[/]", "empty": "[dim]·[/]", "error": "[red]✗[/]", "timeout": "[red]⏱[/]"}


@contextmanager
def connector_progress(ctx: Context, enabled: bool = True) -> Iterator[ProgressHook | None]:
    if not (enabled and ctx.stderr_is_tty):
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(finished_text=""),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=ctx.err,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def hook(name: str, event: str, status: str) -> None:
        if event == "start":
            tasks[name] = progress.add_task(f"querying {name}", total=1)
        elif name in tasks:
            progress.update(
                tasks[name], completed=1, description=f"{_ICONS.get(status, '')} {name} {status}"
            )

    with progress:
        yield hook


@contextmanager
def batch_progress(ctx: Context, total: int) -> Iterator[Callable[[object], None]]:
    """A bar of finished investigations; yields the callback each one calls when it ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=ctx.err,
        disable=not ctx.err.is_terminal,
        transient=True,
    )
    task = bar.add_task("investigating", total=total)
    with bar:
        yield lambda _outcome: bar.advance(task)
