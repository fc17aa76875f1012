"""Config field checks a connector declares in one line instead of a six-line validator.

    _tags = field_validator("tags")(each(_TAG.match, "{!r} is not a Datadog tag"))

`message` is the `ValueError` text; `{!r}` in it, where there is one, names the offending value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def each(test: Callable[[str], object], message: str) -> Any:
    """Every item of a list passes `test`; the first that does not is named in the error."""

    def check(value: list[str]) -> list[str]:
        for item in value:
            if not test(item):
                raise ValueError(message.format(item))
        return value

    return check


def one(test: Callable[[str], object], message: str) -> Any:
    """The value (when set: `None` passes) passes `test`."""

    def check(value: str | None) -> str | None:
        if value is not None and not test(value):
            raise ValueError(message.format(value))
        return value

    return check


def passes(check: Callable[[str], object]) -> Any:
    """The value (when set), or every value of a mapping, goes through `check`, which raises."""

    def run(value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        for item in value.values() if isinstance(value, dict) else [value]:
            if item is not None:
                check(item)
        return value

    return run


def http_url(message: str, schemes: tuple[str, ...] = ("https://", "http://")) -> Any:
    """A URL (when set) starting with one of `schemes`, kept without its trailing `/`."""

    def check(value: str | None) -> str | None:
        if value is not None and not value.startswith(schemes):
            raise ValueError(message)
        return value.rstrip("/") if value is not None else value

    return check
