"""Share links (SPEC §12): `POST /api/v1/media/{key}/links` (Bearer) and the public
`GET /m/<key>.png?exp=&sig=`; the rule is domain/share_links, the wire wire/share_links.py.

Litestar matches whole path segments only, so the public route takes the file name
(`<key>.png`) as its parameter and the use case checks the suffix.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from application.share_links import CreateShareLink, OpenSharedMedia
from domain.errors import TooLarge
from domain.identity import Caller
from domain.share_links import SIG_PATTERN
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses
from entrypoints.http.media import NOT_MODIFIED, IfNoneMatch, etag_matches, media_headers
from entrypoints.http.media_body import MediaFile
from entrypoints.http.wire.decoding import decode_struct
from entrypoints.http.wire.openapi import raw_body_operation
from entrypoints.http.wire.share_links import LINK_MAX_BODY_BYTES, LinkIn, LinkOut
from entrypoints.routes import SHARED_MEDIA_PREFIX, shared_media_url

_PUBLIC_HEADERS_DOC = [
    ResponseHeader(name="ETag", documentation_only=True, description='"<key>"'),
    ResponseHeader(name="X-Media-Key", documentation_only=True, description="64 hex chars"),
    ResponseHeader(name="X-Cache", documentation_only=True, description="HIT"),
    ResponseHeader(
        name="Cache-Control",
        documentation_only=True,
        description="public, max-age=<seconds the link and the cached chart have left, at "
        "most MEDIA_TTL_SECONDS>",
    ),
    ResponseHeader(name="Referrer-Policy", documentation_only=True, description="no-referrer"),
]
_REFUSALS = {
    403: "Not a link we signed: missing, malformed or wrong `sig`, or a changed key or `exp`",
    404: "The chart is no longer cached (or the file is not `<key>.png`)",
    410: "The link has expired",
}

FileName = Annotated[
    str,
    Parameter(
        description="<key>.png",
        schema_extra={"pattern": r"^[0-9a-f]{64}\.png$"},
    ),
]
Exp = Annotated[
    str | None,
    Parameter(
        description="Unix seconds the link works until, as signed (missing: 403)",
        schema_extra={"oneOf": None, "type": "integer", "minimum": 0},
    ),
]
Sig = Annotated[
    str | None,
    Parameter(
        description="HMAC-SHA256 of the key and exp, base64url without padding (missing: 403)",
        schema_extra={"oneOf": None, "type": "string", "pattern": SIG_PATTERN},
    ),
]


class ShareLinksController(Controller):
    tags = ["charts"]

    @post(
        "/api/v1/media/{key:str}/links",
        summary="A link to a cached chart that works without a token until it expires",
        status_code=201,
        operation_class=raw_body_operation(
            LinkIn, "How long the link works (JSON; empty: the default)", required=False
        ),
        request_max_body_size=None,  # our own cap, LINK_MAX_BODY_BYTES, applies
        security=SECURITY,
        responses=error_responses(400, 401, 404, 413),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        caller: NamedDependency[Caller],
        create_share_link: NamedDependency[CreateShareLink],
    ) -> LinkOut:
        raw = await read_capped(request, LINK_MAX_BODY_BYTES)
        if raw is None:
            raise TooLarge(f"request body is larger than {LINK_MAX_BODY_BYTES} bytes")
        wanted = decode_struct(raw, LinkIn) if raw.strip() else LinkIn()
        link = await create_share_link(key, wanted.seconds())
        return LinkOut(
            url=shared_media_url(link.key.value, link.exp, link.sig), expires_at=link.expires_at
        )

    @get(
        SHARED_MEDIA_PREFIX + "{file:str}",
        summary="A shared chart: no token, the link's signature instead",
        media_type="image/png",
        responses={**NOT_MODIFIED, **error_responses(403, 404, 410, described=_REFUSALS)},
        response_description="The cached PNG (304 when If-None-Match holds its ETag)",
        response_headers=_PUBLIC_HEADERS_DOC,
    )
    async def shared(
        self,
        file: FileName,
        open_shared_media: NamedDependency[OpenSharedMedia],
        exp: Exp = None,
        sig: Sig = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response[Any]:
        shared = await open_shared_media(file, exp, sig)
        opened = shared.media
        headers = media_headers(opened.key.value, True, shared.max_age)
        headers["Cache-Control"] = f"public, max-age={shared.max_age}"
        headers["Referrer-Policy"] = "no-referrer"
        if etag_matches(if_none_match, opened.key.value):
            await opened.chunks.aclose()
            return Response(content=b"", status_code=304, headers=headers)
        headers["Content-Length"] = str(opened.size)
        return MediaFile(opened, headers=headers)
