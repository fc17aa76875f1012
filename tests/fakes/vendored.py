"""Validating a fake's bodies against the trimmed vendor schemas under `tests/fixtures/specs/`
(small enough to commit; each says where it came from in `x-source`).

    check = body_check("opsgenie.json", "#/definitions/ListAlertsResponse")
    assert check({"data": [], "took": 0.1, "requestId": "r"}) == []
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


@functools.cache
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPECS / name).read_text(encoding="utf-8"))
    return data


def body_check(name: str, pointer: str, *, array: bool = False) -> Callable[[Any], list[str]]:
    """A function from a decoded body to its schema errors (one line each, empty when valid).
    `pointer` is a JSON pointer into the spec; `array`: the body is a list of such objects."""
    uri = f"urn:spec:{name}"
    registry: Registry[Any] = Registry().with_resource(
        uri, Resource.from_contents(load(name), default_specification=DRAFT4)
    )
    ref = {"$ref": f"{uri}{pointer}"}
    validator = Draft4Validator(
        {"type": "array", "items": ref} if array else ref, registry=registry
    )

    def check(body: Any) -> list[str]:
        return [
            f"{pointer} at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(body)
        ]

    return check
