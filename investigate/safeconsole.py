"""`SafeConsole`: rich, minus escape sequences in untrusted text (see `investigate.termsafe`).
Its own module so that rich is imported only when something is printed through it."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from investigate.termsafe import strip


class SafeConsole(Console):
    """A rich console whose text segments are stripped before styling: untrusted text printed
    through it carries no escape sequence, not even a colour."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(strip(segment.text), segment.style)
            for segment in buffer
        )
