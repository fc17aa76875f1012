"""Block scanning for `log_file`: large reads, candidate lines found in one pass over each
block, widened to whole records (`Records`: a stack trace stays joined to the line that starts
it, across block boundaries too), and seeking by time in time-ordered files. The file's
`logformats.LogFormat` says what a record is; the caller passes the function that reads a
line's time.

Candidates are the lines that contain one of the entity strings (ASCII case-insensitive) or a
level/error marker (`LEVEL_MARKERS`); every other line is skipped without being split out or
decoded. With Hyperscan installed (x86-64), all patterns run in one SIMD pass over the block
(about 2× the speed of `grep -c -i -F`); without it, one compiled `re` alternation does the
same at about a tenth of the speed.
"""

from __future__ import annotations

import bisect
import gzip
import importlib
import itertools
import re
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO, Any

from investigate.sdk import logformats

_UNLOADED: Any = object()
hyperscan: Any = _UNLOADED
"""The Hyperscan module, imported on first use (~10 ms); None where it cannot be (a platform
without wheels: the `re` path gives the same lines, slower)."""


def accelerated() -> bool:
    """True when Hyperscan is available (importing it the first time)."""
    global hyperscan
    if hyperscan is _UNLOADED:
        try:
            hyperscan = importlib.import_module("hyperscan")
        except ImportError:  # pragma: no cover - platform without wheels
            hyperscan = None
    return hyperscan is not None


BLOCK_BYTES = 1 << 22
"""Bytes read at a time (4 MiB): large enough that per-block costs vanish, small enough that
memory stays flat."""
ORDER_SLACK = timedelta(minutes=10)
"""Lines of a "time-ordered" file may be this much out of order (several writers)."""
PROBES = 9
"""Lines sampled across a file to decide whether it is time-ordered."""
PROBE_BYTES = 1 << 16

LEVEL_MARKERS = logformats.LEVEL_MARKERS
"""A line with none of these (matched case-insensitively) is never warning or worse in any
format `logformats` reads (its tests hold this over every fixture)."""


class Finder:
    """Offsets of candidate lines in a block: `Finder([b"acc_1042"]).lines(block)`.

    Whether a line is a candidate depends on that line alone (a marker or entity string ending
    within its first `limit` bytes), never on where the blocks begin: so a batch can find the
    level-marker lines of a file once (`LevelIndex`, passed as `shared`) and give every ticket
    the same lines its own scan would find, scanning only for its entity strings itself."""

    def __init__(
        self,
        needles: Sequence[bytes],
        *,
        accelerate: bool = True,
        limit: int = 1 << 62,
        shared: LevelIndex | None = None,
        markers: tuple[bytes, ...] = LEVEL_MARKERS,
    ) -> None:
        self.entities = tuple(re.escape(n) for n in needles if n)
        self.patterns = self.entities + markers
        self.limit = limit
        fast = accelerate and accelerated()
        # Two databases: the level markers' is the same for every ticket (compiled once per
        # process), the entities' is small literals (cheap to compile per ticket).
        same = shared is not None and shared.limit == limit and shared.markers == markers
        self.shared = shared if fast and same else None
        wanted = (self.entities,) if self.shared is not None else (self.entities, markers)
        self._hs = [_hs_database(p) for p in wanted if p] if fast else []
        self._scratch: dict[tuple[int, int], Any] = {}
        self._re = _re_alternation(self.patterns) if not fast else None

    @property
    def engine(self) -> str:
        return "hyperscan" if self._hs or self.shared is not None else "re"

    def lines(self, block: Block, at: int = 0) -> list[tuple[int, int, bool]]:
        """(start, end, may_mention_an_entity) of each candidate line, in order; `end`
        excludes the newline. A False flag means only a level marker was found. `at` is the
        block's offset in the file (used with a shared `LevelIndex`)."""
        if self.shared is not None:
            buf, size = _searchable(block), len(block)
            named = _spans(buf, size, self._hs_ends(block), self.limit) if self._hs else []
            levels = self.shared.starts(block, at)
            return _merged(buf, size, named, levels)
        if self._hs:
            return _spans(_searchable(block), len(block), self._hs_ends(block), self.limit)
        assert self._re is not None
        out: list[tuple[int, int, bool]] = []
        low = bytes(block).lower()  # ASCII-only, so offsets are the block's
        pos, size, search = 0, len(block), self._re.search
        while pos < size:
            found = search(low, pos)
            if found is None:
                break
            start = low.rfind(b"\n", 0, found.start()) + 1
            # a match that ends on the newline (`[,}` + whitespace) belongs to the line it ends
            end = low.find(b"\n", max(found.end() - 1, found.start()))
            end = size if end < 0 else end
            out.append((start, end, True))
            pos = end + 1
        return out

    def _hs_ends(self, block: Block) -> list[tuple[int, bool]]:
        ends: list[tuple[int, bool]] = []
        add = ends.append
        me = threading.get_ident()
        for db in self._hs:
            entity = db is self._hs[0] and bool(self.entities)

            def on_match(
                _id: int, _from: int, to: int, _flags: int, _ctx: object, entity: bool = entity
            ) -> None:
                add((to, entity))

            scratch = self._scratch.get((me, id(db)))
            if scratch is None:  # scratch space is per thread and database
                scratch = self._scratch[(me, id(db))] = hyperscan.Scratch(db)
            db.scan(block, match_event_handler=on_match, scratch=scratch)
        return ends


MAX_INDEXED_LINES = 4_000_000
"""Level-marker line offsets a `LevelIndex` keeps (8 bytes each); past that, uncovered parts
of the file are scanned for each ticket, as without an index."""
MAX_KEPT_LINES = 100_000
"""Parsed lines a `LevelIndex` keeps (a few hundred bytes each); past that it stops keeping
them and tickets parse their candidates themselves (still once per run, `LogFile._parsed`)."""

Buffer = bytes | bytearray | Any
"""Bytes with find/rfind and slicing: a block's buffer, or an `mmap` of the whole file."""


class Coverage:
    """Disjoint, sorted, merged [start, end) byte ranges of a file already scanned."""

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []

    def gaps(self, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of [start, end) not covered yet, in order."""
        gaps = []
        pos = start
        i = max(bisect.bisect_right(self._ranges, (start, 1 << 62)) - 1, 0)
        for a, b in self._ranges[i:]:
            if a >= end:
                break
            if b <= pos:
                continue
            if a > pos:
                gaps.append((pos, a))
            pos = max(pos, b)
            if pos >= end:
                break
        if pos < end:
            gaps.append((pos, end))
        return gaps

    def add(self, start: int, end: int) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted([*self._ranges, (start, end)]):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._ranges = merged


class LevelIndex:
    """The level-marker lines of one version of one file, found once per batch: the byte
    ranges read so far and the offsets of the lines in them that contain a match of the
    format's `markers` within their first `limit` bytes. Tickets read different ranges (their own
    baseline and window); each part of the file is scanned for level markers once, by
    whichever ticket reads it first. Thread-safe (tickets scan in threads).

    With `parse` (single-line formats), the level-marker lines are also parsed when found and
    those `keep` accepts are kept by offset (`kept`), so a ticket takes them as they are and
    parses only the lines that name its own entities."""

    def __init__(
        self,
        limit: int,
        parse: Callable[[bytes], Any] | None = None,
        keep: Callable[[Any], bool] | None = None,
        markers: tuple[bytes, ...] = LEVEL_MARKERS,
    ) -> None:
        self.limit, self.markers = limit, markers
        self._parse, self._keep = parse, keep
        self._covered = Coverage()
        self._starts = array("q")
        """Sorted file offsets of the level-marker lines in the covered ranges."""
        self._kept_at = array("q")
        self._kept: list[Any] = []
        """Parsed level-marker lines that `keep` accepts, and their offsets, sorted."""
        self.parsing = parse is not None
        """Whether every covered range has its lines parsed and kept (False once full)."""
        self._lock = threading.Lock()
        self._scratch: dict[int, Any] = {}
        self.scanned = 0
        """Bytes scanned for level markers (each byte at most once while the index has room)."""

    def starts(self, block: Block, at: int) -> list[int]:
        """Block-relative starts of the level-marker lines of `block` (whole lines read from
        file offset `at`), scanning the parts of it no earlier block covered."""
        extra = self.cover(_searchable(block), len(block), at, at, at + len(block))
        return self._lookup(at, len(block), extra)

    def cover(self, buf: Buffer, size: int, at: int, start: int, end: int) -> list[int]:
        """Scan the parts of file range [start, end) not covered yet; `buf[i]` is the file's
        byte `at + i`, `buf[:size]` holds whole lines and `start` is a line's start. Returns
        the starts found that the index had no room for (absolute)."""
        overflow: list[int] = []
        with self._lock:
            for gap_start, gap_end in self._covered.gaps(start, end):
                begin = gap_start - at
                if begin > start - at and buf[begin - 1] != 10:  # mid-line: from the next line
                    newline = buf.find(b"\n", begin, size)
                    begin = size if newline < 0 else newline + 1
                stop = gap_end - at
                if begin >= stop:
                    continue
                found = self._scan(buf, size, begin, stop)
                self.scanned += stop - begin
                if len(self._starts) + len(found) > MAX_INDEXED_LINES:
                    overflow += [at + s for s in found]  # stays uncovered
                    continue
                kept: list[tuple[int, Any]] = []
                if self.parsing and self._parse is not None and self._keep is not None:
                    parse, keep = self._parse, self._keep
                    for s in found:
                        newline = buf.find(b"\n", s, size)
                        line = parse(line_at(buf, s, size if newline < 0 else newline, self.limit))
                        if keep(line):
                            kept.append((at + s, line))
                    if len(self._kept) + len(kept) > MAX_KEPT_LINES:
                        self.parsing, self._kept, self._kept_at = False, [], array("q")
                        kept = []
                self._add(gap_start, gap_end, [at + s for s in found], kept)
        return overflow

    def covers(self, start: int, end: int) -> bool:
        """Whether [start, end) has been scanned in full already."""
        with self._lock:
            return not self._covered.gaps(start, end)

    def kept(self, start: int, end: int) -> tuple[Sequence[int], list[Any]]:
        """The kept parsed lines starting in [start, end), and their offsets, in file order
        (only meaningful while `parsing` and the range is covered)."""
        with self._lock:
            lo = bisect.bisect_left(self._kept_at, start)
            hi = bisect.bisect_left(self._kept_at, end)
            return self._kept_at[lo:hi], self._kept[lo:hi]

    def _lookup(self, at: int, size: int, extra: list[int]) -> list[int]:
        with self._lock:
            lo = bisect.bisect_left(self._starts, at)
            hi = bisect.bisect_left(self._starts, at + size)
            found = [s - at for s in self._starts[lo:hi]]
        if extra:
            found = sorted(set(found).union(s - at for s in extra))
        return found

    def _add(self, start: int, end: int, starts: list[int], kept: list[tuple[int, Any]]) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts[i:i] = array("q", starts)
        if kept:
            i = bisect.bisect_left(self._kept_at, start)
            self._kept_at[i:i] = array("q", [k[0] for k in kept])
            self._kept[i:i] = [k[1] for k in kept]
        self._covered.add(start, end)

    def _scan(self, buf: Buffer, size: int, begin: int, end: int) -> list[int]:
        """Starts of the level-marker lines among the whole lines `buf[begin:end]`."""
        db = _hs_database(self.markers)
        scratch = self._scratch.get(id(db))
        if scratch is None:
            scratch = self._scratch[id(db)] = hyperscan.Scratch(db)
        ends: list[tuple[int, bool]] = []
        add = ends.append

        def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            add((begin + to, False))

        with memoryview(buf) as whole, whole[begin:end] as part:
            db.scan(part, match_event_handler=on_match, scratch=scratch)
        return [start for start, _, _ in _spans(buf, size, ends, self.limit)]


def scan_entities(finder: Finder, buf: Buffer, start: int, end: int) -> list[tuple[int, int, bool]]:
    """`finder`'s entity lines among the whole lines `buf[start:end]` (an mmap: offsets are
    the file's), as `Finder.lines` finds them."""
    if not finder._hs:
        return []
    with memoryview(buf) as whole, whole[start:end] as part:
        ends = [(start + to, entity) for to, entity in finder._hs_ends(part)]
    return _spans(buf, end, ends, finder.limit)


MAX_PLANNED_VALUES = 50_000
"""Entity values an `EntityIndex` looks for at once; a larger batch scans per ticket."""
MAX_PLANNED_HITS = 4_000_000
"""Match ends an `EntityIndex` keeps (8 bytes each); past that, tickets scan for themselves."""


class EntityIndex:
    """The entity strings of every ticket of a batch (known before its first investigation),
    found in one file version in one Hyperscan pass per part of the file, by whichever ticket
    reads the part first: each value's match ends are kept, and a ticket takes those of its
    own values in its own range. The lines it gets are exactly those `scan_entities` finds
    with the ticket's own `Finder` (same patterns and flags; a match ends where it ends
    whatever else is searched for). Thread-safe."""

    def __init__(self, values: Sequence[str], limit: int) -> None:
        self.values = {v.encode(): i for i, v in enumerate(values)}
        self.limit = limit
        self.usable = bool(values) and len(values) <= MAX_PLANNED_VALUES
        self._ends: list[array[int]] = [array("q") for _ in values]
        self._covered = Coverage()
        self._lock = threading.Lock()
        self._db: Any = None
        self._scratch: Any = None
        self._hits = 0
        self.scanned = 0
        """Bytes scanned (each byte of the file at most once)."""

    def lines(
        self, buf: Buffer, begin: int, end: int, wanted: Sequence[bytes]
    ) -> list[tuple[int, int, bool]] | None:
        """The lines among the whole lines `buf[begin:end]` (`buf` the mapped file) that name
        one of `wanted`, as `scan_entities` gives them; None when a value was not planned or
        the index is full (the ticket then scans for itself)."""
        ids = [self.values.get(v) for v in wanted]
        if not self.usable or any(i is None for i in ids):
            return None
        with self._lock:
            for gap_start, gap_end in self._covered.gaps(begin, end):
                if not self._scan(buf, gap_start, gap_end):
                    self.usable = False
                    return None
            ends: list[tuple[int, bool]] = []
            for i in ids:
                assert i is not None
                found = self._ends[i]
                lo, hi = bisect.bisect_right(found, begin), bisect.bisect_right(found, end)
                ends += [(to, True) for to in found[lo:hi]]
        return _spans(buf, end, ends, self.limit)

    def _scan(self, buf: Buffer, start: int, end: int) -> bool:
        if self._db is None:  # one compile for the batch (a few ms for thousands of values)
            self._db = _hs_database.__wrapped__(tuple(re.escape(v) for v in self.values))
            self._scratch = hyperscan.Scratch(self._db)
        db = self._db
        hits: list[tuple[int, int]] = []
        add = hits.append

        def on_match(value: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            add((value, start + to))

        with memoryview(buf) as whole, whole[start:end] as part:
            db.scan(part, match_event_handler=on_match, scratch=self._scratch)
        self.scanned += end - start
        self._hits += len(hits)
        if self._hits > MAX_PLANNED_HITS:
            return False
        hits.sort()
        for value, group in itertools.groupby(hits, key=lambda h: h[0]):
            found = self._ends[value]
            to = [h[1] for h in group]
            at = bisect.bisect_left(found, to[0])
            found[at:at] = array("q", to)
        self._covered.add(start, end)
        return True


def _merged(
    buf: bytes | bytearray, size: int, named: list[tuple[int, int, bool]], levels: list[int]
) -> list[tuple[int, int, bool]]:
    """Entity lines (flagged True) and level-marker lines (by start) as one list in order, a
    line in both once, flagged True."""
    out: list[tuple[int, int, bool]] = []
    i = 0
    for start in levels:
        while i < len(named) and named[i][0] < start:
            out.append(named[i])
            i += 1
        if i < len(named) and named[i][0] == start:
            out.append(named[i])
            i += 1
            continue
        end = buf.find(b"\n", start, size)
        out.append((start, size if end < 0 else end, False))
    out.extend(named[i:])
    return out


def _searchable(block: Block) -> bytes | bytearray:
    """Something with find/rfind over the block's bytes, at the same offsets (a view of a
    buffer starts at the buffer's first byte; see `blocks`)."""
    if isinstance(block, memoryview):
        assert isinstance(block.obj, bytes | bytearray)
        return block.obj
    return block


def _spans(
    block: bytes | bytearray, size: int, ends: list[tuple[int, bool]], limit: int = 1 << 62
) -> list[tuple[int, int, bool]]:
    """Match ends → (start, end, entity) of the lines they fall in, each line once. A match
    belongs to the line holding its last byte (a match that ends on a newline, `[,}` + whitespace, to
    the line that newline ends), and counts only within the line's first `limit` bytes (the
    part of the line that is read): so whether a line is a candidate never depends on where
    the block around it begins."""
    out: list[tuple[int, int, bool]] = []
    for to, entity in sorted(ends):
        last = to - 1
        if last < 0:
            continue
        if out and last <= out[-1][1]:  # another hit in the line taken last
            if entity and not out[-1][2] and last - out[-1][0] < limit:
                out[-1] = (out[-1][0], out[-1][1], True)
            continue
        start = block.rfind(b"\n", 0, last) + 1
        if last - start >= limit:
            continue
        end = block.find(b"\n", last, size)
        out.append((start, size if end < 0 else end, entity))
    return out


@lru_cache(maxsize=64)
def _hs_database(patterns: tuple[bytes, ...]) -> Any:
    db = hyperscan.Database()
    flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
    db.compile(
        expressions=list(patterns),
        ids=list(range(len(patterns))),
        elements=len(patterns),
        flags=[flags] * len(patterns),
    )
    return db


@lru_cache(maxsize=64)
def _re_alternation(patterns: tuple[bytes, ...]) -> re.Pattern[bytes]:
    # Patterns are lower case and the block is lowered first: faster than re.IGNORECASE.
    return re.compile(b"|".join(b"(?:" + p + b")" for p in patterns), re.M)


Block = bytes | memoryview
"""Bytes of whole lines. `blocks` yields memoryviews of one reused buffer (no allocation per
block: fresh 4 MiB objects cost more in page faults than the scan itself), valid until the next
block is asked for."""


def blocks(
    handle: IO[bytes], limit: int, size: int = 0, stop: int = -1
) -> Iterator[tuple[int, memoryview]]:
    """(offset, block) for blocks of whole lines read from the handle's position; `offset` counts
    from there, and the last block may lack its newline. A line longer than `limit` bytes is cut
    to `limit` and the rest of it skipped. With `stop` >= 0, only the lines that start before
    offset `stop` are yielded (whole): the same lines whatever the block size."""
    size = size or BLOCK_BYTES
    buf = bytearray(size + limit)
    view = memoryview(buf)
    fill = _filler(handle)
    carry = 0  # bytes of an unfinished line at the front of buf
    read = 0
    skipping = False
    while True:
        got = fill(view[carry : carry + size])
        if not got:
            break
        read += got
        end = carry + got
        begin = 0
        if skipping:  # the rest of an over-long line
            newline = buf.find(b"\n", 0, end)
            if newline < 0:
                continue
            begin, skipping = newline + 1, False
        last = buf.rfind(b"\n", begin, end)
        if begin:  # keep blocks starting at buf[0]
            buf[: end - begin] = view[begin:end]
            end, last = end - begin, (last - begin if last >= 0 else -1)
        start = read - end  # file offset of buf[0], a line's start
        if 0 <= stop <= start:
            return
        if last >= 0:
            if 0 <= stop <= start + last:  # the line holding byte stop - 1 is the last one
                cut = buf.find(b"\n", max(stop - 1 - start, 0), last + 1)
                yield start, view[: cut + 1]
                return
            yield start, view[: last + 1]
            tail = end - last - 1
            buf[:tail] = view[last + 1 : end]
            start, end = start + last + 1, tail
            if 0 <= stop <= start:
                return
        if end >= limit:
            yield start, view[:limit]
            carry, skipping = 0, True
        else:
            carry = end
    if carry and not skipping and (stop < 0 or read - carry < stop):
        yield read - carry, view[:carry]


def _filler(handle: IO[bytes]) -> Callable[[memoryview], int]:
    """`fill(view)`: read into `view` as far as the file allows, the bytes read (0 at the end).
    A damaged .gz ends the file after the last good bytes."""
    if isinstance(handle, gzip.GzipFile) or not hasattr(handle, "readinto"):
        read1 = getattr(handle, "read1", handle.read)
        broken = False

        def by_parts(view: memoryview) -> int:
            nonlocal broken
            got = 0
            while got < len(view) and not broken:
                try:
                    part = read1(len(view) - got)
                except (EOFError, gzip.BadGzipFile, OSError):
                    broken = True  # a truncated .gz ends the file; what was read still counts
                    break
                if not part:
                    break
                view[got : got + len(part)] = part
                got += len(part)
            return got

        return by_parts

    def into(view: memoryview) -> int:
        got = 0
        while got < len(view):
            n = handle.readinto(view[got:])
            if not n:
                break
            got += n
        return got

    return into


class Records:
    """Candidate records of one file's blocks, in order: `records.block(offset, block)` for each
    block, then `records.finish()`. Each is (offset, record, may_mention_an_entity): a candidate
    line (`Finder`) widened with `logformats.record_span` to the record it belongs to, its lines
    joined by newlines (as `logformats.records` joins them when reading line by line). The last
    record of a block is held back until the next block shows whether continuation lines follow
    it; candidates among those lines belong to it."""

    def __init__(self, finder: Finder, fmt: logformats.LogFormat, limit: int) -> None:
        self.finder, self.fmt, self.limit = finder, fmt, limit
        self._pending: tuple[int, bytes, bool | None] | None = None
        """The held-back record: offset, bytes so far, and whether it is a candidate (None: not
        yet; a continuation line in the next block may make it one)."""

    def block(self, offset: int, block: Block) -> list[tuple[int, bytes, bool]]:
        spans = self.finder.lines(block, offset)
        if not self.fmt.multiline:
            return [(offset + a, line_at(block, a, b, self.limit), named) for a, b, named in spans]
        buf, size = _searchable(block), len(block)
        out: list[tuple[int, bytes, bool]] = []
        head, i = 0, 0
        if self._pending is not None:
            head = self._continued(buf, size)
            where, text, named = self._pending
            while i < len(spans) and spans[i][0] < head:
                named = bool(named) or spans[i][2]
                i += 1
            if len(text) < 2 * self.limit:  # the record is capped anyway (`_joined`)
                text += bytes(buf[:head])
            if head >= size:  # the whole block continues the record
                self._pending = (where, text, named)
                return out
            if named is not None:
                out.append((where, _joined(text, self.limit), named))
        tail = self._last_record(buf, size, head)
        tail_named: bool | None = None
        current: tuple[int, int, bool] | None = None
        for first, last, named in spans[i:]:
            if first >= tail:
                tail_named = bool(tail_named) or named
                continue
            start, end = logformats.record_span(buf, first, last, self.fmt, size=size)
            start, end = max(start, head), min(end, tail - 1)
            if current is not None and start == current[0]:  # another line of that record
                current = (current[0], current[1], current[2] or named)
                continue
            if current is not None:
                out.append(self._record(buf, *current, offset))
            current = (start, end, named)
        if current is not None:
            out.append(self._record(buf, *current, offset))
        self._pending = (offset + tail, bytes(buf[tail:size]), tail_named)
        return out

    def finish(self) -> list[tuple[int, bytes, bool]]:
        """The held-back last record, when it is a candidate."""
        pending, self._pending = self._pending, None
        if pending is None or pending[2] is None or not pending[1]:
            return []
        return [(pending[0], _joined(pending[1], self.limit), pending[2])]

    def _record(
        self, buf: bytes | bytearray, start: int, end: int, named: bool, offset: int
    ) -> tuple[int, bytes, bool]:
        raw = bytes(buf[start:end])
        text = _joined(raw, self.limit) if b"\n" in raw else line_at(raw, 0, len(raw), self.limit)
        return offset + start, text, named

    def _continued(self, buf: bytes | bytearray, size: int) -> int:
        """Where the continuation lines at the block's start end (0: none)."""
        pos = 0
        for _ in range(MAX_RECORD_LINES):
            if pos >= size:
                break
            end = buf.find(b"\n", pos, size)
            end = size if end < 0 else end
            if not self.fmt.is_continuation(bytes(buf[pos:end])):
                break
            pos = end + 1
        return min(pos, size)

    def _last_record(self, buf: bytes | bytearray, size: int, head: int) -> int:
        """Where the block's last record starts (at or after `head`)."""
        end = size - 1 if size and buf[size - 1] == 10 else size  # 10: a newline
        start = max(buf.rfind(b"\n", 0, end) + 1, head)
        for _ in range(MAX_RECORD_LINES):
            if start <= head or not self.fmt.is_continuation(bytes(buf[start:end])):
                break
            end = start - 1
            start = max(buf.rfind(b"\n", 0, end) + 1, head)
        return start


MAX_RECORD_LINES = 200
"""Lines a record may span (as `logformats.records` and `record_span` cap it)."""


def _joined(raw: bytes, limit: int) -> bytes:
    """A record's lines as `logformats.records` joins them: each without its line ending,
    joined by newlines, continuation lines kept while the record is under `limit` bytes."""
    lines = raw.rstrip(b"\n").split(b"\n")
    out = [lines[0][:limit].rstrip(b"\r")]
    size = len(out[0]) + 1
    for line in lines[1:]:
        if size >= limit or len(out) >= MAX_RECORD_LINES:
            break
        out.append(line[:limit].rstrip(b"\r"))
        size += len(line) + 1
    return b"\n".join(out)


def line_at(block: Block | Buffer, start: int, end: int, limit: int) -> bytes:
    """The line's bytes without its line ending, capped at `limit`."""
    raw = bytes(block[start : min(end, start + limit)])
    return raw[:-1] if raw.endswith(b"\r") else raw


TimeOf = Callable[[bytes], datetime | None]


def first_time(
    handle: IO[bytes], offset: int, time_of: TimeOf, limit: int
) -> tuple[datetime | None, int]:
    """The time of the first dated line that starts at or after `offset`, and where that line
    starts (-1 when none within `PROBE_BYTES`)."""
    handle.seek(offset)
    data = handle.read(PROBE_BYTES)
    pos = 0
    if offset > 0:
        newline = data.find(b"\n")
        if newline < 0:
            return None, -1
        pos = newline + 1
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        found = time_of(line_at(data, pos, end, limit))
        if found is not None:
            return found, offset + pos
        pos = end + 1
    return None, -1


def seek_range(
    handle: IO[bytes],
    size: int,
    since: datetime,
    until: datetime,
    time_of: TimeOf,
    limit: int,
    probed: dict[int, datetime | None] | None = None,
) -> tuple[int, int] | None:
    """Byte range [start, stop) holding the lines timed `since`..`until` in a time-ordered
    file, by binary search; None when the file is not ordered (or not dated) and must be read
    whole. `stop` is -1 for "to the end". `probed` (offset → time found there) keeps the
    probes of one file version for the next search: a batch's tickets probe the same offsets."""
    memo: dict[int, datetime | None] = {} if probed is None else probed

    def when(offset: int) -> datetime | None:
        if offset not in memo:
            memo[offset] = first_time(handle, offset, time_of, limit)[0]
        return memo[offset]

    if size <= 4 * PROBE_BYTES:
        return None
    samples = [
        found
        for i in range(PROBES)
        if (found := when((size - PROBE_BYTES) * i // (PROBES - 1))) is not None
    ]
    if len(samples) < PROBES // 2 or any(
        b < a - ORDER_SLACK for a, b in itertools.pairwise(samples)
    ):
        return None
    start = _bisect(handle, size, since - ORDER_SLACK, when)
    stop = _bisect(handle, size, until + ORDER_SLACK, when, after=True)
    return start, (-1 if stop >= size else stop)


def _bisect(
    handle: IO[bytes],
    size: int,
    bound: datetime,
    when: Callable[[int], datetime | None],
    *,
    after: bool = False,
) -> int:
    """Where to start reading so no line timed `bound` or later is missed; with `after`, where
    to stop reading so no line timed up to `bound` is missed."""
    lo, hi = 0, size
    while hi - lo > PROBE_BYTES:
        mid = (lo + hi) // 2
        found = when(mid)
        if found is None:
            hi = mid  # no dated line here: be generous and read from lo
            continue
        if found > bound or (found == bound and not after):
            hi = mid
        else:
            lo = mid
    if after:
        return hi
    if lo == 0:
        return 0
    handle.seek(lo)
    head = handle.read(PROBE_BYTES)
    newline = head.find(b"\n")
    return lo if newline < 0 else lo + newline + 1
