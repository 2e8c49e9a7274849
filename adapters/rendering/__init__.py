"""Chart rendering: matplotlib in a process pool."""
