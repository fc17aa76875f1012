"""HTML → clean text, for helpdesk bodies (Zendesk `html_body`, Intercom parts, Freshdesk,
Help Scout threads). Standard library only (`html.parser`).

    html_to_text("<p>Hi&nbsp;there</p><ul><li>one</li><li>two</li></ul>")
    == "Hi there\\n\\n- one\\n- two"

Tags are dropped, `<script>`, `<style>`, `<head>`, `<template>` and `<noscript>` with their
content; paragraphs and block elements become blank-line separated, `<br>` a line break, list
items `- ` lines, entities are decoded, runs of spaces collapse and `<pre>` keeps its lines.
Links keep their text and, when it differs, the target: `text (https://…)`. Malformed markup
never raises; the output is plain text and never contains `<tag>` markup that came in as a tag.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "template", "noscript", "title", "svg"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "hr",
        "figure",
        "dl",
        "address",
        "main",
        "nav",
        "aside",
    }
)
_LINE = frozenset({"li", "dt", "dd", "caption", "tr"})
_CELL = frozenset({"td", "th"})
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
"""Control characters (terminal escapes, NUL) never reach the text; whitespace ones do."""
_SPACES = re.compile(r"[ \t\f\v\r\u00a0\u200b]+")
_BLANKS = re.compile(r"\n{3,}")
_PARA = "\x00P"
_BR = "\x00B"
MAX_INPUT = 2_000_000
"""Characters of HTML read; the rest is cut (bodies this large are attachments pasted inline)."""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.href: list[str | None] = []
        self.link_text: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            self.out.append(_BR)
        elif tag in _BLOCK:
            self.out.append(_PARA)
            if tag == "pre":
                self.pre += 1
        elif tag in _LINE:
            self.out.append(_BR)
            if tag == "li":
                self.out.append("- ")
        elif tag in _CELL:
            self.out.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text.append(len(self.out))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return  # `<script/>` opens nothing
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self.out.append(_PARA)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in ("dd", "caption"):
            self.out.append(_BR)
        elif tag == "a" and self.href:
            href, start = self.href.pop(), self.link_text.pop()
            text = "".join(p for p in self.out[start:] if not p.startswith("\x00")).strip()
            if href and href.startswith(("http://", "https://", "mailto:")):
                target = href.removeprefix("mailto:")
                if target != text and text.rstrip("/") != target.rstrip("/"):
                    self.out.append(f" ({target})" if text else target)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = _CONTROL.sub("", data)
        if self.pre:
            self.out.append(data.replace("\n", _BR))
        else:
            self.out.append(_WS.sub(" ", data))


def html_to_text(html: str | None) -> str:
    """Readable plain text from an HTML fragment or document (see the module docstring)."""
    if not html:
        return ""
    parser = _Text()
    try:
        parser.feed(html[:MAX_INPUT])
        parser.close()
    except (AssertionError, ValueError):  # very old parsers on broken markup; keep what we have
        pass
    text = "".join(parser.out)
    lines: list[str] = []
    for block in text.split(_PARA):
        for line in block.split(_BR):
            lines.append(_SPACES.sub(" ", line).strip())
        lines.append("")
    joined = "\n".join(lines)
    return _BLANKS.sub("\n\n", joined).strip()


def looks_like_html(text: str) -> bool:
    """True when `text` carries markup worth converting (a tag or an entity)."""
    return bool(
        re.search(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>|&#?\w+;", text)
    )
