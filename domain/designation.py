"""Designation of weak and lax organizations (认定): bottom-N % per domain and direct criteria. Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DesignationPolicy(BaseModel):
    """Policy section; every number a local setting (filled in with the rules below)."""

    model_config = ConfigDict(extra="forbid")
