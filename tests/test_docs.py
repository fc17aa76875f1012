"""The docs cannot drift from the code: the README's CLI reference is regenerated and compared,
and the CI recipe's workflow is valid YAML that uses commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_readme_cli_reference_matches_help() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs/gen_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_recipe_workflow_is_valid_and_uses_real_options() -> None:
    text = (ROOT / "docs/ci.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    workflow = yaml.safe_load(block.group(1))
    steps = workflow["jobs"]["investigate"]["steps"]
    run = next(s["run"] for s in steps if s.get("name") == "Investigate")
    help_text = subprocess.run(
        [sys.executable, "-m", "investigate", "batch", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for option in set(re.findall(r"(--[a-z-]+)", run)):
        assert option in help_text, f"docs/ci.md uses {option}, which `batch` does not have"
