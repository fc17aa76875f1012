"""Atlassian Document Format → clean text: every node kind Jira Cloud sends, and documents that
are malformed, deeply nested or huge."""

from __future__ import annotations

from typing import Any

import pytest

from investigate.sdk.adf import MAX_CHARS, adf_to_text


def doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def p(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def t(text: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    return node


def item(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "listItem", "content": list(content)}


CASES: list[tuple[str, Any, str]] = [
    ("paragraphs", doc(p(t("one")), p(t("two"))), "one\ntwo"),
    (
        "bold and code marks drop",
        doc(p(t("a ", {"type": "strong"}), t("b", {"type": "code"}))),
        "a b",
    ),
    (
        "link keeps its url",
        doc(p(t("the docs", {"type": "link", "attrs": {"href": "https://d.io/x"}}))),
        "the docs (https://d.io/x)",
    ),
    (
        "bare link is not doubled",
        doc(p(t("https://d.io", {"type": "link", "attrs": {"href": "https://d.io"}}))),
        "https://d.io",
    ),
    ("hard break", doc(p(t("a"), {"type": "hardBreak"}, t("b"))), "a\nb"),
    (
        "heading",
        doc({"type": "heading", "attrs": {"level": 1}, "content": [t("Title")]}, p(t("x"))),
        "Title\nx",
    ),
    (
        "bullet list",
        doc({"type": "bulletList", "content": [item(p(t("a"))), item(p(t("b")))]}),
        "- a\n- b",
    ),
    (
        "ordered list with start",
        doc(
            {
                "type": "orderedList",
                "attrs": {"order": 3},
                "content": [item(p(t("a"))), item(p(t("b")))],
            }
        ),
        "3. a\n4. b",
    ),
    (
        "nested list",
        doc(
            {
                "type": "bulletList",
                "content": [item(p(t("a")), {"type": "bulletList", "content": [item(p(t("a1")))]})],
            }
        ),
        "- a\n  - a1",
    ),
    (
        "code block keeps lines",
        doc({"type": "codeBlock", "attrs": {"language": "python"}, "content": [t("x = 1\ny = 2")]}),
        "    x = 1\n    y = 2",
    ),
    ("blockquote", doc({"type": "blockquote", "content": [p(t("quoted"))]}), "> quoted"),
    ("rule", doc(p(t("a")), {"type": "rule"}, p(t("b"))), "a\n---\nb"),
    (
        "mention, emoji, status, date",
        doc(
            p(
                {"type": "mention", "attrs": {"id": "123", "text": "@Kay"}},
                t(" "),
                {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
                t(" "),
                {"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}},
                t(" "),
                {"type": "date", "attrs": {"timestamp": "1764000000000"}},
            )
        ),
        "@Kay 😄 [BLOCKED] 2025-11-24",
    ),
    (
        "inline card",
        doc(
            p(
                t("see "),
                {"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/browse/BUG-1"}},
            )
        ),
        "see https://acme.atlassian.net/browse/BUG-1",
    ),
    (
        "media is listed, not fetched",
        doc(
            {
                "type": "mediaSingle",
                "content": [
                    {
                        "type": "media",
                        "attrs": {"id": "abc", "type": "file", "alt": "screenshot.png"},
                    }
                ],
            }
        ),
        "[attachment: screenshot.png]",
    ),
    (
        "table rows",
        doc(
            {
                "type": "table",
                "content": [
                    {
                        "type": "tableRow",
                        "content": [
                            {"type": "tableHeader", "content": [p(t("k"))]},
                            {"type": "tableHeader", "content": [p(t("v"))]},
                        ],
                    },
                    {
                        "type": "tableRow",
                        "content": [
                            {"type": "tableCell", "content": [p(t("a"))]},
                            {"type": "tableCell", "content": [p(t("1"))]},
                        ],
                    },
                ],
            }
        ),
        "k | v\na | 1",
    ),
    (
        "panel and expand",
        doc(
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [p(t("note"))]},
            {"type": "expand", "attrs": {"title": "Logs"}, "content": [p(t("E1"))]},
        ),
        "note\nLogs\nE1",
    ),
    (
        "task list",
        doc(
            {
                "type": "taskList",
                "content": [
                    {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [t("done")]},
                    {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [t("todo")]},
                ],
            }
        ),
        "[x] done\n[ ] todo",
    ),
    (
        "unknown node keeps its text",
        doc({"type": "futureThing", "content": [p(t("kept"))]}),
        "kept",
    ),
    ("wiki text (v2) passes through", "h1. Title\n*bold*", "h1. Title\n*bold*"),
    ("empty and null", None, ""),
    ("empty doc", doc(), ""),
    (
        "garbage nodes are skipped",
        {
            "type": "doc",
            "content": [None, 3, "x", {"type": "paragraph", "content": [{"text": 5}, t("ok")]}],
        },
        "ok",
    ),
    ("blank paragraphs collapse", doc(p(t("a")), p(), p(), p(t("b"))), "a\n\nb"),
]


@pytest.mark.parametrize(
    ("node", "expected"), [(n, e) for _, n, e in CASES], ids=[c[0] for c in CASES]
)
def test_adf_to_text(node: Any, expected: str) -> None:
    assert adf_to_text(node) == expected


def test_a_deeply_nested_document_does_not_recurse_forever() -> None:
    node: dict[str, Any] = p(t("deep"))
    for _ in range(5000):
        node = {"type": "blockquote", "content": [node]}
    text = adf_to_text(doc(node))  # would raise RecursionError without the depth cap
    assert "deep" not in text


def test_a_huge_document_is_capped() -> None:
    big = doc(*[p(t("x" * 1000)) for _ in range(1000)])  # ~1 MB of text
    text = adf_to_text(big)
    assert MAX_CHARS - 2000 <= len(text) <= MAX_CHARS
