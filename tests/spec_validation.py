"""Validate fake-server traffic against the vendor OpenAPI specs in ../shared/specs.

    from spec_validation import SPECS, needs_spec, spec_api, SpecCheck

    pytestmark = needs_spec("stripe.json")          # skip the module when ../shared is absent
    check = SpecCheck("stripe.json", host_url="https://api.stripe.com")
    check.request("GET", "/v1/customers", query="email=a%40b.io", headers={"Authorization": "Bearer x"})
    check.response("GET", "/v1/customers", query="...", headers={...}, status=200, body=b"{...}")

Both return a list of problems (empty when valid), so a fake can record them and answer with an
error instead of raising inside its server thread.

Loading tweaks, applied to a private copy (see ../shared/specs/README.md):

- `drop_deep_object`: `style: deepObject` parameters are removed (openapi-core 0.23 cannot
  deserialize them, even when absent — Stripe's `expand`, `created`, ...).
- `allow_null`: `nullable: true` schemas that use `enum` or `anyOf` accept `null` too
  (openapi-core#277 / openapi-schema-validator#220); plain `type` + `nullable` already work.

`tests/` has no `__init__.py`; pytest puts `tests/` on `sys.path`, so test modules in any
sub-folder can `import spec_validation`.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SPECS = SHARED / "specs"

_NULL_ONLY: dict[str, Any] = {"nullable": True, "enum": [None]}


def spec_path(name: str) -> Path:
    return SPECS / name


def spec_missing_reason(name: str) -> str | None:
    path = spec_path(name)
    if not SHARED.is_dir():
        return f"vendor specs not available: {SHARED} is absent (it sits next to the repo)"
    if not path.is_file():
        return f"vendor spec not available: {path} is missing"
    return None


def needs_spec(name: str) -> pytest.MarkDecorator:
    """A `skipif` mark for tests (or a module's `pytestmark`) that need a spec file."""
    reason = spec_missing_reason(name)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def require_spec(name: str) -> Path:
    """The spec's path, or skip the calling test with a clear reason."""
    reason = spec_missing_reason(name)
    if reason is not None:
        pytest.skip(reason)
    return spec_path(name)


def load_spec(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(require_spec(name).read_text(encoding="utf-8"))
    return data


def _allow_null(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("nullable") is True:
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
            for key in ("anyOf", "oneOf"):
                if isinstance(node.get(key), list):
                    node[key].append(dict(_NULL_ONLY))
        for value in node.values():
            _allow_null(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null(value)


def _drop_deep_object(spec: dict[str, Any]) -> None:
    for item in spec.get("paths", {}).values():
        for method, op in item.items():
            if isinstance(op, dict) and "parameters" in op:
                op["parameters"] = [p for p in op["parameters"] if p.get("style") != "deepObject"]
            elif method == "parameters" and isinstance(op, list):
                item[method] = [p for p in op if p.get("style") != "deepObject"]


@lru_cache(maxsize=8)
def spec_api(
    name: str, *, drop_deep_object: bool = True, allow_null: bool = True, strict: bool = True
) -> OpenAPI:
    """The loaded spec (cached per process). `strict=False` skips the spec validator."""
    spec = copy.deepcopy(load_spec(name))
    if drop_deep_object:
        _drop_deep_object(spec)
    if allow_null:
        _allow_null(spec)
    if strict:
        return OpenAPI.from_dict(spec)
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def _first_server(name: str) -> str:
    servers = load_spec(name).get("servers") or [{"url": "http://localhost"}]
    return str(servers[0]["url"]).rstrip("/")


def _problem(exc: Exception) -> str:
    """Schema errors (path: message) when there are any, else the outermost error's text."""
    current: BaseException | None = exc
    while current is not None:
        details = getattr(current, "schema_errors", None)
        if details:
            return "; ".join(_schema_error(e) for e in list(details)[:5])
        current = current.__cause__ or current.__context__
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def _schema_error(error: Any) -> str:
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    if getattr(error, "context", None):
        error = best_match([error, *error.context]) or error
    where = "/".join(str(p) for p in getattr(error, "absolute_path", [])) or "(body)"
    return f"{where}: {str(getattr(error, 'message', error))[:300]}"


class SpecCheck:
    """Validates requests and request+response pairs against one spec file."""

    def __init__(self, name: str, *, host_url: str | None = None, **load: bool) -> None:
        self.name = name
        self.api = spec_api(name, **load)
        self.host_url = (host_url or _first_server(name)).rstrip("/")

    def _request(
        self,
        method: str,
        path: str,
        query: str | dict[str, str],
        headers: dict[str, str] | None,
        body: bytes | None,
        content_type: str,
    ) -> MockRequest:
        args = dict(parse_qsl(query, keep_blank_values=True)) if isinstance(query, str) else query
        header_map = {k.title(): v for k, v in (headers or {}).items()}
        return MockRequest(
            self.host_url,
            method.lower(),
            path,
            args=args,
            headers=header_map,
            data=body,
            content_type=content_type,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str | dict[str, str] = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> list[str]:
        """Problems with the request (path, method, parameters, security, body)."""
        try:
            self.api.validate_request(
                self._request(method, path, query, headers, body, content_type)
            )
        except Exception as exc:  # openapi-core raises a tree of validation errors
            return [f"{self.name}: request {method} {path}?{query}: {_problem(exc)}"]
        return []

    def response(
        self,
        method: str,
        path: str,
        *,
        status: int,
        body: bytes,
        query: str | dict[str, str] = "",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        response_headers: dict[str, str] | None = None,
    ) -> list[str]:
        """Problems with the response to this request (status, content type, body schema)."""
        request = self._request(method, path, query, headers, None, "application/json")
        response = MockResponse(
            body, status_code=status, headers=response_headers, content_type=content_type
        )
        try:
            self.api.validate_response(request, response)
        except Exception as exc:
            return [f"{self.name}: response {status} to {method} {path}: {_problem(exc)}"]
        return []
