"""`EntityMatcher`: whole-value matches of a ticket's entity values, case-insensitive.

The compiled pattern puts each value before its look-behind (so `re` can skip ahead to where a
value starts); these tests hold it to the plain definition, a look-behind before each value."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from investigate.sdk.textmatch import EntityMatcher


def reference(values: list[str], text: str) -> frozenset[str]:
    """The definition: a value not preceded by a word character, `.`, `@` or `-`, and not
    followed by a word character, `@` or `-`; longer values tried first."""
    unique = sorted({v.lower() for v in values if len(v) >= 4}, key=len, reverse=True)
    if not unique:
        return frozenset()
    pattern = "|".join(rf"(?<![\w.@-]){re.escape(v)}(?![\w@-])" for v in unique)
    return frozenset(re.findall(pattern, text.lower()))


def test_whole_values_only() -> None:
    matcher = EntityMatcher(["acc_1042", "dana@northwind.example", "ERR_EXPORT"])
    assert matcher.find("Account ACC_1042 failed") == {"acc_1042"}
    assert matcher.find("acc_10420 and xacc_1042 and acc_1042-b and .acc_1042") == frozenset()
    assert matcher.find("acc_1042, then (dana@northwind.example).") == {
        "acc_1042",
        "dana@northwind.example",
    }
    assert matcher.find_bytes(b'{"code": "err_export", "acct": "acc_1042"}') == {
        "err_export",
        "acc_1042",
    }
    assert matcher.find_bytes(b"nothing here") == frozenset()


def test_value_at_either_end_of_the_text() -> None:
    matcher = EntityMatcher(["acc_1042"])
    assert matcher.find("acc_1042") == {"acc_1042"}
    assert matcher.find("x acc_1042") == {"acc_1042"}
    assert matcher.find("acc_1042 x") == {"acc_1042"}


def test_overlapping_values_prefer_the_longer() -> None:
    matcher = EntityMatcher(["acc_1", "acc_10", "acc_100"])
    assert matcher.find("acc_100 acc_10 acc_1 acc_1000") == {"acc_100", "acc_10", "acc_1"}


ALPHABET = "ac_10.@-xé Z\n"
VALUES = st.lists(st.text(alphabet="ac_10.@-é", min_size=1, max_size=8), max_size=4)


@settings(max_examples=400, deadline=None)
@given(values=VALUES, text=st.text(alphabet=ALPHABET, max_size=40), data=st.data())
def test_same_matches_as_the_definition(values: list[str], text: str, data: st.DataObject) -> None:
    if values:  # splice values into the text, so matches and near misses are common
        for _ in range(data.draw(st.integers(0, 3))):
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + data.draw(st.sampled_from(values)) + text[at:]
    matcher = EntityMatcher(values)
    assert matcher.find(text) == reference(values, text)
    assert matcher.find_bytes(text.encode()) == reference(values, text)
