"""Drain log template mining (He et al., ICWS'17): a fixed-depth tree keyed by token count,
then the first tokens; a line joins the most similar cluster in its leaf (share of equal
non-wildcard tokens >= similarity), whose template gets `<*>` where tokens differ.

Memory: with `max_clusters` set, once reached a new line joins the closest cluster of its
leaf whatever the similarity, or else a single overflow cluster (template `<*>`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WILD = "<*>"
DEFAULT_MASKS: tuple[tuple[str, str], ...] = (
    (r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "<TS>"),
    (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<UUID>"),
    (r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "<EMAIL>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<IP>"),
    (r"\b[A-Za-z]{2,8}_(?=[A-Za-z]*\d)[A-Za-z0-9]+\b", "<ID>"),
    (r"\b(?:0x)?[0-9a-fA-F]{8,}\b", "<HEX>"),
    (r"\"[^\"]{0,200}\"|'[^']{0,200}'", "<STR>"),
    (r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])", "<NUM>"),
)


@dataclass(frozen=True)
class DrainSettings:
    similarity: float = 0.5
    depth: int = 4
    max_children: int = 100
    max_clusters: int | None = None
    masks: tuple[tuple[str, str], ...] = DEFAULT_MASKS
    anchors: str | None = None
    """Tokens matching this pattern never become `<*>`: lines that differ in one (an error
    code, say) never share a cluster."""


@dataclass
class Cluster:
    id: int
    tokens: list[str]
    size: int = 0

    @property
    def template(self) -> str:
        return " ".join(self.tokens)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    clusters: list[Cluster] = field(default_factory=list)


def _is_wild(token: str) -> bool:
    return token.startswith("<") and token.endswith(">")


class Drain:
    def __init__(self, settings: DrainSettings = DrainSettings()) -> None:
        self.settings = settings
        self._masks = [(re.compile(p), r) for p, r in settings.masks]
        self._anchor = re.compile(settings.anchors) if settings.anchors else None
        self._root = _Node()
        self._clusters: list[Cluster] = []
        self._overflow: Cluster | None = None

    @property
    def clusters(self) -> list[Cluster]:
        return list(self._clusters) + ([self._overflow] if self._overflow else [])

    def tokens(self, message: str) -> list[str]:
        for pattern, repl in self._masks:
            message = pattern.sub(repl, message)
        return message.split()

    def _leaf(self, tokens: list[str], create: bool) -> _Node | None:
        node = self._root.children.get(str(len(tokens)))
        if node is None:
            if not create:
                return None
            node = self._root.children[str(len(tokens))] = _Node()
        for token in tokens[: max(self.settings.depth - 2, 1)]:
            key = WILD if any(c.isdigit() for c in token) or _is_wild(token) else token
            nxt = node.children.get(key) or node.children.get(WILD)
            if nxt is None:
                if not create:
                    return None
                full = len(node.children) >= self.settings.max_children - 1
                key = WILD if full else key
                nxt = node.children.setdefault(key, _Node())
            node = nxt
        return node

    def cluster(self, cluster_id: int) -> Cluster:
        if self._overflow is not None and cluster_id == self._overflow.id:
            return self._overflow
        return self._clusters[cluster_id - 1]

    def _anchored_apart(self, a: list[str], b: list[str]) -> bool:
        anchor = self._anchor
        if anchor is None:
            return False
        return any(
            x != y and (anchor.fullmatch(x) or anchor.fullmatch(y))
            for x, y in zip(a, b, strict=True)
        )

    def _best(self, leaf: _Node, tokens: list[str], threshold: float) -> Cluster | None:
        best, best_sim, best_wild = None, -1.0, -1
        for c in leaf.clusters:
            if self._anchored_apart(c.tokens, tokens):
                continue
            same = sum(
                1 for a, b in zip(c.tokens, tokens, strict=True) if a == b and not _is_wild(a)
            )
            wild = sum(1 for a in c.tokens if _is_wild(a))
            sim = same / len(tokens) if tokens else 1.0
            if sim > best_sim or (sim == best_sim and wild > best_wild):
                best, best_sim, best_wild = c, sim, wild
        return best if best is not None and best_sim >= threshold else None

    def match(self, message: str) -> Cluster | None:
        tokens = self.tokens(message)
        leaf = self._leaf(tokens, create=False)
        return self._best(leaf, tokens, self.settings.similarity) if leaf else None

    def add(self, message: str) -> Cluster:
        return self.add_tokens(self.tokens(message))

    def add_tokens(self, tokens: list[str]) -> Cluster:
        """Learn a line already masked and split (see `tokens`)."""
        leaf = self._leaf(tokens, create=True)
        assert leaf is not None
        cluster = self._best(leaf, tokens, self.settings.similarity)
        limit = self.settings.max_clusters
        if cluster is None and limit is not None and len(self._clusters) >= limit:
            cluster = self._best(leaf, tokens, 0.0)
            if cluster is None:
                if self._overflow is None:
                    self._overflow = Cluster(id=len(self._clusters) + 1, tokens=[WILD])
                self._overflow.size += 1
                return self._overflow
        if cluster is None:
            cluster = Cluster(id=len(self._clusters) + 1, tokens=tokens)
            leaf.clusters.append(cluster)
            self._clusters.append(cluster)
        else:
            cluster.tokens = [
                a if a == b else WILD for a, b in zip(cluster.tokens, tokens, strict=True)
            ]
        cluster.size += 1
        return cluster
