"""Presentation in one place: the words people read, Chinese first, English on request.

- ``i18n.labels``: the (zh, en) label of every code (stages, events, words, report and ledger headings);
- ``i18n.notices``: what a notice says, per stream kind (``render_notice``), durations, rung wording;
- ``i18n.campaign``: one line per campaign event (histories, logs);
- ``i18n.cadence``: the supervision cadences' titles, digest and review texts.

Used by the CLI, the notice activity, the cadence activity, reports and charts; the rules (domain/)
never import it.
"""

from i18n.labels import Lang, all_keys, enum_label, label
from i18n.notices import human_duration, render_notice

__all__ = ["Lang", "all_keys", "enum_label", "human_duration", "label", "render_notice"]
