"""Share links to cached charts (SPEC §12)."""

from application.share_links.use_cases import (
    CreateShareLink,
    OpenSharedMedia,
    RotateLinkKey,
    SharedMedia,
    ShareLink,
)

__all__ = ["CreateShareLink", "OpenSharedMedia", "RotateLinkKey", "ShareLink", "SharedMedia"]
