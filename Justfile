# Thin aliases for scripts/dev.py (which needs only Python 3.11+).

serve *ARGS:
    python3 scripts/dev.py serve {{ARGS}}

test *ARGS:
    python3 scripts/dev.py test {{ARGS}}

lint:
    python3 scripts/dev.py lint

bench *ARGS:
    python3 scripts/dev.py bench {{ARGS}}
