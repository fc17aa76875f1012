"""Log lines → patterns: repeated lines collapse into one `log_pattern` item with a count,
first/last seen, examples, services, affected accounts and novelty against a baseline.

Templates: variable parts are masked first (IDs, numbers, UUIDs, hex, IPs, times, emails,
quoted values), then a Drain miner per service and level (`investigate.sdk.drain`) merges lines
that still differ in a free-text word, so "cache miss for user <id>" and "cache miss for
tenant <id>" are one pattern. Error codes (`ERR_CARD_DECLINED`) and HTTP statuses are
anchors: lines that differ in one are never merged. Baseline lines train the same miners, so
a pattern is compared with its own history whatever words varied. Novelty: a template absent from the baseline (the same source, before the
window) is `new`; one whose hourly rate jumped at least 3× (and 5+ times) is a `spike`;
anything else is `steady`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from typing import Any

from investigate.models import Evidence, Level, Window
from investigate.sdk.drain import Drain, DrainSettings

MAX_EXAMPLES = 3
MAX_ACCOUNTS = 200
_MASKS: list[tuple[re.Pattern[str], str, str]] = [
    # (pattern, replacement, characters of which a match needs one: the text is not searched
    # for a pattern when it holds none of them, "" = always searched). A replacement adds
    # only `<`, `>`, letters and what its match held, never a character another mask needs.
    (re.compile(r"\b(\w{0,40}(?:_id|Id|ID))=(?!<)[^\s,;&]+"), r"\1=<id>", "="),
    (
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<ts>",
        "-",
    ),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
        "-",
    ),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<email>", "@"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>", "."),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b"), "<time>", ":"),
    (  # host:port, and host names under common top-level domains
        re.compile(
            r"\b[A-Za-z][\w-]*(?:\.[\w-]+)+:\d{2,5}\b|\b(?:[\w-]+\.)+(?:com|net|org|edu|gov|"
            r"io|co|uk|de|fr|cn|hk|jp|ru|nl|info|biz|local|internal|lan)\b(?!\.\w)"
        ),
        "<host>",
        ".",
    ),
    (  # file and URL paths of two or more segments; Windows paths
        re.compile(r"(?<![\w.<])(?:/[\w.@%+~-]+){2,}/?|\b[A-Za-z]:\\[^\s\"']+"),
        "<path>",
        "/\\",
    ),
    (re.compile(r"\b[a-z]{2,8}_(?=[A-Za-z]*\d)[A-Za-z0-9]+\b"), "<id>", "_"),  # usr_81, req_9f8e…
    (re.compile(r"\b(?:0x)?[0-9a-f]{8,}\b", re.I), "<hex>", ""),
    (re.compile(r"\"[^\"]{0,200}\"|'[^']{0,200}'"), "<str>", "\"'"),
    (
        re.compile(
            r"(?<![A-Za-z0-9_])[-+]?\d+(?:\.\d+)?(?:ms|s|m|h|kb|mb|gb|%)?(?![A-Za-z_])", re.I
        ),
        "<num>",
        "",
    ),
]
ACCOUNT_KEYS = (
    "account_id",
    "account",
    "org_id",
    "organization_id",
    "tenant_id",
    "tenant",
    "customer_id",
    "workspace_id",
    "company_id",
    "client_id",
)
"""Default tenant keys read from a log line's fields (`account_field` overrides them)."""


def account_keys(account_field: str | None) -> tuple[str, ...]:
    """The line fields that name the tenant: the configured one only, else the defaults."""
    return (account_field,) if account_field else ACCOUNT_KEYS


SPIKE_MIN = 5
"""A spike needs at least this many lines in the window…"""
SPIKE_RATIO = 2.0
"""…at least this many times the baseline rate…"""
SPIKE_P = 0.001
"""…and a Poisson upper tail below this against the baseline rate of the whole population."""
_ACCOUNT_RE = re.compile(r"\bacc(?:ount|t)?_[A-Za-z0-9]{3,40}\b")
_CODE_RE = re.compile(r"\b(?:[A-Z][A-Z0-9]{1,15}_){1,6}[A-Z0-9]{2,20}\b")
_SEVERE = {"error", "critical"}
DRAIN = DrainSettings(
    similarity=0.6,
    depth=4,
    masks=(),  # `template()` has masked the line already
    anchors=r"(?:[A-Z][A-Z0-9]{1,15}_){1,6}[A-Z0-9]{2,20}[.,:;]?|[\w.]*(?:Error|Exception|Failure)[.,:;]?",
)
Key = tuple[str, str, int]
"""service, level, cluster id of that service and level's miner."""


_CACHE: dict[str, str] = {}
_CACHE_SIZE = 50_000


def template(message: str) -> str:
    """`"user usr_81 took 532ms"` → `"user <id> took <num>"`."""
    cached = _CACHE.get(message)
    if cached is not None:
        return cached
    text = message[:2000]
    present = set(text)  # no replacement adds a character a mask needs (`_MASKS`), so what
    for pattern, repl, needs in _MASKS:  # the text lacks now, it lacks after every mask
        if not needs or not present.isdisjoint(needs):
            text = pattern.sub(repl, text)
    text = " ".join(text.split())
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[message] = text
    return text


@dataclass
class Pattern:
    template: str
    level: Level
    count: int = 0
    matched_count: int = 0
    matched_first_seen: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: list[str] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    matched: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class LogLine:
    timestamp: datetime
    level: Level
    message: str
    service: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    matched: frozenset[str] = frozenset()

    @cached_property
    def seen(self) -> tuple[str, Level, str]:
        """Service, level and masked message: what decides the line's pattern (computed once
        per line, so a line a batch shares between its tickets is masked once). Equal values
        are one object (`_SEEN_VALUES`): counting lines by it then stops at `is`, where equal
        tuples holding equal but distinct templates were compared string by string (4x the
        time of a ticket's `Counter` over its ~1,200 baseline lines)."""
        value = (self.service, self.level, template(self.message))
        found = _SEEN_VALUES.get(value)
        if found is None:
            if len(_SEEN_VALUES) >= _CACHE_SIZE:
                _SEEN_VALUES.clear()
            found = _SEEN_VALUES.setdefault(value, value)
        return found


_SEEN_VALUES: dict[tuple[str, Level, str], tuple[str, Level, str]] = {}


_SEEN = attrgetter("seen")
_MATCHED = attrgetter("matched")
_TIME = attrgetter("timestamp")


class PatternGrouper:
    """Feed it lines (baseline and window); ask it for the patterns worth showing."""

    def __init__(
        self,
        window: Window,
        *,
        max_templates: int = 20_000,
        drain: DrainSettings = DRAIN,
        account_keys: tuple[str, ...] = ACCOUNT_KEYS,
    ) -> None:
        self.window = window
        self.account_keys = account_keys
        self.max_templates = max_templates
        self.patterns: dict[Key, Pattern] = {}
        self.baseline: dict[Key, int] = {}
        self.baseline_matched: dict[Key, int] = {}
        self.baseline_start: datetime | None = None
        self.last_seen: datetime | None = None
        self.dropped = 0
        self._drain = drain
        self._miners: dict[tuple[str, str], Drain] = {}
        self._seen: dict[tuple[str, str, str], int] = {}

    def key(self, line: LogLine) -> Key:
        """The pattern a line belongs to (learning it if it is new)."""
        return self._key(line.seen)

    def _key(self, seen: tuple[str, Level, str]) -> Key:
        cluster_id = self._seen.get(seen)
        if cluster_id is None:
            miner = self._miners.get(seen[:2])
            if miner is None:
                miner = self._miners[seen[:2]] = Drain(self._drain)
            cluster_id = miner.add_tokens(seen[2].split()).id
            if len(self._seen) < 4 * self.max_templates:
                self._seen[seen] = cluster_id
        return seen[0], seen[1], cluster_id

    def template_of(self, key: Key) -> str:
        return self._miners[(key[0], key[1])].cluster(key[2]).template

    def add_baseline(self, line: LogLine) -> None:
        key = self.key(line)
        if key in self.baseline or len(self.baseline) < self.max_templates:
            self.baseline[key] = self.baseline.get(key, 0) + 1
            if line.matched:
                self.baseline_matched[key] = self.baseline_matched.get(key, 0) + 1
        if self.baseline_start is None or line.timestamp < self.baseline_start:
            self.baseline_start = line.timestamp

    def add_baseline_run(self, lines: Sequence[LogLine]) -> None:
        """`add_baseline` for each of these lines in turn, counted per pattern at once: new
        patterns are learnt in the order the lines first show them, so the miners end up as
        they would line by line. (Line by line when the tables could fill up, where the order
        of the lines decides what is kept.)"""
        if not lines:
            return
        counts = Counter(map(_SEEN, lines))  # in order of first appearance
        if self._line_by_line(lines, len(counts), self.baseline, self.add_baseline):
            return
        baseline, matched = self.baseline, self.baseline_matched
        key_of = {seen: self._key(seen) for seen in counts}
        for seen, count in counts.items():
            key = key_of[seen]
            baseline[key] = baseline.get(key, 0) + count
        for seen, count in Counter(map(_SEEN, filter(_MATCHED, lines))).items():
            key = key_of[seen]
            matched[key] = matched.get(key, 0) + count
        first = min(map(_TIME, lines))
        if self.baseline_start is None or first < self.baseline_start:
            self.baseline_start = first

    def _line_by_line(
        self,
        lines: Sequence[LogLine],
        new: int,
        table: Mapping[Key, object],
        add: Callable[[LogLine], None],
    ) -> bool:
        """A run of `new` kinds of line that could fill `table` or the miners goes line by line
        (`add`), where the order of the lines decides what is kept: True when it did."""
        if (
            len(table) + new <= self.max_templates
            and len(self._seen) + new <= 4 * self.max_templates
        ):
            return False
        for line in lines:
            add(line)
        return True

    def add(self, line: LogLine) -> None:
        key = self.key(line)
        pattern = self.patterns.get(key)
        if pattern is None:
            if len(self.patterns) >= self.max_templates:
                self.dropped += 1
                return
            pattern = self.patterns[key] = Pattern(template="", level=line.level)
        pattern.count += 1
        ts = line.timestamp
        self._widen(pattern, ts, ts)
        if line.service:
            pattern.services.add(line.service)
        if line.matched:
            pattern.matched_count += 1
            pattern.matched.update(line.matched)
            if pattern.matched_first_seen is None or ts < pattern.matched_first_seen:
                pattern.matched_first_seen = ts
        if len(pattern.accounts) < MAX_ACCOUNTS:
            pattern.accounts.update(_accounts(line, self.account_keys))
        if len(pattern.examples) < MAX_EXAMPLES or (line.matched and pattern.matched_count == 1):
            example = line.message[:500]
            if example not in pattern.examples:
                if len(pattern.examples) >= MAX_EXAMPLES:
                    pattern.examples.pop()
                pattern.examples.insert(0 if line.matched else len(pattern.examples), example)
            if not pattern.fields or line.matched:
                pattern.fields = _bounded(line.fields)

    def add_run(self, lines: Sequence[LogLine]) -> None:
        """`add` for each of these lines in turn, a pattern at a time: patterns are learnt and
        created in the order the lines first show them and each pattern takes its lines in
        order, so counts, times, accounts, examples and fields come out as line by line.
        (Line by line when the tables could fill up, where the order of the lines decides
        what is kept.)"""
        if not lines:
            return
        order = dict.fromkeys(map(_SEEN, lines))
        if self._line_by_line(lines, len(order), self.patterns, self.add):
            return
        key_of = {seen: self._key(seen) for seen in order}
        groups: dict[Key, list[LogLine]] = {}
        for line in lines:
            key = key_of[line.seen]
            group = groups.get(key)
            if group is None:
                groups[key] = [line]
            else:
                group.append(line)
        for key, group in groups.items():
            self._add_group(key, group)

    def _widen(self, pattern: Pattern, first: datetime, last: datetime) -> None:
        """Widen the pattern's span, and the grouper's last sighting, to take in first..last."""
        if pattern.first_seen is None or first < pattern.first_seen:
            pattern.first_seen = first
        if pattern.last_seen is None or last > pattern.last_seen:
            pattern.last_seen = last
        if self.last_seen is None or last > self.last_seen:
            self.last_seen = last

    def _add_group(self, key: Key, group: list[LogLine]) -> None:
        """`add` for these lines of one pattern, in order."""
        pattern = self.patterns.get(key)
        if pattern is None:
            pattern = self.patterns[key] = Pattern(template="", level=group[0].level)
        pattern.count += len(group)
        self._widen(pattern, min(map(_TIME, group)), max(map(_TIME, group)))
        if key[0]:
            pattern.services.add(key[0])
        named = list(filter(_MATCHED, group))
        before = pattern.matched_count  # for "the pattern's first matched line" below
        if named:
            pattern.matched_count += len(named)
            pattern.matched.update(*map(_MATCHED, named))
            earliest = min(map(_TIME, named))
            if pattern.matched_first_seen is None or earliest < pattern.matched_first_seen:
                pattern.matched_first_seen = earliest
        accounts, keys = pattern.accounts, self.account_keys
        for line in group:
            if len(accounts) >= MAX_ACCOUNTS:
                break
            accounts.update(_accounts(line, keys))
        examples = pattern.examples
        for line in group:
            if line.matched:
                before += 1
            elif len(examples) >= MAX_EXAMPLES:
                if not named:
                    break  # full, and no line left that could change them
                continue
            if len(examples) < MAX_EXAMPLES or (line.matched and before == 1):
                example = line.message[:500]
                if example not in examples:
                    if len(examples) >= MAX_EXAMPLES:
                        examples.pop()
                    examples.insert(0 if line.matched else len(examples), example)
                if not pattern.fields or line.matched:
                    pattern.fields = _bounded(line.fields)

    def novelty(self, key: Key, pattern: Pattern) -> tuple[str, int]:
        """A count test against the baseline (see `count_test`). The whole population is the
        reference: one customer's share of a steady background error going from 1 line to 7 is
        no spike. Only when this customer's lines are most of the pattern (their own problem)
        are they compared with their own earlier lines: an error steady for one other tenant can
        be new for them."""
        return self.judge(key, pattern)[:2]

    def judge(self, key: Key, pattern: Pattern) -> tuple[str, int, str | None]:
        """(novelty, baseline count used, new_for: everyone | customer | None)."""
        base_hours = _hours(self.baseline_start, self.window.start)
        end = min(self.window.end, self.last_seen or self.window.end)
        window_hours = _hours(self.window.start, end)
        before_all = self.baseline.get(key, 0)
        verdict = count_test(pattern.count, before_all, window_hours, base_hours)
        if verdict != "steady":
            return verdict, before_all, "everyone"
        own = pattern.matched and pattern.matched_count * 2 >= pattern.count
        if own:
            before = self.baseline_matched.get(key, 0)
            verdict = count_test(pattern.matched_count, before, window_hours, base_hours)
            if verdict != "steady":
                return verdict, before, "customer"
        return "steady", before_all, None

    def evidence(
        self,
        source: str,
        query: str,
        keep: Callable[[Pattern, str], bool] | None = None,
        url: Callable[[Pattern], str | None] | None = None,
    ) -> list[Evidence]:
        """Evidence for the patterns `keep(pattern, novelty)` accepts (default: matched
        lines, and error-level patterns that are new or spiking)."""
        keep = keep or default_keep
        out = []
        for key, pattern in self.patterns.items():
            pattern.template = self.template_of(key)
            novelty, before, new_for = self.judge(key, pattern)
            if keep(pattern, novelty):
                item = _to_evidence(source, query, pattern, novelty, before, url)
                item.baseline_all = self.baseline.get(key, 0)
                item.new_for = new_for  # type: ignore[assignment]
                out.append(item)
        out.sort(key=lambda e: (-len(e.matched), -e.count))
        return out


def default_keep(pattern: Pattern, novelty: str) -> bool:
    return bool(pattern.matched) or (pattern.level in _SEVERE and novelty in ("new", "spike"))


def _to_evidence(
    source: str,
    query: str,
    p: Pattern,
    novelty: str,
    before: int,
    url: Callable[[Pattern], str | None] | None,
) -> Evidence:
    services = sorted(p.services)
    where = ", ".join(services) or "log"
    codes = sorted({c for e in p.examples for c in _CODE_RE.findall(e)})
    statuses = sorted(
        {int(p.fields["status"])} if str(p.fields.get("status", "")).isdigit() else []
    )
    span = ""
    if p.first_seen and p.last_seen:
        same_day = p.last_seen.date() == p.first_seen.date()
        end = f"{p.last_seen:%H:%M}" if same_day else f"{p.last_seen:%Y-%m-%d %H:%M}"
        span = f" between {p.first_seen:%Y-%m-%d %H:%M} and {end} UTC"
    detail = [f"{p.count}× in the window{span}"]
    if p.matched_count and p.matched_count != p.count:
        detail.append(f"{p.matched_count} of them mention this ticket's entities")
    detail.append(
        {"new": "never seen before the window", "spike": f"rate jumped (baseline {before})"}.get(
            novelty, f"steady: {before}× before the window"
        )
    )
    if len(p.accounts) > 1:
        detail.append(f"{len(p.accounts)} accounts affected")
    detail.append("e.g. " + p.examples[0] if p.examples else "")
    return Evidence(
        source=source,
        kind="log_pattern" if p.count > 1 else "log",
        timestamp=p.first_seen,
        title=f"{p.level.upper()} {where}: {p.template}"[:300],
        detail="; ".join(d for d in detail if d)[:2000],
        url=url(p) if url else None,
        matched=sorted(p.matched),
        query=query,
        level=p.level,
        count=p.count,
        first_seen=p.first_seen,
        last_seen=p.last_seen,
        examples=p.examples,
        services=services,
        novelty=novelty,
        accounts=sorted(p.accounts)[:20],
        accounts_affected=len(p.accounts),
        matched_first_seen=p.matched_first_seen,
        matched_count=p.matched_count,
        error_codes=codes,
        http_statuses=statuses,
        fields=p.fields,
        attributes={"template": p.template, "baseline_count": before},
    )


def count_test(count: int, before: int, window_hours: float, base_hours: float) -> str:
    """`new` when the baseline never saw it; `spike` when the window's count is at least
    `SPIKE_MIN`, `SPIKE_RATIO`× the baseline rate and improbable under it (Poisson upper tail
    below `SPIKE_P`); else `steady`."""
    if before == 0:
        return "new" if count > 0 else "steady"
    expected = before * window_hours / base_hours
    if count < SPIKE_MIN or count < SPIKE_RATIO * expected:
        return "steady"
    return "spike" if poisson_tail(count, expected) < SPIKE_P else "steady"


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed in log space (stable for large counts)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    below = sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below)


def _accounts(line: LogLine, keys: tuple[str, ...] = ACCOUNT_KEYS) -> frozenset[str]:
    """The accounts a line names: its first account field, else account IDs in its message.
    Kept on the line (for these keys): a batch groups the lines its tickets share once per
    ticket, and most lines name no account, so each would be searched again every time."""
    known: tuple[tuple[str, ...], frozenset[str]] | None = line.__dict__.get("_accounts")
    if known is not None and known[0] == keys:
        return known[1]
    for key in keys:
        value = line.fields.get(key)
        if isinstance(value, str | int) and value != "":
            found = frozenset((str(value),))
            break
    else:
        found = frozenset(_ACCOUNT_RE.findall(line.message))
    line.__dict__["_accounts"] = keys, found
    return found


def _bounded(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in list(fields.items())[:30]:
        if isinstance(value, str):
            out[str(key)[:100]] = value[:300]
        elif isinstance(value, int | float | bool) or value is None:
            out[str(key)[:100]] = value
    return out


def _hours(start: datetime | None, end: datetime) -> float:
    if start is None:
        return 1.0
    return max((end - start).total_seconds() / 3600, 1.0)
