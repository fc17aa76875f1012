"""`investigate mcp`: the investigation as a Model Context Protocol server (official `mcp` SDK).

The tools run exactly what the command line runs: the configured connectors with their
configured queries and bound entity values. No tool takes SQL, LogQL, a URL or query text for
a connector; the one free-text argument that reaches a connector is `list_tickets`' query, which
is the ticket source's own ticket search (as `investigate batch --query`).

Everything returned passes through the secret masker and `safe()`; with `mcp.redact` (default
on over HTTP, off over stdio) PII is replaced by placeholders too. Errors are tool errors with
the CLI's one-line message and hint. Connector progress becomes progress notifications, and a
cancelled request cancels the investigation (connectors are asyncio tasks).

Imported only by `investigate mcp`: the SDK is an optional extra (`investigate[mcp]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import sys
import traceback
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context as RequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from investigate import __version__
from investigate.checks import Posture
from investigate.context import Context, make_console
from investigate.errors import InvestigateError, UsageError
from investigate.evidence.redaction import Redactor
from investigate.models import Evidence, Report, SourceResult
from investigate.render import safe
from investigate.render.markdown import md
from investigate.secrets import MASKER
from investigate.ticket_ids import check_ticket_id

TOKEN_ENV = "INVESTIGATE_MCP_TOKEN"  # noqa: S105 - the name of the variable
MIN_TOKEN = 16
KEEP_REPORTS = 200
"""Last reports kept in memory (one per ticket), oldest dropped first."""
INSTRUCTIONS = (
    "Investigates support tickets with read-only connectors (logs, databases, billing, "
    "trackers, monitoring). Call investigate_ticket first; then get_evidence or "
    "search_evidence on that ticket. Cite evidence IDs (E1, E2, ...) for every claim."
)


InvestigatedTicket = Annotated[str, Field(description="A ticket investigated by this server.")]


@dataclass
class ServeOptions:
    http: tuple[str, int] | None = None
    """Streamable HTTP on (host, port); None for stdio."""
    token: str | None = None
    redact: bool | None = None
    """None: `mcp.redact` from the config, else on over HTTP and off over stdio."""


# --- structured outputs (the report itself is `models.Report`) -------------------------------


class TicketList(BaseModel):
    tickets: list[str] = Field(description="Ticket IDs, newest first.")


class EvidenceMatch(BaseModel):
    score: float
    evidence: Evidence


class EvidenceMatches(BaseModel):
    ticket_id: str
    matches: list[EvidenceMatch]


class ConnectorType(BaseModel):
    type: str
    origin: str
    description: str


class ConfiguredConnector(BaseModel):
    name: str
    type: str
    enabled: bool


class ConnectorList(BaseModel):
    types: list[ConnectorType]
    broken: dict[str, str] = Field(description="Plugins that failed to load, with why.")
    configured: list[ConfiguredConnector]
    ticket_source: str | None


class CheckItem(BaseModel):
    name: str
    ok: bool
    warning: bool
    detail: str


class ConnectorCheck(BaseModel):
    name: str
    type: str
    checks: list[CheckItem]
    read_only_by: str = Field(description="What guarantees read-only access.")
    posture: Posture
    credential: str


class CheckResult(BaseModel):
    ok: bool
    warnings: int
    connectors: list[ConnectorCheck]
    skipped: list[SourceResult]
    missing_ticket_source: str | None


# --- helpers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _tool_errors() -> Iterator[None]:
    """InvestigateError → a tool error carrying the CLI's message and hint."""
    try:
        yield
    except InvestigateError as exc:
        text = safe(MASKER.mask(exc.message))
        if exc.hint:
            text += f"\n  hint: {safe(MASKER.mask(exc.hint))}"
        raise ToolError(text) from None


def _clean(value: Any, redactor: Redactor | None) -> Any:
    """Mask the configured secrets, strip terminal control sequences and (optionally) redact
    PII in every string of a JSON value."""
    if isinstance(value, str):
        text = safe(MASKER.mask_values(value))
        return redactor.redact(text) if redactor is not None else text
    if isinstance(value, dict):
        return {k: _clean(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, redactor) for v in value]
    return value


def summary(report: Report) -> str:
    """A short Markdown summary for the client model; the full report is the structured result."""
    a = report.analysis
    lines = [
        f"# Ticket {md(report.ticket.id)}: {md(report.ticket.subject)}",
        "",
        f"**Root cause** ({a.root_cause.category}, {a.root_cause.confidence} confidence): "
        f"{md(a.root_cause.statement)}"
        + (
            f" [{', '.join(md(e) for e in a.root_cause.evidence)}]" if a.root_cause.evidence else ""
        ),
        "",
        md(a.summary),
        "",
        f"Severity {a.severity}; escalate to {md(a.escalation.tier)} {md(a.escalation.team)}.",
        "",
        "## Top evidence",
    ]
    lines += [f"- **{md(e.id)}** [{md(e.source)}] {md(e.title, 160)}" for e in report.evidence[:8]]
    if len(report.evidence) > 8:
        lines.append(f"- … {len(report.evidence) - 8} more: get_evidence / search_evidence")
    lines += ["", "## Sources"]
    lines += [
        f"- {md(s.name)}: {s.status}" + (f" ({md(s.error, 160)})" if s.error else "")
        for s in report.sources
    ]
    return "\n".join(lines)


class _Progress:
    """The pipeline's progress hook (sync, called per connector) → MCP progress
    notifications, sent in order by one task. Progress counts finished connectors."""

    def __init__(self, request: RequestContext) -> None:
        self._request = request
        self._queue: asyncio.Queue[tuple[str, str, str] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump())

    def hook(self, name: str, event: str, status: str) -> None:
        self._queue.put_nowait((name, event, status))

    async def _pump(self) -> None:
        started = done = 0
        while (item := await self._queue.get()) is not None:
            name, event, status = item
            if event == "start":
                started += 1
                continue
            done += 1
            with contextlib.suppress(Exception):  # a client that went away stops nothing
                await self._request.report_progress(
                    done, max(started, done), safe(f"{name}: {status}")
                )

    async def finish(self) -> None:
        """Send what is queued, then stop."""
        self._queue.put_nowait(None)
        try:
            await self._task
        finally:
            self._task.cancel()

    def abandon(self) -> None:
        self._task.cancel()


# --- the server --------------------------------------------------------------------------------


class Investigator:
    """The tools' shared state: the app context and the last report of each ticket."""

    def __init__(self, ctx: Context, redact: bool) -> None:
        self.ctx = ctx
        self.redact = redact
        self.reports: OrderedDict[str, Report] = OrderedDict()

    def redactor(self) -> Redactor | None:
        if not self.redact:
            return None
        return Redactor(self.ctx.config.settings.redaction.sensitive, enabled=True)

    def last(self, ticket_id: str) -> Report:
        check_ticket_id(ticket_id)
        report = self.reports.get(ticket_id)
        if report is None:
            raise UsageError(
                f"ticket {ticket_id} has not been investigated by this server",
                hint=f"call investigate_ticket with ticket_id {ticket_id!r} first",
            )
        return report

    def keep(self, ticket_id: str, report: Report) -> bool:
        """Keep the report as the ticket's last; True when the ticket is new to the server."""
        new = ticket_id not in self.reports
        self.reports[ticket_id] = report
        self.reports.move_to_end(ticket_id)
        while len(self.reports) > KEEP_REPORTS:
            self.reports.popitem(last=False)
        return new


def _report_resource(state: Investigator, ticket_id: str) -> FunctionResource:
    """`investigate://ticket/<id>` in the resource list, read fresh each time."""

    async def read() -> str:
        try:
            return state.last(ticket_id).model_dump_json(indent=2)
        except InvestigateError as exc:
            raise ResourceNotFoundError(safe(exc.message)) from None

    return FunctionResource(
        uri=f"investigate://ticket/{ticket_id}",
        name=f"ticket {ticket_id}",
        description=f"The last report of ticket {ticket_id} (report JSON).",
        mime_type="application/json",
        fn=read,
    )


def build_server(ctx: Context, redact: bool) -> MCPServer:
    state = Investigator(ctx, redact)
    server: MCPServer = MCPServer(
        "investigate",
        title="investigate: support-ticket investigator",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )

    @server.tool(
        title="Investigate a ticket",
        description="Investigate one support ticket: read-only evidence from every configured "
        "connector, ranked, with a root-cause analysis citing evidence IDs. Returns the report "
        "(structured, as `investigate ticket --format json`) and a Markdown summary.",
    )
    async def investigate_ticket(
        ticket_id: Annotated[str, Field(description="The ticket ID in the ticket source.")],
        request: RequestContext,
        since: Annotated[
            str | None,
            Field(description="Window start: ISO time or a duration ago (6h)."),
        ] = None,
        until: Annotated[
            str | None,
            Field(description="Window end: ISO time or a duration ago [default: now]."),
        ] = None,
        only: Annotated[
            list[str] | None,
            Field(description="Query only these connectors (names from list_connectors)."),
        ] = None,
        analyst: Annotated[
            Literal["auto", "anthropic", "openai", "offline"],
            Field(description="Who writes the analysis."),
        ] = "auto",
    ) -> Annotated[CallToolResult, Report]:
        from investigate.options import RunOptions
        from investigate.pipeline import investigate

        with _tool_errors():
            check_ticket_id(ticket_id)
            options = RunOptions(
                ticket_id=ticket_id,
                analyst=analyst,
                since=since,
                until=until,
                only=[n.strip() for n in only or [] if n.strip()],
            )
            progress = _Progress(request)
            try:
                report = await investigate(ctx, options, progress.hook)
            except BaseException:  # an error, or the client cancelled the request
                progress.abandon()
                raise
            await progress.finish()
        data = _clean(report.model_dump(mode="json"), state.redactor())
        kept = Report.model_validate(data)
        if state.keep(ticket_id, kept):
            server.add_resource(_report_resource(state, ticket_id))
            with contextlib.suppress(Exception):  # a client that went away stops nothing
                await request.notify_resources_changed()
        return CallToolResult(  # the summary, then the report as JSON text (as the spec asks)
            content=[
                TextContent(type="text", text=summary(kept)),
                TextContent(type="text", text=json.dumps(data, ensure_ascii=False)),
            ],
            structured_content=data,
        )

    @server.tool(
        title="List tickets",
        description="Ticket IDs from the ticket source's own search (its query syntax, e.g. "
        "'status:new' for Zendesk); the same as `investigate batch --query`.",
    )
    async def list_tickets(
        query: Annotated[str, Field(description="A query in the ticket source's syntax.")],
        limit: Annotated[int, Field(ge=1, le=100, description="At most this many IDs.")] = 20,
    ) -> TicketList:
        from investigate.pipeline import search_tickets

        with _tool_errors():
            ids = await search_tickets(ctx, query, limit)
        return TicketList(tickets=[safe(MASKER.mask(i)) for i in ids[:limit]])

    @server.tool(
        title="Get one evidence item",
        description="One evidence item in full (detail, examples, query, record, attributes) "
        "from the last investigation of the ticket, by its ID (E1, E2, ...).",
    )
    def get_evidence(
        ticket_id: InvestigatedTicket,
        evidence_id: Annotated[str, Field(description="An evidence ID such as E3.")],
    ) -> Evidence:
        with _tool_errors():
            report = state.last(ticket_id)
            for item in report.evidence:
                if item.id == evidence_id:
                    return item
            known = ", ".join(e.id for e in report.evidence[:12]) or "none"
            raise UsageError(
                f"no evidence {evidence_id!r} in the last report of ticket {ticket_id}",
                hint=f"evidence IDs: {known}{' …' if len(report.evidence) > 12 else ''}",
            )

    @server.tool(
        title="Search evidence",
        description="The evidence items of the ticket's last investigation that best match "
        "some words (BM25 over titles and details; nothing is sent to a connector).",
    )
    def search_evidence(
        ticket_id: InvestigatedTicket,
        text: Annotated[str, Field(min_length=1, max_length=2000, description="Words to find.")],
        limit: Annotated[int, Field(ge=1, le=50)] = 5,
    ) -> EvidenceMatches:
        from investigate.sdk.relevance import Index

        with _tool_errors():
            report = state.last(ticket_id)
        docs = [
            {"title": e.title, "body": "\n".join([e.detail, *e.examples, *e.services])}
            for e in report.evidence
        ]
        hits = Index(docs).search(text, k=limit)
        return EvidenceMatches(
            ticket_id=ticket_id,
            matches=[
                EvidenceMatch(score=round(s, 4), evidence=report.evidence[i]) for i, s in hits
            ],
        )

    @server.tool(
        title="List connectors",
        description="The connector types available and the connector instances configured.",
    )
    def list_connectors() -> ConnectorList:
        from investigate.registry import discover

        registry = discover()
        settings = ctx.config.settings
        return ConnectorList(
            types=[
                ConnectorType(type=n, origin=registry.origins.get(n, ""), description=c.description)
                for n, c in sorted(registry.types.items())
            ],
            broken={n: safe(MASKER.mask(why)) for n, why in sorted(registry.broken.items())},
            configured=[
                ConfiguredConnector(
                    name=name,
                    type=str(section.get("type", "?")),
                    enabled=bool(section.get("enabled", True)),
                )
                for name, section in settings.connectors.items()
                if isinstance(section, dict)
            ],
            ticket_source=settings.ticket_source,
        )

    @server.tool(
        title="Check connectors",
        description="Check each configured connector (config, reachability, auth) and its "
        "read-only posture, as `investigate check`.",
    )
    async def check() -> CheckResult:
        from investigate.checks import collect_checks, posture

        with _tool_errors():
            run = await collect_checks(ctx)
        outcome = run.outcome
        connectors = []
        for name, checks in run.checks.items():
            instance = run.instances[name]
            level, credential = posture(instance, checks)
            connectors.append(
                ConnectorCheck(
                    name=name,
                    type=instance.type_name,
                    checks=[
                        CheckItem(
                            name=c.name,
                            ok=c.ok,
                            warning=c.warning,
                            detail=safe(MASKER.mask(c.detail)),
                        )
                        for c in checks
                    ],
                    read_only_by=instance.read_only_by,
                    posture=level,
                    credential=safe(MASKER.mask(credential)),
                )
            )
        return CheckResult(
            ok=outcome.ok,
            warnings=outcome.warnings,
            connectors=connectors,
            skipped=run.skipped,
            missing_ticket_source=run.missing_source,
        )

    @server.resource(
        "investigate://ticket/{ticket_id}",
        name="ticket report",
        description="The last report of a ticket investigated by this server (report JSON).",
        mime_type="application/json",
    )
    def ticket_report(ticket_id: str) -> str:
        try:
            report = state.last(ticket_id)
        except InvestigateError as exc:
            raise ResourceNotFoundError(safe(exc.message)) from None
        return report.model_dump_json(indent=2)

    @server.prompt(
        name="investigate_ticket",
        title="Investigate ticket {id}",
        description="Investigate a support ticket with the tools and cite evidence IDs.",
    )
    def investigate_prompt(
        ticket_id: Annotated[str, Field(description="The ticket ID.")],
    ) -> str:
        with _tool_errors():
            check_ticket_id(ticket_id)
        return (
            f"Investigate support ticket {ticket_id}.\n\n"
            f"1. Call the `investigate_ticket` tool with ticket_id {ticket_id!r}. It queries every "
            "configured connector read-only and returns the report and a summary.\n"
            "2. Read the root cause and the top evidence. Use `get_evidence` for the full text of "
            "an item and `search_evidence` to find items about a specific symptom.\n"
            "3. Answer with: the likely root cause, how confident you are and why, what to do "
            "next, and a draft reply to the customer.\n\n"
            "Cite the evidence ID (E1, E2, ...) after every claim that rests on evidence. Do not "
            "state anything the evidence does not support; say what is missing instead."
        )

    return server


# --- running it --------------------------------------------------------------------------------


def parse_bind(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[::1]:PORT` or `:PORT` (loopback)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http: not HOST:PORT: {value!r}", hint="e.g. --http 127.0.0.1:8765")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(ctx: Context, options: ServeOptions) -> None:
    """Run the server until stdin closes (stdio) or it is interrupted (HTTP)."""
    if options.token is not None:
        MASKER.add(options.token)
        if len(options.token) < MIN_TOKEN:
            raise UsageError(
                f"--token: at least {MIN_TOKEN} characters",
                hint="generate one: openssl rand -hex 32",
            )
    if options.http is not None and options.token is None and not is_loopback(options.http[0]):
        raise UsageError(
            f"refusing to serve on {options.http[0]} without a token",
            hint=f"pass --token or set ${TOKEN_ENV}, or bind a loopback address (127.0.0.1)",
        )
    configured = ctx.config.settings.mcp.redact
    redact = (
        options.redact
        if options.redact is not None
        else configured
        if configured is not None
        else options.http is not None
    )
    # stdout is the protocol on stdio: anything a stage prints goes to stderr instead
    ctx.out = make_console(stderr=True)
    server = build_server(ctx, redact)
    for handler in logging.getLogger().handlers:  # the SDK's, on stderr
        handler.addFilter(_MaskedLog(ctx.verbose))
    if options.http is None:
        asyncio.run(_stdio(server))
    else:
        asyncio.run(_http(server, *options.http, options.token, redact))


async def _stdio(server: MCPServer) -> None:
    from investigate.threads import DaemonExecutor

    asyncio.get_running_loop().set_default_executor(DaemonExecutor())
    await server.run_stdio_async()


async def _http(
    server: MCPServer,
    host: str,
    port: int,
    token: str | None,
    redact: bool,
) -> None:
    import uvicorn

    from investigate.threads import DaemonExecutor

    asyncio.get_running_loop().set_default_executor(DaemonExecutor())
    app: Any = server.streamable_http_app(host=host)
    if token is not None:
        app = BearerGate(app, token)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"investigate mcp: streamable HTTP on http://{shown}:{port}/mcp "
        f"(token {'required' if token else 'not required'}, redaction {'on' if redact else 'off'})",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


class _MaskedLog(logging.Filter):
    """The SDK's log lines as the CLI's errors: secrets masked, tracebacks only with -v."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and self.verbose:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        record.msg, record.args, record.exc_info, record.exc_text = (
            MASKER.mask(text),
            None,
            None,
            None,
        )
        return True


class BearerGate:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self._expected):
                body = json.dumps(
                    {"error": "unauthorized", "hint": "send Authorization: Bearer <token>"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="investigate"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
