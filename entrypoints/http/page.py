"""The approvals page (SPEC §14): `GET /` and its assets, kept out of the OpenAPI document.

The files are entrypoints/web/ as they are (no build step), read once on first use. Each
answer carries the page's security headers: a Content-Security-Policy that allows scripts,
styles and fetches from this origin only (no inline script or style), images from this
origin and `blob:` (the equity report is fetched with the token and shown via a blob URL),
and forbids framing; `X-Frame-Options: DENY` for browsers that ignore `frame-ancestors`;
`nosniff`; `no-referrer`. An `ETag` (a hash of the file) lets the browser revalidate cheaply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, HeaderParameter

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",  # the token form is handled by the script, never submitted
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",  # revalidate with the ETag: a new release is seen at once
}

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",  # an ES module importing the four below
    "transitions.js": "text/javascript; charset=utf-8",
    "rows.js": "text/javascript; charset=utf-8",
    "sse.js": "text/javascript; charset=utf-8",
    "report.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def asset(name: str) -> Asset:
    body = files("entrypoints.web").joinpath(name).read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Asset(body, ASSETS[name], f'"{digest}"')


def serve(name: str, if_none_match: str | None) -> Response[bytes]:
    found = asset(name)
    headers = {**SECURITY_HEADERS, "ETag": found.etag}
    if if_none_match is not None and found.etag in (t.strip() for t in if_none_match.split(",")):
        return Response(b"", status_code=304, headers=headers, media_type=found.media_type)
    return Response(found.body, headers=headers, media_type=found.media_type)


IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match")]


class PageController(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def index(self, if_none_match: IfNoneMatch = None) -> Response[bytes]:
        return serve("index.html", if_none_match)

    @get("/assets/{name:str}", sync_to_thread=False)
    def assets(self, name: FromPath[str], if_none_match: IfNoneMatch = None) -> Response[bytes]:
        if name == "index.html" or name not in ASSETS:
            raise NotFoundException()
        return serve(name, if_none_match)
