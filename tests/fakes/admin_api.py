"""A loopback fake of an internal admin JSON API, for the generic `http` connector.

    with FakeAdminAPI(token="adm_secret_1") as fake:
        fake.accounts["acc_1042"] = {"id": "acc_1042", "name": "Acme", ...}
        ... HttpJson(url=fake.url + "/api/accounts/{account_id}", headers={...}) ...
        assert fake.requests[0].path == "/api/accounts/acc_1042"   # raw, still percent-encoded

Routes: `GET /api/accounts/<id>` (`{"data": account}`, 404 `{"error": "not found"}` for an
unknown id) and `GET /api/accounts/<id>/users` (`{"data": [...]}`). The `Authorization: Bearer`
token is enforced (401). `Recorded.path` is the request target exactly as it arrived (nothing
decoded), and `Recorded.headers["host"]` the Host header, so tests can prove a value never
changed the path or the host. `fake.script(reply, path=...)` injects a failure for the next
request whose raw path contains `path`; `latency` delays every answer.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from .anthropic_api import Recorded, Reply, Response, ScriptedServer, raw_reply


class FakeAdminAPI(ScriptedServer):
    def __init__(self, *, token: str = "adm_secret_token_1", latency: float = 0.0) -> None:
        super().__init__()
        self.token = token
        self.latency = latency
        self.busy: list[tuple[float, float]] = []
        """`time.monotonic()` (start, end) of every request served (for the overhead benchmark)."""
        self.accounts: dict[str, dict[str, Any]] = {}
        self.users: dict[str, list[dict[str, Any]]] = {}
        self._scripted: list[tuple[str, Reply]] = []

    def script(self, reply: Reply, *, path: str = "") -> None:
        with self._lock:
            self._scripted.append((path, reply))

    def _handle(self, request: Recorded) -> Response:
        started = time.monotonic()
        try:
            return self._answer(request)
        finally:
            with self._lock:
                self.busy.append((started, time.monotonic()))

    def _answer(self, request: Recorded) -> Response:
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            hit = next((s for s in self._scripted if s[0] in request.path), None)
            if hit is not None:
                self._scripted.remove(hit)
        if hit is not None:
            return hit[1].render(self, request)
        if request.method != "GET":
            return self._json(405, {"error": "method not allowed"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._json(401, {"error": "invalid token"})
        parts = request.path.split("/")  # raw: an encoded %2F stays inside its segment
        if len(parts) in (4, 5) and parts[:3] == ["", "api", "accounts"]:
            account = unquote(parts[3])
            if len(parts) == 5 and parts[4] == "users":
                return self._json(200, {"data": self.users.get(account, [])})
            if len(parts) == 4 and account in self.accounts:
                return self._json(200, {"data": self.accounts[account]})
        return self._json(404, {"error": "not found"})

    def _overrun_reply(self, request: Recorded) -> Reply:
        return raw_reply(500, '{"error": "no scripted reply"}')

    def _internal_error(self, message: str) -> Response:
        return self._json(500, {"error": message[:500]})
