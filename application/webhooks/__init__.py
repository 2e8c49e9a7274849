"""Outbound webhooks (SPEC §15): the subscription use cases and the delivery worker."""
