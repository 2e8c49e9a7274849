"""Signed, expiring links to a cached chart (SPEC §12): the rule, its limits and its port."""

from domain.share_links.rule import (
    EXPIRES_IN_DEFAULT,
    EXPIRES_IN_MAX,
    EXPIRES_IN_MIN,
    GRACE_DEFAULT,
    GRACE_MAX,
    SIG_PATTERN,
    SignedLink,
    public_max_age,
    sign,
    verify,
)

__all__ = [
    "EXPIRES_IN_DEFAULT",
    "EXPIRES_IN_MAX",
    "EXPIRES_IN_MIN",
    "GRACE_DEFAULT",
    "GRACE_MAX",
    "SIG_PATTERN",
    "SignedLink",
    "public_max_age",
    "sign",
    "verify",
]
