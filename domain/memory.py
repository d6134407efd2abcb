"""Memory across years (历史记录规则): rules over the assessment history that produce sanction proposals. Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MemoryPolicy(BaseModel):
    """Policy section; every number a local setting (filled in with the rules below)."""

    model_config = ConfigDict(extra="forbid")
