"""Evaluation harness: run investigation cases and score the reports.

A case is a folder holding ``case.yaml`` (ticket, config, until, category, decisive, tags,
and optionally ``reply_must_not_contain``: strings a correct draft reply must not contain)
plus whatever data its config points at. ``run_cases`` runs every case with the offline
analyst and returns a ``Summary`` (per case, per tag, per expected category, overall);
``render_table`` and ``summary_json`` present it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from investigate.config import SAFE_LOADER

STATUSES = ("ok", "empty", "error", "timeout", "skipped")


@dataclass
class Decisive:
    contains: str
    source: str | None = None
    kind: str | None = None

    def matches(self, ev: Any) -> bool:
        if self.source and ev.source != self.source:
            return False
        # log evidence may come as a single `log` instead of a `log_pattern`
        log_ok = self.kind == "log_pattern" and str(ev.kind) == "log"
        if self.kind and str(ev.kind) != self.kind and not log_ok:
            return False
        text = "\n".join([ev.title or "", ev.detail or "", *(getattr(ev, "examples", None) or [])])
        return self.contains.lower() in text.lower()


@dataclass
class CaseResult:
    name: str
    tags: list[str]
    ticket: str = ""
    expected_category: str = ""
    category: str | None = None
    category_ok: bool = False
    decisive: int = 0
    found_at: list[int | None] = field(default_factory=list)  # 1-based rank of first match
    recall_5: float = 0.0
    recall_10: float = 0.0
    citations_exist: bool = False
    cites_decisive: bool = False
    citation_valid: bool = False
    reply_ok: bool = True  # the draft reply contains none of `reply_must_not_contain`
    reply_forbidden: list[str] = field(default_factory=list)  # the ones it did contain
    reply_lint: list[str] = field(default_factory=list)  # reply-lint rules the final reply breaks
    sources: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    wall_s: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.category_ok and self.recall_10 == 1.0 and self.reply_ok


@dataclass
class Aggregate:
    name: str
    cases: int = 0
    errors: int = 0
    recall_5: float = 0.0
    recall_10: float = 0.0
    category_accuracy: float = 0.0
    citation_validity: float = 0.0
    reply_failures: int = 0  # cases whose draft reply contains a forbidden string
    reply_lint_failures: int = 0  # cases whose draft reply needed repair or still breaks a rule
    passed: int = 0
    sources: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    wall_s: float = 0.0


@dataclass
class Summary:
    cases: list[CaseResult]
    by_tag: dict[str, Aggregate]
    overall: Aggregate
    wall_s: float = 0.0
    by_category: dict[str, Aggregate] = field(default_factory=dict)  # by expected category


def _ev_kind(ev: Any) -> str:
    k = ev.kind
    return str(getattr(k, "value", k))


def score_report(
    report: Any,
    decisive: list[Decisive],
    expected_category: str,
    result: CaseResult,
    reply_must_not_contain: list[str] | None = None,
    reply_settings: Any = None,
) -> None:
    """Fill the metric fields of ``result`` from a Report."""
    evidence = list(report.evidence)

    # normalise enum kinds to strings for matching
    class _E:
        def __init__(self, e: Any) -> None:
            self.id, self.source, self.kind = e.id, e.source, _ev_kind(e)
            self.title, self.detail, self.examples = (
                e.title,
                e.detail,
                list(getattr(e, "examples", []) or []),
            )

    items = [_E(e) for e in evidence]
    result.decisive = len(decisive)
    result.found_at = []
    for d in decisive:
        rank = next((i + 1 for i, e in enumerate(items) if d.matches(e)), None)
        result.found_at.append(rank)
    n = len(decisive)
    result.recall_5 = sum(1 for r in result.found_at if r and r <= 5) / n if n else 1.0
    result.recall_10 = sum(1 for r in result.found_at if r and r <= 10) / n if n else 1.0
    rc = report.analysis.root_cause
    cat = getattr(rc.category, "value", rc.category)
    result.category = cat
    result.category_ok = cat == expected_category
    ids = {e.id for e in items}
    cited: list[str] = list(rc.evidence)
    for alt in report.analysis.alternatives or []:
        cited += list(alt.evidence)
    for t in report.analysis.timeline or []:
        cited += list(t.evidence)
    result.citations_exist = all(c in ids for c in cited)
    by_id = {e.id: e for e in items}
    if decisive:
        result.cites_decisive = any(
            c in by_id and d.matches(by_id[c]) for c in rc.evidence for d in decisive
        )
    else:  # nothing decisive to cite (e.g. `unknown`): citing nothing is right
        result.cites_decisive = True
    result.citation_valid = result.citations_exist and result.cites_decisive
    reply = str(getattr(report.analysis, "draft_reply", "") or "").lower()
    result.reply_forbidden = [w for w in reply_must_not_contain or [] if w.lower() in reply]
    result.reply_lint = _reply_lint(report, reply_settings)
    result.reply_ok = not result.reply_forbidden
    for s in report.sources:
        st = getattr(s.status, "value", s.status)
        result.sources[st] = result.sources.get(st, 0) + 1


def _reply_lint(report: Any, settings: Any) -> list[str]:
    """The reply linter's verdict on the report's draft reply: what the linter had to repair
    (a reply that needed repair fails too) and what the final reply still breaks."""
    from investigate.evidence.replylint import REPAIRED, lint
    from investigate.models import Evidence

    analysis = report.analysis
    note = str(getattr(analysis, "internal_note", "") or "")
    repaired = [
        f"repaired: {line.removeprefix(REPAIRED)}"
        for line in note.splitlines()
        if line.startswith(REPAIRED)
    ]
    reply = str(getattr(analysis, "draft_reply", "") or "")
    if not reply:
        return repaired
    ticket = getattr(report, "ticket", None)
    requester = getattr(getattr(ticket, "requester", None), "name", None)
    by_id = {e.id: e for e in report.evidence if isinstance(e, Evidence)}
    cited = [by_id[i] for i in analysis.root_cause.evidence if i in by_id]
    return repaired + [
        str(p) for p in lint(reply, cited=cited, settings=settings, requester=requester)
    ]


def load_case(case_dir: Path) -> dict[str, Any]:
    data = yaml.load((case_dir / "case.yaml").read_text(), Loader=SAFE_LOADER) or {}  # noqa: S506
    if not isinstance(data, dict) or "ticket" not in data:
        raise ValueError(f"{case_dir / 'case.yaml'}: needs at least `ticket`")
    return data


def run_case(case_dir: Path) -> CaseResult:
    from investigate.config import load_config
    from investigate.context import Context
    from investigate.options import RunOptions
    from investigate.pipeline import investigate
    from investigate.threads import run as run_async

    started = time.monotonic()
    result = CaseResult(name=case_dir.name, tags=[])
    try:
        data = load_case(case_dir)
        result.tags = [str(t) for t in data.get("tags") or []]
        result.ticket = str(data["ticket"])
        result.expected_category = str(data.get("category", "unknown"))
        decisive = [Decisive(**d) for d in data.get("decisive") or []]
        result.decisive = len(decisive)
        config = load_config(case_dir / data.get("config", "investigate.yaml"), env={})
        ctx = Context(config=config)
        until = data.get("until")
        if until is not None and not isinstance(until, str):
            until = until.isoformat().replace("+00:00", "Z")
        options = RunOptions(ticket_id=result.ticket, analyst="offline", until=until)
        report = run_async(investigate(ctx, options))
        forbidden = [str(w) for w in data.get("reply_must_not_contain") or []]
        score_report(
            report,
            decisive,
            result.expected_category,
            result,
            forbidden,
            reply_settings=config.settings.reply,
        )
    except BaseException as exc:  # a broken case is a row, never a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    result.wall_s = time.monotonic() - started
    return result


def _aggregate(name: str, results: list[CaseResult]) -> Aggregate:
    agg = Aggregate(name=name, cases=len(results))
    if not results:
        return agg
    n = len(results)
    agg.errors = sum(1 for r in results if r.error)
    agg.recall_5 = sum(r.recall_5 for r in results) / n
    agg.recall_10 = sum(r.recall_10 for r in results) / n
    agg.category_accuracy = sum(r.category_ok for r in results) / n
    agg.citation_validity = sum(r.citation_valid for r in results) / n
    agg.reply_failures = sum(1 for r in results if not r.error and r.reply_forbidden)
    agg.reply_lint_failures = sum(1 for r in results if not r.error and r.reply_lint)
    agg.passed = sum(r.passed for r in results)
    agg.wall_s = sum(r.wall_s for r in results)
    for r in results:
        for k, v in r.sources.items():
            agg.sources[k] = agg.sources.get(k, 0) + v
    return agg


def discover(cases_dir: Path) -> list[Path]:
    return sorted(p.parent for p in Path(cases_dir).glob("*/case.yaml"))


def run_cases(
    cases_dir: Path, *, only: list[str] | None = None, exclude_tags: list[str] | None = None
) -> Summary:
    """Run every case folder under ``cases_dir`` (or only those named / tagged in ``only``)."""
    started = time.monotonic()
    results: list[CaseResult] = []
    for case_dir in discover(Path(cases_dir)):
        if only or exclude_tags:
            try:
                tags = [str(t) for t in load_case(case_dir).get("tags") or []]
            except Exception:
                tags = []
            if only and case_dir.name not in only and not set(only) & set(tags):
                continue
            if exclude_tags and set(exclude_tags) & set(tags):
                continue
        results.append(run_case(case_dir))
    tags = sorted({t for r in results for t in r.tags})
    by_tag = {t: _aggregate(t, [r for r in results if t in r.tags]) for t in tags}
    return Summary(
        cases=results,
        by_tag=by_tag,
        overall=_aggregate("overall", results),
        wall_s=time.monotonic() - started,
        by_category=by_category(results),
    )


def by_category(results: list[CaseResult]) -> dict[str, Aggregate]:
    """One aggregate per expected category (cases that could not run count as misses)."""
    names = sorted({r.expected_category for r in results if r.expected_category})
    return {c: _aggregate(c, [r for r in results if r.expected_category == c]) for c in names}


def _pct(x: float) -> str:
    return f"{x * 100:5.1f}%"


def render_table(summary: Summary) -> str:
    """One row per case, then one per tag, one per expected category, and the overall row."""
    head = f"{'case':<34} {'expected':<15} {'got':<15} {'R@5':>6} {'R@10':>6} {'cat':>4} {'cite':>4} {'reply':>5} {'src ok/empty/err/to/skip':>24} {'time':>6}"
    lines = [head, "-" * len(head)]
    for r in summary.cases:
        src = "/".join(str(r.sources.get(s, 0)) for s in STATUSES)
        if r.error:
            lines.append(
                f"{r.name:<34} {r.expected_category:<15} {'ERROR':<15} {'-':>6} {'-':>6} {'-':>4} {'-':>4} {'-':>5} {src:>24} {r.wall_s:5.2f}s  {r.error}"
            )
            continue
        lines.append(
            f"{r.name:<34} {r.expected_category:<15} {r.category!s:<15} {_pct(r.recall_5):>6} {_pct(r.recall_10):>6}"
            f" {'✓' if r.category_ok else '✗':>4} {'✓' if r.citation_valid else '✗':>4}"
            f" {'✓' if r.reply_ok else '✗':>5} {src:>24} {r.wall_s:5.2f}s"
            + (f"  reply contains: {', '.join(r.reply_forbidden)}" if r.reply_forbidden else "")
            + (f"  reply lint: {'; '.join(r.reply_lint)}" if r.reply_lint else "")
        )
    lines.append("")
    head2 = f"{'group':<34} {'cases':>5} {'err':>4} {'R@5':>6} {'R@10':>6} {'cat acc':>7} {'cite ok':>7} {'reply✗':>6} {'lint✗':>5} {'pass':>5} {'time':>7}"

    def row(label: str, agg: Aggregate) -> str:
        return (
            f"{label:<34} {agg.cases:>5} {agg.errors:>4}"
            f" {_pct(agg.recall_5):>6} {_pct(agg.recall_10):>6} {_pct(agg.category_accuracy):>7}"
            f" {_pct(agg.citation_validity):>7} {agg.reply_failures:>6} {agg.reply_lint_failures:>5}"
            f" {agg.passed:>5} {agg.wall_s:6.2f}s"
        )

    lines += [head2, "-" * len(head2)]
    lines += [row("tag:" + agg.name, agg) for agg in summary.by_tag.values()]
    if summary.by_category:
        lines += ["", f"{'by expected category':<34}", "-" * len(head2)]
        lines += [row("category:" + agg.name, agg) for agg in summary.by_category.values()]
        lines.append("-" * len(head2))
    lines.append(row("OVERALL", summary.overall))
    o = summary.overall
    lines.append(
        f"category accuracy {_pct(o.category_accuracy).strip()}, recall@5 {_pct(o.recall_5).strip()},"
        f" recall@10 {_pct(o.recall_10).strip()}, citation validity {_pct(o.citation_validity).strip()},"
        f" reply failures {o.reply_failures}, reply-lint failures {o.reply_lint_failures},"
        f" errors {o.errors}, passed {o.passed}/{o.cases}"
    )
    lines.append(f"total wall time {summary.wall_s:.2f}s")
    return "\n".join(lines)


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "cases": [{**asdict(r), "passed": r.passed} for r in summary.cases],
        "by_tag": {k: asdict(v) for k, v in summary.by_tag.items()},
        "by_category": {k: asdict(v) for k, v in summary.by_category.items()},
        "overall": asdict(summary.overall),
        "wall_s": summary.wall_s,
    }
