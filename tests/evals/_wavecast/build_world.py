"""Wavecast, a podcast host: a world written by hand, outside the case generators, the way a
new user would describe their own product: their own log layout (logfmt, tenant key
`network`), their own database schema, their own two tickets. Deterministic; run it to
rebuild the files beside it (`python tests/evals/_wavecast/build_world.py`)."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 9, 15, 0, 0, tzinfo=UTC)
NETWORKS = {
    "net_0412": ("Harborline Audio", "eu-central", "studio"),
    "net_0107": ("Quiet Hours Media", "eu-central", "network"),
    "net_0220": ("Lantern Radio", "us-east", "studio"),
    "net_0333": ("Fieldnotes Collective", "us-east", "creator"),
    "net_0451": ("Bright Static", "ap-southeast", "network"),
    "net_0519": ("Cobalt Sessions", "eu-central", "creator"),
    "net_0602": ("Morrow & Vale", "us-west", "studio"),
    "net_0718": ("Tidewater Talks", "eu-central", "network"),
}


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def logfmt(t: datetime, level: str, svc: str, msg: str, **kv: object) -> str:
    extra = " ".join(f"{k}={v}" for k, v in kv.items())
    return f'time={ts(t)} level={level} svc={svc} msg="{msg}" {extra}'.rstrip()


def logs(rng: random.Random) -> list[str]:
    out: list[tuple[datetime, str]] = []
    start = T0 - timedelta(days=3)
    # ordinary traffic and steady background, three days before the tickets and the day itself
    t = start
    while t < T0 + timedelta(hours=11):
        t += timedelta(seconds=rng.randint(20, 70))
        net = rng.choice(list(NETWORKS))
        roll = rng.random()
        if roll < 0.45:
            out.append(
                (
                    t,
                    logfmt(
                        t,
                        "info",
                        "feedgen",
                        "feed rendered",
                        network=net,
                        items=rng.randint(20, 400),
                        ms=rng.randint(8, 90),
                    ),
                )
            )
        elif roll < 0.75:
            out.append(
                (
                    t,
                    logfmt(
                        t, "info", "api", "GET /v2/episodes 200", network=net, ms=rng.randint(5, 60)
                    ),
                )
            )
        elif roll < 0.85:
            out.append(
                (
                    t,
                    logfmt(
                        t,
                        "warn",
                        "transcode",
                        "ffmpeg: non-monotonic DTS, fixed",
                        network=net,
                        job=f"tj_{rng.randint(10000, 99999)}",
                    ),
                )
            )
        elif roll < 0.93:
            out.append(
                (
                    t,
                    logfmt(
                        t,
                        "error",
                        "analytics",
                        "ingest lag above 300s",
                        partition=rng.randint(0, 11),
                    ),
                )
            )
        else:
            out.append(
                (
                    t,
                    logfmt(
                        t,
                        "info",
                        "transcode",
                        "job finished",
                        network=net,
                        job=f"tj_{rng.randint(10000, 99999)}",
                        duration_s=rng.randint(600, 5400),
                    ),
                )
            )
    # ticket 7001: the customer pointed their feed at their own host, which answers 404
    changed = T0 - timedelta(hours=2, minutes=20)  # 21:40 the evening before
    t = changed + timedelta(minutes=1)
    while t < T0 + timedelta(hours=9, minutes=30):
        t += timedelta(minutes=rng.randint(6, 14))
        out.append(
            (
                t,
                logfmt(
                    t,
                    "error",
                    "feedgen",
                    "directory poll: redirect target returned 404 Not Found",
                    network="net_0412",
                    target="feeds.harborline.example",
                    poller=rng.choice(["apple", "spotify", "pocketcasts"]),
                ),
            )
        )
    # ticket 7002: a transcode release breaks long uploads for every network
    deploy = T0 + timedelta(hours=6, minutes=10)
    t = deploy + timedelta(minutes=4)
    while t < T0 + timedelta(hours=10, minutes=50):
        t += timedelta(minutes=rng.randint(3, 9))
        net = rng.choice(
            ["net_0412", "net_0107", "net_0220", "net_0333", "net_0519", "net_0602", "net_0718"]
        )
        out.append(
            (
                t,
                logfmt(
                    t,
                    "error",
                    "transcode",
                    "segment merge failed: chunk assembler out of memory",
                    network=net,
                    job=f"tj_{rng.randint(10000, 99999)}",
                    duration_s=rng.randint(9000, 14000),
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [line for _, line in out]


def database(path: Path) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT, region TEXT, tier TEXT);
        CREATE TABLE staff (email TEXT PRIMARY KEY, network TEXT, name TEXT, role TEXT);
        CREATE TABLE setting_changes (id INTEGER PRIMARY KEY, network TEXT, setting TEXT,
            old_value TEXT, new_value TEXT, changed_by TEXT, changed_at TEXT);
        CREATE TABLE uploads (id TEXT PRIMARY KEY, network TEXT, title TEXT, state TEXT,
            seconds INTEGER, uploaded_at TEXT);
        """
    )
    db.executemany("INSERT INTO networks VALUES (?,?,?,?)", [(k, *v) for k, v in NETWORKS.items()])
    db.executemany(
        "INSERT INTO staff VALUES (?,?,?,?)",
        [
            ("ines.marques@harborline.example", "net_0412", "Inês Marques", "owner"),
            ("sam.okoye@harborline.example", "net_0412", "Sam Okoye", "producer"),
            ("lee@quiethours.example", "net_0107", "Lee Park", "owner"),
        ],
    )
    db.executemany(
        "INSERT INTO setting_changes (network, setting, old_value, new_value, changed_by, "
        "changed_at) VALUES (?,?,?,?,?,?)",
        [
            (
                "net_0412",
                "artwork",
                "cover-v1.png",
                "cover-v2.png",
                "sam.okoye@harborline.example",
                ts(T0 - timedelta(days=2, hours=3)),
            ),
            (
                "net_0412",
                "feed_redirect_url",
                "",
                "https://feeds.harborline.example/rss",
                "ines.marques@harborline.example",
                ts(T0 - timedelta(hours=2, minutes=20)),
            ),
            (
                "net_0107",
                "explicit_flag",
                "false",
                "true",
                "lee@quiethours.example",
                ts(T0 - timedelta(hours=5)),
            ),
        ],
    )
    db.executemany(
        "INSERT INTO uploads VALUES (?,?,?,?,?,?)",
        [
            (
                "up_9001",
                "net_0412",
                "Harbor Stories #112",
                "published",
                2710,
                ts(T0 + timedelta(hours=7, minutes=5)),
            ),
            (
                "up_9002",
                "net_0412",
                "Harbor Stories #113",
                "published",
                2950,
                ts(T0 + timedelta(hours=7, minutes=20)),
            ),
            (
                "up_9003",
                "net_0412",
                "Live at the Pier (full concert)",
                "processing",
                11460,
                ts(T0 + timedelta(hours=8, minutes=2)),
            ),
        ],
    )
    db.commit()
    db.close()


def tickets() -> dict[str, dict[str, object]]:
    person = {"name": "Inês Marques", "email": "ines.marques@harborline.example"}
    org = {"id": "net_0412", "name": "Harborline Audio"}
    return {
        "7001": {
            "id": "7001",
            "subject": "New episodes not showing in Apple/Spotify?? is your feed broken",
            "description": (
                "Hi,\n\nWe published two episodes of Harbor Stories this morning and neither "
                "shows up in Apple Podcasts or Spotify. Last week they appeared within minutes. "
                "Is your RSS feed down? Our listeners are asking.\n\nInês"
            ),
            "status": "open",
            "created_at": ts(T0 + timedelta(hours=9, minutes=40)),
            "requester": person,
            "organization": org,
        },
        "7002": {
            "id": "7002",
            "subject": "Upload stuck on Processing",
            "description": (
                "Our concert recording (about 3h10, WAV) has been stuck on 'Processing' since "
                "08:02. Shorter episodes went through fine today. Do we need to split the "
                "file or is something wrong on your side?"
            ),
            "status": "open",
            "created_at": ts(T0 + timedelta(hours=10, minutes=45)),
            "requester": person,
            "organization": org,
        },
    }


def main() -> None:
    rng = random.Random(7)
    (HERE / "logs").mkdir(exist_ok=True)
    (HERE / "logs" / "wavecast.log").write_text("\n".join(logs(rng)) + "\n")
    database(HERE / "wavecast.db")
    (HERE / "tickets").mkdir(exist_ok=True)
    for key, ticket in tickets().items():
        (HERE / "tickets" / f"{key}.json").write_text(json.dumps(ticket, indent=1) + "\n")
    deploys = [
        {
            "app": "wavecast-analytics",
            "version": "v5.1.0",
            "at": ts(T0 + timedelta(hours=8)),
            "notes": "dashboard: retention curve by episode",
        },
        {
            "app": "wavecast-transcode",
            "version": "v3.8.0",
            "at": ts(T0 + timedelta(hours=6, minutes=10)),
            "notes": "streaming chunk assembler replaces the two-pass merge",
        },
    ]
    (HERE / "deploys.json").write_text(json.dumps(deploys, indent=1) + "\n")
    alerts = [
        {
            "alertname": "TranscodeQueueDepth",
            "state": "firing",
            "service": "transcode",
            "region": "ap-southeast",
            "startsAt": ts(T0 + timedelta(hours=9)),
            "summary": "queue depth above 500 for 10m",
        },
    ]
    (HERE / "alerts.json").write_text(json.dumps(alerts, indent=1) + "\n")


if __name__ == "__main__":
    main()
