"""What the SQL guard returns, importable without sqlglot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckedSQL:
    sql: str
    params: tuple[str, ...]
