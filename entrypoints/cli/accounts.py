"""`signalhub users|tokens|producers ...` (SPEC §8): the admin side of accounts."""

from __future__ import annotations

import argparse
from typing import Any

from application.accounts.use_cases import IssuedSecret
from domain.producer_auth import normalise_cidrs
from entrypoints.cli.common import (
    CliError,
    Verbs,
    non_negative_int,
    user_id,
    with_started_container,
)
from entrypoints.container import Container
from entrypoints.routes import tradingview_path
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
        settings,
        lambda c: c.create_producer(
            args.id,
            args.user,
            args.dedup_window,
            tradingview=args.tradingview,
            allowed_cidrs=args.allow_ip,
        ),
    )
    result = _issued(issued)
    if issued.tradingview_token is not None:
        result["tradingview_url"] = tradingview_path(issued.tradingview_token)
    result["allowed_ips"] = list(normalise_cidrs(args.allow_ip))
    return result


async def cmd_producers_rotate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """A new HMAC secret (the old one kept for --grace), or with --tradingview only a new URL
    token (the old one stops at once); --allow-ip replaces the allowed addresses first,
    --allow-any-ip empties the list (any address)."""
    if args.allow_ip and args.allow_any_ip:
        raise CliError("--allow-ip and --allow-any-ip exclude each other")

    async def rotate(c: Container) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if args.allow_ip or args.allow_any_ip:
            changed = await c.set_allowed_cidrs(args.id, args.allow_ip)
            result["allowed_ips"] = list(changed.allowed_cidrs)
        if args.tradingview:
            url = await c.rotate_tradingview(args.id)
            path = tradingview_path(url.tradingview_token)
            return {"producer_id": url.producer_id, "tradingview_url": path, **result}
        return {**_issued(await c.rotate_producer(args.id, args.grace)), **result}

    return await with_started_container(settings, rotate)


def _issued(issued: IssuedSecret) -> dict[str, Any]:
    return {
        "producer_id": issued.producer_id,
        "secret": issued.secret,
        "standard_webhooks_secret": issued.standard_webhooks_secret,
    }


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
                "tradingview": p.tradingview_token_hash is not None,
                "allowed_ips": list(p.allowed_cidrs),
            }
            for p in producers
        ]
    }


def _text_producers(result: dict[str, Any]) -> str:
    rows = [
        f"{p['producer_id']}\tuser={p['user_id']}\tenabled={str(p['enabled']).lower()}"
        f"\tdedup_window={p['dedup_window_seconds']}s"
        f"\ttradingview={str(p['tradingview']).lower()}"
        f"\tallowed_ips={','.join(p['allowed_ips']) or 'any'}"
        for p in result["producers"]
    ]
    return "\n".join(rows) if rows else "no producers"


def _text_issued(result: dict[str, Any]) -> str:
    """One `key: value` line each (lists comma-separated, an empty one "any")."""
    return "\n".join(
        f"{key}: {', '.join(value) or 'any'}" if isinstance(value, list) else f"{key}: {value}"
        for key, value in result.items()
    )


def _allow_ip(verb: argparse.ArgumentParser, help_text: str) -> None:
    verb.add_argument(
        "--allow-ip",
        action="append",
        default=[],
        metavar="CIDR",
        help=help_text + "; repeatable",
    )


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
    create = producers.add("create", cmd_producers_create, "register a producer", _text_issued)
    create.add_argument("id")
    create.add_argument("--user", type=user_id, required=True)
    create.add_argument(
        "--dedup-window",
        type=non_negative_int,
        default=None,
        help="seconds; 0 turns time-window dedup off (default: the setting)",
    )
    create.add_argument(
        "--tradingview", action="store_true", help="also issue a TradingView webhook URL"
    )
    _allow_ip(create, "only these addresses may use the TradingView URL (default: any)")
    rotate = producers.add(
        "rotate", cmd_producers_rotate, "issue a new HMAC secret (or TradingView URL)", _text_issued
    )
    rotate.add_argument("id")
    rotate.add_argument(
        "--grace",
        type=non_negative_int,
        default=86400,
        help="seconds the old secret stays valid (default 86400)",
    )
    rotate.add_argument(
        "--tradingview",
        action="store_true",
        help="issue only a new TradingView URL; the old one stops at once",
    )
    _allow_ip(rotate, "replace the addresses that may use the TradingView URL")
    rotate.add_argument(
        "--allow-any-ip",
        action="store_true",
        help="empty that list: any address may use the TradingView URL again",
    )
    producers.add(
        "disable",
        cmd_producers_disable,
        "disable a producer",
        lambda r: f"{r['producer_id']} disabled",
    ).add_argument("id")
    producers.add("list", cmd_producers_list, "list producers", _text_producers)
