"""Runbooks: the organisation's own guidance, as Markdown files with front matter.

    ---
    name: Expired card
    match:
      category: [billing]          # any of these categories (after the diagnosis)
      error_code: [ERR_CARD_DECLINED]
      service: [billing-api]
      connector: [stripe]           # an evidence source name or connector type
      regex: "card (?:was )?declined"   # over the evidence titles and details
    ---
    ## Next steps
    - Retry the invoice from the billing console
    ## Reply
    You can update the card under Billing → Payment methods.

Every key under `match` that is present must match (a list matches when any item does). A
runbook that names only `category` matches once the diagnosis is made; one with evidence
criteria matches the evidence. Matched runbooks add their next steps and reply guidance to the
offline report, are sent to an LLM as trusted guidance (apart from the fenced untrusted data),
and are named in the report (`analysis.runbooks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from investigate.errors import ConfigError
from investigate.evidence import signals
from investigate.models import Evidence

MAX_FILE = 64_000
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_SECTION = re.compile(r"^##\s+(.+?)\s*$", re.M)


@dataclass
class Runbook:
    name: str
    path: Path
    categories: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    connectors: list[str] = field(default_factory=list)
    regex: re.Pattern[str] | None = None
    steps: list[str] = field(default_factory=list)
    reply: str = ""
    text: str = ""

    @property
    def evidence_criteria(self) -> bool:
        return bool(self.error_codes or self.services or self.connectors or self.regex)

    def matches_evidence(self, evidence: list[Evidence], types: dict[str, str]) -> bool:
        """Every evidence criterion present matches some item (category is checked later)."""
        if not self.evidence_criteria:
            return True
        if self.error_codes:
            codes = {c for e in evidence for c in signals.error_codes(e)}
            if not codes & set(self.error_codes):
                return False
        if self.services:
            wanted = {s.lower() for s in self.services}
            if not any(s.lower() in wanted for e in evidence for s in e.services):
                return False
        if self.connectors:
            wanted = {c.lower() for c in self.connectors}
            names = {e.source.lower() for e in evidence} | {
                types.get(e.source, "").lower() for e in evidence
            }
            if not names & wanted:
                return False
        return self.regex is None or any(self.regex.search(signals.text(e)) for e in evidence)

    def matches_category(self, category: str) -> bool:
        return not self.categories or category in self.categories


def _list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError(f"expected a name or a list, got {type(value).__name__}")


def parse(path: Path, text: str) -> Runbook:
    m = _FRONT.match(text)
    if not m:
        raise ConfigError(
            f"runbook {path.name}: no front matter",
            hint="start the file with '---', a YAML block with `match:`, and '---'",
        )
    try:
        meta = yaml.safe_load(m.group(1)) or {}
        if not isinstance(meta, dict):
            raise ValueError("the front matter is not a mapping")
        match = meta.get("match") or {}
        if not isinstance(match, dict):
            raise ValueError("`match` is not a mapping")
        unknown = set(match) - {"category", "error_code", "service", "connector", "regex"}
        if unknown:
            raise ValueError(f"unknown match key(s): {', '.join(sorted(unknown))}")
        regex = re.compile(str(match["regex"]), re.I) if match.get("regex") else None
        book = Runbook(
            name=str(meta.get("name") or path.stem),
            path=path,
            categories=_list(match.get("category")),
            error_codes=_list(match.get("error_code")),
            services=_list(match.get("service")),
            connectors=_list(match.get("connector")),
            regex=regex,
        )
    except (yaml.YAMLError, ValueError, re.error) as exc:
        raise ConfigError(
            f"runbook {path.name}: {exc}".splitlines()[0][:200],
            hint="match: {category, error_code, service, connector, regex}",
        ) from None
    book.text = m.group(2).strip()
    sections = _sections(book.text)
    book.steps = [
        line.lstrip("-*0123456789. ").strip()
        for line in sections.get("next steps", "").splitlines()
        if line.strip().startswith(("-", "*")) or re.match(r"\s*\d+\.", line)
    ]
    book.reply = " ".join(sections.get("reply", "").split())
    return book


def _sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    heads = list(_SECTION.finditer(text))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out[h.group(1).strip().lower()] = text[h.end() : end].strip()
    return out


def load(folder: Path | None) -> list[Runbook]:
    if folder is None:
        return []
    if not folder.is_dir():
        raise ConfigError(
            f"runbooks folder {folder} does not exist",
            hint="set `runbooks:` to a folder of .md files",
        )
    books = []
    for path in sorted(folder.glob("*.md")):
        if path.stat().st_size > MAX_FILE:
            raise ConfigError(f"runbook {path.name} is larger than {MAX_FILE} bytes")
        books.append(parse(path, path.read_text(encoding="utf-8", errors="replace")))
    return books


def _tied(evidence: list[Evidence]) -> list[Evidence]:
    """Evidence about this ticket: the customer's own items, causal links, alerts and deploys
    (another tenant's background error must not pull in a runbook)."""
    return [
        e
        for e in evidence
        if e.matched or e.links or e.kind in ("alert", "incident", "status", "deploy")
    ]


def load_or_note(folder: Path | None) -> tuple[list[Runbook], list[str]]:
    """`load`, for a run: a missing folder or a broken runbook is a gap in the report (with
    the one-line reason), not a failed investigation."""
    try:
        return load(folder), []
    except ConfigError as exc:
        return [], [f"runbooks not used: {exc.message}"]


def matching(
    books: list[Runbook], evidence: list[Evidence], types: dict[str, str] | None = None
) -> list[Runbook]:
    """The runbooks whose evidence criteria match this ticket's evidence (category-only ones
    are all kept: the diagnosis decides)."""
    tied = _tied(evidence)
    return [b for b in books if b.matches_evidence(tied, types or {})]


def for_analysis(
    books: list[Runbook],
    category: str,
    cited: list[Evidence],
    types: dict[str, str] | None = None,
) -> list[Runbook]:
    """The runbooks that fit a finished diagnosis: its category and its cited evidence."""
    return [
        b for b in books if b.matches_category(category) and b.matches_evidence(cited, types or {})
    ]


def as_guidance(books: list[Runbook]) -> str:
    """The runbooks as trusted organisation guidance for an LLM prompt (the system part, never
    mixed with the fenced ticket and evidence)."""
    parts = [
        "## Organisation runbooks (trusted guidance from the operator)\n"
        "Follow a runbook when its category matches your diagnosis: use its next steps and "
        "its reply guidance. Name the runbooks you followed in `runbooks`."
    ]
    for b in books:
        when = f" (applies when the category is {', '.join(b.categories)})" if b.categories else ""
        parts.append(f"### {b.name}{when}\n{b.text[:4000]}")
    return "\n\n".join(parts)
