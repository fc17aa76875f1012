"""Block scanning for `log_file`: large reads, candidate lines found in one pass over each
block, and seeking by time in time-ordered files. Knows nothing about log formats: the caller
passes the function that reads a line's time.

Candidates are the lines that contain one of the entity strings (ASCII case-insensitive) or a
level/error marker (`LEVEL_MARKERS`); every other line is skipped without being split out or
decoded. With Hyperscan installed (x86-64), all patterns run in one SIMD pass over the block
(about 2× the speed of `grep -c -i -F`); without it, one compiled `re` alternation does the
same at about a tenth of the speed.
"""

from __future__ import annotations

import gzip
import importlib
import itertools
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO, Any

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

_PRI = "|".join(str(p) for p in range(192) if p % 8 <= 4)  # syslog severities emerg..warning
LEVEL_MARKERS: tuple[bytes, ...] = (
    # level words and their abbreviations (.NET `fail`/`crit`, Serilog `WRN`/`ERR`/`FTL`)
    rb"\b(?:warn(?:ing)?|wrn|err(?:or)?|eror|fatal|ftl|crit(?:ical)?|alert|emerg(?:ency)?"
    rb"|panic|severe|fail)\b",
    rb"\"(?:level|severity|lvl)\"\s*:\s*[4-6]\d\b",  # pino/bunyan numeric levels 40..60
    rb"^[ewf]\d{4} ",  # klog: E1207 12:00:00.000000 ...
    rb"^<(?:" + _PRI.encode() + rb")>",  # syslog PRI with severity warning or worse
    rb"\" 5\d\d ",  # access logs: "GET / HTTP/1.1" 503 ...
)
"""A line with none of these (matched case-insensitively) is never warning or worse for any
format `log_file` reads. A superset is fine (the line is parsed and judged); a marker missing
here hides errors, so a new format's level spelling must be added."""


class Finder:
    """Offsets of candidate lines in a block: `Finder([b"acc_1042"]).lines(block)`."""

    def __init__(self, needles: Sequence[bytes], *, accelerate: bool = True) -> None:
        self.entities = tuple(re.escape(n) for n in needles if n)
        self.patterns = self.entities + LEVEL_MARKERS
        fast = accelerate and accelerated()
        # Two databases: the level markers' is the same for every ticket (compiled once per
        # process), the entities' is small literals (cheap to compile per ticket).
        self._hs = [_hs_database(p) for p in (self.entities, LEVEL_MARKERS) if p] if fast else []
        self._scratch: dict[tuple[int, int], Any] = {}
        self._re = _re_alternation(self.patterns) if not fast else None

    @property
    def engine(self) -> str:
        return "hyperscan" if self._hs else "re"

    def lines(self, block: Block) -> list[tuple[int, int, bool]]:
        """(start, end, may_mention_an_entity) of each candidate line, in order; `end`
        excludes the newline. A False flag means only a level marker was found."""
        if self._hs:
            return _spans(_searchable(block), len(block), self._hs_ends(block))
        assert self._re is not None
        out: list[tuple[int, int, bool]] = []
        low = bytes(block).lower()  # ASCII-only, so offsets are the block's
        pos, size, search = 0, len(block), self._re.search
        while pos < size:
            found = search(low, pos)
            if found is None:
                break
            start = low.rfind(b"\n", 0, found.start()) + 1
            end = low.find(b"\n", found.end())
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


def _searchable(block: Block) -> bytes | bytearray:
    """Something with find/rfind over the block's bytes, at the same offsets (a view of a
    buffer starts at the buffer's first byte; see `blocks`)."""
    if isinstance(block, memoryview):
        assert isinstance(block.obj, bytes | bytearray)
        return block.obj
    return block


def _spans(
    block: bytes | bytearray, size: int, ends: list[tuple[int, bool]]
) -> list[tuple[int, int, bool]]:
    out: list[tuple[int, int, bool]] = []
    last_end = -1
    for to, entity in sorted(ends):
        if to <= last_end:  # another hit in the same line
            if entity and not out[-1][2]:
                out[-1] = (out[-1][0], out[-1][1], True)
            continue
        start = block.rfind(b"\n", 0, to) + 1
        if to > start and block[to - 1 : to] == b"\n":
            start = block.rfind(b"\n", 0, to - 1) + 1  # `$`-like matches end on the newline
        end = block.find(b"\n", to, size)
        end = size if end < 0 else end
        if out and start <= out[-1][0]:
            if entity and not out[-1][2]:
                out[-1] = (out[-1][0], out[-1][1], True)
            continue
        out.append((start, end, entity))
        last_end = end
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
    to `limit` and the rest of it skipped. With `stop` >= 0, reading ends once that many bytes
    were read (the lines of the last block are whole)."""
    size = size or BLOCK_BYTES
    buf = bytearray(size + limit)
    view = memoryview(buf)
    fill = _filler(handle)
    carry = 0  # bytes of an unfinished line at the front of buf
    read = 0
    skipping = False
    while stop < 0 or read < stop:
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
        start = read - end  # file offset of buf[0]
        if last >= 0:
            yield start, view[: last + 1]
            tail = end - last - 1
            buf[:tail] = view[last + 1 : end]
            start, end = start + last + 1, tail
        if end >= limit:
            yield start, view[:limit]
            carry, skipping = 0, True
        else:
            carry = end
    if carry and not skipping:
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


def line_at(block: Block, start: int, end: int, limit: int) -> bytes:
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
    handle: IO[bytes], size: int, since: datetime, until: datetime, time_of: TimeOf, limit: int
) -> tuple[int, int] | None:
    """Byte range [start, stop) holding the lines timed `since`..`until` in a time-ordered
    file, by binary search; None when the file is not ordered (or not dated) and must be read
    whole. `stop` is -1 for "to the end"."""
    if size <= 4 * PROBE_BYTES:
        return None
    samples = []
    for i in range(PROBES):
        found, _ = first_time(handle, (size - PROBE_BYTES) * i // (PROBES - 1), time_of, limit)
        if found is not None:
            samples.append(found)
    if len(samples) < PROBES // 2 or any(
        b < a - ORDER_SLACK for a, b in itertools.pairwise(samples)
    ):
        return None
    start = _bisect(handle, size, since - ORDER_SLACK, time_of, limit)
    stop = _bisect(handle, size, until + ORDER_SLACK, time_of, limit, after=True)
    return start, (-1 if stop >= size else stop)


def _bisect(
    handle: IO[bytes],
    size: int,
    bound: datetime,
    time_of: TimeOf,
    limit: int,
    *,
    after: bool = False,
) -> int:
    """Where to start reading so no line timed `bound` or later is missed; with `after`, where
    to stop reading so no line timed up to `bound` is missed."""
    lo, hi = 0, size
    while hi - lo > PROBE_BYTES:
        mid = (lo + hi) // 2
        found, _ = first_time(handle, mid, time_of, limit)
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
