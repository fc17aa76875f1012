"""Generate the held-out `gen-*` eval cases: worlds of eight businesses that are not the demo's.

    python tests/evals/build_world_cases.py     # rewrites every tests/evals/gen-* folder but
                                                # gen-newuser-* (those are written by hand)

Written before the analyst's rules were changed and never tuned to them: each world is what a
support team of that business would see. Eight domains (clinic booking, freight, payroll,
e-learning, IoT fleet, e-signature, restaurant POS, game servers), each with its own product
name, services, tenant key (`tenant`, `org_id`, `company`, `workspace`, `fleet`, …), service
key (`service`, `app`, `component`, a `[svc]` column), log layout (JSON lines with
`@timestamp`/`log.level`/`message`, `ts`/`lvl`/`msg` or `time`/`severity`/`text`, logfmt, plain
text), error vocabulary, database tables and record files (deploys under other names, alerts
with `state` instead of `status`, a tracker, a roadmap).

Every world has five days of logs (the baseline) plus the window, generic traffic
at 10-40x the signal in the window, steady background errors on every tenant, and the case's own
distractors (decoy deploys in other services, alerts for other regions, other tenants' new
errors, an unrelated invoice-PDF error). Each case has its own seeded RNG: re-running gives
byte-identical files. `case.yaml` says what the trap is (`about`), how the ticket reads
(`tone:*`, `lang:*`), the log layout (`format:*`) and what a correct reply must not say
(`reply_must_not_contain`).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
import sqlite3
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
HISTORY = timedelta(days=5)  # logs start this long before the ticket: the baseline
AFTER = 2 * H  # `until` = ticket time + this
MIN_LINES = 2500
REGIONS = ["eu-central-1", "eu-west-2", "us-east-2", "us-west-1", "ap-southeast-2"]
FIRST = ["Ana", "Jonas", "Priya", "Mateo", "Chloé", "Kwame", "Yuki", "Lena", "Omar", "Sofia",
         "Daniel", "Ines", "Tomasz", "Grace", "Hugo", "Amara", "Felix", "Nora", "Ravi", "Elif"]  # fmt: skip
LAST = ["Okafor", "Schmidt", "Fernández", "Dubois", "Nakamura", "Kowalski", "Haddad", "Silva",
        "Jensen", "Moreau", "Patel", "Brennan", "Lindqvist", "Rossi", "Adeyemi", "Keller"]  # fmt: skip

Fields = Callable[[random.Random], dict[str, object]]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def sec(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def gz_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def dump_yaml(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


# ---------------------------------------------------------------------------------- domains


@dataclass
class Domain:
    key: str
    product: str
    fmt: str  # ecs | short | gcp | logfmt | plain
    tenant_key: str  # the tenant field in log lines
    service_key: str  # the service field in JSON/logfmt lines (plain text: `[svc]`)
    code_key: str  # the error-code field
    prefix: str  # tenant ID prefix
    names: list[str]
    services: list[str]
    noise: list[tuple[int, str, str, str, Fields]]
    background: list[tuple[str, str, str, str]]  # level, service, message, code
    org_table: str = "accounts"
    people_table: str = "users"
    jobs_table: str = "jobs"
    audit_table: str = "audit_log"
    deploy_file: str = "deploys.yaml"
    deploy_keys: tuple[str, str, str, str] = ("service", "version", "deployed_at", "changelog")
    alert_state_key: str = "status"
    log_file: str = "app.jsonl.gz"


def r_ms(a: int, b: int) -> Fields:
    return lambda r: {"duration_ms": r.randrange(a, b)}


# fmt: off
DOMAINS: dict[str, Domain] = {
    "clinic": Domain(
        "clinic", "MediBook", "ecs", "tenant", "service", "error.code", "cln_",
        ["Harbourside Physio", "Clínica Solana", "Northgate Dental", "Praxis am Ring", "Maple Family Practice",
         "Oakridge Vets", "Bright Smile Ortho", "Cabinet Lumière", "Riverside Pediatrics", "Kinetic Sports Rehab"],
        ["booking", "reminders", "patient-portal", "ehr-sync", "calendar", "payments"],
        [(40, "info", "booking", "slot search served", lambda r: {"slots": r.randrange(0, 40), **r_ms(20, 300)(r)}),
         (20, "info", "patient-portal", "GET /portal/appointments 200", r_ms(10, 250)),
         (12, "info", "reminders", "reminder queued", lambda r: {"channel": r.choice(["sms", "email"])}),
         (10, "info", "calendar", "calendar feed refreshed", r_ms(50, 900)),
         (8, "debug", "booking", "availability cache hit", lambda r: {"practitioner": f"prc_{r.randrange(100, 999)}"}),
         (6, "info", "ehr-sync", "ehr batch pushed", lambda r: {"records": r.randrange(1, 60)}),
         (3, "warn", "patient-portal", "slow page render", r_ms(1500, 3500))],
        [("warn", "reminders", "sms delivery receipt late", "SMS_DLR_LATE"),
         ("error", "patient-portal", "captcha verification failed", "CAPTCHA_FAIL"),
         ("warn", "calendar", "ics feed fetch returned 304 twice", "ICS_STALE"),
         ("error", "booking", "double booking prevented by constraint", "SLOT_TAKEN"),
         ("warn", "ehr-sync", "ehr rate limit hit, backing off", "EHR_BACKOFF")],
        org_table="clinics", people_table="staff", jobs_table="sync_jobs", audit_table="audit_events",
        deploy_file="releases.json", deploy_keys=("app", "version", "finished_at", "notes"),
        alert_state_key="status",
    ),
    "freight": Domain(
        "freight", "Haulr", "logfmt", "org_id", "service", "code", "org_",
        ["Baltic Shipping Co", "Ruta Norte Logística", "Kestrel Couriers", "Rheinfracht GmbH", "Blue Anchor Imports",
         "Tundra Cold Chain", "Sahara Express", "Pioneer Pallets", "Lighthouse Parcel", "Quayside Movers"],
        ["dispatch", "tracking", "labels", "rating", "carrier-gw", "manifests"],
        [(40, "info", "tracking", "tracking event stored", lambda r: {"events": r.randrange(1, 9)}),
         (20, "info", "dispatch", "route planned", lambda r: {"stops": r.randrange(2, 30), **r_ms(40, 800)(r)}),
         (12, "info", "labels", "label rendered", lambda r: {"format": r.choice(["zpl", "pdf"])}),
         (10, "info", "rating", "quote computed", r_ms(10, 200)),
         (8, "debug", "carrier-gw", "carrier token cached", lambda r: {"ttl_s": r.randrange(300, 3600)}),
         (6, "info", "manifests", "manifest closed", lambda r: {"parcels": r.randrange(5, 400)}),
         (3, "warn", "dispatch", "geocoder fallback used", lambda r: {"provider": "secondary"})],
        [("warn", "tracking", "duplicate scan event ignored", "DUP_SCAN"),
         ("error", "labels", "address line too long, truncated", "ADDR_TRUNC"),
         ("warn", "rating", "fuel surcharge table stale", "FUEL_STALE"),
         ("error", "dispatch", "driver app push failed", "PUSH_FAIL"),
         ("warn", "manifests", "manifest reopened by user", "MANIFEST_REOPEN")],
        org_table="shippers", people_table="members", jobs_table="jobs", audit_table="audit_log",
        deploy_file="deploys.csv", deploy_keys=("application", "release", "deployed_at", "description"),
        alert_state_key="state", log_file="haulr.log.gz",
    ),
    "payroll": Domain(
        "payroll", "PayStream", "plain", "company", "service", "code", "co_",
        ["Lindqvist Bygg AB", "Acorn Nurseries", "Müller Metallbau", "Sunrise Bakeries", "Vega Dental Group",
         "Ironbridge Security", "Coastal Care Homes", "Atlas Staffing", "Greenleaf Landscaping", "Orbit Labs"],
        ["payrun", "tax", "ledger-export", "timesheets", "payslips", "auth"],
        [(40, "INFO", "timesheets", "timesheet saved", r_ms(15, 200)),
         (20, "INFO", "payrun", "payrun preview computed", lambda r: {"employees": r.randrange(3, 300), **r_ms(200, 4000)(r)}),
         (12, "INFO", "payslips", "payslip rendered", r_ms(100, 900)),
         (10, "INFO", "tax", "tax table loaded", lambda r: {"table": r.choice(["DE-2026", "SE-2026", "UK-2026"])}),
         (8, "DEBUG", "auth", "session extended", lambda r: {}),
         (6, "INFO", "ledger-export", "journal batch prepared", lambda r: {"lines": r.randrange(10, 800)}),
         (3, "WARN", "payrun", "payrun preview slow", r_ms(5000, 9000))],
        [("WARN", "payslips", "payslip font fallback used", "FONT_FALLBACK"),
         ("ERROR", "timesheets", "timesheet overlap rejected", "TS_OVERLAP"),
         ("WARN", "tax", "tax code missing, using emergency code", "TAX_EMERGENCY"),
         ("ERROR", "auth", "password reset link expired", "RESET_EXPIRED"),
         ("WARN", "ledger-export", "journal rounding adjusted", "ROUNDING_ADJ")],
        org_table="companies", people_table="users", jobs_table="jobs", audit_table="audit_trail",
        deploy_file="deploys.yaml", deploy_keys=("service", "version", "deployed_at", "changelog"),
        alert_state_key="status", log_file="paystream.log.gz",
    ),
    "elearn": Domain(
        "elearn", "Coursely", "short", "workspace", "app", "code", "ws_",
        ["Bright Minds Academy", "Escuela Horizonte", "TechUp Bootcamp", "Lycée Voltaire Online", "Nordic Nursing School",
         "CodeCraft Institute", "Riverbend High", "Akademie Weitblick", "Sunset Language Lab", "Guild of Makers"],
        ["lms", "grading", "video", "roster-sync", "player", "notifications"],
        [(40, "info", "player", "lesson progress saved", lambda r: {"pct": r.randrange(0, 101)}),
         (20, "info", "lms", "course page served", r_ms(20, 400)),
         (12, "info", "video", "stream manifest served", lambda r: {"bitrate": r.choice([480, 720, 1080])}),
         (10, "info", "grading", "quiz graded", r_ms(10, 300)),
         (8, "debug", "roster-sync", "roster page fetched", lambda r: {"page": r.randrange(1, 40)}),
         (6, "info", "notifications", "digest sent", lambda r: {"recipients": r.randrange(1, 500)}),
         (3, "warn", "lms", "slow request", r_ms(1500, 3000))],
        [("warn", "player", "autosave conflict resolved", "AUTOSAVE_CONFLICT"),
         ("error", "video", "caption file missing", "CAPTION_404"),
         ("warn", "roster-sync", "roster user without email skipped", "ROSTER_NO_EMAIL"),
         ("error", "lms", "embedded iframe blocked by CSP", "CSP_BLOCKED"),
         ("warn", "notifications", "digest recipient unsubscribed", "UNSUBSCRIBED")],
        org_table="workspaces", people_table="members", jobs_table="jobs", audit_table="activity_log",
        deploy_file="deploys.yaml", deploy_keys=("app", "version", "deployed_at", "changelog"),
        alert_state_key="state",
    ),
    "iot": Domain(
        "iot", "FleetPulse", "gcp", "fleet", "component", "err_code", "flt_",
        ["Nordic Haulage", "Metro Buses Ltd", "Transportes Sierra", "Alpine Snow Services", "Cityline Taxis",
         "GreenBin Waste", "Rapid Rentals", "Eastport Cranes", "Volt Scooters", "Harvest Agri Co"],
        ["ingest-gateway", "telemetry", "ota", "alerts-engine", "maps", "fleet-api"],
        [(40, "INFO", "telemetry", "telemetry batch accepted", lambda r: {"points": r.randrange(10, 900)}),
         (20, "INFO", "fleet-api", "GET /v1/vehicles 200", r_ms(10, 250)),
         (12, "INFO", "maps", "tile served", lambda r: {"zoom": r.randrange(4, 18)}),
         (10, "INFO", "alerts-engine", "rule evaluated", lambda r: {"rules": r.randrange(1, 80)}),
         (8, "DEBUG", "ingest-gateway", "mqtt keepalive", lambda r: {"clients": r.randrange(100, 5000)}),
         (6, "INFO", "ota", "firmware manifest checked", lambda r: {"devices": r.randrange(1, 200)}),
         (3, "WARNING", "fleet-api", "slow request", r_ms(1500, 3000))],
        [("WARNING", "telemetry", "gps fix with low accuracy dropped", "GPS_LOW_ACC"),
         ("ERROR", "ota", "firmware download resumed after reset", "OTA_RESUME"),
         ("WARNING", "ingest-gateway", "device clock skew corrected", "CLOCK_SKEW"),
         ("ERROR", "alerts-engine", "sms alert number invalid", "SMS_INVALID"),
         ("WARNING", "maps", "tile cache miss storm", "TILE_MISS")],
        org_table="fleets", people_table="operators", jobs_table="jobs", audit_table="audit_log",
        deploy_file="deploys.json", deploy_keys=("app", "build", "at", "summary"),
        alert_state_key="state",
    ),
    "esign": Domain(
        "esign", "Inkflow", "ecs", "workspace_id", "app", "error.code", "wsp_",
        ["Keller & Partner Notariat", "Bluewater Realty", "Atelier Rousseau", "Summit Legal LLP", "Casa Verde Inmobiliaria",
         "Frontier HR Services", "Pacific Leasing", "Studio Nord", "Granite Insurance Brokers", "Lumen Architects"],
        ["envelopes", "signing", "render", "webhooks", "identity", "templates"],
        [(40, "info", "signing", "signature captured", lambda r: {"fields": r.randrange(1, 12)}),
         (20, "info", "envelopes", "envelope created", lambda r: {"recipients": r.randrange(1, 6)}),
         (12, "info", "render", "document flattened", r_ms(100, 1500)),
         (10, "info", "webhooks", "event delivered", lambda r: {"status": 200, **r_ms(30, 500)(r)}),
         (8, "debug", "identity", "otp issued", lambda r: {}),
         (6, "info", "templates", "template applied", lambda r: {"fields": r.randrange(2, 40)}),
         (3, "warn", "webhooks", "event delivery retried", lambda r: {"attempt": r.randrange(1, 3)})],
        [("warn", "signing", "signer session resumed on new device", "SESSION_MOVED"),
         ("error", "render", "font subset missing glyph", "GLYPH_MISSING"),
         ("warn", "identity", "otp resend throttled", "OTP_THROTTLED"),
         ("error", "envelopes", "recipient email bounced", "EMAIL_BOUNCED"),
         ("warn", "templates", "template field renamed", "FIELD_RENAMED")],
        org_table="workspaces", people_table="seats", jobs_table="jobs", audit_table="audit_log",
        deploy_file="releases.yaml", deploy_keys=("app", "version", "released_at", "notes"),
        alert_state_key="status",
    ),
    "pos": Domain(
        "pos", "Tabletop", "plain", "restaurant", "service", "code", "rst_",
        ["Trattoria Nonna", "El Patio Tapas", "Burger Foundry", "Le Petit Zinc", "Seoul Kitchen",
         "Green Bowl Café", "Brauhaus Mitte", "Taco Loco", "Harbour Fish Bar", "Sakura Sushi"],
        ["pos-api", "kitchen", "menu-sync", "payments", "reports", "devices"],
        [(40, "INFO", "pos-api", "order item added", lambda r: {"items": r.randrange(1, 8)}),
         (20, "INFO", "kitchen", "ticket bumped", r_ms(30000, 900000)),
         (12, "INFO", "payments", "card present payment approved", lambda r: {"amount": r.randrange(500, 20000)}),
         (10, "INFO", "menu-sync", "menu diff applied", lambda r: {"items": r.randrange(0, 30)}),
         (8, "DEBUG", "devices", "terminal heartbeat", lambda r: {"battery": r.randrange(10, 100)}),
         (6, "INFO", "reports", "end of day report built", r_ms(300, 5000)),
         (3, "WARN", "devices", "printer paper low", lambda r: {})],
        [("WARN", "devices", "terminal reconnected to wifi", "WIFI_RECONNECT"),
         ("ERROR", "kitchen", "kitchen printer offline", "PRINTER_OFFLINE"),
         ("WARN", "payments", "card read retry", "CARD_RETRY"),
         ("ERROR", "pos-api", "order void requires manager pin", "PIN_REQUIRED"),
         ("WARN", "menu-sync", "menu item image too large, resized", "IMG_RESIZED")],
        org_table="restaurants", people_table="staff", jobs_table="jobs", audit_table="audit_log",
        deploy_file="deploys.yaml", deploy_keys=("service", "version", "deployed_at", "changelog"),
        alert_state_key="status", log_file="tabletop.log.gz",
    ),
    "games": Domain(
        "games", "Fragrun", "short", "studio", "component", "code", "std_",
        ["Pixel Forge", "Lunar Owl Games", "Hexbyte Studios", "Estudio Quimera", "Red Kite Interactive",
         "Polar Bits", "Wildcard Games", "Spielwerk", "Neon Harbor", "Ember Arcade"],
        ["matchmaker", "gamesrv", "lobby", "builds", "leaderboards", "edge"],
        [(40, "info", "gamesrv", "session heartbeat", lambda r: {"players": r.randrange(2, 64)}),
         (20, "info", "matchmaker", "match formed", lambda r: {"wait_ms": r.randrange(200, 20000)}),
         (12, "info", "lobby", "party joined", lambda r: {"size": r.randrange(1, 6)}),
         (10, "info", "leaderboards", "score submitted", lambda r: {"board": r.choice(["daily", "weekly", "season"])}),
         (8, "debug", "edge", "relay allocated", lambda r: {"pop": r.choice(["fra", "iad", "sin", "gru"])}),
         (6, "info", "builds", "build manifest read", lambda r: {"files": r.randrange(10, 4000)}),
         (3, "warn", "matchmaker", "match wait above target", lambda r: {"wait_ms": r.randrange(30000, 60000)})],
        [("warn", "gamesrv", "player kicked for idle", "IDLE_KICK"),
         ("error", "lobby", "party invite to offline player", "INVITE_OFFLINE"),
         ("warn", "edge", "relay fallback to tcp", "RELAY_TCP"),
         ("error", "leaderboards", "score rejected by anti-cheat", "SCORE_REJECTED"),
         ("warn", "builds", "build chunk checksum retried", "CHUNK_RETRY")],
        org_table="studios", people_table="members", jobs_table="jobs", audit_table="audit_log",
        deploy_file="deploys.json", deploy_keys=("app", "version", "deployed_at", "changelog"),
        alert_state_key="state",
    ),
}
# fmt: on


# ------------------------------------------------------------------------------- the world


@dataclass
class Tenant:
    id: str
    name: str
    plan: str
    status: str
    region: str
    email: str
    person: str


@dataclass
class Line:
    t: datetime
    level: str
    service: str
    msg: str
    tenant: str | None
    fields: dict[str, object]
    role: str  # signal | noise | distractor | background
    fmt: str | None = None  # None: the domain's layout


LEVEL_WORDS = {  # per layout: how each level is spelled
    "ecs": {"debug": "debug", "info": "info", "warn": "warn", "error": "error"},
    "short": {"debug": "DBG", "info": "INF", "warn": "WRN", "error": "ERR"},
    "gcp": {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR"},
    "logfmt": {"debug": "debug", "info": "info", "warn": "warn", "error": "error"},
    "plain": {"debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR"},
}


def _norm_level(level: str) -> str:
    word = level.lower()
    return {"warning": "warn"}.get(word, word)


class World:
    def __init__(self, name: str, domain: str, customer: str | None = None) -> None:
        seed = zlib.crc32(name.encode())
        day = seed % 90
        self.name = name
        self.d = DOMAINS[domain]
        self.dir = HERE / name
        self.rng = random.Random(seed)
        self.t0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC) + timedelta(
            days=day, hours=self.rng.randrange(0, 9), minutes=self.rng.randrange(60)
        )
        self.until = self.t0 + AFTER
        self.start = self.t0 - HISTORY
        self.window_start = self.t0 - 24 * H
        self.lines: list[Line] = []
        self.deploys: list[dict[str, object]] = []
        self.alerts: list[dict[str, object]] = []
        self.issues: list[dict[str, object]] = []
        self.roadmap: list[dict[str, object]] = []
        self.invoices: list[dict[str, object]] = []
        self.people: list[tuple[object, ...]] = []
        self.audit: list[tuple[object, ...]] = []
        self.jobs: list[tuple[object, ...]] = []
        self.payments: list[tuple[object, ...]] = []
        self.extra_log: str | None = None  # a second log file in another layout
        self.tenants = self._tenants()
        self.customer = self.tenants[self.rng.randrange(len(self.tenants))]
        if customer:  # a named tenant (e.g. one whose staff writes in their own language)
            self.customer = next(t for t in self.tenants if t.name == customer)
        self.ticket_data: dict[str, object] = {}

    def _tenants(self) -> list[Tenant]:
        rng = random.Random(self.d.key)  # the same tenants in every case of a domain
        out = []
        for i in range(45):
            base = self.d.names[i % len(self.d.names)]
            name = (
                base
                if i < len(self.d.names)
                else f"{base} {['II', 'North', 'South', 'West'][i // 10 - 1]}"
            )
            ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            slug = "".join(c for c in ascii_name.lower() if c.isalnum())[:16]
            first = FIRST[rng.randrange(len(FIRST))]
            last = LAST[rng.randrange(len(LAST))]
            out.append(
                Tenant(
                    id=f"{self.d.prefix}{rng.randrange(16**6):06x}",
                    name=name,
                    plan=rng.choice(["starter", "growth", "growth", "enterprise"]),
                    status="active",
                    region=rng.choice(REGIONS),
                    email=f"{first.lower().replace('é', 'e')}.{last.lower().replace('á', 'a').replace('é', 'e')}@{slug}.example",
                    person=f"{first} {last}",
                )
            )
        return out

    def others(self, n: int, exclude: list[Tenant] | None = None) -> list[Tenant]:
        skip = {t.id for t in exclude or []} | {self.customer.id}
        pool = [t for t in self.tenants if t.id not in skip]
        return self.rng.sample(pool, n)

    def other_region(self) -> str:
        return self.rng.choice([r for r in REGIONS if r != self.customer.region])

    # --- log lines ------------------------------------------------------------------------
    def line(self, t: datetime, level: str, service: str, msg: str, tenant: Tenant | None,
             role: str = "distractor", fmt: str | None = None, **fields: object) -> None:  # fmt: skip
        self.lines.append(
            Line(
                t,
                _norm_level(level),
                service,
                msg,
                tenant.id if tenant else None,
                fields,
                role,
                fmt,
            )
        )

    def burst(self, start: datetime, count: int, minutes: float, level: str, service: str,
              msg: str, tenants: list[Tenant] | None = None, role: str = "distractor",
              fmt: str | None = None, **fields: object) -> None:  # fmt: skip
        """`count` lines spread over `minutes` from `start`, each for one of `tenants`."""
        pool = tenants or [self.customer]
        for _ in range(count):
            t = start + timedelta(seconds=self.rng.randrange(max(1, int(minutes * 60))))
            t += timedelta(milliseconds=self.rng.randrange(1000))
            self.line(t, level, service, msg, self.rng.choice(pool), role, fmt, **fields)

    def signal(self, start: datetime, count: int, minutes: float, level: str, service: str,
               msg: str, tenants: list[Tenant] | None = None, fmt: str | None = None,
               **fields: object) -> None:  # fmt: skip
        self.burst(start, count, minutes, level, service, msg, tenants, "signal", fmt, **fields)

    def spread(self, hours: float, count: int, level: str, service: str, msg: str,
               **fields: object) -> None:  # fmt: skip
        """`count` signal lines of the customer over the last `hours` before the ticket; a
        field given as a (low, high) pair gets a random value in that range on every line."""
        for _ in range(count):
            t = self.t0 - hours * H + timedelta(seconds=self.rng.randrange(int(hours * 3600)))
            values = {
                k: self.rng.randrange(*v) if isinstance(v, tuple) else v for k, v in fields.items()
            }
            self.line(t, level, service, msg, self.customer, "signal", **values)

    def steady(self, level: str, service: str, msg: str, per_hour: float,
               tenants: list[Tenant] | None = None, role: str = "background",
               **fields: object) -> None:  # fmt: skip
        """An error/warning at the same rate from the start of the logs to `until`."""
        pool = tenants or self.tenants
        span = self.until - self.start
        n = int(per_hour * span.total_seconds() / 3600)
        offset = self.rng.randrange(3600)
        for i in range(n):
            t = self.start + timedelta(
                seconds=offset + i * 3600 / per_hour + self.rng.randrange(600),
                milliseconds=self.rng.randrange(1000),
            )
            if t <= self.until:
                self.line(t, level, service, msg, self.rng.choice(pool), role, **fields)

    def background(self, k: int = 4, per_hour: float = 0.6) -> None:
        for level, service, msg, code in self.rng.sample(self.d.background, k):
            self.steady(level, service, msg, per_hour, **{self.d.code_key: code})

    def noise(self, n: int) -> None:
        weights = [x[0] for x in self.d.noise]
        span = int((self.until - self.start).total_seconds())
        for _ in range(n):
            _, level, service, msg, fields = self.rng.choices(self.d.noise, weights)[0]
            t = self.start + timedelta(
                seconds=self.rng.randrange(span), milliseconds=self.rng.randrange(1000)
            )
            self.line(
                t, level, service, msg, self.rng.choice(self.tenants), "noise", **fields(self.rng)
            )

    # --- records --------------------------------------------------------------------------
    def deploy(self, app: str, version: str, at: datetime, notes: str, by: str = "ci") -> None:
        a, v, t, n = self.d.deploy_keys
        self.deploys.append({a: app, v: version, t: sec(at), "author": by, n: notes})

    def alert(self, name: str, state: str, service: str, region: str, start: datetime,
              end: datetime | None, summary: str, severity: str = "critical") -> None:  # fmt: skip
        self.alerts.append(
            {
                "alertname": name,
                self.d.alert_state_key: state,
                "severity": severity,
                "service": service,
                "region": region,
                "startsAt": sec(start),
                "endsAt": sec(end) if end else None,
                "summary": summary,
            }
        )

    def issue(self, key: str, status: str, title: str, description: str, component: str,
              updated: datetime) -> None:  # fmt: skip
        self.issues.append(
            {"key": key, "status": status, "title": title, "description": description,
             "component": component, "updated": sec(updated)}
        )  # fmt: skip

    def idea(self, key: str, status: str, title: str, description: str, votes: int) -> None:
        self.roadmap.append(
            {
                "id": key,
                "status": status,
                "title": title,
                "description": description,
                "votes": votes,
            }
        )

    def audit_row(self, at: datetime, actor: str, action: str, target: str, details: str,
                  tenant: Tenant | None = None) -> None:  # fmt: skip
        self.audit.append((sec(at), (tenant or self.customer).id, actor, action, target, details))

    def job(self, jid: str, kind: str, status: str, started: datetime, finished: datetime | None,
            progress: str, error: str = "", tenant: Tenant | None = None) -> None:  # fmt: skip
        self.jobs.append(
            (jid, (tenant or self.customer).id, kind, status, sec(started),
             sec(finished) if finished else None, progress, error)
        )  # fmt: skip

    def payment(self, pid: str, status: str, amount: int, currency: str, reason: str,
                at: datetime, tenant: Tenant | None = None) -> None:  # fmt: skip
        self.payments.append(
            (pid, (tenant or self.customer).id, status, amount, currency, reason, sec(at))
        )

    def member(self, mid: str, email: str, name: str, role: str, status: str,
               changed_at: datetime | None = None, changed_by: str = "",
               tenant: Tenant | None = None) -> None:  # fmt: skip
        self.people.append(
            (mid, (tenant or self.customer).id, email, name, role, status,
             sec(changed_at) if changed_at else None, changed_by)
        )  # fmt: skip

    def invoice(self, iid: str, status: str, amount: int, lines: str, at: datetime,
                tenant: Tenant | None = None, error: str = "") -> None:  # fmt: skip
        t = tenant or self.customer
        self.invoices.append(
            {"number": iid, "account": t.id, "status": status, "total": amount, "currency": "eur",
             "lines": lines, "payment_error": error, "issued_at": sec(at)}
        )  # fmt: skip

    # --- ticket ---------------------------------------------------------------------------
    def ticket(self, tid: str, subject: str, body: str, email: str | None = None,
               name: str | None = None, priority: str = "normal") -> None:  # fmt: skip
        who_email = self.customer.email if email is None else email
        who = name or (self.customer.person if email is None else who_email.split("@")[0].title())
        self.ticket_data = {
            "id": tid,
            "url": f"https://help.{self.d.product.lower()}.example/tickets/{tid}",
            "subject": subject,
            "description": body,
            "status": "open",
            "priority": priority,
            "created_at": sec(self.t0),
            "updated_at": sec(self.t0),
            "requester": {"name": who, "email": who_email},
            "organization": {"id": None, "name": None},
            "tags": [],
            "custom_fields": {},
            "comments": [],
        }

    # --- output ---------------------------------------------------------------------------
    def _fill(self, ratio: int) -> dict[str, int]:
        def in_window(t: datetime) -> bool:
            return self.window_start <= t <= self.until

        signal = sum(1 for x in self.lines if x.role == "signal" and in_window(x.t))
        share = (self.until - self.window_start) / (self.until - self.start)
        want_window = max(ratio * signal, 1)
        need = max(MIN_LINES - len(self.lines), int(want_window / share) + 1)
        self.noise(need)
        noise = sum(1 for x in self.lines if x.role == "noise" and in_window(x.t))
        while noise < ratio * signal:
            before = len(self.lines)
            self.noise(int((ratio * signal - noise) / share) + 1)
            noise += sum(1 for x in self.lines[before:] if in_window(x.t))
        return {
            "lines": len(self.lines),
            "signal_lines_in_window": signal,
            "noise_lines_in_window": noise,
            "noise_ratio": round(noise / signal, 1) if signal else None,
            "distractor_lines": sum(
                1 for x in self.lines if x.role in ("distractor", "background")
            ),
        }  # type: ignore[dict-item]

    def render(self, x: Line, fmt: str) -> str:
        d = self.d
        lvl = LEVEL_WORDS[fmt][x.level]
        if fmt == "plain":
            extra = " ".join(f"{k}={v}" for k, v in x.fields.items())
            who = f" {d.tenant_key}={x.tenant}" if x.tenant else ""
            ts = x.t.strftime("%Y-%m-%d %H:%M:%S,") + f"{x.t.microsecond // 1000:03d}"
            return f"{ts} {lvl:<5} [{x.service}] {x.msg}{who}{(' ' + extra) if extra else ''}"
        if fmt == "logfmt":
            parts = [f"time={iso(x.t)}", f"level={lvl}", f"{d.service_key}={x.service}"]
            if x.tenant:
                parts.append(f"{d.tenant_key}={x.tenant}")
            parts.append(f'msg="{x.msg}"' if " " in x.msg else f"msg={x.msg}")
            for k, v in x.fields.items():
                s = str(v)
                parts.append(f'{k}="{s}"' if (" " in s or not s) else f"{k}={s}")
            return " ".join(parts)
        ts_key, lvl_key, msg_key = {
            "ecs": ("@timestamp", "log.level", "message"),
            "short": ("ts", "lvl", "msg"),
            "gcp": ("time", "severity", "text"),
        }[fmt]
        obj: dict[str, object] = {ts_key: iso(x.t), lvl_key: lvl, d.service_key: x.service}
        if x.tenant:
            obj[d.tenant_key] = x.tenant
        obj[msg_key] = x.msg
        obj.update(x.fields)
        return json.dumps(obj, ensure_ascii=False)

    def write(self, category: str, decisive: list[dict[str, str]], tags: list[str], about: str,
              ratio: int = 15, reply_must_not_contain: list[str] | None = None,
              background: int = 4) -> None:  # fmt: skip
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.background(background)
        self._tracker_backlog()
        volume = self._fill(ratio)
        d = self.d
        files: dict[str, list[tuple[datetime, str]]] = {}
        for x in self.lines:
            fmt = x.fmt or d.fmt
            name = d.log_file if x.fmt is None else (self.extra_log or "other.log.gz")
            files.setdefault(name, []).append((x.t, self.render(x, fmt)))
        for name, rows in files.items():
            rows.sort()
            body = "".join(r + "\n" for _, r in rows).encode()
            path = self.dir / "logs" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gz_bytes(body) if name.endswith(".gz") else body)
        self._write_records()
        self._write_db(self.dir / f"{d.key}.db")
        (self.dir / "tickets").mkdir()
        (self.dir / "tickets" / f"{self.ticket_data['id']}.json").write_text(
            json.dumps(self.ticket_data, indent=2, ensure_ascii=False) + "\n"
        )
        dump_yaml(self.dir / "investigate.yaml", config(d))
        formats = sorted({x.fmt or d.fmt for x in self.lines})
        fmt_tags = [f"format:{'json' if f in ('ecs', 'short', 'gcp') else f}" for f in formats]
        fmt_tags += [f"format:json-{f}" for f in formats if f in ("ecs", "short", "gcp")]
        case: dict[str, object] = {
            "ticket": self.ticket_data["id"],
            "config": "investigate.yaml",
            "until": sec(self.until),
            "category": category,
            "decisive": decisive,
            "tags": ["held-out", f"domain:{d.key}", *fmt_tags, *tags],
            "about": " ".join(about.split()),
        }
        if reply_must_not_contain:
            case["reply_must_not_contain"] = reply_must_not_contain
        case["volume"] = volume
        dump_yaml(self.dir / "case.yaml", case)

    def _tracker_backlog(self) -> None:
        """The tracker's everyday backlog: the background errors and some chores, old and new."""
        prefix = self.d.product[:3].upper()
        chores = ["Upgrade the base image", "Flaky integration test in CI", "Dark mode polish",
                  "Translate settings page", "Reduce bundle size", "Audit log export as CSV"]  # fmt: skip
        for i, (_, service, msg, code) in enumerate(self.d.background):
            status = "open" if i % 2 else "closed"
            self.issue(f"{prefix}-{310 + 7 * i}", status, msg.capitalize(),
                       f"Seen now and then ({code}); low impact", service,
                       self.t0 - (30 + 9 * i) * 24 * H)  # fmt: skip
        for i, title in enumerate(chores):
            self.issue(f"{prefix}-{402 + 5 * i}", "open", title, "Housekeeping", "platform",
                       self.t0 - (12 + 4 * i) * 24 * H)  # fmt: skip

    def _write_records(self) -> None:
        d, out = self.d, self.dir
        deploy_path = out / d.deploy_file
        if d.deploy_file.endswith(".csv"):
            keys = [
                d.deploy_keys[0],
                d.deploy_keys[1],
                d.deploy_keys[2],
                "author",
                d.deploy_keys[3],
            ]
            text = ",".join(keys) + "\n"
            for r in self.deploys:
                text += ",".join(_csv(str(r[k])) for k in keys) + "\n"
            deploy_path.write_text(text)
        elif d.deploy_file.endswith(".json"):
            deploy_path.write_text(json.dumps({"deployments": self.deploys}, indent=2) + "\n")
        else:
            dump_yaml(deploy_path, self.deploys)
        (out / "alerts.json").write_text(json.dumps(self.alerts, indent=2) + "\n")
        dump_yaml(out / "issues.yaml", self.issues)
        keys = ["id", "status", "title", "description", "votes"]
        text = (
            ",".join(keys)
            + "\n"
            + "".join(",".join(_csv(str(r[k])) for k in keys) + "\n" for r in self.roadmap)
        )
        (out / "roadmap.csv").write_text(text)
        (out / "invoices.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.invoices)
        )

    def _write_db(self, db: Path) -> None:
        d = self.d
        con = sqlite3.connect(db)
        con.execute("PRAGMA page_size = 1024")
        fk = "account"
        con.executescript(
            f"CREATE TABLE {d.org_table} (id TEXT PRIMARY KEY, name TEXT, plan TEXT, status TEXT, region TEXT);"
            f"CREATE TABLE {d.people_table} (id TEXT PRIMARY KEY, {fk} TEXT, email TEXT, name TEXT,"
            " role TEXT, status TEXT, changed_at TEXT, changed_by TEXT);"
            f"CREATE TABLE {d.audit_table} (at TEXT, {fk} TEXT, actor TEXT, action TEXT, target TEXT,"
            " details TEXT);"
            f"CREATE TABLE {d.jobs_table} (id TEXT PRIMARY KEY, {fk} TEXT, kind TEXT, status TEXT,"
            " started_at TEXT, finished_at TEXT, progress TEXT, error TEXT);"
            f"CREATE TABLE payments (id TEXT PRIMARY KEY, {fk} TEXT, status TEXT, amount INTEGER,"
            " currency TEXT, failure_reason TEXT, created_at TEXT);"
        )
        people_ids = {p[2] for p in self.people}
        for i, t in enumerate(self.tenants):
            con.execute(
                f"INSERT INTO {d.org_table} VALUES (?,?,?,?,?)",
                (t.id, t.name, t.plan, t.status, t.region),
            )
            if t.email not in people_ids:
                con.execute(
                    f"INSERT INTO {d.people_table} VALUES (?,?,?,?,?,?,?,?)",
                    (f"u{i:03d}", t.id, t.email, t.person, "owner", "active", None, ""),
                )
        con.executemany(f"INSERT INTO {d.people_table} VALUES (?,?,?,?,?,?,?,?)", self.people)
        con.executemany(f"INSERT INTO {d.audit_table} VALUES (?,?,?,?,?,?)", self.audit)
        con.executemany(f"INSERT INTO {d.jobs_table} VALUES (?,?,?,?,?,?,?,?)", self.jobs)
        con.executemany("INSERT INTO payments VALUES (?,?,?,?,?,?,?)", self.payments)
        con.commit()
        con.execute("VACUUM")
        con.close()


def _csv(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if ("," in value or '"' in value) else value


def config(d: Domain) -> dict[str, Any]:
    """The world's investigate.yaml: what its support team would write, default keys only."""
    a, v, t, n = d.deploy_keys
    org, ppl = d.org_table, d.people_table
    return {
        "ticket_source": "helpdesk",
        "llm": {"provider": "offline"},
        "investigation": {"lookback": "24h", "timeout": "30s", "max_evidence": 40},
        "connectors": {
            "helpdesk": {"type": "file", "path": "tickets"},
            "logs": {"type": "log_file", "paths": ["logs/*"]},
            "db": {
                "type": "sqlite",
                "path": f"{d.key}.db",
                "queries": {
                    "account": {
                        "sql": f"SELECT o.id, o.name, o.plan, o.status, o.region FROM {org} o "
                        f"JOIN {ppl} p ON p.account = o.id WHERE p.email = :requester_email",
                        "kind": "customer",
                        "title": "{name} ({id}): {plan}, {status}, region {region}",
                        "provides": {"account_id": "id"},
                    },
                    "requester": {
                        "sql": f"SELECT id, email, name, role, status, changed_at, changed_by FROM {ppl} "
                        "WHERE email = :requester_email",
                        "title": "{name} <{email}>: {role}, {status} {changed_by}",
                        "time_field": "changed_at",
                    },
                    "audit": {
                        "sql": f"SELECT at, actor, action, target, details FROM {d.audit_table} "
                        "WHERE account = :account_id AND at >= :window_start ORDER BY at DESC LIMIT 20",
                        "title": "{action} {target} by {actor}: {details}",
                        "time_field": "at",
                    },
                    "jobs": {
                        "sql": f"SELECT id, kind, status, started_at, finished_at, progress, error "
                        f"FROM {d.jobs_table} WHERE account = :account_id ORDER BY started_at DESC LIMIT 10",
                        "title": "{kind} {id}: {status} since {started_at}, {progress} {error}",
                        "time_field": "started_at",
                    },
                    "payments": {
                        "sql": "SELECT id, status, amount, currency, failure_reason, created_at FROM payments "
                        "WHERE account = :account_id ORDER BY created_at DESC LIMIT 5",
                        "kind": "payment",
                        "title": "Payment {id}: {status} {amount} {currency} {failure_reason}",
                        "time_field": "created_at",
                    },
                },
            },
            "deploys": {
                "type": "records",
                "path": d.deploy_file,
                "kind": "deploy",
                "select": "window",
                "time_field": t,
                "title": f"{{{a}}} {{{v}}}: {{{n}}}",
            },
            "alerts": {
                "type": "records",
                "path": "alerts.json",
                "kind": "alert",
                "select": "window",
                "time_field": "startsAt",
                "end_field": "endsAt",
                "title": f"{{alertname}} [{{{d.alert_state_key}}}] {{service}} {{region}}: {{summary}}",
            },
            "tracker": {
                "type": "records",
                "path": "issues.yaml",
                "kind": "issue",
                "select": ["matched", "text"],
                "match_fields": ["key"],
                "text_fields": ["title", "description", "component"],
                "min_text_score": 3.0,
                "time_field": "updated",
                "title": "{key} [{status}] {title}",
                "max_items": 5,
            },
            "roadmap": {
                "type": "records",
                "path": "roadmap.csv",
                "kind": "issue",
                "select": "text",
                "text_fields": ["title", "description"],
                "title": "Roadmap {id} [{status}] {title} ({votes} votes)",
                "max_items": 3,
            },
            "invoices": {
                "type": "records",
                "path": "invoices.jsonl",
                "kind": "invoice",
                "select": "matched",
                "match_fields": ["number", "account"],
                "time_field": "issued_at",
                "title": "Invoice {number}: {status}, {total} {currency} ({lines}) {payment_error}",
                "max_items": 3,
            },
        },
    }


def dec(source: str, kind: str, contains: str) -> dict[str, str]:
    return {"source": source, "kind": kind, "contains": contains}


CASES: list[Callable[[], None]] = []


def case(fn: Callable[[], None]) -> Callable[[], None]:
    CASES.append(fn)
    return fn


# fmt: off
# Things an offline draft reply must never say in any world: demo fiction and template leftovers.
NEVER = ["Settings → SSO", "Settings → Billing", "Settings → Members", "We are restarting", "<add"]


def same_region(w: World) -> list[Tenant]:
    """The other tenants in the customer's region (a regional outage hits them all)."""
    return [t for t in w.tenants if t.region == w.customer.region and t.id != w.customer.id]


# ------------------------------------------------------------------------ clinic (MediBook)


@case
def clinic_bug_deploy_9h() -> None:
    w = World("gen-clinic-bug-deploy-9h", "clinic")
    T = w.t0
    w.deploy("medibook-booking", "4.18.0", T - 12 * H, "Move slot locking to SERIALIZABLE transactions")
    w.deploy("medibook-reminders", "2.7.1", T - 50 * MIN, "Reminder e-mails: add clinic logo")
    w.signal(T - 3 * H, 60, 170, "error", "booking",
             "slot reservation failed: could not serialize access due to concurrent update",
             [w.customer, *w.others(14)], **{"error.code": "BOOKING_TX_CONFLICT", "http.status": 500})
    w.burst(T - 40 * MIN, 6, 30, "warn", "reminders", "reminder template missing logo, using default",
            w.others(3), **{"error.code": "REMINDER_LOGO_MISSING"})
    w.ticket("3101", "Your reminder update broke our booking page!!!",
             "Since this morning patients cannot book online, they get 'something went wrong' at the "
             "last step. You pushed that reminder e-mail change yesterday and now booking is broken. "
             "We are losing appointments every hour. FIX THIS.", priority="urgent")
    w.write("bug", [dec("logs", "log_pattern", "could not serialize access"), dec("deploys", "deploy", "4.18.0")],
            ["tone:angry", "blames-wrong-thing", "distractor:decoy-deploy", "change-9h-before",
             "alias:deploy-app-name", "many-tenants"],
            "The booking deploy 12 h before (app `medibook-booking`, log service `booking`) is "
            "followed 9 h later by the first serialization failures for 15 clinics; the customer "
            "blames the reminders deploy 50 min before the ticket, which only produced a harmless "
            "warning for other clinics.", ratio=12, reply_must_not_contain=NEVER)


@case
def clinic_outage_region_es() -> None:
    w = World("gen-clinic-outage-region-es", "clinic", "Clínica Solana")
    T = w.t0
    w.alert("BookingDBPoolExhausted", "firing", "booking", w.customer.region, T - 2 * H, None,
            "booking DB connection pool saturated (100/100) for 15 min")
    w.alert("PortalLatencyHigh", "firing", "patient-portal", w.other_region(), T - 5 * H, None,
            "p95 latency above 2 s", "warning")
    w.alert("BookingDBPoolExhausted", "resolved", "booking", w.customer.region, T - 70 * H, T - 69 * H,
            "booking DB connection pool saturated")
    w.signal(T - 2 * H, 90, 115, "error", "booking",
             "db pool exhausted: timeout acquiring connection after 5000ms",
             [w.customer, *same_region(w)], **{"error.code": "DB_POOL_EXHAUSTED", "http.status": 503})
    w.ticket("3102", "No podemos reservar citas",
             "Hola, desde esta mañana ni nosotros ni los pacientes podemos reservar citas online, "
             "sale un error 503 al confirmar. ¿Tenéis algún problema? Gracias.")
    w.write("outage", [dec("alerts", "alert", "BookingDBPoolExhausted"), dec("logs", "log_pattern", "db pool exhausted")],
            ["lang:es", "tone:neutral", "distractor:alert-other-region", "distractor:resolved-old-alert",
             "many-tenants"],
            "The booking DB pool alert fires in the customer's region and every clinic there gets 503s; a "
            "latency alert for the portal fires in another region; the ticket is in Spanish.",
            ratio=10, reply_must_not_contain=NEVER)


@case
def clinic_config_slug_404() -> None:
    w = World("gen-clinic-config-slug-404", "clinic")
    T = w.t0
    w.member("stf_2231", f"frontdesk@{w.customer.email.split('@')[1]}", "Front Desk", "admin", "active")
    w.audit_row(T - 150 * MIN, f"frontdesk@{w.customer.email.split('@')[1]}", "booking_page.slug_changed",
                "public booking page", "slug 'book' -> 'book-online'")
    w.signal(T - 145 * MIN, 40, 140, "warn", "patient-portal", "booking page not found for slug",
             **{"error.code": "PAGE_NOT_FOUND", "http.status": 404, "slug": "book"})
    w.deploy("medibook-calendar", "3.3.0", T - 65 * MIN, "ICS feeds: honour practitioner time zone")
    w.ticket("3103", "Is your website down?",
             "Patients are telling us the booking link on our website says 'page not found'. Is your "
             "site down?? We haven't touched anything.")
    w.write("configuration",
            [dec("db", "db_row", "slug_changed"), dec("logs", "log_pattern", "booking page not found")],
            ["tone:worried", "blames-wrong-thing", "customer-change-then-404", "distractor:decoy-deploy"],
            "Another admin of the clinic renamed the booking page slug (audit row) 5 min before the "
            "404s for the old slug began; only this clinic is affected; a calendar deploy is unrelated.",
            ratio=20, reply_must_not_contain=[*NEVER, "outage"])


@case
def clinic_access_scim() -> None:
    w = World("gen-clinic-access-scim", "clinic")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    email = f"dr.hughes@{dom}"
    w.member("stf_4410", email, "Dr. Maya Hughes", "practitioner", "deactivated", T - 6 * H, "scim:azure-ad")
    w.audit_row(T - 6 * H, "scim:azure-ad", "staff.deactivated", email, "deprovisioned by identity provider")
    w.signal(T - 40 * MIN, 9, 35, "warn", "patient-portal", "staff login refused: membership inactive",
             **{"error.code": "STAFF_INACTIVE", "http.status": 403, "user": email})
    w.alert("PortalLatencyHigh", "firing", "patient-portal", w.other_region(), T - 3 * H, None,
            "p95 latency above 2 s", "warning")
    w.ticket("3104", "LOCKED OUT",
             "I have patients in 20 minutes and your app says my account is inactive. I have used "
             "MediBook every day for two years. This is unacceptable, unlock it now.",
             email=email, name="Maya Hughes", priority="high")
    w.write("access", [dec("db", "db_row", "deactivated"), dec("logs", "log_pattern", "membership inactive")],
            ["tone:angry", "requester-not-admin", "decisive-db-row", "distractor:alert-other-region"],
            "The requester's staff row was deactivated by SCIM 6 h ago; the portal refuses her "
            "login; a portal alert fires in another region.", ratio=25, reply_must_not_contain=NEVER)


@case
def clinic_integration_sms_vendor() -> None:
    w = World("gen-clinic-integration-sms-vendor", "clinic")
    T = w.t0
    w.signal(T - 5 * H, 80, 290, "error", "reminders",
             "sms provider request failed: connect ETIMEDOUT api.txtbridge.example:443",
             [w.customer, *w.others(21)], **{"error.code": "SMS_UPSTREAM_TIMEOUT"})
    w.alert("BookingLatency", "resolved", "booking", w.customer.region, T - 20 * H, T - 19 * H, "p95 above 1 s")
    w.deploy("medibook-patient-portal", "8.2.0", T - 2 * H, "Portal: new cookie banner")
    w.ticket("3105", "reminders?",
             "Several patients say they didn't get their SMS reminder for tomorrow. Did something change?")
    w.write("integration", [dec("logs", "log_pattern", "txtbridge")],
            ["tone:vague", "third-party-not-in-code", "many-tenants", "distractor:decoy-deploy",
             "distractor:resolved-old-alert"],
            "The SMS vendor (named nowhere but in the log line) times out for 22 clinics: an "
            "integration failure, not an outage of the product.", ratio=15,
            reply_must_not_contain=[*NEVER, "SSO"])


@case
def clinic_data_ehr_sync() -> None:
    w = World("gen-clinic-data-ehr-sync", "clinic")
    T = w.t0
    w.job("sj_5521", "ehr-sync", "running", T - 14 * H, None, "batch 37/212, waiting for lock")
    w.job("sj_5498", "ehr-sync", "succeeded", T - 38 * H, T - 37 * H, "212/212")
    for i in range(12):
        w.line(T - 10 * H + i * 50 * MIN, "warn", "ehr-sync", "ehr sync lag above threshold", w.customer,
               "signal", lag_minutes=240 + 50 * i, **{"error.code": "EHR_SYNC_LAG"})
    w.burst(T - 4 * H, 30, 200, "error", "calendar", "calendar provider refused token", w.others(2),
            **{"error.code": "CAL_TOKEN_REFUSED"})
    w.ticket("3106", "Appointments missing in our EHR",
             "Can you check why appointments booked yesterday afternoon don't show up in our practice "
             "software? Everything before that is there.")
    w.write("data", [dec("db", "db_row", "sj_5521"), dec("logs", "log_pattern", "ehr sync lag")],
            ["tone:neutral", "phrasing:can-you-check", "decisive-db-row", "distractor:second-customer-errors"],
            "The EHR sync job has been `running` for 14 h waiting for a lock (jobs row) and the lag "
            "warnings grow; another clinic's calendar-token errors are new and error level.",
            ratio=30, reply_must_not_contain=NEVER)


@case
def clinic_user_error_deleted_type() -> None:
    w = World("gen-clinic-user-error-deleted-type", "clinic")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    w.member("stf_3120", f"reception@{dom}", "Reception", "admin", "active")
    w.audit_row(T - 20 * H, f"reception@{dom}", "appointment_type.deleted", "Initial consultation (60 min)",
                "deleted by user; 0 future bookings")
    w.audit_row(T - 19 * H, f"reception@{dom}", "appointment_type.updated", "Follow-up (30 min)",
                "price 45 -> 50")
    w.deploy("medibook-calendar", "3.4.1", T - 18 * H, "Calendar sync: fewer refreshes")
    w.ticket("3107", "Appointment type disappeared",
             "Where did our 'Initial consultation' appointment type go? It vanished from the booking "
             "page. Did your update delete it?")
    w.write("user_error", [dec("db", "db_row", "appointment_type.deleted")],
            ["tone:neutral", "blames-wrong-thing", "healthy-world", "decisive-db-row", "distractor:decoy-deploy"],
            "The clinic's own receptionist deleted the appointment type (audit row); nothing is "
            "failing; a calendar deploy an hour later is a coincidence.", ratio=20,
            reply_must_not_contain=[*NEVER, "bug"])


@case
def clinic_feature_de() -> None:
    w = World("gen-clinic-feature-de", "clinic", "Praxis am Ring")
    w.idea("RM-41", "planned", "Waitlist for fully booked days (Warteliste)",
           "Patients join a waitlist when no slot is free and are offered cancelled slots", 64)
    w.idea("RM-12", "shipped", "Online payments at booking", "Deposit at booking time", 120)
    w.idea("RM-57", "under consideration", "Video consultations", "Built-in video calls", 33)
    w.ticket("3108", "Warteliste für ausgebuchte Tage?",
             "Hallo, gibt es bei MediBook eine Warteliste (waitlist), wenn ein Tag ausgebucht ist? "
             "Unsere Patienten fragen oft danach. Falls nicht, nehmt es bitte als Wunsch auf. "
             "Viele Grüße")
    w.write("feature_request", [dec("roadmap", "issue", "RM-41")],
            ["lang:de", "tone:friendly", "roadmap-item", "healthy-world"],
            "A feature question in German; the roadmap has the item (planned); steady background "
            "errors of this clinic are irrelevant.", ratio=20, reply_must_not_contain=NEVER)


@case
def clinic_unknown_vague() -> None:
    w = World("gen-clinic-unknown-vague", "clinic")
    T = w.t0
    w.burst(T - 3 * H, 40, 120, "error", "booking", "practitioner calendar conflict unresolved", w.others(1),
            **{"error.code": "CAL_CONFLICT"})
    w.alert("PortalLatencyHigh", "firing", "patient-portal", w.other_region(), T - 4 * H, None,
            "p95 latency above 2 s", "warning")
    w.deploy("medibook-payments", "1.9.0", T - 3 * H, "Deposits: support Bancontact")
    w.ticket("3109", "weird",
             "hey, weird stuff happening since the weekend, can you check? thanks")
    w.write("unknown", [],
            ["tone:vague", "phrasing:can-you-check", "distractor:second-customer-errors",
             "distractor:alert-other-region", "distractor:decoy-deploy"],
            "A known clinic says nothing concrete and nothing in its data is wrong; another clinic's "
            "new errors, an alert elsewhere and a payments deploy are all unrelated.", ratio=20,
            reply_must_not_contain=NEVER)


# ---------------------------------------------------------------------------- freight (Haulr)


@case
def freight_integration_carrier_timeout() -> None:
    w = World("gen-freight-integration-carrier-timeout", "freight")
    T = w.t0
    hit = [w.customer, *w.others(24)]
    w.extra_log = "carrier-gw.log.gz"  # the gateway writes plain text
    w.signal(T - 4 * H, 120, 235, "error", "carrier-gw",
             "POST https://api.nordpost-cargo.example/v2/labels failed: ETIMEDOUT after 30000ms",
             hit, fmt="plain", code="CARRIER_TIMEOUT")
    w.signal(T - 4 * H, 60, 235, "error", "labels", "label purchase failed: carrier unavailable", hit,
             code="LABEL_PURCHASE_FAILED", status=502)
    w.alert("TrackingIngestLag", "firing", "tracking", w.other_region(), T - 3 * H, None,
            "tracking ingest lag above 10 min", "warning")
    w.ticket("3201", "Is your label service down?",
             "None of our NordPost labels print since 7am, the app just says 'carrier unavailable'. "
             "DHL labels work. Is your label service down?")
    w.write("integration",
            [dec("logs", "log_pattern", "nordpost-cargo"), dec("logs", "log_pattern", "carrier unavailable")],
            ["tone:worried", "phrasing:is-your-x-broken", "third-party-not-in-code", "many-tenants",
             "distractor:alert-other-region", "format:two-files"],
            "A carrier API (named only in log lines of a second, plain-text file) times out for 25 "
            "shippers: integration, not an outage of the product; a tracking alert fires in another "
            "region.", ratio=12, reply_must_not_contain=NEVER)


@case
def freight_config_depot_hours_11h() -> None:
    w = World("gen-freight-config-depot-hours-11h", "freight")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    w.member("mbr_7781", f"ops@{dom}", "Ops Team", "admin", "active")
    w.audit_row(T - 12 * H, f"ops@{dom}", "depot.hours_updated", "Depot LHR-2",
                "closing time 18:00 -> 08:00")
    w.signal(T - 90 * MIN, 30, 85, "warn", "dispatch",
             "pickup request rejected: pickup window outside depot hours", code="PICKUP_WINDOW", status=422,
             depot="LHR-2")
    w.deploy("haulr-rating", "2026.38.1", T - 5 * H, "Rate cards: per-pallet surcharges")
    w.ticket("3202", "London pickups rejected",
             "Since this morning every pickup we book for the London depot gets rejected. Nothing "
             "changed on our side. Other depots are fine.")
    w.write("configuration",
            [dec("db", "db_row", "hours_updated"), dec("logs", "log_pattern", "outside depot hours")],
            ["tone:neutral", "change-10h-before", "customer-change-then-4xx", "distractor:decoy-deploy",
             "blames-wrong-thing"],
            "The shipper's ops admin set the depot's closing time to 08:00 at night (audit row); the "
            "first pickup requests of the morning, 10.5 h later, are rejected; a rating deploy is "
            "unrelated.", ratio=25, reply_must_not_contain=NEVER)


@case
def freight_bug_label_unicode() -> None:
    w = World("gen-freight-bug-label-unicode", "freight")
    T = w.t0
    w.deploy("haulr-labels", "2026.37.2", T - 10 * H, "ZPL renderer: switch to the new font pipeline")
    w.deploy("haulr-rating", "2026.37.5", T - 40 * MIN, "Quotes: show CO2 estimate")
    w.signal(T - 90 * MIN, 45, 85, "error", "labels",
             "label render failed: UnicodeEncodeError: 'latin-1' codec can't encode character '\\u0142'",
             [w.customer, *w.others(8)], code="LABEL_RENDER", status=500)
    w.ticket("3203", "labels",
             "some labels come out blank or don't print at all, mostly Polish addresses i think")
    w.write("bug",
            [dec("logs", "log_pattern", "UnicodeEncodeError"), dec("deploys", "deploy", "2026.37.2")],
            ["tone:vague", "change-8h-before", "alias:deploy-app-name", "distractor:decoy-deploy"],
            "The labels deploy (`haulr-labels`, CSV `application` column) 10 h before is followed by "
            "the first encoding errors 8.5 h later when warehouses start printing; a rating deploy "
            "40 min before the ticket is the decoy.", ratio=15, reply_must_not_contain=NEVER)


@case
def freight_data_stuck_backfill() -> None:
    w = World("gen-freight-data-stuck-backfill", "freight")
    T = w.t0
    w.job("job_88213", "tracking-backfill", "running", T - 15 * H, None, "37% (no progress since 01:10)")
    w.job("job_88102", "tracking-backfill", "succeeded", T - 39 * H, T - 37 * H, "100%")
    for i in range(6):
        w.line(T - 15 * H + i * 10 * MIN, "info", "tracking", "tracking backfill checkpoint", w.customer,
               "signal", done_pct=5 + 6 * i)
    w.burst(T - 2 * H, 35, 110, "error", "manifests", "manifest close failed: parcel without weight",
            w.others(1), code="MANIFEST_WEIGHT")
    w.ticket("3204", "Tracking not updated",
             "Tracking statuses for our DPD shipments haven't updated since yesterday evening. Our "
             "customers keep calling.")
    w.write("data", [dec("db", "db_row", "job_88213")],
            ["tone:neutral", "decisive-db-row", "distractor:second-customer-errors"],
            "A tracking backfill job is stuck at 37% (jobs row, `running` for 15 h); no error line "
            "says so; another shipper's new manifest errors are the loud thing in the logs.",
            ratio=30, reply_must_not_contain=NEVER)


@case
def freight_outage_tracking() -> None:
    w = World("gen-freight-outage-tracking", "freight")
    T = w.t0
    w.alert("TrackingAPI5xx", "firing", "tracking", w.customer.region, T - 100 * MIN, None,
            "tracking API 5xx ratio 38%")
    w.alert("TrackingAPI5xx", "firing", "tracking", w.other_region(), T - 26 * H, T - 25 * H,
            "tracking API 5xx ratio 12%")
    w.signal(T - 100 * MIN, 110, 100, "error", "tracking",
             "upstream connect error or disconnect/reset before headers", [w.customer, *same_region(w)],
             code="UPSTREAM_RESET", status=503)
    w.deploy("haulr-manifests", "2026.39.0", T - 70 * MIN, "Manifests: bulk close")
    w.ticket("3205", "tracking page DEAD",
             "our customers get 503 on every tracking link since 8. this is the third time this month. "
             "what is going on???", priority="high")
    w.write("outage",
            [dec("alerts", "alert", "TrackingAPI5xx"), dec("logs", "log_pattern", "upstream connect error")],
            ["tone:angry", "alert:state-field", "many-tenants", "distractor:decoy-deploy"],
            "The tracking 5xx alert (`state: firing`) covers the customer's region; every shipper "
            "there gets 503s; a manifests deploy 30 min after the start is the decoy.", ratio=10,
            reply_must_not_contain=NEVER)


@case
def freight_access_depot_scope() -> None:
    w = World("gen-freight-access-depot-scope", "freight", "Ruta Norte Logística")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    email = f"lucia.romero@{dom}"
    w.member("mbr_5530", email, "Lucía Romero", "dispatcher", "active")
    w.audit_row(T - 3 * H, w.customer.email, "member.scope_removed", email, "depot MAD-1 removed from scopes")
    w.signal(T - 2 * H, 14, 110, "warn", "manifests", "manifest access denied: member lacks depot scope",
             code="SCOPE_DENIED", status=403, user=email)
    w.ticket("3206", "forbidden on Madrid manifests",
             "I can't open the Madrid manifests anymore, it says forbidden. My colleague can. Did you "
             "break permissions in an update?", email=email, name="Lucía Romero")
    w.write("access",
            [dec("db", "db_row", "scope_removed"), dec("logs", "log_pattern", "lacks depot scope")],
            ["tone:neutral", "requester-not-admin", "blames-wrong-thing"],
            "The shipper's admin removed the depot from the requester's scopes (audit row) an hour "
            "before the 403s.", ratio=20, reply_must_not_contain=NEVER)


@case
def freight_feature_roadmap() -> None:
    w = World("gen-freight-feature-roadmap", "freight")
    T = w.t0
    w.idea("HR-77", "under consideration", "Customs pre-clearance (CN23 export documents)",
           "Generate CN23/CN22 customs documents and send pre-clearance data to the carrier", 31)
    w.idea("HR-52", "planned", "Pallet label templates", "Custom pallet labels", 18)
    w.burst(T - 5 * H, 40, 240, "error", "dispatch", "route optimiser returned no solution", w.others(2),
            code="ROUTE_NO_SOLUTION")
    w.ticket("3207", "customs docs",
             "Is customs pre-clearance on your roadmap? We ship a lot to the UK now and filling the "
             "CN23 forms by hand is painful.")
    w.write("feature_request", [dec("roadmap", "issue", "HR-77")],
            ["tone:friendly", "phrasing:on-your-roadmap", "roadmap-item", "distractor:second-customer-errors"],
            "A roadmap question; the roadmap has the item; two other shippers' new route errors are "
            "unrelated.", ratio=20, reply_must_not_contain=NEVER)


@case
def freight_perf_quotes() -> None:
    w = World("gen-freight-perf-quotes", "freight")
    w.spread(6, 40, "warn", "rating", "quote computation slow", duration_ms=(11000, 17000), zones=48120)
    w.ticket("3208", "Quotes take ages",
             "Getting a quote takes 15 seconds per shipment now, it used to be instant. Our sales team "
             "is going crazy.")
    w.write("performance", [dec("logs", "log_pattern", "quote computation slow")],
            ["tone:annoyed", "no-errors", "distractor:steady-background-errors"],
            "Quotes for this shipper (48k rate zones) take 11-17 s: warnings only, no errors; the "
            "steady background errors of every shipper are not the cause.", ratio=25,
            reply_must_not_contain=NEVER)


# ------------------------------------------------------------------------ payroll (PayStream)


@case
def payroll_bug_steady_share_de() -> None:
    w = World("gen-payroll-bug-steady-share-de", "payroll", "Müller Metallbau")
    T = w.t0
    # the trap: a render timeout that every company hits all week at the same rate; this
    # customer's share of it rises in the window, the total does not
    others = [t for t in w.tenants if t.id != w.customer.id]
    w.steady("ERROR", "payslips", "payslip pdf render timeout", 1.8, others, code="PDF_TIMEOUT")
    w.burst(T - 20 * H, 7, 20 * 60, "ERROR", "payslips", "payslip pdf render timeout", code="PDF_TIMEOUT")
    w.deploy("tax", "3.12.0", T - 10 * H, "Q4 tax tables; church tax per state")
    w.signal(T - 2 * H, 35, 115, "ERROR", "tax", "tax calculation failed: KeyError 'BY' in church_tax_rates",
             [w.customer, *w.others(7)], code="TAX_LOOKUP")
    w.signal(T - 2 * H, 12, 115, "ERROR", "payrun", "payrun aborted: tax step failed", [w.customer],
             code="PAYRUN_ABORTED")
    w.ticket("3301", "Lohnlauf Oktober bricht ab – dringend",
             "Seit heute früh bricht der Lohnlauf mit 'Berechnung fehlgeschlagen' ab. Außerdem sehen "
             "wir seit gestern öfter 'PDF-Zeitüberschreitung' bei den Lohnzetteln. Wir müssen heute "
             "auszahlen, bitte dringend prüfen!", priority="urgent")
    w.write("bug",
            [dec("logs", "log_pattern", "church_tax_rates"), dec("deploys", "deploy", "3.12.0")],
            ["lang:de", "tone:urgent", "distractor:steady-background-share", "change-8h-before",
             "many-tenants"],
            "The payslip PDF timeout has fired for every company all week at the same rate (this "
            "customer's share of it rose from ~1 to 7 lines, the total did not) and the ticket "
            "mentions it; the cause is the tax deploy 10 h before the first KeyError, 8 companies "
            "affected.", ratio=12, reply_must_not_contain=NEVER)


@case
def payroll_integration_ledger() -> None:
    w = World("gen-payroll-integration-ledger", "payroll")
    T = w.t0
    w.signal(T - 6 * H, 70, 350, "ERROR", "ledger-export",
             "journal push to api.ledgerloop.example failed: read ECONNRESET",
             [w.customer, *w.others(19)], code="LEDGER_PUSH_FAILED")
    w.deploy("payslips", "2.40.0", T - 3 * H, "Payslips: new footer")
    w.ticket("3302", "journals",
             "hi, the journals from yesterday's run aren't showing in our accounting. can you check")
    w.write("integration", [dec("logs", "log_pattern", "ledgerloop")],
            ["tone:vague", "phrasing:can-you-check", "third-party-not-in-code", "many-tenants",
             "distractor:decoy-deploy"],
            "The accounting vendor resets connections for 20 companies since 6 h; the vendor is "
            "named only in log lines; a payslips deploy is unrelated.", ratio=15,
            reply_must_not_contain=NEVER)


@case
def payroll_access_role_blames_bug() -> None:
    w = World("gen-payroll-access-role-blames-bug", "payroll")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    email = f"finance@{dom}"
    w.member("usr_8120", email, "Finance Team", "viewer", "active", T - 4 * H, w.customer.email)
    w.audit_row(T - 4 * H, w.customer.email, "user.role_changed", email, "payroll_admin -> viewer")
    w.signal(T - 90 * MIN, 11, 80, "WARN", "payrun", "approve payrun forbidden: role viewer",
             status=403, user=email)
    w.ticket("3303", "Approve button broken",
             "The Approve button on the October payrun is broken, it just says 'not allowed'. Looks "
             "like a bug on your side. We need to pay people TODAY.", email=email, name="Finance Team",
             priority="high")
    w.write("access", [dec("db", "db_row", "role_changed"), dec("logs", "log_pattern", "approve payrun forbidden")],
            ["tone:urgent", "blames-wrong-thing", "requester-not-admin"],
            "The company owner changed the requester's role to viewer (audit row) 4 h ago; the "
            "ticket calls it a bug.", ratio=25, reply_must_not_contain=NEVER)


@case
def payroll_user_error_locked() -> None:
    w = World("gen-payroll-user-error-locked", "payroll")
    T = w.t0
    for i in range(5):
        w.line(T - 50 * MIN + i * MIN, "WARN", "auth", "login failed: wrong password", w.customer, "signal",
               user=w.customer.email)
    w.line(T - 45 * MIN, "WARN", "auth", "login locked after 5 failed attempts", w.customer, "signal",
           status=423, user=w.customer.email, unlock_in="30m")
    w.ticket("3304", "YOUR LOGIN IS BROKEN",
             "I can't get in, it says my account is locked. I didn't do anything. Fix it now, I have "
             "a deadline!!!", priority="high")
    w.write("user_error", [dec("logs", "log_pattern", "login locked")],
            ["tone:angry", "blames-wrong-thing", "healthy-world"],
            "Five wrong passwords, then a 30-minute lock (HTTP 423): the customer's own action; "
            "nothing else is wrong.", ratio=40, reply_must_not_contain=NEVER)


@case
def payroll_perf_payrun() -> None:
    w = World("gen-payroll-perf-payrun", "payroll")
    w.spread(5, 25, "WARN", "payrun", "payrun step gross-to-net exceeded budget", duration_ms=(150000, 210000), employees=2400)
    w.ticket("3305", "Preview takes forever",
             "The payrun preview now takes 3-4 minutes for us. Last month it was a few seconds. "
             "Anything we can do?")
    w.write("performance", [dec("logs", "log_pattern", "exceeded budget")],
            ["tone:neutral", "no-errors", "distractor:steady-slow-warnings"],
            "Gross-to-net takes 150-210 s for this 2,400-employee company (warnings only); generic "
            "'payrun preview slow' warnings hit everybody all week.", ratio=30,
            reply_must_not_contain=NEVER)


@case
def payroll_billing_sepa_return() -> None:
    w = World("gen-payroll-billing-sepa-return", "payroll")
    T = w.t0
    w.customer.status = "past_due"
    w.payment("pay_7F3K21", "failed", 34900, "EUR", "SEPA direct debit returned: AM04 insufficient funds",
              T - 30 * H)
    w.payment("pay_6Q2M90", "succeeded", 34900, "EUR", "", T - 30 * 24 * H)
    w.signal(T - 6 * H, 18, 340, "WARN", "payrun", "payrun locked: subscription past due", status=402)
    w.burst(T - 8 * H, 30, 400, "ERROR", "billing", "invoice pdf render failed", w.others(6),
            code="INVOICE_PDF_FAILED")
    w.ticket("3306", "Can't run payroll",
             "Why can't we run payroll? The 'Run' button is greyed out since this morning.")
    w.write("billing",
            [dec("db", "payment", "AM04"), dec("logs", "log_pattern", "subscription past due")],
            ["tone:neutral", "decisive-db-row", "distractor:unrelated-invoice-pdf-error"],
            "The last direct debit was returned (payments row, AM04) and the company is past due; "
            "an invoice-PDF render error on six other companies is unrelated.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def payroll_unknown_no_account() -> None:
    w = World("gen-payroll-unknown-no-account", "payroll")
    T = w.t0
    w.burst(T - 3 * H, 35, 150, "ERROR", "timesheets", "timesheet import failed: column 'hours' missing",
            w.others(1), code="TS_IMPORT_COLUMN")
    w.alert("PayrunQueueBacklog", "resolved", "payrun", REGIONS[0], T - 7 * H, T - 6 * H, "payrun queue > 500")
    w.ticket("3307", "numbers look wrong",
             "hi, numbers look wrong on the last run, pls check", email="mikko.v@gmail.example")
    w.write("unknown", [],
            ["tone:vague", "no-account-info", "distractor:second-customer-errors", "distractor:resolved-old-alert"],
            "The requester is in no table and names nothing; another company's timesheet errors and "
            "a resolved queue alert are not about them.", ratio=20, reply_must_not_contain=NEVER)


@case
def payroll_data_hris_duplicates() -> None:
    w = World("gen-payroll-data-hris-duplicates", "payroll")
    T = w.t0
    w.job("job_hris_5512", "hris-import", "completed_with_errors", T - 16 * H, T - 15 * H,
          "1180/1392 employees", "212 skipped: duplicate employee_number")
    w.line(T - 15 * H, "WARN", "timesheets", "hris import finished with skipped rows", w.customer, "signal",
           skipped=212)
    w.ticket("3308", "Employees missing",
             "About 200 of our employees are missing from the new pay run since the HRIS import "
             "yesterday. Is this a bug?")
    w.write("data",
            [dec("db", "db_row", "duplicate employee_number")],
            ["tone:neutral", "decisive-db-row", "phrasing:is-this-a-bug"],
            "The HRIS import skipped 212 rows as duplicates (jobs row); the logs show only one "
            "warning.", ratio=30, reply_must_not_contain=NEVER)


# ---------------------------------------------------------------------- e-learning (Coursely)


@case
def elearn_bug_question_phrasing() -> None:
    w = World("gen-elearn-bug-question-phrasing", "elearn")
    T = w.t0
    w.signal(T - 5 * H, 30, 290, "error", "grading",
             "quiz submission failed: NullPointerException at WeightedScore.compute", code="GRADE_NPE",
             status=500)
    w.issue("LMS-812", "open", "Quiz submission fails: grade calculation crashes on weighted quizzes",
            "NullPointerException in WeightedScore.compute when a quiz has weighted sections", "grading",
            T - 3 * H)
    w.issue("LMS-640", "closed", "Quiz timer resets on reload", "Fixed in 5.2", "player", T - 40 * 24 * H)
    w.ticket("3401", "Is your grading broken?",
             "Is your grading broken? Students can't submit the final quiz in 'Anatomy 101', they get "
             "'grade calculation failed' when they submit.")
    w.write("bug",
            [dec("logs", "log_pattern", "NullPointerException"), dec("tracker", "issue", "LMS-812")],
            ["tone:worried", "phrasing:is-your-x-broken", "known-issue"],
            "A known open bug (tracker) hits this workspace's weighted quizzes; the ticket is "
            "phrased as a question but reports a failure.", ratio=20, reply_must_not_contain=NEVER)


@case
def elearn_outage_video_oom() -> None:
    w = World("gen-elearn-outage-video-oom", "elearn")
    T = w.t0
    w.alert("TranscodeWorkersCrashLooping", "firing", "video", w.customer.region, T - 3 * H, None,
            "video workers restarting (OOMKilled)")
    w.alert("RosterSyncSlow", "firing", "roster-sync", w.other_region(), T - 10 * H, None,
            "roster sync p95 above 5 min", "warning")
    hit = [w.customer, *same_region(w)]
    w.signal(T - 3 * H, 40, 175, "error", "video", "transcode worker exited: OOMKilled", hit,
             code="WORKER_OOM")
    w.signal(T - 3 * H, 70, 175, "error", "video", "stream manifest unavailable", hit, code="MANIFEST_503",
             status=503)
    w.ticket("3402", "videos", "videos not loading")
    w.write("outage",
            [dec("alerts", "alert", "TranscodeWorkersCrashLooping"), dec("logs", "log_pattern", "OOMKilled")],
            ["tone:vague", "alert:state-field", "many-tenants", "distractor:alert-other-region"],
            "Video workers crash-loop (alert with `state: firing`, customer's region); every "
            "workspace there gets 503 manifests; a roster alert fires in another region.", ratio=10,
            reply_must_not_contain=NEVER)


@case
def elearn_perf_gradebook() -> None:
    w = World("gen-elearn-perf-gradebook", "elearn")
    T = w.t0
    w.spread(8, 30, "warn", "lms", "gradebook export query took too long", duration_ms=(9000, 15000), learners=38000)
    w.deploy("notifications", "1.14.0", T - 1 * H, "Digest: group by course")
    w.ticket("3403", "Gradebook super slow",
             "Opening or exporting the gradebook takes forever (10+ seconds), sometimes the browser "
             "gives up. We have ~38k learners.")
    w.write("performance", [dec("logs", "log_pattern", "gradebook export query")],
            ["tone:neutral", "no-errors", "distractor:decoy-deploy"],
            "Gradebook queries for this 38k-learner workspace take 9-15 s (warnings only); a "
            "notifications deploy an hour ago is unrelated.", ratio=25, reply_must_not_contain=NEVER)


@case
def elearn_config_enrolment_rule() -> None:
    w = World("gen-elearn-config-enrolment-rule", "elearn")
    T = w.t0
    w.audit_row(T - 12 * H, w.customer.email, "enrolment_rule.deleted", "Auto-enrol: group 'New hires'",
                "rule removed (courses: Onboarding 1-3)")
    w.signal(T - 2 * H, 14, 60, "info", "roster-sync", "auto-enrolment skipped: no rule matches group",
             group="New hires")
    w.ticket("3404", "Onboarding course not assigned",
             "The new hires who started this morning didn't get their onboarding course. Last month "
             "it happened automatically.")
    w.write("configuration",
            [dec("db", "db_row", "enrolment_rule.deleted"), dec("logs", "log_pattern", "no rule matches")],
            ["tone:neutral", "change-10h-before", "info-level-signal"],
            "The customer's admin deleted the auto-enrolment rule (audit row) 10 h before the first "
            "new hires synced; the sync says, at info level, that no rule matched.", ratio=30,
            reply_must_not_contain=NEVER)


@case
def elearn_billing_readonly() -> None:
    w = World("gen-elearn-billing-readonly", "elearn")
    T = w.t0
    w.customer.status = "read_only"
    w.payment("py_9XK2L1", "failed", 129900, "USD", "card_expired", T - 50 * H)
    w.signal(T - 20 * H, 20, 19 * 60, "warn", "lms", "write blocked: workspace read-only (payment overdue)",
             status=402)
    w.burst(T - 10 * H, 30, 500, "error", "billing", "invoice pdf render failed", w.others(5),
            code="INVOICE_PDF_FAILED")
    w.ticket("3405", "Is your upload broken?",
             "Is your upload broken? We can't add new learners or upload course files since Monday.")
    w.write("billing",
            [dec("db", "payment", "card_expired"), dec("logs", "log_pattern", "payment overdue")],
            ["tone:worried", "phrasing:is-your-x-broken", "blames-wrong-thing", "decisive-db-row",
             "distractor:unrelated-invoice-pdf-error"],
            "The renewal failed (expired card, payments row) and the workspace is read-only; the "
            "customer blames uploads; other workspaces' invoice-PDF errors are unrelated.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def elearn_data_duplicates_fr() -> None:
    w = World("gen-elearn-data-duplicates-fr", "elearn", "Lycée Voltaire Online")
    T = w.t0
    w.job("job_rs_9071", "roster-sync", "completed", T - 9 * H, T - 8 * H, "term roster reprocessed",
          "340 duplicate enrolments created (replay without idempotency key)")
    w.signal(T - 9 * H, 30, 50, "warn", "roster-sync", "enrolment already exists, created duplicate")
    w.ticket("3406", "Élèves en double",
             "Bonjour, depuis hier chaque élève apparaît deux fois dans nos cours et les "
             "statistiques sont faussées. Pouvez-vous corriger ? Merci.")
    w.write("data",
            [dec("db", "db_row", "duplicate enrolments"), dec("logs", "log_pattern", "created duplicate")],
            ["lang:fr", "tone:neutral", "decisive-db-row"],
            "A roster replay created 340 duplicate enrolments (jobs row, warnings); ticket in French.",
            ratio=30, reply_must_not_contain=NEVER)


@case
def elearn_integration_video_vendor() -> None:
    w = World("gen-elearn-integration-video-vendor", "elearn")
    T = w.t0
    w.signal(T - 5 * H, 60, 290, "error", "video",
             "upload to api.streamly.example rejected: 429 Too Many Requests (account quota)",
             [w.customer, *w.others(17)], code="VIDEO_VENDOR_429")
    w.alert("LMSLatency", "resolved", "lms", w.customer.region, T - 22 * H, T - 21 * H, "p95 above 2 s")
    w.ticket("3407", "Video uploads stuck",
             "Course video uploads are stuck on 'processing' since this morning. Any idea?")
    w.write("integration", [dec("logs", "log_pattern", "streamly")],
            ["tone:neutral", "third-party-not-in-code", "many-tenants", "distractor:resolved-old-alert"],
            "The video vendor answers 429 for 18 workspaces: an integration limit, not an outage.",
            ratio=15, reply_must_not_contain=NEVER)


@case
def elearn_feature_vote() -> None:
    w = World("gen-elearn-feature-vote", "elearn")
    w.idea("CRS-203", "under consideration", "SCORM 2004 (4th edition) package import",
           "Import SCORM 2004 packages in addition to SCORM 1.2", 57)
    w.idea("CRS-150", "shipped", "xAPI statements export", "Export learner activity as xAPI", 88)
    w.steady("error", "lms", "embedded iframe blocked by CSP", 1.0, [w.customer], code="CSP_BLOCKED")
    w.ticket("3408", "SCORM 2004?",
             "Do you support SCORM 2004 packages? Our content vendor only exports 2004 4th edition. "
             "If not, consider this a vote!")
    w.write("feature_request", [dec("roadmap", "issue", "CRS-203")],
            ["tone:friendly", "phrasing:consider-this-a-vote", "roadmap-item", "distractor:steady-background-errors"],
            "A feature question and vote; the roadmap has the item; this workspace's own CSP error "
            "has fired all week and is not the point.", ratio=20, reply_must_not_contain=NEVER)


# ------------------------------------------------------------------------- IoT (FleetPulse)


@case
def iot_outage_state_firing() -> None:
    w = World("gen-iot-outage-state-firing", "iot")
    T = w.t0
    w.alert("IngestGatewayDown", "firing", "ingest-gateway", w.customer.region, T - 3 * H, None,
            "MQTT brokers unreachable from the ingest gateway")
    w.alert("MapsTileLatency", "firing", "maps", w.other_region(), T - 6 * H, None, "tile p95 above 3 s",
            "warning")
    w.signal(T - 3 * H, 100, 175, "ERROR", "ingest-gateway", "mqtt broker unavailable: 503 from broker pool",
             [w.customer, *same_region(w)], err_code="BROKER_UNAVAILABLE")
    w.ticket("3501", "All trucks offline",
             "All our trucks show 'offline' on the map since about 6am. The drivers say the devices "
             "are on. Please help.", priority="high")
    w.write("outage",
            [dec("alerts", "alert", "IngestGatewayDown"), dec("logs", "log_pattern", "mqtt broker unavailable")],
            ["tone:worried", "alert:state-field", "many-tenants", "distractor:alert-other-region"],
            "The ingest gateway alert (`state: firing`) is in the customer's region and every fleet "
            "there loses telemetry; a maps alert fires in another region.", ratio=10,
            reply_must_not_contain=NEVER)


@case
def iot_config_geofence_other_region_alert() -> None:
    w = World("gen-iot-config-geofence", "iot")
    T = w.t0
    w.audit_row(T - 9 * H, w.customer.email, "geofence.updated", "Depot North",
                "radius 500 m -> 50 m")
    w.signal(T - 8 * H, 80, 470, "WARNING", "alerts-engine", "geofence exit alert sent",
             err_code="GEOFENCE_EXIT", geofence="Depot North")
    w.alert("AlertsEngineQueueBacklog", "firing", "alerts-engine", w.other_region(), T - 5 * H, None,
            "alert queue above 10k")
    w.ticket("3502", "STOP THE SPAM",
             "We're getting hundreds of geofence alerts for trucks that are parked in the depot. Your "
             "system is spamming us!!! Turn it off.", priority="high")
    w.write("configuration",
            [dec("db", "db_row", "geofence.updated"), dec("logs", "log_pattern", "geofence exit alert")],
            ["tone:angry", "change-9h-before", "distractor:alert-other-region", "blames-wrong-thing"],
            "The customer shrank the depot geofence to 50 m (audit row) 9 h ago; parked trucks "
            "drift in and out; an alerts-engine alert fires, but for another region.", ratio=15,
            reply_must_not_contain=NEVER)


@case
def iot_access_scim() -> None:
    w = World("gen-iot-access-scim", "iot")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    email = f"dispatch.lead@{dom}"
    w.member("opr_2291", email, "Dispatch Lead", "operator", "deprovisioned", T - 5 * H, "scim:okta")
    w.signal(T - 4 * H, 16, 220, "WARNING", "fleet-api", "token rejected: operator deprovisioned",
             status=401, user=email)
    w.ticket("3503", "401 in the app",
             "Getting 401 in the FleetPulse app since lunch. Is your login down?", email=email,
             name="Dispatch Lead")
    w.write("access", [dec("db", "db_row", "deprovisioned"), dec("logs", "log_pattern", "operator deprovisioned")],
            ["tone:neutral", "requester-not-admin", "decisive-db-row", "phrasing:is-your-x-broken"],
            "Okta deprovisioned the requester via SCIM (operators row) 5 h ago; the ticket asks "
            "whether login is down.", ratio=25, reply_must_not_contain=NEVER)


@case
def iot_data_replay_queued() -> None:
    w = World("gen-iot-data-replay-queued", "iot")
    T = w.t0
    w.job("replay_4410", "telemetry-replay", "queued", T - 10 * H, None, "0% (waiting for worker)")
    for i in range(10):
        w.line(T - 10 * H + i * H, "WARNING", "telemetry", "telemetry backlog for fleet growing", w.customer,
               "signal", points_behind=18000 * (i + 1))
    w.burst(T - 2 * H, 40, 100, "ERROR", "ota", "firmware signature invalid", w.others(1),
            err_code="OTA_SIGNATURE")
    w.ticket("3504", "Trips missing",
             "Yesterday's trips are missing from the reports for about half of our vans.")
    w.write("data", [dec("db", "db_row", "replay_4410"), dec("logs", "log_pattern", "backlog")],
            ["tone:neutral", "decisive-db-row", "distractor:second-customer-errors"],
            "A telemetry replay has been queued for 10 h (jobs row) and the backlog grows; another "
            "fleet's new OTA errors are error level and loud.", ratio=25, reply_must_not_contain=NEVER)


@case
def iot_billing_invoice_blames_devices() -> None:
    w = World("gen-iot-billing-invoice", "iot")
    T = w.t0
    w.invoice("FP-2026-0912", "past_due", 4820, "SIM data plan 120 devices", T - 20 * 24 * H,
              error="card_declined")
    w.invoice("FP-2026-0811", "paid", 4820, "SIM data plan 120 devices", T - 50 * 24 * H)
    w.signal(T - 7 * H, 40, 400, "WARNING", "fleet-api", "sim data plan suspended: invoice past due",
             status=402)
    w.ticket("3505", "trackers broken",
             "Half of our trackers stopped reporting this morning. I think the devices from the last "
             "batch are faulty, can you send replacements?")
    w.write("billing",
            [dec("invoices", "invoice", "FP-2026-0912"), dec("logs", "log_pattern", "invoice past due")],
            ["tone:neutral", "blames-wrong-thing", "records-invoice"],
            "The SIM data plan was suspended because the invoice is past due (invoice record); the "
            "customer blames the hardware.", ratio=20, reply_must_not_contain=NEVER)


@case
def iot_user_error_archived() -> None:
    w = World("gen-iot-user-error-archived", "iot")
    T = w.t0
    w.audit_row(T - 20 * H, w.customer.email, "vehicle.archived", "Truck 17 (WX-7781)", "archived from the fleet list")
    w.deploy("maps", "6.3.0", T - 3 * H, "Map: cluster markers at low zoom")
    w.ticket("3506", "Truck 17 disappeared!!",
             "Truck 17 disappeared from the map!! Where is it? Did your update lose it?")
    w.write("user_error", [dec("db", "db_row", "vehicle.archived")],
            ["tone:worried", "healthy-world", "blames-wrong-thing", "distractor:decoy-deploy", "decisive-db-row"],
            "The requester archived the truck themselves yesterday (audit row); a maps deploy 3 h "
            "ago is a coincidence.", ratio=20, reply_must_not_contain=NEVER)


@case
def iot_feature_can_you() -> None:
    w = World("gen-iot-feature-can-you", "iot")
    w.idea("FP-310", "planned", "SMS channel for alert rules", "Send alert rules (geofence, idling) by SMS", 42)
    w.idea("FP-288", "under consideration", "Driver scorecards", "Weekly driving behaviour score", 19)
    w.ticket("3507", "SMS for geofence alerts",
             "Can you add SMS notifications for geofence alerts? E-mail is too slow for our "
             "dispatchers. We'd happily pay extra for it.")
    w.write("feature_request", [dec("roadmap", "issue", "FP-310")],
            ["tone:friendly", "phrasing:can-you", "roadmap-item", "distractor:steady-background-errors"],
            "A request phrased 'Can you add…'; the roadmap has it; a steady 'sms alert number "
            "invalid' error for everybody is tempting and irrelevant.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def iot_perf_map() -> None:
    w = World("gen-iot-perf-map", "iot")
    w.spread(7, 35, "WARNING", "maps", "live map render slow", p95_ms=(7000, 11000), vehicles=3150)
    w.ticket("3508", "map", "the live map is super slow for us today, takes ages to load")
    w.write("performance", [dec("logs", "log_pattern", "live map render slow")],
            ["tone:vague", "no-errors"],
            "Map renders for this 3,150-vehicle fleet take 7-11 s (warnings only).", ratio=25,
            reply_must_not_contain=NEVER)


@case
def iot_unknown_question() -> None:
    w = World("gen-iot-unknown-question", "iot")
    T = w.t0
    w.burst(T - 4 * H, 40, 200, "ERROR", "ota", "firmware download failed: disk full on device", w.others(1),
            err_code="OTA_DISK_FULL")
    w.deploy("alerts-engine", "4.0.2", T - 2 * H, "Rules: idle threshold per vehicle type")
    w.ticket("3509", "question", "Is something wrong on your side? Things feel off this week.")
    w.write("unknown", [],
            ["tone:vague", "distractor:second-customer-errors", "distractor:decoy-deploy"],
            "A known fleet with no problem in its data asks a vague question; another fleet's new "
            "OTA errors and an alerts-engine deploy are not about it.", ratio=20,
            reply_must_not_contain=NEVER)


# -------------------------------------------------------------------- e-signature (Inkflow)


@case
def esign_integration_webhook_signature() -> None:
    w = World("gen-esign-integration-webhook-signature", "esign")
    T = w.t0
    w.deploy("inkflow-webhooks", "keyset-2026-q4", T - 11 * H,
             "Quarterly rotation of webhook signing secrets (v1 secrets retired)")
    w.deploy("inkflow-templates", "12.1.0", T - 1 * H, "Templates: conditional fields")
    w.signal(T - 10 * H, 60, 590, "error", "webhooks",
             "webhook delivery rejected by receiver: 401 Unauthorized (signature mismatch)",
             [w.customer, *w.others(4)], **{"error.code": "WEBHOOK_REJECTED", "http.status": 401})
    w.ticket("3601", "Did you revoke our API access?",
             "Our endpoint logs show '401 unauthorized' for your webhooks since last night and our "
             "CRM no longer gets 'envelope completed' events. Did you revoke our API access?")
    w.write("integration",
            [dec("logs", "log_pattern", "signature mismatch"), dec("deploys", "deploy", "keyset-2026-q4")],
            ["tone:neutral", "blames-wrong-thing", "key-rotation", "401-not-access", "distractor:decoy-deploy",
             "alias:deploy-app-name"],
            "The webhook signing secrets were rotated 11 h ago; the customer's receiver still "
            "verifies with the old one and answers 401: an integration problem, not access.",
            ratio=15, reply_must_not_contain=[*NEVER, "password", "permission"])


@case
def esign_bug_fr() -> None:
    w = World("gen-esign-bug-fr", "esign", "Atelier Rousseau")
    T = w.t0
    w.deploy("inkflow-render", "5.2.0", T - 9 * H, "PDF flattening: new XFA handling")
    w.signal(T - 1 * H, 40, 55, "error", "render", "envelope flattening failed: XFA form not supported",
             [w.customer, *w.others(6)], **{"error.code": "RENDER_XFA", "http.status": 500})
    w.ticket("3602", "Impossible d'envoyer nos contrats",
             "Bonjour, impossible d'envoyer nos contrats depuis ce matin : 'échec de la préparation "
             "du document'. C'est urgent, nous avons des signatures à obtenir aujourd'hui.",
             priority="high")
    w.write("bug", [dec("logs", "log_pattern", "XFA"), dec("deploys", "deploy", "5.2.0")],
            ["lang:fr", "tone:urgent", "change-8h-before", "alias:deploy-app-name"],
            "The render deploy (`inkflow-render`) 9 h before; first flattening failures 8 h later "
            "for 7 workspaces; ticket in French.", ratio=15, reply_must_not_contain=NEVER)


@case
def esign_access_seat_de() -> None:
    w = World("gen-esign-access-seat-de", "esign", "Keller & Partner Notariat")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    email = f"j.wagner@{dom}"
    w.member("seat_5521", email, "Julia Wagner", "sender", "active")
    w.audit_row(T - 5 * H, w.customer.email, "seat.unassigned", email, "signing seat moved to k.berger")
    w.signal(T - 4 * H, 9, 200, "warn", "envelopes", "send envelope forbidden: no signing seat",
             **{"http.status": 403, "user": email})
    w.ticket("3603", "Keine Berechtigung beim Versenden",
             "Hallo, ich kann seit heute keine Umschläge mehr versenden, es kommt 'keine "
             "Berechtigung'. Gestern ging es noch. Was ist passiert?", email=email, name="Julia Wagner")
    w.write("access", [dec("db", "db_row", "seat.unassigned"), dec("logs", "log_pattern", "no signing seat")],
            ["lang:de", "tone:neutral", "requester-not-admin"],
            "The workspace owner moved the requester's signing seat to a colleague (audit row); "
            "ticket in German.", ratio=25, reply_must_not_contain=NEVER)


@case
def esign_config_redirect() -> None:
    w = World("gen-esign-config-redirect", "esign")
    T = w.t0
    slug = w.customer.email.split("@")[1].split(".")[0]
    w.audit_row(T - 3 * H, w.customer.email, "settings.allowed_redirects_updated", "workspace settings",
                f"removed https://portal.{slug}.example")
    w.signal(T - 170 * MIN, 30, 165, "warn", "signing", "redirect_uri not in allowed list",
             **{"http.status": 400})
    w.deploy("inkflow-identity", "2.8.0", T - 2 * H, "OTP: new SMS sender")
    w.ticket("3604", "Error page after signing",
             "After signing, our customers land on an error page instead of going back to our "
             "portal. Started today.")
    w.write("configuration",
            [dec("db", "db_row", "allowed_redirects"), dec("logs", "log_pattern", "redirect_uri not in allowed list")],
            ["tone:neutral", "customer-change-then-4xx", "distractor:decoy-deploy"],
            "The workspace owner removed their portal from the allowed redirect URLs (audit row) "
            "10 min before the 400s; an identity deploy is unrelated.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def esign_billing_invoice_higher() -> None:
    w = World("gen-esign-billing-invoice-higher", "esign")
    T = w.t0
    w.invoice("INK-2026-1043", "open", 1890, "base 490 + envelope overage 1400 (2800 sent, 1000 included)",
              T - 20 * H)
    w.invoice("INK-2026-0977", "paid", 490, "base 490", T - 31 * 24 * H)
    w.burst(T - 10 * H, 30, 500, "error", "billing", "invoice pdf render failed", w.others(5),
            **{"error.code": "INVOICE_PDF_FAILED"})
    w.ticket("3605", "Invoice almost 4x higher??",
             "Why is this month's invoice almost FOUR times higher than usual?? Nobody told us about "
             "a price change. Explain.")
    w.write("billing", [dec("invoices", "invoice", "INK-2026-1043")],
            ["tone:angry", "records-invoice", "distractor:unrelated-invoice-pdf-error"],
            "The invoice record shows an envelope overage (2,800 sent, 1,000 included); other "
            "workspaces' invoice-PDF errors are not this customer's.", ratio=20,
            reply_must_not_contain=[*NEVER, "card_declined", "price change"])


@case
def esign_unknown_nothing() -> None:
    w = World("gen-esign-unknown-nothing", "esign")
    T = w.t0
    w.alert("RenderQueueBacklog", "firing", "render", w.other_region(), T - 4 * H, None, "render queue > 2k")
    w.deploy("inkflow-templates", "12.2.0", T - 2 * H, "Templates: bulk edit")
    w.burst(T - 3 * H, 35, 150, "error", "signing", "signer otp expired before use", w.others(1),
            **{"error.code": "OTP_EXPIRED"})
    w.ticket("3606", "last week's documents",
             "something's off with last week's documents, can you look into it?")
    w.write("unknown", [],
            ["tone:vague", "distractor:alert-other-region", "distractor:decoy-deploy",
             "distractor:second-customer-errors"],
            "Nothing in this workspace's data is wrong; an alert in another region, a templates "
            "deploy and another workspace's new error all compete.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def esign_user_error_howto_fr() -> None:
    w = World("gen-esign-user-error-howto-fr", "esign", "Atelier Rousseau")
    w.ticket("3607", "Deuxième signataire",
             "Bonjour, comment ajouter un deuxième signataire dans un modèle ? Je ne trouve pas "
             "l'option. Merci d'avance.")
    w.write("user_error", [dec("db", "customer", w.customer.id)],
            ["lang:fr", "tone:friendly", "how-to", "healthy-world", "distractor:steady-background-errors"],
            "A how-to question in French; the workspace is healthy.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def esign_perf_bulk_send() -> None:
    w = World("gen-esign-perf-bulk-send", "esign")
    w.spread(4, 30, "warn", "envelopes", "bulk send queue wait above target", wait_s=(60, 120), batch=4000)
    w.ticket("3608", "Bulk send crawling",
             "Our bulk send of 4,000 contracts is crawling, recipients get them an hour later.")
    w.write("performance", [dec("logs", "log_pattern", "queue wait above target")],
            ["tone:neutral", "no-errors"],
            "Bulk-send queue waits of 1-2 min per batch for this workspace (warnings only).",
            ratio=25, reply_must_not_contain=NEVER)


# --------------------------------------------------------------------- restaurant POS (Tabletop)


@case
def pos_bug_rounding_blames_reader() -> None:
    w = World("gen-pos-bug-rounding-blames-reader", "pos")
    T = w.t0
    w.deploy("pos-api", "7.4.0", T - 3 * H, "Split bill: new rounding of shares")
    w.deploy("reports", "2.2.0", T - 30 * MIN, "End of day: tips per server")
    w.signal(T - 170 * MIN, 40, 160, "ERROR", "pos-api", "split bill total mismatch: expected 4210 got 4209",
             [w.customer, *w.others(11)], code="SPLIT_MISMATCH", status=409)
    w.ticket("3701", "Card reader keeps failing",
             "The card reader keeps failing when guests split the bill! It works for single "
             "payments. Is the reader broken? Do we need a new one?")
    w.write("bug",
            [dec("logs", "log_pattern", "split bill total mismatch"), dec("deploys", "deploy", "7.4.0")],
            ["tone:worried", "blames-wrong-thing", "distractor:decoy-deploy", "many-tenants"],
            "A pos-api deploy 3 h ago changed split-bill rounding and 12 restaurants get a 1-cent "
            "mismatch; the customer blames the card reader; a reports deploy is the decoy.",
            ratio=15, reply_must_not_contain=[*NEVER, "card_declined", "replace the reader"])


@case
def pos_outage_menu_sync() -> None:
    w = World("gen-pos-outage-menu-sync", "pos")
    T = w.t0
    w.alert("MenuSyncDBDown", "firing", "menu-sync", w.customer.region, T - 80 * MIN, None,
            "menu database primary unreachable")
    w.alert("KitchenPrinterErrors", "resolved", "kitchen", w.other_region(), T - 30 * H, T - 29 * H,
            "printer errors above 5%")
    w.signal(T - 80 * MIN, 90, 80, "ERROR", "menu-sync", "menu sync failed: connection refused (db-menu-primary:5432)",
             [w.customer, *same_region(w)], code="MENU_DB_REFUSED")
    w.ticket("3702", "URGENT: CAN'T CHANGE MENU BEFORE DINNER SERVICE",
             "WE CAN'T SAVE ANY MENU CHANGE. DINNER SERVICE STARTS IN AN HOUR. CALL ME.",
             priority="urgent")
    w.write("outage",
            [dec("alerts", "alert", "MenuSyncDBDown"), dec("logs", "log_pattern", "connection refused")],
            ["tone:angry", "tone:caps", "many-tenants", "distractor:resolved-old-alert"],
            "The menu database is down (firing alert in the customer's region), every "
            "restaurant there fails to sync; the reply must not quote the shouting subject back.", ratio=10,
            reply_must_not_contain=[*NEVER, "URGENT:"])


@case
def pos_billing_es() -> None:
    w = World("gen-pos-billing-es", "pos", "El Patio Tapas")
    T = w.t0
    w.customer.status = "suspended"
    w.payment("pay_ES44821", "failed", 8900, "EUR", "sepa_return AM04 insufficient funds", T - 40 * H)
    w.signal(T - 3 * H, 25, 170, "WARN", "devices", "terminal licence suspended: payment overdue", status=402)
    w.ticket("3703", "Terminales bloqueados",
             "Los terminales dicen 'licencia suspendida' desde esta mañana y no podemos cobrar. "
             "¿Qué pasa? Es urgente.", priority="high")
    w.write("billing",
            [dec("db", "payment", "AM04"), dec("logs", "log_pattern", "licence suspended")],
            ["lang:es", "tone:urgent", "decisive-db-row"],
            "The monthly direct debit was returned (payments row) and the terminal licence is "
            "suspended; ticket in Spanish.", ratio=20, reply_must_not_contain=NEVER)


@case
def pos_integration_delivery_413() -> None:
    w = World("gen-pos-integration-delivery-413", "pos")
    T = w.t0
    w.signal(T - 6 * H, 24, 350, "ERROR", "menu-sync",
             "menu push to partner-api.deliverly.example failed: HTTP 413 Payload Too Large",
             code="PARTNER_PUSH_FAILED", items=940)
    w.ticket("3704", "Old menu on Deliverly",
             "Our menu on Deliverly still shows the old prices, even though we changed them in "
             "Tabletop this morning.")
    w.write("integration", [dec("logs", "log_pattern", "deliverly")],
            ["tone:neutral", "third-party-not-in-code"],
            "The delivery partner rejects this restaurant's 940-item menu with 413: an integration "
            "failure (not the customer's upload, not an outage).", ratio=20,
            reply_must_not_contain=NEVER)


@case
def pos_user_error_can_you_check() -> None:
    w = World("gen-pos-user-error-can-you-check", "pos")
    w.ticket("3705", "split by seat",
             "Can you check how we split a bill by seat? The new staff keep doing it wrong and we "
             "end up with one big bill.")
    w.write("user_error", [dec("db", "customer", w.customer.id)],
            ["tone:neutral", "how-to", "phrasing:can-you-check", "healthy-world"],
            "A how-to phrased 'Can you check…'; nothing is failing.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def pos_feature_roadmap_dark() -> None:
    w = World("gen-pos-feature-roadmap-dark", "pos")
    w.idea("TT-88", "planned", "Dark theme for the kitchen display", "Dark mode for KDS screens at night", 73)
    w.idea("TT-61", "shipped", "Allergen labels on kitchen tickets", "Print allergens", 40)
    w.ticket("3706", "kitchen display",
             "Our chefs hate the bright kitchen display at night. A dark mode would be great. Is "
             "that on your roadmap?")
    w.write("feature_request", [dec("roadmap", "issue", "TT-88")],
            ["tone:friendly", "phrasing:on-your-roadmap", "roadmap-item"],
            "A roadmap question; the roadmap item is planned.", ratio=20, reply_must_not_contain=NEVER)


@case
def pos_config_tax_profile() -> None:
    w = World("gen-pos-config-tax-profile", "pos")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    w.member("stf_6612", f"manager@{dom}", "Manager", "manager", "active")
    w.audit_row(T - 10 * H, f"manager@{dom}", "tax_profile.updated", "Takeaway food", "VAT rate 7% -> 19%")
    w.deploy("reports", "2.3.0", T - 2 * H, "VAT report: new layout")
    w.ticket("3707", "Wrong VAT on receipts",
             "Receipts show the wrong VAT on takeaway orders since this morning. Did you change the "
             "tax rules?")
    w.write("configuration", [dec("db", "db_row", "tax_profile.updated")],
            ["tone:neutral", "change-10h-before", "no-errors", "decisive-db-row", "distractor:decoy-deploy",
             "blames-wrong-thing"],
            "The restaurant's manager changed the takeaway VAT rate (audit row) last night; no "
            "error anywhere; a VAT-report deploy 2 h ago is the decoy.", ratio=20,
            reply_must_not_contain=NEVER)


@case
def pos_data_eod_stuck() -> None:
    w = World("gen-pos-data-eod-stuck", "pos")
    T = w.t0
    w.job("eod_0912_rst", "end-of-day", "running", T - 9 * H, None, "closing tills 3/5")
    w.job("eod_0911_rst", "end-of-day", "succeeded", T - 33 * H, T - 32 * H, "5/5")
    w.ticket("3708", "No end of day report",
             "Yesterday's end-of-day report is missing, the accountant needs it.")
    w.write("data", [dec("db", "db_row", "eod_0912_rst")],
            ["tone:neutral", "decisive-db-row", "no-errors"],
            "The end-of-day job has been `running` for 9 h at 3/5 tills (jobs row); no log line "
            "says so.", ratio=20, reply_must_not_contain=NEVER)


# ---------------------------------------------------------------------- game servers (Fragrun)


@case
def games_bug_deploy_11h() -> None:
    w = World("gen-games-bug-deploy-11h", "games")
    T = w.t0
    w.deploy("fragrun-matchmaker", "9.1.0", T - 13 * H, "Party merge rewrite")
    w.deploy("fragrun-lobby", "3.8.0", T - 30 * MIN, "Lobby: new party UI")
    w.alert("EdgeRelayLoss", "firing", "edge", w.other_region(), T - 2 * H, None, "relay packet loss > 3%")
    w.signal(T - 2 * H, 80, 115, "error", "matchmaker", "party merge failed: index out of range",
             [w.customer, *w.others(19)], code="MM_MERGE")
    w.ticket("3801", "Matchmaking broken for parties",
             "Matchmaking is completely broken for parties, players are leaving our game. Is this "
             "your lobby update from today? Roll it back!", priority="high")
    w.write("bug",
            [dec("logs", "log_pattern", "party merge failed"), dec("deploys", "deploy", "9.1.0")],
            ["tone:angry", "blames-wrong-thing", "change-11h-before", "alias:deploy-app-name",
             "distractor:decoy-deploy", "distractor:alert-other-region", "many-tenants"],
            "The matchmaker deploy 13 h before; the first party-merge errors come 11 h later at the "
            "evening peak for 20 studios; the customer blames the lobby deploy 30 min ago; an edge "
            "alert fires in another region.", ratio=12, reply_must_not_contain=NEVER)


@case
def games_outage_question() -> None:
    w = World("gen-games-outage-question", "games")
    T = w.t0
    w.alert("GameServerFleetCapacity", "firing", "gamesrv", w.customer.region, T - 90 * MIN, None,
            "no free game server capacity")
    w.signal(T - 90 * MIN, 90, 90, "error", "gamesrv", "session allocation failed: no capacity in region",
             [w.customer, *same_region(w)], code="ALLOC_FAILED", status=503)
    w.ticket("3802", "Is your server down?", "Is your server down? Our players can't join matches.")
    w.write("outage",
            [dec("alerts", "alert", "GameServerFleetCapacity"), dec("logs", "log_pattern", "session allocation failed")],
            ["tone:worried", "phrasing:is-your-x-broken", "alert:state-field", "many-tenants"],
            "The capacity alert fires (`state: firing`) in the customer's region; every studio "
            "there fails to allocate sessions.", ratio=10, reply_must_not_contain=NEVER)


@case
def games_perf_tick() -> None:
    w = World("gen-games-perf-tick", "games")
    w.spread(20, 50, "warn", "gamesrv", "tick overrun", tick_ms=(40, 55), budget_ms=33, players=64)
    w.ticket("3803", "rubber-banding",
             "Players report rubber-banding and lag in 64-player matches since yesterday.")
    w.write("performance", [dec("logs", "log_pattern", "tick overrun")],
            ["tone:neutral", "no-errors"],
            "Game-server ticks overrun their 33 ms budget for this studio's 64-player sessions "
            "(warnings only).", ratio=20, reply_must_not_contain=NEVER)


@case
def games_access_key_revoked() -> None:
    w = World("gen-games-access-key-revoked", "games")
    T = w.t0
    dom = w.customer.email.split("@")[1]
    w.member("mbr_9920", f"devops@{dom}", "DevOps", "admin", "active")
    w.audit_row(T - 4 * H, f"devops@{dom}", "api_key.revoked", "key 'ci-upload'", "revoked by teammate")
    w.signal(T - 3 * H, 12, 170, "warn", "builds", "build upload rejected: api key revoked", status=401)
    w.ticket("3804", "401 on build upload",
             "Our CI gets 401 when uploading builds since this afternoon. Did you change auth?")
    w.write("access", [dec("db", "db_row", "api_key.revoked"), dec("logs", "log_pattern", "api key revoked")],
            ["tone:neutral", "blames-wrong-thing"],
            "A teammate revoked the CI upload key (audit row) an hour before the 401s.", ratio=25,
            reply_must_not_contain=NEVER)


@case
def games_user_error_upload_413() -> None:
    w = World("gen-games-user-error-upload-413", "games")
    T = w.t0
    w.signal(T - 2 * H, 5, 110, "warn", "builds", "build upload rejected: 413 file exceeds 4 GB limit",
             status=413, size_gb=6.2)
    w.ticket("3805", "Is your upload broken?",
             "Is your upload broken? Our build upload fails every time since we added the HD texture "
             "pack.")
    w.write("user_error", [dec("logs", "log_pattern", "exceeds 4 GB limit")],
            ["tone:worried", "phrasing:is-your-x-broken", "blames-wrong-thing", "healthy-world"],
            "The studio's new 6.2 GB build exceeds the documented 4 GB limit (413): their own "
            "change, nothing is broken.", ratio=30, reply_must_not_contain=NEVER)


@case
def games_billing_spend_cap() -> None:
    w = World("gen-games-billing-spend-cap", "games")
    T = w.t0
    w.invoice("FR-INV-5521", "open", 5000, "usage to date 5000 EUR (monthly spend cap reached)", T - 6 * H)
    w.signal(T - 6 * H, 30, 350, "warn", "gamesrv", "fleet scale-up blocked: monthly spend cap reached")
    w.ticket("3806", "servers not scaling",
             "Our servers are not scaling up tonight and the match queue is 5 minutes long. Is "
             "autoscaling broken?")
    w.write("billing",
            [dec("logs", "log_pattern", "spend cap reached"), dec("invoices", "invoice", "FR-INV-5521")],
            ["tone:worried", "blames-wrong-thing", "records-invoice"],
            "The studio reached its own monthly spend cap (invoice record, warnings); autoscaling "
            "works.", ratio=20, reply_must_not_contain=NEVER)


@case
def games_data_leaderboard() -> None:
    w = World("gen-games-data-leaderboard", "games")
    T = w.t0
    w.job("lb_rebuild_3391", "leaderboard-rebuild", "failed", T - 18 * H, T - 17 * H, "season board",
          "timeout after 3600 s")
    w.ticket("3807", "Leaderboard stale",
             "Our season leaderboard hasn't updated since yesterday, players are complaining on "
             "Discord.")
    w.write("data", [dec("db", "db_row", "lb_rebuild_3391")],
            ["tone:neutral", "decisive-db-row", "no-errors"],
            "The leaderboard rebuild job failed with a timeout 18 h ago (jobs row); nothing in the "
            "logs.", ratio=20, reply_must_not_contain=NEVER)


@case
def games_unknown_vague() -> None:
    w = World("gen-games-unknown-vague", "games")
    T = w.t0
    w.burst(T - 3 * H, 40, 150, "error", "leaderboards", "score write conflict", w.others(1), code="LB_CONFLICT")
    w.alert("MatchmakerLatency", "resolved", "matchmaker", REGIONS[2], T - 5 * H, T - 4 * H, "wait p95 > 60 s")
    w.ticket("3808", "broken again", "it's broken again. fix it.", email="xx_sniper_xx@gmail.example")
    w.write("unknown", [],
            ["tone:angry", "tone:vague", "no-account-info", "distractor:second-customer-errors",
             "distractor:resolved-old-alert"],
            "An unknown requester names nothing; another studio's errors and a resolved alert are "
            "not about them.", ratio=20, reply_must_not_contain=NEVER)


@case
def games_integration_platform() -> None:
    w = World("gen-games-integration-platform", "games")
    T = w.t0
    w.signal(T - 3 * H, 70, 175, "error", "lobby",
             "platform token exchange with auth.playnet.example failed: ETIMEDOUT",
             [w.customer, *w.others(21)], code="PLATFORM_AUTH_TIMEOUT")
    w.deploy("fragrun-leaderboards", "5.0.1", T - 2 * H, "Leaderboards: weekly reset at 00:00 UTC")
    w.ticket("3809", "PlayNet players can't log in",
             "Players on PlayNet can't log in to our game since this afternoon, Steam players are "
             "fine.")
    w.write("integration", [dec("logs", "log_pattern", "playnet")],
            ["tone:neutral", "third-party-not-in-code", "many-tenants", "distractor:decoy-deploy"],
            "The console platform's token endpoint times out for 22 studios: integration, not an "
            "outage of the product.", ratio=15, reply_must_not_contain=NEVER)


# ------------------------------------------------------------------------ two late additions


@case
def elearn_config_sender_nxdomain() -> None:
    w = World("gen-elearn-config-sender-nxdomain", "elearn")
    T = w.t0
    slug = w.customer.email.split("@")[1].split(".")[0]
    w.audit_row(T - 9 * H, w.customer.email, "email.sender_domain_set", "course invitations",
                f"sender domain set to mail.{slug}-academy.example (DNS not verified)")
    w.signal(T - 8 * H, 45, 470, "error", "notifications",
             f"invitation bounced: 550 5.1.2 sender domain mail.{slug}-academy.example NXDOMAIN",
             code="MAIL_BOUNCE_NXDOMAIN")
    w.deploy("player", "8.0.3", T - 2 * H, "Player: resume at last position")
    w.ticket("3409", "invites never arrive",
             "Learners say they never got the course invitation e-mails we sent this morning. Is "
             "your e-mail broken? Spam folder is empty too.")
    w.write("configuration",
            [dec("db", "db_row", "sender_domain_set"), dec("logs", "log_pattern", "NXDOMAIN")],
            ["tone:worried", "phrasing:is-your-x-broken", "change-9h-before", "customer-change-then-5xx",
             "distractor:decoy-deploy"],
            "The workspace admin set a custom sender domain that does not resolve (audit row) 9 h "
            "before; every invitation since bounces with NXDOMAIN; a player deploy is unrelated.",
            ratio=15, reply_must_not_contain=NEVER)


@case
def payroll_bug_csv_unicode() -> None:
    w = World("gen-payroll-bug-csv-unicode", "payroll", "Lindqvist Bygg AB")
    T = w.t0
    w.deploy("timesheets", "6.0.0", T - 11 * H, "CSV import: new streaming parser")
    w.deploy("payslips", "2.41.0", T - 1 * H, "Payslips: QR code for the employee portal")
    w.signal(T - 2 * H, 30, 115, "ERROR", "timesheets",
             "timesheet csv import failed: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe4 in position 1187",
             [w.customer, *w.others(9)], code="TS_IMPORT_DECODE")
    w.ticket("3309", "Timesheet upload fails",
             "Our timesheet CSV upload fails since this morning with 'import failed'. It's the same "
             "export from our time clock we upload every week. Names with å/ä/ö maybe?")
    w.write("bug",
            [dec("logs", "log_pattern", "UnicodeDecodeError"), dec("deploys", "deploy", "6.0.0")],
            ["tone:neutral", "change-9h-before", "distractor:decoy-deploy", "many-tenants"],
            "The timesheets deploy 11 h before (new CSV parser) fails on Windows-1252 files from 10 "
            "companies once they upload in the morning; a payslips deploy 1 h ago is the decoy.",
            ratio=15, reply_must_not_contain=NEVER)

# fmt: on


def main() -> None:
    names = [fn.__name__ for fn in CASES]
    assert len(names) == len(set(names)), "duplicate case functions"
    for p in HERE.glob("gen-*"):
        if p.is_dir() and not p.name.startswith("gen-newuser-"):
            shutil.rmtree(p)
    for fn in CASES:
        fn()


if __name__ == "__main__":
    main()
