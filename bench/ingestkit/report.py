"""What bench/ingest.py measured of each contender, and how it prints it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from ingestkit.load import Result, cpu_split, merge, ratios


@dataclass
class Contender:
    name: str
    port: int
    database: str  # PostgreSQL's backends of this database count as its database work
    process: subprocess.Popen[bytes]
    requests: list[bytes]
    results: list[Result]
    cpu_seconds: float = 0.0  # of the server's processes during its rounds
    pg_cpu_seconds: float = 0.0  # of PostgreSQL's processes (postgres_cpu) during its rounds
    load_cpu_seconds: float = 0.0  # of this process, the load generator, during its rounds


def report(contenders: list[Contender], rounds: int) -> dict[str, Result]:
    """Each round, all rounds, the CPU split; returns the merged results by contender."""
    for i in range(rounds):
        for c in contenders:
            print(c.results[i].line())
        print("       " + ratios({c.name: c.results[i] for c in contenders}))
    print("all rounds:")
    merged = {c.name: merge(c.name, c.results) for c in contenders}
    for result in merged.values():
        print(result.line())
    print(ratios(merged))
    print("CPU per signal (user + system; µs): server + PostgreSQL + load generator = total")
    for c in contenders:
        seconds = (c.cpu_seconds, c.pg_cpu_seconds, c.load_cpu_seconds)
        print(cpu_split(c.name, seconds, merged[c.name].ok))
    return merged
