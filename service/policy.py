"""The policy file: the effective policy, and checking a file before it is used."""

from __future__ import annotations

from pathlib import Path

from domain.policy import Policy
from settings.directory import load_policy
from settings.files import load_model


def effective(path: Path | None = None) -> Policy:
    """The policy in force: ``path``, else PDCA_POLICY, else the built-in one (defaults merged)."""
    return load_policy(path)


def check(path: Path) -> Policy:
    """The policy in ``path``; ``InputError`` names the first bad field and its line."""
    return load_model(Policy, path)
