"""config.example.yaml documents every connector type with a section that really validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from investigate.config import load_config
from investigate.registry import discover

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.yaml"
MARKER = "# --- Every other connector type"


def commented_sections() -> dict[str, str]:
    """The commented blocks after MARKER, uncommented: instance name → YAML of its section."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text[text.index(MARKER) :].splitlines()[1:]
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        body = re.sub(r"^  # ?", "", line)
        head = re.match(r"^(\w+):\s*$", body)
        if head:
            current = head.group(1)
            sections[current] = []
        elif current and body.startswith("  "):
            sections[current].append(body)
        elif current and not body.strip():
            current = None
    return {name: "\n".join(rows) for name, rows in sections.items() if rows}


SECTIONS = commented_sections()


def test_every_connector_type_is_documented() -> None:
    documented = {re.search(r"type: (\w+)", body).group(1) for body in SECTIONS.values()}  # type: ignore[union-attr]
    live = {"file", "log_file", "sqlite", "records"}  # configured for real above the catalogue
    assert set(discover().types) - live <= documented


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_documented_section_validates(tmp_path: Path, name: str) -> None:
    body = SECTIONS[name]
    variables = set(re.findall(r"\$\{(\w+)", body))
    path = tmp_path / "investigate.yaml"
    path.write_text(
        f"connectors:\n  {name}:\n" + "\n".join(f"  {row}" for row in body.splitlines()) + "\n"
    )
    config = load_config(path, env={v: f"value-of-{v.lower()}" for v in variables})
    type_name = re.search(r"type: (\w+)", body).group(1)  # type: ignore[union-attr]
    cls = discover().types.get(type_name)
    assert cls is not None, f"{name}: unknown connector type {type_name}"
    config.connector_config(name, cls.config_model)  # raises with the key and line if wrong
