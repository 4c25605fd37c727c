"""Array kernels: one contiguous table over a span of years with O(1) bucketed lookups.

A plain ``np.searchsorted`` per direction runs at roughly 8M lookups/s per core; the tables
are tiny and sorted, so a uniform bucket grid (bucket → first candidate index) plus a fixed
number of branch-free "step right while still <= t" passes does the same job several times
faster. The number of passes is the most boundaries any bucket holds, known at build time.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ._tables import INT64_MAX, YearTable, merge_touching

_BLOCK = 1 << 15  # elements per pass: keeps the temporaries in cache
_MAX_STEPS = 6  # beyond this many passes a binary search is cheaper


def _bucket_grid(
    sorted_values: np.ndarray,
    origin: int,
    extent: int,
    side: Literal["left", "right"],
    first: int | None = None,
) -> tuple[np.ndarray, int, int]:
    """Choose a power-of-two bucket width and return (grid, shift, passes needed).

    Starts at about one bucket per value and halves the width while some bucket would need
    more than two passes, up to eight buckets per value (memory stays O(values)).
    ``first`` overrides bucket 0's start index when the caller knows a better lower bound.
    """
    n = max(len(sorted_values), 1)
    shift = max(int(extent // n).bit_length() - 1, 0)
    while True:
        cells = (extent >> shift) + 2
        edges = origin + (np.arange(cells, dtype=np.int64) << shift)
        grid = np.searchsorted(sorted_values, edges, side=side).astype(np.intp)
        if first is not None:
            grid[0] = first
        steps = int(np.max(np.diff(grid)))
        if steps <= 2 or shift == 0 or cells > 8 * n + 64:
            return grid, shift, steps
        shift -= 1


class Window:
    """Interleaved boundaries ``bx`` and elapsed working time ``cx`` for years [y0, y1)."""

    __slots__ = ("bx", "cx", "gb", "gc", "hi", "lo", "mb", "mc", "nbytes", "sb", "sc", "total")

    def __init__(self, tables: list[YearTable]) -> None:
        self.lo, self.hi = tables[0].lo, tables[-1].hi
        starts, ends = merge_touching(
            np.concatenate([t.starts for t in tables]), np.concatenate([t.ends for t in tables])
        )
        n = len(starts)
        lengths = ends - starts
        cum_end = np.cumsum(lengths)
        self.total = int(cum_end[-1]) if n else 0
        # Two pad entries make "nothing before the first interval" an ordinary closed gap, and
        # a sentinel stops the stepping passes at the end without bounds checks.
        bx = np.empty(2 * n + 3, dtype=np.int64)
        cx = np.empty_like(bx)
        bx[0], bx[1], bx[-1] = self.lo - 2, self.lo - 1, INT64_MAX
        cx[0], cx[1], cx[-1] = 0, 0, INT64_MAX
        bx[2:-1:2], bx[3:-1:2] = starts, ends
        cx[2:-1:2], cx[3:-1:2] = cum_end - lengths, cum_end
        self.bx, self.cx = bx, cx
        # Forward lookups: count of bx <= t for t in [lo, hi].
        self.gb, self.sb, self.mb = _bucket_grid(bx[:-1], self.lo, self.hi - self.lo, "right")
        # Inverse lookups: count of cx < w for w in (0, total]; w > 0, so every leading zero
        # (the pads and the first start) is already behind the answer.
        zeros = int(np.searchsorted(cx[:-1], 0, side="right"))
        self.gc, self.sc, self.mc = _bucket_grid(cx[:-1], 0, self.total, "left", first=zeros)
        self.nbytes = bx.nbytes + cx.nbytes + self.gb.nbytes + self.gc.nbytes

    # Each kernel works on one cache-sized block; the public wrappers loop over blocks.

    def _elapsed(self, t: np.ndarray) -> np.ndarray:
        """Working µs in [lo, t) for every element (lo <= t <= hi)."""
        bx, cx = self.bx, self.cx
        if self.mb > _MAX_STEPS:
            i = np.searchsorted(bx, t, side="right")
        else:
            i = self.gb[(t - self.lo) >> self.sb]
            for _ in range(self.mb):
                i += bx[i] <= t
        i -= 1
        out = t - bx[i]
        out *= (i & 1) == 0  # inside an interval counts the part already elapsed
        out += cx[i]
        return out

    def _reach(self, w: np.ndarray) -> np.ndarray:
        """Earliest instant by which ``w`` µs of work have elapsed (0 < w <= total)."""
        bx, cx = self.bx, self.cx
        if self.mc > _MAX_STEPS:
            j = np.searchsorted(cx, w, side="left")
        else:
            j = self.gc[w >> self.sc]
            for _ in range(self.mc):
                j += cx[j] < w
        out = bx[j] - cx[j]
        out += w
        return out

    def add(self, starts: np.ndarray, durations: np.ndarray) -> np.ndarray | None:
        """Due instants, or None when some target lies beyond this window's working time."""
        out = np.empty_like(starts)
        for lo in range(0, len(starts), _BLOCK):
            s = starts[lo : lo + _BLOCK]
            d = durations[lo : lo + _BLOCK]
            w = self._elapsed(s)
            w += d
            if int(w.max()) > self.total:
                return None
            r = self._reach(np.maximum(w, 1))
            out[lo : lo + _BLOCK] = np.where(d == 0, s, r)
        return out

    def between(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Working µs in [start, end), zero where end <= start."""
        out = np.empty_like(starts)
        for lo in range(0, len(starts), _BLOCK):
            span = self._elapsed(ends[lo : lo + _BLOCK])
            span -= self._elapsed(starts[lo : lo + _BLOCK])
            np.maximum(span, 0, out=out[lo : lo + _BLOCK])
        return out
