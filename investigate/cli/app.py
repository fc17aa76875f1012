"""The Typer app, the options commands share (defined once, so `ticket` and `batch` cannot
drift apart), and the run context every command starts from."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from investigate.cli import startup

if TYPE_CHECKING:  # the core is imported by each command, so `--help` stays fast
    from investigate.context import Context


app = typer.Typer(
    name="investigate",
    help="Investigate a support ticket: read-only evidence from logs, databases, billing, bug "
    "trackers and monitoring, ranked, explained, with a draft reply.\n\n"
    "Try the bundled demo:  investigate demo 4812",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_STATE = {"verbose": False}


class Format(str, Enum):
    rich = "rich"
    markdown = "markdown"
    json = "json"
    text = "text"


class StatsFormat(str, Enum):
    rich = "rich"
    json = "json"


class AnalystChoice(str, Enum):
    auto = "auto"
    anthropic = "anthropic"
    openai = "openai"
    offline = "offline"


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (else $INVESTIGATE_CONFIG, ./investigate.yaml, "
        "$XDG_CONFIG_HOME/investigate/config.yaml).",
        dir_okay=False,
    ),
]

PostNoteOpt = Annotated[
    bool,
    typer.Option(
        "--post-note",
        help="Post the report as an internal note on the ticket (needs write_back: in the "
        "ticket source's config).",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="With --post-note: print the exact request, send nothing."),
]


# Options `ticket` and `batch` (and `ask`, `demo`) share: defined once, so the two commands
# cannot drift apart in name, type or help.
AnalystOpt = Annotated[
    AnalystChoice | None, typer.Option(help="Who writes the analysis [default: auto].")
]
ModelOpt = Annotated[str | None, typer.Option(help="LLM model name.")]
SinceOpt = Annotated[
    str | None, typer.Option(help="Window start: ISO time or a duration ago (6h).")
]
UntilOpt = Annotated[
    str | None, typer.Option(help="Window end: ISO time or a duration ago [default: now].")
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option(help="Query only these connectors (comma-separated or repeated)."),
]
SkipOpt = Annotated[list[str] | None, typer.Option(help="Skip these connectors.")]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(help="Deadline per investigation, e.g. 30s [default: investigation.timeout]."),
]
NoRedactOpt = Annotated[
    bool, typer.Option("--no-redact", help="Send PII to a hosted LLM unredacted.")
]
StrictOpt = Annotated[
    bool,
    typer.Option(help="Exit 5 if any source or the LLM failed (reports are still written)."),
]
CacheOpt = Annotated[
    str | None,
    typer.Option(
        help="Reuse connector results younger than this (e.g. 10m), kept in "
        "$XDG_CACHE_HOME/investigate [default: off]."
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Ranking reasons, queries, and tracebacks on errors."),
]


@dataclass(frozen=True)
class Scope:
    """Who analyses and what an investigation looks at: the options `ticket` and `batch` list
    together, in this order. A command takes them as one `scope: Scope` parameter
    (`takes_scope`)."""

    analyst: AnalystOpt = None
    model: ModelOpt = None
    since: SinceOpt = None
    until: UntilOpt = None
    only: OnlyOpt = None
    skip: SkipOpt = None
    timeout: TimeoutOpt = None


DEFAULT_SCOPE = Scope()
"""The options' defaults (what a direct call of a command gets)."""


def takes_scope(command: Callable[..., None]) -> Callable[..., None]:
    """`command` as Typer sees it: the `Scope` options listed where its `scope` parameter
    stands, and gathered into one `Scope` when it is called."""
    hints = get_type_hints(Scope, include_extras=True)
    shared = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=f.default,
            annotation=hints[f.name],
        )
        for f in fields(Scope)
    ]
    own = inspect.signature(command, eval_str=True)
    params = [q for p in own.parameters.values() for q in (shared if p.name == "scope" else [p])]

    @wraps(command)
    def run(*args: Any, **options: Any) -> None:
        scope = Scope(**{p.name: options.pop(p.name, p.default) for p in shared})
        command(*args, scope=scope, **options)

    run.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return run


def _context(config: Path | None, verbose: bool = False) -> Context:
    _STATE["verbose"] = verbose
    from investigate.config import find_config, load_config
    from investigate.context import Context
    from investigate.registry import discover
    from investigate.secrets import MASKER
    from investigate.urlcreds import mask_url_credentials

    loaded = load_config(find_config(config))
    MASKER.collect(loaded.settings)
    mask_url_credentials(loaded.settings)
    ctx = Context(config=loaded, verbose=verbose)
    wanted = {
        str(section.get("type"))
        for section in loaded.settings.connectors.values()
        if isinstance(section, dict)
    }
    registry = discover(only=wanted)
    for name, why in registry.broken.items():
        if name not in wanted:
            continue
        ctx.err.print(
            f"warning: connector plugin '{name}' failed to load and is skipped: {why}",
            markup=False,
            highlight=False,
        )
    startup.settled()
    return ctx


def _names(values: list[str] | None) -> list[str]:
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]
