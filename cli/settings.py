"""Who is acting, with which policy: read from files named by options or environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from cli.errors import CliError
from cli.files import load_model
from domain.actors import Actor
from domain.policy import Policy
from store.db import default_data_dir


class ActorDirectory(BaseModel):
    actors: list[Actor] = Field(min_length=1)

    def get(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)


def actors_path(option: Path | None) -> Path:
    if option:
        return option
    env = os.environ.get("PDCA_ACTORS")
    return Path(env) if env else default_data_dir() / "actors.yaml"


def resolve_actor(actor_id: str | None, actors_file: Path | None) -> Actor:
    actor_id = actor_id or os.environ.get("PDCA_ACTOR")
    if not actor_id:
        raise CliError("who is acting? pass --as ACTOR_ID or set PDCA_ACTOR")
    path = actors_path(actors_file)
    if not path.exists():
        raise CliError(f"no actor directory at {path}: pass --actors FILE or set PDCA_ACTORS (see examples/actors.yaml)")
    directory = load_model(ActorDirectory, path)
    actor = directory.get(actor_id)
    if actor is None:
        known = ", ".join(a.id for a in directory.actors)
        raise CliError(f"unknown actor {actor_id!r} in {path}; known: {known}")
    return actor


def load_policy(option: Path | None) -> Policy:
    path = option or (Path(os.environ["PDCA_POLICY"]) if os.environ.get("PDCA_POLICY") else None)
    return load_model(Policy, path) if path else Policy()
