""" "Did you mean …?" for misspelt subcommands, config keys and connector types, and the hints
that go with a mistyped ticket ID. Closeness is `difflib`'s ratio (the standard library)."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from investigate.errors import UsageError

if TYPE_CHECKING:
    from pydantic import BaseModel


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice nearest to `word` (case-insensitive), or None when nothing is close."""
    options = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=cutoff)
    return options[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or ''."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def ticket_id_hint(value: str) -> str:
    """Why a ticket ID was refused and what to type instead."""
    bare = value.lstrip("#").strip()
    if value.startswith("#") and bare:
        return f"drop the '#': investigate ticket {bare}"
    return "an ID starts with a letter or digit, followed by letters, digits, _ . : # or -"


def unknown_command(args: Sequence[str], commands: Sequence[str]) -> UsageError | None:
    """`investigate 4812` or `investigate tikcet 4812`: a usage error naming the fix."""
    if not args or args[0].startswith("-") or args[0] in commands:
        return None
    word = args[0]
    rest = " ".join(args[1:])
    if word.lstrip("#").replace("-", "").replace("_", "").isalnum() and any(
        ch.isdigit() for ch in word
    ):
        bare = word.lstrip("#")
        return UsageError(
            f"no such command: '{word}' (to investigate a ticket, say `ticket`)",
            hint=f"investigate ticket {bare} {rest}".rstrip(),
        )
    match = closest(word, commands)
    if match:
        return UsageError(
            f"no such command: '{word}' (did you mean '{match}'?)",
            hint=f"investigate {match} {rest}".rstrip(),
        )
    return UsageError(
        f"no such command: '{word}'", hint=f"commands: {', '.join(commands)} (investigate --help)"
    )


def allowed_keys(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The keys a config mapping at `path` (relative to `model`) may hold, [] if unknown."""
    from pydantic import BaseModel  # not at import: `--help` stays fast

    current: Any = model
    i = 0
    while i < len(path):
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(path[i]))
            if field is None:
                return []
            current = field.annotation
            i += 1
            continue
        origin = typing.get_origin(current)
        if origin in (dict, list):
            current = typing.get_args(current)[-1]
            i += 1
            continue
        return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, …]` → X (the first model among union members)."""
    from pydantic import BaseModel

    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            annotation = (models or members)[0]
        else:
            return annotation
