"""Secrets canary: every secret in the config is a unique `canary-<uuid>`; after every command
(ticket in each format, --verbose, --show-prompt, -o, check, connectors, batch to stdout and to
a folder), with connectors failing (401 from the chaos server, one healthy-but-refusing) and
the Anthropic analyst answered with 500s (offline fallback), no canary appears in stdout,
stderr, report files or anything else written under the temp dir."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cases
import pytest
from chaos import ChaosServer
from fakes.anthropic_api import FakeAnthropic, error_reply

from investigate import cli

pytestmark = pytest.mark.usefixtures("_isolated_home")


@pytest.fixture
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything the CLI writes (caches, state) lands under tmp_path, where it is scanned."""
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "home" / var.lower()))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("INVESTIGATE_CONFIG", raising=False)


@pytest.fixture
def anthropic_500() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic()
    fake.start()
    for _ in range(40):
        fake.enqueue(error_reply(500, should_retry=False))
    try:
        yield fake
    finally:
        fake.stop()


class Setup:
    def __init__(self, tmp: Path, chaos: ChaosServer, llm_url: str, mp: pytest.MonkeyPatch):
        self.tmp = tmp
        self.canaries = cases.Canaries()
        self.inputs: set[Path] = set()
        for key, value in cases.AWS_ENV.items():  # cloudwatch_logs signs with a canary key
            mp.setenv(key, value)
        for key in cases.AWS_UNSET:
            mp.delenv(key, raising=False)
        tickets = cases.write_tickets(tmp / "tickets", ["9001", "9002", "9003"])
        self.inputs |= set(tickets.iterdir())
        urls = {n: chaos.base_url("http_401", f"canary-{n}") for n in cases.NAMES}
        data = cases.config(tickets, urls, self.canaries, timeout="3s")
        # one secret only in the environment, through ${VAR}
        self.env_secret = env_secret = self.canaries()
        mp.setenv("CANARY_ENV_SECRET", env_secret)
        data["connectors"]["admin"] = {
            "type": "http",
            "url": chaos.base_url("http_403", "canary-admin") + "/accounts/{email}",
            "headers": {"X-Api-Key": "${CANARY_ENV_SECRET}"},
        }
        # a key some APIs take in the query string: it is in every URL a reason quotes
        self.query_secret = self.canaries()
        mp.setenv("CANARY_QUERY_SECRET", self.query_secret)
        data["connectors"]["legacy"] = {
            "type": "http",
            "url": chaos.base_url("http_500", "canary-legacy") + "/v1/lookup?email={email}",
            "params": {"api_key": "${CANARY_QUERY_SECRET}"},
        }
        data["llm"] = {
            "provider": "anthropic",
            "model": "claude-sonnet-5-5",
            "api_key": (llm_key := self.canaries()),
            "base_url": llm_url,
            "max_retries": 0,
            "timeout": "5s",
        }
        self.llm_key = llm_key
        self.config = cases.write_config(tmp / "investigate.yaml", data)
        self.inputs.add(self.config)
        self.outputs: list[str] = []

    def run(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdout", out)
            mp.setattr("sys.stderr", err)
            if stdin is not None:
                mp.setattr("sys.stdin", io.StringIO(stdin))
            code = cli.run([*args])
        self.outputs += [out.getvalue(), err.getvalue()]
        return code, out.getvalue(), err.getvalue()

    def leaks(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for i, text in enumerate(self.outputs):
            if hits := self.canaries.found_in(text):
                found[f"output #{i}"] = hits
        for path in self.tmp.rglob("*"):
            if path.is_file() and path not in self.inputs:
                text = path.read_bytes().decode("utf-8", "replace")
                if hits := self.canaries.found_in(text):
                    found[str(path.relative_to(self.tmp))] = hits
        return found


@pytest.fixture
def setup(
    tmp_path: Path,
    chaos: ChaosServer,
    anthropic_500: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
) -> Setup:
    return Setup(tmp_path, chaos, anthropic_500.url, monkeypatch)


def test_no_canary_in_any_output_or_file(setup: Setup, anthropic_500: FakeAnthropic) -> None:
    c = str(setup.config)
    reports = setup.tmp / "reports"
    runs: list[tuple[str, tuple[int, str, str]]] = []
    for fmt in ("json", "markdown", "rich"):
        runs.append((f"ticket -f {fmt}", setup.run("ticket", "9001", "-c", c, "-f", fmt)))
    runs.append(("ticket --verbose", setup.run("ticket", "9001", "-c", c, "-f", "markdown", "-v")))
    runs.append(("ticket --show-prompt", setup.run("ticket", "9001", "-c", c, "--show-prompt")))
    for suffix in ("json", "md"):
        out = str(setup.tmp / f"out.{suffix}")
        runs.append((f"ticket -o .{suffix}", setup.run("ticket", "9001", "-c", c, "-o", out)))
    runs.append(("check", setup.run("check", "-c", c)))
    runs.append(("check -v", setup.run("check", "-c", c, "-v")))
    runs.append(("connectors", setup.run("connectors", "-c", c)))
    runs.append(("batch", setup.run("batch", "9001", "9002", "-c", c, "-v")))
    runs.append(
        ("batch -d", setup.run("batch", "-", "-c", c, "-d", str(reports), stdin="9002\n9003\n"))
    )

    leaks = setup.leaks()
    assert leaks == {}, leaks
    # the runs really did what the test claims: reports out, connectors failing, LLM 500s
    codes = {name: code for name, (code, _, _) in runs}
    assert all(codes[k] == 0 for k in codes if k.startswith(("ticket", "batch"))), (codes, runs)
    assert codes["check"] != 0  # 401s everywhere
    json_out = runs[0][1][1]
    assert '"status": "error"' in json_out and "401" in json_out
    assert "offline (fallback" in json_out  # the LLM 500 fell back
    legacy = next(x for x in json.loads(json_out)["sources"] if x["name"] == "legacy")
    assert "500" in legacy["error"] and "api_key=" in legacy["error"]  # URL quoted, key masked
    assert any(r.path.endswith("/v1/messages") for r in anthropic_500.requests)
    assert sorted(p.name for p in reports.iterdir()) == ["9002.json", "9003.json"]
    assert (setup.tmp / "out.md").read_text().startswith("# ")
    assert len(setup.canaries.issued) >= 10


def test_verbose_tracebacks_are_masked(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python exception escaping with --verbose prints a traceback: no canary in it."""
    secret = setup.llm_key

    async def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"connection string contained {secret}")

    monkeypatch.setattr("investigate.pipeline.investigate", boom)
    code, _, err = setup.run("ticket", "9001", "-c", str(setup.config), "-f", "json", "-v")
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError" in err
    assert "╭" not in err and "locals" not in err  # a plain traceback, no rich locals panel
    assert setup.leaks() == {}


def test_a_connector_crash_traceback_is_masked(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from investigate_connectors.statuspage import Statuspage

    secret = setup.env_secret  # only ever in the environment, through ${CANARY_ENV_SECRET}

    async def crash(self: Any, query: Any) -> Any:
        raise ValueError(f"bad token {secret}")

    monkeypatch.setattr(Statuspage, "collect", crash)
    code, out, err = setup.run("ticket", "9001", "-c", str(setup.config), "-f", "json", "-v")
    assert code == 0
    assert "Traceback" in err and "ValueError" in err
    assert "internal error in connector" in out
    assert setup.leaks() == {}


def test_typer_never_shows_locals() -> None:
    """Pretty tracebacks would print every local (configs, keys) of every frame."""
    assert cli.app.pretty_exceptions_show_locals is False or not cli.app.pretty_exceptions_enable
    assert cli.app.pretty_exceptions_enable is False
