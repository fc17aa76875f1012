"""The command line: every exit code of product.md §5, formats, output files, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from example_connector import ticket  # type: ignore[import-not-found]

from investigate.models import Report

NOW = "2026-11-24T12:00:00Z"


def base(**connectors: dict) -> dict:  # type: ignore[type-arg]
    return {
        "ticket_source": "helpdesk",
        "investigation": {"timeout": "5s"},
        "connectors": {
            "helpdesk": {"type": "example", "tickets": {"4812": ticket()}},
            **connectors,
        },
    }


@pytest.fixture
def cfg(write_config, example_plugin) -> Path:  # type: ignore[no-untyped-def]
    return write_config(
        base(
            logs={
                "type": "example",
                "evidence": [{"title": "ERROR acc_1042 boom", "level": "error"}],
            }
        )
    )


def test_exit_0_report_produced(cli, cfg) -> None:  # type: ignore[no-untyped-def]
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "--format", "json")
    assert result.code == 0
    Report.model_validate_json(result.out)  # stdout is only the JSON report


def test_exit_1_internal_error_is_one_line_without_verbose(cli, cfg, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("investigate.pipeline.order", explode)
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW)
    assert result.code == 1
    assert "internal error: ZeroDivisionError" in result.err
    assert "Traceback" not in result.err
    verbose = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "--verbose")
    assert verbose.code == 1
    assert "Traceback" in verbose.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ticket", "../../etc/passwd"], "not a ticket ID"),
        (["ticket", "4812", "--format", "yaml"], "Invalid value"),
        (["ticket", "4812", "--since", "yesterday-ish"], "not a time"),
        (["ticket", "4812", "--timeout", "soon"], "not a duration"),
        (
            [
                "ticket",
                "4812",
                "--since",
                "2026-11-25T00:00:00Z",
                "--until",
                "2026-11-24T00:00:00Z",
            ],
            "window is empty",
        ),
        (["nonsense"], "no such command: 'nonsense'"),
    ],
)
def test_exit_2_usage_errors(cli, cfg, args, message) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args, "-c", str(cfg)) if args[0] != "nonsense" else cli(*args)
    assert result.code == 2
    assert message in result.err


@pytest.mark.usefixtures("example_plugin")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "ticket_source: helpdesk\nconnectors:\n  helpdesk: {type: nope}\n",
            "unknown connector type 'nope'",
        ),
        ("ticket_source: helpdesk\nconnectors:\n  helpdesk: {tickets: {}}\n", "missing 'type'"),
        ("investigation:\n  lookbak: 1h\n", "unknown key 'lookbak'"),
        ("investigation:\n  max_evidence: many\n", "investigation.max_evidence"),
        ("llm:\n  api_key: ${NO_SUCH_VAR_FOR_TEST}\n", "NO_SUCH_VAR_FOR_TEST is not set"),
        ("connectors: [oops\n", "invalid YAML"),
        (
            "connectors:\n  helpdesk: {type: example, tickets: {}, colour: red}\n",
            "connectors.helpdesk: unknown key 'colour'",
        ),
    ],
)
def test_exit_2_config_errors_name_the_problem(cli, write_config, text, message) -> None:  # type: ignore[no-untyped-def]
    path = write_config("ticket_source: helpdesk\n" + text if "ticket_source" not in text else text)
    result = cli("ticket", "4812", "-c", str(path))
    assert result.code == 2, result.err
    assert message in result.err
    assert str(path) in result.err
    assert "Traceback" not in result.err


def test_exit_2_when_no_config_is_found(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = cli("ticket", "4812")
    assert result.code == 2
    assert "no config file found" in result.err
    # the hint works from this empty folder: no file to copy, two commands that exist anywhere
    assert "investigate init" in result.err and "investigate demo 4812" in result.err


def test_exit_3_unknown_ticket(cli, cfg) -> None:  # type: ignore[no-untyped-def]
    result = cli("ticket", "9999", "-c", str(cfg))
    assert result.code == 3
    assert "ticket 9999 not found" in result.err


@pytest.mark.usefixtures("example_plugin")
def test_exit_4_ticket_source_failed(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    cfg = base()
    cfg["connectors"]["helpdesk"]["fail_tickets"] = (
        "HTTP 401 Unauthorized from GET https://acme.zendesk.com/api/v2/tickets/4812.json"
    )
    result = cli("ticket", "4812", "-c", str(write_config(cfg)))
    assert result.code == 4
    assert "ticket source 'helpdesk' failed: HTTP 401" in result.err


@pytest.mark.usefixtures("example_plugin")
def test_exit_5_strict_with_a_failed_source_still_prints_the_report(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(base(bad={"type": "example", "fail": "connection refused"}))
    relaxed = cli("ticket", "4812", "-c", str(path), "--until", NOW, "--format", "json")
    assert relaxed.code == 0
    strict = cli("ticket", "4812", "-c", str(path), "--until", NOW, "--format", "json", "--strict")
    assert strict.code == 5
    assert "--strict: bad failed" in strict.err
    assert Report.model_validate_json(strict.out).sources[-1].status == "error"


def test_exit_130_on_ctrl_c(cli, cfg, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr("investigate.pipeline.build_connectors", interrupted)
    result = cli("ticket", "4812", "-c", str(cfg))
    assert result.code == 130
    assert "interrupted" in result.err


def test_markdown_when_piped_and_output_file(cli, cfg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    piped = cli("ticket", "4812", "-c", str(cfg), "--until", NOW)
    assert piped.code == 0
    assert piped.out.startswith("# Ticket 4812: Exports fail")
    assert "## Draft reply" in piped.out
    target = tmp_path / "report.json"
    written = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(target))
    assert written.code == 0 and written.out == ""
    assert json.loads(target.read_text())["ticket"]["id"] == "4812"
    assert not list(tmp_path.glob(".report.json.*"))  # no temporary file left behind
    missing = cli("ticket", "4812", "-c", str(cfg), "-o", str(tmp_path / "no" / "dir" / "r.md"))
    assert missing.code == 2 and "does not exist" in missing.err


def test_schema_is_generated_from_the_model(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("schema")
    schema = json.loads(result.out)
    assert result.code == 0
    assert schema == Report.model_json_schema()
    assert {"schema_version", "ticket", "evidence", "analysis", "sla", "usage"} <= set(
        schema["properties"]
    )


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("version")
    assert result.code == 0 and result.out.startswith("investigate 0.")


@pytest.mark.usefixtures("example_plugin")
def test_check_reports_each_connector(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    good = cli("check", "-c", str(write_config(base())))
    assert good.code == 0 and "✅" in good.out
    bad = cli(
        "check",
        "-c",
        str(write_config(base(db={"type": "example", "fail": "cannot connect to db:5432"}))),
    )
    assert bad.code == 4
    assert "❌" in bad.out and "cannot connect to db:5432" in bad.out


@pytest.mark.usefixtures("example_plugin")
def test_check_ends_with_the_read_only_posture_and_strict_fails_on_warnings(
    cli, write_config
) -> None:  # type: ignore[no-untyped-def]
    config = write_config(
        base(
            billing={"type": "example", "warn": "a secret key (sk_…) can write; use rk_…"},
            db={"type": "example", "verified": "SELECT-only role"},
            other={"type": "example"},
        )
    )
    result = cli("check", "-c", str(config))
    assert result.code == 0, result.out
    posture = result.out.split("Read-only posture", 1)[1]
    rows = {
        line.split("│")[2].strip(): line for line in posture.splitlines() if line.count("│") >= 4
    }
    assert "⚠️" in rows["billing"] and "sk_" in posture
    assert "✅" in rows["db"] and "verified: SELECT-only role" in posture
    assert "➖" in rows["other"] and "not verified" in posture
    strict = cli("check", "-c", str(config), "--strict")
    assert strict.code == 5 and "1 warning(s)" in strict.err


def test_check_masks_the_user_info_of_every_connector_url(cli, write_config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADMIN_URL", "https://alice:Env%2FPassw0rd@127.0.0.1:9/api/{account_id}")
    config = write_config(
        {
            "connectors": {
                "literal": {
                    "type": "http",
                    "url": "https://bob:Lit3ralPassw0rd@127.0.0.1:9/api/{account_id}",
                },
                "from_env": {"type": "http", "url": "${ADMIN_URL}"},
                "token_only": {"type": "http", "url": "https://ghp_TokenAsUser0123@127.0.0.1:9/x"},
            }
        }
    )
    result = cli("check", "-c", str(config))
    # `check` contacts every http connector: nothing listens on port 9, so it fails (exit 4)
    assert result.code == 4, result.out + result.err
    shown = result.out + result.err
    assert "127.0.0.1:9" in shown
    for secret in (
        "Lit3ralPassw0rd",
        "bob:",
        "Env%2FPassw0rd",
        "Env/Passw0rd",
        "alice:",
        "ghp_Token",
    ):
        assert secret not in shown, secret


def test_check_with_no_connectors_is_a_config_error_not_an_empty_success(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "-c", str(write_config("connectors: {}\n")))
    assert result.code == 2
    assert "no connectors are configured" in result.err
    assert "config.example.yaml" in result.err


@pytest.mark.slow  # the console script in a subprocess
def test_shell_completion_script_is_available() -> None:
    exe = Path(sys.executable).with_name("investigate")
    done = subprocess.run(
        [str(exe), "--show-completion", "bash"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "_investigate_completion" in done.stdout and "complete " in done.stdout


@pytest.mark.slow  # a fresh python subprocess
def test_help_does_not_import_the_llm_sdk() -> None:
    code = (
        "import sys; from investigate.cli import run; rc = run(['--help']); "
        "assert rc == 0, rc; assert 'anthropic' not in sys.modules, 'anthropic imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: investigate" in done.stdout


@pytest.mark.slow  # the console script in subprocesses
def test_console_script_is_installed_and_exits_with_contract_codes() -> None:
    exe = Path(sys.executable).with_name("investigate")
    assert exe.exists(), "pip install -e . should install the `investigate` console script"
    done = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "investigate" in done.stdout
    missing = subprocess.run(
        [str(exe), "ticket", "1", "--config", "/nonexistent.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "config file not found" in missing.stderr


@pytest.mark.slow  # the console script in a subprocess
def test_a_reader_that_stops_early_is_not_an_error() -> None:
    """`investigate ticket 4812 | head -1`: the closed pipe ends the run quietly, exit 0."""
    exe = Path(sys.executable).with_name("investigate")
    config = Path(__file__).resolve().parents[1] / "config.example.yaml"
    proc = subprocess.Popen(
        [str(exe), "ticket", "4812", "--config", str(config), "--format", "markdown"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first byte is written
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert "internal error" not in stderr


def test_output_to_a_device_writes_through_and_keeps_it(cli, cfg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    link = tmp_path / "null.md"
    link.symlink_to("/dev/null")
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink()  # not replaced by a regular file
    devnull = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", "/dev/null")
    assert devnull.code == 0 and Path("/dev/null").is_char_device()


def test_output_refuses_to_write_through_a_link_to_a_file(cli, cfg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # issue 14: `-o report.md` planted as a link to ~/.bashrc must not overwrite it
    link = tmp_path / "link.md"
    target = tmp_path / "real.md"
    target.write_text("old")
    link.symlink_to(target)
    result = cli("ticket", "4812", "-c", str(cfg), "--until", NOW, "-o", str(link))
    assert result.code == 2
    assert "refusing to write" in result.err and "symbolic link" in result.err
    assert target.read_text() == "old" and link.is_symlink()


@pytest.mark.usefixtures("example_plugin")
def test_a_ticket_time_without_zone_is_utc_and_int_org_ids_are_fine(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    t = ticket(created_at="2026-11-24T10:00:00", organization={"id": 12345, "name": "Acme"})
    result = cli(
        "ticket",
        "4812",
        "-c",
        str(
            write_config(
                base() | {"connectors": {"helpdesk": {"type": "example", "tickets": {"4812": t}}}}
            )
        ),
        "--until",
        NOW,
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.ticket.created_at.tzinfo is not None and report.ticket.organization.id == "12345"


def test_config_errors_about_token_settings_are_not_masked_into_nonsense(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    result = cli("ticket", "1", "-c", str(write_config("llm:\n  max_tokens: 0\n")))
    assert result.code == 2
    assert "llm.max_tokens: should be greater than 0" in result.err
