"""Outbound webhooks: the HTTP sender, the resolver of the SSRF guard, the SQLite delivery
lock (docs/webhooks.md)."""
