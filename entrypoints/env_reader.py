"""Reading settings from the environment: one typed read per variable, and the one-line
error that names the variable (SPEC §1: bad settings stop start-up)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from domain.errors import InvalidInput
from domain.producer_auth import parse_cidr_setting
from domain.webhooks.rules import parse_schedule


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"invalid setting {variable}: {problem}")
        self.variable = variable


class EnvReader:
    """Typed reads of environment variables: unset or blank is the default; a bad value is a
    SettingsError naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            raise SettingsError(name, f"expected an integer, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise SettingsError(name, f"must be >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise SettingsError(name, f"must be <= {maximum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(name, f"expected a number, got {raw!r}") from None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(name, f"must be {minimum:g}-{maximum:g}, got {raw!r}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise SettingsError(name, f"expected true or false, got {raw!r}")

    def networks(self, name: str) -> tuple[str, ...]:
        """Comma-separated CIDRs (default none), each in its canonical form."""
        try:
            return tuple(str(n) for n in parse_cidr_setting(self._raw(name) or "", name))
        except InvalidInput as exc:
            raise SettingsError(name, exc.detail.removeprefix(f"{name}: ")) from None

    def schedule(self, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """Comma-separated delays in seconds; unset is the default, `none` is no retry."""
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() == "none":
            return ()
        try:
            return parse_schedule(raw)
        except ValueError as exc:
            raise SettingsError(name, str(exc)) from None

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            raise SettingsError(name, f"expected one of {', '.join(allowed)}, got {raw!r}")
        return raw.lower()
