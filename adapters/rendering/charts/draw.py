"""A chart spec drawn as PNG bytes: exactly width x height pixels, no metadata."""

from __future__ import annotations

from matplotlib.figure import Figure

from adapters.rendering.charts.candlestick import candlestick_figure
from adapters.rendering.charts.equity import equity_figure
from adapters.rendering.charts.histogram import histogram_figure
from adapters.rendering.charts.png import encode_png
from domain.media.charts import CandlestickSpec, ChartSpec, EquitySpec


def draw_png(spec: ChartSpec) -> bytes:
    fig: Figure
    if isinstance(spec, CandlestickSpec):
        fig = candlestick_figure(spec)
    elif isinstance(spec, EquitySpec):
        fig = equity_figure(spec)
    else:
        fig = histogram_figure(spec)
    return encode_png(fig, spec.canvas.width, spec.canvas.height)
