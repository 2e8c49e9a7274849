"""Domain errors. Entry points map each kind to one status code (entrypoints/http/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain and application layers raise on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """A field breaks a rule (HTTP 400). `field` names it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


class Unauthenticated(DomainError):
    """Missing/unknown credentials, bad signature, stale timestamp (HTTP 401)."""


class Forbidden(DomainError):
    """The caller is known but the thing is not theirs (HTTP 403)."""


class NotFound(DomainError):
    """No such thing (HTTP 404)."""


class AlreadyExists(DomainError):
    """A duplicate (HTTP 409). `existing_id` names the thing that already exists."""

    def __init__(self, detail: str, existing_id: str) -> None:
        super().__init__(detail)
        self.existing_id = existing_id


class Conflict(DomainError):
    """The thing is not in a state that allows this (HTTP 409), e.g. a limit reached."""


class TooLarge(DomainError):
    """A request body over its limit (HTTP 413)."""


class Unprocessable(DomainError):
    """Well-formed but cannot be done, e.g. a render over MEDIA_MAX_BYTES (HTTP 422)."""


class TooMany(DomainError):
    """The caller holds too many of something at once (HTTP 429)."""


class Overloaded(DomainError):
    """Too much work queued; retry later (HTTP 503 with Retry-After)."""

    def __init__(self, detail: str, retry_after_seconds: int = 1) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class TransitionNotAllowed(DomainError):
    """The signal's current status does not allow this transition (HTTP 409).

    `current_status` is that status; the answer's body carries it as `status`.
    """

    def __init__(self, detail: str, current_status: str) -> None:
        super().__init__(detail)
        self.current_status = current_status


class PreconditionFailed(DomainError):
    """`If-Match` names a revision the thing no longer has (HTTP 412).

    `current_revision` is the revision it has now.
    """

    def __init__(self, detail: str, current_revision: int) -> None:
        super().__init__(detail)
        self.current_revision = current_revision
