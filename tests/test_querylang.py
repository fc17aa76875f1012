"""Injection-safe query building: hostile values through every escaper, checked by parsing the
result with an independent parser (the fakes' LogQL and Datadog grammars, Python's own string
literal parser, Python's regex engine) — the value comes back exactly, as one literal, and the
query keeps exactly one selector and the intended number of stages."""

from __future__ import annotations

import ast
import re

import pytest
from fakes.datadog import parse_search
from fakes.loki import LogQLError, parse_logql
from hypothesis import given
from hypothesis import strategies as st

from investigate.sdk.querylang import (
    MAX_VALUE,
    QueryValueError,
    cloudwatch_any,
    cloudwatch_term,
    datadog_any,
    datadog_attr,
    datadog_phrase,
    logql_contains,
    logql_regex_filter,
    logql_string,
    promql_regex,
    promql_string,
    re2_escape,
)

HOSTILE = [
    'acc_"1042"',
    "back\\slash\\",
    "tick`tick``",
    "new\nline\r\n",
    "tab\there",
    'x"} |= "" or {app=~".+',
    '"} | line_format "{{.password}}" | json',
    "a|b|c",
    "{curly}",
    ".*+?()[]{}^$",
    "%2F..%2F../etc/passwd",
    "50% off / ../..",
    "'; DROP TABLE accounts; --",
    "robert'); DELETE FROM logs WHERE ('1'='1",
    "nul\x00byte",
    "line\u2028separator",
    "unicode: naïve café 日本 🚀",
    "\\x41\\u0042",
    'OR service:* AND -"x"',
    "@usr.email:* OR *:*",
]


def selector_and_stages(query: str) -> tuple[int, list[tuple[str, str]]]:
    parsed = parse_logql(query)
    return len(parsed.matchers), parsed.stages


# --- LogQL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_logql_string_round_trips_and_adds_no_stage(value: str) -> None:
    literal = logql_string(value)
    assert "\n" not in literal and "\r" not in literal
    matchers, stages = selector_and_stages(f'{{app="api"}} |= {literal}')
    assert matchers == 1
    assert stages == [("|=", value)]
    assert ast.literal_eval(literal) == value  # Python's parser agrees on what the literal holds
    assert selector_and_stages(f'{{app="api"}} {logql_contains(value)}')[1] == [("|=", value)]


@pytest.mark.parametrize("value", HOSTILE)
def test_logql_regex_filter_matches_the_value_literally(value: str) -> None:
    stage = logql_regex_filter([value, "acc_1042"])
    matchers, stages = selector_and_stages(f'{{app="api"}} {stage}')
    assert matchers == 1 and len(stages) == 1 and stages[0][0] == "|~"
    pattern = re.compile(stages[0][1])
    assert pattern.search(f"prefix {value} suffix")
    assert pattern.search("ACC_1042 in upper case")  # case-insensitive
    assert not pattern.search("nothing to see here")
    alone = re.compile(re2_escape(value))
    assert alone.fullmatch(value)


@pytest.mark.parametrize(
    ("value", "not_matched"),
    [(".*", "anything"), ("a.c", "abc"), ("a|b", "a"), ("x+", "xx"), ("[ab]", "a"), ("^$", "")],
)
def test_regex_metacharacters_lose_their_meaning(value: str, not_matched: str) -> None:
    stage = parse_logql(f'{{a="b"}} {logql_regex_filter([value])}').stages[0][1]
    assert not re.search(stage, not_matched)
    assert re.search(stage, f"has {value} in it")


def test_re2_escape_escapes_only_punctuation() -> None:
    # RE2 rejects escapes of letters, digits and spaces; punctuation escapes are always literal
    escaped = re2_escape("a b_1.2-c#d&e~f")
    assert escaped == "a b_1\\.2\\-c\\#d\\&e\\~f"
    assert not re.search(r"\\[A-Za-z0-9 ]", escaped)


def test_the_fake_parser_rejects_what_loki_rejects() -> None:
    for bad in ['{app="api"', '{app="api"} |= "open', '{app="api"} | json', '{} |= "x"',
                '{app="a"} |= "\\q"', 'app="api"']:  # fmt: skip
        with pytest.raises(LogQLError):
            parse_logql(bad)


def test_empty_and_oversized_values_are_refused() -> None:
    for fn in (logql_string, datadog_phrase, cloudwatch_term):
        with pytest.raises(QueryValueError):
            fn("")
        with pytest.raises(QueryValueError):
            fn("x" * (MAX_VALUE + 1))
    with pytest.raises(QueryValueError):
        logql_regex_filter([])
    for fn2 in (datadog_phrase, cloudwatch_term):
        with pytest.raises(QueryValueError):
            fn2("\n\t\r")


@given(st.text(min_size=1, max_size=60))
def test_logql_round_trip_for_any_text(value: str) -> None:
    query = f'{{app="api"}} {logql_contains(value)} {logql_regex_filter([value])}'
    parsed = parse_logql(query)
    assert len(parsed.matchers) == 1 and len(parsed.stages) == 2
    assert parsed.stages[0] == ("|=", value)
    assert re.search(parsed.stages[1][1], f"..{value}..")


# --- PromQL -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_promql_label_values(value: str) -> None:
    literal = promql_string(value)
    assert ast.literal_eval(literal) == value
    matchers, _ = selector_and_stages(f"{{job={literal}}}")
    assert matchers == 1
    regex = ast.literal_eval(promql_regex(value))
    assert re.fullmatch(regex, value)
    assert not re.fullmatch(regex, value + "x")


# --- Datadog ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_datadog_phrase_is_one_text_term(value: str) -> None:
    phrase = datadog_phrase(value)
    cleaned = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", value).strip()
    assert parse_search(phrase) == ("text", cleaned)
    tree = parse_search(f"service:api {datadog_any([value, 'acc_1042'])}")
    assert tree[0] == "and" and len(tree) == 3
    assert tree[2] == ("or", ("text", cleaned), ("text", "acc_1042"))
    attr = parse_search(datadog_attr("@usr.email", [value]))
    assert attr == ("field", "@usr.email", [("phrase", cleaned)])


def test_datadog_attribute_names_are_checked() -> None:
    assert datadog_attr("service", ["a", "b"]) == 'service:("a" OR "b")'
    for bad in ['@x" OR *', "@a b", "", "(x)", "@x:y"]:
        with pytest.raises(QueryValueError):
            datadog_attr(bad, ["v"])


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip() and s.isprintable()))
def test_datadog_round_trip_for_any_printable_text(value: str) -> None:
    assert parse_search(datadog_phrase(value)) == ("text", value.strip())


# --- CloudWatch -------------------------------------------------------------------------------


def parse_cloudwatch_terms(pattern: str) -> list[tuple[str, str]]:
    """`?"a" ?"b\\"c"` → [("?", 'a'), ("?", 'b"c')]; raises on anything else."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == " ":
            i += 1
            continue
        prefix = ""
        if pattern[i] in "?-":
            prefix, i = pattern[i], i + 1
        if pattern[i] != '"':
            raise ValueError(f"unquoted term at {i}")
        j, chars = i + 1, []
        while pattern[j] != '"':
            if pattern[j] == "\\":
                j += 1
            chars.append(pattern[j])
            j += 1
        out.append((prefix, "".join(chars)))
        i = j + 1
    return out


@pytest.mark.parametrize("value", HOSTILE)
def test_cloudwatch_terms_stay_one_quoted_term(value: str) -> None:
    cleaned = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", value).strip()
    assert parse_cloudwatch_terms(cloudwatch_term(value)) == [("", cleaned)]
    assert parse_cloudwatch_terms(cloudwatch_any([value, "acc_1042"])) == [
        ("?", cleaned),
        ("?", "acc_1042"),
    ]
