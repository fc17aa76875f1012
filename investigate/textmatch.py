"""Finding a ticket's entity values inside arbitrary text, fast (one compiled alternation)."""

from __future__ import annotations

import re
from collections.abc import Iterable


class EntityMatcher:
    """`EntityMatcher(["acc_1042", "dana@x.com"]).find("... ACC_1042 ...")` → `{"acc_1042"}`."""

    def __init__(self, values: Iterable[str]) -> None:
        unique = sorted({v.lower() for v in values if len(v) >= 4}, key=len, reverse=True)
        self.values = unique
        self._re = (
            re.compile("|".join(rf"(?<![\w.@-]){re.escape(v)}(?![\w@-])" for v in unique))
            if unique
            else None
        )

    def __bool__(self) -> bool:
        return self._re is not None

    def find(self, text: str) -> frozenset[str]:
        if self._re is None:
            return frozenset()
        return frozenset(self._re.findall(text.lower()))
