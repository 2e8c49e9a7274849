"""Operations use cases: readiness (SPEC §7)."""
