"""A signal's revision as an HTTP entity tag: `ETag: "<revision>"` out, `If-Match` in (SPEC §5, §9).

Revisions start at 1, so `NO_REVISION` (0) never matches one: an `If-Match` that names no
revision we could have given (malformed, weak, a list of several) is a precondition that
fails — 412, after the 404 and 403 checks, like a stale revision (RFC 9110 §13.1.1 compares
strongly; a weak tag never matches).
"""

from __future__ import annotations

import re

from litestar.datastructures import ResponseHeader

NO_REVISION = 0
_STRONG_TAG = re.compile(r'"([1-9][0-9]{0,17})"')

ETAG_DOC = [
    ResponseHeader(
        name="ETag",
        documentation_only=True,
        description='"<revision>": send it back in If-Match to move only this revision',
    )
]
IF_MATCH_DESCRIPTION = (
    '"<revision>" from ETag: refuse with 412 unless the signal is at that revision; `*` matches any'
)


def etag(revision: int) -> dict[str, str]:
    return {"ETag": f'"{revision}"'}


def revision_from_if_match(header: str | None) -> int | None:
    """None when there is no condition (no header, or `*`); else the revision it names, or
    NO_REVISION when it names none we could have given."""
    if header is None or header.strip() == "*":
        return None
    found = _STRONG_TAG.fullmatch(header.strip())
    return int(found.group(1)) if found else NO_REVISION
