"""Who is acting, with which policy: the actor directory file and the policy file.

Files come from an explicit path (a CLI option) or the settings (``PDCA_ACTORS``, ``PDCA_POLICY``,
``PDCA_ACTOR``); problems raise ``InputError`` with the file and line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.policy import Policy
from settings import get_settings
from settings.errors import InputError
from settings.files import load_model

__all__ = ["ActorDirectory", "actors_path", "load_policy", "resolve_actor"]


class ActorDirectory(BaseModel):
    actors: list[Actor] = Field(min_length=1)

    def get(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)


def actors_path(option: Path | None) -> Path:
    """The option, else PDCA_ACTORS, else $PDCA_HOME/actors.yaml."""
    return option or get_settings().actors_file


def resolve_actor(actor_id: str | None, actors_file: Path | None) -> Actor:
    actor_id = actor_id or get_settings().actor
    if not actor_id:
        raise InputError("who is acting? pass --as ACTOR_ID or set PDCA_ACTOR")
    path = actors_path(actors_file)
    if not path.exists():
        raise InputError(f"no actor directory at {path}: pass --actors FILE or set PDCA_ACTORS (see examples/actors.yaml)")
    directory = load_model(ActorDirectory, path)
    actor = directory.get(actor_id)
    if actor is None:
        known = ", ".join(a.id for a in directory.actors)
        raise InputError(f"unknown actor {actor_id!r} in {path}; known: {known}")
    return actor


def load_policy(option: Path | None) -> Policy:
    """The option, else PDCA_POLICY, else the built-in policy."""
    path = option or get_settings().policy
    return load_model(Policy, path) if path else Policy()
