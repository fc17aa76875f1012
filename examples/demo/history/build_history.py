"""Build the demo's ticket history for `investigate stats` (deterministic: run it again and
the files come out byte for byte the same).

    python examples/demo/history/build_history.py [OUT_DIR]   # default: next to this script

Writes, next to this script:
  tickets.jsonl  ~300 past tickets (2026-10-12 → 2026-11-25) in the `file` source's shape, with
                 agent replies, status changes (pending periods, reopens), solves, satisfaction
                 ratings (1–5 and good/bad), escalation groups and tags, and one incident burst:
                 six customers reporting ERR_UPSTREAM_UNAVAILABLE / 502 on dashboards between
                 12:58 and 13:19 UTC on 2026-11-24, before APIHighErrorRate fired at 13:21
                 (examples/demo/alerts.json); plus one noisy customer filing the same webhook
                 error six times that day (one customer: not an incident).
  nps.csv        NPS survey answers (0–10) over the same weeks.

IDs run from 3001, apart from the ten demo tickets (4812–4821) in ../tickets.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # background tickets stop before the radar window
BURST = datetime(2026, 11, 24, 12, 58, 10, tzinfo=UTC)
AGENTS = ["Hannah Cole", "Marcus Reid", "Priya Nair", "Tom Becker", "Aiko Tanaka"]
CUSTOMERS = [
    ("Brightline Dental Group", "brightline-dental.com"),
    ("Kestrel Freight GmbH", "kestrel-freight.de"),
    ("Harborview Health Partners", "harborviewhealth.org"),
    ("Lumen Robotics", "lumenrobotics.io"),
    ("Fjordline Analytics AS", "fjordline.no"),
    ("Copperleaf Energy", "copperleaf-energy.com"),
    ("Bluebird Bakeries", "bluebirdbakeries.com"),
    ("Tessellate Retail", "tessellate-retail.com"),
    ("Quarry & Pine Outfitters", "quarryandpine.com"),
    ("Northwind Logistics", "northwind-logistics.com"),
    ("Orchid Labs", "orchidlabs.ai"),
    ("Saltmarsh Media", "saltmarsh.media"),
    ("Granite Peak Insurance", "granitepeak.com"),
    ("Velvet Rope Events", "velvetrope.events"),
    ("Ironclad Security", "ironclad-sec.com"),
    ("Meadowbrook Schools", "meadowbrook.edu"),
]
# (subject, description, category, product area, priority weights)
TOPICS = [
    (
        "How do I share a dashboard with a client?",
        "Is there a read-only link we can send?",
        "user_error",
        "dashboards",
    ),
    (
        "Question about our last invoice",
        "The amount is higher than last month, why?",
        "billing",
        "billing",
    ),
    (
        "Card declined on renewal",
        "Our renewal failed with card_declined, can you retry?",
        "billing",
        "billing",
    ),
    (
        "Add SSO for our team",
        "We want to turn on SAML SSO, what do we need?",
        "configuration",
        "sso",
    ),
    ("Scheduled PDF report arrives empty", "The weekly PDF has no charts in it.", "bug", "reports"),
    ("CSV import stuck at 0%", "Our upload has been processing for an hour.", "bug", "ingest"),
    (
        "Slack notifications delayed",
        "Alerts reach Slack 20 minutes late.",
        "integration",
        "notifications",
    ),
    (
        "Feature request: dark mode",
        "Our night shift would love a dark theme.",
        "feature_request",
        "dashboards",
    ),
    (
        "User can't log in after password reset",
        "She gets 'invalid credentials' every time.",
        "access",
        "auth",
    ),
    (
        "API returns 429 for our nightly sync",
        "We hit rate limits since we added a second job.",
        "configuration",
        "api",
    ),
    (
        "Charts show yesterday's data twice",
        "Duplicate points appear after midnight.",
        "data",
        "ingest",
    ),
    (
        "Reports page slow for big date ranges",
        "Anything over 90 days takes a minute to load.",
        "performance",
        "reports",
    ),
    (
        "Remove a former employee",
        "Please deactivate j.doe and move her dashboards.",
        "access",
        "admin",
    ),
    (
        "Webhook to our CRM stopped",
        "Nothing has arrived since Tuesday.",
        "integration",
        "integrations",
    ),
]
CHANNELS = ["email", "email", "email", "web", "web", "chat", "api"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "high", "urgent"]
FIRST_HOURS = {"urgent": 0.35, "high": 1.4, "normal": 3.0, "low": 8.0}
SOLVE_HOURS = {"urgent": 1.5, "high": 8.0, "normal": 24.0, "low": 40.0}
ZONES = [UTC, UTC, UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]


def iso(when: datetime, zone: timezone | None = UTC) -> str:
    return when.astimezone(zone).isoformat().replace("+00:00", "Z")


def person(rng: random.Random, domain: str) -> dict[str, str]:
    first = rng.choice(["Alex", "Sam", "Jordan", "Maria", "Lena", "Omar", "Kim", "Noah", "Ines"])
    last = rng.choice(["Berg", "Okafor", "Silva", "Moreau", "Larsen", "Chen", "Kaur", "Novak"])
    return {"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@{domain}"}


def background(rng: random.Random, number: int, created: datetime) -> dict[str, object]:
    org, domain = rng.choice(CUSTOMERS)
    subject, description, category, area = rng.choice(TOPICS)
    priority = rng.choice(PRIORITIES)
    requester = person(rng, domain)
    agent = rng.choice(AGENTS)
    zone = rng.choice(ZONES)
    first = created + timedelta(hours=rng.lognormvariate(0, 0.8) * FIRST_HOURS[priority])
    comments = []
    if rng.random() > 0.04:  # a few never got an agent reply
        comments.append(
            {
                "author": agent,
                "body": "Thanks, looking into it now.",
                "created_at": iso(first, zone),
                "public": True,
            }
        )
    changes: list[dict[str, str]] = [{"status": "open", "at": iso(first, zone)}] if comments else []
    at = first
    status = "open" if comments else "new"
    if comments and rng.random() < 0.35:  # waiting on the customer for a while
        at += timedelta(hours=rng.uniform(0.5, 3))
        changes.append({"status": "pending", "at": iso(at, zone)})
        at += timedelta(hours=rng.uniform(2, 30))
        changes.append({"status": "open", "at": iso(at, zone)})
        comments.append(
            {
                "author": requester["name"],
                "body": "Here is the screenshot you asked for.",
                "created_at": iso(at, zone),
                "public": True,
            }
        )
    solve = at + timedelta(hours=rng.lognormvariate(0, 0.7) * SOLVE_HOURS[priority])
    solved = comments and solve < END + timedelta(hours=30) and rng.random() > 0.06
    if solved:
        changes.append({"status": "solved", "at": iso(solve, zone)})
        status = "solved"
        if rng.random() < 0.07:  # reopened, then solved again
            back = solve + timedelta(hours=rng.uniform(2, 20))
            again = back + timedelta(hours=rng.uniform(1, 12))
            changes += [
                {"status": "open", "at": iso(back, zone)},
                {"status": "solved", "at": iso(again, zone)},
            ]
    group, tags = "Support", [area]
    roll = rng.random()
    if roll < 0.22:
        group = "Tier 2"
    if roll < 0.07 or (category == "bug" and roll < 0.3):
        group, tags = "Engineering", [*tags, "jira_escalated"]
    ticket: dict[str, object] = {
        "id": str(number),
        "subject": subject,
        "description": description,
        "status": status,
        "priority": priority,
        "channel": rng.choice(CHANNELS),
        "created_at": iso(created, zone),
        "requester": requester,
        "organization": {"id": domain.split(".")[0], "name": org},
        "group": group,
        "category": category,
        "tags": tags,
        "custom_fields": {"product_area": area},
        "comments": comments,
        "status_changes": changes,
    }
    if solved and rng.random() < 0.45:
        if rng.random() < 0.7:
            score: object = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 10, 8, 7])[0]
        else:
            score = rng.choices(["good", "bad"], weights=[85, 15])[0]
        ticket["satisfaction"] = {"score": score, "rated_at": iso(solve + timedelta(hours=2))}
    return ticket


def burst(number: int) -> list[dict[str, object]]:
    """Six customers, one error, 21 minutes: the incident the radar must find."""
    who = [CUSTOMERS[i] for i in (0, 3, 5, 7, 9, 12)]
    lines = [
        "Dashboards show 'ERR_UPSTREAM_UNAVAILABLE' and a 502",
        "502 Bad Gateway on every dashboard (ERR_UPSTREAM_UNAVAILABLE)",
        "Tiles fail with ERR_UPSTREAM_UNAVAILABLE",
    ]
    out = []
    for i, (org, domain) in enumerate(who):
        created = BURST + timedelta(minutes=[0, 4, 7, 12, 16, 21][i], seconds=13 * i)
        out.append(
            {
                "id": str(number + i),
                "subject": lines[i % 3],
                "description": "Since a few minutes none of our dashboards load: the tiles spin, then "
                "'ERR_UPSTREAM_UNAVAILABLE (HTTP 502)'. Region EU.",
                "status": "solved",
                "priority": "urgent" if i % 2 else "high",
                "channel": ["email", "chat", "web"][i % 3],
                "created_at": iso(created),
                "requester": person(random.Random(i), domain),
                "organization": {"id": domain.split(".")[0], "name": org},
                "group": "Support",
                "category": "outage",
                "tags": ["dashboards", "down"],
                "custom_fields": {"product_area": "dashboards", "region": "EU"},
                "comments": [
                    {
                        "author": AGENTS[i % len(AGENTS)],
                        "body": "We are seeing this too and are on it; updates on the status page.",
                        "created_at": iso(created + timedelta(minutes=9 + i)),
                        "public": True,
                    }
                ],
                "status_changes": [
                    {"status": "open", "at": iso(created + timedelta(minutes=9 + i))},
                    {"status": "solved", "at": iso(datetime(2026, 11, 24, 15, 40, tzinfo=UTC))},
                ],
            }
        )
    return out


def noisy(number: int) -> list[dict[str, object]]:
    """One customer, the same webhook error six times in a day: noise, not an incident."""
    org, domain = CUSTOMERS[10]
    return [
        {
            "id": str(number + i),
            "subject": f"Webhook delivery failed again ({i + 1})",
            "description": "Our endpoint got ERR_WEBHOOK_SIGNATURE again for event evt_9{i}31.",
            "status": "open",
            "priority": "normal",
            "channel": "email",
            "created_at": iso(datetime(2026, 11, 24, 9, 5, tzinfo=UTC) + timedelta(hours=2 * i)),
            "requester": {"name": "Rae Quint", "email": f"rae.quint@{domain}"},
            "organization": {"id": "orchidlabs", "name": org},
            "category": "integration",
            "tags": ["webhooks"],
            "custom_fields": {"product_area": "integrations"},
            "comments": [],
            "status_changes": [],
        }
        for i in range(6)
    ]


def nps(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    when = START
    while when < END:
        when += timedelta(hours=rng.uniform(4, 14))
        _org, domain = rng.choice(CUSTOMERS)
        score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 5, 9, 16, 24, 20])[0]
        rows.append({"submitted_at": iso(when), "account": domain, "score": score})
    return rows


def main(out_dir: Path = HERE) -> None:
    rng = random.Random(20)
    tickets = []
    when = START
    number = 3001
    while when < END:
        when += timedelta(minutes=rng.uniform(60, 320))
        if when.weekday() >= 5 and rng.random() < 0.7:
            continue  # quieter weekends
        tickets.append(background(rng, number, when))
        number += 1
    tickets += noisy(number)
    tickets += burst(number + 10)
    with (out_dir / "tickets.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for ticket in tickets:
            out.write(json.dumps(ticket, ensure_ascii=False, sort_keys=True) + "\n")
    with (out_dir / "nps.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(
            out, fieldnames=["submitted_at", "account", "score"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(nps(rng))
    print(f"{len(tickets)} tickets, {(out_dir / 'tickets.jsonl').stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
