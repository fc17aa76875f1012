"""The garbage collector while the console script starts and when it exits.

Starting (imports, parsing the options, reading the config) makes tens of thousands of objects
that live as long as the process: modules, classes, pydantic schemas, compiled patterns. The
collector would walk them over and over to find next to no garbage, and once more, all of them,
when the interpreter exits. So `main()` calls `starting()`: the first generation is collected
only every `STARTING_GEN0` new objects (bounded: a command that never calls `settled()` still
collects); `settled()`, once the command has read its config, takes what exists out of the
collector's sight (`gc.freeze`) and restores the thresholds, so the run collects only what it
makes; `exiting()` does the same for what the run made, so the exit walks nothing. Nothing is
freed later than it would be by reference counting; only cycles made before `settled()` or
`exiting()` are never collected, which the process's lifetime or its end makes moot.

Only the console script does this (`run()`, which tests call in-process, leaves the collector
alone). A batch then sets its own thresholds for its run (`batch.long_run_gc`, which thaws what
was frozen when it ends; `exiting()` freezes it again).
"""

from __future__ import annotations

import gc

STARTING_GEN0 = 100_000
"""Start-up makes ~70k objects before `settled()`: no collection at all on the way there."""

_saved: tuple[int, int, int] | None = None


def starting() -> None:
    global _saved
    if _saved is None:
        _saved = gc.get_threshold()
        gc.set_threshold(STARTING_GEN0, *_saved[1:])


def settled() -> None:
    """The command has started (a no-op unless `starting()` was called)."""
    global _saved
    if _saved is not None:
        gc.freeze()
        gc.set_threshold(*_saved)
        _saved = None


def exiting() -> None:
    gc.freeze()
