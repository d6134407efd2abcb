#!/usr/bin/env python3
"""Two commands on a fresh machine, with nothing but Python 3.11:

    python3 dev.py up     create .venv, install the project, start the embedded stack (`pdca up`)
    python3 dev.py test   create .venv, install the project with its dev extra, run the tests
    python3 dev.py check  create .venv, install the project with its dev extra, run `ruff check` and `mypy`
    python3 dev.py demo   create .venv, install the project, run a whole campaign year (`pdca demo`)

Extra arguments go to `pdca up`, pytest or `pdca demo`; for `check` they are the paths to check instead of
the whole project (as configured in pyproject.toml). Installs are redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def ensure_installed(extra: str | None) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 -- dev.py runs on the system's python3, which may be older
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / f".installed-{extra or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extra}]" if extra else "."
    print(f"installing {target} into {VENV}", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def check(paths: list[str]) -> int:
    """Lint and type-check (settings in pyproject.toml); non-zero if either finds anything."""
    ruff = subprocess.run([str(PYTHON), "-m", "ruff", "check", *(paths or ["."])], cwd=ROOT).returncode
    mypy = subprocess.run([str(PYTHON), "-m", "mypy", *paths], cwd=ROOT).returncode
    return ruff or mypy


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test", "check", "demo"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command in {"up", "demo"}:
        ensure_installed(None)
        os.execv(str(BIN / "pdca"), [str(BIN / "pdca"), command, *rest])
    ensure_installed("dev")
    if command == "check":
        return check(rest)
    return subprocess.run([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
