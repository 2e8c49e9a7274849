"""The admin CLI, `signalhub` (SPEC §8).

Every verb takes --json and prints one JSON object; on failure it prints one line on stderr and
exits non-zero. Settings are read (and validated) before anything else happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn
from uuid import UUID

from domain.errors import DomainError
from entrypoints.settings import Settings, SettingsError

Handler = Callable[[argparse.Namespace, Settings], Awaitable[dict[str, Any]]]
# Text shown instead of JSON when --json is not given.
TextFormatter = Callable[[dict[str, Any]], str]


class CliError(Exception):
    """A failure to report as one line on stderr."""


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"signalhub: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a user id (uuid): {value!r}") from None


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {number}")
    return number


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(f"{self.prog}: {message}", 2)


async def _with_container(settings: Settings, action: Callable[[Any], Awaitable[Any]]) -> Any:
    from entrypoints.bootstrap import build_container

    container = build_container(settings)
    await container.start()
    try:
        # Admin verbs work on a fresh database too: pending migrations go first.
        await container.migrate()
        return await action(container)
    finally:
        await container.stop()


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from entrypoints.bootstrap import build_container

    container = build_container(settings)
    await container.start()
    try:
        return {"applied": await container.migrate()}
    finally:
        await container.stop()


async def cmd_users_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    created = await _with_container(settings, lambda c: c.create_user(args.name))
    return {"user_id": str(created.user_id), "token": created.token}


async def cmd_tokens_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    token = await _with_container(settings, lambda c: c.create_token(args.user))
    return {"token": token}


async def cmd_tokens_revoke(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    await _with_container(settings, lambda c: c.revoke_token(args.token))
    return {"revoked": True}


async def cmd_producers_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    issued = await _with_container(
        settings, lambda c: c.create_producer(args.id, args.user, args.dedup_window)
    )
    return {"producer_id": issued.producer_id, "secret": issued.secret}


async def cmd_producers_rotate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    issued = await _with_container(settings, lambda c: c.rotate_producer(args.id, args.grace))
    return {"producer_id": issued.producer_id, "secret": issued.secret}


async def cmd_producers_disable(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    producer = await _with_container(settings, lambda c: c.disable_producer(args.id))
    return {"producer_id": producer.id, "enabled": producer.enabled}


async def cmd_producers_list(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    producers = await _with_container(settings, lambda c: c.list_producers())
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


def build_parser() -> argparse.ArgumentParser:
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object on stdout",
    )
    parser = _Parser(prog="signalhub", description="signalhub service and admin CLI")
    parser.add_argument("--json", action="store_true", default=False, help=argparse.SUPPRESS)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    def verb(
        group: Any,
        name: str,
        handler: Handler,
        help_text: str,
        text: TextFormatter | None = None,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, parents=[json_flag], help=help_text)
        sub.set_defaults(handler=handler, text=text)
        return sub

    serve = verb(verbs, "serve", cmd_serve, "run the HTTP server (applies migrations first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)

    verb(
        verbs,
        "migrate",
        cmd_migrate,
        "apply pending database migrations",
        lambda r: "applied: " + (", ".join(r["applied"]) or "nothing (up to date)"),
    )

    users = verbs.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    verb(
        users,
        "create",
        cmd_users_create,
        "create a user and its first API token",
        lambda r: f"user_id: {r['user_id']}\ntoken: {r['token']}",
    ).add_argument("name")

    tokens = verbs.add_parser("tokens", help="manage API tokens").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    verb(
        tokens,
        "create",
        cmd_tokens_create,
        "issue another API token for a user",
        lambda r: f"token: {r['token']}",
    ).add_argument("--user", type=_uuid, required=True)
    verb(
        tokens, "revoke", cmd_tokens_revoke, "revoke an API token", lambda r: "revoked"
    ).add_argument("token")

    producers = verbs.add_parser("producers", help="manage producers").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p_create = verb(
        producers,
        "create",
        cmd_producers_create,
        "register a producer",
        lambda r: f"producer_id: {r['producer_id']}\nsecret: {r['secret']}",
    )
    p_create.add_argument("id")
    p_create.add_argument("--user", type=_uuid, required=True)
    p_create.add_argument(
        "--dedup-window",
        type=_non_negative_int,
        default=None,
        help="seconds; 0 turns time-window dedup off (default: the setting)",
    )
    p_rotate = verb(
        producers,
        "rotate",
        cmd_producers_rotate,
        "issue a new HMAC secret",
        lambda r: f"producer_id: {r['producer_id']}\nsecret: {r['secret']}",
    )
    p_rotate.add_argument("id")
    p_rotate.add_argument(
        "--grace",
        type=_non_negative_int,
        default=86400,
        help="seconds the old secret stays valid (default 86400)",
    )
    verb(
        producers,
        "disable",
        cmd_producers_disable,
        "disable a producer",
        lambda r: f"{r['producer_id']} disabled",
    ).add_argument("id")
    verb(producers, "list", cmd_producers_list, "list producers", _text_producers)

    # --- media wiring (cli) ---
    from entrypoints.cli.media import register as register_media_verbs

    register_media_verbs(verbs, verb)
    # --- end wiring (cli) ---
    return parser


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Never awaited: `main` runs `serve` itself (uvicorn owns the event loop)."""
    raise NotImplementedError


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _fail(str(exc), 2)
    if args.handler is cmd_serve:
        from entrypoints.cli.serve import serve

        try:
            serve(settings, args.host, args.port, args.workers)
        except CliError as exc:
            _fail(str(exc))
        except Exception as exc:  # one line on stderr, never a traceback
            _fail(f"cannot start: {_one_line(exc)}")
        return
    # The driver's own warnings (e.g. Piccolo's "unable to connect") would add stderr lines
    # to the one-line failure message; the failure itself is reported below.
    warnings.simplefilter("ignore")
    try:
        result = asyncio.run(args.handler(args, settings))
    except DomainError as exc:
        _fail(exc.detail)
    except CliError as exc:
        _fail(str(exc))
    except (OSError, ConnectionError) as exc:
        _fail(f"cannot reach the database or files: {_one_line(exc)}")
    except Exception as exc:  # e.g. the database refuses us; one line, never a traceback
        _fail(f"{type(exc).__name__}: {_one_line(exc)}")
    if args.json:
        print(json.dumps(result))
    else:
        print(args.text(result) if args.text else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
