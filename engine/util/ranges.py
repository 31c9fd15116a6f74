"""Sets of write ids as sorted, non-overlapping ``[start, end)`` ranges: the ground truth of lost writes."""

from __future__ import annotations


def subtract_ranges(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    """Ranges in ``a`` not covered by ``b`` (both sorted, non-overlapping)."""
    out: list[list[int]] = []
    j = 0
    for start, end in a:
        cur = start
        while j < len(b) and b[j][1] <= cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cur:
                out.append([cur, b[k][0]])
            cur = max(cur, b[k][1])
            k += 1
        if cur < end:
            out.append([cur, end])
    return out


def range_count(ranges: list[list[int]]) -> int:
    """How many ids the ranges hold."""
    return sum(b - a for a, b in ranges)


def merge_ranges(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    """The union of two sets of half-open id ranges, sorted and merged."""
    out: list[list[int]] = []
    for lo, hi in sorted([list(r) for r in a] + [list(r) for r in b]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out
