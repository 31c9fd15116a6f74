"""Several runs of one drill on the same axes: the trainee, the reference solution, no action (and a branch's original)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from .charts import markers, overlay, sparkline, time_columns
from .clock import mmss

LABEL = 11
"""Columns taken by the row labels on the left."""
OVERLAP = "(first on top)"


@dataclass(frozen=True)
class ChartSeries:
    """One run's values over simulated time (one a second), drawn as a line of ``glyph`` in ``style``."""

    label: str
    values: tuple[float, ...]
    glyph: str
    style: str


@dataclass(frozen=True)
class ChartMarks:
    """Moments on the time axis (a run's commands), drawn as ``mark`` on a row of their own."""

    label: str
    times: tuple[float, ...]
    mark: str
    style: str


@dataclass(frozen=True)
class ChartBand:
    """A one-line sparkline under the chart (replication lag), with a note after it."""

    label: str
    values: tuple[float, ...]
    top: float
    style: str
    note: str = ""


class ComparisonChart(Widget):
    """A text line chart of runs over the drill's simulated time, with a legend.

    Feed it with :meth:`plot`; :attr:`series`, :attr:`marks` and :attr:`bands`
    hold what is drawn (the first series is drawn on top where lines meet).
    """

    DEFAULT_CSS = """
    ComparisonChart { height: auto; }
    """
    ROWS = 5
    """Rows of the chart itself: 0 %, 25 %, 50 %, 75 % and 100 % of ``top``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = ""
        self.series: tuple[ChartSeries, ...] = ()
        self.marks: tuple[ChartMarks, ...] = ()
        self.bands: tuple[ChartBand, ...] = ()
        self.duration = 1.0
        self.top = 1.0

    def plot(
        self,
        title: str,
        series: Sequence[ChartSeries],
        *,
        duration: float,
        top: float = 1.0,
        marks: Sequence[ChartMarks] = (),
        bands: Sequence[ChartBand] = (),
    ) -> None:
        """Draw these series (the first on top), command marks and bands over ``duration`` seconds."""
        self.title = title
        self.series = tuple(series)
        self.marks = tuple(marks)
        self.bands = tuple(bands)
        self.duration = max(1.0, float(duration))
        self.top = top
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 + self.ROWS + len(self.bands) + len(self.marks) + 2

    def render(self) -> Text:
        notes = max((len(band.note) + 2 for band in self.bands if band.note), default=1)
        width = max(20, (self.content_region.width or 80) - LABEL - notes)
        text = Text(no_wrap=True, overflow="crop")
        text.append(self.title + "\n", style="bold")
        grid = overlay([time_columns(s.values, self.duration, width) for s in self.series], self.ROWS, self.top)
        for row, cells in enumerate(grid):
            axis = {0: f"{self.top:.0%} ┤", self.ROWS // 2: f"{self.top / 2:.0%} ┤", self.ROWS - 1: "0% ┤"}.get(row, "│")
            text.append(f"{axis:>{LABEL}}", style="dim")
            for index in cells:
                if index is None:
                    text.append(" ")
                else:
                    text.append(self.series[index].glyph, style=self.series[index].style)
            text.append("\n")
        for band in self.bands:
            text.append(f"{band.label:<{LABEL}}", style="dim")
            text.append(sparkline(band.values, width, band.top), style=band.style)
            text.append(f"  {band.note}\n" if band.note else "\n", style="dim")
        for mark in self.marks:
            text.append(f"{mark.label:<{LABEL}}", style="dim")
            text.append(markers(mark.times, self.duration, width, mark.mark) + "\n", style=mark.style)
        text.append(" " * LABEL + mmss(0) + " " * max(1, width - 10) + mmss(self.duration) + "\n", style="dim")
        text.append(" " * LABEL)
        legend = 0
        for series in self.series:
            text.append(series.glyph * 2 + " ", style=series.style)
            text.append(series.label + "   ")
            legend += len(series.label) + 6
        if len(self.series) > 1 and LABEL + legend + len(OVERLAP) <= width + LABEL + notes:
            text.append(OVERLAP, style="dim")
        text.rstrip()
        return text
