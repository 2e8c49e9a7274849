"""SPEC §6 rules on chart specifications, their normal form and their keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidInput, NotFound
from domain.media.charts import (
    Candle,
    CandlestickSpec,
    EquityPoint,
    EquitySpec,
    HistogramSpec,
)
from domain.media.keys import MediaKey

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def candles(n: int = 5) -> list[Candle]:
    out = [Candle(T0 + timedelta(hours=i), 10.0, 12.0, 9.0, 11.0, 100.0) for i in range(n)]
    return out


def field_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return excinfo.value.field


class TestCandlestick:
    def test_defaults(self) -> None:
        spec = CandlestickSpec.create(candles())
        assert spec.sma == (20, 50, 200)
        assert (spec.canvas.width, spec.canvas.height, spec.canvas.title) == (1200, 700, "")
        assert spec.v == (100.0,) * 5

    @pytest.mark.parametrize(
        ("bad", "field"),
        [
            (Candle(T0 + timedelta(hours=3), 10, 10.5, 9, 11), "candles[3].h"),
            (Candle(T0 + timedelta(hours=3), 10, 12, 10.5, 11), "candles[3].l"),
            (Candle(T0 + timedelta(hours=3), float("nan"), 12, 9, 11), "candles[3].o"),
            (Candle(T0 + timedelta(hours=3), 10, float("inf"), 9, 11), "candles[3].h"),
            (Candle(T0 + timedelta(hours=2), 10, 12, 9, 11), "candles[3].t"),
            (Candle(T0 + timedelta(hours=1), 10, 12, 9, 11), "candles[3].t"),
            (Candle(datetime(2026, 11, 28, 3), 10, 12, 9, 11), "candles[3].t"),
        ],
    )
    def test_bad_candle_is_named(self, bad: Candle, field: str) -> None:
        series = [Candle(c.t, c.o, c.h, c.l, c.c) for c in candles()]
        series[3] = bad
        with pytest.raises(InvalidInput) as excinfo:
            CandlestickSpec.create(series)
        assert field_of(excinfo) == field

    def test_volume_on_every_candle_or_none(self) -> None:
        series = candles()
        series[2] = Candle(series[2].t, 10, 12, 9, 11, None)
        with pytest.raises(InvalidInput) as excinfo:
            CandlestickSpec.create(series)
        assert field_of(excinfo) == "candles[2].v"
        series = candles()
        series[1] = Candle(series[1].t, 10, 12, 9, 11, -1.0)
        with pytest.raises(InvalidInput, match=r"candles\[1\]\.v"):
            CandlestickSpec.create(series)

    @pytest.mark.parametrize("n", [0, 1, 10_001])
    def test_count(self, n: int) -> None:
        with pytest.raises(InvalidInput) as excinfo:
            CandlestickSpec.create(candles(n))
        assert field_of(excinfo) == "candles"

    @pytest.mark.parametrize(
        ("sma", "field"),
        [([1], "sma[0]"), ([20, 501], "sma[1]"), ([2, 3, 4, 5, 6, 7], "sma")],
    )
    def test_sma_rules(self, sma: list[int], field: str) -> None:
        with pytest.raises(InvalidInput) as excinfo:
            CandlestickSpec.create(candles(), sma=sma)
        assert field_of(excinfo) == field

    def test_sma_order_and_repeats_do_not_matter(self) -> None:
        a = CandlestickSpec.create(candles(), sma=[50, 20, 20])
        b = CandlestickSpec.create(candles(), sma=[20, 50])
        assert a == b
        assert MediaKey.derive(a, "v") == MediaKey.derive(b, "v")

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"width": 319}, "width"),
            ({"width": 3841}, "width"),
            ({"height": 239}, "height"),
            ({"height": 2161}, "height"),
            ({"title": "x" * 121}, "title"),
            ({"title": "lone \ud800 surrogate"}, "title"),
        ],
    )
    def test_canvas_rules(self, kwargs: dict[str, object], field: str) -> None:
        with pytest.raises(InvalidInput) as excinfo:
            CandlestickSpec.create(candles(), **kwargs)  # type: ignore[arg-type]
        assert field_of(excinfo) == field

    def test_canvas_bounds_are_inclusive(self) -> None:
        smallest = CandlestickSpec.create(candles(), width=320, height=240, title="x" * 120)
        assert (smallest.canvas.width, smallest.canvas.height) == (320, 240)
        assert smallest.canvas.title == "x" * 120
        largest = CandlestickSpec.create(candles(), width=3840, height=2160)
        assert (largest.canvas.width, largest.canvas.height) == (3840, 2160)
        assert largest.canvas.title == ""


class TestEquityAndHistogram:
    def test_equity_rules(self) -> None:
        points = [EquityPoint(T0 + timedelta(days=i), 100.0 + i) for i in range(3)]
        assert EquitySpec.create(points).equity == (100.0, 101.0, 102.0)
        with pytest.raises(InvalidInput, match="points"):
            EquitySpec.create(points[:1])
        bad = [*points, EquityPoint(T0, 1.0)]
        with pytest.raises(InvalidInput) as excinfo:
            EquitySpec.create(bad)
        assert field_of(excinfo) == "points[3].t"
        bad = [*points, EquityPoint(T0 + timedelta(days=9), float("nan"))]
        with pytest.raises(InvalidInput) as excinfo:
            EquitySpec.create(bad)
        assert field_of(excinfo) == "points[3].equity"

    @pytest.mark.parametrize("values", [None, []])
    def test_histogram_needs_values(self, values: list[float] | None) -> None:
        with pytest.raises(InvalidInput) as excinfo:
            HistogramSpec.create(values)
        assert field_of(excinfo) == "values"

    def test_histogram_rules(self) -> None:
        spec = HistogramSpec.create([1.0], color="#ABCDEF")
        assert (spec.bins, spec.color) == (30, "#abcdef")
        for kwargs, field in (
            ({"bins": 0}, "bins"),
            ({"bins": 201}, "bins"),
            ({"color": "red"}, "color"),
            ({"color": "#12345"}, "color"),
        ):
            with pytest.raises(InvalidInput) as excinfo:
                HistogramSpec.create([1.0, 2.0], **kwargs)  # type: ignore[arg-type]
            assert field_of(excinfo) == field
        with pytest.raises(InvalidInput) as excinfo:
            HistogramSpec.create([1.0, float("inf")])
        assert field_of(excinfo) == "values[1]"


class TestMediaKey:
    def test_same_chart_same_key(self) -> None:
        plus2 = timezone(timedelta(hours=2))
        a = [Candle(T0 + timedelta(hours=i), 10.0, 12.0, 9.0, -0.0 + 11, 1.0) for i in range(3)]
        b = [
            Candle((T0 + timedelta(hours=i)).astimezone(plus2), 10, 12, 9, 11, 1) for i in range(3)
        ]
        ka = MediaKey.derive(CandlestickSpec.create(a), "r1")
        kb = MediaKey.derive(CandlestickSpec.create(b, sma=[200, 50, 20], width=1200), "r1")
        assert ka == kb
        assert len(ka.value) == 64 and ka.value == ka.value.lower()

    def test_key_changes_with_chart_and_renderer(self) -> None:
        spec = HistogramSpec.create([1.0, 2.0])
        keys = {
            MediaKey.derive(spec, "r1"),
            MediaKey.derive(spec, "r2"),
            MediaKey.derive(HistogramSpec.create([1.0, 2.0], bins=31), "r1"),
            MediaKey.derive(HistogramSpec.create([1.0, 2.0], title="t"), "r1"),
            MediaKey.derive(HistogramSpec.create([2.0, 1.0]), "r1"),
        }
        assert len(keys) == 5

    def test_zero_sign_is_normalised(self) -> None:
        a = HistogramSpec.create([-0.0, 1.0])
        b = HistogramSpec.create([0.0, 1.0])
        assert MediaKey.derive(a, "r") == MediaKey.derive(b, "r")

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "a" * 63,
            "a" * 65,
            "A" * 64,
            "g" * 64,
            "../" + "a" * 61,
            "a" * 64 + "\n",
            "..%2F..%2Fetc%2Fpasswd",
            "/etc/passwd",
        ],
    )
    def test_parse_rejects_anything_but_64_lower_hex(self, raw: str) -> None:
        with pytest.raises(NotFound):
            MediaKey.parse(raw)

    def test_parse_accepts_a_key(self) -> None:
        assert MediaKey.parse("0f" * 32).value == "0f" * 32
