"""TEMP shim until entrypoints/bootstrap.py imports adapters.rendering.renderer; drop at merge."""

from adapters.rendering.renderer import MatplotlibChartRenderer as MatplotlibChartRenderer
