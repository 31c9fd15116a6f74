"""Text charts: sparklines with a threshold, and a drill-long chart with command markers."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int, how: str = "max") -> list[float]:
    """Fit ``values`` into ``width`` columns (each column the max or mean of its bucket)."""
    if width <= 0 or not values:
        return []
    if len(values) <= width:
        return list(values)
    out = []
    per = len(values) / width
    for i in range(width):
        bucket = values[int(i * per) : max(int(i * per) + 1, int((i + 1) * per))]
        out.append(max(bucket) if how == "max" else sum(bucket) / len(bucket))
    return out


def sparkline(values: Sequence[float], width: int, top: float | None = None) -> str:
    """One line of block characters scaled to ``top`` (default the largest value)."""
    data = resample(values, width)
    if not data:
        return ""
    ceiling = top if top is not None and top > 0 else max(max(data), 1e-12)
    chars = []
    for value in data:
        if value <= 0:
            chars.append(" ")
            continue
        level = min(len(BLOCKS) - 1, int(value / ceiling * (len(BLOCKS) - 1) + 0.5))
        chars.append(BLOCKS[max(0, level)])
    return "".join(chars)


def column_chart(values: Sequence[float], width: int, height: int, top: float) -> list[str]:
    """A multi-line bar chart (rows top to bottom) of ``values`` resampled to ``width``."""
    data = resample(values, width)
    rows = []
    eighths = height * 8
    levels = [min(eighths, int(round(v / top * eighths))) if top > 0 else 0 for v in data]
    for row in range(height):
        floor = (height - 1 - row) * 8
        line = []
        for level in levels:
            fill = level - floor
            line.append("█" if fill >= 8 else (BLOCKS[fill - 1] if fill > 0 else " "))
        rows.append("".join(line))
    return rows


def markers(times: Sequence[float], duration: float, width: int, mark: str = "▲") -> str:
    """A line with ``mark`` at the columns of the given times."""
    line = [" "] * width
    for t in times:
        if duration > 0 and width > 0:
            line[min(width - 1, int(t / duration * width))] = mark
    return "".join(line)


def time_columns(values: Sequence[float], duration: float, width: int) -> list[float | None]:
    """``values`` (one a simulated second from 0) on ``width`` columns spanning ``duration``.

    Each column is the largest value of its seconds; ``None`` where none of
    them has been simulated yet (a replay in progress). Column ``i`` covers
    the same seconds :func:`markers` puts a time ``t`` in.
    """
    out: list[float | None] = []
    for i in range(max(0, width)):
        start = int(i * duration / width)
        bucket = values[start : max(start + 1, int((i + 1) * duration / width))]
        out.append(max(bucket) if bucket else None)
    return out


def line_levels(columns: Sequence[float | None], height: int, top: float) -> list[int | None]:
    """The row (0 the bottom, ``height - 1`` the top) each column's value falls on.

    Any value above zero is at least row 1, so a small error rate does not
    vanish into the zero line; ``None`` stays ``None``.
    """
    levels: list[int | None] = []
    for value in columns:
        if value is None:
            levels.append(None)
        elif value <= 0 or top <= 0:
            levels.append(0)
        else:
            levels.append(max(1, min(height - 1, int(round(value / top * (height - 1))))))
    return levels


def overlay(series: Sequence[Sequence[float | None]], height: int, top: float) -> list[list[int | None]]:
    """A line chart of several series on the same axes, as a grid of rows (top to bottom).

    Each cell holds the index of the series drawn there, or ``None``; where
    lines meet, the series listed first is drawn.
    """
    width = max((len(columns) for columns in series), default=0)
    grid: list[list[int | None]] = [[None] * width for _ in range(height)]
    for index in reversed(range(len(series))):
        for column, level in enumerate(line_levels(series[index], height, top)):
            if level is not None:
                grid[height - 1 - level][column] = index
    return grid
