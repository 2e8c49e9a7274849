"""The approvals page (SPEC §14): static files served as they are by entrypoints/http/page.py.

No Python here: `index.html`, `app.css`, `favicon.svg` and the ES modules `app.js` (state, API,
stream loop, report), `rows.js` (a row and its buttons) and `sse.js` (the SSE parser) sit next
to this file and ship with the package (pyproject's package-data). docs/approvals-page.md explains the page.
"""
