"""Vendor objects as evidence, by table: one `Shape` per object type says which evidence kind
it is, its title and level (the first `Case` whose test holds), the `key=value` detail pairs
and the link path; `shape()` is the one function that applies any of them. A billing connector
(`stripe`, `chargebee`) declares its tables instead of writing an if-chain per object type:

    SHAPES = {
        "refund": Shape(
            "payment",
            cases=(
                Case("Refund {id} {status}: {amount}", "error", lambda o: o.get("status") == "failed"),
                Case("Refund {id} {status}: {amount}", "info"),
            ),
            details=(("status", text("status")), ("reason", key("reason"))),
            link="payments/{id}",
            values={"amount": money("amount", "currency")},
        ),
    }
    shaped = shape(SHAPES, "refund", obj)

Templates are `str.format` templates over `id` and `status` (the object's, as text) and the
shape's `values`; a value is computed from the object by a getter (`key`, `text`, `ref`, `epoch`,
`money`, `nested`, or any function of the object).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from investigate.models import EvidenceKind, Level
from investigate.sdk.rows import detail_pairs, epoch_text

Obj = Mapping[str, Any]
Get = Callable[[Obj], Any]


def key(name: str, default: Any = None) -> Get:
    """The field as it is (`default` when absent)."""
    return lambda o: o.get(name, default)


def text(name: str, default: str = "unknown") -> Get:
    """The field as text (`default` when absent)."""
    return lambda o: str(o.get(name, default))


def ref_of(value: Any) -> str | None:
    """An expandable field: either an id string or an object with an id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def ref(name: str) -> Get:
    """The id an expandable field refers to (`"cus_1"` or `{"id": "cus_1", …}`)."""
    return lambda o: ref_of(o.get(name))


def nested(outer: str, inner: str) -> Get:
    """`o[outer][inner]`, None when either is missing."""
    return lambda o: (o.get(outer) or {}).get(inner)


def epoch(name: str) -> Get:
    """A Unix-seconds field as `YYYY-MM-DD HH:MM UTC`, None when unset."""
    return lambda o: epoch_text(o[name]) if o.get(name) else None


def cents(amount: Any, currency: Any) -> str:
    """Minor units as `1,234.50 EUR`; `-` when the amount is not a whole number."""
    if not isinstance(amount, int):
        return "-"
    return f"{amount / 100:,.2f} {str(currency or '').upper()}".strip()


def money(amount: str, currency: str) -> Get:
    return lambda o: cents(o.get(amount), o.get(currency))


def named(get: Callable[[str], Get], *names: str) -> tuple[tuple[str, Get], ...]:
    """Detail pairs labelled by the field each reads: `named(key, "a", "b")` is
    `(("a", key("a")), ("b", key("b")))`."""
    return tuple((name, get(name)) for name in names)


def under(outer: str, *inner: str, label: str = "") -> tuple[tuple[str, Get], ...]:
    """`o[outer][i]` for each `i`, labelled `label.i` (`label`: `outer` unless given)."""
    return tuple((f"{label or outer}.{i}", nested(outer, i)) for i in inner)


def by(name: str, levels: Mapping[str, Level], default: Level = "info") -> Callable[[Obj], Level]:
    """The level of the value of field `name` (e.g. a status) in `levels`."""
    return lambda o: levels.get(str(o.get(name, "unknown")), default)


def always(_: Obj) -> bool:
    return True


@dataclass(frozen=True)
class Case:
    """When `test` holds for the object: this title template and level."""

    title: str
    level: Level | Callable[[Obj], Level]
    test: Callable[[Obj], bool] = always


@dataclass(frozen=True)
class Shape:
    kind: EvidenceKind
    cases: tuple[Case, ...]
    """Tried in order; the last one should hold always."""
    details: tuple[tuple[str, Get], ...]
    link: str
    """The link path template (the connector puts its web app's base in front)."""
    time: str = "created"
    """The field holding the object's time."""
    values: Mapping[str, Get] = field(default_factory=dict)


@dataclass
class Shaped:
    kind: EvidenceKind
    title: str
    level: Level
    detail: str
    link: str
    when: Any


def shape(table: Mapping[str, Shape], obj_type: str, o: Obj, default: str) -> Shaped:
    """Object `o` of type `obj_type` read through its row of `table` (`default`'s row for a
    type the table does not have)."""
    s = table.get(obj_type) or table[default]
    values = {"id": str(o.get("id", "")), "status": str(o.get("status", "unknown"))}
    values |= {k: get(o) for k, get in s.values.items()}
    case = next(c for c in s.cases if c.test(o))
    level = case.level(o) if callable(case.level) else case.level
    return Shaped(
        kind=s.kind,
        title=case.title.format_map(values),
        level=level,
        detail=detail_pairs((label, get(o)) for label, get in s.details),
        link=s.link.format_map(values),
        when=o.get(s.time),
    )
