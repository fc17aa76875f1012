"""A new user's first five minutes and the rough edges after (issue 15): the demo and `init`
from any folder, one "no config" message, output checked before the run, exit codes scripts can
trust, and messages that say what to type."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from investigate.config import load_config
from investigate.models import Report

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-24T12:00:00Z"


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder with no config anywhere the lookup would find one."""
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("INVESTIGATE_CONFIG", raising=False)
    return folder


# --- the demo, from any folder -----------------------------------------------------------------


def test_demo_lists_the_tickets_and_the_next_command(cli: Any, empty_dir: Path) -> None:
    result = cli("demo")
    assert result.code == 0, result.err
    ids = [line.split()[0] for line in result.out.splitlines() if line.startswith("  48")]
    assert ids == [str(n) for n in range(4812, 4822)]
    assert "CSV export broken - 500 error" in result.out
    assert "investigate demo 4812" in result.out


def test_demo_investigates_one_from_an_empty_folder(cli: Any, empty_dir: Path) -> None:
    result = cli("demo", "4813", "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.analysis.root_cause.category == "bug"
    assert {s.name for s in report.sources} >= {"logs", "db", "bugs", "deploys"}
    assert all(s.status == "ok" for s in report.sources)
    assert list(empty_dir.iterdir()) == []  # nothing written where the user stands


@pytest.mark.slow  # builds the wheel, runs python -m twice
def test_the_wheel_carries_the_demo_and_runs_it_from_an_empty_folder(tmp_path: Path) -> None:
    """Build the real wheel, unpack it as an installer would, and run the demo from an empty
    folder with only the unpacked wheel on the path: no checkout involved."""
    dist = tmp_path / "dist"
    build = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"
    built = subprocess.run(
        [sys.executable, "-c", build, str(dist)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = dist / built.stdout.strip().splitlines()[-1]
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "investigate/_demo/config.example.yaml" in names
    # the connectors install under a name of their own, never as a top-level `connectors`
    assert "investigate_connectors/stripe.py" in names
    assert not [n for n in names if n.startswith("connectors/")]
    assert "investigate/_demo/examples/demo/tickets/4813.json" in names
    assert "investigate/_demo/examples/demo/demo.db" in names
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("INVESTIGATE_CONFIG", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), XDG_CONFIG_HOME=str(tmp_path / "xdg"), NO_COLOR="1")
    env.pop("ANTHROPIC_API_KEY", None)

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *args], cwd=empty, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done

    where = python("-c", "from investigate.demo import demo_config; print(demo_config())")
    assert Path(where.stdout.strip()).is_relative_to(site)  # the packaged copy, not the checkout
    run = python("-m", "investigate", "demo", "4813", "--format", "json")
    assert json.loads(run.stdout)["analysis"]["root_cause"]["category"] == "bug"
    assert list(empty.iterdir()) == []


# --- init and the one "no config" message ------------------------------------------------------


def test_init_writes_a_starter_that_loads_and_says_what_next(cli: Any, empty_dir: Path) -> None:
    result = cli("init")
    assert result.code == 0, result.err
    assert "investigate check" in result.out
    written = empty_dir / "investigate.yaml"
    text = written.read_text()
    assert text.startswith("# investigate")
    loaded = load_config(written)  # valid as written, comments and all
    assert loaded.settings.ticket_source == "tickets"
    assert loaded.settings.connectors["tickets"]["type"] == "file"
    again = cli("init")
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    written.write_text("# mine\n")
    assert cli("init", "--force").code == 0
    assert written.read_text() == text


@pytest.mark.slow  # a python -m subprocess
def test_init_asks_nothing_when_stdin_is_not_a_terminal(empty_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "investigate", "init"],
        cwd=empty_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (empty_dir / "investigate.yaml").is_file()


@pytest.mark.parametrize(
    "args", [["ticket", "4812"], ["check"], ["batch", "4812"], ["ticket", "4812", "--reply"]]
)
def test_every_no_config_path_gives_one_message_that_works_here(
    cli: Any, empty_dir: Path, args: list[str]
) -> None:
    result = cli(*args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("error: no config file found")
    assert lines[1] == (
        "  hint: write a starter here with `investigate init`, "
        "or try the demo: investigate demo 4812"
    )
    assert len(lines) == 2


# --- output --------------------------------------------------------------------------------------


@pytest.fixture
def cfg(write_config: Any, example_plugin: None) -> Path:
    from example_connector import ticket  # type: ignore[import-not-found]

    path: Path = write_config(
        {
            "ticket_source": "helpdesk",
            "investigation": {"timeout": "5s"},
            "connectors": {
                "helpdesk": {"type": "example", "tickets": {"4812": ticket()}},
                "logs": {
                    "type": "example",
                    "evidence": [{"title": "ERROR acc_1042 boom [ERR_X]", "level": "error"}],
                },
            },
        }
    )
    return path


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/dir/r.md", "folder"),
        ("r.html", "extension '.html'"),
        ("report", "no extension"),
    ],
)
def test_a_bad_output_fails_before_any_connector_runs(
    cli: Any, cfg: Path, tmp_path: Path, target: str, message: str
) -> None:
    from example_connector import Example

    Example.calls.clear()
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(tmp_path / target))
    assert result.code == 2
    assert message in result.err
    assert Example.calls == []  # nothing was asked: no connector, no LLM
    assert not (tmp_path / target).exists()


def test_an_unwritable_folder_fails_before_the_run(cli: Any, cfg: Path, tmp_path: Path) -> None:
    from example_connector import Example

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        Example.calls.clear()
        result = cli("ticket", "4812", "-c", str(cfg), "-o", str(locked / "r.md"))
        assert result.code == 2 and "permission denied" in result.err
        assert Example.calls == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("r.json", lambda text: json.loads(text)["ticket"]["id"] == "4812"),
        ("r.md", lambda text: text.startswith("# Ticket 4812")),
        ("r.txt", lambda text: text.startswith("Ticket 4812: ") and "\\[" not in text),
    ],
)
def test_the_format_follows_the_extension(
    cli: Any, cfg: Path, tmp_path: Path, name: str, check: Any
) -> None:
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(tmp_path / name))
    assert result.code == 0, result.err
    assert check((tmp_path / name).read_text())


def test_format_overrides_an_unknown_extension(cli: Any, cfg: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(target), "-f", "json")
    assert result.code == 0
    assert json.loads(target.read_text())["ticket"]["id"] == "4812"


def test_reply_prints_only_the_draft_reply(cli: Any, cfg: Path) -> None:
    full = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-f", "json").json()
    reply = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "--reply")
    assert reply.code == 0
    assert reply.out == full["analysis"]["draft_reply"].strip() + "\n"
    assert "#" not in reply.out and "> " not in reply.out
    clash = cli("ticket", "4812", "-c", str(cfg), "--reply", "-f", "json")
    assert clash.code == 2 and "--reply" in clash.err


def test_text_format_has_no_markdown_escapes(cli: Any, empty_dir: Path) -> None:
    markdown = cli("demo", "4813", "-f", "markdown").out
    text = cli("demo", "4813", "-f", "text").out
    assert "\\<num\\>" in markdown and "\\[open\\]" in markdown  # what the escapes look like
    assert "DECIMAL(<num>,<num>)" in text and "BUG-231 [open]" in text
    assert "\\" not in text and "|---|" not in text and "**" not in text
    assert "Draft reply" in text and "Hi Tom," in text


# --- exit codes -------------------------------------------------------------------------------


@pytest.mark.slow  # a python -m subprocess per command
@pytest.mark.parametrize(
    "args",
    [
        ["check", "--config", str(ROOT / "config.example.yaml")],
        ["connectors"],
        ["schema"],
        ["demo"],
        ["batch", "4812", "4813", "--config", str(ROOT / "config.example.yaml")],
    ],
)
def test_a_closed_pipe_ends_every_command_quietly_with_0(args: list[str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "investigate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first byte
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    if args[0] == "batch":  # the summary is not lost
        assert "2 tickets: 2 ok" in stderr


def test_batch_query_against_an_unreachable_tracker_exits_4(cli: Any, write_config: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = write_config(
        {
            "ticket_source": "jira",
            "connectors": {
                "jira": {
                    "type": "jira",
                    "base_url": f"http://127.0.0.1:{port}",
                    "pat": "x-token",
                    "timeout": "3s",
                }
            },
        }
    )
    result = cli("batch", "--query", "status:new", "-c", str(path))
    assert result.code == 4, result.err
    assert "internal error" not in result.err and result.err.startswith("error: ")


# --- messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["4812"], "no such command: '4812'", "investigate ticket 4812"),
        (["tikcet", "4812"], "(did you mean 'ticket'?)", "investigate ticket 4812"),
        (["ticket", "#4812"], "not a ticket ID: '#4812'", "drop the '#': investigate ticket 4812"),
    ],
)
def test_mistyped_commands_say_what_to_type(
    cli: Any, args: list[str], message: str, hint: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert message in result.err
    assert f"hint: {hint}" in result.err
    if args[-1] == "#4812":
        assert "#" not in result.err.split("hint:")[1].replace("'#'", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("investigation:\n  lookbak: 1h\n", "unknown key 'lookbak' (did you mean 'lookback'?)"),
        ("llm:\n  max_retires: 2\n", "unknown key 'max_retires' (did you mean 'max_retries'?)"),
        ("investigation:\n  max_evidence: true\n", "should be a number, not true/false"),
        ("sla:\n  high: {resolution: 4h}\n", "sla.high.first_response: required, but missing"),
        ("investigation:\n  timeout: -5s\n", "a duration must be positive: '-5s'"),
    ],
)
def test_config_messages_are_plain_and_suggest_keys(
    cli: Any, write_config: Any, text: str, message: str
) -> None:
    result = cli("check", "-c", str(write_config(text)))
    assert result.code == 2, result.err
    assert message in result.err
    for pydantic in ("Value error", "Field required", "Input should", "Extra inputs"):
        assert pydantic not in result.err


def test_connector_sections_are_strict_and_types_suggested(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    (tmp_path / "t").mkdir()
    bools = write_config(
        "ticket_source: t\nconnectors:\n  t: {type: file, path: t}\n"
        "  db: {type: sqlite, path: x.db, max_rows: true, queries: {}}\n"
    )
    result = cli("check", "-c", str(bools))
    assert result.code == 2 and "connectors.db.max_rows: should be a number" in result.err
    typo = write_config("ticket_source: t\nconnectors:\n  t: {type: fiel, path: t}\n")
    result = cli("check", "-c", str(typo))
    assert result.code == 2
    assert "unknown connector type 'fiel' (did you mean 'file'?)" in result.err


def test_every_missing_variable_is_reported_at_once_with_a_hint(
    cli: Any, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ZD_EMAIL_T15", "ZD_TOKEN_T15"):
        monkeypatch.delenv(name, raising=False)
    path = write_config(
        "ticket_source: zd\nconnectors:\n  zd:\n    type: zendesk\n    subdomain: acme\n"
        "    email: ${ZD_EMAIL_T15}\n    api_token: ${ZD_TOKEN_T15}\n"
    )
    result = cli("check", "-c", str(path))
    assert result.code == 2
    assert "2 environment variables are not set: ZD_EMAIL_T15 (line 6), ZD_TOKEN_T15 (line 7)" in (
        result.err
    )
    assert "hint: export ZD_EMAIL_T15=" in result.err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5s", "--timeout: a duration must be positive: '-5s'"),
        ("0", "--timeout: must be more than 0"),
        ("0s", "--timeout: must be more than 0"),
    ],
)
def test_timeouts_must_be_positive(cli: Any, cfg: Path, value: str, message: str) -> None:
    result = cli("ticket", "4812", "-c", str(cfg), f"--timeout={value}")
    assert result.code == 2
    assert message in result.err


@pytest.mark.slow  # a python -m subprocess
def test_stderr_is_not_wrapped_when_it_is_not_a_terminal(tmp_path: Path) -> None:
    """CI logs: a long path stays on one line (rich would wrap it at 80 columns)."""
    target = tmp_path / ("report-" + "x" * 120 + ".md")
    done = subprocess.run(
        [sys.executable, "-m", "investigate", "demo", "4819", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    assert f"report written to {target}" in done.stderr.splitlines()


def test_connectors_lists_types_whose_driver_is_missing(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        "investigate.checks.importlib.util.find_spec",
        lambda name, *a: None if name in ("psycopg", "boto3") else real(name, *a),
    )
    result = cli("connectors")
    assert result.code == 0
    flat = " ".join(result.out.split())
    assert (
        "2 types need an optional driver that is not installed (cloudwatch_logs, postgres)" in flat
    )
    assert "pip install 'investigate[cloudwatch,postgres]'" in flat


def test_a_missing_driver_note_says_its_command_once() -> None:
    from investigate.pipeline import _combine
    from investigate_connectors._sqlbase import driver_missing

    [source], _, _ = _combine(
        {"db": "postgres"}, {"db": (driver_missing("db", "psycopg", "postgres"), 0)}, {}
    )
    assert source.error is not None and source.error.count("pip install") == 1


def test_cached_sources_say_cached(cli: Any, cfg: Path, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = ["ticket", "4812", "-c", str(cfg), "--until", NOW, "--cache", "10m"]
    first = Report.model_validate_json(cli(*args, "-f", "json").out)
    assert not any(s.cached for s in first.sources)
    second = cli(*args, "-f", "json")
    assert all(s.cached for s in Report.model_validate_json(second.out).sources)
    assert "logs | example | ok (cached)" in cli(*args, "-f", "markdown").out
    assert "logs (example): ok (cached)" in cli(*args, "-f", "text").out


def test_an_unknown_demo_ticket_points_at_the_list(cli: Any, empty_dir: Path) -> None:
    result = cli("demo", "4831")
    assert result.code == 2
    assert "no demo ticket 4831 (did you mean '4821'?)" in result.err
    assert "hint: investigate demo lists them" in result.err


def test_batch_writes_plain_text_files_with_format_text(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    config = str(ROOT / "config.example.yaml")
    result = cli("batch", "4812", "4819", "-c", config, "-d", str(out), "-f", "text")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["4812.txt", "4819.txt"]
    assert (out / "4819.txt").read_text().startswith("Ticket 4819: ")
