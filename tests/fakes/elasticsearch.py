"""A loopback fake of Elasticsearch / OpenSearch `_search` that runs the query DSL subset the
`elasticsearch` connector uses, and checks every request against Elastic's own specs.

    with FakeElasticsearch(api_key="k3y") as fake:
        fake.add("logs-2026.11.24", {"@timestamp": "...", "message": "...", "log.level": "error"})
        ... Elasticsearch(base_url=fake.url, index="logs-*", api_key="k3y") ...

`GET|POST /_search` and `/{index}/_search` (comma-separated names and `*` patterns). The query
DSL: `bool` (`filter`, `must`, `should` + `minimum_should_match`, `must_not`), `range`
(`epoch_millis` or ISO), `term`, `terms`, `match_phrase`, `multi_match` (`type: phrase`),
`exists`, `match_all`; anything else is the 400 `parsing_exception` Elasticsearch writes. `sort`
on fields (dates sort as epoch millis), `search_after`, `size` up to `max_result_window`.
Auth: `Authorization: ApiKey <key>` or basic, 401 otherwise; an unknown index is a 404
`index_not_found_exception`.

When `../shared/specs/elasticsearch` is present, each request's method, path and URL parameters
are checked against `search.json` (the rest-api-spec) and its JSON body against the serverless
OpenAPI's `search` request body schema (loaded as the README says, with its overlapping `oneOf`
unions read as `anyOf` and `nullable` as a `null` type), and every 200 body against its `_global.search.ResponseBody`; problems
land in `fake.problems` and fail the test at teardown.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from .anthropic_api import Recorded, Response
from .loki import LogFakeBase

_SEARCH = re.compile(r"^(?:/([^/]+))?/_search$")


@lru_cache(maxsize=1)
def spec_validators() -> tuple[dict[str, Any], Any, Any] | None:
    from spec_validation import SPECS, spec_missing_reason

    if spec_missing_reason("elasticsearch/search.json") is not None:
        return None
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    rest = json.loads((SPECS / "elasticsearch/search.json").read_text())["search"]
    spec = json.loads((SPECS / "elasticsearch/serverless-search-openapi.json").read_text())

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            if "oneOf" in node:  # TypeScript unions whose members overlap (README quirks)
                node["anyOf"] = node.pop("oneOf")
            if node.pop("nullable", False) is True:  # OpenAPI 3.0 `nullable` in JSON Schema terms
                if isinstance(node.get("type"), str):
                    node["type"] = [node["type"], "null"]
                if isinstance(node.get("enum"), list):
                    node["enum"].append(None)
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                node["$ref"] = "urn:es" + ref
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    spec = copy.deepcopy(spec)
    fix(spec)
    registry = Registry().with_resource(
        "urn:es", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    schema = spec["components"]["requestBodies"]["search"]["content"]["application/json"]["schema"]
    answer = {"$ref": "urn:es#/components/schemas/_global.search.ResponseBody"}
    return (
        rest,
        Draft202012Validator(schema, registry=registry),
        Draft202012Validator(answer, registry=registry),
    )


def _ms(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _get(source: dict[str, Any], path: str) -> Any:
    if path in source:
        return source[path]
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class DslError(ValueError):
    pass


def _phrase(text: Any, phrase: str) -> bool:
    words = re.findall(r"\w+", phrase.lower())
    if not words:
        return False
    tokens = re.findall(r"\w+", str(text).lower())
    n = len(words)
    return any(tokens[i : i + n] == words for i in range(len(tokens) - n + 1))


def run(q: dict[str, Any], doc: dict[str, Any]) -> bool:
    if not isinstance(q, dict) or len(q) != 1:
        raise DslError("[_na] query malformed, must start with start_object")
    (kind, spec), = q.items()  # fmt: skip
    if kind == "match_all":
        return True
    if kind == "bool":
        unknown = set(spec) - {"filter", "must", "should", "must_not", "minimum_should_match"}
        if unknown:
            raise DslError(f"[bool] query does not support [{sorted(unknown)[0]}]")
        listed = {
            k: v if isinstance(v, list) else [v]
            for k, v in spec.items()
            if k != "minimum_should_match"
        }
        if not all(run(c, doc) for c in listed.get("filter", []) + listed.get("must", [])):
            return False
        if any(run(c, doc) for c in listed.get("must_not", [])):
            return False
        should = listed.get("should", [])
        need = int(spec.get("minimum_should_match", 1 if should else 0))
        return sum(run(c, doc) for c in should) >= need
    if kind == "multi_match":
        if spec.get("type") != "phrase":
            raise DslError("this fake only runs multi_match of type phrase")
        return any(
            _get(doc, f) is not None and _phrase(_get(doc, f), spec["query"])
            for f in spec["fields"]
        )
    if kind == "exists":
        return _get(doc, spec["field"]) is not None
    (name, arg), = spec.items()  # fmt: skip
    value = _get(doc, name)
    if kind == "range":
        if value is None:
            return False
        v = _ms(value)
        ok = True
        for op, bound in arg.items():
            if op == "format":
                continue
            b = _ms(bound)
            ok &= {"gte": v >= b, "gt": v > b, "lte": v <= b, "lt": v < b}[op]
        return ok
    if kind == "term":
        want = arg["value"] if isinstance(arg, dict) else arg
        return bool(value == want)
    if kind == "terms":
        return value in arg if not isinstance(value, list) else bool(set(value) & set(arg))
    if kind == "match_phrase":
        want = arg["query"] if isinstance(arg, dict) else arg
        return value is not None and _phrase(value, want)
    raise DslError(f"unknown query [{kind}]")


def _sort_key(doc: dict[str, Any], sort: list[dict[str, Any]]) -> list[Any]:
    out = []
    for clause in sort:
        (name, _), = clause.items()  # fmt: skip
        value = _get(doc, name)
        if name in ("@timestamp", "timestamp") or (isinstance(value, str) and value[:2] == "20"):
            value = _ms(value)
        out.append(value)
    return out


@dataclass
class FakeElasticsearch(LogFakeBase):
    api_key: str | None = None
    basic: tuple[str, str] | None = None
    max_result_window: int = 10_000
    validate: bool = True
    docs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    validated: int = 0
    _order: list[int] = field(default_factory=list)
    _times: list[int] = field(default_factory=list)

    def add(self, index: str, source: dict[str, Any], doc_id: str | None = None) -> None:
        self.docs.append((index, doc_id or f"d{len(self.docs)}", source))

    def _route(self, request: Recorded) -> Response:
        match = _SEARCH.match(request.path)
        if match is None or request.method not in ("GET", "POST"):
            return self._json(405 if match else 404, {"error": "no handler", "status": 404})
        if self.validate:
            self._validate(request, match.group(1))
        if not self._authorised(request.headers.get("authorization", "")):
            return self._error(
                401, "security_exception", "unable to authenticate with provided credentials"
            )
        names = unquote(match.group(1) or "*").split(",")
        indices = {i for i, _, _ in self.docs}
        chosen = {i for i in indices for n in names if fnmatch.fnmatchcase(i, n)}
        missing = [n for n in names if "*" not in n and n not in indices]
        if missing:
            return self._error(404, "index_not_found_exception", f"no such index [{missing[0]}]")
        body = request.json if isinstance(request.json, dict) else {}
        with self._lock:
            self.bodies.append(copy.deepcopy(body))
        size = int(body.get("size", 10))
        if size > self.max_result_window:
            return self._error(400, "illegal_argument_exception", "Result window is too large")
        sort = body.get("sort") or [{"_score": "desc"}]
        q = body.get("query", {"match_all": {}})
        try:
            fast = sort[0] == {"@timestamp": {"order": "desc"}}
            found = (
                self._newest(q, chosen, size, body.get("search_after"))
                if fast
                else [(i, d, s) for i, d, s in self.docs if i in chosen and run(q, s)]
            )
        except (DslError, KeyError, TypeError) as exc:
            return self._error(400, "parsing_exception", str(exc))
        keyed = [(_sort_key(s, sort), i, d, s) for i, d, s in found]
        desc = [next(iter(c.values())) in ("desc", {"order": "desc"}) for c in sort]
        keyed.sort(key=lambda k: [(-v if dsc else v) for v, dsc in zip(k[0], desc, strict=True)])
        after = body.get("search_after")
        if after is not None:

            def beyond(key: list[Any]) -> bool:
                for v, a, dsc in zip(key, after, desc, strict=True):
                    if v != a:
                        return bool(v < a if dsc else v > a)
                return False

            keyed = [k for k in keyed if beyond(k[0])]
        hits = [
            {"_index": i, "_id": d, "_score": None, "_source": s, "sort": key}
            for key, i, d, s in keyed[:size]
        ]
        answer = {
            "took": 1, "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"max_score": None, "hits": hits},
        }  # fmt: skip
        loaded = spec_validators() if self.validate else None
        if loaded is not None:
            for error in loaded[2].iter_errors(answer):
                where = "/".join(str(p) for p in error.absolute_path) or "(body)"
                self.problems.append(f"search response {where}: {error.message[:200]}")
        return self._json(200, answer)

    def _newest(
        self, q: dict[str, Any], chosen: set[str], size: int, after: list[Any] | None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Matching documents, newest first, read only as far as the page needs (ties kept)."""
        if len(self._order) != len(self.docs):
            self._order = sorted(
                range(len(self.docs)), key=lambda k: _ms(self.docs[k][2]["@timestamp"])
            )
            self._times = [_ms(self.docs[k][2]["@timestamp"]) for k in self._order]
        low, high = -(2**62), 2**62
        filters = q.get("bool", {}).get("filter", []) if isinstance(q, dict) else []
        for clause in filters if isinstance(filters, list) else []:
            bounds = clause.get("range", {}).get("@timestamp") if isinstance(clause, dict) else None
            if isinstance(bounds, dict):
                low = max(low, _ms(bounds["gte"])) if "gte" in bounds else low
                high = min(high, _ms(bounds["lte"])) if "lte" in bounds else high
        if after:
            high = min(high, int(after[0]))
        out: list[tuple[str, str, dict[str, Any]]] = []
        counted, last = 0, None
        for k in range(bisect_right(self._times, high) - 1, -1, -1):
            ms = self._times[k]
            if ms < low or (counted >= size and last is not None and ms < last):
                break
            i, d, s = self.docs[self._order[k]]
            if i in chosen and run(q, s):
                out.append((i, d, s))
                if not after or ms < int(after[0]):
                    counted, last = counted + 1, ms
        return out

    def _authorised(self, header: str) -> bool:
        if self.api_key is None and self.basic is None:
            return True
        if self.api_key is not None and header == f"ApiKey {self.api_key}":
            return True
        if self.basic is not None:
            token = base64.b64encode(":".join(self.basic).encode()).decode()
            return header == f"Basic {token}"
        return False

    def _error(self, status: int, kind: str, reason: str) -> Response:
        error = {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}
        return self._json(status, {"error": error, "status": status})

    def _validate(self, request: Recorded, index: str | None) -> None:
        loaded = spec_validators()
        if loaded is None:
            return
        rest, body_validator, _ = loaded
        self.validated += 1
        template = "/{index}/_search" if index else "/_search"
        route = next((p for p in rest["url"]["paths"] if p["path"] == template), None)
        if route is None or request.method not in route["methods"]:
            self.problems.append(f"{request.method} {template} is not in search.json")
        for key, _ in parse_qsl(request.query, keep_blank_values=True):
            if key not in rest["params"]:
                self.problems.append(f"URL parameter {key!r} is not in search.json")
        if request.body:
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                self.problems.append("search body sent without Content-Type: application/json")
            for error in body_validator.iter_errors(request.json):
                where = "/".join(str(p) for p in error.absolute_path) or "(body)"
                self.problems.append(f"search body {where}: {error.message[:200]}")
