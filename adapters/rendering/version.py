"""The renderer's version; part of every MediaKey, so a new drawing never reuses old files."""

# Bump whenever the drawing changes (colours, layout, encoding).
RENDERER_VERSION = "mpl-1"
