"""The contacts file (``PDCA_ACTORS``: email, mobile, channels per person, read by the notifier and as
the bootstrap of the people directory, `pdca person import`) and the policy file (``PDCA_POLICY``).

Who acts is never read from here: it is the credential a command carries (docs/security.md). Problems
raise ``InputError`` with the file and line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.policy import Policy
from settings import get_settings
from settings.files import load_model

__all__ = ["ActorDirectory", "actors_path", "load_policy"]


class ActorDirectory(BaseModel):
    actors: list[Actor] = Field(min_length=1)

    def get(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)


def actors_path(option: Path | None) -> Path:
    """The option, else PDCA_ACTORS, else $PDCA_HOME/actors.yaml."""
    return option or get_settings().actors_file


def load_policy(option: Path | None) -> Policy:
    """The option, else PDCA_POLICY, else the built-in policy."""
    path = option or get_settings().policy
    return load_model(Policy, path) if path else Policy()
