"""`cloudwatch_logs`: AWS CloudWatch Logs events in the ticket's window (optional extra).

    logs:
      type: cloudwatch_logs
      region: eu-west-1                       # or AWS_REGION / the profile's region
      # profile: support-readonly             # else boto3's default chain (env, SSO, role…)
      log_group_names: ["/ecs/api", "/aws/lambda/billing"]
      # log_group_prefix: "/ecs/"            # instead of names: DescribeLogGroups, capped

Needs `pip install 'investigate[cloudwatch]'` (boto3). Credentials come from boto3's standard
chain and every request is SigV4-signed by botocore. `FilterLogEvents`, paged with `nextToken`
(at most `max_pages` per search), three searches per log group: the window's events that
mention the ticket's entities (`?"acc_1042" ?"dana@acme.io"`), the window's error events
(`?"ERROR" ?"error" …`), and the same error events over `baseline` before the window, so
patterns get novelty. Every ticket value is one quoted term with `\\` and `"` escaped
(`querylang.cloudwatch_term`): it can neither add an OR term (`?`), a JSON selector (`{ $.x }`)
nor an exclusion (`-term`). The lines are checked again here (entity match or error level), so a
server that ignored the pattern cannot flood the report.

Read-only: a botocore `before-call` hook refuses any operation outside `LOGS_READS` /
`STS_READS` before it is signed. Throttling (`ThrottlingException`, 5xx) is retried by botocore's
`standard` retry mode, but never past the query's deadline. Responses are streamed and refused
past `max_response_bytes`; lines and bytes are capped across all searches (notes say so).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import json
import re
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator

from investigate.sdk import (
    MASKER,
    Duration,
    ReadOnlyViolation,
    SourceError,
    SourceTimeout,
    in_thread,
)
from investigate.sdk.contract import Check, Collected, Connector, ConnectorConfig, Query
from investigate.sdk.fieldmap import AccountField
from investigate.sdk.patterns import Pattern, account_keys
from investigate.sdk.querylang import QueryValueError, cloudwatch_term, re2_escape
from investigate.sdk.remote_logs import (
    LEVELS,
    Entry,
    Limits,
    Phase,
    RemoteScan,
    baseline_of,
    drain,
    entity_values,
    epoch_ms,
    flatten,
    level_of,
)
from investigate.sdk.rows import parse_time

LOGS_READS = frozenset(
    {
        "DescribeLogGroups",
        "DescribeLogStreams",
        "FilterLogEvents",
        "GetLogEvents",
        "StartQuery",
        "GetQueryResults",
    }
)
"""The only CloudWatch Logs operations this connector may send (StartQuery only reads)."""
STS_READS = frozenset({"GetCallerIdentity"})
MAX_PATTERN = 1024
"""FilterLogEvents rejects a longer `filterPattern`."""
INSTALL = "pip install 'investigate[cloudwatch]'"
_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_ERROR_TERMS = ["ERROR", "Error", "error", "FATAL", "Fatal", "fatal", "CRITICAL", "critical"]
_ERROR_TERMS += ["PANIC", "panic", "Exception", "Traceback"]
_TEXT = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]?\s+)?"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\s+)?"  # a Lambda request id
    r"\[?(?P<level>[A-Za-z]{3,9})\]?:?\s+(?:\[(?P<service>[^\]]{1,60})\]\s+)?(?P<msg>.*)$",
    re.S,
)
_LEVEL_WORD = re.compile(
    r"\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERR|ERROR|FATAL|CRIT|CRITICAL|PANIC|"
    r"trace|debug|info|notice|warn|warning|err|error|fatal|crit|critical|panic|"
    r"Error|Fatal|Critical|Warning|Exception|Traceback)\b"
)
_MESSAGE_KEYS = ("message", "msg", "log", "text")
_LEVEL_KEYS = ("level", "severity", "lvl", "log.level")
_SERVICE_KEYS = ("service", "service_name", "app", "application")
_META_KEYS = {"@timestamp", "timestamp", "ts", "time", *_LEVEL_KEYS, *_MESSAGE_KEYS}
_KEEP_LEVELS = {"warning", "error", "critical"}
_DENIED = {
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnauthorizedException",
}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "MissingAuthenticationToken",
}


class CloudWatchLogsConfig(ConnectorConfig, AccountField):
    region: str | None = Field(None, description="Else AWS_REGION or the profile's region.")
    profile: str | None = Field(None, description="A profile in ~/.aws/config (SSO too).")
    endpoint_url: str | None = Field(None, description="CloudWatch Logs endpoint (VPC, tests).")
    sts_endpoint_url: str | None = Field(None, description="STS endpoint for `check` (tests).")
    log_group_names: list[str] = Field(default_factory=list)
    log_group_prefix: str | None = None
    max_log_groups: int = Field(20, ge=1, le=200)
    service: str | None = Field(None, description="Service name; default: the group's last part.")
    error_terms: list[str] = Field(default_factory=lambda: list(_ERROR_TERMS), min_length=1)
    page_size: int = Field(1000, ge=1, le=10_000)
    max_pages: int = Field(50, ge=1, le=10_000, description="Per search and log group.")
    max_lines: int = Field(50_000, ge=1, description="Lines read in the window, in all.")
    max_baseline_lines: int = Field(20_000, ge=0)
    max_bytes: int = Field(50_000_000, ge=1_000, description="Bytes of log text read, in all.")
    max_response_bytes: int = Field(8_000_000, ge=10_000, description="Per response.")
    max_patterns: int = Field(60, ge=1)
    max_values: int = Field(20, ge=1, le=100, description="Entity values searched for.")
    max_attempts: int = Field(5, ge=1, le=20, description="botocore standard-mode attempts.")
    baseline: Duration | None = Field(None, description="Default: investigation.baseline.")
    insights: bool = Field(
        False, description="Error and baseline searches as one Logs Insights query (StartQuery)."
    )
    insights_limit: int = Field(10_000, ge=1, le=10_000, description="Rows per Insights query.")
    insights_poll: float = Field(1.0, gt=0, le=30, description="Seconds between result polls.")

    @field_validator("log_group_names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _GROUP_NAME.match(name):
                raise ValueError(f"not a CloudWatch log group name: {name!r}")
        return value

    @field_validator("log_group_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not _GROUP_NAME.match(value):
            raise ValueError(f"not a CloudWatch log group prefix: {value!r}")
        return value

    @field_validator("endpoint_url", "sts_endpoint_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("endpoint URLs must start with https:// (or http://)")
        return value

    @field_validator("error_terms")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        for term in value:
            cloudwatch_term(term)  # raises on an empty or over-long term
        return value

    @model_validator(mode="after")
    def _groups(self) -> CloudWatchLogsConfig:
        if not self.log_group_names and not self.log_group_prefix:
            raise ValueError("set log_group_names (a list) or log_group_prefix")
        if self.insights and any("/" in t for t in self.error_terms):
            raise ValueError("with insights, error_terms cannot contain '/' (an Insights regex)")
        return self

    def limits(self) -> Limits:
        return Limits(
            max_lines=self.max_lines,
            max_baseline_lines=self.max_baseline_lines,
            max_bytes=self.max_bytes,
            max_patterns=self.max_patterns,
        )

    def request_timeout(self, query: Query) -> float:
        configured = self.timeout.total_seconds() if self.timeout else 30.0
        return max(0.5, min(configured, query.remaining))


@dataclass
class Clients:
    logs: Any
    region: str
    session: Any
    botocore_config: Any

    def close(self) -> None:
        self.logs.close()


@dataclass
class Stats:
    calls: int = 0
    retries: int = 0


def any_of(values: list[str], limit: int = MAX_PATTERN) -> list[str]:
    """Filter patterns matching events that contain any value (`?"a" ?"b"`), each pattern at
    most `limit` characters; one value is a bare quoted term. Unusable values are skipped."""
    terms: list[str] = []
    for value in values:
        try:
            term = cloudwatch_term(value)
        except QueryValueError:
            continue
        if len(term) < limit and term not in terms:
            terms.append(term)
    out: list[list[str]] = []
    for term in terms:
        if out and len(" ".join("?" + t for t in [*out[-1], term])) <= limit:
            out[-1].append(term)
        else:
            out.append([term])
    return [group[0] if len(group) == 1 else " ".join("?" + t for t in group) for group in out]


def insights_query(error_terms: list[str], limit: int) -> str:
    """The Logs Insights query for error lines (trusted config terms, regex-escaped)."""
    regex = "|".join(re2_escape(t) for t in error_terms)
    return (
        "fields @timestamp, @message, @logStream, @log"
        f" | filter @message like /{regex}/"
        f" | sort @timestamp desc | limit {limit}"
    )


def console_url(region: str, group: str, pattern: str, start: datetime, end: datetime) -> str:
    """The CloudWatch console's log-events view of `group`, filtered, for the window."""

    def dollar(text: str) -> str:
        return quote(quote(text, safe=""), safe="").replace("%", "$")

    fragment = (
        f"logsV2:log-groups/log-group/{dollar(group)}/log-events"
        f"$3FfilterPattern$3D{dollar(pattern)}$26start$3D{epoch_ms(start)}$26end$3D{epoch_ms(end)}"
    )
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={quote(region)}#{fragment}"
    )


@functools.lru_cache(maxsize=256)
def group_service(group: str) -> str:
    """`/aws/lambda/billing` → `billing`."""
    parts = [p for p in group.split("/") if p]
    return parts[-1] if parts else group


def parse_event(message: str) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """(message, level, service, fields) from a CloudWatch event's text (JSON or plain)."""
    text = message.rstrip("\n")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            body = next((str(data[k]) for k in _MESSAGE_KEYS if k in data), text.strip())
            fields = flatten({k: v for k, v in data.items() if k not in _META_KEYS})
            level = next((str(data[k]) for k in _LEVEL_KEYS if k in data), None)
            service = next((str(data[k]) for k in _SERVICE_KEYS if data.get(k)), None)
            return body, level, service, fields
    head = _TEXT.match(text)
    if head and head.group("level").lower() in LEVELS:
        return head.group("msg").strip(), head.group("level"), head.group("service"), {}
    word = _LEVEL_WORD.search(text[:300])
    level = None
    if word:
        found = word.group(1).lower()
        level = "error" if found in ("exception", "traceback") else found
    return text.strip(), level, None, {}


class CloudWatchLogs(Connector[CloudWatchLogsConfig]):
    type_name = "cloudwatch_logs"
    driver = ("boto3", "cloudwatch")
    config_model = CloudWatchLogsConfig
    description = "AWS CloudWatch Logs events (FilterLogEvents), grouped into patterns"
    read_only_by = "botocore before-call guard: only Describe/Filter/Get log reads and StartQuery"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"cloudwatch_logs '{self.name}'"
        self.stats = Stats()

    # -- clients -------------------------------------------------------------------------

    def _boto(self) -> tuple[Any, Any]:
        try:
            boto3 = importlib.import_module("boto3")
            botocore_config = importlib.import_module("botocore.config")
        except ImportError:
            raise SourceError(
                f"{self.label}: boto3 is not installed (CloudWatch Logs is an optional extra)",
                hint=f"{INSTALL}, or disable connectors.{self.name}",
            ) from None
        return boto3, botocore_config

    def clients(self, deadline: float | None, timeout: float) -> Clients:
        """A guarded CloudWatch Logs client (blocking: call through `in_thread`)."""
        boto3, botocore_config = self._boto()
        c = self.config
        try:
            session = boto3.session.Session(profile_name=c.profile, region_name=c.region)
        except Exception as exc:  # ProfileNotFound and friends
            raise self._failure(exc) from None
        try:  # resolves the chain now: a missing or expired credential is one clear line
            credentials = session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
        except Exception as exc:  # an expired SSO token, a failing credential_process…
            raise self._failure(exc) from None
        if frozen is None:
            raise self._failure(_NoCredentials())
        MASKER.add(frozen.secret_key)
        MASKER.add(frozen.token)
        region = session.region_name
        if not region:
            raise SourceError(
                f"{self.label}: no AWS region configured",
                hint=f"set connectors.{self.name}.region (or AWS_REGION, or the profile's region)",
            )
        config = botocore_config.Config(
            region_name=region,
            retries={"mode": "standard", "total_max_attempts": c.max_attempts},
            connect_timeout=min(timeout, 10.0),
            read_timeout=timeout,
            user_agent_extra="investigate",
        )
        logs = session.client("logs", endpoint_url=c.endpoint_url, config=config)
        guard(logs, LOGS_READS, self.label)
        self._cap_retries(logs, deadline)
        cap_responses(logs, c.max_response_bytes, self.label, self.name)
        return Clients(logs, region, session, config)

    def _cap_retries(self, client: Any, deadline: float | None) -> None:
        """botocore's standard retries, but never a backoff that would end past `deadline`."""
        standard = importlib.import_module("botocore.retries.standard")
        event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
        unique = f"retry-config-{client.meta.service_model.service_id.hyphenize()}"
        client.meta.events.unregister(event, unique_id=unique)
        handler = standard.register_retry_handler(client, max_attempts=self.config.max_attempts)
        client.meta.events.unregister(event, unique_id=unique)

        def capped(**kwargs: Any) -> float | None:
            delay: float | None = handler.needs_retry(**kwargs)
            if delay is None:
                return None
            if deadline is not None and time.monotonic() + delay >= deadline - 0.1:
                code = _code_of(kwargs.get("response"))
                raise SourceTimeout(
                    f"{self.label}: CloudWatch Logs answered {code or 'an error'} and the next "
                    f"retry would pass the deadline; gave up after {kwargs.get('attempts', 1)} "
                    "attempts",
                    hint="AWS is throttling this account's log reads; try again later or "
                    "raise investigation.timeout",
                )
            self.stats.retries += 1
            return delay

        client.meta.events.register(event, capped, unique_id=unique)

    # -- check ---------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        try:
            clients = await in_thread(self.clients, None, 10.0)
        except SourceError as exc:
            return [Check("aws", False, _one_line(exc))]
        try:
            checks = [await self._check_groups(clients)]
            checks.append(await self._identity(clients))
        finally:
            clients.close()
        checks.append(
            Check(
                "read-only",
                True,
                "WARNING: could not verify that this credential cannot write "
                "(logs:PutLogEvents, logs:DeleteLogGroup…): AWS has no cheap way to ask; the real "
                "boundary is an IAM policy with only logs:DescribeLogGroups, logs:FilterLogEvents, "
                "logs:StartQuery and logs:GetQueryResults (or CloudWatchLogsReadOnlyAccess)",
                warning=True,
            )
        )
        return checks

    async def _check_groups(self, clients: Clients) -> Check:
        try:
            groups = await self.log_groups(clients, None)
        except SourceError as exc:
            return Check("log groups", False, _one_line(exc))
        if not groups:
            return Check(
                "log groups", False, f"no log group starts with {self.config.log_group_prefix!r}"
            )
        shown = ", ".join(groups[:3]) + (f" and {len(groups) - 3} more" if len(groups) > 3 else "")
        return Check("log groups", True, f"{len(groups)} readable in {clients.region}: {shown}")

    async def _identity(self, clients: Clients) -> Check:
        def caller() -> Any:
            sts = clients.session.client(
                "sts", endpoint_url=self.config.sts_endpoint_url, config=clients.botocore_config
            )
            guard(sts, STS_READS, self.label)
            try:
                return sts.get_caller_identity()
            finally:
                sts.close()

        try:
            who = await in_thread(self._call, caller, {}, None)
        except SourceError as exc:
            return Check("identity", True, f"not readable: {_one_line(exc)}", warning=True)
        return Check("identity", True, f"{who.get('Arn', '?')} (account {who.get('Account', '?')})")

    # -- collect -------------------------------------------------------------------------

    async def log_groups(self, clients: Clients, query: Query | None) -> list[str]:
        """The configured names, or the groups DescribeLogGroups finds for the prefix."""
        c = self.config
        if c.log_group_names and query is not None:
            return c.log_group_names[: c.max_log_groups]
        found: list[str] = []
        wanted = c.log_group_names or [c.log_group_prefix or ""]
        for prefix in wanted[: c.max_log_groups]:
            token: str | None = None
            while len(found) < c.max_log_groups:
                args: dict[str, Any] = {"logGroupNamePrefix": prefix, "limit": 50}
                if token:
                    args["nextToken"] = token
                reply = await in_thread(self._call, clients.logs.describe_log_groups, args, None)
                names = [
                    str(g["logGroupName"])
                    for g in reply.get("logGroups") or []
                    if isinstance(g, dict) and g.get("logGroupName")
                ]
                if c.log_group_names:  # a check of configured names: exact matches only
                    names = [n for n in names if n == prefix]
                    if not names and not reply.get("nextToken"):
                        raise SourceError(
                            f"{self.label}: log group {prefix!r} does not exist in "
                            f"{clients.region}",
                            hint=f"check connectors.{self.name}.log_group_names and region",
                        )
                found += [n for n in names if n not in found]
                token = reply.get("nextToken")
                if not token or (c.log_group_names and names):
                    break
        return found[: c.max_log_groups]

    def searches(self, query: Query) -> list[tuple[Phase, str]]:
        c = self.config
        out: list[tuple[Phase, str]] = [
            ("matches", p) for p in any_of(entity_values(query, c.max_values))
        ]
        errors = (
            [insights_query(c.error_terms, c.insights_limit)]
            if c.insights
            else any_of(c.error_terms)
        )
        out += [("errors", p) for p in errors]
        if baseline_of(c.baseline, query) and c.max_baseline_lines:
            out += [("baseline", p) for p in errors]
        return out

    async def collect(self, query: Query) -> Collected:
        if query.stage == "resolve":
            return Collected()
        c = self.config
        clients = await in_thread(self.clients, query.deadline, c.request_timeout(query))
        scan = RemoteScan(query, c.limits(), account_keys(c.account_field))
        window = query.window
        sent: list[str] = []
        try:
            groups = await self.log_groups(clients, query)
            if not groups:
                scan.note(f"{self.name}: no log group starts with {c.log_group_prefix!r}")
            stop = False
            for phase, pattern in self.searches(query):
                if phase == "baseline":
                    start, end = (
                        window.start - baseline_of(c.baseline, query),
                        window.start - timedelta(milliseconds=1),
                    )
                else:
                    start, end = window.start, window.end
                sent.append(pattern)
                if c.insights and phase != "matches":
                    pages = self._insights(clients, scan, groups, phase, pattern, start, end)
                    if groups and not await drain(scan, phase, pages):
                        break
                    continue
                for group in groups:
                    pages = self._pages(clients, scan, group, phase, pattern, start, end)
                    if not await drain(scan, phase, pages):
                        stop = True
                        break
                if stop:
                    break
        finally:
            clients.close()
        shown = ", ".join(groups) if len(groups) <= 3 else f"{len(groups)} log groups"
        filters = [p for p in dict.fromkeys(sent) if not p.startswith("fields ")]
        request = f"FilterLogEvents {shown} filterPattern=" + " ; ".join(filters)
        if c.insights:
            request += f" ; StartQuery {shown} queryString={insights_query(c.error_terms, c.insights_limit)}"
        return scan.collected(self.name, request, url=self._link(clients.region, groups, query))

    def _link(
        self, region: str, groups: list[str], query: Query
    ) -> Callable[[Pattern], str | None] | None:
        if not groups:
            return None
        matches = next((p for phase, p in self.searches(query) if phase == "matches"), "")
        errors = any_of(self.config.error_terms)[0]  # the console link uses a filter pattern
        by_service = {self._service(g): g for g in groups}

        def build(pattern: Pattern) -> str:
            group = next((by_service[s] for s in sorted(pattern.services) if s in by_service), "")
            text = matches if pattern.matched and matches else errors
            return console_url(
                region, group or groups[0], text, query.window.start, query.window.end
            )

        return build

    def _service(self, group: str) -> str:
        return self.config.service or group_service(group)

    async def _pages(
        self,
        clients: Clients,
        scan: RemoteScan,
        group: str,
        phase: Phase,
        pattern: str,
        start: datetime,
        end: datetime,
    ) -> AsyncGenerator[list[Entry], None]:
        c = self.config
        args: dict[str, Any] = {
            "logGroupName": group,
            "startTime": epoch_ms(start),
            "endTime": epoch_ms(end),
            "filterPattern": pattern,
            "limit": c.page_size,
        }
        for _ in range(c.max_pages):
            reply = await in_thread(self._call, clients.logs.filter_log_events, args, group)
            events = reply.get("events")
            if not isinstance(events, list):  # botocore turns a body that is not JSON into {}
                raise SourceError(
                    f"{self.label}: CloudWatch Logs sent a FilterLogEvents response for {group} "
                    "that is not valid JSON (no events list)",
                    hint=f"check connectors.{self.name}.endpoint_url (a proxy or login page "
                    "may answer)",
                )
            yield self._keep(scan, phase, group, events)
            token = reply.get("nextToken")
            if not isinstance(token, str) or not token or token == args.get("nextToken"):
                return
            args["nextToken"] = token
        scan.note(f"{self.name}: stopped after {c.max_pages} pages of one search in {group}")

    async def _insights(
        self,
        clients: Clients,
        scan: RemoteScan,
        groups: list[str],
        phase: Phase,
        text: str,
        start: datetime,
        end: datetime,
    ) -> AsyncGenerator[list[Entry], None]:
        """One Logs Insights query over the groups: StartQuery, then GetQueryResults until it is
        complete (polled every `insights_poll` seconds, never past the deadline)."""
        c = self.config
        if len(groups) > 50:
            scan.note(f"{self.name}: Logs Insights reads at most 50 log groups; the first 50")
        args: dict[str, Any] = {
            "logGroupNames": groups[:50],
            "startTime": int(start.timestamp()),
            "endTime": int(end.timestamp()),
            "queryString": text,
            "limit": c.insights_limit,
        }
        started = await in_thread(self._call, clients.logs.start_query, args, None)
        query_id = started.get("queryId")
        if not isinstance(query_id, str) or not query_id:
            raise SourceError(f"{self.label}: StartQuery returned no queryId")
        while True:
            reply = await in_thread(
                self._call, clients.logs.get_query_results, {"queryId": query_id}, None
            )
            status = str(reply.get("status") or "Unknown")
            if status == "Complete":
                break
            if status not in ("Scheduled", "Running"):
                raise SourceError(
                    f"{self.label}: the Logs Insights query ended with status {status}",
                    hint=f"check the query in the console, or set connectors.{self.name}.insights "
                    "to false",
                )
            if scan.query.remaining < c.insights_poll:
                raise SourceTimeout(
                    f"{self.label}: the Logs Insights query was still {status.lower()} at the "
                    "deadline"
                )
            await asyncio.sleep(c.insights_poll)
        rows = reply.get("results")
        if not isinstance(rows, list):
            raise SourceError(f"{self.label}: GetQueryResults returned no results list")
        yield [e for e in (self._row(row) for row in rows) if e and self._wanted(scan, e, phase)]
        if len(rows) >= c.insights_limit:
            scan.note(
                f"{self.name}: the Logs Insights {phase} query returned its limit of "
                f"{c.insights_limit:,} rows (the newest); older lines were not read"
            )

    def _row(self, row: Any) -> Entry | None:
        if not isinstance(row, list):
            return None
        cells = {
            str(cell.get("field")): str(cell.get("value") or "")
            for cell in row
            if isinstance(cell, dict)
        }
        raw = cells.get("@timestamp", "")
        ts = parse_time(int(raw) if raw.isdigit() else raw)
        if ts is None:
            return None
        group = cells.get("@log", "")
        account, _, name = group.partition(":")
        group = name if name and account.isdigit() else group  # "123456789012:/ecs/api"
        event = {
            "timestamp": epoch_ms(ts),
            "message": cells.get("@message", ""),
            "logStreamName": cells.get("@logStream", ""),
        }
        return self._entry(group, event)

    def _keep(self, scan: RemoteScan, phase: Phase, group: str, events: list[Any]) -> list[Entry]:
        """The page's events that are what the search asked for: the filter pattern is only a
        pre-filter here, so a server that ignored it cannot flood the scan."""
        out = []
        for event in events:
            if phase == "matches":  # CloudWatch matches the raw text (JSON fields included)
                raw = event.get("message") if isinstance(event, dict) else None
                if not scan.matcher or not isinstance(raw, str) or not scan.matcher.find(raw):
                    continue
            entry = self._entry(group, event)
            if entry is not None and (phase == "matches" or self._wanted(scan, entry, phase)):
                out.append(entry)
        return out

    @staticmethod
    def _wanted(scan: RemoteScan, entry: Entry, phase: Phase) -> bool:
        if phase == "matches":
            values = " ".join(str(v) for v in entry.fields.values() if isinstance(v, str | int))
            return bool(scan.matcher) and bool(scan.matcher.find(f"{entry.message}\n{values}"))
        return level_of(entry.level) in _KEEP_LEVELS

    def _entry(self, group: str, event: Any) -> Entry | None:
        if not isinstance(event, dict) or not isinstance(event.get("timestamp"), int):
            return None
        try:
            ts = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            return None
        raw = str(event.get("message") or "")
        message, level, service, fields = parse_event(raw)
        # the same event through FilterLogEvents and Logs Insights: one key for both
        digest = hashlib.blake2b(raw.encode("utf-8", "replace"), digest_size=12).digest()
        key = (group, str(event.get("logStreamName") or ""), event["timestamp"], digest)
        return Entry(
            ts,
            message,
            level,
            service or self._service(group),
            {**fields, "log_group": group},
            key=key,
        )

    def _call(self, method: Callable[..., Any], args: dict[str, Any], group: str | None) -> Any:
        """One API call (blocking), every failure a one-line `SourceError`."""
        self.stats.calls += 1
        try:
            reply = method(**args)
        except SourceError:
            raise
        except Exception as exc:
            raise self._failure(exc, group) from None
        return reply if isinstance(reply, dict) else {}

    def _failure(self, exc: BaseException, group: str | None = None) -> SourceError:
        kind = type(exc).__name__
        code = ""
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code") or "")
        status = (
            response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(response, dict)
            else None
        )
        said = response.get("Error", {}).get("Message") if isinstance(response, dict) else None
        detail = MASKER.mask(" ".join(str(said or exc).split()))[:300]
        name = self.name
        if code == "ResourceNotFoundException":
            where = f"log group {group!r}" if group else "the log group"
            return SourceError(
                f"{self.label}: {where} does not exist (ResourceNotFoundException)",
                hint=f"check connectors.{name}.log_group_names and region",
            )
        if code in _DENIED or (status == 403 and code not in _BAD_CREDENTIALS):
            return SourceError(
                f"{self.label}: access denied ({code or 'HTTP 403'}): {detail}",
                hint="the credential needs logs:FilterLogEvents and logs:DescribeLogGroups on "
                "these log groups",
            )
        if code in _BAD_CREDENTIALS:
            return SourceError(
                f"{self.label}: AWS rejected the credentials ({code})",
                hint="check the credential chain: AWS_PROFILE / connectors."
                f"{name}.profile, AWS_ACCESS_KEY_ID, SSO login, or the instance role",
            )
        if "Throttl" in code or code in ("TooManyRequestsException", "LimitExceededException"):
            return SourceError(
                f"{self.label}: CloudWatch Logs kept throttling ({code}) after "
                f"{self.config.max_attempts} attempts",
                hint=f"try again later or raise connectors.{name}.max_attempts",
            )
        if kind in ("NoCredentialsError", "_NoCredentials"):
            return SourceError(
                f"{self.label}: no AWS credentials found",
                hint=f"set AWS_PROFILE or connectors.{name}.profile (run `aws sso login` for SSO), "
                "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an instance role",
            )
        if kind in ("UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError"):
            return SourceError(
                f"{self.label}: the AWS SSO session is missing or expired ({kind})",
                hint="run `aws sso login`"
                + (f" --profile {self.config.profile}" if self.config.profile else ""),
            )
        if kind in ("CredentialRetrievalError", "PartialCredentialsError"):
            return SourceError(
                f"{self.label}: could not get AWS credentials ({kind}): {detail}",
                hint=f"check the profile (connectors.{name}.profile or AWS_PROFILE) and its "
                "credential source",
            )
        if kind in ("ProfileNotFound", "InvalidConfigError"):
            return SourceError(f"{self.label}: {detail}", hint=f"check connectors.{name}.profile")
        if kind == "ResponseParserError":
            return SourceError(
                f"{self.label}: CloudWatch Logs sent a response that is not valid JSON",
                hint=f"check connectors.{name}.endpoint_url (a proxy or login page may answer)",
            )
        if kind in ("ConnectTimeoutError", "ReadTimeoutError"):
            return SourceTimeout(f"{self.label}: request timed out ({detail})")
        if kind in ("EndpointConnectionError", "ConnectionClosedError", "ProxyConnectionError"):
            return SourceError(
                f"{self.label}: cannot reach CloudWatch Logs: {detail}",
                hint=f"check connectors.{name}.region and endpoint_url",
            )
        if isinstance(status, int) and status >= 500:
            return SourceError(f"{self.label}: CloudWatch Logs failed (HTTP {status}): {detail}")
        return SourceError(f"{self.label}: {code or kind}: {detail}")


def guard(client: Any, allowed: frozenset[str], label: str) -> None:
    """Refuse, before signing, every operation of `client` outside `allowed`."""

    def check(model: Any, **_: Any) -> None:
        if model.name not in allowed:
            raise ReadOnlyViolation(
                f"{label}: refused {model.name}: only {', '.join(sorted(allowed))} may be sent",
                hint="investigate never writes to AWS",
            )

    client.meta.events.register_first("before-call", check)


def cap_responses(client: Any, cap: int, label: str, name: str) -> None:
    """Stream every response body and refuse one larger than `cap` bytes (botocore would
    otherwise read it whole into memory)."""
    session = client._endpoint.http_session

    def too_big() -> SourceError:
        return SourceError(
            f"{label}: a CloudWatch Logs response is larger than {cap:,} bytes; stopped reading",
            hint=f"lower connectors.{name}.page_size or raise connectors.{name}.max_response_bytes",
        )

    def send(request: Any, **_: Any) -> Any:
        request.stream_output = True
        response = session.send(request)
        declared = str(response.headers.get("content-length", ""))
        if declared.isdigit() and int(declared) > cap:
            response.raw.close()
            raise too_big()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.raw.stream(65_536):
            size += len(chunk)
            if size > cap:
                response.raw.close()
                raise too_big()
            chunks.append(chunk)
        response._content = b"".join(chunks)
        return response

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}", send)


class _NoCredentials(Exception):
    """The default chain found nothing (botocore would raise NoCredentialsError later)."""


def _code_of(response: Any) -> str:
    if isinstance(response, tuple) and len(response) == 2 and isinstance(response[1], dict):
        return str(response[1].get("Error", {}).get("Code") or "")
    return ""


def _one_line(exc: SourceError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
