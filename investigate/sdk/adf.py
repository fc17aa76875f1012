"""Atlassian Document Format (Jira Cloud v3 bodies) → clean plain text.

    adf_to_text({"type": "doc", "version": 1, "content": [...]})  ->  "Export fails\\n- step a"

Paragraphs and headings become lines, lists `- ` / `1. ` items, code blocks keep their text,
links keep their text and URL (`text (url)`), mentions, emoji, status lozenges and dates their
visible text, media (attachments) `[attachment: name]`, tables `a | b` rows. Unknown nodes
contribute their children's text. Depth and output size are capped, so a hostile document can
neither recurse forever nor grow without bound. A plain string (Jira v2 / Data Center wiki
text) is returned as is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_DEPTH = 60
MAX_CHARS = 200_000

_BLOCKS = frozenset(
    {"paragraph", "heading", "codeBlock", "blockquote", "panel", "rule", "mediaSingle",
     "mediaGroup", "table", "expand", "nestedExpand", "blockCard", "embedCard", "decisionList",
     "taskList", "bulletList", "orderedList", "layoutSection", "layoutColumn", "extension",
     "bodiedExtension"}
)  # fmt: skip


def adf_to_text(node: Any) -> str:
    """The visible text of an ADF document (or of any ADF node); `""` for nothing usable."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.strip()
    out: list[str] = []
    _Walker(out).block(node, 0, "")
    text = "".join(out)[:MAX_CHARS]
    lines = [line.rstrip() for line in text.split("\n")]
    cleaned: list[str] = []
    for line in lines:
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    return "\n".join(cleaned).strip("\n")


class _Walker:
    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.size = 0

    def emit(self, text: str) -> None:
        if self.size < MAX_CHARS:
            self.out.append(text)
            self.size += len(text)

    def children(self, node: dict[str, Any]) -> list[Any]:
        content = node.get("content")
        return content if isinstance(content, list) else []

    def block(self, node: Any, depth: int, prefix: str) -> None:
        """A block-level node: its text on its own line(s), each starting with `prefix`."""
        if not isinstance(node, dict) or depth > MAX_DEPTH or self.size >= MAX_CHARS:
            return
        kind = node.get("type")
        attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
        assert isinstance(attrs, dict)
        if kind in ("bulletList", "orderedList", "taskList", "decisionList"):
            start = attrs.get("order", 1)
            n = start if isinstance(start, int) and not isinstance(start, bool) else 1
            for item in self.children(node):
                if not isinstance(item, dict):
                    continue
                if kind == "orderedList":
                    marker = f"{n}. "
                    n += 1
                elif kind == "taskList":
                    done = isinstance(item.get("attrs"), dict) and item["attrs"].get("state")
                    marker = "[x] " if done == "DONE" else "[ ] "
                else:
                    marker = "- "
                self.item(item, depth + 1, prefix, marker)
            return
        if kind == "codeBlock":
            text = self.inline_text(node, depth)
            for line in text.split("\n"):
                self.emit(f"{prefix}    {line}\n")
            return
        if kind == "blockquote":
            for child in self.children(node):
                self.block(child, depth + 1, prefix + "> ")
            return
        if kind == "rule":
            self.emit(f"{prefix}---\n")
            return
        if kind == "table":
            for row in self.children(node):
                if isinstance(row, dict):
                    cells = [
                        " ".join(self.plain(cell, depth + 2).split()) for cell in self.children(row)
                    ]
                    self.emit(prefix + " | ".join(cells) + "\n")
            return
        if kind in ("mediaSingle", "mediaGroup"):
            for child in self.children(node):
                self.emit(prefix + self.inline(child, depth + 1) + "\n")
            return
        if kind in ("expand", "nestedExpand"):
            title = attrs.get("title")
            if isinstance(title, str) and title.strip():
                self.emit(f"{prefix}{title.strip()}\n")
            for child in self.children(node):
                self.block(child, depth + 1, prefix)
            return
        if kind in ("blockCard", "embedCard"):
            url = attrs.get("url")
            if isinstance(url, str):
                self.emit(f"{prefix}{url}\n")
            return
        if kind in ("paragraph", "heading", "taskItem", "decisionItem") or (
            kind not in _BLOCKS and kind != "doc" and not self.has_blocks(node)
        ):
            text = self.inline_text(node, depth)
            if kind in ("paragraph", "heading") or text.strip():
                for line in text.split("\n"):
                    self.emit(f"{prefix}{line}\n")
            return
        for child in self.children(node):  # doc, panel, layout, extensions, unknown containers
            self.block(child, depth + 1, prefix)

    def has_blocks(self, node: dict[str, Any]) -> bool:
        return any(
            isinstance(c, dict) and (c.get("type") in _BLOCKS or c.get("type") == "listItem")
            for c in self.children(node)
        )

    def item(self, item: dict[str, Any], depth: int, prefix: str, marker: str) -> None:
        if item.get("type") in ("taskItem", "decisionItem"):
            self.emit(prefix + marker + self.inline_text(item, depth) + "\n")
            return
        first = True
        for child in self.children(item):
            if first and isinstance(child, dict) and child.get("type") == "paragraph":
                self.emit(prefix + marker + self.inline_text(child, depth + 1) + "\n")
            else:
                self.block(child, depth + 1, prefix + "  ")
            first = False

    def plain(self, node: Any, depth: int) -> str:
        parts: list[str] = []
        _Walker(parts).block(node, depth, "")
        return "".join(parts)

    def inline_text(self, node: dict[str, Any], depth: int) -> str:
        return "".join(self.inline(c, depth + 1) for c in self.children(node))

    def inline(self, node: Any, depth: int) -> str:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return ""
        kind = node.get("type")
        raw_attrs = node.get("attrs")
        attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
        if kind == "text":
            text = str(node.get("text") or "")
            for mark in node.get("marks") or []:
                if isinstance(mark, dict) and mark.get("type") == "link":
                    href = (mark.get("attrs") or {}).get("href")
                    if isinstance(href, str) and href and href != text:
                        text = f"{text} ({href})"
            return text
        if kind == "hardBreak":
            return "\n"
        if kind == "mention":
            shown = str(attrs.get("text") or attrs.get("id") or "someone")
            return shown if shown.startswith("@") else f"@{shown}"
        if kind == "emoji":
            return str(attrs.get("text") or attrs.get("shortName") or "")
        if kind == "status":
            return f"[{attrs.get('text') or ''}]"
        if kind == "date":
            return _date(attrs.get("timestamp"))
        if kind in ("inlineCard", "blockCard", "embedCard"):
            return str(attrs.get("url") or "")
        if kind in ("media", "mediaInline"):
            name = attrs.get("alt") or attrs.get("fileName") or attrs.get("id") or "file"
            return f"[attachment: {name}]"
        if kind == "placeholder":
            return ""
        return "".join(self.inline(c, depth + 1) for c in self.children(node))


def _date(value: Any) -> str:
    try:
        millis = int(str(value))
        return datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%d")
    except (ValueError, OverflowError, OSError):
        return str(value or "")
