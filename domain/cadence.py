"""Cadence (月督导、季观摩、半年通报): when the supervision schedules run. Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CadencePolicy(BaseModel):
    """Policy section; every number a local setting (filled in with the rules below)."""

    model_config = ConfigDict(extra="forbid")
