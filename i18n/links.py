"""Where an item lives in the web console (pure): the path a notice links to, one tap from the message.

    item_path("rect-V001-2026")              /cases/rect-V001-2026
    item_path("rect-V001-2026", "M1")        /cases/rect-V001-2026/measures/M1
    item_path("star-V001-2026")              /ratings/star-V001-2026
    item_link("https://pdca.example.gov.cn", "rect-V001-2026", "M1")
"""

from __future__ import annotations

from urllib.parse import quote


def item_path(stream_id: str, measure_id: str | None = None) -> str:
    if stream_id.startswith("rect-"):
        base = f"/cases/{quote(stream_id, safe='')}"
        return f"{base}/measures/{quote(measure_id, safe='')}" if measure_id else base
    if stream_id.startswith("star-"):
        return f"/ratings/{quote(stream_id, safe='')}"
    return f"/streams/{quote(stream_id, safe='')}"  # no console page yet: item_link gives None


def item_link(public_base: str, stream_id: str, measure_id: str | None = None) -> str | None:
    """The console's address of the item, or None when the console has no page for that kind of stream."""
    if not stream_id.startswith(("rect-", "star-")):
        return None
    return public_base.rstrip("/") + item_path(stream_id, measure_id)
