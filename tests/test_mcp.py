"""`investigate mcp`, driven by the official MCP SDK's client over stdio and streamable HTTP.

Every server here is a real `investigate mcp` subprocess; the client is `mcp.Client`."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jsonschema
import pytest
import yaml
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from investigate.models import Report

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config.example.yaml"
PLUGINS = ROOT / "tests" / "plugins"
DEMO_EMAIL = "tom.okafor@brightlinedental.co.uk"  # the requester of demo ticket 4813
TOKEN = "test-token-0123456789abcdef"
_COMMAND = [sys.executable, "-m", "investigate", "mcp"]
HOSTILE_IDS = [
    "../../etc/passwd",
    "4813; DROP TABLE tickets",
    "4813\n",
    "\x1b[31m4813",
    "x" * 200,
    "",
    "{ticket}",
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    env.pop("INVESTIGATE_CONFIG", None)
    return {**env, **extra}


def _stdio(config: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=[*_COMMAND[1:], "--config", str(config)],
        cwd=str(ROOT),
        env=_env(**env),
    )


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _report_schema() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "investigate", "schema"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


# --- stdio -------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_stdio_demo_report_evidence_resource_prompt() -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with Client(_stdio(DEMO)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {
            "investigate_ticket",
            "list_tickets",
            "get_evidence",
            "search_evidence",
            "list_connectors",
            "check",
        }
        # no tool takes a query language, a URL or SQL for a connector
        params = {p for t in tools.values() for p in t.input_schema.get("properties", {})}
        assert not params & {"sql", "logql", "url", "statement", "expression"}
        assert tools["investigate_ticket"].output_schema is not None

        result = await client.call_tool(
            "investigate_ticket", {"ticket_id": "4813"}, progress_callback=on_progress
        )
        assert not result.is_error, _text(result)
        report = result.structured_content
        assert report is not None
        jsonschema.Draft202012Validator(_report_schema()).validate(report)
        parsed = Report.model_validate(report)
        assert parsed.ticket.id == "4813"
        assert parsed.analysis.root_cause.category == "bug"
        # the Markdown summary names the root cause and cites evidence IDs
        summary, as_json = (c.text for c in result.content if isinstance(c, TextContent))
        assert summary.startswith("# Ticket 4813")
        assert json.loads(as_json) == report
        cited = parsed.analysis.root_cause.evidence
        assert cited and all(f"**{e}**" in summary or e in summary for e in cited)
        # stdio default: no redaction (the user's own machine)
        assert parsed.ticket.requester.email == DEMO_EMAIL

        # progress arrived per connector, increasing (a notification may trail the result)
        with anyio.fail_after(10):
            while not any(m and m.startswith("logs: ") for _, _, m in progress):
                await anyio.sleep(0.05)
        done = [p for p, _, _ in progress]
        assert done == sorted(done) and len(set(done)) == len(done)

        evidence = await client.call_tool(
            "get_evidence", {"ticket_id": "4813", "evidence_id": cited[0]}
        )
        assert not evidence.is_error, _text(evidence)
        assert evidence.structured_content is not None
        item = evidence.structured_content
        assert item["id"] == cited[0]
        assert item == next(e for e in report["evidence"] if e["id"] == cited[0])

        found = await client.call_tool(
            "search_evidence", {"ticket_id": "4813", "text": "DECIMAL serialize"}
        )
        assert found.structured_content is not None
        top = found.structured_content["matches"][0]["evidence"]
        assert "DECIMAL" in top["title"] + top["detail"]

        missing = await client.call_tool(
            "get_evidence", {"ticket_id": "4813", "evidence_id": "E999"}
        )
        assert missing.is_error
        assert "no evidence 'E999'" in _text(missing) and "hint: evidence IDs: E1" in _text(missing)

        listed = await client.list_resources()
        assert "investigate://ticket/4813" in {str(r.uri) for r in listed.resources}
        templates = await client.list_resource_templates()
        assert "investigate://ticket/{ticket_id}" in {
            t.uri_template for t in templates.resource_templates
        }
        resource = await client.read_resource("investigate://ticket/4813")
        body = json.loads(resource.contents[0].text)  # type: ignore[union-attr]
        assert body["ticket"]["id"] == "4813"
        assert body["analysis"]["root_cause"] == report["analysis"]["root_cause"]

        prompt = await client.get_prompt("investigate_ticket", {"ticket_id": "4813"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert "investigate_ticket" in text and "evidence ID" in text


@pytest.mark.slow
async def test_stdio_bad_arguments_and_hostile_ids_are_tool_errors() -> None:
    async with Client(_stdio(DEMO)) as client:
        for bad in HOSTILE_IDS:
            result = await client.call_tool("investigate_ticket", {"ticket_id": bad})
            assert result.is_error, bad
            text = _text(result)
            if bad:  # the empty ID fails the same check
                assert "not a ticket ID" in text, text
            assert "hint: an ID starts with a letter or digit" in text
            assert "\x1b" not in text
        for arguments in (
            {},  # ticket_id is required
            {"ticket_id": "4813", "analyst": "gpt-9"},
            {"ticket_id": 4813.5},
            {"ticket_id": "4813", "only": "logs; rm -rf /"},
        ):
            result = await client.call_tool("investigate_ticket", arguments)
            assert result.is_error, arguments
            assert result.structured_content is None

        unknown = await client.call_tool("investigate_ticket", {"ticket_id": "4813", "only": ["x"]})
        assert unknown.is_error
        assert "no connector named 'x' in the config" in _text(unknown)
        assert "hint: configured: tickets," in _text(unknown) and "logs" in _text(unknown)

        absent = await client.call_tool("investigate_ticket", {"ticket_id": "9999"})
        assert absent.is_error and "9999" in _text(absent)

        window = await client.call_tool(
            "investigate_ticket", {"ticket_id": "4813", "since": "next tuesday"}
        )
        assert window.is_error

        limit = await client.call_tool("list_tickets", {"query": "", "limit": 0})
        assert limit.is_error
        listed = await client.call_tool("list_tickets", {"query": "", "limit": 3})
        assert listed.structured_content == {"tickets": ["4821", "4820", "4819"]}

        early = await client.call_tool("get_evidence", {"ticket_id": "4812", "evidence_id": "E1"})
        assert early.is_error
        assert "has not been investigated" in _text(early)
        assert "hint: call investigate_ticket" in _text(early)

        with pytest.raises(Exception, match=r"has not been investigated"):
            await client.read_resource("investigate://ticket/4812")

        connectors = await client.call_tool("list_connectors", {})
        assert connectors.structured_content is not None
        assert connectors.structured_content["ticket_source"] == "tickets"
        assert "log_file" in {t["type"] for t in connectors.structured_content["types"]}

        check = await client.call_tool("check", {})
        assert check.structured_content is not None
        assert check.structured_content["ok"] is True
        postures = {c["name"]: c["posture"] for c in check.structured_content["connectors"]}
        assert postures["logs"] == "ok"


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    """The environment under which tests/plugins/mcp_connectors.py is an installed plugin."""
    site = tmp_path / "site"
    dist = site / "mcp_test_plugins-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mcp-test-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[investigate.connectors.v1]\nstall = mcp_connectors:Stall\necho = mcp_connectors:Echo\n"
    )
    return {"PYTHONPATH": os.pathsep.join([str(site), str(PLUGINS), str(ROOT)])}


def _config(tmp_path: Path, connectors: dict[str, Any], **top: Any) -> Path:
    config = tmp_path / "investigate.yaml"
    tickets = {"type": "file", "path": str(ROOT / "examples/demo/tickets")}
    config.write_text(
        yaml.safe_dump(
            {"ticket_source": "tickets", **top, "connectors": {"tickets": tickets, **connectors}}
        )
    )
    return config


@pytest.fixture
def stall_config(tmp_path: Path, plugin_env: dict[str, str]) -> tuple[Path, Path, dict[str, str]]:
    """A config whose only evidence source never answers."""
    marker = tmp_path / "marker.txt"
    config = _config(
        tmp_path,
        {"stalled": {"type": "stall", "marker": str(marker)}},
        investigation={"timeout": "10m", "connector_timeout": "10m"},
    )
    return config, marker, plugin_env


@pytest.mark.slow
async def test_stdio_redaction_on_by_config_and_secrets_never_returned(
    tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    secret = "echo-secret-0123456789"
    config = _config(tmp_path, {"echo": {"type": "echo", "api_key": secret}}, mcp={"redact": True})
    async with Client(_stdio(config, **plugin_env)) as client:
        result = await client.call_tool(
            "investigate_ticket", {"ticket_id": "4813", "analyst": "offline"}
        )
        assert not result.is_error, _text(result)
        assert result.structured_content is not None
        evidence = next(e for e in result.structured_content["evidence"] if e["source"] == "echo")
        item = await client.call_tool(
            "get_evidence", {"ticket_id": "4813", "evidence_id": evidence["id"]}
        )
        resource = await client.read_resource("investigate://ticket/4813")
        returned = [
            json.dumps(result.structured_content),
            _text(result),
            json.dumps(item.structured_content),
            resource.contents[0].text,  # type: ignore[union-attr]
        ]
    for text in returned:
        assert secret not in text
        assert DEMO_EMAIL not in text
    assert evidence["title"].startswith("auth failed for <EMAIL_1> with ***")
    assert result.structured_content["ticket"]["requester"]["email"] == "<EMAIL_1>"


async def _cancel_a_stalled_investigation(client: Client, marker: Path) -> None:
    def lines() -> list[str]:
        return marker.read_text().split() if marker.exists() else []

    async with anyio.create_task_group() as group:

        async def call() -> None:
            await client.call_tool("investigate_ticket", {"ticket_id": "4813"})

        group.start_soon(call)
        with anyio.fail_after(60):
            while "started" not in lines():
                await anyio.sleep(0.1)
        group.cancel_scope.cancel()  # the client gives up: notifications/cancelled
    with anyio.fail_after(30):
        while "cancelled" not in lines():
            await anyio.sleep(0.1)
    # the server is still there for the next request
    after = await client.call_tool("list_connectors", {})
    assert not after.is_error
    assert lines() == ["started", "cancelled"]


@pytest.mark.slow
async def test_stdio_cancel_stops_the_investigation(
    stall_config: tuple[Path, Path, dict[str, str]],
) -> None:
    config, marker, env = stall_config
    async with Client(_stdio(config, **env)) as client:
        await _cancel_a_stalled_investigation(client, marker)


@pytest.mark.slow
async def test_http_cancel_stops_the_investigation(
    stall_config: tuple[Path, Path, dict[str, str]],
) -> None:
    config, marker, env = stall_config
    with _serve_http(config, _env(**env)) as url:
        async with Client(url) as client:
            await _cancel_a_stalled_investigation(client, marker)


def test_missing_sdk_is_one_line_with_the_install_hint(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n == "mcp" or n.startswith(("mcp.", "mcp_types"))]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "mcp", None)
    monkeypatch.delitem(sys.modules, "investigate.mcp_server", raising=False)
    result = cli("mcp", "--config", str(DEMO))
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: investigate mcp needs the MCP SDK, which is not installed",
        '  hint: pip install "investigate[mcp]"',
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--http", "0.0.0.0:8765"], "error: refusing to serve on 0.0.0.0 without a token"),
        (["--http", "192.0.2.7:8765"], "error: refusing to serve on 192.0.2.7 without a token"),
        (["--http", "127.0.0.1:8765", "--token", "short"], "error: --token: at least 16"),
        (["--http", "localhost"], "error: --http: not HOST:PORT: 'localhost'"),
        (["--http", "127.0.0.1:99999"], "error: --http: not HOST:PORT"),
    ],
)
def test_http_refuses_to_start_unsafely(cli: Any, args: list[str], message: str) -> None:
    result = cli("mcp", "--config", str(DEMO), *args)
    assert result.code == 2
    assert result.err.startswith(message), result.err
    assert "short" not in result.err  # a token is never echoed


# --- streamable HTTP ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serve_http(config: Path, env: dict[str, str]) -> Iterator[str]:
    """`investigate mcp --http 127.0.0.1:<free port>`: the URL once it listens."""
    port = _free_port()
    proc = subprocess.Popen(
        [*_COMMAND, "--config", str(config), "--http", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the server did not start listening"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def http_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The demo over streamable HTTP; with a token (through the environment variable) when
    parametrized with one."""
    env = _env()
    env.pop("INVESTIGATE_MCP_TOKEN", None)
    token: str | None = getattr(request, "param", None)
    if token is not None:
        env["INVESTIGATE_MCP_TOKEN"] = token
    with _serve_http(DEMO, env) as url:
        yield url


async def _demo_over_http(url: str, headers: dict[str, str]) -> dict[str, Any]:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60.0)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        tools = await client.list_tools()
        assert "investigate_ticket" in {t.name for t in tools.tools}
        result = await client.call_tool("investigate_ticket", {"ticket_id": "4813"})
        assert not result.is_error, _text(result)
        assert result.structured_content is not None
        hostile = await client.call_tool("investigate_ticket", {"ticket_id": "../4813"})
        assert hostile.is_error and "not a ticket ID" in _text(hostile)
        cited = result.structured_content["analysis"]["root_cause"]["evidence"][0]
        item = await client.call_tool("get_evidence", {"ticket_id": "4813", "evidence_id": cited})
        assert item.structured_content is not None and item.structured_content["id"] == cited
        return result.structured_content


@pytest.mark.slow  # a real HTTP MCP server
async def test_http_without_token_on_loopback(http_server: str) -> None:
    report = await _demo_over_http(http_server, {})
    jsonschema.Draft202012Validator(_report_schema()).validate(report)
    assert report["ticket"]["id"] == "4813"
    # HTTP default: PII redacted in what the server returns
    text = json.dumps(report)
    assert DEMO_EMAIL not in text
    assert report["ticket"]["requester"]["email"].startswith("<EMAIL_")


@pytest.mark.slow  # a real HTTP MCP server
@pytest.mark.parametrize("http_server", [TOKEN], indirect=True)
async def test_http_with_token_is_enforced_on_every_request(http_server: str) -> None:
    report = await _demo_over_http(http_server, {"Authorization": f"Bearer {TOKEN}"})
    assert report["ticket"]["id"] == "4813"
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=30) as http:
        for auth in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": TOKEN},
        ):
            answer = await http.post(http_server, json=init, headers={**headers, **auth})
            assert answer.status_code == 401, auth
            assert TOKEN not in answer.text
            assert answer.headers["www-authenticate"].startswith("Bearer")
        ok = await http.post(
            http_server, json=init, headers={**headers, "Authorization": f"Bearer {TOKEN}"}
        )
        assert ok.status_code == 200
    with pytest.raises(BaseException):  # noqa: B017 - the SDK wraps the 401 in a task group
        async with Client(http_server) as client:
            await client.list_tools()


@pytest.mark.parametrize("verbose", [False, True])
def test_server_log_lines_mask_secrets_and_show_tracebacks_only_verbose(verbose: bool) -> None:
    import logging

    from investigate.mcp_server import _MaskedLog
    from investigate.secrets import MASKER

    secret = "log-secret-0123456789"
    MASKER.add(secret)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.addFilter(_MaskedLog(verbose))
    logger = logging.getLogger("test_mcp_masked")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise RuntimeError(f"connect failed with {secret}")
    except RuntimeError:
        logger.exception("Tool %r raised with %s", "check", secret)
    finally:
        logger.removeHandler(handler)
    text = "\n".join(lines)
    assert secret not in text
    assert "Tool 'check' raised with ***" in text
    assert ("Traceback" in text) is verbose
