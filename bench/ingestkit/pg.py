"""PostgreSQL for the benchmark: a throwaway database, its URL over TCP or the Unix socket."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def pg_admin_dsn() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://")):
        return url
    return os.environ.get("SIGNALHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def pg_value(dsn: str, sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def pg_rows(dsn: str, sql: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


# Rows written by one transaction share its xmin: signals per commit, per contender.
PER_COMMIT = (
    "SELECT split_part(external_id, '-', 1) AS tag, count(*) AS n, "
    "count(DISTINCT xmin::text) AS commits FROM signal GROUP BY 1 ORDER BY 1"
)


def with_database(dsn: str, name: str) -> str:
    p = urlsplit(dsn)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def socket_url(url: str, socket_dir: str) -> str:
    """The same database reached over the Unix socket in `socket_dir`."""
    p = urlsplit(url)
    user = p.username or "postgres"
    return urlunsplit((p.scheme, f"{user}@", p.path, f"host={socket_dir}", ""))
