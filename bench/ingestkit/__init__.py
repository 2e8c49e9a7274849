"""The parts of bench/ingest.py: the load generator, the servers, PostgreSQL helpers."""
