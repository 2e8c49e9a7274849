"""Media use cases: render charts through the cache, download, stats, purge."""
