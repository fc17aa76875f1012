"""Connectors are found through the `investigate.connectors.v1` entry points — ours and others'."""

from __future__ import annotations

import pytest

from investigate import registry


def test_builtin_connectors_come_from_our_own_entry_points() -> None:
    found = registry.discover(refresh=True)
    assert {"file", "log_file", "sqlite", "records"} <= set(found.types)
    assert found.origins["sqlite"] == "investigate"


@pytest.mark.usefixtures("example_plugin")
def test_a_third_party_connector_is_a_first_class_citizen(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    found = registry.discover()
    assert found.types["example"].__name__ == "Example"
    assert found.origins["example"] == "example-plugins"
    result = cli("connectors", "--config", str(write_config({"connectors": {}})))
    assert result.code == 0
    assert "example" in result.out and "Test connector" in result.out


@pytest.mark.usefixtures("example_plugin")
def test_a_plugin_that_fails_to_import_is_reported_and_skipped(cli, write_config) -> None:  # type: ignore[no-untyped-def]
    found = registry.discover()
    assert "broken" not in found.types
    assert "needs a package that is not installed" in found.broken["broken"]
    result = cli("connectors", "--config", str(write_config({"connectors": {}})))
    assert result.code == 0
    assert "failed to load" in result.out
    assert "warning: connector plugin 'broken' failed to load and is skipped" in result.err
    configured = write_config(
        {
            "ticket_source": "t",
            "connectors": {
                "t": {"type": "example", "tickets": {"1": {"created_at": "2026-11-24T10:00:00Z"}}},
                "b": {"type": "broken"},
            },
        }
    )
    report = cli("ticket", "1", "--config", str(configured), "--format", "json")
    assert report.code == 0, report.err
    skipped = {s["name"]: s for s in report.json()["sources"]}["b"]
    assert skipped["status"] == "skipped" and "failed to load" in skipped["error"]


@pytest.mark.slow  # a fresh python subprocess
def test_a_run_imports_only_the_connector_types_its_config_uses() -> None:
    from tests.test_startup import RUN_DEMO, _python

    code = RUN_DEMO + (
        "loaded = sorted(m for m in sys.modules if m.startswith('investigate_connectors.'))\n"
        "print(' '.join(loaded))\n"
    )
    loaded = set(_python(code))
    assert {
        "investigate_connectors.file",
        "investigate_connectors.log_file",
        "investigate_connectors.sqlite",
        "investigate_connectors.records",
    } <= loaded
    assert not loaded & {
        "investigate_connectors.stripe",
        "investigate_connectors.prometheus",
        "investigate_connectors.jira",
    }


@pytest.mark.slow  # a fresh python subprocess
def test_an_offline_run_loads_no_redaction_and_no_http_client() -> None:
    """Start-up stays light: the demo's offline run reads files and SQLite only, so neither the
    PII detectors (phonenumbers, stdnum, hundreds of key patterns) nor an HTTP client load."""
    import subprocess
    import sys
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "config.example.yaml"
    heavy = [
        "investigate.evidence.redaction",
        "investigate.evidence.detect",
        "phonenumbers",
        "httpx2",
    ]
    code = (
        "import contextlib, io, sys\n"
        "from investigate.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert run(['ticket', '4812', '--config', {str(demo)!r}, '-f', 'json']) == 0\n"
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
