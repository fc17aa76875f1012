"""What the SQL guard returns, importable without sqlglot (the checked-SQL cache and the
connectors bind values with it before, or without, sqlglot is loaded)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckedSQL:
    sql: str
    params: tuple[str, ...]
    like_escapes: tuple[tuple[str, str], ...] = ()
    """Parameters bound into a LIKE (or GLOB) pattern, with the escape character their value
    needs (`bind_pattern`): an entity holding `%` must not match every row."""


LIKE_ESCAPE = "!"
"""The ESCAPE character added to a LIKE whose pattern holds a parameter (plain in every
dialect, unlike a backslash)."""
GLOB = "["


def bind_pattern(value: str, escape: str) -> str:
    """`value` as a literal inside a LIKE pattern with ESCAPE `escape` (or a GLOB, `[`)."""
    if escape == GLOB:
        return re.sub(r"[*?\[]", lambda m: f"[{m.group(0)}]", value)
    return "".join(escape + c if c in ("%", "_", escape) else c for c in value)
