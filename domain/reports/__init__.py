"""Performance reports from a user's closed signals (SPEC §12): the equity rule and its port."""
