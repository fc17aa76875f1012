"""Causal links: a change followed by the first new error it may explain.

A *change* is a deploy or a recorded change to someone's setup (an audit row, a feature flag,
a plan/role/setting change, a key or certificate rotation, a scheduled job: see
`signals.is_change`). Its *effect* is the first new (or spiking) warning/error pattern of the
same scope that begins after it: the same service for a deploy, the same customer (account) for
a customer-side change. Only the first new error after a change is linked — a later error has a
nearer explanation or none — so the horizon can be a day without linking everything to
everything.

Strength (0..1) falls with the gap, rises when the service or account is the same, and depends
on who the error is new for: a deploy explains an error new for everyone (many accounts) better
than one only this customer sees; a customer's own change explains the reverse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from investigate.evidence import signals
from investigate.models import CausalLink, Evidence

HORIZON = timedelta(hours=24)
HALF_STRENGTH = timedelta(hours=6)
"""The gap at which a link's time factor has halved."""
NOTICE_GAP = timedelta(minutes=5)
BROAD = 5
"""An error hitting at least this many accounts is new for many, not only for this customer."""
_SPLIT = re.compile(r"[-_.:/ ]+")


@dataclass
class Aliases:
    """Service identity: `acme-import` (a deploy's app) is `import` (the log's service).
    Configured groups name the same service; by default a name matches another that it ends
    or starts with at a separator."""

    groups: Mapping[str, Iterable[str]] = field(default_factory=dict)
    affix: bool = True

    def canonical(self, name: str) -> str:
        low = name.strip().lower()
        for head, names in self.groups.items():
            if low == head.lower() or low in {n.lower() for n in names}:
                return head.lower()
        return low

    def same(self, a: str, b: str) -> bool:
        x, y = self.canonical(a), self.canonical(b)
        if not x or not y:
            return False
        if x == y:
            return True
        if not self.affix:
            return False
        xs, ys = _SPLIT.split(x), _SPLIT.split(y)
        short, long = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
        n = len(short)
        return n < len(long) and (long[:n] == short or long[-n:] == short)

    def overlap(self, a: Iterable[str], b: Iterable[str]) -> bool:
        bs = list(b)
        return any(self.same(x, y) for x in a for y in bs)


def services_of(e: Evidence) -> list[str]:
    """The services an item is about: its typed services, else the usual row cells."""
    if e.services:
        return list(e.services)
    row = signals.row(e)
    return [str(row[k]) for k in ("service", "app", "component") if row.get(k)]


def onset(e: Evidence) -> datetime | None:
    if e.first_seen is None and e.timestamp is None:
        return None
    return signals.customer_onset(e) if e.matched else (e.first_seen or e.timestamp)


def is_new_error(e: Evidence) -> bool:
    return (
        e.kind in ("log", "log_pattern")
        and e.level in ("warning", "error", "critical")
        and e.novelty in ("new", "spike")
        and (e.first_seen or e.timestamp) is not None
    )


def is_new_notice(e: Evidence) -> bool:
    """A new info-level line of this customer (`auto-enrolment skipped: no rule matches`): an
    effect only of a change that names the same thing."""
    return (
        e.kind in ("log", "log_pattern")
        and e.level == "info"
        and bool(e.matched)
        and e.novelty == "new"
        and (e.first_seen or e.timestamp) is not None
    )


_WORD = re.compile(r"[a-z]{4,}")
_COMMON = frozenset(
    "with from that this have been were into about after before when than their there which "
    "updated changed created deleted removed added request requests error failed info warning "
    "attempt attempts status open paid account since last".split()
)


def content_words(text: str) -> set[str]:
    """Content words (4+ letters, common verbs and log words left out, plural folded)."""
    out = set()
    for w in _WORD.findall(text.lower().replace("_", " ").replace(".", " ")):
        if w not in _COMMON:
            out.add(w[:-1] if w.endswith("s") else w)
    return out


def names_same_thing(change: Evidence, effect: Evidence, minimum: int = 1) -> bool:
    """The record and the line share content words (`enrolment_rule.deleted` and `no rule
    matches`): the same object, whatever the vocabulary."""
    said = f"{effect.title} {' '.join(effect.examples[:1])}"
    return len(content_words(change.title) & content_words(said)) >= minimum


def new_for(e: Evidence) -> str:
    """Who the error is new for: `everyone` when it hits many accounts or is new in the
    population; `customer` when it is this customer's own."""
    accounts = e.accounts_affected or 0
    if accounts >= BROAD:
        return "everyone"
    mine = e.matched_count or 0
    if e.matched and (accounts == 1 or (mine and mine * 2 >= e.count)):
        return "customer"  # new in the population, but only this customer's lines
    if e.new_for:
        return e.new_for
    return "customer" if e.matched else "everyone"


_ADDITIVE = re.compile(r"\b(?:created|added|invited|joined|viewed|exported|logged in)\b", re.I)


def _action(c: Evidence) -> str:
    row = signals.row(c)
    for key in ("action", "event_type", "event", "operation", "change"):
        if isinstance(row.get(key), str):
            return str(row[key]).replace(".", " ").replace("_", " ")
    return c.title.replace(".", " ").replace("_", " ")


def _time_factor(gap: timedelta) -> float:
    return 1.0 / (1.0 + gap / HALF_STRENGTH)


@dataclass
class Link:
    cause: Evidence
    effect: Evidence
    model: CausalLink


def find_links(
    items: list[Evidence],
    *,
    horizon: timedelta = HORIZON,
    aliases: Aliases | None = None,
) -> list[Link]:
    """Every change → first-new-error link among `items`, strongest first."""
    aliases = aliases or Aliases()
    errors = sorted(
        (
            (e, t)
            for e in items
            if (is_new_error(e) or is_new_notice(e)) and (t := onset(e)) is not None
        ),
        key=lambda pair: pair[1],
    )
    out: list[Link] = []
    for c in items:
        if c.timestamp is None or not signals.is_change(c) or is_new_error(c):
            continue
        deploy = c.kind == "deploy"
        if not deploy and not c.matched and not c.accounts:
            continue  # nobody's change we can tie to this ticket
        c_services = services_of(c)
        for e, started in errors:
            gap = started - c.timestamp
            if gap < timedelta(0) or gap > horizon:
                continue
            notice = not is_new_error(e)
            if notice and (deploy or gap < NOTICE_GAP or not names_same_thing(c, e)):
                continue  # (a line logged with the change itself records it, not its effect)
            e_services = services_of(e)
            same_service = bool(
                c_services and e_services and aliases.overlap(c_services, e_services)
            )
            same_account = bool(
                (c.matched and e.matched and set(c.matched) & set(e.matched))
                or (c.accounts and set(c.accounts) & set(e.accounts))
            )
            named = False
            if deploy:
                known = bool(c_services and e_services)
                if known and not same_service:
                    continue  # another service's deploy
                named = not known and names_same_thing(c, e, minimum=2)
                if not known and gap > HALF_STRENGTH / 2 and not named:
                    continue  # no service to tie them: a short gap, or the same named thing
            elif not (same_account or (c.matched and e.matched)):
                continue  # a customer-side change explains that customer's errors only
            scope = new_for(e)
            strength = _time_factor(gap)
            strength *= 1.0 if same_service or same_account else 0.8 if named else 0.6
            if deploy:
                strength *= 1.0 if scope == "everyone" else 0.7
            else:
                strength *= 1.0 if scope == "customer" else 0.6
            if notice:
                strength *= 0.7
            if not deploy and _ADDITIVE.search(_action(c)):
                strength *= 0.5  # creating something new rarely breaks what existed
            out.append(
                Link(
                    c,
                    e,
                    CausalLink(
                        change="deploy" if deploy else "change",
                        gap_minutes=int(gap.total_seconds() // 60),
                        strength=round(min(1.0, strength), 3),
                        same_service=same_service,
                        same_account=same_account,
                        new_for=scope,
                    ),
                )
            )
            break  # only the first new error of this scope after the change
    out.sort(key=lambda link: -link.model.strength)
    return out


def attach(links: list[Link]) -> None:
    """After ranking numbered the items: record each link (with IDs) on its change."""
    for e in {id(link.cause): link.cause for link in links}.values():
        e.links = []
    for link in links:
        link.model.cause, link.model.effect = link.cause.id, link.effect.id
        link.cause.links.append(link.model)


def links_of(items: Iterable[Evidence]) -> list[tuple[Evidence, Evidence, CausalLink]]:
    """The links recorded on ranked items, as (change, error, link), strongest first."""
    by_id = {e.id: e for e in items if e.id}
    out = [
        (by_id[link.cause], by_id[link.effect], link)
        for e in by_id.values()
        for link in e.links
        if link.cause in by_id and link.effect in by_id
    ]
    return sorted(out, key=lambda t: -t[2].strength)
