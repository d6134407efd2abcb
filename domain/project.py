"""Secretary projects (书记项目、委员项目、支部项目) as a decider. Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ProjectPolicy(BaseModel):
    """Policy section; every number a local setting (filled in with the rules below)."""

    model_config = ConfigDict(extra="forbid")
