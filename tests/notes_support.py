"""`--post-note` against a helpdesk fake through the CLI: one internal note, then none.

from notes_support import post_twice
post_twice(cli, write_config, config, "4812", lambda: fake.notes)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def post_twice(
    cli: Any,
    write_config: Any,
    config: dict[str, Any],
    ticket: str,
    notes: Callable[[], list[dict[str, Any]]],
) -> dict[str, Any]:
    """A real run posts exactly one note; a rerun with the same evidence posts none. Returns
    the body the fake received."""
    path = str(write_config(config))
    first = cli("ticket", ticket, "-c", path, "-f", "json", "--post-note")
    assert first.code == 0, first.err
    assert "posted an internal note" in first.err or "posted" in first.err
    assert len(notes()) == 1, notes()
    again = cli("ticket", ticket, "-c", path, "-f", "json", "--post-note")
    assert again.code == 0, again.err
    assert "same evidence: nothing to post" in again.err
    assert len(notes()) == 1
    assert again.json()["evidence"] == first.json()["evidence"]
    return notes()[0]


def with_write_back(config: dict[str, Any], **write_back: Any) -> dict[str, Any]:
    name = config["ticket_source"]
    config["connectors"][name]["write_back"] = {"enabled": True, **write_back}
    return config
