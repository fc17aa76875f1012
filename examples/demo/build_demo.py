#!/usr/bin/env python3
"""Build the "Acme Metrics" demo world that config.example.yaml points at.

    python examples/demo/build_demo.py        # from any folder

Every data file under examples/demo/ (tickets, logs, demo.db, billing exports, bugs, alerts,
deploys, expected.yaml and README.md) is deleted and rewritten, byte for byte the same on every
run: all randomness comes from random.Random(SEED) (split into one stream per file family, so
changing one generator does not reshuffle the others) and no wall-clock time is read.
Standard library only (Python 3.11+).

Layout of this file: the scenario tables come first (world, the ten tickets and the facts each
one rests on), then one function per file type, then main().
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import random
import re
import shutil
import sqlite3
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 4812
HERE = Path(__file__).resolve().parent


def ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# fmt: off
# ---------------------------------------------------------------------------------------------
# Time frame
# ---------------------------------------------------------------------------------------------
LOG_START = ts("2026-11-21T00:00:00Z")  # logs cover 21 Nov 00:00 .. 25 Nov 23:59:59
LOG_END = ts("2026-11-26T00:00:00Z")  # exclusive; also the moment the DB snapshot was taken
SNAPSHOT = LOG_END - timedelta(seconds=1)
JOBS_START = ts("2026-11-16T00:00:00Z")  # the jobs table keeps ten days
AUDIT_START = ts("2026-09-01T00:00:00Z")

# Business hours (UTC) per region, used to shape traffic.
BUSINESS_HOURS_UTC = {"eu-west-1": (7, 18), "us-east-1": (13, 23)}

# Connector instance names used by expected.yaml (the lead's config.example.yaml should use these).
SOURCES = {
    "tickets": ("file", "tickets/"),
    "logs": ("log_file", "logs/*.jsonl, logs/web.log.gz, logs/ingest.log"),
    "db": ("sqlite", "demo.db"),
    "invoices": ("records", "billing/invoices.jsonl"),
    "charges": ("records", "billing/charges.csv"),
    "bugs": ("records", "bugs.yaml"),
    "alerts": ("records", "alerts.json"),
    "deploys": ("records", "deploys.yaml"),
}

# ---------------------------------------------------------------------------------------------
# The world: 40 customer accounts
# (id, name, domain, region, plan, created, email style, name pool)
# ---------------------------------------------------------------------------------------------
ACCOUNTS = [
    ("acc_1001", "Alder & Finch Consulting", "alderfinch.com", "us-east-1", "growth", "2024-02-12", "first.last", "en"),
    ("acc_1002", "Brightwater Labs", "brightwaterlabs.io", "us-east-1", "business", "2023-09-05", "first.last", "en"),
    ("acc_1003", "Tessellate Retail", "tessellate-retail.com", "us-east-1", "enterprise", "2023-04-18", "first.last", "en"),
    ("acc_1004", "Corvid Security", "corvidsec.com", "us-east-1", "business", "2024-06-03", "flast", "en"),
    ("acc_1005", "Halden Maritime AS", "halden-maritime.no", "eu-west-1", "growth", "2024-01-22", "first.last", "nordic"),
    ("acc_1006", "Pinecrest Credit Union", "pinecrestcu.org", "us-east-1", "business", "2023-11-14", "flast", "en"),
    ("acc_1007", "Northwind Logistics", "northwind-logistics.com", "eu-west-1", "growth", "2024-03-17", "first.last", "en"),
    ("acc_1008", "Vellum Publishing", "vellumpub.co.uk", "eu-west-1", "starter", "2025-02-08", "first", "en"),
    ("acc_1009", "Orbital Kitchens", "orbitalkitchens.com", "us-east-1", "growth", "2024-08-26", "first.last", "en"),
    ("acc_1010", "Saltmarsh Media", "saltmarsh.media", "eu-west-1", "starter", "2025-01-09", "first", "en"),
    ("acc_1011", "Copperleaf Energy", "copperleaf-energy.co.uk", "eu-west-1", "business", "2023-07-11", "first.last", "en"),
    ("acc_1012", "Greyhaven Insurance", "greyhaven-ins.com", "us-east-1", "enterprise", "2023-02-27", "flast", "en"),
    ("acc_1013", "Lindqvist Bygg AB", "lindqvistbygg.se", "eu-west-1", "growth", "2024-10-02", "first.last", "nordic"),
    ("acc_1014", "Brightline Dental Group", "brightlinedental.co.uk", "eu-west-1", "growth", "2024-05-20", "first.last", "en"),
    ("acc_1015", "Marigold Travel", "marigoldtravel.com", "us-east-1", "starter", "2025-06-13", "first", "en"),
    ("acc_1016", "Quayside Property Partners", "quaysidepp.ie", "eu-west-1", "growth", "2024-04-04", "flast", "en"),
    ("acc_1017", "Ridgeway Outdoor", "ridgewayoutdoor.com", "us-east-1", "growth", "2024-09-19", "first.last", "en"),
    ("acc_1018", "Fjordline Analytics AS", "fjordline.no", "eu-west-1", "growth", "2024-11-06", "first.last", "nordic"),
    ("acc_1019", "Sable & Stone Legal", "sablestonelegal.com", "us-east-1", "business", "2023-12-01", "flast", "en"),
    ("acc_1020", "Everfield Schools Trust", "everfield.org.uk", "eu-west-1", "starter", "2025-03-25", "flast", "en"),
    ("acc_1021", "Kinetic Parcel", "kineticparcel.com", "us-east-1", "business", "2024-02-29", "first.last", "en"),
    ("acc_1022", "Kestrel Freight GmbH", "kestrel-freight.de", "eu-west-1", "business", "2023-10-16", "first.last", "de"),
    ("acc_1023", "Moonrise Games", "moonrisegames.com", "us-east-1", "growth", "2025-04-07", "first", "en"),
    ("acc_1024", "Harbourline Ferries", "harbourline.co.uk", "eu-west-1", "business", "2023-06-21", "first.last", "en"),
    ("acc_1025", "Quarry & Pine Outfitters", "quarryandpine.com", "us-east-1", "growth", "2024-07-15", "first.last", "en"),
    ("acc_1026", "Tidewell Water", "tidewell.nl", "eu-west-1", "business", "2023-08-30", "first.last", "nl"),
    ("acc_1027", "Arcadia Fitness", "arcadiafit.com", "us-east-1", "growth", "2024-12-10", "first", "en"),
    ("acc_1028", "Beaumont Wines", "beaumont-wines.fr", "eu-west-1", "starter", "2025-05-02", "first.last", "fr"),
    ("acc_1029", "Harborview Health Partners", "harborviewhealth.com", "us-east-1", "business", "2023-05-08", "first.last", "en"),
    ("acc_1030", "Zephyr Mobility", "zephyrmobility.eu", "eu-west-1", "growth", "2024-06-24", "first.last", "nl"),
    ("acc_1031", "Cinderpath Athletics", "cinderpath.com", "us-east-1", "growth", "2026-11-05", "first", "en"),
    ("acc_1032", "Ostara Biotech", "ostarabio.de", "eu-west-1", "business", "2024-03-03", "first.last", "de"),
    ("acc_1033", "Lumen Robotics", "lumenrobotics.com", "us-east-1", "enterprise", "2023-03-13", "first.last", "en"),
    ("acc_1034", "Verdant Grocers", "verdantgrocers.com", "us-east-1", "business", "2024-01-30", "flast", "en"),
    ("acc_1035", "Palisade Capital", "palisadecap.com", "us-east-1", "business", "2023-09-22", "flast", "en"),
    ("acc_1036", "Bluebird Bakeries", "bluebirdbakeries.com", "us-east-1", "growth", "2025-01-27", "first.last", "en"),
    ("acc_1037", "Nordlys Energi", "nordlys-energi.dk", "eu-west-1", "growth", "2024-08-12", "first.last", "nordic"),
    ("acc_1038", "Meridian Clinics", "meridianclinics.ie", "eu-west-1", "business", "2023-11-28", "first.last", "en"),
    ("acc_1039", "Foxglove Florists", "foxglove-florists.co.uk", "eu-west-1", "starter", "2025-07-14", "first", "en"),
    ("acc_1040", "Juniper Ridge Software", "juniperridge.dev", "us-east-1", "growth", "2026-11-12", "first", "en"),
]
PLAN_RATE_LIMIT = {"starter": 120, "growth": 600, "business": 1200, "enterprise": 3000}
PLAN_PRICE_CENTS = {"starter": 9900, "growth": 49900, "business": 129900}
PLAN_TRAFFIC = {"starter": 0.35, "growth": 0.7, "business": 1.1, "enterprise": 1.8}
PLAN_INGEST_EVERY_H = {"starter": 8, "growth": 6, "business": 4, "enterprise": 3}
SSO_ACCOUNTS = {"acc_1003", "acc_1012", "acc_1033", "acc_1035"}
TRIALING = {"acc_1031", "acc_1040"}
CANCELED = {"acc_1010": "2026-10-31T23:59:59Z"}
CANCEL_AT_PERIOD_END = {"acc_1027"}

# ---------------------------------------------------------------------------------------------
# Scenario accounts, people and ids (fixed here so tests can rely on them)
# ---------------------------------------------------------------------------------------------
NORTHWIND, BRIGHTLINE, KESTREL, HARBORVIEW, LUMEN = "acc_1007", "acc_1014", "acc_1022", "acc_1029", "acc_1033"
FJORDLINE, COPPERLEAF, BLUEBIRD, TESSELLATE, QUARRY = "acc_1018", "acc_1011", "acc_1036", "acc_1003", "acc_1025"
SCENARIO_ACCOUNTS = {NORTHWIND, BRIGHTLINE, KESTREL, HARBORVIEW, LUMEN, FJORDLINE, COPPERLEAF, BLUEBIRD, TESSELLATE, QUARRY}
QUIET_ACCOUNTS = {BLUEBIRD}  # the how-to ticket: never any warning or error for this account

# (account, user id, name, email, role) -- created before the random colleagues.
KEY_PEOPLE = [
    (NORTHWIND, "usr_sadvnyzvzy", "Dana Whitfield", "dana.whitfield@northwind-logistics.com", "admin"),
    (BRIGHTLINE, "usr_0x8flcxz2o", "Tom Okafor", "tom.okafor@brightlinedental.co.uk", "editor"),
    (KESTREL, "usr_totgunpys2", "Lena Brandt", "lena.brandt@kestrel-freight.de", "admin"),
    (HARBORVIEW, "usr_iq1s0ksy2m", "Greg Tanaka", "greg.tanaka@harborviewhealth.com", "admin"),
    (HARBORVIEW, "usr_f20qe6su48", "Alicia Moreno", "alicia.moreno@harborviewhealth.com", "viewer"),
    (LUMEN, "usr_0o0wzah68m", "Ravi Kulkarni", "ravi.kulkarni@lumenrobotics.com", "admin"),
    (LUMEN, "usr_yvmwawsmkq", "Samuel Castillo", "samuel.castillo@lumenrobotics.com", "editor"),
    (FJORDLINE, "usr_a7tk62nq03", "Ingrid Solberg", "ingrid.solberg@fjordline.no", "admin"),
    (FJORDLINE, "usr_97smbgtecd", "Fjordline Sync (service)", "integrations@fjordline.no", "editor"),
    (COPPERLEAF, "usr_0tx9smgzzl", "Owen Price", "owen.price@copperleaf-energy.co.uk", "editor"),
    (BLUEBIRD, "usr_4hq8mzt1ve", "Rosa Delgado", "rosa.delgado@bluebirdbakeries.com", "admin"),
    (TESSELLATE, "usr_k2n7xw0dpa", "Kevin Marsh", "kevin.marsh@tessellate-retail.com", "admin"),
    (QUARRY, "usr_m9c3fj6ury", "Jess Huang", "jess.huang@quarryandpine.com", "admin"),
]
DANA, TOM, LENA, GREG, ALICIA = "usr_sadvnyzvzy", "usr_0x8flcxz2o", "usr_totgunpys2", "usr_iq1s0ksy2m", "usr_f20qe6su48"
RAVI, SAMUEL, INGRID, FJORD_SYNC, OWEN = "usr_0o0wzah68m", "usr_yvmwawsmkq", "usr_a7tk62nq03", "usr_97smbgtecd", "usr_0tx9smgzzl"
ROSA, KEVIN, JESS = "usr_4hq8mzt1ve", "usr_k2n7xw0dpa", "usr_m9c3fj6ury"

# 4812 billing: the November invoice of Northwind fails three times, the account goes read-only.
NW_CUSTOMER, NW_SUBSCRIPTION, NW_INVOICE = "cus_RSIf8NFmAUNLnY", "sub_5Yx0y3RnjDQl2K", "in_zymMlopiWfqUyH"
NW_INVOICE_CREATED = ts("2026-11-17T15:30:41Z")
NW_ATTEMPTS = [  # (charge id, attempted at)
    ("ch_3vf8THRXfEuzcrJaBnx7IfDH", ts("2026-11-17T16:31:02Z")),
    ("ch_35mMDdwin86TkVYCM7l8GQlc", ts("2026-11-20T16:29:47Z")),
    ("ch_3hbkER0Af7BOfjtNayviHzm5", ts("2026-11-23T15:31:09Z")),
]
NW_RESTRICTED = ts("2026-11-23T15:32:00Z")
NW_DECLINE = "card_declined: Your card has insufficient funds."
# 4813 bug after a deploy: api v2.14.0 breaks CSV exports of DECIMAL columns.
API_2140_DEPLOYED = ts("2026-11-24T07:42:10Z")
EXPORT_BUG_FIRST = ts("2026-11-24T07:47:33Z")
EXPORT_BUG_ACCOUNTS = [BRIGHTLINE, "acc_1002", "acc_1009", "acc_1021", "acc_1030", "acc_1034"]
EXPORT_BUG_MSG = "ERR_EXPORT_SERIALIZE: cannot serialize column of type DECIMAL(38,4)"
REQ_4813 = "req_16e8c4bf144d3334955d"
REQ_4813_AT = ts("2026-11-24T09:58:14Z") + timedelta(milliseconds=402)
# 4814 outage: the query engine in eu-west-1 loses its upstreams.
OUTAGE_START, OUTAGE_END = ts("2026-11-24T13:14:00Z"), ts("2026-11-24T14:31:00Z")
ALERT_STARTS_AT = ts("2026-11-24T13:21:30Z")
OUTAGE_MSG = "502 upstream connect error or disconnect/reset before headers"
# 4815 access: an admin's access review demotes Alicia from editor to viewer.
ROLE_CHANGED = ts("2026-11-23T17:48:12Z")
# 4816 configuration: Lumen uploads the new IdP certificate before Okta signs with it.
SSO_UPDATED = ts("2026-11-24T17:55:40Z")
SSO_OLD_CERT, SSO_NEW_CERT = "3A:7F:92:C1:5D:08:E4:B6", "C4:19:0B:6E:A2:F3:71:9D"
# 4817 rate limiting: Fjordline's nightly sync exceeds 600 requests/min.
SYNC_UA = "fjordline-sync/2.4.1 python-requests/2.31.0"
SYNC_429_START, SYNC_429_END = ts("2026-11-25T02:09:12Z"), ts("2026-11-25T02:47:30Z")
# 4818 data delay: an ingest job stuck behind a partition rebalance.
STUCK_JOB = "job_jn9u5oqhxle6"
STUCK_JOB_CREATED = ts("2026-11-24T22:00:00Z")
REBALANCE_START = ts("2026-11-24T22:04:51Z")
STUCK_PARTITION = "events-7"
# 4820 performance: Tessellate's reports slow down after a two-year backfill.
BACKFILL_STARTED = ts("2026-11-24T17:02:41Z")
SLOW_SINCE = ts("2026-11-24T17:35:00Z")
# 4821 integration: Slack's API returns 503 for deliveries from our notifier.
SLACK_503_SINCE = ts("2026-11-25T12:31:00Z")
SLACK_ACCOUNTS = [QUARRY, "acc_1004", "acc_1008", "acc_1012", "acc_1017", "acc_1023", "acc_1031", "acc_1040"]
# Steady background noise (all week, unrelated to any ticket).
WEBHOOK_ACCOUNTS = [COPPERLEAF, TESSELLATE, "acc_1019", "acc_1026", "acc_1035"]

OUTAGE_ACCOUNTS = [a[0] for a in ACCOUNTS if a[3] == "eu-west-1" and a[0] not in SCENARIO_ACCOUNTS and a[0] not in CANCELED] + [KESTREL]

# ---------------------------------------------------------------------------------------------
# The ten tickets
# ---------------------------------------------------------------------------------------------
AGENTS = ["Hannah Cole", "Marco Bianchi", "Priya Shah", "Liam O'Neill"]

TICKETS: list[dict[str, Any]] = [
    {
        "id": "4812", "created_at": "2026-11-24T08:14:22Z", "status": "open", "priority": "high",
        "subject": "Can't edit any dashboards - everything is read only??",
        "requester": ("Dana Whitfield", "dana.whitfield@northwind-logistics.com"),
        "organization": {"id": None, "name": None},
        "tags": ["dashboards", "editing"], "custom_fields": {"product_area": "dashboards", "plan": None},
        "channel": "email",
        "description": (
            "Hi,\n\nSince yesterday afternoon none of us can edit anything in Acme. Dashboards open fine but "
            "the Edit button is greyed out, and when I try to save a change to our Weekly Ops dashboard I get "
            "a red banner saying \"This workspace is read-only\". Same for my colleagues, so it's not just me. We haven't changed any settings on our side as far as I know.\n\nWe have our quarterly review "
            "with the board on Thursday and I need to update the fleet utilisation charts before then, so this "
            "is quite urgent for us.\n\nThanks,\nDana Whitfield\nHead of Operations | Northwind Logistics\n"
            "+44 20 7946 0321"
        ),
        "comments": [
            ("Hannah Cole", "2026-11-24T08:31:10Z", True,
             "Hi Dana, thanks for getting in touch - we're looking into this now and will come back to you shortly."),
            ("Hannah Cole", "2026-11-24T08:33:45Z", False,
             "Requester isn't linked to an org in the helpdesk (the email domain doesn't match any org). "
             "Need to find the account from her email before we can check anything."),
        ],
    },
    {
        "id": "4813", "created_at": "2026-11-24T10:05:31Z", "status": "open", "priority": "high",
        "subject": "CSV export broken - 500 error",
        "requester": ("Tom Okafor", "tom.okafor@brightlinedental.co.uk"),
        "organization": {"id": BRIGHTLINE, "name": "Brightline Dental Group"},
        "tags": ["exports", "csv"], "custom_fields": {"plan": "growth", "product_area": "exports"},
        "description": (
            "Hello,\n\nsince this morning every time I try to export the Treatment Revenue report to CSV I get "
            "\"Something went wrong. Please try again later. (500)\". I've tried maybe 10 times with different "
            "date ranges, same thing. Export to Excel still works weirdly enough, but our finance system only "
            "takes CSV. This was all working fine yesterday.\n\nThe error popup had this on it if it helps:\n"
            f"    Request ID: {REQ_4813}\n\nCould you have a look asap please, month end close is next week.\n\n"
            "Kind regards\nTom Okafor\nFinance Analyst, Brightline Dental Group"
        ),
        "comments": [
            ("Marco Bianchi", "2026-11-24T10:12:02Z", False,
             "Second CSV export complaint this morning (the other one came in via chat, no request id). "
             "Customer confirms XLSX works."),
        ],
    },
    {
        "id": "4814", "created_at": "2026-11-24T13:41:12Z", "status": "open", "priority": "urgent",
        "subject": "URGENT: dashboards not loading at all",
        "requester": ("Lena Brandt", "lena.brandt@kestrel-freight.de"),
        "organization": {"id": KESTREL, "name": "Kestrel Freight GmbH"},
        "tags": ["dashboards", "down"], "custom_fields": {"plan": "business", "product_area": "dashboards", "region": "EU"},
        "description": (
            "None of our dashboards are loading since about 20 minutes. The tiles just spin and then show "
            "\"Could not load data\", sometimes the whole page times out. We tried different browsers and "
            "office and home connections, same result.\n\nOur dispatch team uses the Live Fleet dashboard to "
            "plan the afternoon routes, this is blocking about 30 people right now. Please advise!!\n\n"
            "Lena Brandt\nLeitung Disposition, Kestrel Freight GmbH"
        ),
        "comments": [
            ("Priya Shah", "2026-11-24T13:46:30Z", False,
             "Two more EU customers on chat with spinning dashboards in the last 15 min. Pinged on-call in #incidents."),
            ("Priya Shah", "2026-11-24T13:48:02Z", True,
             "Hi Lena, thank you - we are aware that some customers in Europe cannot load dashboards right now "
             "and our engineers are working on it. We will update you here."),
        ],
    },
    {
        "id": "4815", "created_at": "2026-11-24T15:03:44Z", "status": "new", "priority": "normal",
        "subject": "Suddenly can't access Reports page",
        "requester": ("Alicia Moreno", "alicia.moreno@harborviewhealth.com"),
        "organization": {"id": HARBORVIEW, "name": "Harborview Health Partners"},
        "tags": ["reports", "permissions"], "custom_fields": {"plan": "business", "product_area": "reports"},
        "description": (
            "Hi there,\n\nwhen I open Reports I now get \"You don't have permission to view this page. Ask an "
            "admin of your workspace for access.\" I was working on the Q4 readmissions report yesterday "
            "morning with no problem at all. I can still see our dashboards.\n\nDid something change with "
            "permissions in your last update? I haven't changed anything.\n\nThanks,\nAlicia\n\n"
            "Alicia Moreno, MPH | Quality Analytics | Harborview Health Partners"
        ),
        "comments": [
            ("Alicia Moreno", "2026-11-24T15:20:05Z", True,
             "Also my colleague can still open Reports fine, so it seems to be just me?"),
        ],
    },
    {
        "id": "4816", "created_at": "2026-11-24T19:12:27Z", "status": "open", "priority": "urgent",
        "subject": "SSO login failing for everyone",
        "requester": ("Samuel Castillo", "samuel.castillo@lumenrobotics.com"),
        "organization": {"id": LUMEN, "name": "Lumen Robotics"},
        "tags": ["sso", "login", "okta"], "custom_fields": {"plan": "enterprise", "product_area": "authentication"},
        "description": (
            "Since around 1pm (EST) nobody at Lumen can sign in to Acme Metrics. We click \"Sign in with SSO\", "
            "go through Okta fine and then land back on your login page with:\n\n"
            "    Single sign-on failed: the SAML response could not be validated. (code: saml_invalid)\n\n"
            "People who were already logged in are still OK, but anyone whose session expired is locked out, "
            "and that's growing by the hour. Okta shows the sign-ins as successful on our side. Is something "
            "down on your end?\n\nSam"
        ),
        "comments": [
            ("Samuel Castillo", "2026-11-24T19:25:40Z", True,
             "Not sure if related but our IT team did some scheduled maintenance on Okta today."),
            ("Liam O'Neill", "2026-11-24T19:31:12Z", False,
             "Enterprise, SSO enforced. Nothing on status page. Checked two other SSO customers, they log in fine."),
        ],
    },
    {
        "id": "4817", "created_at": "2026-11-25T08:26:03Z", "status": "pending", "priority": "normal",
        "subject": "Nightly sync failing with 429 Too Many Requests",
        "requester": ("Ingrid Solberg", "ingrid.solberg@fjordline.no"),
        "organization": {"id": FJORDLINE, "name": "Fjordline Analytics AS"},
        "tags": ["api", "integration"], "custom_fields": {"plan": "growth", "product_area": "api"},
        "description": (
            "Hi,\n\nour nightly job that pulls dashboard data through your API (runs at 03:00 Oslo time) failed "
            "last night about 5 minutes in. The logs on our side are full of\n\n"
            "HTTP 429 Too Many Requests {\"error\":\"rate_limited\",\"message\":\"Rate limit exceeded. Retry after 12s.\"}\n\n"
            "We did not change the job itself, though we added a few new dashboards to the sync list yesterday. "
            "Is there a limit we are not aware of, and can it be raised? We are on the Growth plan. The client "
            "is our own Python service (fjordline-sync).\n\nBest regards,\nIngrid Solberg\nData Engineering, Fjordline"
        ),
        "comments": [
            ("Liam O'Neill", "2026-11-25T08:40:19Z", False,
             "Growth plan. Customer asks about raising the limit - confirm they are actually hitting it before "
             "we loop in their account manager."),
        ],
    },
    {
        "id": "4818", "created_at": "2026-11-25T09:30:02Z", "status": "open", "priority": "high",
        "subject": "Yesterday's data missing from dashboards",
        "requester": ("Owen Price", "owen.price@copperleaf-energy.co.uk"),
        "organization": {"id": COPPERLEAF, "name": "Copperleaf Energy"},
        "tags": ["data", "dashboards"], "custom_fields": {"plan": "business", "product_area": "ingestion"},
        "description": (
            "Morning,\n\nour Daily Generation dashboard shows nothing from yesterday evening onwards - the charts "
            "just stop at about 10pm, and today is empty too. Our meters are definitely still sending (checked "
            "with the site team, the uploader says everything was accepted).\n\nThis dashboard goes to our "
            "trading desk every morning so we need it back quickly. Is anything going on?\n\nOwen"
        ),
        "comments": [
            ("Owen Price", "2026-11-25T09:52:37Z", True,
             "To add: the 'Last updated' label on the dashboard says 22:04 yesterday."),
        ],
    },
    {
        "id": "4819", "created_at": "2026-11-25T11:18:40Z", "status": "new", "priority": "low",
        "subject": "Schedule weekly PDF report?",
        "requester": ("Rosa Delgado", "rosa.delgado@bluebirdbakeries.com"),
        "organization": {"id": BLUEBIRD, "name": "Bluebird Bakeries"},
        "tags": ["reports", "question"], "custom_fields": {"plan": "growth", "product_area": "reports"},
        "description": (
            "Hi!\n\nQuick question - how do I set up our Weekly Sales by Store report to be emailed as a PDF to my "
            "team every Monday morning? Right now I download the PDF myself every Monday and forward it to 6 "
            "people, which is a pain. I looked under Share but I only see the link option.\n\nWe're on the "
            "Growth plan if that matters. Thanks so much!\n\nRosa\n\nSent from my iPhone"
        ),
        "comments": [],
    },
    {
        "id": "4820", "created_at": "2026-11-25T14:02:55Z", "status": "open", "priority": "high",
        "subject": "Reports page extremely slow / timing out",
        "requester": ("Kevin Marsh", "kevin.marsh@tessellate-retail.com"),
        "organization": {"id": TESSELLATE, "name": "Tessellate Retail"},
        "tags": ["reports", "performance"], "custom_fields": {"plan": "enterprise", "product_area": "reports"},
        "description": (
            "Since yesterday afternoon our Reports page takes forever. Running the \"Store performance - YoY\" "
            "report takes 30-40 seconds when it used to take 2-3, and about half the time it ends with \"The "
            "request timed out\". Our merchandising team has 15 people in there all day, so this is a big "
            "productivity hit.\n\nNot sure if relevant, our data team has been loading some historical data "
            "this week.\n\nKevin Marsh\nDirector, BI & Analytics"
        ),
        "comments": [
            ("Marco Bianchi", "2026-11-25T14:15:48Z", False,
             "Enterprise account. Other customers' reports load normally for me; only Tessellate seems affected."),
        ],
    },
    {
        "id": "4821", "created_at": "2026-11-25T17:05:19Z", "status": "new", "priority": "normal",
        "subject": "Slack alerts stopped",
        "requester": ("Jess Huang", "jess.huang@quarryandpine.com"),
        "organization": {"id": QUARRY, "name": "Quarry & Pine Outfitters"},
        "tags": ["slack", "notifications"], "custom_fields": {"plan": "growth", "product_area": "alerts"},
        "description": (
            "Hey team,\n\nour Slack alerts from Acme (the #inventory-alerts channel) stopped coming through at some "
            "point today. The last one I can see in Slack is from around 7:30 this morning. Email alerts still "
            "arrive fine. We haven't touched the Slack integration.\n\nI tried \"Send test message\" in "
            "Settings > Integrations and it spins and then says \"Delivery failed, we'll retry\". Can you check?\n\nJess"
        ),
        "comments": [
            ("Jess Huang", "2026-11-25T17:20:02Z", True, "PS we're on US Eastern time."),
        ],
    },
]

# Intended root cause and the evidence a correct investigator must cite (-> expected.yaml, README).
EXPECTED: dict[str, dict[str, Any]] = {
    "4812": {
        "category": "billing",
        "root_cause": "Card declined (insufficient funds) on the November invoice three times; after the "
                      "third attempt the account went past_due and read-only (403 ERR_ACCOUNT_PAST_DUE).",
        "decisive": [
            ("invoices", "invoice", NW_INVOICE),
            ("charges", "charge", NW_ATTEMPTS[2][0]),
            ("db", "subscription", NW_SUBSCRIPTION),
            ("logs", "log_pattern", "ERR_ACCOUNT_PAST_DUE"),
        ],
    },
    "4813": {
        "category": "bug",
        "root_cause": "Regression in api v2.14.0 (export serializer refactor): CSV exports of DECIMAL "
                      "columns fail with ERR_EXPORT_SERIALIZE since the deploy; tracked as BUG-231.",
        "decisive": [
            ("logs", "log_pattern", "ERR_EXPORT_SERIALIZE"),
            ("deploys", "deploy", "v2.14.0"),
            ("bugs", "issue", "BUG-231"),
        ],
    },
    "4814": {
        "category": "outage",
        "root_cause": "Regional outage: the eu-west-1 query engine became unavailable, giving 502 "
                      "ERR_UPSTREAM_UNAVAILABLE for many accounts; APIHighErrorRate is firing.",
        "decisive": [
            ("alerts", "alert", "APIHighErrorRate"),
            ("logs", "log_pattern", "ERR_UPSTREAM_UNAVAILABLE"),
        ],
    },
    "4815": {
        "category": "access",
        "root_cause": "A workspace admin (greg.tanaka@) changed the requester's role from editor to viewer "
                      "during an access review; Reports needs editor, so the API answers 403 ERR_PERMISSION_DENIED.",
        "decisive": [
            ("db", "db_row", "user.role_changed"),
            ("logs", "log_pattern", "ERR_PERMISSION_DENIED"),
        ],
    },
    "4816": {
        "category": "configuration",
        "root_cause": "The customer's admin replaced the IdP signing certificate in Acme's SSO settings before "
                      "Okta started signing with it; every SAML response fails ERR_SAML_SIGNATURE_INVALID.",
        "decisive": [
            ("db", "db_row", "sso.settings.updated"),
            ("logs", "log_pattern", "ERR_SAML_SIGNATURE_INVALID"),
        ],
    },
    "4817": {
        "category": "configuration",
        "root_cause": "The customer's nightly sync (fjordline-sync) now sends more than the Growth plan's "
                      "600 requests/min and gets 429 ERR_RATE_LIMITED; not a platform fault.",
        "decisive": [
            ("logs", "log_pattern", "ERR_RATE_LIMITED"),
            ("db", "customer", FJORDLINE),
        ],
    },
    "4818": {
        "category": "data",
        "root_cause": "The account's ingest job has been stuck in 'running' since 22:00 UTC because partition "
                      "events-7 never finished a consumer-group rebalance; data lag (ERR_INGEST_LAG) grows.",
        "decisive": [
            ("db", "db_row", STUCK_JOB),
            ("logs", "log_pattern", "ERR_INGEST_LAG"),
            ("logs", "log_pattern", "partition rebalance stuck"),
        ],
    },
    "4819": {
        "category": "user_error",
        "root_cause": "How-to question: scheduled PDF delivery is set up under Reports > Schedule (Growth "
                      "plan includes it). Account healthy, subscription active, no errors.",
        "decisive": [
            ("db", "customer", BLUEBIRD),
        ],
    },
    "4820": {
        "category": "performance",
        "root_cause": "Report queries for this account scan billions of rows since their two-year backfill; "
                      "they run 25-60 s (slow query) and the gateway cuts them at 30 s (504 ERR_QUERY_TIMEOUT). "
                      "No platform alert; other accounts are fast.",
        "decisive": [
            ("logs", "log_pattern", "ERR_QUERY_TIMEOUT"),
            ("logs", "log_pattern", "slow query"),
        ],
    },
    "4821": {
        "category": "integration",
        "root_cause": "Slack's API has been returning 503 to our notifier since 12:31 UTC for several "
                      "accounts (ERR_SLACK_UPSTREAM); third-party failure, no notifier deploy involved.",
        "decisive": [
            ("logs", "log_pattern", "ERR_SLACK_UPSTREAM"),
        ],
    },
}

# ---------------------------------------------------------------------------------------------
# Bug tracker, alerts and deploys (static tables)
# ---------------------------------------------------------------------------------------------
BUGS = [
    # key, title, status, component, created, updated, labels, fix_version, error_signature, description
    ("BUG-204", "Dashboard tile tooltips are cut off in Safari 18", "closed", "web", "2026-09-29T10:12:00Z", "2026-10-14T16:40:00Z",
     ["ui", "safari"], "v5.6.0", None, "Tooltips on narrow tiles overflow the tile and are clipped by the grid in Safari 18 only."),
    ("BUG-207", "Scheduled reports sent twice after the DST change", "closed", "scheduler", "2026-10-27T08:05:00Z", "2026-11-03T11:20:00Z",
     ["reports", "scheduling"], "v2.12.3", None, "Schedules whose next run falls in the repeated hour fire twice. Fixed by storing next_run in UTC."),
    ("BUG-212", "XLSX export truncates cells longer than 32,767 characters", "open", "exports", "2026-10-30T14:22:00Z", "2026-11-18T09:03:00Z",
     ["exports", "xlsx"], None, "ERR_XLSX_CELL_LIMIT", "Excel's cell limit is hit by long JSON columns; we silently truncate instead of warning the user."),
    ("BUG-215", "Webhook deliveries retried forever for endpoints returning 410 Gone", "in_progress", "worker", "2026-11-02T09:40:00Z", "2026-11-21T13:15:00Z",
     ["webhooks", "noise"], "v4.8.0", "ERR_WEBHOOK_DELIVERY_RETRY", "Endpoints that were deleted on the customer side keep being retried with backoff; this is the steady ERR_WEBHOOK_DELIVERY_RETRY noise in worker logs."),
    ("BUG-216", "Cron cleanup cannot delete export files still referenced by share links", "open", "worker", "2026-11-04T15:02:00Z", "2026-11-10T10:30:00Z",
     ["cron", "storage"], None, "ERR_CLEANUP_PARTIAL", "The hourly cleanup job logs a warning every run for files pinned by old share links. Harmless, but noisy."),
    ("BUG-219", "Scheduled PDF reports render blank charts when a dashboard has more than 20 tiles", "open", "reports", "2026-11-06T11:47:00Z", "2026-11-20T17:12:00Z",
     ["reports", "pdf", "scheduling"], None, "ERR_PDF_RENDER_TIMEOUT", "The headless renderer times out before lazy tiles load; small dashboards are unaffected."),
    ("BUG-221", "Login page 'Remember me' checkbox ignored after a password reset", "open", "web", "2026-11-09T13:30:00Z", "2026-11-19T08:55:00Z",
     ["login", "ui"], None, None, "After resetting a password the session cookie is issued without the long expiry. Password logins only; SSO is not affected."),
    ("BUG-223", "X-RateLimit-Remaining header missing on 429 responses", "closed", "api", "2026-11-10T10:00:00Z", "2026-11-20T14:35:00Z",
     ["api", "rate-limit"], "v2.13.2", "ERR_RATE_LIMITED", "Clients could not back off correctly because 429 responses lacked the rate limit headers. Fixed in v2.13.2."),
    ("BUG-225", "Slack messages lose formatting for dashboard names with emoji", "open", "notifier", "2026-11-12T16:20:00Z", "2026-11-17T09:45:00Z",
     ["slack", "notifications"], None, None, "Block kit text is double-escaped when the dashboard name contains emoji; messages are still delivered."),
    ("BUG-226", "CSV uploads with a byte order mark produce an empty first column name", "in_progress", "ingest", "2026-11-13T09:18:00Z", "2026-11-24T12:02:00Z",
     ["ingest", "csv"], "v1.22.4", None, "Files saved by Excel as 'CSV UTF-8' start with a BOM that ends up in the header."),
    ("BUG-228", "Role dropdown shows 'Editor' for viewers until the page is refreshed", "open", "web", "2026-11-16T14:41:00Z", "2026-11-16T14:41:00Z",
     ["permissions", "ui"], None, None, "Cosmetic: the members page caches the role list; the effective permission is correct."),
    ("BUG-229", "Reports query builder ignores the workspace time zone for 'Last 7 days'", "closed", "reports", "2026-11-17T10:05:00Z", "2026-11-21T15:50:00Z",
     ["reports", "timezone"], "v2.13.2", None, "Relative ranges were computed in UTC."),
    ("BUG-230", "SAML metadata upload rejects certificates with Windows line endings", "open", "auth", "2026-11-18T12:12:00Z", "2026-11-18T12:12:00Z",
     ["sso", "saml"], None, "ERR_SAML_METADATA_INVALID", "Uploading an IdP metadata XML saved with CRLF fails validation at upload time with ERR_SAML_METADATA_INVALID."),
    ("BUG-231", "CSV export 500s on DECIMAL columns after v2.14.0", "open", "exports", "2026-11-24T09:12:00Z", "2026-11-24T11:40:00Z",
     ["regression", "exports", "customer-impact"], "v2.14.1", "ERR_EXPORT_SERIALIZE",
     "Since the export serializer refactor in api v2.14.0, CSV exports of any report containing a DECIMAL(38,4) column fail with HTTP 500 and "
     "ERR_EXPORT_SERIALIZE: cannot serialize column of type DECIMAL(38,4). XLSX and PDF are not affected. Workaround: export as XLSX."),
    ("BUG-232", "Dashboard list loads slowly for workspaces with more than 500 dashboards", "open", "web", "2026-11-20T09:33:00Z", "2026-11-23T10:20:00Z",
     ["performance", "dashboards"], None, None, "The list endpoint is not paginated in the UI; the page takes 6-8 s for very large workspaces."),
]

ALERTS = [
    # alertname, status, severity, service, region, startsAt, endsAt, summary, expr
    ("CertificateExpiringSoon", "resolved", "warning", "auth", "us-east-1", "2026-11-18T09:00:00Z", "2026-11-19T14:20:00Z",
     "TLS certificate for sso.acme-metrics.example expires in 13 days", "probe_ssl_earliest_cert_expiry - time() < 14*86400"),
    ("APIHighErrorRate", "resolved", "warning", "api", "us-east-1", "2026-11-19T16:02:00Z", "2026-11-19T16:09:00Z",
     "api 5xx error rate 6.1% (threshold 5%) in us-east-1", "sum(rate(http_requests_total{service=\"api\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{service=\"api\"}[5m])) > 0.05"),
    ("PodCrashLooping", "resolved", "warning", "notifier", "eu-west-1", "2026-11-20T10:07:00Z", "2026-11-20T10:21:00Z",
     "notifier-7c9d4 restarted 4 times in 10 minutes", "increase(kube_pod_container_status_restarts_total{container=\"notifier\"}[10m]) > 3"),
    ("APIHighLatency", "resolved", "warning", "api", "us-east-1", "2026-11-20T15:12:00Z", "2026-11-20T15:31:00Z",
     "api p95 latency 2.8s (threshold 2s) in us-east-1", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service=\"api\"}[5m]))) > 2"),
    ("HighMemoryUsage", "resolved", "warning", "ingest", "eu-west-1", "2026-11-21T19:40:00Z", "2026-11-21T20:15:00Z",
     "ingest-eu-2 memory at 91% of limit", "container_memory_working_set_bytes{container=\"ingest\"} / container_spec_memory_limit_bytes > 0.9"),
    ("SMTPDeliveryErrors", "resolved", "warning", "notifier", "us-east-1", "2026-11-21T14:00:00Z", "2026-11-21T14:25:00Z",
     "email provider returned 4xx for 3.2% of sends", "rate(notifier_email_failures_total[10m]) / rate(notifier_email_sent_total[10m]) > 0.02"),
    ("DiskSpaceLow", "resolved", "warning", "worker", "us-east-1", "2026-11-22T03:10:00Z", "2026-11-22T04:55:00Z",
     "worker-us-3 /var/lib/worker 92% full", "node_filesystem_avail_bytes{mountpoint=\"/var/lib/worker\"} / node_filesystem_size_bytes < 0.1"),
    ("IngestConsumerLag", "resolved", "warning", "ingest", "us-east-1", "2026-11-22T06:15:00Z", "2026-11-22T06:40:00Z",
     "consumer group ingest-us-east-1 lag above 500k messages", "sum(kafka_consumergroup_lag{group=\"ingest-us-east-1\"}) > 500000"),
    ("RedisReplicationLag", "resolved", "warning", "api", "us-east-1", "2026-11-22T11:02:00Z", "2026-11-22T11:09:00Z",
     "redis-api-us replica 14s behind primary", "redis_replication_lag_seconds > 10"),
    ("QueueBacklogHigh", "resolved", "warning", "worker", "us-east-1", "2026-11-23T02:00:00Z", "2026-11-23T02:40:00Z",
     "worker queue 'default' backlog 12,400 jobs", "sum(worker_queue_depth{queue=\"default\"}) > 10000"),
    ("CronJobFailed", "resolved", "info", "worker", "eu-west-1", "2026-11-23T04:05:00Z", "2026-11-23T05:05:00Z",
     "cron job 'cleanup' finished with warnings 3 times in a row", "increase(cron_job_warnings_total{job=\"cleanup\"}[3h]) >= 3"),
    ("BillingSyncStale", "resolved", "warning", "billing-sync", "us-east-1", "2026-11-23T09:40:00Z", "2026-11-23T11:05:00Z",
     "no Stripe events processed for 45 minutes", "time() - billing_sync_last_event_timestamp_seconds > 2700"),
    ("APIHighErrorRate", "firing", "critical", "api", "eu-west-1", "2026-11-24T13:21:30Z", None,
     "api 5xx error rate 23.4% (threshold 5%) in eu-west-1", "sum(rate(http_requests_total{service=\"api\",code=~\"5..\"}[5m])) / sum(rate(http_requests_total{service=\"api\"}[5m])) > 0.05"),
]
ALERTS_SNAPSHOT = "2026-11-24T13:45:00Z"  # alerts.json was exported during the 4814 incident

DEPLOYS = [
    # service, version, deployed_at, author, commit, changelog
    ("auth", "v3.4.1", "2026-11-19T10:15:20Z", "m.okonkwo", "4be91c2", "Refresh SAML metadata cache every 10 minutes instead of hourly"),
    ("worker", "v4.7.0", "2026-11-19T13:40:05Z", "s.lindgren", "a03f7d9", "Move scheduled report rendering to the new PDF queue"),
    ("notifier", "v2.3.0", "2026-11-20T10:05:44Z", "j.alvarez", "c71e2b8", "Batch Slack messages per channel; retry with jitter"),
    ("ingest", "v1.22.3", "2026-11-20T11:20:31Z", "t.brennan", "e5d0a14", "Raise max batch size to 50k rows for CSV uploads"),
    ("api", "v2.13.2", "2026-11-20T14:30:12Z", "r.chaudhry", "9f2c6e1", "Add X-RateLimit-* headers to 429 responses; fix reports time zone for relative ranges"),
    ("web", "v5.8.0", "2026-11-20T16:05:58Z", "a.kim", "1d8b3f0", "New report builder sidebar behind feature flag"),
    ("web", "v5.8.1", "2026-11-23T09:30:17Z", "a.kim", "7c4e9a2", "Fix date picker overlapping tiles on small screens"),
    ("billing-sync", "v1.9.0", "2026-11-23T11:00:49Z", "p.haddad", "b6a1f53", "Process invoice.payment_failed events every 5 minutes instead of 15"),
    ("web", "v5.8.2", "2026-11-23T16:10:03Z", "l.fischer", "3e9d7b4", "Lazy-load dashboard tiles below the fold"),
    ("api", "v2.14.0", "2026-11-24T07:42:10Z", "r.chaudhry", "f4a8c3d", "Export serializer refactor: stream CSV/XLSX through the new columnar writer, drop the legacy pandas path"),
    ("auth", "v3.4.2", "2026-11-24T10:30:36Z", "m.okonkwo", "82d5e0f", "Rate-limit password reset emails per address"),
    ("ingest", "v1.22.4-rc1", "2026-11-24T12:15:09Z", "t.brennan", "0c6b9e7", "Canary in us-east-1 only: strip UTF-8 BOM from CSV headers"),
    ("web", "v5.9.0", "2026-11-25T10:00:27Z", "a.kim", "5a2f8c1", "New onboarding checklist for trial workspaces"),
    ("worker", "v4.7.1", "2026-11-25T15:20:54Z", "s.lindgren", "d9e3b70", "Bump PDF renderer to Chromium 131"),
    ("billing-sync", "v1.9.1", "2026-11-25T16:45:13Z", "p.haddad", "6f1a2d8", "Log Stripe request ids on sync failures"),
]

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------
NAME_POOLS = {
    "en": (
        "Olivia James Amelia Noah Daniel Grace Marcus Aisha Ethan Chloe Leo Maya Connor Fiona Ibrahim Zoe Patrick "
        "Nadia Ryan Sophie Tariq Megan Oscar Rebecca Wei Jasmine Callum Elena Devon Harriet Luis Naomi Raj Abigail "
        "Kwame Isla Bethany Joel Anika Graham".split(),
        "Patel Hughes Brennan Collins Nguyen Foster Whitaker Adeyemi Kowalski Murphy Sinclair Chen Doyle Ramirez "
        "Fletcher Osei Gallagher Harper Lindsay Mistry Caldwell O'Brien Rahman Sutton Townsend Walsh Yates Bishop "
        "Delaney Kaur Ellison Park Quinn Haddad Moss".split(),
    ),
    "de": (
        "Jonas Lukas Anna Katharina Felix Miriam Tobias Sabine Jürgen Lea Matthias Carina Stefan Johanna".split(),
        "Schmidt Wagner Becker Hoffmann Krüger Schäfer Neumann Vogel Lorenz Richter Weiß Hartmann".split(),
    ),
    "nordic": (
        "Sindre Kari Magnus Sigrid Henrik Astrid Eirik Ingeborg Jens Freja Lars Maja Søren Tuva".split(),
        "Hansen Johansen Berg Lund Nilsson Lindqvist Eriksen Dahl Holm Østergaard Andersson Bakke".split(),
    ),
    "fr": (
        "Camille Julien Élodie Antoine Margaux Thomas Inès Hugo Léa Mathieu".split(),
        "Laurent Moreau Girard Fontaine Rousseau Lefèvre Mercier Dubois".split(),
    ),
    "nl": (
        "Sanne Daan Lotte Bram Femke Joris Anouk Ruben Maarten Eva".split(),
        "de Vries|Jansen|Bakker|Visser|Smit|van Dijk|Mulder|de Boer".split("|"),
    ),
}
TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "o", "å": "a", "æ": "ae",
                          "é": "e", "è": "e", "ë": "e", "ï": "i", "É": "E", "Ø": "O"})
BROWSER_UAS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
]
DASHBOARD_TITLES = [  # generic; the industry-specific ones the tickets name are set in fix_scenario_assets
    "Weekly Ops", "Revenue Overview", "Churn Cohorts", "Marketing Funnel", "Support SLA", "Inventory Levels",
    "Exec Summary", "Pipeline by Region", "Web Traffic", "Cash Position", "Headcount Plan", "Customer Health",
    "Monthly Board Pack", "Regional Sales", "Cost Centres", "Campaign ROI", "Q4 Targets", "Ops Daily",
]
DECIMAL_COLUMNS = ["net_revenue", "amount_gbp", "unit_price", "treatment_fee", "balance_due", "margin_pct"]
ENDPOINTS = [
    # method, path template, weight, median duration (ms)
    ("GET", "/api/v2/dashboards/{dsh}", 18, 95),
    ("GET", "/api/v2/dashboards/{dsh}/tiles/{tile}/data", 30, 210),
    ("PUT", "/api/v2/dashboards/{dsh}", 3, 130),
    ("POST", "/api/v2/dashboards/{dsh}/tiles", 1, 160),
    ("GET", "/api/v2/reports", 6, 70),
    ("GET", "/api/v2/reports/{rpt}", 5, 85),
    ("POST", "/api/v2/reports/query", 8, 1300),
    ("PATCH", "/api/v2/reports/{rpt}", 1.5, 120),
    ("GET", "/api/v2/metrics/query", 9, 260),
    ("POST", "/api/v2/exports", 2, 850),
    ("GET", "/api/v2/exports/{exp}", 1.5, 55),
    ("GET", "/api/v2/users/me", 6, 22),
    ("GET", "/api/v2/alerts/rules", 2, 40),
    ("GET", "/api/v2/schedules", 1, 45),
]
# Steady api noise: per hour, level, msg, method, path, status, error_code, duration range (ms)
API_NOISE = [
    (2.2, "warning", "client closed request before response was sent", "GET", "/api/v2/dashboards/{dsh}/tiles/{tile}/data", 499, "ERR_CLIENT_DISCONNECTED", (4000, 20000)),
    (0.9, "info", "request completed", "GET", "/api/v2/users/me", 401, "ERR_TOKEN_EXPIRED", (3, 15)),
    (0.25, "warning", "403 forbidden: role does not allow this action", "PUT", "/api/v2/dashboards/{dsh}", 403, "ERR_PERMISSION_DENIED", (5, 30)),
    (0.2, "error", "unhandled exception: KeyError: 'granularity'", "GET", "/api/v2/metrics/query", 500, "ERR_INTERNAL", (20, 300)),
]
WEB_PAGES = ["/dashboards/{dsh}", "/dashboards/{dsh}", "/dashboards", "/reports", "/reports/{rpt}", "/exports",
             "/settings/members", "/settings/integrations", "/alerts", "/home"]
ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits
# fmt: on


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def streams() -> dict[str, random.Random]:
    """One independent random stream per file family, all derived from random.Random(SEED)."""
    master = random.Random(SEED)
    names = (
        "world",
        "billing",
        "jobs",
        "audit",
        "api",
        "worker",
        "auth",
        "notifier",
        "web",
        "ingest",
    )
    return {name: random.Random(master.getrandbits(64)) for name in names}


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def at(t: datetime, seconds: float = 0.0) -> datetime:
    """t + seconds, truncated to the millisecond (so sorting by datetime == sorting by text)."""
    return t + timedelta(milliseconds=int(seconds * 1000))


def ident(rng: random.Random, prefix: str, n: int, alphabet: str = ALNUM) -> str:
    return prefix + "".join(rng.choice(alphabet) for _ in range(n))


def req_id(rng: random.Random) -> str:
    return "req_" + "".join(rng.choice("0123456789abcdef") for _ in range(20))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    t = start
    while t < end:
        yield t
        t += timedelta(hours=1)


def activity(region: str, t: datetime) -> float:
    lo, hi = BUSINESS_HOURS_UTC[region]
    level = 1.0 if lo <= t.hour < hi else 0.12
    return level * (0.25 if t.weekday() >= 5 else 1.0)


def spread(rng: random.Random, start: datetime, end: datetime, per_hour: float) -> list[datetime]:
    """Random event times between start and end at about per_hour events an hour."""
    out, t = [], start
    while per_hour > 0:
        t = at(t, rng.expovariate(per_hour / 3600))
        if t >= end:
            break
        out.append(t)
    return out


def latency(rng: random.Random, median_ms: float) -> int:
    return max(3, int(rng.lognormvariate(math.log(median_ms), 0.45)))


def email_local(first: str, last: str, style: str) -> str:
    def clean(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.translate(TRANSLIT).lower())

    if style == "flast":
        return clean(first)[0] + clean(last)
    if style == "first":
        return clean(first)
    return f"{clean(first)}.{clean(last)}"


# ---------------------------------------------------------------------------------------------
# The world model
# ---------------------------------------------------------------------------------------------
@dataclass
class User:
    id: str
    account_id: str
    email: str
    name: str
    role: str
    status: str
    last_login_at: str | None
    user_agent: str


@dataclass
class Account:
    id: str
    name: str
    domain: str
    region: str
    plan: str
    created_at: datetime
    status: str
    customer_id: str
    subscription_id: str
    currency: str
    price_cents: int
    users: list[User] = field(default_factory=list)
    dashboards: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    reports: list[tuple[str, str]] = field(default_factory=list)

    @property
    def active_users(self) -> list[User]:
        return [u for u in self.users if u.status == "active" and not u.name.endswith("(service)")]

    @property
    def owner(self) -> User:
        return next(u for u in self.users if u.role == "owner")

    @property
    def admins(self) -> list[User]:
        return [u for u in self.users if u.role in ("owner", "admin") and u.status == "active"]

    @property
    def traffic(self) -> float:
        return 0.0 if self.status == "canceled" else PLAN_TRAFFIC[self.plan]

    @property
    def rate_limit(self) -> int:
        return PLAN_RATE_LIMIT[self.plan]


@dataclass
class World:
    accounts: list[Account]
    by_id: dict[str, Account]
    users: dict[str, User]
    invoices: list[dict[str, Any]] = field(default_factory=list)
    charges: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    def user_by_email(self, email: str) -> User:
        return next(u for u in self.users.values() if u.email == email)


def build_world(rng: random.Random) -> World:
    accounts: list[Account] = []
    taken = {email for *_, email, _ in KEY_PEOPLE}
    for acc_id, name, domain, region, plan, created, style, pool in ACCOUNTS:
        currency = (
            "usd"
            if region == "us-east-1"
            else ("gbp" if domain.endswith((".uk", ".com")) else "eur")
        )
        price = PLAN_PRICE_CENTS.get(plan) or rng.choice([420000, 575000, 690000, 880000])
        status = (
            "canceled" if acc_id in CANCELED else "trialing" if acc_id in TRIALING else "active"
        )
        if acc_id == NORTHWIND:
            status = "past_due"
        acc = Account(
            id=acc_id,
            name=name,
            domain=domain,
            region=region,
            plan=plan,
            created_at=ts(
                created
                + "T"
                + f"{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
            ),
            status=status,
            customer_id=NW_CUSTOMER if acc_id == NORTHWIND else ident(rng, "cus_", 14),
            subscription_id=NW_SUBSCRIPTION if acc_id == NORTHWIND else ident(rng, "sub_", 14),
            currency=currency,
            price_cents=price,
        )
        add_users(rng, acc, style, pool, taken)
        titles = rng.sample(DASHBOARD_TITLES, rng.randrange(3, 9))
        acc.dashboards = [(ident(rng, "dsh_", 8, LOWER), t) for t in titles]
        acc.reports = [
            (ident(rng, "rpt_", 8, LOWER), t)
            for t in rng.sample(DASHBOARD_TITLES, rng.randrange(2, 6))
        ]
        accounts.append(acc)
    fix_scenario_assets(accounts)
    users = {u.id: u for a in accounts for u in a.users}
    return World(accounts=accounts, by_id={a.id: a for a in accounts}, users=users)


def add_users(rng: random.Random, acc: Account, style: str, pool: str, taken: set[str]) -> None:
    for acc_id, user_id, name, email, role in KEY_PEOPLE:
        if acc_id == acc.id:
            acc.users.append(
                User(user_id, acc.id, email, name, role, "active", None, rng.choice(BROWSER_UAS))
            )
    firsts, lasts = NAME_POOLS[pool]
    target = max(len(acc.users) + 1, rng.randrange(2, 7))
    while len(acc.users) < target:
        first, last = rng.choice(firsts), rng.choice(lasts)
        email = f"{email_local(first, last, style)}@{acc.domain}"
        if email in taken:
            continue
        taken.add(email)
        has_owner = any(u.role == "owner" for u in acc.users)
        role = (
            "owner" if not has_owner else rng.choices(["admin", "editor", "viewer"], [1, 4, 3])[0]
        )
        status = "active"
        if role != "owner" and acc.id not in SCENARIO_ACCOUNTS:
            status = rng.choices(["active", "invited", "deactivated"], [12, 2, 1])[0]
        acc.users.append(
            User(ident(rng, "usr_", 10, LOWER), acc.id, email, f"{first} {last}", role, status,
                 None, rng.choice(BROWSER_UAS))
        )  # fmt: skip
    for u in acc.users:
        if u.status == "active":
            u.last_login_at = iso(SNAPSHOT - timedelta(seconds=rng.randrange(3600, 9 * 86400)))
        elif u.status == "deactivated":
            u.last_login_at = iso(
                ts("2026-10-01T00:00:00Z") + timedelta(seconds=rng.randrange(0, 40 * 86400))
            )
    if acc.status == "canceled":
        for u in acc.users:
            u.last_login_at = iso(
                ts("2026-10-20T00:00:00Z") + timedelta(seconds=rng.randrange(0, 10 * 86400))
            )


def fix_scenario_assets(accounts: list[Account]) -> None:
    """Names and last logins the ticket stories refer to."""
    by_id = {a.id: a for a in accounts}
    named = {
        NORTHWIND: "Weekly Ops",
        BRIGHTLINE: "Treatment Revenue",
        KESTREL: "Live Fleet",
        COPPERLEAF: "Daily Generation",
        BLUEBIRD: "Weekly Sales by Store",
        TESSELLATE: "Store Performance",
    }
    for acc_id, title in named.items():
        acc = by_id[acc_id]
        if title not in [t for _, t in acc.dashboards]:
            acc.dashboards[0] = (acc.dashboards[0][0], title)
        if title not in [t for _, t in acc.reports]:
            acc.reports[0] = (acc.reports[0][0], title)
    logins = {
        DANA: "2026-11-24T08:02:51Z",
        TOM: "2026-11-24T08:36:10Z",
        LENA: "2026-11-24T12:58:03Z",
        ALICIA: "2026-11-24T13:38:44Z",
        GREG: "2026-11-24T14:10:27Z",
        SAMUEL: "2026-11-23T14:20:09Z",
        RAVI: "2026-11-24T17:41:15Z",
        INGRID: "2026-11-25T07:58:30Z",
        FJORD_SYNC: "2026-11-25T02:05:00Z",
        OWEN: "2026-11-25T09:11:48Z",
        ROSA: "2026-11-25T11:01:22Z",
        KEVIN: "2026-11-25T13:47:09Z",
        JESS: "2026-11-25T16:49:33Z",
    }
    for acc in accounts:
        for u in acc.users:
            if u.id in logins:
                u.last_login_at = logins[u.id]
            elif (
                acc.id == LUMEN and u.status == "active"
            ):  # nobody at Lumen got in after the SSO change
                u.last_login_at = iso(
                    ts("2026-11-24T13:00:00Z") + timedelta(minutes=len(u.email) * 7)
                )


def scenario_dashboard(acc: Account, title: str) -> str:
    return next(d for d, t in acc.dashboards if t == title)


def scenario_report(acc: Account, title: str) -> str:
    return next(r for r, t in acc.reports if t == title)


# ---------------------------------------------------------------------------------------------
# Billing: invoices.jsonl and charges.csv
# ---------------------------------------------------------------------------------------------
def build_billing(rng: random.Random, world: World) -> None:
    for acc in world.accounts:
        if acc.status == "trialing":
            continue
        day = min(acc.created_at.day, 28)
        if acc.id == NORTHWIND:
            day = NW_INVOICE_CREATED.day
        for month in range(6, 12):
            created = datetime(
                2026, month, day, 15, rng.randrange(60), rng.randrange(60), tzinfo=UTC
            )
            if acc.id == NORTHWIND and month == 11:
                created = NW_INVOICE_CREATED
            if created < acc.created_at or created > SNAPSHOT:
                continue
            if acc.id in CANCELED and created > ts(CANCELED[acc.id]):
                continue
            add_invoice(rng, world, acc, created)
    world.invoices.sort(key=lambda i: (i["created"], i["id"]))
    world.charges.sort(key=lambda c: (c["created"], c["id"]))


def add_invoice(rng: random.Random, world: World, acc: Account, created: datetime) -> None:
    period_end = (created + timedelta(days=32)).replace(day=created.day)
    inv = {
        "id": NW_INVOICE
        if (acc.id == NORTHWIND and created == NW_INVOICE_CREATED)
        else ident(rng, "in_", 14),
        "object": "invoice",
        "customer": acc.customer_id,
        "account_id": acc.id,
        "subscription": acc.subscription_id,
        "status": "paid",
        "amount_due": acc.price_cents,
        "amount_paid": acc.price_cents,
        "currency": acc.currency,
        "attempt_count": 1,
        "last_payment_error": None,
        "created": iso(created),
        "period_start": iso(created),
        "period_end": iso(period_end),
        "next_payment_attempt": None,
        "hosted_invoice_url": "https://invoice.stripe.example/i/acct_1AcmeMetrics/"
        + ident(rng, "live_", 24),
    }
    attempts: list[tuple[str, datetime, str | None]] = []  # (charge id, time, failure)
    first = at(created, 3600 + rng.randrange(0, 120))
    if inv["id"] == NW_INVOICE:
        inv.update(status="open", amount_paid=0, attempt_count=3, last_payment_error=NW_DECLINE)
        attempts = [(cid, t, NW_DECLINE) for cid, t in NW_ATTEMPTS]
    elif (
        acc.id == "acc_1035" and created.month == 11
    ):  # near miss: expired card, paid after an update
        inv.update(attempt_count=2, last_payment_error="expired_card: Your card has expired.")
        attempts = [
            (ident(rng, "ch_3", 23), first, "expired_card: Your card has expired."),
            (ident(rng, "ch_3", 23), ts("2026-11-25T09:12:44Z"), None),
        ]
    elif acc.id in CANCELED and created.month == 10:  # the churned account's last invoice
        inv.update(
            status="uncollectible",
            amount_paid=0,
            attempt_count=4,
            last_payment_error="card_declined: Your card was declined.",
        )
        attempts = [
            (
                ident(rng, "ch_3", 23),
                first + timedelta(days=3 * i),
                "card_declined: Your card was declined.",
            )
            for i in range(4)
        ]
    else:
        attempts = [(ident(rng, "ch_3", 23), first, None)]
    if acc.id == "acc_1027" and created.month == 9:  # a duplicate invoice that finance voided
        void = dict(
            inv,
            id=ident(rng, "in_", 14),
            status="void",
            amount_paid=0,
            attempt_count=0,
            hosted_invoice_url="https://invoice.stripe.example/i/acct_1AcmeMetrics/"
            + ident(rng, "live_", 24),
        )
        world.invoices.append(void)
    world.invoices.append(inv)
    for cid, t, failure in attempts:
        code, _, message = (failure or "::").partition(": ")
        world.charges.append(
            {
                "id": cid,
                "customer": acc.customer_id,
                "account_id": acc.id,
                "invoice": inv["id"],
                "amount": acc.price_cents,
                "currency": acc.currency,
                "status": "failed" if failure else "succeeded",
                "failure_code": code if failure else "",
                "failure_message": message if failure else "",
                "created": iso(t),
            }
        )


def write_billing(world: World) -> None:
    folder = HERE / "billing"
    folder.mkdir()
    with (folder / "invoices.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for inv in world.invoices:
            f.write(json.dumps(inv, ensure_ascii=False) + "\n")
    with (folder / "charges.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(
            f,
            fieldnames=[
                "id",
                "customer",
                "account_id",
                "invoice",
                "amount",
                "currency",
                "status",
                "failure_code",
                "failure_message",
                "created",
            ],
            lineterminator="\n",
        )
        w.writeheader()
        w.writerows(world.charges)


# ---------------------------------------------------------------------------------------------
# Jobs and audit log (rows of demo.db)
# ---------------------------------------------------------------------------------------------
def build_jobs(rng: random.Random, world: World) -> None:
    jobs = world.jobs
    for acc in world.accounts:
        if acc.status == "canceled":
            continue
        start = max(JOBS_START, acc.created_at)
        every = 2 if acc.id == COPPERLEAF else PLAN_INGEST_EVERY_H[acc.plan]
        t = start.replace(minute=0, second=0) + timedelta(hours=1, minutes=rng.randrange(60))
        if acc.id == COPPERLEAF:  # on the even hours, so that 22:00 is a run
            t = JOBS_START + timedelta(hours=2)
        while t < LOG_END:
            if acc.id == COPPERLEAF and t >= STUCK_JOB_CREATED:
                if (
                    t == STUCK_JOB_CREATED
                ):  # the scheduler skips every later run while this one "runs"
                    jobs.append(job_row(STUCK_JOB, acc, "ingest", t, at(t, 4), None, None))
            else:
                jobs.append(random_job(rng, acc, "ingest", t))
            t += timedelta(hours=every)
        for day in hours(start.replace(hour=0, minute=0, second=0), LOG_END):
            if day.hour != 0:
                continue
            add_daily_jobs(rng, acc, day, jobs)
    add_export_bug_jobs(rng, world)
    jobs.sort(key=lambda j: (j["created_at"], j["id"]))


def add_daily_jobs(
    rng: random.Random, acc: Account, day: datetime, jobs: list[dict[str, Any]]
) -> None:
    lo, hi = BUSINESS_HOURS_UTC[acc.region]
    weekend = day.weekday() >= 5
    for kind, mean in (("export_csv", 0.7), ("export_xlsx", 0.4), ("report_pdf", 0.5)):
        for _ in range(poisson(rng, mean * acc.traffic * (0.3 if weekend else 1.0))):
            t = at(day, rng.uniform(lo * 3600, hi * 3600))
            if acc.id in EXPORT_BUG_ACCOUNTS and kind == "export_csv" and t >= EXPORT_BUG_FIRST:
                continue  # generated by add_export_bug_jobs
            if t < LOG_END and t >= acc.created_at:
                jobs.append(random_job(rng, acc, kind, t))
    if (
        day.weekday() == 0 and acc.id != BLUEBIRD
    ):  # Monday scheduled reports (Bluebird has none: see 4819)
        t = at(day, (lo - 1) * 3600 + rng.randrange(0, 300))
        if t >= acc.created_at:
            jobs.append(random_job(rng, acc, "scheduled_report", t))


def add_export_bug_jobs(rng: random.Random, world: World) -> None:
    for acc_id in EXPORT_BUG_ACCOUNTS:
        acc = world.by_id[acc_id]
        lo, hi = BUSINESS_HOURS_UTC[acc.region]
        for day in (ts("2026-11-24T00:00:00Z"), ts("2026-11-25T00:00:00Z")):
            for _ in range(1 + poisson(rng, 1.2)):
                t = at(day, rng.uniform(lo * 3600, hi * 3600))
                if t < EXPORT_BUG_FIRST:
                    t = at(EXPORT_BUG_FIRST, rng.uniform(600, 7200))
                started = at(t, rng.uniform(1, 6))
                world.jobs.append(
                    job_row(ident(rng, "job_", 12, LOWER), acc, "export_csv", t, started,
                            at(started, rng.uniform(0.4, 2.5)), EXPORT_BUG_MSG)
                )  # fmt: skip


def random_job(rng: random.Random, acc: Account, kind: str, t: datetime) -> dict[str, Any]:
    started = at(t, rng.uniform(1, 20))
    median = {
        "ingest": 140,
        "export_csv": 25,
        "export_xlsx": 40,
        "report_pdf": 18,
        "scheduled_report": 35,
    }[kind]
    finished = at(started, latency(rng, median * 1000) / 1000)
    error = None
    if acc.id not in QUIET_ACCOUNTS:
        roll = rng.random()
        if kind == "ingest" and roll < 0.012:
            error = "ERR_SOURCE_TIMEOUT: source did not respond within 300s"
        elif kind in ("report_pdf", "scheduled_report") and roll < 0.04:
            error = "ERR_PDF_RENDER_TIMEOUT: renderer timed out after 120s"
        elif kind == "export_xlsx" and roll < 0.02:
            error = "ERR_XLSX_CELL_LIMIT: cell text longer than 32767 characters was truncated"
    if t > SNAPSHOT - timedelta(minutes=3):
        return job_row(ident(rng, "job_", 12, LOWER), acc, kind, t, None, None, None)
    if finished > SNAPSHOT:
        return job_row(ident(rng, "job_", 12, LOWER), acc, kind, t, started, None, None)
    return job_row(ident(rng, "job_", 12, LOWER), acc, kind, t, started, finished, error)


def job_row(
    job_id: str,
    acc: Account,
    kind: str,
    created: datetime,
    started: datetime | None,
    finished: datetime | None,
    error: str | None,
) -> dict[str, Any]:
    status = (
        "queued"
        if started is None
        else "running"
        if finished is None
        else "failed"
        if error
        else "succeeded"
    )
    return {
        "id": job_id,
        "account_id": acc.id,
        "type": kind,
        "status": status,
        "created_at": iso(created),
        "started_at": iso(started) if started else None,
        "finished_at": iso(finished) if finished else None,
        "error": error,
        "_created": created,
        "_started": started,
        "_finished": finished,
    }


def build_audit(rng: random.Random, world: World) -> None:
    rows = world.audit
    actions = [
        ("dashboard.created", 5),
        ("dashboard.shared", 4),
        ("report.created", 3),
        ("user.invited", 2),
        ("user.role_changed", 1),
        ("api_key.created", 1),
        ("api_key.revoked", 0.5),
        ("datasource.updated", 2),
        ("report.schedule.created", 1.5),
        ("integration.slack.connected", 0.3),
        ("billing.payment_method.updated", 0.3),
    ]
    names, weights = zip(*actions, strict=True)
    for acc in world.accounts:
        start = max(AUDIT_START, acc.created_at)
        end = ts(CANCELED[acc.id]) if acc.id in CANCELED else SNAPSHOT
        for t in spread(rng, start, end, per_hour=0.55 * PLAN_TRAFFIC[acc.plan] / 24):
            action = rng.choices(names, weights)[0]
            if acc.id == NORTHWIND and t >= NW_RESTRICTED:  # read-only since then
                continue
            if acc.id == BLUEBIRD and action == "report.schedule.created":
                action = "dashboard.shared"
            if (
                acc.id == HARBORVIEW
                and action == "user.role_changed"
                and t > ROLE_CHANGED - timedelta(days=3)
            ):
                continue
            rows.append(audit_row(rng, acc, action, t))
    add_scenario_audit(world)
    rows.sort(key=lambda r: (r["created_at"], r["account_id"], r["action"]))


def audit_row(rng: random.Random, acc: Account, action: str, t: datetime) -> dict[str, Any]:
    actor = rng.choice(acc.admins or acc.users).email
    dsh, title = rng.choice(acc.dashboards)
    rpt, rtitle = rng.choice(acc.reports)
    member = rng.choice([u for u in acc.users if u.role != "owner"])
    target, details = {
        "dashboard.created": (dsh, {"title": title}),
        "dashboard.shared": (
            dsh,
            {"title": title, "with": rng.choice(["workspace", "link", "team:finance", "team:ops"])},
        ),
        "report.created": (rpt, {"title": rtitle}),
        "user.invited": (member.email, {"role": member.role}),
        "user.role_changed": (
            member.email,
            dict(zip(("from", "to"), rng.sample(["viewer", "editor", "admin"], 2), strict=True)),
        ),
        "api_key.created": (
            ident(rng, "key_", 10, LOWER),
            {"scopes": ["read"] if rng.random() < 0.6 else ["read", "write"]},
        ),
        "api_key.revoked": (ident(rng, "key_", 10, LOWER), {"reason": "rotation"}),
        "datasource.updated": (
            rng.choice(["postgres_prod", "snowflake_wh", "bigquery_events", "s3_uploads"]),
            {"fields": rng.choice([["schedule"], ["credentials"], ["tables"]])},
        ),
        "report.schedule.created": (rpt, {"title": rtitle, "cron": "0 7 * * 1", "format": "pdf"}),
        "integration.slack.connected": (
            "slack",
            {"channel": "#" + rng.choice(["alerts", "ops", "data-alerts"])},
        ),
        "billing.payment_method.updated": (
            acc.customer_id,
            {"brand": rng.choice(["visa", "mastercard", "amex"])},
        ),
    }[action]
    return {
        "account_id": acc.id,
        "actor_email": actor,
        "action": action,
        "target": target,
        "details": json.dumps(details),
        "created_at": iso(t),
    }


def add_scenario_audit(world: World) -> None:
    """The audit rows the 4812, 4815, 4816, 4817, 4819 and 4820 stories rest on."""
    bot, greg, ravi = (
        "billing-sync@acme-metrics.example",
        "greg.tanaka@harborviewhealth.com",
        "ravi.kulkarni@lumenrobotics.com",
    )
    palisade, bluebird, fjordline = (
        world.by_id["acc_1035"],
        world.by_id[BLUEBIRD],
        world.by_id[FJORDLINE],
    )
    weekly = scenario_report(bluebird, "Weekly Sales by Store")
    cert_change = {
        "field": "idp_x509_certificate",
        "idp": "okta",
        "previous_sha256_prefix": SSO_OLD_CERT,
        "new_sha256_prefix": SSO_NEW_CERT,
        "source": "admin_ui",
    }
    rows = [  # (account, actor, action, target, details, at)
        *[(NORTHWIND, bot, "billing.payment_failed", NW_INVOICE,
           {"attempt": n, "charge": cid, "decline_code": "insufficient_funds"}, at(t, 4))
          for n, (cid, t) in enumerate(NW_ATTEMPTS, 1)],
        (NORTHWIND, bot, "account.restricted", NORTHWIND,
         {"reason": "invoice_past_due", "invoice": NW_INVOICE, "mode": "read_only"}, NW_RESTRICTED),
        (HARBORVIEW, greg, "user.role_changed", "alicia.moreno@harborviewhealth.com",
         {"from": "editor", "to": "viewer", "note": "Q4 access review"}, ROLE_CHANGED),
        (HARBORVIEW, greg, "access_review.completed", HARBORVIEW,
         {"members_reviewed": len(world.by_id[HARBORVIEW].users), "roles_changed": 1}, at(ROLE_CHANGED, 131)),
        (LUMEN, ravi, "sso.settings.updated", "saml",
         {"field": "idp_entity_id", "idp": "okta", "note": "initial SSO setup"}, ts("2026-09-14T15:22:08Z")),
        (LUMEN, ravi, "sso.settings.updated", "saml", cert_change, SSO_UPDATED),
        *[(FJORDLINE, "ingrid.solberg@fjordline.no", "dashboard.created", dsh, {"title": title, "sync": True},
           ts("2026-11-24T14:10:00Z") + timedelta(minutes=9 * k, seconds=17 * k))
          for k, (dsh, title) in enumerate(fjordline.dashboards[:4])],
        (TESSELLATE, "kevin.marsh@tessellate-retail.com", "datasource.backfill.started", "pos_transactions",
         {"range": "2024-11-01..2026-11-24", "estimated_rows": 2140000000}, BACKFILL_STARTED),
        (palisade.id, palisade.owner.email, "billing.payment_method.updated", palisade.customer_id,
         {"brand": "visa", "reason": "card expired"}, ts("2026-11-25T09:11:02Z")),
        *[(BLUEBIRD, "rosa.delgado@bluebirdbakeries.com", "report.exported", weekly, {"format": "pdf"}, ts(t))
          for t in ("2026-11-16T13:05:41Z", "2026-11-23T13:02:19Z")],
    ]  # fmt: skip
    for account, actor, action, target, details, t in rows:
        world.audit.append({"account_id": account, "actor_email": actor, "action": action, "target": target,
                            "details": json.dumps(details), "created_at": iso(t)})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# demo.db
# ---------------------------------------------------------------------------------------------
SCHEMA = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,                      -- starter | growth | business | enterprise
    status TEXT NOT NULL,                    -- active | trialing | past_due | canceled
    region TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    stripe_customer_id TEXT,
    api_rate_limit_per_min INTEGER NOT NULL,
    sso_enabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,                      -- owner | admin | editor | viewer
    status TEXT NOT NULL,                    -- active | invited | deactivated
    last_login_at TEXT
);
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    plan TEXT NOT NULL,
    status TEXT NOT NULL,                    -- active | past_due | canceled | trialing
    current_period_start TEXT NOT NULL,
    current_period_end TEXT NOT NULL,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    type TEXT NOT NULL,                      -- ingest | export_csv | export_xlsx | report_pdf | scheduled_report
    status TEXT NOT NULL,                    -- queued | running | succeeded | failed
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT,                            -- JSON
    created_at TEXT NOT NULL
);
CREATE INDEX users_account ON users(account_id);
CREATE INDEX jobs_account_created ON jobs(account_id, created_at);
CREATE INDEX audit_account_created ON audit_log(account_id, created_at);
"""


def subscription_row(acc: Account) -> tuple[Any, ...]:
    day = NW_INVOICE_CREATED.day if acc.id == NORTHWIND else min(acc.created_at.day, 28)
    start = datetime(2026, 11 if day <= 25 else 10, day, tzinfo=UTC)
    if acc.status == "trialing":
        start = acc.created_at
        end = start + timedelta(days=14)
    elif acc.status == "canceled":
        start, end = datetime(2026, 10, day, tzinfo=UTC), ts(CANCELED[acc.id])
    else:
        end = (start + timedelta(days=32)).replace(day=day)
    return (
        acc.subscription_id,
        acc.id,
        acc.plan,
        acc.status,
        iso(start),
        iso(end),
        1 if acc.id in CANCEL_AT_PERIOD_END else 0,
    )


JOB_COLUMNS = (
    "id",
    "account_id",
    "type",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "error",
)
AUDIT_COLUMNS = ("account_id", "actor_email", "action", "target", "details", "created_at")


def write_db(world: World) -> None:
    path = HERE / "demo.db"
    for stale in (path, path.with_name("demo.db-journal"), path.with_name("demo.db-wal")):
        stale.unlink(missing_ok=True)
    tables = {
        "accounts": [(a.id, a.name, a.plan, a.status, a.region, a.owner.email, a.customer_id, a.rate_limit,
                      int(a.id in SSO_ACCOUNTS), iso(a.created_at)) for a in world.accounts],
        "users": [(u.id, u.account_id, u.email, u.name, u.role, u.status, u.last_login_at)
                  for a in world.accounts for u in a.users],
        "subscriptions": [subscription_row(a) for a in world.accounts],
        "jobs": [tuple(j[c] for c in JOB_COLUMNS) for j in world.jobs],
        "audit_log": [(n, *(r[c] for c in AUDIT_COLUMNS)) for n, r in enumerate(world.audit, 1)],
    }  # fmt: skip
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    for table, rows in tables.items():
        con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)
    con.commit()
    con.execute("VACUUM")
    con.close()


# ---------------------------------------------------------------------------------------------
# Logs: shared bits
# ---------------------------------------------------------------------------------------------
Line = tuple[datetime, dict[str, Any]]


def rec(t: datetime, level: str, service: str, msg: str, **ctx: Any) -> Line:
    line = {"ts": iso_ms(t), "level": level, "service": service, "msg": msg}
    line.update({k: v for k, v in ctx.items() if v is not None})
    return (t, line)


def req(
    rng: random.Random, t: datetime, level: str, msg: str, acc: Account, user: User, **ctx: Any
) -> Line:
    """A request-scoped api line: request id, account, user, region and user agent filled in."""
    head = {
        "request_id": ctx.pop("request_id", None) or req_id(rng),
        "account_id": acc.id,
        "user_id": user.id,
    }
    tail = {"region": acc.region, "user_agent": ctx.pop("user_agent", user.user_agent)}
    return rec(t, level, "api", msg, **head, **ctx, **tail)


def ok_request(
    rng: random.Random,
    t: datetime,
    acc: Account,
    user: User,
    method: str,
    path: str,
    status: int,
    duration_ms: int,
    **ctx: Any,
) -> Line:
    """An ordinary `request completed` line."""
    return req(rng, t, "info", "request completed", acc, user, method=method, path=path, status=status,
               duration_ms=duration_ms, **ctx)  # fmt: skip


def write_jsonl(name: str, lines: list[Line]) -> int:
    lines = sorted(lines, key=lambda x: x[0])
    with (HERE / "logs" / name).open("w", encoding="utf-8", newline="\n") as f:
        for _, line in lines:
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(lines)


def plain(line: Line) -> str:
    """`2026-11-24T09:13:02.123Z ERROR [web] message key=value ...`"""
    _, d = line
    level = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "error": "ERROR"}[d["level"]]
    parts = [d["ts"], level, f"[{d['service']}]", d["msg"]]
    for k, v in d.items():
        if k in ("ts", "level", "service", "msg"):
            continue
        v = str(v)
        parts.append(f'{k}="{v}"' if " " in v else f"{k}={v}")
    return " ".join(parts)


def pick_user(rng: random.Random, acc: Account, boost: dict[str, float] | None = None) -> User:
    users = acc.active_users or acc.users
    weights = [(boost or {}).get(u.id, 1.0) for u in users]
    return rng.choices(users, weights)[0]


def fill(rng: random.Random, acc: Account, template: str) -> str:
    return template.format(dsh=rng.choice(acc.dashboards)[0], rpt=rng.choice(acc.reports)[0],
                           tile=f"t{rng.randrange(1, 40)}", exp=ident(rng, "exp_", 10, LOWER))  # fmt: skip


def noisy_accounts(world: World) -> list[Account]:
    return [a for a in world.accounts if a.traffic > 0 and a.id not in QUIET_ACCOUNTS]


# ---------------------------------------------------------------------------------------------
# logs/api.jsonl
# ---------------------------------------------------------------------------------------------
def build_api_log(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    methods, paths, weights, medians = zip(*ENDPOINTS, strict=True)
    for hour in hours(LOG_START, LOG_END):
        for acc in world.accounts:
            for _ in range(poisson(rng, 1.5 * acc.traffic * activity(acc.region, hour))):
                i = rng.choices(range(len(ENDPOINTS)), weights)[0]
                t = at(hour, rng.uniform(0, 3600))
                line = api_request(rng, acc, pick_user(rng, acc), t, methods[i],
                                   fill(rng, acc, paths[i]), medians[i])  # fmt: skip
                if line:
                    lines.append(line)
    lines += api_steady_noise(rng, world)
    lines += api_deploy_lines(rng)
    lines += api_past_due(rng, world.by_id[NORTHWIND])
    lines += api_export_bug(rng, world)
    lines += api_outage(rng, world)
    lines += api_permission_denied(rng, world.by_id[HARBORVIEW])
    lines += api_sync_client(rng, world.by_id[FJORDLINE])
    lines += api_slow_reports(rng, world.by_id[TESSELLATE])
    lines += api_bluebird_visit(rng, world.by_id[BLUEBIRD])
    return lines


def api_request(
    rng: random.Random, acc: Account, user: User, t: datetime, method: str, path: str, median: float
) -> Line | None:
    """One ordinary, successful request, or None where a scenario owns that kind of request."""
    fmt = rng.choices(["csv", "xlsx", "pdf"], [5, 3, 2])[0] if path == "/api/v2/exports" else None
    owned = (
        (acc.id == NORTHWIND and t >= NW_RESTRICTED and method != "GET")
        or (user.id == ALICIA and t >= ROLE_CHANGED and "/reports" in path)
        or (acc.id == TESSELLATE and t >= SLOW_SINCE and path == "/api/v2/reports/query")
        or (acc.id in EXPORT_BUG_ACCOUNTS and t >= EXPORT_BUG_FIRST and fmt == "csv")
    )
    in_outage = acc.id in OUTAGE_ACCOUNTS and OUTAGE_START <= t < OUTAGE_END
    if owned or (in_outage and rng.random() < 0.7):
        return None
    status = {"POST": 201, "PUT": 200, "PATCH": 200}.get(method, 200)
    if method == "GET" and rng.random() < 0.06:
        status = 304
    if method == "GET" and rng.random() < 0.015:
        status = 404
    duration = latency(rng, median)
    return ok_request(rng, t, acc, user, method, path, status, duration, export_format=fmt)


def api_steady_noise(rng: random.Random, world: World) -> list[Line]:
    """Background warnings and errors at a steady rate all week (none is a ticket's cause)."""
    lines: list[Line] = []
    accounts = [a for a in noisy_accounts(world) if a.id != HARBORVIEW]  # keep 4815's 403s clean
    weights = [a.traffic for a in accounts]
    for per_hour, level, msg, method, path, status, code, (lo, hi) in API_NOISE:
        for t in spread(rng, LOG_START, LOG_END, per_hour):
            acc = rng.choices(accounts, weights)[0]
            extra = {"role": "viewer", "required_role": "editor"} if status == 403 else {}
            lines.append(
                req(rng, t, level, msg, acc, pick_user(rng, acc), method=method,
                    path=fill(rng, acc, path), status=status, duration_ms=rng.randrange(lo, hi),
                    error_code=code, **extra)
            )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.5):
        region = rng.choice(list(BUSINESS_HOURS_UTC))
        host = f"redis-api-{region[:2]}.internal:6379"
        msg = "redis connection reset, reconnecting"
        lines.append(rec(t, "warning", "api", msg, region=region, redis_host=host, attempt=1))
    for hour in hours(LOG_START, LOG_END):
        for region in BUSINESS_HOURS_UTC:
            ratio, entries = round(rng.uniform(0.71, 0.93), 3), rng.randrange(180000, 260000)
            t = at(hour, rng.uniform(0, 59))
            lines.append(
                rec(t, "debug", "api", "query cache stats", region=region, hit_ratio=ratio,
                    entries=entries)
            )  # fmt: skip
    return lines


def api_deploy_lines(rng: random.Random) -> list[Line]:
    lines: list[Line] = []
    for region in BUSINESS_HOURS_UTC:
        t = at(API_2140_DEPLOYED, rng.uniform(5, 40))
        ready = at(t, rng.uniform(8, 15))
        lines.append(
            rec(t, "info", "api", "starting api", version="v2.14.0", commit="f4a8c3d",
                region=region)
        )  # fmt: skip
        lines.append(
            rec(ready, "info", "api", "readiness probe passed", version="v2.14.0", region=region)
        )
    return lines


def api_past_due(rng: random.Random, acc: Account) -> list[Line]:
    """4812: every write from Northwind is refused once the account is past due."""
    lines: list[Line] = []
    windows = [
        (at(NW_RESTRICTED, 480), ts("2026-11-23T18:10:00Z"), 5),
        (ts("2026-11-24T07:35:00Z"), ts("2026-11-24T17:30:00Z"), 3),
        (ts("2026-11-25T08:00:00Z"), ts("2026-11-25T16:45:00Z"), 1.5),
    ]
    writes = [
        ("PUT", "/api/v2/dashboards/{dsh}"),
        ("POST", "/api/v2/dashboards/{dsh}/tiles"),
        ("PATCH", "/api/v2/reports/{rpt}"),
    ]
    weekly_ops = f"/api/v2/dashboards/{scenario_dashboard(acc, 'Weekly Ops')}"
    msg = "403 account_past_due: workspace is read-only until the outstanding invoice is paid"
    for start, end, rate in windows:
        for t in spread(rng, start, end, rate):
            user = pick_user(rng, acc, {DANA: 3.0})
            method, path = rng.choice(writes)
            if user.id == DANA and rng.random() < 0.6:
                method, path = "PUT", weekly_ops
            lines.append(
                req(rng, t, "warning", msg, acc, user, method=method, path=fill(rng, acc, path),
                    status=403, duration_ms=rng.randrange(4, 25), error_code="ERR_ACCOUNT_PAST_DUE",
                    billing_status="past_due")
            )  # fmt: skip
    return lines


def api_export_bug(rng: random.Random, world: World) -> list[Line]:
    """4813: CSV exports of DECIMAL columns fail from five minutes after api v2.14.0."""
    lines: list[Line] = []
    brightline, tom = world.by_id[BRIGHTLINE], world.users[TOM]
    for acc_id in EXPORT_BUG_ACCOUNTS:
        acc = world.by_id[acc_id]
        column = rng.choice(DECIMAL_COLUMNS)
        for t in spread(rng, EXPORT_BUG_FIRST, LOG_END, 1.6):
            if activity(acc.region, t) < 1 and rng.random() < 0.85:
                continue
            lines.append(export_error(rng, acc, pick_user(rng, acc), t, column))
    first = world.by_id["acc_1002"]  # the first failure right after the deploy
    lines.append(export_error(rng, first, pick_user(rng, first), EXPORT_BUG_FIRST, "net_revenue"))
    for t in spread(rng, ts("2026-11-24T08:41:00Z"), ts("2026-11-24T09:57:00Z"), 6):  # Tom's tries
        lines.append(export_error(rng, brightline, tom, t, "treatment_fee"))
    lines.append(export_error(rng, brightline, tom, REQ_4813_AT, "treatment_fee", REQ_4813))
    return lines


def export_error(
    rng: random.Random,
    acc: Account,
    user: User,
    t: datetime,
    column: str,
    request_id: str | None = None,
) -> Line:
    return req(
        rng, t, "error", EXPORT_BUG_MSG, acc, user, request_id=request_id, method="POST",
        path="/api/v2/exports", status=500, duration_ms=rng.randrange(300, 1400),
        error_code="ERR_EXPORT_SERIALIZE", export_format="csv", column=column,
        exception="SerializationError", version="v2.14.0",
    )  # fmt: skip


def api_outage(rng: random.Random, world: World) -> list[Line]:
    """4814: eu-west-1 query engine unavailable; 502s for many accounts."""
    lines: list[Line] = []
    kestrel = world.by_id[KESTREL]
    others = [world.by_id[a] for a in OUTAGE_ACCOUNTS if a != KESTREL]
    for k, host in enumerate(["query-eu-1b-1", "query-eu-1b-2", "query-eu-1b-3"]):
        down, up = at(OUTAGE_START, -25 + 70 * k), at(OUTAGE_END, -60 + 20 * k)
        upstream = {"region": "eu-west-1", "upstream": f"{host}:9000"}
        msg = "upstream host ejected by outlier detection"
        lines.append(rec(down, "warning", "api", msg, **upstream, consecutive_5xx=5))
        lines.append(rec(up, "info", "api", "upstream host returned to healthy", **upstream))
    t = OUTAGE_START
    while True:
        heavy = ALERT_STARTS_AT - timedelta(minutes=6) <= t < OUTAGE_END - timedelta(minutes=12)
        t = at(t, rng.expovariate((7.0 if heavy else 2.0) / 60))
        if t >= OUTAGE_END:
            break
        acc = kestrel if rng.random() < 0.16 else rng.choice(others)
        lines.append(outage_error(rng, acc, pick_user(rng, acc, {LENA: 2.0}), t))
    return lines


def outage_error(rng: random.Random, acc: Account, user: User, t: datetime) -> Line:
    paths = ["/api/v2/dashboards/{dsh}/tiles/{tile}/data", "/api/v2/metrics/query"]
    return req(
        rng, t, "error", OUTAGE_MSG, acc, user, method="GET", path=fill(rng, acc, rng.choice(paths)),
        status=502, duration_ms=rng.randrange(3000, 10000), error_code="ERR_UPSTREAM_UNAVAILABLE",
        upstream="query-engine.eu-west-1.svc:9000",
    )  # fmt: skip


def api_permission_denied(rng: random.Random, acc: Account) -> list[Line]:
    """4815: Alicia uses Reports as an editor until the role change, then gets 403s."""
    lines: list[Line] = []
    alicia = next(u for u in acc.users if u.id == ALICIA)
    report = rng.choice(acc.reports)[0]
    before = [
        ("GET", "/api/v2/reports"),
        ("GET", f"/api/v2/reports/{report}"),
        ("POST", "/api/v2/reports/query"),
        ("PATCH", f"/api/v2/reports/{report}"),
    ]
    for t in spread(rng, ts("2026-11-23T14:05:00Z"), ts("2026-11-23T16:20:00Z"), 5):
        method, path = rng.choice(before)
        lines.append(ok_request(rng, t, acc, alicia, method, path, 200, latency(rng, 120)))
    after = before[:3]
    windows = [
        (ts("2026-11-24T13:40:00Z"), ts("2026-11-24T16:30:00Z"), 5),
        (ts("2026-11-25T13:30:00Z"), ts("2026-11-25T15:00:00Z"), 2),
    ]
    msg = "403 forbidden: role does not allow this action"
    for start, end, rate in windows:
        for t in spread(rng, start, end, rate):
            method, path = rng.choice(after)
            lines.append(
                req(rng, t, "warning", msg, acc, alicia, method=method, path=path, status=403,
                    duration_ms=rng.randrange(5, 30), error_code="ERR_PERMISSION_DENIED",
                    role="viewer", required_role="editor")
            )  # fmt: skip
    return lines


def api_sync_client(rng: random.Random, acc: Account) -> list[Line]:
    """4817: the nightly sync runs under the limit every night but the last one."""
    lines: list[Line] = []
    sync_user = next(u for u in acc.users if u.id == FJORD_SYNC)
    dashboards = [d for d, _ in acc.dashboards]  # the first four were added to the sync on 24 Nov
    for night in range(21, 26):
        start = ts(f"2026-11-{night:02d}T02:05:00Z")
        last = night == 25
        end = SYNC_429_END if last else at(start, rng.uniform(1500, 1700))
        for t in spread(rng, start, end, 190 if last else 70):
            limited = last and t >= SYNC_429_START and rng.random() < 0.78
            synced = dashboards if last else dashboards[4:] or dashboards[-1:]
            path = f"/api/v2/dashboards/{rng.choice(synced)}/tiles/t{rng.randrange(1, 30)}/data"
            if limited:
                lines.append(
                    req(rng, t, "warning", "429 rate limit exceeded", acc, sync_user, method="GET",
                        path=path, status=429, duration_ms=rng.randrange(1, 6), error_code="ERR_RATE_LIMITED",
                        limit_per_min=acc.rate_limit, observed_per_min=rng.randrange(640, 980),
                        retry_after_s=12, user_agent=SYNC_UA)
                )  # fmt: skip
            else:
                duration = latency(rng, 180)
                lines.append(
                    ok_request(rng, t, acc, sync_user, "GET", path, 200, duration,
                               user_agent=SYNC_UA)
                )  # fmt: skip
    return lines


def api_slow_reports(rng: random.Random, acc: Account) -> list[Line]:
    """4820: after the backfill, report queries for Tessellate run 25-60 s; the gateway gives up at 30 s."""
    lines: list[Line] = []
    kevin = next(u for u in acc.users if u.id == KEVIN)
    yoy = scenario_report(acc, "Store Performance")
    path = "/api/v2/reports/query"
    for t in spread(rng, LOG_START, SLOW_SINCE, 4):  # the baseline: the same reports in 1-3 s
        if activity(acc.region, t) < 1:
            continue
        user = kevin if rng.random() < 0.3 else pick_user(rng, acc)
        report = yoy if rng.random() < 0.5 else rng.choice(acc.reports)[0]
        duration = rng.randrange(900, 3200)
        lines.append(ok_request(rng, t, acc, user, "POST", path, 200, duration, report_id=report))
    for t in spread(rng, SLOW_SINCE, LOG_END, 8):
        if activity(acc.region, t) < 1 and rng.random() < 0.8:
            continue
        user = kevin if rng.random() < 0.3 else pick_user(rng, acc)
        report = yoy if rng.random() < 0.5 else rng.choice(acc.reports)[0]
        duration, rid = rng.randrange(25000, 60000), req_id(rng)
        done = at(t, duration / 1000)
        lines.append(
            req(rng, done, "warning", "slow query", acc, user, request_id=rid, path=path,
                duration_ms=duration, report_id=report, query_id=ident(rng, "q_", 12, LOWER),
                rows_scanned=rng.randrange(1_100_000_000, 2_400_000_000), user_agent=None)
        )  # fmt: skip
        if duration > 30000:
            lines.append(
                req(rng, at(t, 30), "error", "504 gateway timeout", acc, user, request_id=rid,
                    method="POST", path=path, status=504, duration_ms=30000,
                    error_code="ERR_QUERY_TIMEOUT", report_id=report)
            )  # fmt: skip
        else:
            lines.append(
                ok_request(rng, done, acc, user, "POST", path, 200, duration, request_id=rid,
                           report_id=report)
            )  # fmt: skip
    return lines


def api_bluebird_visit(rng: random.Random, acc: Account) -> list[Line]:
    """4819: Rosa downloads the weekly PDF by hand on Mondays and looks around before asking."""
    rosa = next(u for u in acc.users if u.id == ROSA)
    weekly = f"/api/v2/reports/{scenario_report(acc, 'Weekly Sales by Store')}"
    visits = [
        ("2026-11-23T13:01:47Z", "GET", weekly, 200, None),
        ("2026-11-23T13:02:18Z", "POST", "/api/v2/exports", 201, "pdf"),
        ("2026-11-25T11:02:05Z", "GET", weekly, 200, None),
        ("2026-11-25T11:04:39Z", "GET", "/api/v2/schedules", 200, None),
        ("2026-11-25T11:09:12Z", "GET", weekly, 200, None),
    ]
    lines: list[Line] = []
    for when, method, path, status, fmt in visits:
        t = ts(when) + timedelta(milliseconds=rng.randrange(1000))
        duration = latency(rng, 90)
        lines.append(
            ok_request(rng, t, acc, rosa, method, path, status, duration, export_format=fmt)
        )
    return lines


# ---------------------------------------------------------------------------------------------
# logs/worker.jsonl (worker, billing-sync)
# ---------------------------------------------------------------------------------------------
def build_worker_log(rng: random.Random, world: World) -> list[Line]:
    lines = worker_job_lines(rng, world)
    lines += worker_steady_noise(rng, world)
    lines += billing_sync_lines(rng, world)
    lines += worker_stuck_ingest(rng, world.by_id[COPPERLEAF])
    lines += worker_backfill(rng, world.by_id[TESSELLATE])
    for region in BUSINESS_HOURS_UTC:
        lines.append(
            rec(at(ts("2026-11-25T15:20:54Z"), rng.uniform(5, 40)), "info", "worker",
                "starting worker", version="v4.7.1", commit="d9e3b70", region=region)
        )  # fmt: skip
    return lines


def worker_job_lines(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    for j in world.jobs:
        acc = world.by_id[j["account_id"]]
        if j["_started"] is not None and LOG_START <= j["_started"] < LOG_END:
            lines.append(
                rec(j["_started"], "info", "worker", "job started", job_id=j["id"],
                    account_id=acc.id, job_type=j["type"], region=acc.region)
            )  # fmt: skip
        end = j["_finished"]
        if end is None or not LOG_START <= end < LOG_END:
            continue
        duration_ms = int((end - j["_started"]).total_seconds() * 1000)
        if j["error"]:
            lines.append(
                rec(end, "error", "worker", "job failed", job_id=j["id"], account_id=acc.id,
                    job_type=j["type"], region=acc.region, duration_ms=duration_ms,
                    error_code=j["error"].split(":")[0], error=j["error"])
            )  # fmt: skip
        else:
            lines.append(
                rec(end, "info", "worker", "job succeeded", job_id=j["id"], account_id=acc.id,
                    job_type=j["type"], region=acc.region, duration_ms=duration_ms)
            )  # fmt: skip
    return lines


def worker_steady_noise(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    for t in spread(rng, LOG_START, LOG_END, 1.5):
        acc = world.by_id[rng.choice(WEBHOOK_ACCOUNTS)]
        status = rng.choice([410, 410, 502, 504])
        lines.append(
            rec(t, "error", "worker", "webhook delivery failed, will retry", account_id=acc.id,
                region=acc.region, error_code="ERR_WEBHOOK_DELIVERY_RETRY", http_status=status,
                endpoint_host=f"hooks.{acc.domain}", attempt=rng.randrange(2, 9))
        )  # fmt: skip
    for hour in hours(LOG_START, LOG_END):
        lines.append(
            rec(at(hour, 300 + rng.uniform(0, 20)), "warning", "worker",
                "cron cleanup: could not delete expired export files", job="cleanup",
                region="eu-west-1", error_code="ERR_CLEANUP_PARTIAL",
                files_skipped=rng.randrange(2, 9))
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.3):
        region = rng.choice(list(BUSINESS_HOURS_UTC))
        lines.append(
            rec(t, "warning", "worker", "redis connection reset, reconnecting", region=region,
                redis_host=f"redis-queue-{region[:2]}.internal:6379", attempt=1)
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.6):
        lines.append(
            rec(t, "debug", "worker", "queue depth", queue="default", depth=rng.randrange(0, 400),
                region=rng.choice(list(BUSINESS_HOURS_UTC)))
        )  # fmt: skip
    return lines


def billing_sync_lines(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    for day in range(21, 26):
        t = at(ts(f"2026-11-{day:02d}T04:00:00Z"), rng.uniform(0, 30))
        lines.append(
            rec(t, "info", "billing-sync", "subscriptions synced from Stripe",
                subscriptions=len(world.accounts), changed=rng.randrange(0, 3), region="us-east-1")
        )  # fmt: skip
    for inv in world.invoices:
        t = ts(inv["created"])
        if LOG_START <= t < LOG_END:
            lines.append(
                rec(at(t, 3.2), "info", "billing-sync", "invoice created", invoice_id=inv["id"],
                    customer_id=inv["customer"], account_id=inv["account_id"],
                    amount_due=inv["amount_due"], currency=inv["currency"], region="us-east-1")
            )  # fmt: skip
    attempts: dict[str, int] = {}
    for ch in world.charges:
        attempts[ch["invoice"]] = attempts.get(ch["invoice"], 0) + 1
        t = ts(ch["created"])
        if not LOG_START <= t < LOG_END:
            continue
        if ch["status"] == "succeeded":
            lines.append(
                rec(at(t, 2.1), "info", "billing-sync", "invoice paid", invoice_id=ch["invoice"],
                    charge_id=ch["id"], customer_id=ch["customer"], account_id=ch["account_id"],
                    region="us-east-1")
            )  # fmt: skip
        else:
            final = ch["id"] == NW_ATTEMPTS[-1][0]
            lines.append(
                rec(at(t, 2.4), "warning", "billing-sync", "invoice payment failed",
                    invoice_id=ch["invoice"], charge_id=ch["id"], customer_id=ch["customer"],
                    account_id=ch["account_id"], attempt=attempts[ch["invoice"]],
                    error_code=ch["failure_code"],
                    decline_code="insufficient_funds" if ch["account_id"] == NORTHWIND else None,
                    final_attempt=final, region="us-east-1")
            )  # fmt: skip
    lines.append(
        rec(NW_RESTRICTED, "warning", "billing-sync",
            "account switched to read-only: invoice past due after final retry",
            account_id=NORTHWIND, invoice_id=NW_INVOICE, customer_id=NW_CUSTOMER,
            subscription_id=NW_SUBSCRIPTION, error_code="ERR_ACCOUNT_PAST_DUE", region="us-east-1")
    )  # fmt: skip
    return lines


def worker_stuck_ingest(rng: random.Random, acc: Account) -> list[Line]:
    """4818: the 22:00 ingest run never finishes; later runs are skipped; lag grows."""
    lines: list[Line] = []
    t = at(STUCK_JOB_CREATED, 1800)
    while t < LOG_END:
        lag = int((t - REBALANCE_START).total_seconds())
        lines.append(
            rec(at(t, rng.uniform(0, 5)), "warning", "worker", "ingest lag above threshold",
                job_id=STUCK_JOB, account_id=acc.id, region=acc.region, error_code="ERR_INGEST_LAG",
                lag_s=lag, threshold_s=900, partition=STUCK_PARTITION)
        )  # fmt: skip
        t = at(t, 1800)
    t = STUCK_JOB_CREATED + timedelta(hours=2)
    while t < LOG_END:
        lines.append(
            rec(at(t, rng.uniform(0, 2)), "info", "worker",
                "skipping scheduled ingest: previous run still in progress", account_id=acc.id,
                region=acc.region, running_job_id=STUCK_JOB)
        )  # fmt: skip
        t += timedelta(hours=2)
    return lines


def worker_backfill(rng: random.Random, acc: Account) -> list[Line]:
    lines: list[Line] = []
    loaded = 0
    for t in spread(rng, at(BACKFILL_STARTED, 40), ts("2026-11-25T06:10:00Z"), 4):
        loaded += rng.randrange(30_000_000, 45_000_000)
        lines.append(
            rec(t, "info", "worker", "backfill progress", account_id=acc.id, region=acc.region,
                table="pos_transactions", rows_loaded=min(loaded, 2_140_000_000),
                rows_estimated=2_140_000_000)
        )  # fmt: skip
    return lines


# ---------------------------------------------------------------------------------------------
# logs/auth.jsonl
# ---------------------------------------------------------------------------------------------
def build_auth_log(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    for hour in hours(LOG_START, LOG_END):
        for acc in world.accounts:
            for _ in range(poisson(rng, 0.45 * acc.traffic * activity(acc.region, hour))):
                t = at(hour, rng.uniform(0, 3600))
                if acc.id == LUMEN and t >= SSO_UPDATED:
                    continue  # see auth_saml_failures
                user = pick_user(rng, acc)
                method = (
                    "saml"
                    if acc.id in SSO_ACCOUNTS
                    else rng.choices(["password", "google"], [4, 1])[0]
                )
                lines.append(
                    rec(t, "info", "auth", "login succeeded", account_id=acc.id, user_id=user.id,
                        method=method, region=acc.region, ip=test_ip(rng),
                        user_agent=user.user_agent)
                )  # fmt: skip
    password_accounts = [a for a in noisy_accounts(world) if a.id not in SSO_ACCOUNTS]
    for t in spread(rng, LOG_START, LOG_END, 1.2):
        acc = rng.choice(password_accounts)
        user = pick_user(rng, acc)
        lines.append(
            rec(t, "warning", "auth", "login failed: invalid credentials", account_id=acc.id,
                user_id=user.id, method="password", region=acc.region,
                error_code="ERR_INVALID_CREDENTIALS", ip=test_ip(rng))
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.2):
        acc = rng.choice(password_accounts)
        lines.append(
            rec(t, "warning", "auth", "MFA challenge failed", account_id=acc.id,
                user_id=pick_user(rng, acc).id, region=acc.region, error_code="ERR_MFA_FAILED")
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 2):
        lines.append(
            rec(t, "debug", "auth",
                "signing keys refreshed" if rng.random() < 0.1 else "session token refreshed",
                region=rng.choice(list(BUSINESS_HOURS_UTC)))
        )  # fmt: skip
    for region in BUSINESS_HOURS_UTC:
        lines.append(
            rec(at(ts("2026-11-24T10:30:36Z"), rng.uniform(5, 40)), "info", "auth", "starting auth",
                version="v3.4.2", commit="82d5e0f", region=region)
        )  # fmt: skip
    lines += auth_saml_failures(rng, world.by_id[LUMEN])
    return lines


def test_ip(rng: random.Random) -> str:
    return rng.choice(["192.0.2.", "198.51.100.", "203.0.113."]) + str(rng.randrange(2, 254))


def auth_saml_failures(rng: random.Random, acc: Account) -> list[Line]:
    """4816: every SAML response is signed with the old certificate; the configured one is the new one."""
    lines: list[Line] = []
    for start, end, rate in [
        (at(SSO_UPDATED, 95), ts("2026-11-24T23:30:00Z"), 6),
        (ts("2026-11-25T00:00:00Z"), ts("2026-11-25T12:30:00Z"), 0.4),
        (ts("2026-11-25T12:30:00Z"), LOG_END, 4),
    ]:
        for t in spread(rng, start, end, rate):
            user = pick_user(rng, acc, {SAMUEL: 2.0})
            lines.append(saml_failure(rng, acc, user, t))
    samuel = next(u for u in acc.users if u.id == SAMUEL)
    for t in spread(rng, ts("2026-11-24T18:48:00Z"), ts("2026-11-24T19:10:00Z"), 12):
        lines.append(saml_failure(rng, acc, samuel, t))
    return lines


def saml_failure(rng: random.Random, acc: Account, user: User, t: datetime) -> Line:
    return rec(t, "error", "auth", "SAML response signature validation failed", account_id=acc.id,
               user_id=user.id, method="saml", region=acc.region,
               error_code="ERR_SAML_SIGNATURE_INVALID", idp="okta",
               idp_entity_id="http://www.okta.com/exk4lumen7q2x9",
               configured_cert_sha256_prefix=SSO_NEW_CERT, response_cert_sha256_prefix=SSO_OLD_CERT,
               ip=test_ip(rng))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# logs/notifier.jsonl
# ---------------------------------------------------------------------------------------------
def build_notifier_log(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    slack_channels = {
        a: "#" + rng.choice(["alerts", "ops-alerts", "data-alerts", "kpi-watch"])
        for a in SLACK_ACCOUNTS
    }
    slack_channels[QUARRY] = "#inventory-alerts"
    for hour in hours(LOG_START, LOG_END):
        for acc in world.accounts:
            lam = 0.35 * acc.traffic * max(0.4, activity(acc.region, hour))
            for _ in range(poisson(rng, lam)):
                t = at(hour, rng.uniform(0, 3600))
                if acc.id in slack_channels and rng.random() < 0.6:
                    lines += slack_delivery(rng, acc, t, slack_channels[acc.id])
                else:
                    lines.append(
                        rec(t, "info", "notifier", "notification delivered", account_id=acc.id,
                            channel="email",
                            template=rng.choice(["alert_triggered", "report_ready", "digest"]),
                            recipients=rng.randrange(1, 7), provider_latency_ms=latency(rng, 180),
                            region=acc.region)
                    )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.3):
        acc = rng.choice(noisy_accounts(world))
        lines.append(
            rec(t, "warning", "notifier", "email bounced", account_id=acc.id, channel="email",
                error_code="ERR_EMAIL_BOUNCED", bounce_type=rng.choice(["hard", "soft"]),
                region=acc.region)
        )  # fmt: skip
    t = SLACK_503_SINCE + timedelta(minutes=4)
    while t < LOG_END:
        lines.append(
            rec(at(t, rng.uniform(0, 30)), "warning", "notifier",
                "slack circuit breaker open, deferring deliveries", provider="slack",
                error_code="ERR_SLACK_UPSTREAM", deferred=rng.randrange(3, 40), region="us-east-1")
        )  # fmt: skip
        t += timedelta(minutes=15)
    lines += slack_delivery(
        rng, world.by_id[QUARRY], ts("2026-11-25T16:52:10Z"), "#inventory-alerts", test=True
    )
    for _cid, t in NW_ATTEMPTS[2:]:
        lines.append(
            rec(at(t, 65), "info", "notifier", "notification delivered", account_id=NORTHWIND,
                channel="email", template="invoice_payment_failed", recipients=1,
                provider_latency_ms=212, region="eu-west-1")
        )  # fmt: skip
    return lines


def slack_delivery(
    rng: random.Random, acc: Account, t: datetime, channel: str, test: bool = False
) -> list[Line]:
    """4821: from SLACK_503_SINCE every Slack delivery fails three times and is dropped."""
    if t < SLACK_503_SINCE:
        return [
            rec(
                t,
                "info",
                "notifier",
                "notification delivered",
                account_id=acc.id,
                channel="slack",
                slack_channel=channel,
                provider_latency_ms=latency(rng, 240),
                region=acc.region,
            )
        ]
    lines: list[Line] = []
    for attempt, delay in enumerate((0, 30, 120), 1):
        lines.append(
            rec(at(t, delay + rng.uniform(0, 2)), "error", "notifier", "slack API returned 503",
                account_id=acc.id, channel="slack", slack_channel=channel, provider="slack",
                upstream_status=503, error_code="ERR_SLACK_UPSTREAM", attempt=attempt,
                test_message=True if test else None, region=acc.region)
        )  # fmt: skip
    lines.append(
        rec(at(t, 122 + rng.uniform(0, 2)), "warning", "notifier",
            "notification dropped after 3 attempts", account_id=acc.id, channel="slack",
            slack_channel=channel, provider="slack", error_code="ERR_SLACK_UPSTREAM",
            region=acc.region)
    )  # fmt: skip
    return lines


# ---------------------------------------------------------------------------------------------
# logs/web.log.gz (plain text, gzip)
# ---------------------------------------------------------------------------------------------
def build_web_log(rng: random.Random, world: World, api_lines: list[Line]) -> list[Line]:
    lines: list[Line] = []
    for hour in hours(LOG_START, LOG_END):
        for acc in world.accounts:
            for _ in range(poisson(rng, 0.55 * acc.traffic * activity(acc.region, hour))):
                t = at(hour, rng.uniform(0, 3600))
                if (
                    acc.id in OUTAGE_ACCOUNTS
                    and OUTAGE_START <= t < OUTAGE_END
                    and rng.random() < 0.7
                ):
                    continue
                user = pick_user(rng, acc)
                lines.append(
                    rec(t, "info", "web", "page served", method="GET",
                        path=fill(rng, acc, rng.choice(WEB_PAGES)), status=200, account_id=acc.id,
                        user_id=user.id, duration_ms=latency(rng, 60), region=acc.region)
                )  # fmt: skip
    accounts = noisy_accounts(world)
    for t in spread(rng, LOG_START, LOG_END, 0.8):
        acc = rng.choice(accounts)
        lines.append(
            rec(t, "warning", "web", "slow page render", path=fill(rng, acc, "/dashboards/{dsh}"),
                account_id=acc.id, render_ms=rng.randrange(3000, 6500), region=acc.region)
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.4):
        acc = rng.choice(accounts)
        lines.append(
            rec(t, "error", "web", "websocket closed unexpectedly", account_id=acc.id,
                error_code="ERR_CLIENT_DISCONNECTED", close_code=1006, region=acc.region)
        )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.5):
        lines.append(
            rec(
                t,
                "warning",
                "web",
                "CSP violation reported",
                directive="script-src",
                blocked_uri=rng.choice(
                    ["https://cdn.segment.example", "inline", "https://widget.intercom.example"]
                ),
                region=rng.choice(list(BUSINESS_HOURS_UTC)),
            )
        )
    for version, when in (
        ("v5.8.1", "2026-11-23T09:30:17Z"),
        ("v5.8.2", "2026-11-23T16:10:03Z"),
        ("v5.9.0", "2026-11-25T10:00:27Z"),
    ):
        for region in BUSINESS_HOURS_UTC:
            lines.append(
                rec(at(ts(when), rng.uniform(5, 40)), "info", "web", "starting web",
                    version=version, region=region)
            )  # fmt: skip
    lines += web_mirrors(rng, api_lines)
    return lines


def web_mirrors(rng: random.Random, api_lines: list[Line]) -> list[Line]:
    """What the browser side saw for some scenario API lines (502s, read-only banner, SSO callback)."""
    lines: list[Line] = []
    for t, d in api_lines:
        code = d.get("error_code")
        if code == "ERR_UPSTREAM_UNAVAILABLE" and rng.random() < 0.4:
            lines.append(
                rec(at(t, 0.05), "error", "web", "dashboard tiles failed to load", status=502,
                    error_code=code, account_id=d["account_id"], user_id=d["user_id"],
                    request_id=d["request_id"], region=d["region"])
            )  # fmt: skip
        elif code == "ERR_ACCOUNT_PAST_DUE" and rng.random() < 0.5:
            lines.append(
                rec(at(t, 0.04), "warning", "web", "read-only banner shown",
                    reason="account_past_due", account_id=d["account_id"], user_id=d["user_id"],
                    region=d["region"])
            )  # fmt: skip
    return lines


def web_sso_mirrors(rng: random.Random, auth_lines: list[Line]) -> list[Line]:
    return [
        rec(
            at(t, 0.03),
            "warning",
            "web",
            "SSO callback rejected, redirecting to login",
            path="/login?error=saml_invalid",
            account_id=d["account_id"],
            error_code=d["error_code"],
            region=d["region"],
        )
        for t, d in auth_lines
        if d.get("error_code") == "ERR_SAML_SIGNATURE_INVALID" and rng.random() < 0.5
    ]


def write_web_log(lines: list[Line]) -> int:
    lines = sorted(lines, key=lambda x: x[0])
    data = "".join(plain(line) + "\n" for line in lines).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    (HERE / "logs" / "web.log.gz").write_bytes(buf.getvalue())
    return len(lines)


# ---------------------------------------------------------------------------------------------
# logs/ingest.log (plain text, with two deliberately broken lines)
# ---------------------------------------------------------------------------------------------
def build_ingest_log(rng: random.Random, world: World) -> list[Line]:
    lines: list[Line] = []
    live = [a for a in world.accounts if a.traffic > 0]
    partition = {
        a.id: f"events-{(int(a.id[4:]) * 7) % 12 if a.id != COPPERLEAF else 7}" for a in live
    }
    for a in live:  # only Copperleaf lives on events-7 in eu-west-1
        if partition[a.id] == STUCK_PARTITION and a.id != COPPERLEAF:
            partition[a.id] = "events-11"
    for hour in hours(LOG_START, LOG_END):
        for acc in live:
            for _ in range(poisson(rng, 0.3 * acc.traffic + (0.6 if acc.id == COPPERLEAF else 0))):
                t = at(hour, rng.uniform(0, 3600))
                if acc.id == COPPERLEAF and t >= REBALANCE_START:
                    continue
                lines.append(
                    rec(t, "info", "ingest", "batch committed", account_id=acc.id,
                        partition=partition[acc.id], rows=rng.randrange(800, 60000),
                        duration_ms=latency(rng, 900), region=acc.region)
                )  # fmt: skip
    for t in spread(rng, LOG_START, LOG_END, 0.25):
        acc = rng.choice(noisy_accounts(world))
        lines.append(
            rec(
                t,
                "warning",
                "ingest",
                "schema drift: new column added",
                account_id=acc.id,
                table=rng.choice(["events", "orders", "sessions", "meter_readings"]),
                column=rng.choice(
                    ["utm_content", "device_class", "store_code", "unit", "discount_code"]
                ),
                region=acc.region,
            )
        )
    for day in range(21, 26):
        for region in BUSINESS_HOURS_UTC:
            t = at(ts(f"2026-11-{day:02d}T00:00:00Z"), rng.uniform(3600, 80000))
            gen = 4400 + (day - 21) * 2 + (region == "us-east-1")
            lines.append(
                rec(t, "info", "ingest", "partition rebalance completed",
                    consumer_group=f"ingest-{region}", generation=gen, partitions=12,
                    took_ms=rng.randrange(900, 4000), region=region)
            )  # fmt: skip
    for t in (ts("2026-11-21T16:42:10Z"), ts("2026-11-22T06:18:44Z"), ts("2026-11-23T13:55:31Z")):
        acc = rng.choice([a for a in noisy_accounts(world) if a.region == "us-east-1"])
        lines.append(
            rec(t, "warning", "ingest", "ingest lag exceeds threshold", account_id=acc.id,
                partition=partition[acc.id], lag_s=rng.randrange(910, 1100),
                error_code="ERR_INGEST_LAG", region=acc.region)
        )  # fmt: skip
    lines += ingest_stuck_partition(rng)
    lines += ingest_backfill(rng)
    return lines


def ingest_stuck_partition(rng: random.Random) -> list[Line]:
    """4818: a consumer leaves mid-rebalance; partition events-7 is never reassigned."""
    group = "ingest-eu-west-1"
    lines = [
        rec(
            REBALANCE_START,
            "info",
            "ingest",
            "partition rebalance started",
            consumer_group=group,
            generation=4412,
            reason="member ingest-eu-3 left the group",
            region="eu-west-1",
        )
    ]
    t = at(REBALANCE_START, 300)
    while t < LOG_END:
        lines.append(
            rec(at(t, rng.uniform(0, 3)), "error", "ingest", "partition rebalance stuck",
                consumer_group=group, partition=STUCK_PARTITION, generation=4412,
                waiting_on="ingest-eu-3", region="eu-west-1")
        )  # fmt: skip
        t = at(t, 900)
    t = at(REBALANCE_START, 1500)
    while t < LOG_END:
        lag = int((t - REBALANCE_START).total_seconds())
        lines.append(
            rec(at(t, rng.uniform(0, 3)), "warning", "ingest", "ingest lag exceeds threshold",
                account_id=COPPERLEAF, partition=STUCK_PARTITION, lag_s=lag,
                error_code="ERR_INGEST_LAG", region="eu-west-1")
        )  # fmt: skip
        t = at(t, 600)
    return lines


def ingest_backfill(rng: random.Random) -> list[Line]:
    return [
        rec(
            t,
            "info",
            "ingest",
            "backfill batch committed",
            account_id=TESSELLATE,
            table="pos_transactions",
            rows=5000000,
            duration_ms=latency(rng, 41000),
            region="us-east-1",
        )
        for t in spread(rng, at(BACKFILL_STARTED, 30), ts("2026-11-25T06:05:00Z"), 8)
    ]


def write_ingest_log(lines: list[Line]) -> int:
    """Plain text; one line with invalid UTF-8 and a last line cut off mid-write (no newline)."""
    lines = sorted(lines, key=lambda x: x[0])
    out = [plain(line).encode("utf-8") + b"\n" for line in lines]
    bad = (
        b"2026-11-23T04:12:09.551Z WARN [ingest] rejected row with undecodable payload account_id=acc_1026 "
        b"source=sftp preview=\xff\xfe\x00A\x00c\x00\n"
    )
    index = next(i for i, (t, _) in enumerate(lines) if t >= ts("2026-11-23T04:12:09Z"))
    out.insert(index, bad)
    out.append(b"2026-11-25T23:59:58.912Z INFO [ingest] batch committed account_id=acc_10")
    (HERE / "logs" / "ingest.log").write_bytes(b"".join(out))
    return len(out)


# ---------------------------------------------------------------------------------------------
# Records: bugs.yaml, alerts.json, deploys.yaml (and expected.yaml) with a tiny YAML emitter
# ---------------------------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 _./()+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(
        text, ensure_ascii=False
    )  # a JSON string is a valid YAML double-quoted scalar


def yaml_inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in value.items()) + "}"
        )
    return yaml_scalar(value)


def _is_nested(value: Any) -> bool:
    """A non-empty dict or list that itself holds dicts or lists (emitted in block style)."""
    if not isinstance(value, (dict, list)) or not value:
        return False
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(x, (dict, list)) for x in items)


def to_yaml(obj: Any, level: int = 0) -> str:
    pad = "  " * level
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if _is_nested(v):
                out.append(f"{pad}{yaml_scalar(k)}:")
                out.append(to_yaml(v, level + 1))
            else:
                out.append(f"{pad}{yaml_scalar(k)}: {yaml_inline(v)}")
        return "\n".join(out)
    out = []
    for item in obj:
        if isinstance(item, dict):
            first, *rest = to_yaml(item, level + 1).split("\n")
            out.append(f"{pad}- {first.lstrip()}")
            out.extend(rest)
        else:
            out.append(f"{pad}- {yaml_inline(item)}")
    return "\n".join(out)


def write_yaml(name: str, header: str, obj: Any) -> None:
    text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.strip().split("\n"))
    (HERE / name).write_text(text + to_yaml(obj) + "\n", encoding="utf-8")


def write_bugs() -> None:
    rows = [
        {
            "key": key,
            "title": title,
            "status": status,
            "component": comp,
            "created": created,
            "updated": updated,
            "labels": labels,
            "fix_version": fix,
            "error_signature": sig,
            "description": desc,
            "url": f"https://tracker.acme-metrics.example/browse/{key}",
        }
        for key, title, status, comp, created, updated, labels, fix, sig, desc in BUGS
    ]
    write_yaml("bugs.yaml", "Bug tracker export (project APP), generated by build_demo.py.", rows)


def write_alerts() -> None:
    rows = []
    for name, status, severity, service, region, starts, ends, summary, expr in ALERTS:
        fingerprint = hashlib.sha256(f"{name}|{service}|{region}|{starts}".encode()).hexdigest()[
            :16
        ]
        host = f"prometheus.{region}.acme-metrics.example"
        rows.append(
            {
                "fingerprint": fingerprint,
                "alertname": name,
                "status": status,
                "severity": severity,
                "service": service,
                "region": region,
                "startsAt": starts,
                "endsAt": ends,
                "summary": summary,
                "generatorURL": f"https://{host}/graph?g0.expr="
                + re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group()):02X}", expr)
                + "&g0.tab=1",
            }
        )
    (HERE / "alerts.json").write_text(
        json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_deploys() -> None:
    rows = [
        {
            "service": svc,
            "version": ver,
            "deployed_at": when,
            "author": author,
            "commit": commit,
            "changelog": log,
            "url": f"https://ci.acme-metrics.example/deploys/{svc}/{ver}",
        }
        for svc, ver, when, author, commit, log in DEPLOYS
    ]
    write_yaml("deploys.yaml", "Production deploys, generated by build_demo.py.", rows)


def write_expected() -> None:
    header = (
        "What a correct investigation of each demo ticket must find. Generated by build_demo.py.\n"
        "category: the root-cause category; decisive: evidence the report must cite, where `source` is the\n"
        "connector instance name, `kind` the evidence kind and `contains` a substring of the evidence's\n"
        "title or detail. Instance names assumed:\n"
        + "\n".join(f"  {name:9} type {kind:9} {path}" for name, (kind, path) in SOURCES.items())
        + "\nLog kinds are `log_pattern` for repeated lines; a test may also accept `log`."
    )
    data = {
        tid: {
            "category": e["category"],
            "decisive": [{"source": s, "kind": k, "contains": c} for s, k, c in e["decisive"]],
        }
        for tid, e in EXPECTED.items()
    }
    write_yaml("expected.yaml", header, data)


# ---------------------------------------------------------------------------------------------
# tickets/<id>.json
# ---------------------------------------------------------------------------------------------
def write_tickets() -> None:
    folder = HERE / "tickets"
    folder.mkdir()
    for spec in TICKETS:
        comments = [
            {"author": a, "body": b, "created_at": c, "public": p}
            for a, c, p, b in spec["comments"]
        ]
        updated = max([spec["created_at"]] + [c["created_at"] for c in comments])
        ticket = {
            "id": spec["id"],
            "url": f"https://support.acme-metrics.example/tickets/{spec['id']}",
            "subject": spec["subject"],
            "description": spec["description"],
            "status": spec["status"],
            "priority": spec["priority"],
            "created_at": spec["created_at"],
            "updated_at": updated,
            "requester": {"name": spec["requester"][0], "email": spec["requester"][1]},
            "organization": spec["organization"],
            "tags": spec["tags"],
            "custom_fields": spec["custom_fields"],
            "comments": comments,
        }
        if "channel" in spec:
            ticket["channel"] = spec["channel"]  # an extra field the loader must keep in `raw`
        (folder / f"{spec['id']}.json").write_text(
            json.dumps(ticket, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


# ---------------------------------------------------------------------------------------------
# README.md
# ---------------------------------------------------------------------------------------------
def other_scenario_ids() -> list[tuple[str, str]]:
    def ids(values: list[str]) -> str:
        return ", ".join(f"`{v}`" for v in values)

    return [
        ("4812", f"customer `{NW_CUSTOMER}`; failed charges {ids([c for c, _ in NW_ATTEMPTS])} (the 3rd at "
                 f"{iso(NW_ATTEMPTS[2][1])}); read-only since {iso(NW_RESTRICTED)}; requester `{DANA}`"),
        ("4813", f"request id `{REQ_4813}` (pasted in the ticket; one ERR_EXPORT_SERIALIZE line); deploy at "
                 f"{iso(API_2140_DEPLOYED)}, first error {iso(EXPORT_BUG_FIRST)}; accounts {ids(EXPORT_BUG_ACCOUNTS)}"),
        ("4814", f"alert starts {iso(ALERT_STARTS_AT)}; 502s from {iso(OUTAGE_START)} to {iso(OUTAGE_END)} for "
                 f"{len(OUTAGE_ACCOUNTS)} eu-west-1 accounts; upstream `query-engine.eu-west-1.svc:9000`"),
        ("4815", f"user `{ALICIA}` (now viewer), changed by `greg.tanaka@harborviewhealth.com` (`{GREG}`) "
                 f"at {iso(ROLE_CHANGED)}"),
        ("4816", f"settings changed at {iso(SSO_UPDATED)} by `ravi.kulkarni@lumenrobotics.com`; configured cert "
                 f"`{SSO_NEW_CERT}`, responses signed with `{SSO_OLD_CERT}`; requester `{SAMUEL}`"),
        ("4817", f"user agent `{SYNC_UA}`, service user `{FJORD_SYNC}`; 429s from {iso(SYNC_429_START)} to "
                 f"{iso(SYNC_429_END)}; `limit_per_min` 600"),
        ("4818", f"job `{STUCK_JOB}` running since {iso(STUCK_JOB_CREATED)}; partition `{STUCK_PARTITION}`, "
                 "consumer group `ingest-eu-west-1`, generation 4412"),
        ("4819", f"requester `{ROSA}`; no warning or error line anywhere for `{BLUEBIRD}`"),
        ("4820", f"requester `{KEVIN}`; backfill started {iso(BACKFILL_STARTED)}; slow since "
                 f"{iso(SLOW_SINCE)}; path `/api/v2/reports/query`"),
        ("4821", f"Slack deliveries fail with 503 since {iso(SLACK_503_SINCE)}; Slack-connected accounts {ids(SLACK_ACCOUNTS)}; channel `#inventory-alerts`; "
                 "last notifier deploy v2.3.0 on 2026-11-20"),
    ]  # fmt: skip


def write_readme(world: World, counts: dict[str, int]) -> None:
    rows = []
    for spec in TICKETS:
        e = EXPECTED[spec["id"]]
        acc = world.by_id[world.user_by_email(spec["requester"][1]).account_id]
        rows.append(
            f"| {spec['id']} | {spec['subject']} | {spec['created_at']} | `{acc.id}` {acc.name} "
            f"| **{e['category']}** | {e['root_cause']} |"
        )
    ids = []
    for spec in TICKETS:
        e = EXPECTED[spec["id"]]
        acc = world.by_id[world.user_by_email(spec["requester"][1]).account_id]
        ids.append(
            f"| {spec['id']} | `{acc.id}` | "
            + ", ".join(f"`{c}`" for _, _, c in e["decisive"])
            + " |"
        )
    sources = "\n".join(
        f"| `{name}` | `{kind}` | `{path}` |" for name, (kind, path) in SOURCES.items()
    )
    log_table = "\n".join(f"| `logs/{name}` | {n:,} |" for name, n in counts.items())
    other_ids = "\n".join(f"| {tid} | {text} |" for tid, text in other_scenario_ids())
    text = README.format(accounts=len(world.accounts), users=len(world.users), jobs=len(world.jobs),
                         audit=len(world.audit), invoices=len(world.invoices),
                         charges=len(world.charges), bugs=len(BUGS), alerts=len(ALERTS),
                         deploys=len(DEPLOYS), tickets="\n".join(rows), ids="\n".join(ids),
                         sources=sources, logs=log_table, total=sum(counts.values()),
                         snapshot=ALERTS_SNAPSHOT, other_ids=other_ids)  # fmt: skip
    (HERE / "README.md").write_text(text, encoding="utf-8")


README = """\
# The Acme Metrics demo world

> **Generated file.** Everything in this folder except `build_demo.py` is written by
> `python examples/demo/build_demo.py` (deterministic: seeded randomness, no clock). Edit the
> tables at the top of that script and rerun it instead of editing data by hand.

**Acme Metrics** is a fictional B2B analytics SaaS: customers connect data sources, build
dashboards and reports, export them (CSV/XLSX/PDF), schedule deliveries and get alerts by email,
Slack or webhook. It runs the services `api`, `web`, `worker`, `ingest`, `auth`, `billing-sync`
and `notifier` in two regions, `eu-west-1` and `us-east-1`, and bills through Stripe.

The world has {accounts} customer accounts (`acc_1001` … `acc_1040`) with {users} users, five days of logs
(2026-11-21 00:00 to 2026-11-25 23:59 UTC) with ordinary traffic and steady background noise, and
ten support tickets created between 2026-11-24 08:14 and 2026-11-25 17:05 UTC, so every ticket's
24-hour window has at least two days of baseline before it. Each ticket has a different root cause.

## Files

| path | what |
|---|---|
| `tickets/<id>.json` | 10 helpdesk tickets (`4812` … `4821`), with comments (public and internal); `4812` has an extra `channel` field |
| `logs/api.jsonl`, `worker.jsonl`, `auth.jsonl`, `notifier.jsonl` | JSON lines: `ts`, `level`, `service`, `msg` + context (`request_id`, `account_id`, `user_id`, `path`, `status`, `duration_ms`, `region`, `error_code`, `job_id`, …); `worker.jsonl` also holds `billing-sync` |
| `logs/web.log.gz` | gzip'd plain text: `2026-11-24T09:13:02.123Z ERROR [web] message key=value …` |
| `logs/ingest.log` | same plain format; one line has invalid UTF-8 bytes and the last line is cut off without a newline (on purpose) |
| `demo.db` | SQLite "production" DB: `accounts` ({accounts}), `users` ({users}), `subscriptions`, `jobs` ({jobs}, ten days), `audit_log` ({audit}) |
| `billing/invoices.jsonl` | Stripe-shaped invoice export ({invoices} invoices, June–November 2026) |
| `billing/charges.csv` | Stripe-shaped charges ({charges}) |
| `bugs.yaml` | {bugs} bug-tracker issues (several near misses) |
| `alerts.json` | {alerts} Alertmanager-style alerts, exported at {snapshot} during the 4814 incident |
| `deploys.yaml` | {deploys} production deploys, 2026-11-19 … 2026-11-25 |
| `expected.yaml` | per ticket: the category and the evidence a correct report must cite |

Log lines ({total:,} in all):

| file | lines |
|---|---|
{logs}

Each file is in time order. Background noise present all week at a steady rate (and so in every
ticket window): `ERR_CLIENT_DISCONNECTED` 499s, `ERR_TOKEN_EXPIRED` 401s, occasional
`ERR_PERMISSION_DENIED` and `ERR_INTERNAL` on other accounts, `redis connection reset` warnings,
`ERR_WEBHOOK_DELIVERY_RETRY` (a known bug, BUG-215), the hourly `cleanup` cron's
`ERR_CLEANUP_PARTIAL` (BUG-216), `ERR_INVALID_CREDENTIALS`, `ERR_EMAIL_BOUNCED`, slow renders, CSP
reports, a few failed PDF/XLSX/ingest jobs. A good investigator ranks these below the decisive
evidence.

## Connector instances

`expected.yaml` names evidence sources by these instance names:

| instance | type | reads |
|---|---|---|
{sources}

The SQLite queries the demo is built for (`:window_start` = ticket `created_at` − 24 h, same format):

```sql
-- account
SELECT a.id, a.name, a.plan, a.status, a.region, a.stripe_customer_id, a.api_rate_limit_per_min, a.sso_enabled
  FROM accounts a JOIN users u ON u.account_id = a.id WHERE u.email = :requester_email
-- user
SELECT id, account_id, email, name, role, status, last_login_at FROM users WHERE email = :requester_email
-- subscription
SELECT id, account_id, plan, status, current_period_end, cancel_at_period_end FROM subscriptions WHERE account_id = :account_id
-- jobs
SELECT id, type, status, created_at, started_at, finished_at, error FROM jobs
 WHERE account_id = :account_id AND created_at >= :window_start ORDER BY created_at DESC LIMIT 20
-- audit
SELECT created_at, actor_email, action, target, details FROM audit_log
 WHERE account_id = :account_id AND created_at >= :window_start ORDER BY created_at DESC LIMIT 20
```

## The tickets

| ticket | subject | created (UTC) | account | category | intended root cause |
|---|---|---|---|---|---|
{tickets}

Ticket 4812 carries no organization id: the account is found from the requester's email
(`users` → `accounts`). The others name the account in `organization.id`.

Decisive ids per ticket (see `expected.yaml` for the source and kind of each):

| ticket | account | must cite |
|---|---|---|
{ids}

Other ids and facts in play (useful for tests):

| ticket | ids |
|---|---|
{other_ids}

Red herrings on purpose: a `web` deploy (v5.8.2, lazy-loaded tiles) the afternoon before the 4814
outage; an `auth` deploy the morning of the 4816 SSO failure; a closed bug about 429 headers
(BUG-223) for 4817; an open PDF-scheduling bug (BUG-219) for 4819; an XLSX export bug (BUG-212)
for 4813; a cosmetic role-dropdown bug (BUG-228) for 4815; a Slack formatting bug (BUG-225) for
4821; and a resolved us-east-1 `APIHighLatency` alert days before 4820.
"""


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def clean() -> None:
    for folder in ("tickets", "logs", "billing"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
    for name in (
        "demo.db",
        "bugs.yaml",
        "alerts.json",
        "deploys.yaml",
        "expected.yaml",
        "README.md",
    ):
        (HERE / name).unlink(missing_ok=True)


def main() -> None:
    rng = streams()
    clean()
    world = build_world(rng["world"])
    build_billing(rng["billing"], world)
    build_jobs(rng["jobs"], world)
    build_audit(rng["audit"], world)

    (HERE / "logs").mkdir()
    api = build_api_log(rng["api"], world)
    auth = build_auth_log(rng["auth"], world)
    web = build_web_log(rng["web"], world, api) + web_sso_mirrors(rng["web"], auth)
    counts = {
        "api.jsonl": write_jsonl("api.jsonl", api),
        "worker.jsonl": write_jsonl("worker.jsonl", build_worker_log(rng["worker"], world)),
        "auth.jsonl": write_jsonl("auth.jsonl", auth),
        "notifier.jsonl": write_jsonl("notifier.jsonl", build_notifier_log(rng["notifier"], world)),
        "web.log.gz": write_web_log(web),
        "ingest.log": write_ingest_log(build_ingest_log(rng["ingest"], world)),
    }
    write_db(world)
    write_billing(world)
    write_bugs()
    write_alerts()
    write_deploys()
    write_tickets()
    write_expected()
    write_readme(world, counts)
    for name, n in counts.items():
        print(f"logs/{name:15} {n:6} lines")
    print(f"total log lines      {sum(counts.values()):6}")


if __name__ == "__main__":
    main()
