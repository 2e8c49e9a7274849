"""What every CLI verb shares: the error to report, the parser, a started container."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar
from uuid import UUID

from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings

T = TypeVar("T")

# An admin verb: parsed arguments and settings in, one JSON object out.
Handler = Callable[[argparse.Namespace, Settings], Awaitable[dict[str, Any]]]
# A verb that owns the process until it ends (serve).
Blocking = Callable[[argparse.Namespace, Settings], None]
# Text shown instead of JSON when --json is not given.
TextFormatter = Callable[[dict[str, Any]], str]


class CliError(Exception):
    """A failure to report as one line on stderr."""


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"signalhub: error: {message}", file=sys.stderr)
    raise SystemExit(code)


class Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit status 2, like every other failure."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: {message}", 2)


class Verbs:
    """The sub-commands of one level (`signalhub ...`, `signalhub users ...`)."""

    def __init__(self, parsers: Any, json_flag: argparse.ArgumentParser) -> None:
        self._parsers = parsers
        self._json_flag = json_flag

    def add(
        self, name: str, handler: Handler, help_text: str, text: TextFormatter | None = None
    ) -> argparse.ArgumentParser:
        verb: argparse.ArgumentParser = self._parsers.add_parser(
            name, parents=[self._json_flag], help=help_text
        )
        verb.set_defaults(handler=handler, blocking=None, text=text)
        return verb

    def add_blocking(self, name: str, run: Blocking, help_text: str) -> argparse.ArgumentParser:
        verb: argparse.ArgumentParser = self._parsers.add_parser(
            name, parents=[self._json_flag], help=help_text
        )
        verb.set_defaults(handler=None, blocking=run, text=None)
        return verb

    def group(self, name: str, help_text: str) -> Verbs:
        parsers = self._parsers.add_parser(name, help=help_text).add_subparsers(
            dest="action", required=True, parser_class=Parser
        )
        return Verbs(parsers, self._json_flag)


def new_parser() -> tuple[Parser, Verbs]:
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object on stdout",
    )
    parser = Parser(prog="signalhub", description="signalhub service and admin CLI")
    parser.add_argument("--json", action="store_true", default=False, help=argparse.SUPPRESS)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=Parser)
    return parser, Verbs(verbs, json_flag)


async def with_started_container(
    settings: Settings,
    action: Callable[[Container], Awaitable[T]],
    *,
    migrate_first: bool = True,
) -> T:
    """Run `action` with the database open; admin verbs work on a fresh database too, so
    pending migrations go first."""
    container = build_container(settings)
    await container.start()
    try:
        if migrate_first:
            await container.migrate()
        return await action(container)
    finally:
        await container.stop()


def user_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a user id (uuid): {value!r}") from None


def non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {number}")
    return number


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
