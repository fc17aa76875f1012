"""The report as an internal note on the ticket it came from (`--post-note`).

One layout, three markups, each the one its helpdesk renders best: `html` (Zendesk
`html_body`, Freshdesk, Intercom, Help Scout), `markdown` (Linear, GitHub) and `jira` (Jira
wiki markup, which Jira and Jira Service Management render in comments).

Everything that came from a ticket, a system or an analyst is untrusted and is escaped for the
target markup: it cannot add a link, an image, raw HTML, a heading, a wiki macro, a mention
(`@name` becomes `＠name`, Jira `[~user]` is escaped) or a helpdesk placeholder
(`{{ticket.requester.email}}` becomes `{ {ticket.requester.email} }`); a URL inside untrusted
text is defanged (`https[:]//…`). Only evidence URLs (http/https) become links. Secrets are
masked (`MASKER`) everywhere; with a redactor (`redact_notes: true`) PII becomes placeholders.

The last line carries the idempotency marker (`investigate-note:v1:<evidence hash>`): plain text,
because helpdesks strip HTML comments and hand bodies back as text.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from investigate.models import Evidence, Report
from investigate.render import safe, when
from investigate.render.markdown import md
from investigate.sdk.notes import NoteFormat
from investigate.secrets import MASKER

if TYPE_CHECKING:
    from investigate.evidence.redaction import Redactor

MAX_EVIDENCE = 12
_URL_SCHEME = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]{1,15})://")
_WWW = re.compile(r"\bwww\.", re.I)
_JIRA_SPECIAL = re.compile(r"([\\\[\]{}|*_+^~?!#-])")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]{}|\"'`\\]+$", re.I)


def neutral(text: str | None, redactor: Redactor | None = None, limit: int | None = None) -> str:
    """Untrusted text with secrets masked, PII redacted (if asked), mentions, placeholders and
    URLs neutralised; still to be escaped for the target markup."""
    value = MASKER.mask(safe(text, limit))
    if redactor is not None:
        value = redactor.redact(value)
    value = value.replace("@", "＠")
    value = re.sub(r"\{(?=[{%])", "{ ", value)
    value = re.sub(r"(?<=[}%])\}", " }", value)
    value = _URL_SCHEME.sub(r"\1[:]//", value)
    return _WWW.sub("www[.]", value)


def safe_url(url: str | None) -> str | None:
    value = MASKER.mask(safe(url)).strip()
    return value if _SAFE_URL.match(value) else None


class _Markup:
    """How one format writes the few constructs a note needs."""

    def __init__(self, fmt: NoteFormat, redactor: Redactor | None) -> None:
        self.fmt = fmt
        self.redactor = redactor

    def text(self, value: str | None, limit: int | None = None) -> str:
        flat = " ".join(neutral(value, self.redactor, limit).split())
        if self.fmt == "html":
            return html.escape(flat, quote=True)
        if self.fmt == "jira":
            return _JIRA_SPECIAL.sub(r"\\\1", flat)
        return md(flat)

    def heading(self, title: str) -> str:
        return {"html": f"<h3>{title}</h3>", "jira": f"h3. {title}", "markdown": f"### {title}"}[
            self.fmt
        ]

    def para(self, inner: str) -> str:
        return f"<p>{inner}</p>" if self.fmt == "html" else inner

    def bold(self, inner: str) -> str:
        return {"html": f"<strong>{inner}</strong>", "jira": f"*{inner}*"}.get(
            self.fmt, f"**{inner}**"
        )

    def link(self, label: str, url: str) -> str:
        if self.fmt == "html":
            return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
        if self.fmt == "jira":
            return f"[{label}|{url}]"
        return f"[{label}](<{url}>)"

    def items(self, rows: list[str]) -> str:
        if self.fmt == "html":
            return "<ul>" + "".join(f"<li>{r}</li>" for r in rows) + "</ul>"
        bullet = "*" if self.fmt == "jira" else "-"
        return "\n".join(f"{bullet} {r}" for r in rows)

    def quote(self, lines: list[str]) -> str:
        if self.fmt == "html":
            return "<blockquote>" + "<br>".join(lines) + "</blockquote>"
        if self.fmt == "jira":
            return "{quote}\n" + "\n".join(lines) + "\n{quote}"
        return "\n".join(f"> {line}" if line else ">" for line in lines)

    def join(self, blocks: list[str]) -> str:
        return ("\n" if self.fmt == "html" else "\n\n").join(b for b in blocks if b)


def cited(report: Report) -> list[Evidence]:
    """Evidence the analysis cites (root cause first), then the best-ranked rest, capped."""
    a = report.analysis
    order = list(a.root_cause.evidence)
    for group in (
        [i for alt in a.alternatives for i in alt.evidence],
        [i for t in a.timeline for i in t.evidence],
        a.incident.alerts,
    ):
        order += group
    by_id = {e.id: e for e in report.evidence if e.id}
    picked = [by_id[i] for i in dict.fromkeys(order) if i in by_id]
    rest = [e for e in report.evidence if e.id and e not in picked]
    return (picked + rest)[:MAX_EVIDENCE]


def render_note(
    report: Report, fmt: NoteFormat, marker: str, redactor: Redactor | None = None
) -> str:
    """The note body in `fmt`, ending with `marker` (see `investigate.writeback`)."""
    m = _Markup(fmt, redactor)
    a, t = report.analysis, report.ticket
    rc = a.root_cause
    head = m.para(
        m.bold("investigate: internal analysis")
        + f" of ticket {m.text(t.id)} ({m.text(t.subject, 160)}). Internal only: not sent to the"
        " customer."
    )
    root = [
        m.heading("Root cause"),
        m.para(
            f"{m.bold(rc.category)} · confidence {m.bold(rc.confidence)} · evidence "
            + (", ".join(m.text(i) for i in rc.evidence) or "none")
        ),
        m.para(m.text(rc.statement, 1500)),
        m.para(m.text(a.summary, 800)) if a.summary and rc.statement not in a.summary else "",
    ]
    rows = [_evidence_row(m, e) for e in cited(report)]
    evidence = [m.heading("Evidence"), m.items(rows) if rows else m.para("No evidence found.")]
    esc = a.escalation
    escalation = [
        m.heading("Escalation"),
        m.para(
            f"{m.bold(esc.tier)} → {m.text(esc.team)} · severity {m.bold(a.severity)}"
            + (" · " + m.bold("incident suspected") if a.incident.suspected else "")
        ),
        m.para(m.text(esc.reason, 600)) if esc.reason else "",
        m.para("SLA: " + m.text(_sla(report))),
    ]
    steps = (
        [m.heading("Next steps"), m.items([m.text(s, 300) for s in a.next_steps[:8]])]
        if a.next_steps
        else []
    )
    draft_lines = [m.text(line, 1000) for line in safe(a.draft_reply).splitlines()]
    draft = [
        m.heading("DRAFT reply (not sent: review before replying)"),
        m.quote(draft_lines or [m.text("(no draft)")]),
    ]
    footer = m.para(f"Analyst: {m.text(a.analyst)} · {marker}")
    return m.join([head, *root, *evidence, *escalation, *steps, *draft, footer]) + "\n"


def _evidence_row(m: _Markup, e: Evidence) -> str:
    title = m.text(e.title, 200)
    url = safe_url(e.url)
    label = m.link(title, url) if url else title
    stamp = when(e.timestamp)
    return f"{m.bold(m.text(e.id))} {e.kind} · {m.text(e.source)} · {m.text(stamp)}: {label}"


def _sla(report: Report) -> str:
    sla = report.sla
    if sla.policy is None:
        return "no policy for this priority"
    state = "breached" if sla.breached else f"{sla.minutes_left} min left"
    return (
        f"{sla.policy}: first response due {when(sla.first_response_due)}, resolution due "
        f"{when(sla.resolution_due)} ({state})"
    )
