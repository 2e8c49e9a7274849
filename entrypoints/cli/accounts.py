"""`signalhub users|tokens|producers ...` (SPEC §8): the admin side of accounts."""

from __future__ import annotations

import argparse
from typing import Any

from entrypoints.cli.common import Verbs, non_negative_int, user_id, with_started_container
from entrypoints.settings import Settings


async def cmd_users_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    created = await with_started_container(settings, lambda c: c.create_user(args.name))
    return {"user_id": str(created.user_id), "token": created.token}


async def cmd_tokens_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    token = await with_started_container(settings, lambda c: c.create_token(args.user))
    return {"token": token}


async def cmd_tokens_revoke(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    await with_started_container(settings, lambda c: c.revoke_token(args.token))
    return {"revoked": True}


async def cmd_producers_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    issued = await with_started_container(
        settings, lambda c: c.create_producer(args.id, args.user, args.dedup_window)
    )
    return {"producer_id": issued.producer_id, "secret": issued.secret}


async def cmd_producers_rotate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    issued = await with_started_container(
        settings, lambda c: c.rotate_producer(args.id, args.grace)
    )
    return {"producer_id": issued.producer_id, "secret": issued.secret}


async def cmd_producers_disable(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    producer = await with_started_container(settings, lambda c: c.disable_producer(args.id))
    return {"producer_id": producer.id, "enabled": producer.enabled}


async def cmd_producers_list(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    producers = await with_started_container(settings, lambda c: c.list_producers())
    return {
        "producers": [
            {
                "producer_id": p.id,
                "user_id": str(p.user_id),
                "enabled": p.enabled,
                "dedup_window_seconds": p.dedup_window_seconds,
            }
            for p in producers
        ]
    }


def _text_producers(result: dict[str, Any]) -> str:
    rows = [
        f"{p['producer_id']}\tuser={p['user_id']}\tenabled={str(p['enabled']).lower()}"
        f"\tdedup_window={p['dedup_window_seconds']}s"
        for p in result["producers"]
    ]
    return "\n".join(rows) if rows else "no producers"


def _text_secret(result: dict[str, Any]) -> str:
    return f"producer_id: {result['producer_id']}\nsecret: {result['secret']}"


def register(verbs: Verbs) -> None:
    users = verbs.group("users", "manage users")
    users.add(
        "create",
        cmd_users_create,
        "create a user and its first API token",
        lambda r: f"user_id: {r['user_id']}\ntoken: {r['token']}",
    ).add_argument("name")

    tokens = verbs.group("tokens", "manage API tokens")
    tokens.add(
        "create",
        cmd_tokens_create,
        "issue another API token for a user",
        lambda r: f"token: {r['token']}",
    ).add_argument("--user", type=user_id, required=True)
    tokens.add(
        "revoke", cmd_tokens_revoke, "revoke an API token", lambda r: "revoked"
    ).add_argument("token")

    producers = verbs.group("producers", "manage producers")
    create = producers.add("create", cmd_producers_create, "register a producer", _text_secret)
    create.add_argument("id")
    create.add_argument("--user", type=user_id, required=True)
    create.add_argument(
        "--dedup-window",
        type=non_negative_int,
        default=None,
        help="seconds; 0 turns time-window dedup off (default: the setting)",
    )
    rotate = producers.add("rotate", cmd_producers_rotate, "issue a new HMAC secret", _text_secret)
    rotate.add_argument("id")
    rotate.add_argument(
        "--grace",
        type=non_negative_int,
        default=86400,
        help="seconds the old secret stays valid (default 86400)",
    )
    producers.add(
        "disable",
        cmd_producers_disable,
        "disable a producer",
        lambda r: f"{r['producer_id']} disabled",
    ).add_argument("id")
    producers.add("list", cmd_producers_list, "list producers", _text_producers)
