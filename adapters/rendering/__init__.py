"""Chart rendering: `renderer.MatplotlibChartRenderer` (the ChartRenderer port, a process pool)
runs the drawing code of the `charts` package in its worker processes."""
