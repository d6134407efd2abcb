"""Daily digests: queued per recipient, one message per recipient, channel and day, sent once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError

from activities.notify import DigestRequest
from store.notify_models import NoticeDelivery
from tests.notify.conftest import NOW, activities_from, actor, overdue, reminder

EVENING = NOW + timedelta(hours=8)  # 17:00 Beijing, Monday 2026-11-23


def statuses(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    with Session(engine) as session:
        for row in session.exec(select(NoticeDelivery)):
            counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def setup(tmp_path: Path, http, engine):  # type: ignore[no-untyped-def]
    channels = {"channels": {"oa": {"type": "webhook", "url": http.url("/hook")}}, "default_channels": ["oa"]}
    people = [actor("wang.sup", name="王督导", digest=True), actor("li.county", name="李县长", digest=True), actor("chen.branch")]
    return activities_from(tmp_path, channels, people, engine)


def test_digest_groups_per_recipient_and_sends_once(tmp_path: Path, http, engine) -> None:
    acts = setup(tmp_path, http, engine)
    acts.send_notice(reminder(["wang.sup", "chen.branch"], measure="M1"))
    acts.send_notice(reminder(["wang.sup", "li.county"], measure="M2"))
    acts.send_notice(overdue(["wang.sup"]))
    # chen.branch gets his notice at once; the two digest readers get nothing yet.
    assert [p.body["recipient"] for p in http.posts] == ["chen.branch"]
    assert statuses(engine) == {"sent": 1, "queued_for_digest": 4}

    result = acts.send_digests(DigestRequest(as_of=EVENING))
    assert result.day == "2026-11-23" and result.digests_sent == 2 and result.items == 4
    digests = {p.body["recipient"]: p.body for p in http.posts[1:]}
    assert set(digests) == {"wang.sup", "li.county"}
    wang = digests["wang.sup"]["message"]
    assert wang.startswith("【每日通知汇总】2026-11-23，共 3 条") and "M1" in wang and "M2" in wang and "逾期" in wang
    assert digests["wang.sup"]["event_type"] == "NoticeDigest" and digests["wang.sup"]["key"] == "digest:2026-11-23:wang.sup"
    assert "共 1 条" in digests["li.county"]["message"]
    assert statuses(engine) == {"sent": 3, "digested": 4}

    # A re-run the same day (schedule retry, manual trigger) sends nothing twice.
    again = acts.send_digests(DigestRequest(as_of=EVENING + timedelta(minutes=5)))
    assert again.digests_sent == 0 and len(http.posts) == 3

    # A notice queued after today's digest waits for tomorrow's, alone.
    acts.send_notice(reminder(["wang.sup"], measure="M3"))
    late = acts.send_digests(DigestRequest(as_of=EVENING + timedelta(minutes=30)))
    assert late.digests_sent == 0 and late.already_sent == 1 and len(http.posts) == 3
    tomorrow = acts.send_digests(DigestRequest(as_of=EVENING + timedelta(days=1)))
    assert tomorrow.digests_sent == 1 and tomorrow.items == 1
    assert "共 1 条" in http.posts[-1].body["message"] and "M3" in http.posts[-1].body["message"]
    assert http.posts[-1].body["key"] == "digest:2026-11-24:wang.sup"


def test_a_failed_digest_keeps_its_items_and_is_retried(tmp_path: Path, http, engine) -> None:
    acts = setup(tmp_path, http, engine)
    acts.send_notice(reminder(["wang.sup"], measure="M1"))
    acts.send_notice(reminder(["wang.sup"], measure="M2"))
    http.responses["/hook"] = (503, {"error": "maintenance"})
    with pytest.raises(ApplicationError) as failure:
        acts.send_digests(DigestRequest(as_of=EVENING))
    assert failure.value.type == "DigestDeliveryFailed"
    assert statuses(engine) == {"queued_for_digest": 2, "failed": 1}
    http.responses.pop("/hook")
    # The next day's run picks the items up (yesterday's digest never went out).
    result = acts.send_digests(DigestRequest(as_of=EVENING + timedelta(days=1)))
    assert result.digests_sent == 1 and result.items == 2
    assert statuses(engine) == {"digested": 2, "failed": 1, "sent": 1}
    assert "共 2 条" in http.posts[-1].body["message"]


def test_a_digest_sent_before_a_crash_is_not_sent_again(tmp_path: Path, http, engine) -> None:
    """The digest went out but the items were not marked (the worker died in between): the retry
    marks them and sends nothing."""
    from store.notify_models import DeliveryLedger, DeliveryStatus

    acts = setup(tmp_path, http, engine)
    acts.send_notice(reminder(["wang.sup"]))
    ledger = DeliveryLedger(engine)
    [row] = ledger.queued()
    ledger.assign([(row.event_id, row.recipient, row.channel)], "digest:2026-11-23")
    ledger.record(
        event_id="digest:2026-11-23",
        recipient="wang.sup",
        channel="oa",
        event_type="NoticeDigest",
        kind="digest",
        case_id="",
        status=DeliveryStatus.SENT,
        message="…",
    )
    result = acts.send_digests(DigestRequest(as_of=EVENING))
    assert result.digests_sent == 0 and http.posts == []
    assert statuses(engine) == {"digested": 1, "sent": 1}
