"""Share links (SPEC §12) from the outside: their parts, and the keys a test may sign with."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import asyncpg

LINKS = "/api/v1/media/{key}/links"


@dataclass(frozen=True)
class Link:
    key: str
    exp: str
    sig: str

    @classmethod
    def of(cls, url: str) -> Link:
        parts = urlsplit(url)
        assert parts.path.startswith("/m/") and parts.path.endswith(".png"), url
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
        assert sorted(query) == ["exp", "sig"], url
        return cls(parts.path[3:-4], query["exp"][0], query["sig"][0])

    @property
    def path(self) -> str:
        return f"/m/{self.key}.png"

    @property
    def params(self) -> dict[str, str]:
        return {"exp": self.exp, "sig": self.sig}


def link_secrets(database_url: str) -> list[str]:
    """The share-link keys stored in the database, newest first (to sign links a server
    would sign, e.g. one already expired)."""
    sql = 'SELECT "secret" FROM "media_link_key" ORDER BY "generation" DESC'
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return [row[0] for row in db.execute(sql)]

    async def read() -> list[str]:
        conn = await asyncpg.connect(database_url)
        try:
            return [row["secret"] for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(read())
