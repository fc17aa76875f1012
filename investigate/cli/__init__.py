"""The command line (product.md §5). Commands parse options and call one function of the core;
`main()` is the single error boundary that maps exceptions to the contract's exit codes.

`app` holds the app and the shared options, `investigations` the commands that investigate
(`ticket`, `batch`, `ask`), `commands` the rest."""

from __future__ import annotations

import os
import sys
import traceback

import typer

# pydantic looks for its plugins (an entry-point scan, ~30 ms) when the first model is built;
# the CLI uses none. Set PYDANTIC_DISABLE_PLUGINS yourself to choose otherwise.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from investigate.cli import commands, investigations, startup  # noqa: F401 - registers the commands
from investigate.cli.app import _STATE, app
from investigate.errors import ExitCode, InvestigateError
from investigate.pipes import click_saw_closed_pipe
from investigate.suggest import unknown_command

__all__ = ["app", "main", "run"]


def _command_names() -> list[str]:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    return [n.replace("_", "-") for n in names if n]


def _fail(message: str, hint: str | None, code: int) -> int:
    from investigate.render import safe
    from investigate.secrets import MASKER

    err = sys.stderr
    text = safe(MASKER.mask(message))  # a config key or ticket ID may carry escape sequences
    if os.environ.get("NO_COLOR") or not err.isatty():
        print(f"error: {text}", file=err)
    else:
        print(f"\x1b[1;31merror:\x1b[0m {text}", file=err)
    if hint:
        print(f"  hint: {safe(MASKER.mask(hint))}", file=err)
    return code


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every outcome into an exit code."""
    startup.starting()
    code = run(argv)
    startup.exiting()
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    from investigate.termsafe import guard_streams

    with guard_streams():  # the one place every printed byte goes through
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if (unknown := unknown_command(args, _command_names())) is not None:
        return _fail(unknown.message, unknown.hint, unknown.exit_code)
    try:
        result = app(args=argv, prog_name="investigate", standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # the parser turns Ctrl-C into Exit(130)
            return _fail("interrupted", None, ExitCode.INTERRUPTED)
        return code
    except InvestigateError as exc:
        return _fail(exc.message, exc.hint, exc.exit_code)
    except BrokenPipeError:  # `investigate connectors | head`: the reader had enough
        from investigate.render.output import silence_stdout

        silence_stdout()
        return ExitCode.OK
    except SystemExit as exc:  # click's own way of meeting a closed pipe: exit 1
        if not click_saw_closed_pipe():
            raise
        from investigate.render.output import silence_stdout

        silence_stdout()
        return ExitCode.OK if exc.code == 1 else int(exc.code or 0)
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", None, ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # usage errors from the argument parser
        show = getattr(exc, "show", None)
        if show is not None:
            show()
            return ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code
        return _fail(exc.format_message(), "see --help", ExitCode.USAGE)
    except Exception as exc:
        if _STATE["verbose"]:
            from investigate.secrets import MASKER

            print(MASKER.mask(traceback.format_exc()), file=sys.stderr)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug; rerun with --verbose for the traceback and report it",
            ExitCode.INTERNAL,
        )
