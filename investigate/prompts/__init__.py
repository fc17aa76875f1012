"""Prompts are package data: `load("system.md")`."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")
