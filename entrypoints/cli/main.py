"""The admin CLI, `signalhub` (SPEC §8).

Every verb takes --json and prints one JSON object; on failure it prints one line on stderr and
exits non-zero. Settings are read (and validated) before anything else happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import warnings
from collections.abc import Sequence
from typing import Any

from domain.errors import DomainError
from entrypoints.cli import accounts, media, serve
from entrypoints.cli.common import CliError, fail, new_parser, one_line, with_started_container
from entrypoints.container import Container
from entrypoints.settings import Settings, SettingsError


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    applied = await with_started_container(settings, Container.migrate, migrate_first=False)
    return {"applied": applied}


def build_parser() -> argparse.ArgumentParser:
    parser, verbs = new_parser()
    serve.register(verbs)
    verbs.add(
        "migrate",
        cmd_migrate,
        "apply pending database migrations",
        lambda r: "applied: " + (", ".join(r["applied"]) or "nothing (up to date)"),
    )
    accounts.register(verbs)
    media.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        fail(str(exc), 2)
    if args.blocking is not None:
        try:
            args.blocking(args, settings)
        except CliError as exc:
            fail(str(exc))
        except Exception as exc:  # one line on stderr, never a traceback
            fail(f"cannot start: {one_line(exc)}")
        return
    # The driver's own warnings (e.g. Piccolo's "unable to connect") would add stderr lines
    # to the one-line failure message; the failure itself is reported below.
    warnings.simplefilter("ignore")
    try:
        result = asyncio.run(args.handler(args, settings))
    except DomainError as exc:
        fail(exc.detail)
    except CliError as exc:
        fail(str(exc))
    except (OSError, ConnectionError) as exc:
        fail(f"cannot reach the database or files: {one_line(exc)}")
    except Exception as exc:  # e.g. the database refuses us; one line, never a traceback
        fail(f"{type(exc).__name__}: {one_line(exc)}")
    if args.json:
        print(json.dumps(result))
    else:
        print(args.text(result) if args.text else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
