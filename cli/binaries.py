"""Compatibility: ``find_binary`` lives in service/binaries.py (tests and benchmarks import it from here)."""

from __future__ import annotations

from service.binaries import find_binary

__all__ = ["find_binary"]
