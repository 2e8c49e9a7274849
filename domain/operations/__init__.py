"""Operating the service: what readiness means (SPEC §7)."""
