"""Chart drawing with matplotlib's object API (Figure + Agg; never pyplot, no global rc state).

One module a concern: `theme` (colours, axes style), `layout` (pixels to figure fractions),
`shapes` (rectangles as polygon arrays), `numbers` (tick and label text), one module a chart
(`candlestick`, `equity`, `histogram`), `png` (exact-size encoding), `draw` (spec -> PNG) and
`worker` (what the render processes run). `MatplotlibChartRenderer` in
`adapters.rendering.renderer` runs `worker` in its process pool.
"""
