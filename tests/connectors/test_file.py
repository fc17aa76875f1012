"""`file` ticket source: a folder of JSON/YAML tickets, one JSON list, or JSONL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from investigate.config import load_config
from investigate.context import Context
from investigate.errors import TicketNotFound, TicketSourceError
from investigate.sdk.contract import TicketSource
from investigate_connectors.file import FileTickets

TICKET_4812: dict[str, Any] = {
    "id": 4812,
    "subject": "CSV export fails",
    "description": "Every export fails with ERR_EXPORT_SERIALIZE.",
    "status": "open",
    "priority": "high",
    "created_at": "2026-11-24T09:58:00Z",
    "updated_at": "2026-11-24T10:05:00Z",
    "url": "https://help.example.com/tickets/4812",
    "requester": {"name": "Dana Scully", "email": "dana@acme.io", "phone": "+1 555 0100"},
    "organization": {"id": "org_acme01", "name": "Acme", "tier": "enterprise"},
    "tags": ["export", 42],
    "custom_fields": {"product_area": "exports", "seats": 120},
    "comments": [
        {
            "author": "Dana Scully",
            "body": "Still failing this morning.",
            "created_at": "2026-11-24T10:01:00Z",
            "public": True,
            "attachments": ["log.txt"],
        },
        {"author": "agent", "body": "Escalating to L2.", "public": False},
    ],
    "satisfaction": "unrated",
    "via": {"channel": "email"},
}


def make_source(tmp_path: Path, path: str) -> FileTickets:
    config_path = tmp_path / "investigate.yaml"
    section = {"type": "file", "path": path}
    config_path.write_text(yaml.safe_dump({"connectors": {"tickets": section}}))
    loaded = load_config(config_path, env={})
    ctx = Context(config=loaded)
    return FileTickets("tickets", loaded.connector_config("tickets", FileTickets.config_model), ctx)


def folder(tmp_path: Path) -> Path:
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    (tickets / "4812.json").write_text(json.dumps(TICKET_4812))
    other = {"id": "T-7", "subject": "SSO loop", "created_at": "2026-11-20T12:00:00Z"}
    (tickets / "T-7.yaml").write_text(yaml.safe_dump(other))
    (tickets / "T-8.yml").write_text(
        "id: T-8\nsubject: Billing\ncreated_at: 2026-11-21T08:00:00Z\n"
    )
    (tickets / "README.md").write_text("# not a ticket\n")
    return tickets


async def test_a_folder_of_json_and_yaml_tickets(tmp_path: Path) -> None:
    folder(tmp_path)
    source = make_source(tmp_path, "tickets")
    assert isinstance(source, TicketSource)

    ticket = await source.fetch_ticket("4812")
    t7 = await source.fetch_ticket("T-7")
    t8 = await source.fetch_ticket("T-8")

    assert ticket.id == "4812"
    assert ticket.subject == "CSV export fails"
    assert ticket.created_at == datetime(2026, 11, 24, 9, 58, tzinfo=UTC)
    assert ticket.updated_at == datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    assert (t7.subject, t7.created_at) == ("SSO loop", datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert (t8.subject, t8.created_at) == ("Billing", datetime(2026, 11, 21, 8, tzinfo=UTC))
    (check,) = await source.check()
    assert check.ok
    assert check.detail.startswith("3 tickets")


async def test_fields_are_mapped_and_unknown_fields_kept_in_raw(tmp_path: Path) -> None:
    folder(tmp_path)
    source = make_source(tmp_path, "tickets")

    ticket = await source.fetch_ticket("4812")

    assert ticket.url == "https://help.example.com/tickets/4812"
    assert ticket.status == "open"
    assert ticket.priority == "high"
    assert ticket.requester.name == "Dana Scully"
    assert ticket.requester.email == "dana@acme.io"
    assert ticket.organization.id == "org_acme01"
    assert ticket.organization.name == "Acme"
    assert ticket.tags == ["export", "42"]
    assert ticket.custom_fields == {"product_area": "exports", "seats": 120}
    public, internal = ticket.comments
    assert public.author == "Dana Scully"
    assert public.body == "Still failing this morning."
    assert public.created_at == datetime(2026, 11, 24, 10, 1, tzinfo=UTC)
    assert public.public is True
    assert internal.public is False
    assert "Escalating to L2." not in ticket.text(include_internal=False)
    assert ticket.raw["satisfaction"] == "unrated"
    assert ticket.raw["via"] == {"channel": "email"}
    assert ticket.raw["requester"]["phone"] == "+1 555 0100"
    assert ticket.raw["organization"]["tier"] == "enterprise"


async def test_one_json_file_with_a_list(tmp_path: Path) -> None:
    tickets = [
        {"id": "1", "subject": "first", "created_at": "2026-11-01T00:00:00Z"},
        {"id": 2, "subject": "second", "created_at": "2026-11-02T00:00:00+02:00"},
    ]
    (tmp_path / "tickets.json").write_text(json.dumps(tickets))
    source = make_source(tmp_path, "tickets.json")

    second = await source.fetch_ticket("2")

    assert second.subject == "second"
    assert second.created_at == datetime(2026, 11, 1, 22, 0, tzinfo=UTC)
    assert (await source.fetch_ticket("1")).subject == "first"


async def test_jsonl(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "subject": "alpha", "created_at": "2026-11-01T00:00:00Z"}),
        "",
        json.dumps({"id": "b2", "subject": "bravo", "created_at": "2026-11-02T00:00:00Z"}),
    ]
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    source = make_source(tmp_path, "export.jsonl")

    assert (await source.fetch_ticket("b2")).subject == "bravo"
    with pytest.raises(TicketNotFound):
        await source.fetch_ticket("c3")


async def test_a_ticket_that_is_not_there(tmp_path: Path) -> None:
    folder(tmp_path)
    source = make_source(tmp_path, "tickets")

    with pytest.raises(TicketNotFound, match="9999"):
        await source.fetch_ticket("9999")


async def test_a_path_traversal_id_does_not_read_outside_the_folder(tmp_path: Path) -> None:
    folder(tmp_path)
    secret = {"id": "../secret", "subject": "TOP SECRET", "created_at": "2026-11-01T00:00:00Z"}
    (tmp_path / "secret.json").write_text(json.dumps(secret))
    nested = tmp_path / "tickets" / "sub"
    nested.mkdir()
    (tmp_path / "deeper.json").write_text(json.dumps({**secret, "id": "sub/../../deeper"}))
    source = make_source(tmp_path, "tickets")

    for ticket_id in ("../secret", "sub/../../deeper", str(tmp_path / "secret")):
        with pytest.raises(TicketNotFound):
            await source.fetch_ticket(ticket_id)


async def test_a_malformed_ticket_file_is_a_ticket_source_error(tmp_path: Path) -> None:
    tickets = folder(tmp_path)
    (tickets / "666.json").write_text('{"id": "666", "subject": ')
    source = make_source(tmp_path, "tickets")

    with pytest.raises(TicketSourceError) as caught:
        await source.fetch_ticket("666")

    assert "666.json" in caught.value.message
    assert "\n" not in caught.value.message


async def test_a_missing_created_at_is_an_error_naming_it(tmp_path: Path) -> None:
    tickets = folder(tmp_path)
    (tickets / "77.json").write_text(json.dumps({"id": "77", "subject": "no time"}))
    source = make_source(tmp_path, "tickets")

    with pytest.raises(TicketSourceError, match="created_at"):
        await source.fetch_ticket("77")


async def test_an_invalid_created_at_is_a_ticket_source_error(tmp_path: Path) -> None:
    tickets = folder(tmp_path)
    (tickets / "78.json").write_text(json.dumps({"id": "78", "created_at": "last tuesday"}))
    source = make_source(tmp_path, "tickets")

    with pytest.raises(TicketSourceError, match="created_at"):
        await source.fetch_ticket("78")


async def test_a_ticket_that_is_not_an_object(tmp_path: Path) -> None:
    tickets = folder(tmp_path)
    (tickets / "79.json").write_text(json.dumps(["a", "list"]))
    source = make_source(tmp_path, "tickets")

    with pytest.raises(TicketSourceError, match="must be an object"):
        await source.fetch_ticket("79")


async def test_a_missing_path(tmp_path: Path) -> None:
    source = make_source(tmp_path, "no-such-folder")

    with pytest.raises(TicketSourceError, match="no-such-folder"):
        await source.fetch_ticket("1")
    (check,) = await source.check()
    assert not check.ok


async def test_it_is_a_ticket_source_and_collects_no_evidence(tmp_path: Path) -> None:
    folder(tmp_path)
    source = make_source(tmp_path, "tickets")

    assert FileTickets.collects_evidence is False
    assert source.collects_evidence is False
    assert isinstance(source, TicketSource)


async def test_a_broken_file_in_the_folder_does_not_hide_the_others(tmp_path: Path) -> None:
    from investigate.config import load_config
    from investigate.context import Context
    from investigate.errors import TicketNotFound
    from investigate_connectors.file import FileTickets

    folder = tmp_path / "tickets"
    folder.mkdir()
    (folder / "1.json").write_text('{"id": "1", "created_at": "2026-11-24T10:00:00Z"}')
    (folder / "broken.json").write_text("{not json")
    (folder / "777.json").write_text('{"id": "4812", "created_at": "2026-11-24T10:00:00Z"}')
    cfg = tmp_path / "c.yaml"
    cfg.write_text("connectors:\n  t: {type: file, path: tickets}\n")
    loaded = load_config(cfg, env={})
    source = FileTickets(
        "t", loaded.connector_config("t", FileTickets.config_model), Context(config=loaded)
    )
    assert (await source.fetch_ticket("1")).id == "1"
    assert (await source.fetch_ticket("4812")).id == "4812"  # found by its id, not its file name
    with pytest.raises(TicketNotFound):
        await source.fetch_ticket("777")  # the file named 777 holds ticket 4812
    with pytest.raises(TicketNotFound):
        await source.fetch_ticket("999")
