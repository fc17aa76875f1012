"""Text relevance between a ticket and records such as bug reports.

`terms()` turns bug-tracker text into index terms: JIRA/Markdown markup, links, user mentions,
stack-frame and log-prefix noise are stripped; identifiers count whole and in parts
(`org.apache.hadoop.hdfs.DFSClient` → the whole name, `hdfs`, `dfsclient`, `dfs`, `client`);
stop words go and plain words are Porter-stemmed. `Index` is BM25F over named fields (a title
weighs more than a body), built once and queried in milliseconds; `bm25()` scores one query
against plain strings. Defaults were tuned on the GitBugs-Hadoop train split
(benchmarks/gitbugs_recall.py).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

MAX_TEXT = 200_000  # characters analysed per text; the rest of a huge body is ignored

_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each
    either etc few for from further get gets got had has have having he her here hers him his how
    i if in into is it its itself just let me more most my no nor not now of off on once only or
    other our ours out over own per same she should since so some such than that the their them
    then there these they this those through thus to too under until up upon us very via was we
    were what when where which while who whom why will with would yet you your""".split()
)

# Markup and noise, removed before tokenising: block tags, user mentions, headings, stack frames
# ("at a.b.C.m(C.java:1)", "... 5 more"), web links. Dates and times are dropped as words.
_TAGS = re.compile(
    r"\{(?:code|noformat|quote|panel|color|html|anchor)(?::[^}\n]*)?\}|\[~[^\]\n]*\]"
)
_LINE_NOISE = re.compile(r"\n[ \t]*(?:h[1-6]\.(?=[ \t])|\.\.\.[ \t]*\d+[ \t]+more\b)")
# Stack frames of runtimes, test harnesses and common libraries rather than the product's own code
# ("at java.lang.Thread.run(Thread.java:748)", Python frames under site-packages or the stdlib).
_FRAME = re.compile(
    r"at[ \t]+(?:java|javax|jdk|sun|com\.sun|org\.junit|junit|org\.testng|org\.mockito|scala|kotlin"
    r"|org\.eclipse\.jetty|io\.netty|com\.google|org\.springframework|org\.apache\.maven"
    r"|com\.amazonaws|software\.amazon|org\.apache\.http|org\.apache\.zookeeper|org\.apache\.commons"
    r"|com\.fasterxml|org\.slf4j|org\.apache\.log4j|org\.apache\.logging)\."
    r"[\w$.<>/]*\((?:[\w$.-]+\.(?:java|scala|kt)(?::\d+)?|Native Method|Unknown Source)\)"
    r'|File "[^"\n]*(?:site-packages|dist-packages|/lib/python)[^"\n]*", line \d+, in [\w<>]+'
)
_URL = re.compile(r"(?:https?|ftp|HTTPS?)://\S+")
# [text|url] (JIRA) and [text](url) (Markdown) keep their text.
_LINK = re.compile(r"\[([^\]|\n]*)\|[^\]\n]*\]|!?\[([^\]\n]*)\]\([^)\n]*\)")
_VERSION = re.compile(r"\d+(?:\.\d+)+")
_WORD = re.compile(r"\d+(?::\d+)+(?:[.,]\d+)?|[^\W_](?:[\w.#$\-]*[^\W_])?")  # clock times first
_SEGMENT = re.compile(r"[_\-#$/]+")
_CAMEL = re.compile(r"[A-Z0-9]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z0-9]+|[^\W\d_]+")


# Porter (1980) stemmer, compact: plain words only (identifiers and numbers are kept as written).
_STEP2 = dict(
    rule.split(":")
    for rule in """ational:ate tional:tion enci:ence anci:ance izer:ize bli:ble alli:al entli:ent
    eli:e ousli:ous ization:ize ation:ate ator:ate alism:al iveness:ive fulness:ful ousness:ous
    aliti:al iviti:ive biliti:ble logi:log""".split()
)
_STEP3 = dict(
    rule.split(":") for rule in "icate:ic ative: alize:al iciti:ic ical:ic ful: ness:".split()
)
_STEP4 = frozenset(
    "al ance ence er ic able ible ant ement ment ent ion ou ism ate iti ous ive ize".split()
)


def _forms(w: str) -> str:
    """'c' or 'v' per letter: y is a vowel after a consonant."""
    out = []
    prev = "v"
    for ch in w:
        kind = "v" if ch in "aeiou" or (ch == "y" and prev == "c") else "c"
        out.append(kind)
        prev = kind
    return "".join(out)


def _measure(w: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in `w`."""
    return _forms(w).count("vc")


def _has_vowel(w: str) -> bool:
    return "v" in _forms(w)


def _double(w: str) -> bool:
    return len(w) > 1 and w[-1] == w[-2] and _forms(w)[-1] == "c"


def _cvc(w: str) -> bool:
    return len(w) > 2 and _forms(w).endswith("cvc") and w[-1] not in "wxy"


def _suffix(w: str, suffixes: Container[str]) -> str:
    """The longest of `suffixes` that `w` ends with (rules are tried longest first), or ""."""
    for n in range(min(7, len(w) - 1), 1, -1):
        if w[-n:] in suffixes:
            return w[-n:]
    return ""


def _replace(w: str, rules: Mapping[str, str]) -> str:
    suffix = _suffix(w, rules)
    if suffix and _measure(w[: -len(suffix)]) > 0:
        return w[: -len(suffix)] + rules[suffix]
    return w


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Porter stem of a lower-case word: `connections` → `connect`, `failing` → `fail`."""
    w = word
    if len(w) <= 2 or not w.isalpha():
        return w
    # 1a: plurals
    if w.endswith("sses") or w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    # 1b: -eed, -ed, -ing
    if w.endswith("eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    else:
        for suffix in ("ed", "ing"):
            if w.endswith(suffix) and _has_vowel(w[: -len(suffix)]):
                w = w[: -len(suffix)]
                if w.endswith(("at", "bl", "iz")):
                    w += "e"
                elif _double(w) and w[-1] not in "lsz":
                    w = w[:-1]
                elif _measure(w) == 1 and _cvc(w):
                    w += "e"
                break
    # 1c: -y → -i
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    w = _replace(w, _STEP2)
    w = _replace(w, _STEP3)
    suffix = _suffix(w, _STEP4)
    if suffix:
        base = w[: -len(suffix)]
        if _measure(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
            w = base
    # 5: final -e, double l
    if w.endswith("e"):
        base = w[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _cvc(base)):
            w = base
    if w.endswith("ll") and _measure(w) > 1:
        w = w[:-1]
    return w


def strip_markup(text: str) -> str:
    """The prose of JIRA/Markdown text: no tags, links, mentions, stack frames or log stamps."""
    text = text[:MAX_TEXT]
    if "[" in text:
        text = _LINK.sub(lambda m: f" {m.group(1) or m.group(2) or ''} ", text)
    if "://" in text:
        text = _URL.sub(" ", text)
    if "{" in text or "[~" in text:
        text = _TAGS.sub(" ", text)
    if "(" in text or 'File "' in text:
        text = _FRAME.sub(" ", text)
    return _LINE_NOISE.sub("\n", "\n" + text)


def _atom(part: str, stemmed: bool) -> str | None:
    low = part.casefold()
    if len(low) < 2 or low in _STOP or low.isdigit():
        return None
    return stem(low) if stemmed and low.isalpha() else low


def _word_terms(word: str, stemmed: bool) -> tuple[str, ...]:
    """Terms of one maximal word: the whole identifier first, then its parts; versions such as
    `4.1.46` also count as their `major.minor` (`4.1`)."""
    if word.isalpha() and (word.islower() or len(_CAMEL.findall(word)) == 1):
        term = _atom(word, stemmed)  # the common case: a plain word
        return (term,) if term else ()
    if ":" in word:  # a clock time such as 13:35:29,528
        return ()
    if word.isdigit():  # a standalone number: a status code, port or size, not a part
        return (word,) if 3 <= len(word) <= 6 else ()
    segments = [s for s in _SEGMENT.split(word) if s]
    pieces = [p for s in segments for p in s.split(".") if p]
    if len(pieces) > 1 and "." not in word and all(p.isdigit() for p in pieces):
        return ()  # dates and times
    out: dict[str, None] = {}  # insertion-ordered set
    if len(pieces) > 1 and any(len(p) > 1 for p in pieces):
        out[word.casefold()] = None
    for seg in segments:
        if "." in seg and seg != word:
            out[seg.casefold()] = None
        if "." in seg:
            for version in _VERSION.findall(seg):
                out[version] = None
                out[".".join(version.split(".")[:2])] = None
        for piece in seg.split("."):
            plain = piece.isdigit() or (piece.isalpha() and piece.islower())
            camel = [piece] if plain else _CAMEL.findall(piece)
            if len(camel) > 1 and not piece.isdigit():
                out[piece.casefold()] = None
            for part in camel:
                term = _atom(part, stemmed)
                if term:
                    out[term] = None
    return tuple(out)


_CACHE: tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] = ({}, {})


def _analyse(text: str, stemmed: bool) -> list[str]:
    cache = _CACHE[stemmed]
    if len(cache) > 300_000:
        cache.clear()
    words = _WORD.findall(strip_markup(text))
    for word in {w for w in words if w not in cache}:
        cache[word] = _word_terms(word, stemmed)
    try:
        return [t for w in words for t in cache[w]]
    except KeyError:  # another thread cleared the cache meanwhile
        return [t for w in words for t in _word_terms(w, stemmed)]


def terms(text: str) -> list[str]:
    """Index terms of `text`: markup stripped, identifiers whole and split, stemmed, no stop words."""
    return _analyse(text, True)


def tokens(text: str) -> list[str]:
    """Like `terms` but unstemmed: the words as written, lower-cased."""
    return _analyse(text, False)


Postings = dict[str, tuple[list[int], list[float]]]  # term -> (documents, contributions)
Query = str | Mapping[str, str]  # plain text, or field name -> text (a ticket's title and body)


@dataclass(frozen=True)
class Params:
    """BM25F parameters. Defaults tuned on GitBugs-Hadoop train (see benchmarks/gitbugs_recall.py).

    `weights` and `b` are per document field; `query_weights` scale the query's own fields (a
    plain-text query is one "body" field); `k3` saturates terms repeated in the query (0: each
    term once). `field_match` adds, per field, a plain BM25 of the query's field against the
    document's same field (title against title), times the given weight.
    """

    k1: float = 1.5
    b: Mapping[str, float] = field(default_factory=lambda: {"title": 1.0, "body": 0.9})
    weights: Mapping[str, float] = field(default_factory=lambda: {"title": 8.0, "body": 1.0})
    query_weights: Mapping[str, float] = field(default_factory=lambda: {"title": 1.5, "body": 1.0})
    k3: float = 4.0
    field_match: Mapping[str, float] = field(default_factory=dict)


DEFAULT = Params()


class Index:
    """BM25F over documents with named fields, built once, queried many times.

    `docs` are mappings of field name to text; fields outside `params.weights` weigh 1.0.
    Each term's per-document contribution is precomputed, so a query costs one pass over the
    postings of its terms.
    """

    def __init__(self, docs: Sequence[Mapping[str, str]], params: Params = DEFAULT) -> None:
        self._build([{f: terms(t or "") for f, t in d.items()} for d in docs], params)

    @classmethod
    def from_terms(
        cls, docs: Sequence[Mapping[str, Sequence[str]]], params: Params = DEFAULT
    ) -> Index:
        """An index over already-analysed documents (saves re-analysing when tuning)."""
        self = cls.__new__(cls)
        self._build(docs, params)
        return self

    def _build(self, docs: Sequence[Mapping[str, Sequence[str]]], params: Params) -> None:
        self.params = params
        self.size = len(docs)
        self._postings = _postings(docs, params)
        self._field_postings = {
            f: _postings(
                [{f: d.get(f, ())} for d in docs],
                Params(k1=params.k1, b={f: params.b.get(f, 0.75)}, weights={f: 1.0}),
            )
            for f, w in params.field_match.items()
            if w > 0
        }

    def scores(self, query: Query) -> list[float]:
        """One score per document, in order; 0.0 when no query term occurs in it."""
        out = [0.0] * self.size
        for doc, score in self._score(query).items():
            out[doc] = score
        return out

    def search(
        self, query: Query, k: int = 10, exclude: Iterable[int] = ()
    ) -> list[tuple[int, float]]:
        """The `k` best (document number, score) pairs with a score above zero, best first."""
        acc = self._score(query)
        for doc in exclude:
            acc.pop(doc, None)
        return heapq.nsmallest(k, acc.items(), key=lambda item: (-item[1], item[0]))

    def _query_weights(
        self, fields: Mapping[str, Sequence[str]], only: str | None = None
    ) -> dict[str, float]:
        p = self.params
        counts: dict[str, float] = {}
        for name, ts in fields.items():
            if only is not None and name != only:
                continue
            w = 1.0 if only is not None else p.query_weights.get(name, 1.0)
            for term in ts:
                counts[term] = counts.get(term, 0.0) + w
        return {t: _saturate(c, p.k3) for t, c in counts.items()}

    def _score(self, query: Query) -> dict[int, float]:
        fields = _query_fields(query)
        acc: dict[int, float] = {}
        _accumulate(self._postings, self._query_weights(fields), 1.0, acc)
        for f, postings in self._field_postings.items():
            if f in fields:
                _accumulate(
                    postings, self._query_weights(fields, only=f), self.params.field_match[f], acc
                )
        return acc


def _query_fields(query: Query) -> dict[str, list[str]]:
    return (
        {"body": terms(query)}
        if isinstance(query, str)
        else {f: terms(t or "") for f, t in query.items()}
    )


def _accumulate(
    postings: Postings, weights: Mapping[str, float], scale: float, acc: dict[int, float]
) -> None:
    get = acc.get
    for term, qw in weights.items():
        entry = postings.get(term)
        if entry is None:
            continue
        w = qw * scale
        for doc, contribution in zip(*entry, strict=True):
            acc[doc] = get(doc, 0.0) + w * contribution


def _saturate(count: float, k3: float) -> float:
    return (k3 + 1) * count / (k3 + count) if k3 > 0 else 1.0


def _postings(docs: Sequence[Mapping[str, Sequence[str]]], p: Params) -> Postings:
    names = sorted({f for d in docs for f in d})
    n = len(docs) or 1
    avg = {f: (sum(len(d.get(f, ())) for d in docs) / n) or 1.0 for f in names}
    pseudo: Postings = {}  # contributions hold the field-weighted, length-normalised tf for now
    for i, d in enumerate(docs):
        merged: dict[str, float] = {}
        for f, ts in d.items():
            if not ts:
                continue
            b = p.b.get(f, 0.75)
            norm = p.weights.get(f, 1.0) / (1 - b + b * len(ts) / avg[f])
            if not merged:
                merged = {term: count * norm for term, count in Counter(ts).items()}
                continue
            for term, count in Counter(ts).items():
                merged[term] = merged.get(term, 0.0) + count * norm
        for term, tf in merged.items():
            if tf > 0:
                entry = pseudo.get(term)
                if entry is None:
                    pseudo[term] = ([i], [tf])
                else:
                    entry[0].append(i)
                    entry[1].append(tf)
    k1 = p.k1
    for ids, tfs in pseudo.values():
        df = len(ids)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        tfs[:] = [idf * tf / (k1 + tf) for tf in tfs]
    return pseudo


def bm25(query: str, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """One BM25 score per plain-text document; 0 means no query term occurs in it."""
    if not documents:
        return []
    params = Params(k1=k1, b={"body": b}, weights={"body": 1.0}, query_weights={"body": 1.0}, k3=0)
    scores = Index([{"body": d} for d in documents], params).scores(query)
    return [s * (k1 + 1) for s in scores]  # classic BM25 scale: tf·(k1+1)/(tf+k1·norm)
