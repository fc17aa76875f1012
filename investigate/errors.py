"""The one exception tree and the exit codes of the product contract (product.md §5).

    InvestigateError            message + hint + exit code (1)
    ├── UsageError              bad flags or arguments                       exit 2
    ├── ConfigError             unreadable / invalid config, missing ${VAR}  exit 2
    ├── TicketNotFound          the ticket source has no such ticket         exit 3
    ├── TicketSourceError       the ticket source itself failed              exit 4
    ├── StrictFailure           --strict and a source or the LLM failed      exit 5
    └── SourceError             one connector failed (in a report: never fatal)  exit 4
        ├── SourceTimeout
        └── ReadOnlyViolation   a write was about to leave the machine

`SourceError` subclasses are caught by the pipeline and recorded in the report's `sources`;
the others reach the CLI's single error boundary, which prints one line (plus the hint) and
exits with the code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    NOT_FOUND = 3
    SOURCE_FAILED = 4
    STRICT = 5
    INTERRUPTED = 130


class InvestigateError(Exception):
    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(InvestigateError):
    exit_code = ExitCode.USAGE


class ConfigError(InvestigateError):
    exit_code = ExitCode.USAGE


class TicketNotFound(InvestigateError):
    exit_code = ExitCode.NOT_FOUND


class TicketSourceError(InvestigateError):
    exit_code = ExitCode.SOURCE_FAILED


class StrictFailure(InvestigateError):
    exit_code = ExitCode.STRICT


class SourceError(InvestigateError):
    """A connector failed; `status` is the value shown in the report's `sources`. One that
    reaches the CLI's boundary (`batch --query` against a tracker that is down) exits 4."""

    exit_code = ExitCode.SOURCE_FAILED
    status = "error"


class SourceTimeout(SourceError):
    status = "timeout"


class ReadOnlyViolation(SourceError):
    """Raised before any byte leaves the machine when a request or statement could write."""
