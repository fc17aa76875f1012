"""--record / --replay / --cache."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from investigate.errors import SourceTimeout
from investigate.models import Evidence
from investigate.recording import Cache, result_from_json, result_to_json
from investigate.sdk.contract import Collected

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "config.example.yaml")
UNTIL = "2026-11-24T14:05:31Z"


def shape(report: dict) -> list[tuple]:  # type: ignore[type-arg]
    return [(e["id"], e["score"], e["source"], e["kind"]) for e in report["evidence"]]


def test_a_replay_gives_the_same_evidence_and_analysis_without_connectors(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rec = tmp_path / "rec"
    live = cli("ticket", "4813", "-c", DEMO, "--until", UNTIL, "-f", "json", "--record", str(rec))
    assert live.code == 0, live.err
    assert sorted(p.name for p in rec.iterdir()) == [
        "analysis.json",
        "context.json",
        "manifest.json",
        "sources",
        "ticket.json",
    ]
    # No config at all: the replay needs nothing but the folder.
    again = cli("ticket", "4813", "--replay", str(rec), "-f", "json")
    assert again.code == 0, again.err
    a, b = json.loads(live.out), json.loads(again.out)
    assert shape(a) == shape(b)
    assert b["analysis"]["root_cause"] == a["analysis"]["root_cause"] | {
        "statement": b["analysis"]["root_cause"]["statement"]
    }
    assert b["analysis"]["analyst"].endswith("(replayed)")
    assert (a["analysis"]["outcome"], b["analysis"]["outcome"]) == ("ok", "replayed")
    assert {s["name"]: s["status"] for s in a["sources"]} == {
        s["name"]: s["status"] for s in b["sources"]
    }


def test_recordings_redact_pii_unless_no_redact(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    email = "tom.okafor@brightlinedental.co.uk"
    redacted, raw = tmp_path / "r", tmp_path / "raw"
    assert cli("ticket", "4813", "-c", DEMO, "--until", UNTIL, "--record", str(redacted)).code == 0
    text = "".join(p.read_text() for p in redacted.rglob("*.json"))
    assert email not in text and "<EMAIL_1>" in text
    assert json.loads((redacted / "manifest.json").read_text())["redacted"] is True
    assert (
        cli(
            "ticket", "4813", "-c", DEMO, "--until", UNTIL, "--record", str(raw), "--no-redact"
        ).code
        == 0
    )
    assert email in "".join(p.read_text() for p in raw.rglob("*.json"))
    # With the PII kept, a replay matches the live report item for item, titles included.
    live = cli("ticket", "4813", "-c", DEMO, "--until", UNTIL, "-f", "json")
    replay = cli("ticket", "4813", "--replay", str(raw), "-f", "json")
    titles = lambda r: [e["title"] for e in json.loads(r.out)["evidence"]]  # noqa: E731
    assert titles(live) == titles(replay)
    for path in redacted.rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # customer data: the user's only


def test_replay_with_an_analyst_analyses_the_recorded_evidence_again(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rec = tmp_path / "rec"
    assert cli("ticket", "4812", "-c", DEMO, "--record", str(rec)).code == 0
    again = cli("ticket", "4812", "--replay", str(rec), "--analyst", "offline", "-f", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["analysis"]["analyst"] == "offline"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "manifest.json is missing"),
        ("other-ticket", "is a recording of ticket 4812, not 4813"),
        ("corrupt", "not a valid recording"),
    ],
)
def test_replay_errors_are_usage_errors(cli, tmp_path, setup, message) -> None:  # type: ignore[no-untyped-def]
    rec = tmp_path / "rec"
    if setup != "missing":
        assert cli("ticket", "4812", "-c", DEMO, "--record", str(rec)).code == 0
    else:
        rec.mkdir()
    if setup == "corrupt":
        (rec / "context.json").write_text('{"entities": 3}')
    result = cli("ticket", "4813", "--replay", str(rec))
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


def test_record_and_replay_together_is_a_usage_error(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "ticket",
        "4812",
        "-c",
        DEMO,
        "--record",
        str(tmp_path / "a"),
        "--replay",
        str(tmp_path / "b"),
    )
    assert result.code == 2 and "cannot be combined" in result.err


def test_results_round_trip_through_json() -> None:
    collected = Collected(
        evidence=[Evidence(source="db", kind="db_row", title="Job j1: failed")],
        provides={"account_id": ["acc_1"]},
        notes=["capped at 100 rows"],
        partial=True,
    )
    back, ms = result_from_json(json.loads(json.dumps(result_to_json(collected, 12))))
    assert back == collected and ms == 12
    error, _ = result_from_json(result_to_json(SourceTimeout("no answer", hint="raise timeout"), 5))
    assert isinstance(error, SourceTimeout) and error.hint == "raise timeout"


@pytest.mark.usefixtures("example_plugin")
def test_the_cache_answers_a_second_look_and_expires(
    cli, write_config, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from example_connector import Example, ticket

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = write_config(
        {
            "ticket_source": "helpdesk",
            "connectors": {
                "helpdesk": {"type": "example", "tickets": {"1": ticket()}},
                "billing": {"type": "example", "evidence": [{"title": "ERROR acc_1042 declined"}]},
                "broken": {"type": "example", "fail": "503 from upstream"},
            },
        }
    )
    Example.calls.clear()
    first = cli("ticket", "1", "-c", str(config), "-f", "json", "--cache", "10m")
    assert first.code == 0
    assert ("billing", "collect") in Example.calls
    Example.calls.clear()
    second = cli("ticket", "1", "-c", str(config), "-f", "json", "--cache", "10m")
    assert second.code == 0
    assert ("billing", "collect") not in Example.calls  # answered from the cache
    assert ("broken", "collect") in Example.calls  # failures are never cached
    assert shape(json.loads(first.out)) == shape(json.loads(second.out))
    folder = tmp_path / "cache" / "investigate"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    Example.calls.clear()
    assert cli("ticket", "1", "-c", str(config), "-f", "json", "--cache", "0s").code == 0
    assert ("billing", "collect") in Example.calls  # expired
    assert cli("ticket", "1", "-c", str(config), "--cache", "soon").code == 2


def test_the_cache_key_covers_secrets_without_storing_them() -> None:
    from pydantic import SecretStr

    from investigate.models import Entities
    from investigate.sdk.contract import ConnectorConfig

    class Cfg(ConnectorConfig):
        api_key: SecretStr

    start = "2026-11-24T00:00:00Z"
    a = Cache.key(
        Cfg(type="x", api_key=SecretStr("canary-aaaa")), "collect", "1", start, None, Entities()
    )
    b = Cache.key(
        Cfg(type="x", api_key=SecretStr("canary-bbbb")), "collect", "1", start, None, Entities()
    )
    assert a != b and "canary" not in a


@pytest.mark.parametrize("kind", ["dev-zero", "fifo-source", "oversized", "deep"])
def test_a_recording_is_read_only_from_regular_files_of_bounded_size(  # type: ignore[no-untyped-def]
    cli, tmp_path, monkeypatch, kind
) -> None:
    import os

    from investigate import recording

    rec = tmp_path / "rec"
    assert cli("ticket", "4812", "-c", DEMO, "--record", str(rec)).code == 0
    if kind == "dev-zero":
        (rec / "ticket.json").unlink()
        (rec / "ticket.json").symlink_to("/dev/zero")
        expected = "ticket.json is not a regular file"
    elif kind == "fifo-source":
        os.mkfifo(rec / "sources" / "aaa.collect.json")
        expected = "aaa.collect.json is not a regular file"
    elif kind == "deep":
        (rec / "ticket.json").write_text("[" * 200_000 + "]" * 200_000)
        expected = "ticket.json is nested too deeply"
    else:
        monkeypatch.setattr(recording, "MAX_FILE_BYTES", 1024 * 1024)
        (rec / "ticket.json").write_text(" " * (1024 * 1024 + 1) + "{}")
        expected = "ticket.json is larger than 1 MiB"
    result = cli("ticket", "4812", "--replay", str(rec))
    assert result.code == 2, result.err
    assert expected in result.err and "Traceback" not in result.err


def test_recorded_files_stay_valid_json_and_keep_counts_while_secrets_are_masked(
    tmp_path: Path,
) -> None:
    """Masking runs value by value: a token count is a number, not a token, and a password
    under its key is still masked."""
    from investigate.recording import write_json
    from investigate.secrets import MASKER

    MASKER.add("s3cr3t-from-config-value")
    try:
        data = {
            "usage": {"input_tokens": 5000, "output_tokens": 1234},
            "row": {"password": "hunter2hunter2", "note": "auth=abcd1234efgh"},
            "log": "called with s3cr3t-from-config-value",
            "keys": ["sk_live_ABCDEFGH12345678"],
        }
        path = tmp_path / "analysis.json"
        write_json(path, data)
        back = json.loads(path.read_text())
    finally:
        MASKER.clear()
    assert back["usage"] == {"input_tokens": 5000, "output_tokens": 1234}
    assert back["row"]["password"] == "***"
    assert "abcd1234efgh" not in back["row"]["note"]
    assert back["log"] == "called with ***"
    assert back["keys"] == ["***"]
