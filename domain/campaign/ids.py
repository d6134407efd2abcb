"""The campaign's stream ids: one campaign per region and year, ``camp-{region}-{year}``."""

from __future__ import annotations

import re

KIND = "campaign"
PREFIX = "camp-"
ALL_REGIONS = "all"  # the token of a county-wide campaign (no --region): every region of the directory
_SPACE = re.compile(r"\s+")


def region_token(region: str | None) -> str:
    """The id-safe form of a region name, used in the stream / workflow id.

    Temporal workflow ids are any UTF-8 string (up to 1 000 bytes by default) and the audit log's
    stream ids are up to 128 characters of any text, so a region name is used as it is — Chinese
    included (``camp-城关镇-2026``). Only whitespace is normalised: leading/trailing spaces are dropped
    and inner runs of whitespace become one ``_``. No region (the whole county) is ``all``.
    """
    if region is None or not region.strip():
        return ALL_REGIONS
    return _SPACE.sub("_", region.strip())


def campaign_id_for(region: str | None, year: int) -> str:
    return f"{PREFIX}{region_token(region)}-{year}"
