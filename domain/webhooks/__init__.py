"""Outbound webhooks (SPEC §15): the rules and ports; docs/webhooks.md."""
