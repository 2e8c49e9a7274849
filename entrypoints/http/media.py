"""`GET /api/v1/media/{key}` (SPEC §6) and the headers every chart answer carries."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter

from application.media.use_cases import GetMedia, RenderedChart
from domain.identity import Caller
from domain.media.ports import MediaStream
from entrypoints.http.auth import SECURITY
from entrypoints.http.errors import error_responses
from entrypoints.http.media_body import MediaFile
from entrypoints.settings import Settings

MEDIA_HEADERS_DOC = [
    ResponseHeader(name="ETag", documentation_only=True, description='"<key>"'),
    ResponseHeader(name="X-Media-Key", documentation_only=True, description="64 hex chars"),
    ResponseHeader(name="X-Cache", documentation_only=True, description="HIT or MISS"),
    ResponseHeader(
        name="Cache-Control",
        documentation_only=True,
        description="private, max-age=<MEDIA_TTL_SECONDS>",
    ),
]


def png_response(key: str, data: bytes, hit: bool, ttl: int) -> Response[bytes]:
    return Response(
        content=data,
        status_code=200,
        media_type="image/png",
        headers=media_headers(key, hit, ttl),
    )


async def rendered_answer(
    rendered: RenderedChart, ttl: int, if_none_match: str | None = None
) -> Response[Any]:
    """A chart RenderChart gave (the chart endpoints, the reports): the PNG — a cache hit sent
    from the stored file — or 304 when If-None-Match holds its ETag (the key follows the data:
    an equal key is an equal image)."""
    key, hit = rendered.key.value, rendered.cache_hit
    if etag_matches(if_none_match, key):
        if rendered.stream is not None:
            await rendered.stream.chunks.aclose()
        return Response(content=b"", status_code=304, headers=media_headers(key, hit, ttl))
    if rendered.stream is not None:
        return stream_response(rendered.stream, True, ttl)
    assert rendered.data is not None  # RenderedChart holds data or a stream
    return png_response(key, rendered.data, hit, ttl)


def stream_response(opened: MediaStream, hit: bool, ttl: int) -> MediaFile:
    """A stored chart sent from its open file (by the server itself when it can, pathsend),
    never read whole into memory; `Content-Length` from the file's size."""
    headers = media_headers(opened.key.value, hit, ttl)
    headers["Content-Length"] = str(opened.size)
    return MediaFile(opened, headers=headers)


NOT_MODIFIED = {
    304: ResponseSpec(
        data_container=None,
        description="Not modified: If-None-Match holds this media's ETag",
        generate_examples=False,
    )
}
IfNoneMatch = Annotated[
    str | None, HeaderParameter(name="If-None-Match", description='"<key>" from ETag')
]


def media_headers(key: str, hit: bool, ttl: int) -> dict[str, str]:
    return {
        "ETag": f'"{key}"',
        "X-Media-Key": key,
        "X-Cache": "HIT" if hit else "MISS",
        "Cache-Control": f"private, max-age={ttl}",
    }


def etag_matches(if_none_match: str | None, key: str) -> bool:
    """Does an If-None-Match header name the ETag `"<key>"` (weak or strong, or `*`)?"""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == key and tag.startswith('"'):
            return True
    return False


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["charts"]

    @get(
        "/{key:str}",
        summary="A cached chart by its key",
        media_type="image/png",
        security=SECURITY,
        responses={**NOT_MODIFIED, **error_responses(401, 404)},
        response_description="The cached PNG (304 when If-None-Match holds its ETag)",
        response_headers=MEDIA_HEADERS_DOC,
    )
    async def get_media(
        self,
        key: FromPath[str],
        caller: NamedDependency[Caller],
        get_media: NamedDependency[GetMedia],
        settings: NamedDependency[Settings],
        if_none_match: IfNoneMatch = None,
    ) -> Response[Any]:
        opened = await get_media(key)  # NotFound for malformed/unknown/expired
        ttl = settings.media_ttl_seconds
        headers = media_headers(opened.key.value, True, ttl)
        if etag_matches(if_none_match, opened.key.value):
            await opened.chunks.aclose()
            return Response(content=b"", status_code=304, headers=headers)
        # Streamed: memory stays flat whatever the file size and the number of downloads.
        return stream_response(opened, True, ttl)
