"""Chart specifications (SPEC §6) as validated, normalised value objects, one module per kind
of chart and one for what they share (`canvas`). Importers use this package's names."""

from __future__ import annotations

from domain.media.charts.candlestick import (
    CANDLES_MAX,
    CANDLES_MIN,
    SMA_DEFAULT,
    SMA_MAX_COUNT,
    SMA_MAX_PERIOD,
    SMA_MIN_PERIOD,
    Candle,
    CandleInput,
    CandlestickSpec,
)
from domain.media.charts.canvas import (
    CHART_TYPES,
    HEIGHT_DEFAULT,
    HEIGHT_MAX,
    HEIGHT_MIN,
    TITLE_MAX_CHARS,
    WIDTH_DEFAULT,
    WIDTH_MAX,
    WIDTH_MIN,
    Canvas,
    ChartType,
)
from domain.media.charts.equity import (
    POINTS_MAX,
    POINTS_MIN,
    EquityPoint,
    EquityPointInput,
    EquitySpec,
)
from domain.media.charts.histogram import (
    BINS_DEFAULT,
    BINS_MAX,
    BINS_MIN,
    COLOR_DEFAULT,
    COLOR_PATTERN,
    VALUES_MAX,
    VALUES_MIN,
    HistogramSpec,
)

ChartSpec = CandlestickSpec | EquitySpec | HistogramSpec

__all__ = [
    "BINS_DEFAULT",
    "BINS_MAX",
    "BINS_MIN",
    "CANDLES_MAX",
    "CANDLES_MIN",
    "CHART_TYPES",
    "COLOR_DEFAULT",
    "COLOR_PATTERN",
    "HEIGHT_DEFAULT",
    "HEIGHT_MAX",
    "HEIGHT_MIN",
    "POINTS_MAX",
    "POINTS_MIN",
    "SMA_DEFAULT",
    "SMA_MAX_COUNT",
    "SMA_MAX_PERIOD",
    "SMA_MIN_PERIOD",
    "TITLE_MAX_CHARS",
    "VALUES_MAX",
    "VALUES_MIN",
    "WIDTH_DEFAULT",
    "WIDTH_MAX",
    "WIDTH_MIN",
    "Candle",
    "CandleInput",
    "CandlestickSpec",
    "Canvas",
    "ChartSpec",
    "ChartType",
    "EquityPoint",
    "EquityPointInput",
    "EquitySpec",
    "HistogramSpec",
]
