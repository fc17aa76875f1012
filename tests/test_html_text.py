"""`html_text.html_to_text`: helpdesk HTML bodies → readable plain text."""

from __future__ import annotations

import html

from busyclock import Stopwatch
from hypothesis import given
from hypothesis import strategies as st

from investigate.sdk.html_text import MAX_INPUT, html_to_text, looks_like_html


def test_paragraphs_breaks_and_lists() -> None:
    source = (
        "<p>Hi&nbsp;Dana,</p><p>Steps:<br>first<br/>second</p><ol><li>one</li><li>two</li></ol>"
    )
    assert html_to_text(source) == "Hi Dana,\n\nSteps:\nfirst\nsecond\n\n- one\n- two"


def test_scripts_styles_head_and_comments_are_dropped() -> None:
    source = (
        "<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<script>document.cookie</script><!-- hidden --><p>visible</p>"
        "<noscript>no js</noscript></body></html>"
    )
    assert html_to_text(source) == "visible"


def test_entities_are_decoded_and_markup_in_text_stays_text() -> None:
    assert html_to_text("x &lt;b&gt; &amp;&amp; &#8364;5 &eacute;") == "x <b> && €5 é"


def test_whitespace_collapses_but_pre_keeps_lines() -> None:
    assert html_to_text("<div>  a \n\t b  </div>\n\n\n<div>c</div>") == "a b\n\nc"
    assert html_to_text("<pre>line 1\nline 2</pre>") == "line 1\nline 2"


def test_links_keep_the_target_when_it_adds_something() -> None:
    assert html_to_text('<a href="https://x.io/k">the docs</a>') == "the docs (https://x.io/k)"
    assert html_to_text('<a href="https://x.io/">https://x.io</a>') == "https://x.io"
    assert html_to_text('<a href="mailto:a@b.io">a@b.io</a>') == "a@b.io"
    assert html_to_text('<a href="javascript:alert(1)">click</a>') == "click"


def test_tables_images_and_broken_markup() -> None:
    table = "<table><tr><th>id</th><th>status</th></tr><tr><td>7</td><td>failed</td></tr></table>"
    assert html_to_text(table) == "id status\n7 failed"
    assert html_to_text('<img src="x.png" alt="screenshot">') == "[screenshot]"
    assert html_to_text("<p>unclosed <b>bold <i>and <div>more") == "unclosed bold and\n\nmore"
    assert html_to_text("<<<>>> </p></div>") == "<<<>>>"


def test_empty_inputs() -> None:
    assert html_to_text(None) == "" and html_to_text("") == "" and html_to_text("<br><br>") == ""


def test_looks_like_html() -> None:
    assert looks_like_html("<p>x</p>") and looks_like_html("a &amp; b")
    assert not looks_like_html("a < b and c > d") and not looks_like_html("plain")


def test_huge_input_is_cut_and_fast() -> None:
    body = "<p>" + "word " * (MAX_INPUT // 4) + "</p>"
    with Stopwatch() as watch:
        text = html_to_text(body)
    assert len(text) <= MAX_INPUT and watch.busy_free < 5, watch


_DROPPED = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F, 0x200B]))
_PLAIN = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=_DROPPED),
    max_size=200,
)


@given(_PLAIN)
def test_escaped_text_round_trips(text: str) -> None:
    """Any text, HTML-escaped, comes back as itself with whitespace collapsed."""
    assert html_to_text(html.escape(text)) == " ".join(text.split())


@given(st.text(max_size=300))
def test_never_raises_and_never_emits_script_content(junk: str) -> None:
    out = html_to_text(f"<div>{junk}</div><script>SECRET_SCRIPT</script>")
    assert "SECRET_SCRIPT" not in out


def test_control_characters_and_terminal_escapes_are_dropped() -> None:
    assert html_to_text("<p>a\x1b[2Jb\x00c\x07d</p>") == "a[2Jbcd"
