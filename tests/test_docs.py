"""The docs cannot drift from the code: the README's CLI reference is regenerated and compared,
and the CI recipe's workflow is valid YAML that uses commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _generator_check(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / script), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # the generator runs --help of every command in subprocesses
def test_readme_cli_reference_matches_help() -> None:
    _generator_check("gen_cli_reference.py")


def _help(command: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "investigate", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


@pytest.mark.slow  # python -m investigate --help in a subprocess
def test_ci_recipe_workflow_is_valid_and_uses_real_options() -> None:
    text = (ROOT / "docs/ci.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    workflow = yaml.safe_load(block.group(1))
    steps = workflow["jobs"]["investigate"]["steps"]
    run = next(s["run"] for s in steps if s.get("name") == "Investigate")
    help_text = _help("batch")
    for option in set(re.findall(r"(--[a-z-]+)", run)):
        assert option in help_text, f"docs/ci.md uses {option}, which `batch` does not have"


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    """Command 1 installs the plain package (no test extras) and runs the demo; command 2
    installs the test extras and runs the tests; `.ci/run` runs command 2's exact steps."""
    first, second = _quickstart_commands()
    assert "pip install . " in first + " " and "[test]" not in first
    assert first.rstrip().endswith("investigate demo 4812")
    assert '".[test]"' in second
    ci_lines = {
        line.split("#", 1)[0].replace(" --quiet", "").strip()
        for line in (ROOT / ".ci/run").read_text().splitlines()
    }
    for step in second.split(" && "):
        assert step.strip() in ci_lines, f".ci/run does not run the README's `{step}`"
    assert any('investigate" demo 4812' in line for line in ci_lines), (
        ".ci/run does not run the README's demo command from a plain install"
    )


@pytest.mark.slow  # the generator in a subprocess
def test_readme_report_excerpt_matches_the_demo() -> None:
    _generator_check("gen_readme_excerpt.py")


def _table_keys(section: str) -> set[str]:
    """The keys of a docs table: the first cell of each row, when it is `code`."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))


def _section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("\n#", 1)[0]


@pytest.mark.slow  # python -m investigate --help in a subprocess
def test_formats_doc_names_every_key_and_only_real_ones() -> None:
    from investigate.models import Ticket
    from investigate.sdk.contract import ConnectorConfig
    from investigate.sdk.sqlparams import NamedQuery
    from investigate_connectors.records import RecordsConfig

    doc = (ROOT / "docs/formats.md").read_text()
    ticket_keys = set(Ticket.model_fields) - {"raw"}
    assert _table_keys(_section(doc, "## Ticket files")) == ticket_keys
    assert _table_keys(_section(doc, "### SQL queries")) == set(NamedQuery.model_fields)
    records = set(RecordsConfig.model_fields) - set(ConnectorConfig.model_fields)
    assert _table_keys(_section(doc, "### Records")) == records
    eval_keys = _table_keys(_section(doc, "## Eval cases"))
    for case in (ROOT / "tests/evals").glob("*/case.yaml"):
        used = set(yaml.safe_load(case.read_text()))
        assert used <= eval_keys, f"{case} uses keys docs/formats.md does not describe"
    eval_help = _help("eval")
    assert "tests/evals" in eval_help and "case.yaml" in eval_help


def test_ci_doc_lists_every_exit_code_and_the_example_config_variables() -> None:
    from investigate.errors import ExitCode

    text = (ROOT / "docs/ci.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \|", text, re.M), f"docs/ci.md lacks exit code {code}"
    example = (ROOT / "config.example.yaml").read_text()
    for name in set(re.findall(r"\b(ZENDESK_[A-Z_]+|STRIPE_[A-Z_]+)\b", text)):
        assert "${" + name + "}" in example, f"docs/ci.md says {name}; the example config does not"
