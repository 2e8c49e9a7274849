"""The approvals page (SPEC §14): static files served as they are by entrypoints/http/page.py.

No Python here: `index.html`, `app.css`, `favicon.svg` and the ES modules `app.js` (state, API
calls, the list, connecting), `transitions.js` (acting on a signal), `rows.js` (a row and its
buttons), `sse.js` (the SSE parser and the reconnecting reader) and `report.js` (the equity
report) sit next to this file and ship
with the package (pyproject's package-data). docs/approvals-page.md explains the page.
"""
