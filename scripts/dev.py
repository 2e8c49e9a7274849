#!/usr/bin/env python3
"""Developer entry point; needs only Python 3.11+ (standard library).

    python3 scripts/dev.py serve   # create .venv if needed, then run signalhub on SQLite
    python3 scripts/dev.py test    # create .venv if needed, then lint + type-check + all tests
    python3 scripts/dev.py lint    # ruff, mypy --strict (all four layers), import-linter
    python3 scripts/dev.py bench   # the benchmark scripts under bench/
    python3 scripts/dev.py lock    # re-resolve requirements.lock after editing pyproject.toml

Installs come from requirements.lock (exact versions with hashes, runtime + dev), so every
machine gets the same packages; `lock` refreshes it with uv (installed into .venv by the lock).

`test` installs Debian's chromium and chromium-driver for the browser tests of the approvals
page (tests/e2e/browser/) when /usr/bin/chromedriver is missing and it runs as root with
apt-get; elsewhere those tests skip, saying why.

`test` runs the PostgreSQL half of the suite against, in order: DATABASE_URL when it is a
postgresql:// URL, else PostgreSQL on 127.0.0.1:5432, else a throwaway cluster started here
from the local PostgreSQL binaries (initdb/pg_ctl) and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".signalhub-installed"


def say(message: str) -> None:
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def die(message: str) -> None:
    print(f"[dev] error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


LOCK = ROOT / "requirements.lock"
LOCK_COMMAND = [
    "pip", "compile", "pyproject.toml", "--extra", "dev", "--universal",
    "--generate-hashes", "--python-version", "3.11", "-o", "requirements.lock",
    "--custom-compile-command", "python3 scripts/dev.py lock",
]  # fmt: skip


def ensure_venv() -> None:
    """Create .venv and install the locked dependencies and the project when either changed."""
    if sys.version_info < (3, 11):
        die(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(LOCK.read_bytes())
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        say("creating .venv")
        if run(sys.executable, "-m", "venv", VENV) != 0:
            die("could not create .venv (is the python3-venv package installed?)")
    started = time.monotonic()
    say("installing signalhub and its dev dependencies into .venv (first run only)")
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if (
        run(*pip, "--upgrade", "pip") != 0
        or run(*pip, "--require-hashes", "-r", LOCK) != 0
        or run(*pip, "--no-deps", "--no-build-isolation", "-e", ".") != 0
    ):
        die("pip install failed")
    STAMP.write_text(wanted)
    say(f"installed in {time.monotonic() - started:.0f}s")


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb + pg_ctl from the local PostgreSQL binaries; as the postgres user when root."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    initdb = shutil.which("initdb") or (candidates[0] if candidates else None)
    if initdb is None:
        die(
            "no PostgreSQL for the tests: DATABASE_URL is not a postgresql:// URL, nothing "
            "answers on 127.0.0.1:5432, and no initdb binary was found (install PostgreSQL)"
        )
    bindir = Path(str(initdb)).parent
    base = Path(tempfile.mkdtemp(prefix="signalhub-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    as_postgres: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    say(f"starting a throwaway PostgreSQL cluster on 127.0.0.1:{port}")
    subprocess.run(
        [*as_postgres, bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=300"
    subprocess.run(
        [
            *as_postgres,
            bindir / "pg_ctl",
            "-D",
            data,
            "-o",
            options,
            "-w",
            "-l",
            base / "log",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)
        say("throwaway PostgreSQL cluster stopped")


@contextlib.contextmanager
def postgres_for_tests() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://")):
        say("tests use PostgreSQL from DATABASE_URL")
        yield url
    elif port_open("127.0.0.1", 5432):
        say("tests use PostgreSQL on 127.0.0.1:5432")
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
    else:
        with throwaway_cluster() as cluster_url:
            yield cluster_url


def lint() -> int:
    steps = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy", "domain", "application", "adapters", "entrypoints"],
        [BIN / "lint-imports"],
    ]
    for step in steps:
        say("running " + " ".join(str(s.name) if isinstance(s, Path) else s for s in step))
        if run(*step) != 0:
            return 1
    return 0


CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_PACKAGES = ("chromium", "chromium-driver")


def ensure_chromium() -> None:
    """Debian's chromium + chromium-driver for the browser tests, installed once when missing."""
    if CHROMEDRIVER.exists():
        return
    apt_get = shutil.which("apt-get")
    if apt_get is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        say(
            f"{CHROMEDRIVER} is missing and this is not root with apt-get: the browser tests "
            f"will skip (install {' and '.join(BROWSER_PACKAGES)} to run them)"
        )
        return
    say(f"installing {' '.join(BROWSER_PACKAGES)} with apt-get for the browser tests")
    started = time.monotonic()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["update"], ["install", "-y", *BROWSER_PACKAGES]):
        done = subprocess.run(
            [apt_get, "-qq", *step], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
            say(f"apt-get {step[0]} failed: the browser tests will skip; " + " | ".join(last))
            return
    if not CHROMEDRIVER.exists():
        say(f"apt-get installed the packages but {CHROMEDRIVER} is missing: browser tests skip")
        return
    say(f"installed {' '.join(BROWSER_PACKAGES)} in {time.monotonic() - started:.0f}s")


def test(pytest_args: list[str]) -> int:
    if lint() != 0:
        return 1
    ensure_chromium()
    with postgres_for_tests() as pg_url:
        env = {**os.environ, "SIGNALHUB_TEST_PG_DSN": pg_url}
        # The suite builds its own databases; the service's own DATABASE_URL must not leak in.
        env.pop("DATABASE_URL", None)
        code = run(BIN / "python", "-m", "pytest", *pytest_args, env=env)
    if code == 5:
        say("pytest collected no tests: that is a failure here")
        return 1
    return code


def lock() -> int:
    """Re-resolve requirements.lock from pyproject.toml (exact versions, hashes, all platforms)."""
    return run(BIN / "uv", *LOCK_COMMAND)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test", "lint", "bench", "lock"):
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_venv()
    if command == "serve":
        os.execv(BIN / "signalhub", [str(BIN / "signalhub"), "serve", *rest])
    if command == "lint":
        return lint()
    if command == "lock":
        return lock()
    if command == "bench":
        code = 0
        for script in sorted((ROOT / "bench").glob("*.py")):
            say(f"running {script.relative_to(ROOT)}")
            code |= run(BIN / "python", script, *rest)
        return code
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
