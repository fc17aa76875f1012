"""`--post-note` on the `file` ticket source: the note is a new Markdown file beside the tickets,
`<folder>/<ticket id>/<UTC time>-<evidence hash>.md` (0600 in a 0700 folder), written once with
O_EXCL and never through a symbolic link. A rerun with the same evidence writes nothing, changed
evidence writes a second file, the dry run shows the path and the body it would write, and
nothing else on disk changes."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from investigate.errors import ReadOnlyViolation
from investigate.notefile import write_note_file

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{16}\.md$")

TICKET: dict[str, Any] = {
    "id": "4812",
    "subject": "CSV export fails",
    "description": "Every export fails with ERR_EXPORT_SERIALIZE.",
    "created_at": "2026-11-24T10:00:00Z",
    "priority": "high",
    "requester": {"name": "Dana Scully", "email": "dana@acme.io"},
}
LOG = [
    {"ts": "2026-11-24T09:40:00Z", "level": "error", "service": "api", "msg": "ERR_EXPORT_SERIALIZE: cannot serialize column"},
    {"ts": "2026-11-24T09:41:00Z", "level": "error", "service": "api", "msg": "ERR_EXPORT_SERIALIZE: cannot serialize column"},
]  # fmt: skip


def add_ticket(tmp_path: Path, ticket: dict[str, Any]) -> None:
    (tmp_path / "tickets").mkdir(exist_ok=True)
    (tmp_path / "tickets" / f"{ticket['id']}.json").write_text(json.dumps(ticket))


def log(tmp_path: Path, *lines: dict[str, Any]) -> None:
    with (tmp_path / "logs" / "api.jsonl").open("a") as f:
        f.writelines(json.dumps(line) + "\n" for line in lines)


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    add_ticket(tmp_path, TICKET)
    (tmp_path / "logs").mkdir()
    log(tmp_path, *LOG)
    return tmp_path


def config(**write_back: Any) -> dict[str, Any]:
    tickets: dict[str, Any] = {"type": "file", "path": "tickets"}
    if write_back:
        tickets["write_back"] = write_back
    return {
        "ticket_source": "tickets",
        "llm": {"provider": "offline"},
        "investigation": {"timeout": "20s"},
        "connectors": {"tickets": tickets, "logs": {"type": "log_file", "paths": ["logs/*.jsonl"]}},
    }


def notes(folder: Path, ticket: str = "4812") -> list[Path]:
    where = folder / ticket
    return sorted(where.iterdir()) if where.is_dir() else []


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under root (size, mtime): what a run changed on disk."""
    out = {}
    for path in root.rglob("*"):
        info = path.lstat()
        out[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return out


def dry_request(err: str) -> tuple[Path, str]:
    """The path after `CREATE ` and the body after the blank line that follows it."""
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("CREATE "))
    path = Path(lines[start].removeprefix("CREATE ").split(" (", 1)[0])
    assert lines[start + 1] == ""
    return path, "\n".join(lines[start + 2 :]) + "\n"


def test_a_real_run_writes_one_new_file_and_a_rerun_none(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True, folder="notes")))
    before = snapshot(setup)
    first = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert first.code == 0, first.err
    [note] = notes(setup / "notes")
    assert "wrote an internal note for ticket 4812" in first.err and str(note) in first.err
    assert NAME.match(note.name), note.name
    text = note.read_text()
    assert "### Root cause" in text and "DRAFT reply" in text
    marker = re.search(r"investigate-note:v1:([0-9a-f]{16})", text)
    assert marker is not None and note.name.endswith(f"-{marker.group(1)}.md")
    # the only change on disk: the note, its ticket folder and the notes folder
    after = snapshot(setup)
    assert set(after) - set(before) == {"notes", "notes/4812", f"notes/4812/{note.name}"}
    assert {k: v for k, v in after.items() if k in before} == before

    again = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert again.code == 0, again.err
    assert "same evidence: nothing to post" in again.err
    assert notes(setup / "notes") == [note]
    assert again.json()["evidence"] == first.json()["evidence"]


def test_the_note_and_its_folders_are_private(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True, folder="notes")))
    old = os.umask(0)  # even a permissive umask cannot widen them
    try:
        assert cli("ticket", "4812", "-c", path, "--post-note").code == 0
    finally:
        os.umask(old)
    [note] = notes(setup / "notes")
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    assert stat.S_IMODE(note.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((setup / "notes").stat().st_mode) == 0o700


def test_changed_evidence_writes_a_second_file_and_leaves_the_first(
    cli, write_config, setup
) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True, folder="notes")))
    assert cli("ticket", "4812", "-c", path, "--post-note").code == 0
    [first] = notes(setup / "notes")
    first_text = first.read_bytes()
    log(setup, {"ts": "2026-11-24T09:50:00Z", "level": "error", "service": "worker", "msg": "ERR_QUEUE_STALLED: export queue stalled"})  # fmt: skip
    result = cli("ticket", "4812", "-c", path, "--post-note")
    assert result.code == 0, result.err
    assert "wrote an internal note" in result.err
    older, newer = notes(setup / "notes")
    assert older == first and first.read_bytes() == first_text  # never an edit
    assert older.name.rsplit("-", 1)[1] != newer.name.rsplit("-", 1)[1]
    assert (
        "ERR_QUEUE_STALLED" in newer.read_text() and "ERR_QUEUE_STALLED" not in first_text.decode()
    )
    # the newest note's marker is what a rerun compares with: nothing more
    assert "nothing to post" in cli("ticket", "4812", "-c", path, "--post-note").err
    assert len(notes(setup / "notes")) == 2


def test_the_dry_run_shows_the_exact_file_and_writes_nothing(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True, folder="notes")))
    before = snapshot(setup)
    dry = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note", "--dry-run")
    assert dry.code == 0, dry.err
    assert "nothing was written" in dry.err
    assert snapshot(setup) == before  # not even the folder
    where, body = dry_request(dry.err)

    real = cli("ticket", "4812", "-c", path, "-f", "json", "--post-note")
    assert real.code == 0, real.err
    [note] = notes(setup / "notes")
    assert where.parent == note.parent
    assert NAME.match(where.name) and where.name[-20:] == note.name[-20:]  # same evidence hash
    assert note.read_text() == body


def test_disabled_the_dry_run_still_shows_the_file_but_a_real_run_refuses(
    cli, write_config, setup
) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(folder="notes")))
    dry = cli("ticket", "4812", "-c", path, "--post-note", "--dry-run")
    assert dry.code == 0, dry.err
    assert "write-back is disabled: a real run would refuse" in dry.err
    where, body = dry_request(dry.err)
    assert where.parent == setup / "notes" / "4812" and "### Root cause" in body
    real = cli("ticket", "4812", "-c", path, "--post-note")
    assert real.code == 2
    assert "write-back is disabled for 'tickets'" in real.err
    assert "write_back.enabled: true" in real.err
    assert not (setup / "notes").exists()


def test_the_folder_defaults_to_notes_beside_the_tickets(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True)))
    assert cli("ticket", "4812", "-c", path, "--post-note").code == 0
    assert len(notes(setup / "notes")) == 1


def test_batch_twice_writes_once(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    add_ticket(setup, {**TICKET, "id": "4813", "subject": "Export still broken"})
    path = str(write_config(config(enabled=True, folder="notes")))
    first = cli("batch", "4812", "4813", "-c", path, "--post-note")
    assert first.code == 0, first.err
    assert "notes: 2 posted" in first.err
    second = cli("batch", "4812", "4813", "-c", path, "--post-note")
    assert second.code == 0, second.err
    assert "notes: 2 unchanged" in second.err
    assert len(notes(setup / "notes", "4812")) == 1 and len(notes(setup / "notes", "4813")) == 1


def test_batch_dry_run_shows_each_file_and_writes_nothing(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    add_ticket(setup, {**TICKET, "id": "4813"})
    path = str(write_config(config(enabled=True, folder="notes")))
    result = cli("batch", "4812", "4813", "-c", path, "--post-note", "--dry-run")
    assert result.code == 0, result.err
    assert "notes: 2 dry-run" in result.err and result.err.count("CREATE ") == 2
    assert not (setup / "notes").exists()


def test_a_symlinked_notes_folder_is_refused(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    elsewhere = setup / "elsewhere"
    elsewhere.mkdir()
    (setup / "notes").symlink_to(elsewhere)
    path = str(write_config(config(enabled=True, folder="notes")))
    result = cli("ticket", "4812", "-c", path, "--post-note")
    assert result.code == 2
    assert "symbolic link" in result.err
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_ticket_folder_is_refused(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    elsewhere = setup / "elsewhere"
    elsewhere.mkdir()
    (setup / "notes").mkdir()
    (setup / "notes" / "4812").symlink_to(elsewhere)
    path = str(write_config(config(enabled=True, folder="notes")))
    result = cli("ticket", "4812", "-c", path, "--post-note")
    assert result.code == 2 and "symbolic link" in result.err
    assert list(elsewhere.iterdir()) == []


def test_check_shows_the_write_permission(cli, write_config, setup, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")
    on = cli("check", "-c", str(write_config(config(enabled=True, folder="notes"))))
    assert on.code == 0, on.err
    text = " ".join(on.out.split())
    assert "write-back: a new Markdown file in" in text and "notes/<ticket id>/" in text
    assert "enabled: creates new files only" in text
    off = cli("check", "-c", str(write_config(config(folder="notes"), name="off.yaml")))
    assert "write-back disabled (write_back.enabled: false)" in " ".join(off.out.split())
    none = cli("check", "-c", str(write_config(config(), name="none.yaml")))
    assert none.code == 0 and "write-back" not in none.out  # no section: plainly read-only
    (setup / "notes").symlink_to(setup / "tickets")
    bad = cli("check", "-c", str(write_config(config(enabled=True, folder="notes"), name="b.yaml")))
    assert "enabled but not ready" in " ".join(bad.out.split())


SUBJECT = '<a href="https://evil.example/x">x</a> @admin {{ticket.requester.email}} [y](https://evil.example/y)'
HOSTILE = (
    'Export fails <a href="https://evil.example/x">click</a> [docs](https://evil.example/y) '
    "@admin please {{ticket.requester.email}} {% if x %} ![p](https://evil.example/p.png) "
    "# Heading\n\n- see https://evil.example/z ERR_EXPORT_SERIALIZE"
)


def test_ticket_text_stays_text_in_the_note(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    add_ticket(setup, {**TICKET, "id": "4900", "subject": SUBJECT, "description": HOSTILE})
    path = str(write_config(config(enabled=True, folder="notes")))
    assert cli("ticket", "4900", "-c", path, "--post-note").code == 0
    [note] = notes(setup / "notes", "4900")
    body = note.read_text()
    assert "evil.example" in body  # the subject is there, as text
    assert "://evil" not in body and "@admin" not in body
    assert "{{" not in body and "{%" not in body
    assert not re.search(r"(?<!\\)<", body)  # raw HTML: every < is escaped
    assert "\\<a href=" in body  # shown as text
    assert not re.search(r"(?<!\\)\]\(", body)  # no link at all (the evidence has no URLs)
    assert "![" not in body and not re.search(r"^#+ Heading", body, re.M)


def test_notes_inside_the_ticket_folder_are_not_tickets(cli, write_config, setup) -> None:  # type: ignore[no-untyped-def]
    path = str(write_config(config(enabled=True, folder="tickets")))
    assert cli("ticket", "4812", "-c", path, "--post-note").code == 0
    assert len(notes(setup / "tickets")) == 1
    again = cli("ticket", "4812", "-c", path, "--post-note")
    assert again.code == 0 and "nothing to post" in again.err
    assert "1 tickets in" in cli("check", "-c", path).out


# --- the writer itself ---------------------------------------------------------------------------


def test_the_writer_never_overwrites_or_follows_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    written = write_note_file(folder, "4812", "a.md", "one\n")
    assert written == folder / "4812" / "a.md" and written.read_text() == "one\n"
    with pytest.raises(ReadOnlyViolation, match="exists"):
        write_note_file(folder, "4812", "a.md", "two\n")
    assert written.read_text() == "one\n"
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    (folder / "4812" / "b.md").symlink_to(target)
    with pytest.raises(ReadOnlyViolation, match="exists"):
        write_note_file(folder, "4812", "b.md", "evil\n")
    assert target.read_text() == "keep"
    (folder / "4812" / "c.md").symlink_to(tmp_path / "missing.txt")  # dangling
    with pytest.raises(ReadOnlyViolation, match="exists"):
        write_note_file(folder, "4812", "c.md", "evil\n")
    assert not (tmp_path / "missing.txt").exists()


@pytest.mark.parametrize("ticket_id", ["../4812", "a/b", "..", ".", "", "x\n"])
def test_the_writer_refuses_a_ticket_id_that_is_not_one_folder_name(
    tmp_path: Path, ticket_id: str
) -> None:
    with pytest.raises(ReadOnlyViolation, match="ticket ID"):
        write_note_file(tmp_path / "notes", ticket_id, "a.md", "x\n")
    assert not (tmp_path / "notes").exists()


@pytest.mark.parametrize("name", ["../a.md", "a/b.md", ".md", "a.txt"])
def test_the_writer_refuses_a_name_that_is_not_a_note(tmp_path: Path, name: str) -> None:
    with pytest.raises(ReadOnlyViolation, match="note file name"):
        write_note_file(tmp_path / "notes", "4812", name, "x\n")
    assert not (tmp_path / "notes").exists()


# --- the demo: the done-when command of issue 18 -------------------------------------------------


def test_the_demo_dry_run_shows_the_note_file_it_would_write(cli) -> None:  # type: ignore[no-untyped-def]
    demo = ROOT / "config.example.yaml"
    notes_folder = ROOT / "examples" / "demo" / "notes"
    existed = notes_folder.exists()
    result = cli("ticket", "4813", "--config", str(demo), "--post-note", "--dry-run")
    assert result.code == 0, result.err
    assert "cannot take notes" not in result.err
    assert "would write this new file" in result.err
    assert "write-back is disabled: a real run would refuse" in result.err
    where, body = dry_request(result.err)
    assert where.parent == notes_folder / "4813" and NAME.match(where.name)
    assert body.startswith("**investigate: internal analysis** of ticket 4813")
    assert "### Root cause" in body and "DRAFT reply" in body
    assert re.search(r"investigate-note:v1:[0-9a-f]{16}\n$", body)
    assert notes_folder.exists() == existed  # nothing written
    real = cli("ticket", "4813", "--config", str(demo), "--post-note")
    assert real.code == 2 and "write-back is disabled for 'tickets'" in real.err
    assert notes_folder.exists() == existed
