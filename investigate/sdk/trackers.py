"""Shared by the bug-tracker connectors (Jira, GitHub, Linear): Markdown to text, known-issue
evidence scored against the ticket, search terms from the ticket."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import field_validator

from investigate.models import Evidence
from investigate.sdk.contract import Query
from investigate.sdk.helpdesk import attachment_note, with_attachments
from investigate.sdk.http import HttpConfig
from investigate.sdk.relevance import bm25
from investigate.sdk.textmatch import EntityMatcher
from investigate.secrets import MASKER

_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(([^)\s]+)[^)]*\)")
_MD_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)[^)]*\)")
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r'\b(alt|src)\s*=\s*"([^"]*)"', re.I)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(
    r"</?(?:details|summary|p|br|div|span|b|i|em|strong|sub|sup|kbd)\b[^>]*>", re.I
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_FENCE = re.compile(r"^\s*(```|~~~)[^\n]*$", re.M)
_UPLOAD_HOSTS = (
    "github.com/user-attachments/",
    "user-images.githubusercontent.com",
    "private-user-images.githubusercontent.com",
    "uploads.linear.app",
    "objects.githubusercontent.com",
)
_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
}


def markdown_to_text(value: Any, limit: int = 100_000) -> str:
    """GitHub/Linear Markdown as clean text: comments and tags dropped, headings and emphasis
    unmarked, links kept as `text (url)`, uploaded files listed as `[attachments: …]`."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = _HTML_COMMENT.sub("", value[:limit]).replace("\r\n", "\n")
    files: list[str] = []

    def upload(name: str, url: str) -> str:
        if any(host in url for host in _UPLOAD_HOSTS):
            files.append(_attachment(name, url))
            return f"[attachment: {name or _file_name(url)}]"
        return f"{name} ({url})" if name else url

    text = _MD_IMAGE.sub(lambda m: upload(m.group(1), m.group(2)), text)
    text = _HTML_IMG.sub(lambda m: _img(m.group(0), upload), text)
    text = _MD_LINK.sub(
        lambda m: (
            upload(m.group(1), m.group(2))
            if any(h in m.group(2) for h in _UPLOAD_HOSTS)
            else (m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})")
        ),
        text,
    )
    text = _FENCE.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    body = "\n".join(out).strip()
    return with_attachments(body, list(dict.fromkeys(files)))


def _img(tag: str, upload: Callable[[str, str], str]) -> str:
    attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
    return upload(attrs.get("alt", ""), attrs["src"]) if attrs.get("src") else ""


def _file_name(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "file"


def _attachment(name: str, url: str) -> str:
    shown = name or _file_name(url)
    ext = (shown.rsplit(".", 1)[-1] if "." in shown else _file_name(url).rsplit(".", 1)[-1]).lower()
    return attachment_note(shown, None, _TYPES.get(ext))


class TrackerConfig(HttpConfig):
    """An `HttpConfig` whose `base_url` is required to be http(s) (a tracker's API root);
    `base_url_example` is added to the error message."""

    base_url_example: ClassVar[str] = ""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:  # replaces HttpConfig's, for its message
        if not value.startswith(("https://", "http://")):
            example = f", e.g. {cls.base_url_example}" if cls.base_url_example else ""
            raise ValueError(f"base_url must start with https://{example}")
        return value.rstrip("/")


@dataclass
class KnownIssue:
    """A bug-tracker issue in the shape every tracker maps to (see `issue_evidence`)."""

    key: str
    title: str
    url: str | None
    status: str
    """Normalised: open, in_progress, resolved, closed (as `investigate.states` reads them)."""
    vendor_status: str
    assignee: str | None = None
    fix: list[str] = field(default_factory=list)
    """Fix versions or milestones."""
    links: list[str] = field(default_factory=list)
    """Linked pull requests or commits."""
    created: datetime | None = None
    updated: datetime | None = None
    body: str = ""
    labels: list[str] = field(default_factory=list)
    request: str = ""


def search_terms(query: Query, limit: int) -> list[str]:
    """What a tracker search looks for: the ticket's error codes and short error messages,
    then its key phrases, else its subject."""
    e = query.entities
    terms = [*e.error_codes, *[m for m in e.error_messages if len(m) <= 100]]
    if len(terms) < 2:
        terms += e.keywords[:limit]
    if not terms and query.ticket.subject.strip():
        terms = [query.ticket.subject]
    seen: dict[str, str] = {}
    for term in terms:
        seen.setdefault(term.lower(), term)
    return list(seen.values())[:limit]


def ticket_text(query: Query) -> str:
    e = query.entities
    t = query.ticket
    return " ".join([t.subject, t.description, *e.error_codes, *e.error_messages, *e.keywords])


def issue_evidence(source: str, issues: Sequence[KnownIssue], query: Query) -> list[Evidence]:
    """Known issues as evidence kind "issue", each with its `status` word, its `record` and a
    BM25 `text_score` against the ticket text (how the ranking and the analysts use bugs)."""
    matcher = EntityMatcher(query.entities.matchable())
    docs = [f"{i.title}\n{i.title}\n{i.body}" for i in issues]
    scores = bm25(ticket_text(query), docs) if docs else []
    out: list[Evidence] = []
    for issue, score in zip(issues, scores, strict=True):
        lines = [
            f"{issue.vendor_status or issue.status}"
            + (f", assigned to {issue.assignee}" if issue.assignee else ", unassigned"),
            f"fix: {', '.join(issue.fix)}" if issue.fix else "",
            f"linked: {', '.join(issue.links)}" if issue.links else "",
            f"labels: {', '.join(issue.labels)}" if issue.labels else "",
            f"last updated {issue.updated:%Y-%m-%d %H:%M} UTC" if issue.updated else "",
            " ".join(issue.body.split())[:600],
        ]
        detail = "\n".join(line for line in lines if line)
        title = f"{issue.key}: {issue.title}"[:300]
        row = {
            "id": issue.key,
            "status": issue.status,
            "vendor_status": issue.vendor_status,
            "assignee": issue.assignee,
            "fix_versions": issue.fix,
            "linked": issue.links,
            "labels": issue.labels,
            "created_at": issue.created.isoformat() if issue.created else None,
            "updated_at": issue.updated.isoformat() if issue.updated else None,
            "url": issue.url,
        }
        out.append(
            Evidence(
                source=source,
                kind="issue",
                timestamp=issue.updated or issue.created,
                first_seen=issue.created,
                last_seen=issue.updated,
                title=title,
                detail=detail[:2000],
                url=issue.url,
                matched=sorted(matcher.find(f"{title}\n{detail}")),
                query=MASKER.mask(issue.request),
                status=issue.status,
                record=row,
                text_score=round(score, 2) if score > 0 else None,
            )
        )
    return out
