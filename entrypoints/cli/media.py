"""`signalhub media stats`, `signalhub media purge [--expired | --all] [--dry-run]` (SPEC §8)
and `signalhub media rotate-link-key [--grace S]` (SPEC §12).

stats and purge touch only the media store (MEDIA_DIR, or the bucket with MEDIA_STORE=s3;
never the database), and are safe while servers run: deletions happen under the same lock as the
servers' writes (on S3 a DELETE is atomic), and a download either gets the whole file or 404.
"""

from __future__ import annotations

import argparse
from typing import Any

from domain.media.ports import PurgeMode
from domain.share_links import GRACE_DEFAULT, GRACE_MAX
from entrypoints.bootstrap import build_container
from entrypoints.cli.common import CliError, Verbs, non_negative_int, with_started_container
from entrypoints.settings import Settings


async def cmd_media_stats(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    # Not started: the media use cases need no database connection and no render pool.
    container = build_container(settings)
    try:
        usage = await container.media_stats()
    finally:
        await container.media_store.close()
    return {"files": usage.files, "bytes": usage.bytes, "expired_files": usage.expired_files}


async def cmd_media_purge(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    mode = PurgeMode.ALL if args.all else PurgeMode.EXPIRED
    container = build_container(settings)
    try:
        report = await container.purge_media(mode, args.dry_run)
    finally:
        await container.media_store.close()
    return {
        "deleted_files": report.deleted_files,
        "freed_bytes": report.freed_bytes,
        "dry_run": report.dry_run,
    }


async def cmd_media_rotate_link_key(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """A new share-link key in the database: every instance signs with it at once; links
    signed with the keys valid until now keep working for --grace seconds."""
    if args.grace > GRACE_MAX:
        raise CliError(f"--grace must be at most {GRACE_MAX} seconds, got {args.grace}")
    grace = await with_started_container(settings, lambda c: c.rotate_link_key(args.grace))
    return {"rotated": True, "grace_seconds": grace}


def _text_stats(r: dict[str, Any]) -> str:
    return f"files: {r['files']}\nbytes: {r['bytes']}\nexpired_files: {r['expired_files']}"


def _text_purge(r: dict[str, Any]) -> str:
    verb = "would delete" if r["dry_run"] else "deleted"
    return f"{verb} {r['deleted_files']} files, {r['freed_bytes']} bytes"


def register(verbs: Verbs) -> None:
    media = verbs.group("media", "inspect and purge the chart cache")
    media.add(
        "stats", cmd_media_stats, "files, bytes and expired files in the media store", _text_stats
    )
    purge = media.add(
        "purge", cmd_media_purge, "delete cached charts (default: only expired ones)", _text_purge
    )
    which = purge.add_mutually_exclusive_group()
    which.add_argument("--expired", action="store_true", help="only expired charts (default)")
    which.add_argument("--all", action="store_true", help="every cached chart")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    rotate = media.add(
        "rotate-link-key",
        cmd_media_rotate_link_key,
        "new key for share links; the old one verifies for --grace seconds",
        lambda r: f"rotated; old links work for {r['grace_seconds']} more seconds",
    )
    rotate.add_argument(
        "--grace",
        type=non_negative_int,
        default=GRACE_DEFAULT,
        help=f"seconds old links keep working (default {GRACE_DEFAULT})",
    )
