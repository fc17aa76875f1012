"""Putting untrusted values (ticket text) into log query languages, one literal at a time.

Every function here turns one value into one literal of the target language, so a value can
never close the literal, widen a selector, add a pipeline stage or an operator:

- LogQL / PromQL string literals (`logql_string`, `promql_string`): Go string-literal syntax,
  double-quoted, `\\` `"` and every control character escaped; backticks need nothing.
- RE2 regular expressions (`re2_escape`, `logql_regex_filter`, `promql_regex`): metacharacters
  escaped before the regex is itself quoted as a string literal.
- Datadog log search (`datadog_phrase`, `datadog_any`, `datadog_attr`): a quoted sequence with
  `\\` and `"` escaped; control characters become spaces; attribute names are checked.
- CloudWatch filter patterns (`cloudwatch_term`, `cloudwatch_any`): a quoted term with `\\` and `"` escaped; control characters become spaces.

Elasticsearch / OpenSearch queries are built as JSON (`term`, `match_phrase`), never as
`query_string`, so they need no escaping at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GO_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ufeff]")
_RE2_META = frozenset("\\.+*?()|[]{}^$-#&~")
_DD_ATTR = re.compile(r"^@?[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
MAX_VALUE = 500


class QueryValueError(ValueError):
    """A value cannot be used in a query (empty after cleaning, or too long)."""


def _go_char(ch: str) -> str:
    escaped = _GO_ESCAPES.get(ch)
    if escaped is not None:
        return escaped
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if ch in "\u2028\u2029\ufeff":
        return f"\\u{code:04x}"
    return ch


def _checked(value: str) -> str:
    if not value:
        raise QueryValueError("empty value")
    if len(value) > MAX_VALUE:
        raise QueryValueError(f"value longer than {MAX_VALUE} characters")
    return value


def go_string(value: str) -> str:
    """`value` as a double-quoted Go string literal (what LogQL and PromQL parse)."""
    return '"' + "".join(_go_char(ch) for ch in value) + '"'


def logql_string(value: str) -> str:
    """A LogQL string literal for `value`: `a"b` → `"a\\"b"`."""
    return go_string(_checked(value))


def promql_string(value: str) -> str:
    """A PromQL string literal (label value) for `value`; same rules as LogQL."""
    return go_string(value)


def re2_escape(value: str) -> str:
    """`value` as an RE2 pattern matching exactly that text (punctuation escaped)."""
    return "".join("\\" + ch if ch in _RE2_META else ch for ch in value)


def promql_regex(value: str) -> str:
    """A literal `=~` label matcher value: `promql_string(re2_escape(value))`."""
    return promql_string(re2_escape(value))


def logql_contains(value: str) -> str:
    """One case-sensitive line filter stage: `|= "value"`."""
    return f"|= {logql_string(value)}"


def logql_regex_filter(values: Iterable[str], *, ignore_case: bool = True) -> str:
    """One line filter stage matching any of `values` literally: `|~ "(?i)(?:a|b)"`."""
    parts = sorted({re2_escape(_checked(v)) for v in values}, key=len, reverse=True)
    if not parts:
        raise QueryValueError("no values to filter on")
    flags = "(?i)" if ignore_case else ""
    return f"|~ {go_string(flags + '(?:' + '|'.join(parts) + ')')}"


def datadog_phrase(value: str) -> str:
    """A Datadog search sequence: `"value"` with `\\` and `"` escaped, one token whatever it holds."""
    text = _CONTROL.sub(" ", _checked(value)).strip()
    if not text:
        raise QueryValueError("nothing left after removing control characters")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


cloudwatch_term = datadog_phrase
"""A CloudWatch filter-pattern term, always quoted (the same escaping): `"acc_1042"`."""


def _phrases(values: Iterable[str]) -> list[str]:
    """Each value quoted once, in order; at least one."""
    phrases = list(dict.fromkeys(datadog_phrase(v) for v in values))
    if not phrases:
        raise QueryValueError("no values to search for")
    return phrases


def datadog_any(values: Iterable[str]) -> str:
    """`("a" OR "b")`: any of the phrases (free-text search of the message)."""
    return "(" + " OR ".join(_phrases(values)) + ")"


def datadog_attr(name: str, values: Iterable[str]) -> str:
    """`@attr:("a" OR "b")` or `service:"a"`; the attribute name is trusted config but checked."""
    if not _DD_ATTR.match(name):
        raise QueryValueError(f"not a Datadog attribute name: {name!r}")
    phrases = _phrases(values)
    inner = phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"
    return f"{name}:{inner}"


def cloudwatch_any(values: Iterable[str]) -> str:
    """`?"a" ?"b"`: events containing any of the terms."""
    return " ".join("?" + t for t in _phrases(values))
