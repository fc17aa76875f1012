"""`investigate init`: a commented starter config, and the one "no config" message.

The starter validates as written (tests load it): a `file` ticket source reading `./tickets/`
and a log folder, every other connector type one `investigate demo` away in the example config.
"""

from __future__ import annotations

from pathlib import Path

from investigate.errors import UsageError

STARTER = """\
# investigate — starter configuration (written by `investigate init`).
#
# Every key, and a working section for every connector type, is in the example config:
#     {example}
# Check what you configured with:  investigate check
# Secrets come from the environment: api_token: ${{ZENDESK_API_TOKEN}} (${{VAR:-default}} too).
# Relative paths resolve against the folder of this file. Unknown keys are errors.

# The connector instance (below) that supplies tickets.
ticket_source: tickets

llm:
  provider: auto                  # anthropic when $ANTHROPIC_API_KEY is set, else offline

investigation:
  lookback: 24h                   # evidence window starts this long before the ticket
  timeout: 60s                    # overall deadline

connectors:
  # Tickets as local JSON/YAML files, one per ticket: tickets/<id>.json with id, subject,
  # description, status, priority, created_at, requester {{name, email}}, comments [...].
  # For a helpdesk, use type: zendesk, intercom, freshdesk, helpscout, jira, github or linear.
  tickets:
    type: file
    path: tickets

  # Application logs: JSON lines or plain text, .gz too.
  # logs:
  #   type: log_file
  #   paths: [/var/log/app/*.jsonl]

  # Production data, read-only (give it a SELECT-only role):
  # db:
  #   type: postgres                # pip install 'investigate[postgres]'
  #   dsn: ${{READONLY_DATABASE_URL}}
  #   queries:
  #     account: SELECT id, name, plan, status FROM accounts WHERE owner_email = :requester_email
"""


def starter_text() -> str:
    from investigate.demo import example_config_location

    return STARTER.format(example=example_config_location())


def write_starter(path: Path, *, force: bool) -> None:
    """Write the starter config at `path`; an existing file is kept unless `force`."""
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists; not overwritten",
            hint=f"investigate init --force to replace it, or edit {path}",
        )
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {path.parent} does not exist")
    from investigate.render.output import write_atomic

    write_atomic(path, starter_text())


def no_config() -> UsageError:
    """The one error for "no config file": a hint that works from any folder."""
    return UsageError(
        "no config file found (--config, $INVESTIGATE_CONFIG, ./investigate.yaml, "
        "~/.config/investigate/config.yaml)",
        hint="write a starter here with `investigate init`, or try the demo: investigate demo 4812",
    )
