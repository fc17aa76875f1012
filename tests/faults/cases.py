"""Minimal configs for every HTTP connector, each pointed at a base URL with canary secrets, and
a ticket whose entities give every connector something to ask about."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import multiprocessing
import os
import socket
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from busyclock import Stopwatch
from chaos import SCENARIOS, ChaosServer

from investigate.registry import discover
from investigate.sdk.contract import Connector

Section = dict[str, Any]


AWS_SECRET = f"canary-{uuid.uuid4()}"
"""The AWS secret access key `cloudwatch_logs` signs with: boto3 reads credentials from the
environment (`aws_credentials()`), not from its config section, so it is one canary for the
whole session, and every `Canaries` counts it."""


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIACHAOSCHAOS000001",
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
AWS_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN")


@contextlib.contextmanager
def aws_credentials() -> Iterator[None]:
    """AWS credentials in the environment (the secret key a canary) for `cloudwatch_logs`,
    restored after; forked workers inherit them."""
    values = AWS_ENV
    saved = {k: os.environ.get(k) for k in (*values, *AWS_UNSET)}
    os.environ.update(values)
    for key in AWS_UNSET:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class Canaries:
    """Unique `canary-<uuid>` secrets; every value handed out is remembered (the session's AWS
    secret key too)."""

    issued: list[str] = field(default_factory=lambda: [AWS_SECRET])

    def __call__(self) -> str:
        value = f"canary-{uuid.uuid4()}"
        self.issued.append(value)
        return value

    def found_in(self, text: str) -> list[str]:
        return [c for c in self.issued if c in text]


Builder = Callable[[str, Canaries], Section]

# connector name in the config → (type, builder(base_url, canary) → section)
BUILDERS: dict[str, tuple[str, Builder]] = {
    "stripe": ("stripe", lambda u, c: {"api_key": f"rk_test_{c()}", "base_url": u}),
    "chargebee": ("chargebee", lambda u, c: {"api_key": c(), "base_url": u}),
    "sentry": (
        "sentry",
        lambda u, c: {"organization": "acme", "auth_token": c(), "base_url": u},
    ),
    "http": (
        "http",
        lambda u, c: {
            "url": u + "/api/accounts?email={email}",
            "headers": {"Authorization": f"Bearer {c()}"},
            "kind": "customer",
        },
    ),
    "pagerduty": ("pagerduty", lambda u, c: {"api_token": c(), "base_url": u}),
    "statuspage": ("statuspage", lambda u, c: {"base_url": u}),
    "datadog_monitors": (
        "datadog_monitors",
        lambda u, c: {"api_key": c(), "app_key": c(), "base_url": u},
    ),
    "prometheus": (
        "prometheus",
        lambda u, c: {
            "base_url": u,
            "bearer_token": c(),
            "queries": [{"name": "errors", "promql": "sum(rate(http_errors_total[5m]))"}],
        },
    ),
    "alertmanager": (
        "alertmanager",
        lambda u, c: {"base_url": u, "username": "ops", "password": c()},
    ),
    "loki": (
        "loki",
        lambda u, c: {
            "base_url": u,
            "selector": '{app="api"}',
            "username": "1234",
            "password": c(),
        },
    ),
    "elasticsearch": (
        "elasticsearch",
        lambda u, c: {"base_url": u, "index": "logs-*", "api_key": c()},
    ),
    "datadog_logs": (
        "datadog_logs",
        lambda u, c: {"base_url": u, "api_key": c(), "app_key": c()},
    ),
    "zendesk": (
        "zendesk",
        lambda u, c: {"base_url": u, "email": "agent@acme.example", "api_token": c()},
    ),
    "intercom": ("intercom", lambda u, c: {"base_url": u, "access_token": c()}),
    "freshdesk": ("freshdesk", lambda u, c: {"base_url": u, "api_key": c()}),
    "helpscout": (
        "helpscout",
        lambda u, c: {"base_url": u, "app_id": c(), "app_secret": c()},
    ),
    "jira": (
        "jira",
        lambda u, c: {
            "base_url": u,
            "email": "agent@acme.example",
            "api_token": c(),
            "jql": "project = APP",
        },
    ),
    "github": ("github", lambda u, c: {"base_url": u, "token": c(), "repos": ["acme/app"]}),
    "linear": ("linear", lambda u, c: {"base_url": u, "api_key": c()}),
    "opsgenie": ("opsgenie", lambda u, c: {"base_url": u, "api_key": c()}),
    "grafana": ("grafana", lambda u, c: {"base_url": u, "token": c()}),
    # botocore, not httpx: signed requests to the endpoint, credentials from aws_credentials()
    "cloudwatch_logs": (
        "cloudwatch_logs",
        lambda u, c: {
            "endpoint_url": u,
            "sts_endpoint_url": u,
            "region": "eu-west-1",
            "log_group_names": ["/ecs/api"],
        },
    ),
}


def available() -> tuple[list[str], dict[str, str]]:
    """(connector names to run, name → why skipped) from what is installed right now."""
    registry = discover(refresh=True)
    run: list[str] = []
    skipped: dict[str, str] = {}
    for name, (type_name, _) in BUILDERS.items():
        driver = getattr(registry.types.get(type_name), "driver", None)
        if driver and importlib.util.find_spec(driver[0]) is None:
            skipped[name] = f"its driver {driver[0]} is not installed (extra: {driver[1]})"
        elif type_name in registry.types:
            run.append(name)
        elif type_name in registry.broken:
            skipped[name] = (
                f"connector type '{type_name}' does not import: {registry.broken[type_name]}"
            )
        else:
            skipped[name] = f"connector type '{type_name}' is not registered"
    return run, skipped


TICKET: dict[str, Any] = {
    "id": "9001",
    "subject": "Export fails with ERR_EXPORT_SERIALIZE and the API is slow",
    "description": (
        "Hi, since this morning every CSV export from the API fails with ERR_EXPORT_SERIALIZE "
        "(request id req_8f2a9c1d77). Our account is acc_1042 and the subscription looks "
        "past due? Billing email is dana@example.com. Status page shows nothing.\n\nDana"
    ),
    "status": "open",
    "priority": "high",
    "created_at": "2026-11-24T08:14:22Z",
    "updated_at": "2026-11-24T08:33:45Z",
    "requester": {"name": "Dana Whitfield", "email": "dana@example.com"},
    "organization": {"id": "acc_1042", "name": "Northwind"},
    "tags": ["export", "api"],
    "custom_fields": {"product_area": "api", "service": "api"},
    "comments": [],
}


def write_tickets(folder: Path, ids: Iterable[str] = ("9001",)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for tid in ids:
        (folder / f"{tid}.json").write_text(json.dumps({**TICKET, "id": tid}))
    return folder


def config(
    tickets: Path,
    urls: dict[str, str],
    canaries: Canaries,
    *,
    llm: dict[str, Any] | None = None,
    timeout: str = "3s",
) -> dict[str, Any]:
    """A whole config: the file ticket source plus each named connector at its URL."""
    connectors: dict[str, Any] = {"tickets": {"type": "file", "path": str(tickets)}}
    for name, url in urls.items():
        type_name, build = BUILDERS[name]
        connectors[name] = {"type": type_name, **build(url, canaries)}
    return {
        "ticket_source": "tickets",
        "llm": llm or {"provider": "offline"},
        "investigation": {"lookback": "24h", "timeout": timeout},
        "connectors": connectors,
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- running the real CLI against the chaos server ------------------------------------------

DEADLINE = 3.0
"""`--timeout` for every fault run, in seconds."""
SLACK = 1.0
"""How far past the deadline a run may end (the report must be written in that time)."""


def groups(names: list[str]) -> list[list[str]]:
    """Connectors that resolve identities (stripe, chargebee: they override `provides`) run
    before everyone else and may use the whole deadline, so each gets a run of its own; the
    rest share one run. (`http` resolves only when its config says so; ours does not.)"""
    registry = discover()
    alone: list[list[str]] = []
    rest: list[str] = []
    for name in names:
        type_name = BUILDERS[name][0]
        cls = registry.types[type_name]
        # botocore: blocking calls in a thread, its own client and retries beside the rest
        alone_by_kind = type_name == "cloudwatch_logs"
        if alone_by_kind or (type_name != "http" and cls.provides is not Connector.provides):
            alone.append([name])
        else:
            rest.append(name)
    return [*alone, rest] if rest else alone


@dataclass
class Run:
    scenario: str
    connectors: list[str]
    code: int
    wall: float
    report: dict[str, Any] | None
    stderr: str = ""
    queued: float = 0.0
    """Seconds of `wall` the run's threads spent waiting for a CPU (tests/busyclock.py)."""

    @property
    def busy_free(self) -> float:
        """`wall` less the time a busy machine kept the run off the CPU: what the deadline bounds."""
        return max(0.0, self.wall - self.queued)

    def took(self) -> str:
        return f"{self.busy_free:.1f}s ({self.wall:.1f}s wall, {self.queued:.1f}s queued for a CPU)"

    def source(self, name: str) -> dict[str, Any] | None:
        if self.report is None:
            return None
        for s in self.report["sources"]:
            if s["name"] == name:
                return dict(s)
        return None


def prepare(chaos: Any, scenario: str, names: list[str], folder: Path, canaries: Canaries) -> Path:
    """The config for `names` pointed at the chaos server's `scenario` (endpoints made here)."""
    folder.mkdir(parents=True, exist_ok=True)
    tickets = write_tickets(folder / "tickets")
    urls = {n: chaos.base_url(scenario, n) for n in names}
    return write_config(folder / "investigate.yaml", config(tickets, urls, canaries))


def run_cli(scenario: str, names: list[str], path: Path) -> Run:
    """`investigate ticket 9001 --format json --timeout 3s -o FILE`, in-process through
    `investigate.cli.run` (stderr captured)."""
    from investigate.cli import run

    out = path.parent / "report.json"
    argv = ["ticket", "9001", "-c", str(path), "--format", "json"]
    argv += ["--timeout", f"{DEADLINE:g}s", "-o", str(out)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), Stopwatch() as watch:
        code = run(argv)
    report = json.loads(out.read_text()) if code == 0 and out.exists() else None
    return Run(scenario, names, code, watch.wall, report, err.getvalue(), watch.queued)


def run_scenario(
    chaos: Any, scenario: str, names: list[str], folder: Path, canaries: Canaries
) -> Run:
    return run_cli(scenario, names, prepare(chaos, scenario, names, folder, canaries))


# --- judging one connector's outcome ---------------------------------------------------------

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "dd-api-key",
        "dd-application-key",
        "cookie",
        "x-auth-token",
        "private-token",
    }
)


@dataclass
class Verdict:
    scenario: str
    connector: str
    status: str
    reason: str
    requests: int | None
    problems: list[str]

    def cell(self) -> str:
        code = {"error": "E", "timeout": "T", "empty": "e", "ok": "ok"}.get(self.status, "?")
        if self.requests is not None:
            code += str(self.requests)
        return code + ("!" if self.problems else "")


def judge(chaos: Any, run: Run, connector: str, canaries: Canaries) -> Verdict:
    """Everything the fault suite promises about one connector in one scenario."""
    scenario = SCENARIOS[run.scenario]
    problems: list[str] = []
    if run.code != 0:
        problems.append(f"exit code {run.code} (the report must still be produced)")
    if run.busy_free > DEADLINE + SLACK:
        problems.append(f"took {run.took()}, past the {DEADLINE:g}s deadline + {SLACK:g}s")
    source = run.source(connector)
    status = source["status"] if source else "missing"
    reason = str(source.get("error") or "") if source else ""
    if source is None:
        problems.append("no row for the connector in report.sources")
    elif status not in scenario.expect:
        problems.append(f"status {status}, expected {'/'.join(sorted(scenario.expect))}")
    if status in ("error", "timeout"):
        if not reason.strip():
            problems.append("no reason given")
        if "\n" in reason or "\r" in reason:
            problems.append("reason is not one line")
        if "Traceback" in reason or 'File "' in reason:
            problems.append("traceback in the reason")
        if "internal error" in reason:
            problems.append(f"crashed: {reason[:120]}")
        if scenario.status and status == "error" and str(scenario.status) not in reason:
            problems.append(f"reason does not name HTTP {scenario.status}")
    if leaked := canaries.found_in(reason):
        problems.append(f"secret in the reason ({len(leaked)} canaries)")
    requests = chaos.requests(run.scenario, connector)
    hits = chaos.hits(run.scenario, connector)
    if requests == 0:
        problems.append("sent no request (the scenario was not exercised)")
    if len(hits) > 40:
        problems.append(f"{len(hits)} requests: unbounded retries or paging")
    same: dict[str, int] = {}
    for hit in hits:
        same[hit.method + " " + hit.target] = same.get(hit.method + " " + hit.target, 0) + 1
    if same and max(same.values()) > 8:
        problems.append(f"one request sent {max(same.values())} times")
    if run.scenario == "redirect":
        for hit in chaos.thief.hits:
            if hit.target.startswith(f"/stolen/{connector}/"):
                sent = CREDENTIAL_HEADERS & set(hit.headers)
                if sent or canaries.found_in(repr(hit.headers) + hit.target):
                    problems.append(f"credentials followed the redirect ({sorted(sent)})")
    return Verdict(run.scenario, connector, status, reason, requests, problems)


def table(verdicts: Iterable[Verdict], names: list[str], scenarios: list[str]) -> str:
    """Connector × scenario → status letter + requests counted (E error, T timeout, e empty,
    ok; ! marks a broken promise)."""
    cells = {(v.connector, v.scenario): v.cell() for v in verdicts}
    short = {s: s.replace("http_", "").replace("retry_", "429")[:6] for s in scenarios}
    width = max(len(n) for n in names) + 1
    lines = [" " * width + "".join(f"{short[s]:>7}" for s in scenarios)]
    for name in names:
        row = "".join(f"{cells.get((name, s), '-'):>7}" for s in scenarios)
        lines.append(f"{name:<{width}}{row}")
    lines.append(
        "E error, T timeout, e empty, ok; the number is requests the chaos server counted "
        "(none for refused/dns); ! = a broken promise"
    )
    return "\n".join(lines)


# --- load: many tickets against working-but-flaky APIs ----------------------------------------


def load_config(chaos: Any, folder: Path, n: int, timeout: str = "5s") -> Path:
    """`n` tickets (distinct requesters) and three connectors on the chaos server's `flaky`
    API: two generic JSON endpoints and an Alertmanager."""
    tickets = folder / "tickets"
    tickets.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        tid = str(10_000 + i)
        requester = {"name": f"User {i}", "email": f"user{i}@example.com"}
        text = "Every CSV export fails with ERR_EXPORT_SERIALIZE since this morning."
        body = {**TICKET, "id": tid, "requester": requester, "description": text}
        (tickets / f"{tid}.json").write_text(json.dumps(body))
    canaries = Canaries()
    fields = {"title": "title", "detail": "status"}
    connectors: dict[str, Any] = {"tickets": {"type": "file", "path": str(tickets)}}
    for name in ("accounts", "orders"):
        connectors[name] = {
            "type": "http",
            "url": chaos.base_url("flaky", name) + f"/{name}?email={{email}}",
            "headers": {"Authorization": f"Bearer {canaries()}"},
            "items": "data",
            "fields": fields,
        }
    connectors["alerts"] = {"type": "alertmanager", "base_url": chaos.base_url("flaky", "alerts")}
    data = {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "investigation": {"lookback": "24h", "timeout": timeout},
        "connectors": connectors,
    }
    return write_config(folder / "investigate.yaml", data)


def load_ids(n: int) -> list[str]:
    return [str(10_000 + i) for i in range(n)]


def rss_peak_kb(reset: bool = False) -> int:
    """VmHWM of this process (Linux); `reset` clears it first (clear_refs 5). 0 elsewhere."""
    try:
        if reset:
            Path("/proc/self/clear_refs").write_text("5")
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class LoadResult:
    n: int
    code: int
    wall: float
    rss_before_kb: int
    rss_peak_kb: int
    traced_peak: int
    reports: dict[str, dict[str, Any]]
    """ticket ID → its report (one JSON line each on stdout)."""
    summary: str
    stderr: str
    faults: int
    queued: float = 0.0
    """Seconds of `wall` the threads spent waiting for a CPU (tests/busyclock.py)."""

    @property
    def busy_free(self) -> float:
        return max(0.0, self.wall - self.queued)

    def outcomes(self) -> dict[str, int]:
        """ok / partial (a source failed) per ticket, and per source status over all."""
        counts: dict[str, int] = {}
        for report in self.reports.values():
            bad = [s for s in report["sources"] if s["status"] in ("error", "timeout")]
            key = "ticket partial" if bad else "ticket ok"
            counts[key] = counts.get(key, 0) + 1
            for s in report["sources"]:
                counts[f"source {s['status']}"] = counts.get(f"source {s['status']}", 0) + 1
        return dict(sorted(counts.items()))


def run_load(
    chaos: Any, folder: Path, n: int, concurrency: int = 50, traced: bool = False
) -> LoadResult:
    """`investigate batch` of `n` tickets with --concurrency, in-process, JSON lines out."""
    import tracemalloc

    from investigate.cli import run

    path = load_config(chaos, folder, n)
    faults_before = sum(chaos.endpoint("flaky", x).faults for x in ("accounts", "orders", "alerts"))
    argv = ["batch", *load_ids(n), "-c", str(path), "--concurrency", str(concurrency)]
    argv += ["--per-connector", str(concurrency), "--analyst", "offline"]
    out, err = io.StringIO(), io.StringIO()
    before = rss_peak_kb(reset=True)
    if traced:
        tracemalloc.start()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), Stopwatch() as watch:
            code = run(argv)
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        if traced:
            tracemalloc.stop()
    peak = rss_peak_kb()
    reports: dict[str, dict[str, Any]] = {}
    for line in out.getvalue().splitlines():
        report = json.loads(line)
        reports[report["ticket"]["id"]] = report
    summary = next((x for x in err.getvalue().splitlines() if " tickets: " in x), "")
    faults = sum(chaos.endpoint("flaky", x).faults for x in ("accounts", "orders", "alerts"))
    return LoadResult(
        n,
        code,
        watch.wall,
        before,
        peak,
        traced_peak,
        reports,
        summary,
        err.getvalue(),
        faults - faults_before,
        watch.queued,
    )


# --- the whole matrix -------------------------------------------------------------------------

NAMES, SKIPPED = available()


@dataclass
class FaultResults:
    chaos: ChaosServer
    runs: dict[tuple[str, str], Run] = field(default_factory=dict)
    """(scenario, connector) → the run that connector took part in."""
    canaries: dict[tuple[str, str], Canaries] = field(default_factory=dict)
    stderr: str = ""
    huge_traced_peak: int = 0
    huge_rss_peak_kb: int = 0
    huge_rss_before_kb: int = 0
    elapsed: float = 0.0
    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict)
    reruns: list[str] = field(default_factory=list)
    """Runs done again, alone, because a busy machine let their deadline pass before a
    connector sent its first request (the scenario was not exercised, nothing was judged)."""

    def verdict(self, scenario: str, connector: str) -> Verdict:
        key = (scenario, connector)
        if key not in self.verdicts:
            self.verdicts[key] = judge(self.chaos, self.runs[key], connector, self.canaries[key])
        return self.verdicts[key]


@contextlib.contextmanager
def fast_nxdomain() -> Iterator[None]:
    """`chaos-*.invalid` fails to resolve at once, as with a healthy resolver. (This sandbox's
    resolver sometimes drops a query under load and glibc retries after 5 s; that hang is its
    own test: test_a_hanging_dns_lookup_does_not_hold_the_run_past_the_deadline.)"""
    real = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        if text.startswith("chaos-") and text.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = lookup
    try:
        yield
    finally:
        socket.getaddrinfo = real


def _unexercised(chaos: ChaosServer, run: Run) -> bool:
    """The machine, not the connector, may have made the run time out: a connector timed out
    where the scenario does not expect a timeout, and the run waited for a CPU (sent nothing at
    all, or spent a tenth of the deadline queued). Such a run judges nothing, so it runs once
    more alone; a connector that really hangs on the fault hangs again there."""
    if run.queued < 0.1:
        return False  # not starved: judge it as it is
    expect = SCENARIOS[run.scenario].expect
    return any(
        (run.source(name) or {}).get("status") == "timeout"
        and (
            chaos.requests(run.scenario, name) == 0
            or ("timeout" not in expect and run.queued >= DEADLINE / 10)
        )
        for name in run.connectors
    )


def run_all(chaos: ChaosServer, root: Path, workers: int = 4) -> FaultResults:
    """Every scenario × connector group through the CLI. Runs go to forked worker processes
    (the CLI is one run per process; the chaos server stays here and counts); the 200 MB body
    runs last, alone, in this process, to measure its memory."""
    results = FaultResults(chaos)
    started = time.monotonic()
    jobs: list[tuple[str, list[str], Path]] = []
    for scenario in SCENARIOS:
        for group in groups(NAMES):
            canaries = Canaries()
            folder = root / f"{scenario}-{group[0]}"
            jobs.append((scenario, group, prepare(chaos, scenario, group, folder, canaries)))
            for name in group:
                results.canaries[(scenario, name)] = canaries

    def keep(run: Run) -> None:
        results.stderr += run.stderr
        for name in run.connectors:
            results.runs[(run.scenario, name)] = run

    with fast_nxdomain(), aws_credentials():
        # each group's first run here: the workers fork with every module imported (a cold
        # import, boto3's half a second of CPU for one, would count against a run's deadline)
        warm = [job for job in jobs if job[0] == "http_500"]
        for job in warm:
            keep(run_cli(*job))
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=fork) as pool:
            futures = [
                pool.submit(run_cli, *job) for job in jobs if job[0] != "huge" and job not in warm
            ]
            for future in futures:
                keep(future.result())
        # a run the machine starved (4 at once on a small box beside other work) can reach its
        # deadline for want of a CPU: that judges nothing, so it runs once more, alone; a
        # connector that really sends nothing or hangs still does then
        for job in jobs:
            run = results.runs.get((job[0], job[1][0]))
            if run is not None and job[0] != "huge" and _unexercised(chaos, run):
                results.reruns.append(f"{job[0]} / {', '.join(job[1])} ({run.took()})")
                keep(run_cli(*job))
        # the 200 MB body: RSS high-water mark for the verdicts, then once more under
        # tracemalloc (too slow to judge by) for the Python-level peak
        huge = [job for job in jobs if job[0] == "huge"]
        results.huge_rss_before_kb = rss_peak_kb(reset=True)
        for job in huge:
            run = run_cli(*job)
            if _unexercised(chaos, run):  # starved as above: once more (still measured)
                results.reruns.append(f"{job[0]} / {', '.join(job[1])} ({run.took()})")
                run = run_cli(*job)
            keep(run)
        results.huge_rss_peak_kb = rss_peak_kb()
        tracemalloc.start()
        try:
            folder = root / "huge-traced"
            run_scenario(chaos, "huge", huge[-1][1], folder, Canaries())
            _, results.huge_traced_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    results.elapsed = time.monotonic() - started
    return results
