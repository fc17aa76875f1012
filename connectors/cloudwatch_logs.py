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
import re
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator, model_validator

from investigate.sdk import SourceError, SourceTimeout, in_thread
from investigate.sdk.contract import Check, Collected, Connector, Query
from investigate.sdk.fieldchecks import each, one
from investigate.sdk.patterns import Pattern, account_keys
from investigate.sdk.querylang import cloudwatch_term
from investigate.sdk.remote_logs import (
    Entry,
    LogScanConfig,
    Phase,
    RemoteScan,
    baseline_of,
    drain,
    entity_values,
    epoch_ms,
    level_of,
)
from investigate_connectors._aws_client import AwsService, Clients, guard, one_line
from investigate_connectors._cloudwatch_events import (
    event_entry,
    group_service,
    insights_event,
    parse_event,
)
from investigate_connectors._cloudwatch_query import (
    MAX_PATTERN,
    any_of,
    console_url,
    insights_query,
)

__all__ = [
    "INSTALL",
    "LOGS_READS",
    "MAX_PATTERN",
    "CloudWatchLogs",
    "any_of",
    "console_url",
    "group_service",
    "insights_query",
    "parse_event",
]

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
INSTALL = "pip install 'investigate[cloudwatch]'"
_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_ERROR_TERMS = ["ERROR", "Error", "error", "FATAL", "Fatal", "fatal", "CRITICAL", "critical"]
_ERROR_TERMS += ["PANIC", "panic", "Exception", "Traceback"]
_KEEP_LEVELS = {"warning", "error", "critical"}


class CloudWatchLogsConfig(LogScanConfig):
    region: str | None = Field(None, description="Else AWS_REGION or the profile's region.")
    profile: str | None = Field(None, description="A profile in ~/.aws/config (SSO too).")
    endpoint_url: str | None = Field(None, description="CloudWatch Logs endpoint (VPC, tests).")
    sts_endpoint_url: str | None = Field(None, description="STS endpoint for `check` (tests).")
    log_group_names: list[str] = Field(default_factory=list)
    log_group_prefix: str | None = None
    max_log_groups: int = Field(20, ge=1, le=200)
    service: str | None = Field(None, description="Service name; default: the group's last part.")
    error_terms: list[str] = Field(default_factory=lambda: list(_ERROR_TERMS), min_length=1)
    max_pages: int = Field(50, ge=1, le=10_000, description="Per search and log group.")
    max_response_bytes: int = Field(8_000_000, ge=10_000, description="Per response.")
    max_values: int = Field(20, ge=1, le=100, description="Entity values searched for.")
    max_attempts: int = Field(5, ge=1, le=20, description="botocore standard-mode attempts.")
    insights: bool = Field(
        False, description="Error and baseline searches as one Logs Insights query (StartQuery)."
    )
    insights_limit: int = Field(10_000, ge=1, le=10_000, description="Rows per Insights query.")
    insights_poll: float = Field(1.0, gt=0, le=30, description="Seconds between result polls.")

    _names = field_validator("log_group_names")(
        each(_GROUP_NAME.match, "not a CloudWatch log group name: {!r}")
    )
    _prefix = field_validator("log_group_prefix")(
        one(_GROUP_NAME.match, "not a CloudWatch log group prefix: {!r}")
    )
    _url = field_validator("endpoint_url", "sts_endpoint_url")(
        one(
            lambda v: v.startswith(("https://", "http://")),
            "endpoint URLs must start with https:// (or http://)",
        )
    )

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


class CloudWatchLogs(Connector[CloudWatchLogsConfig]):
    type_name = "cloudwatch_logs"
    driver = ("boto3", "cloudwatch")
    config_model = CloudWatchLogsConfig
    description = "AWS CloudWatch Logs events (FilterLogEvents), grouped into patterns"
    read_only_by = "botocore before-call guard: only Describe/Filter/Get log reads and StartQuery"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = f"cloudwatch_logs '{self.name}'"
        c = self.config
        self.aws = AwsService(
            self.label,
            self.name,
            "logs",
            "CloudWatch Logs",
            reads=LOGS_READS,
            install=INSTALL,
            max_attempts=c.max_attempts,
            max_response_bytes=c.max_response_bytes,
            profile=c.profile,
            region=c.region,
            endpoint_url=c.endpoint_url,
            not_found="log group",
            not_found_hint=f"check connectors.{self.name}.log_group_names and region",
            denied_hint="the credential needs logs:FilterLogEvents and logs:DescribeLogGroups on "
            "these log groups",
            reading="log reads",
        )
        self.stats = self.aws.stats

    def clients(self, deadline: float | None, timeout: float) -> Clients:
        """A guarded CloudWatch Logs client (blocking: call through `in_thread`)."""
        return self.aws.open(deadline, timeout)

    # -- check ---------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        try:
            clients = await in_thread(self.clients, None, 10.0)
        except SourceError as exc:
            return [Check("aws", False, one_line(exc))]
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
            return Check("log groups", False, one_line(exc))
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
            return Check("identity", True, f"not readable: {one_line(exc)}", warning=True)
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
        found = insights_event(row)
        return self._entry(*found) if found else None

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
        return event_entry(group, event, self._service(group))

    def _call(self, method: Callable[..., Any], args: dict[str, Any], group: str | None) -> Any:
        return self.aws.call(method, args, group)
