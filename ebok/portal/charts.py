"""A bar chart drawn on the server as SVG (no script), with the same figures in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 48, 24, 12


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: list[Bar]
    ticks: list[tuple[float, Decimal]]  # (y, value) of the horizontal guide lines
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM


def _nice_max(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 5 × 10^n that is ≥ value (a round top for the scale)."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(1)
    while step * 10 < value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def bar_chart(points: list[tuple[str, Decimal]], *, title: str, max_bars: int = 24) -> Chart:
    points = points[-max_bars:]
    top = _nice_max(max((value for _, value in points), default=Decimal(0)))
    plot_h = HEIGHT - BOTTOM - TOP
    plot_w = WIDTH - LEFT - 8
    slot = plot_w / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        h = float(value / top) * plot_h if top else 0.0
        bars.append(Bar(label, value, LEFT + i * slot + slot * 0.15, HEIGHT - BOTTOM - h, slot * 0.7, h))
    ticks = [(HEIGHT - BOTTOM - plot_h * k / 4, top * k / 4) for k in range(5)]
    return Chart(title=title, bars=bars, ticks=ticks)
