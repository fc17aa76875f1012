"""The bundled demo: `investigate demo` lists its tickets, `investigate demo 4813` investigates one.

The wheel carries the demo (pyproject.toml force-includes `config.example.yaml` and the data of
`examples/demo/` under `investigate/_demo/`, keeping their relative layout, so the example
config's relative paths still resolve). A checkout or an editable install reads them in place:
`config.example.yaml` and `examples/demo/` stay the single source of truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from investigate.errors import UsageError

PACKAGED = Path(__file__).with_name("_demo")
CHECKOUT = Path(__file__).resolve().parents[1]
CONFIG_NAME = "config.example.yaml"


def demo_config() -> Path:
    """The demo's config file, inside the installed package or the checkout."""
    for root in (PACKAGED, CHECKOUT):
        config = root / CONFIG_NAME
        if config.is_file() and (root / "examples/demo/tickets").is_dir():
            return config
    raise UsageError(
        "the bundled demo is missing from this installation",
        hint="reinstall the package: pipx install --force investigate",
    )


@dataclass(frozen=True)
class DemoTicket:
    id: str
    subject: str
    requester: str
    priority: str


def demo_tickets(config: Path | None = None) -> list[DemoTicket]:
    """The demo tickets, in ID order."""
    folder = (config or demo_config()).parent / "examples/demo/tickets"
    tickets = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        org = (data.get("organization") or {}).get("name") or (data.get("requester") or {}).get(
            "name", ""
        )
        tickets.append(
            DemoTicket(
                id=str(data.get("id", path.stem)),
                subject=str(data.get("subject", "")),
                requester=str(org),
                priority=str(data.get("priority", "")),
            )
        )
    return sorted(tickets, key=lambda t: t.id)


def listing(tickets: list[DemoTicket]) -> str:
    """The demo tickets as a plain table, with the command to try next."""
    width = max((len(t.subject) for t in tickets), default=0)
    lines = ["Demo tickets (offline; each has a different root cause):", ""]
    lines += [f"  {t.id}  {t.subject:<{width}}  {t.requester} · {t.priority}" for t in tickets]
    first = tickets[0].id if tickets else "4812"
    lines += ["", f"Investigate one:  investigate demo {first}"]
    return "\n".join(lines)


def example_config_location() -> str:
    """Where the fully documented example config is, for hints (any folder, any install)."""
    try:
        return str(demo_config())
    except UsageError:
        return "config.example.yaml in the source repository"
