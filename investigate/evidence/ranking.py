"""Ranking: every item gets a score and the reasons for it (shown with --verbose, kept in JSON).

Signals (product.md §2): entity matches, time proximity to the ticket, severity, novelty,
agreement between sources, text relevance, volume and breadth of impact.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime, timedelta

from investigate.evidence import causal, signals
from investigate.models import Entities, Evidence

DEPLOY_HORIZON = 3 * 3600
AFTER_TICKET = 30 * 60
QUIET_CAP = 1.0
"""Most a steady info-level line of the customer (their ordinary activity) can score."""
UNLINKED = 0.6
"""Share of the positive score taken from items that mention none of the ticket's entities and
none of its words: another customer's errors are background unless the ticket ties in."""
GLOBAL_KINDS = frozenset({"alert", "incident", "deploy", "status"})
"""Kinds that are about everyone: an alert need not name the customer to matter."""
ONSET_KINDS = frozenset({"log", "log_pattern", "alert", "incident", "error_group", "db_row"})
"""Kinds whose first time is when the problem began (a bug report filed after the ticket can
still describe its cause)."""
_ENTITY_WEIGHT = {
    "request_ids": 4.0,
    "invoice_ids": 4.0,
    "charge_ids": 4.0,
    "subscription_ids": 3.5,
    "payment_ids": 4.0,
    "customer_ids": 3.0,
    "account_ids": 3.0,
    "org_ids": 3.0,
    "user_ids": 3.0,
    "emails": 3.0,
    "error_codes": 2.5,
}


def rank(items: list[Evidence], entities: Entities, ticket_time: datetime) -> list[Evidence]:
    """Score, sort (best first) and number every item (for callers that keep them all)."""
    return number(*order(items, entities, ticket_time))


def number(kept: list[Evidence], links: list[causal.Link]) -> list[Evidence]:
    """Number the items that are kept `E1…` (after the budget: nothing numbered is dropped) and
    record on each change the causal links whose both ends were kept."""
    for index, e in enumerate(kept, 1):
        e.id, e.links = f"E{index}", []
    ids = {id(e) for e in kept}
    causal.attach([link for link in links if id(link.cause) in ids and id(link.effect) in ids])
    return kept


def order(
    items: list[Evidence],
    entities: Entities,
    ticket_time: datetime,
    *,
    horizon: timedelta = causal.HORIZON,
    aliases: causal.Aliases | None = None,
) -> tuple[list[Evidence], list[causal.Link]]:
    """Score and sort the items, best first, with the causal links (change → first new error,
    see `causal`) found among them; `number` gives the kept ones their IDs."""
    kinds = entities.matchable()
    words = {w.strip("'\".,").lower() for w in entities.keywords if len(w) >= 4}
    agreement = _agreement(items)
    links = causal.find_links(items, horizon=horizon, aliases=aliases)
    strongest: dict[int, causal.Link] = {}
    for link in links:  # strongest first
        strongest.setdefault(id(link.cause), link)
    upstream = _upstream_causes(items)
    for e in items:
        parts: list[tuple[float, str]] = []
        # A replayed recording's placeholders (<EMAIL_1>) match the entities in any case.
        matched = [(v, kinds.get(v) or kinds.get(v.lower(), "")) for v in e.matched]
        quiet = e.kind in ("log", "log_pattern") and e.level in ("debug", "info", None)
        healthy = (
            e.kind not in ("log", "log_pattern", "issue", "deploy")
            and not signals.is_problem(e)
            and not signals.is_stuck(e, ticket_time)
        )
        if matched:
            points = min(8.0, sum(_ENTITY_WEIGHT.get(k, 1.5) for _, k in matched))
            if quiet:  # the customer's ordinary activity: context, not a cause
                points = min(points * 0.4, 2.0)
            elif healthy:  # a paid invoice or an active account: context for the analyst
                points = min(points * 0.5, 3.0)
            elif e.novelty == "steady":  # the customer is one of many in week-old noise
                points = min(points * 0.5, 2.0)
            parts.append((points, f"matches {', '.join(v for v, _ in matched[:4])}"))
        started = e.first_seen or e.timestamp
        if started is not None:
            hours = abs((ticket_time - started).total_seconds()) / 3600
            points = 2.5 * math.exp(-hours / 8)
            if points >= 0.1:
                parts.append((points, f"{hours:.1f} h from the ticket"))
            if (
                not e.matched
                and e.kind in ONSET_KINDS
                and (started - ticket_time).total_seconds() > AFTER_TICKET
            ):
                parts.append((-4.0, "began after the ticket was opened: cannot be its cause"))
        if e.novelty != "steady":  # a steady background error's severity is not news
            parts += _severity(e, ticket_time)
        if quiet:
            pass
        elif e.novelty == "new":
            parts.append((3.0, "new: never seen before the window"))
        elif e.novelty == "spike":
            parts.append((2.0, "rate jumped in the window"))
        elif e.novelty == "steady":
            parts.append((-2.0, "steady background: seen at the same rate before"))
        if id(e) in strongest:
            link = strongest[id(e)]
            gap = f"{link.model.gap_minutes // 60} h {link.model.gap_minutes % 60:02d} min"
            what = (
                "deployed shortly before a new error"
                if link.model.change == "deploy"
                else "changed shortly before this customer's problem"
            )
            parts.append(
                (
                    2.0 + 3.0 * link.model.strength,
                    f"{what} ({gap}; the first new error after it): {link.effect.title[:80]}",
                )
            )
        if e.kind == "customer" and matched:
            parts.append((2.5, "the ticket's account: context for every finding"))
        if id(e) in agreement:
            points, why = agreement[id(e)]
            parts.append((points, why))
        text_score = e.text_score
        if text_score is not None and text_score > 0:
            parts.append((min(4.0, text_score / 2), f"text relevance {text_score:.1f}"))
        elif e.kind not in ("log", "log_pattern") and words:
            shared = sorted(words & _title_words(e))
            if shared:
                parts.append(
                    (min(1.5, 0.5 * len(shared)), f"names the ticket's {', '.join(shared[:3])}")
                )
        if e.count > 1:
            parts.append((min(1.5, math.log10(e.count) / 2), f"{e.count} occurrences"))
        accounts = e.accounts_affected
        if accounts is not None and accounts >= 5 and e.novelty != "steady":
            parts.append((1.5, f"{accounts} accounts affected"))
        if id(e) in upstream:
            parts.append(
                (2.0, f"began just before this customer's problem: {upstream[id(e)][:80]}")
            )
        elif not e.matched and not text_score and e.kind not in GLOBAL_KINDS:
            positive = sum(p for p, _ in parts if p > 0)
            if positive > 0:
                parts.append(
                    (-UNLINKED * positive, "not linked to this ticket (no shared entity or words)")
                )
        score = sum(p for p, _ in parts)
        if quiet and e.novelty != "new" and score > QUIET_CAP:
            parts.append((QUIET_CAP - score, "the customer's ordinary activity: context only"))
            score = QUIET_CAP
        e.score = round(score, 2)
        e.reasons = [f"{p:+.1f} {why}" for p, why in sorted(parts, key=lambda x: -abs(x[0]))]
    _penalise_repeats(items)
    items.sort(key=lambda e: (-e.score, e.source, e.title))
    return items, links


def _severity(e: Evidence, ticket_time: datetime) -> list[tuple[float, str]]:
    if e.kind in ("alert", "incident") and signals.is_problem(e):  # whatever its severity label
        return [(3.5, f"{e.kind} {signals.status(e)}")]
    if e.level in ("error", "critical"):
        return [(2.0, f"{e.level} level")]
    if e.level == "warning":
        return [(1.0, "warning level")]
    if e.kind == "issue" and signals.is_problem(e):
        return [(1.0, f"known issue, {signals.status(e)}")]
    if e.kind not in ("log", "log_pattern", "issue") and signals.is_problem(e):
        return [(2.5, f"status {signals.status(e) or 'failed'}")]
    if signals.is_stuck(e, ticket_time):
        return [(2.5, f"{signals.status(e)} since long before the ticket")]
    return []


def _agreement(items: list[Evidence]) -> dict[int, tuple[float, str]]:
    """Items whose error codes also appear in another source's evidence."""
    by_code: dict[str, set[str]] = defaultdict(set)
    codes = {id(e): signals.error_codes(e) for e in items}
    for e in items:
        for code in codes[id(e)]:
            by_code[code].add(e.source)
    out: dict[int, tuple[float, str]] = {}
    for e in items:
        shared = sorted(c for c in codes[id(e)] if len(by_code[c] - {e.source}) > 0)
        if shared:
            out[id(e)] = (2.5, f"{shared[0]} also seen in another source")
    return out


def _upstream_causes(items: list[Evidence]) -> dict[int, str]:
    """New error patterns of another scope (no ticket entity) in the same service as this
    customer's own new problem, starting up to three hours before it: a likely upstream cause
    (a stuck partition behind one customer's ingest lag)."""
    mine = [e for e in items if signals.is_customers_new_problem(e)]
    out: dict[int, str] = {}
    for e in items:
        if e.matched or not signals.is_severe_log(e) or e.novelty != "new" or not e.first_seen:
            continue
        for m in mine:
            gap = (signals.customer_onset(m) - e.first_seen).total_seconds()
            if set(e.services) & set(m.services) and -600 <= gap <= DEPLOY_HORIZON:
                out[id(e)] = m.title
                break
    return out


_SHAPE = re.compile(r"\b[\w-]*\d[\w-]*\b")
_TITLE_WORD = re.compile(r"[^\W\d_]{4,}")


_EMAIL = re.compile(r"\S+@\S+")


def _title_words(e: Evidence) -> set[str]:
    """Words of the title, e-mail addresses left out (a replay sees them redacted)."""
    return {w.lower() for w in _TITLE_WORD.findall(_EMAIL.sub(" ", e.title))}


def _penalise_repeats(items: list[Evidence]) -> None:
    """The second and later items of the same shape (source, kind, title with IDs and numbers
    removed: three failed charges with one decline code) lose a point each, up to three, so
    the top of the list shows different facts."""
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in sorted(items, key=lambda e: -e.score):
        shape = (e.source, e.kind, _SHAPE.sub("#", e.title))
        repeats = seen[shape]
        seen[shape] += 1
        if repeats:
            penalty = min(3.0, float(repeats))
            e.score = round(e.score - penalty, 2)
            e.reasons.append(f"{-penalty:+.1f} repeats an item above")


def dedupe(items: list[Evidence]) -> list[Evidence]:
    """Fold true duplicates only: the same source, kind and identity (a row's `id`, else its
    URL, else its exact content). Distinct rows that share a title (a SQL query with a fixed
    title) stay distinct. A folded item's `merged` counts what was folded into it."""
    seen: dict[tuple[str, str, str], Evidence] = {}
    for e in items:
        key = (e.source, e.kind, _identity(e))
        if key in seen:
            kept = seen[key]
            if kept.kind in ("log", "log_pattern"):
                kept.count += e.count
            kept.matched = sorted(set(kept.matched) | set(e.matched))
            kept.merged += 1
        else:
            seen[key] = e
    return list(seen.values())


def merged_notes(items: list[Evidence]) -> list[str]:
    """What dedupe folded, for --verbose."""
    return [
        f"merged {e.merged} duplicate(s) of [{e.source}] {e.title[:80]}" for e in items if e.merged
    ]


_MASKED = re.compile(r"\*{3}|^<[A-Z]+_\d+>$")
"""A value a recording masked (`***`, `<SECRET_1>`) identifies nothing."""


def _identity(e: Evidence) -> str:
    row = signals.row(e)
    for key in ("id", "uuid", "key", "number"):
        value = row.get(key)
        if value not in (None, "") and not _MASKED.search(str(value)):
            return f"{key}={value}"
    if e.url and not _MASKED.search(e.url):
        return f"url={e.url}"
    if e.kind in ("log", "log_pattern"):
        return f"{e.title}|{e.first_seen}"
    return f"{e.title}|{e.timestamp}|{e.detail}"
