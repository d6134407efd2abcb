"""Tables (projections and working data); see the matching migration in store/migrations/versions."""

from __future__ import annotations
