"""The approvals page (SPEC §14): static files served as they are by entrypoints/http/page.py.

No Python here: `index.html`, `app.css`, `app.js` and `favicon.svg` sit next to this file and
ship with the package (pyproject's package-data). docs/approvals-page.md explains the page.
"""
