"""Each channel against a real local server: exact payloads, signatures, headers; failures recorded;
retries send only what failed; a key is never sent twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError

from activities.channels import dingtalk_sign
from i18n import label
from observability.metrics import NOTICES
from store.notify_models import NoticeDelivery
from tests.notify.conftest import activities_from, actor, overdue, reminder
from tests.notify.servers import closed_port

SECRET = "SECtest0123456789abcdef"


def rows(engine) -> dict[tuple[str, str], NoticeDelivery]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return {(r.recipient, r.channel): r for r in session.exec(select(NoticeDelivery))}


def counter(event_type: str, channel: str, result: str) -> float:
    return NOTICES.labels(event_type, channel, result)._value.get()


def test_webhook_posts_one_json_object_per_recipient(tmp_path: Path, http, engine, monkeypatch) -> None:
    monkeypatch.setenv("OA_TOKEN", "Bearer t0k3n")
    channels = {
        "channels": {
            "oa": {
                "type": "webhook",
                "url": http.url("/hook"),
                "headers": {"X-Source": "county"},
                "headers_env": {"Authorization": "OA_TOKEN"},
            }
        },
        "default_channels": ["oa"],
    }
    acts = activities_from(tmp_path, channels, [actor("chen.branch", name="陈书记")], engine)
    notice = reminder(["chen.branch", "resp-unknown"])
    before = counter("ReminderSent", "oa", "sent")
    assert acts.send_notice(notice) == 2
    assert len(http.posts) == 2
    post = http.posts[0]
    assert post.headers["content-type"] == "application/json; charset=utf-8"
    assert post.headers["authorization"] == "Bearer t0k3n" and post.headers["x-source"] == "county"
    assert post.headers["idempotency-key"] == f"{notice.event_id}:chen.branch"
    body = post.body
    assert set(body) == {"key", "event_id", "event_type", "case_id", "recipient", "recipient_name", "title", "message", "sent_at"}
    assert body["event_id"] == notice.event_id and body["event_type"] == "ReminderSent"
    assert body["recipient"] == "chen.branch" and body["recipient_name"] == "陈书记"
    assert body["case_id"] == "rect-V001-2026" and body["title"] == label("event.ReminderSent")
    assert "城关镇东村党支部" in body["message"] and "M1" in body["message"]
    assert http.posts[1].body["recipient"] == "resp-unknown" and http.posts[1].body["recipient_name"] is None
    assert counter("ReminderSent", "oa", "sent") == before + 2
    # The same notice again (a workflow replay, a duplicate): nothing is sent twice.
    assert acts.send_notice(notice) == 2
    assert len(http.posts) == 2
    assert {r.status for r in rows(engine).values()} == {"sent"}


def test_dingtalk_markdown_signed_and_mentions_by_mobile(tmp_path: Path, http, engine, monkeypatch) -> None:
    monkeypatch.setenv("DT_URL", http.url("/robot/send") + "?access_token=abc123")
    monkeypatch.setenv("DT_SECRET", SECRET)
    channels = {
        "channels": {"group": {"type": "dingtalk", "url_env": "DT_URL", "secret_env": "DT_SECRET", "keyword": "整改"}},
        "default_channels": ["group"],
    }
    acts = activities_from(tmp_path, channels, [actor("chen.branch", name="陈书记", mobile="13800000001")], engine)
    acts.send_notice(overdue(["chen.branch"]))
    [post] = http.posts
    assert post.query["access_token"] == "abc123"
    timestamp, sign = post.query["timestamp"], post.query["sign"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
    assert sign == expected  # parse_qsl already URL-decoded it
    assert post.body["msgtype"] == "markdown"
    assert post.body["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    markdown = post.body["markdown"]
    assert set(markdown) == {"title", "text"}
    assert markdown["title"] and markdown["title"] in markdown["text"]
    assert "整改" in markdown["text"] and "@13800000001" in markdown["text"] and "M2" in markdown["text"]


def test_dingtalk_sign_matches_the_documented_example() -> None:
    # Independently computed: base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")), then URL-encoded.
    timestamp, sign = dingtalk_sign("SEC000", 1_700_000_000_000)
    raw = base64.b64encode(hmac.new(b"SEC000", b"1700000000000\nSEC000", hashlib.sha256).digest()).decode()
    assert timestamp == "1700000000000"
    assert sign == raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def test_dingtalk_text_and_a_refusal_by_errcode(tmp_path: Path, http, engine, monkeypatch) -> None:
    monkeypatch.setenv("DT_URL", http.url("/robot/send") + "?access_token=abc")
    http.responses["/robot/send"] = (200, {"errcode": 310000, "errmsg": "keywords not in content"})
    channels = {"channels": {"group": {"type": "dingtalk", "url_env": "DT_URL", "msgtype": "text"}}, "default_channels": ["group"]}
    acts = activities_from(tmp_path, channels, [actor("chen.branch", name="陈书记")], engine)
    with pytest.raises(ApplicationError) as failure:
        acts.send_notice(reminder(["chen.branch"]))
    assert failure.value.type == "NoticeDeliveryFailed" and not failure.value.non_retryable
    [post] = http.posts
    assert post.body == {"msgtype": "text", "text": {"content": post.body["text"]["content"]}, "at": {"atMobiles": [], "isAtAll": False}}
    assert post.body["text"]["content"].startswith("陈书记：【")
    row = rows(engine)[("chen.branch", "group")]
    assert row.status == "failed" and row.attempts == 1 and "310000" in (row.last_error or "")
    assert "abc" not in (row.last_error or "")  # the access token never reaches the ledger


def test_wecom_text_and_markdown_shapes(tmp_path: Path, http, engine, monkeypatch) -> None:
    monkeypatch.setenv("WC_URL", http.url("/cgi-bin/webhook/send") + "?key=k1")
    channels = {
        "channels": {
            "wx-text": {"type": "wecom", "url_env": "WC_URL", "msgtype": "text"},
            "wx-md": {"type": "wecom", "url_env": "WC_URL", "msgtype": "markdown"},
        },
        "default_channels": ["wx-text", "wx-md"],
    }
    acts = activities_from(tmp_path, channels, [actor("chen.branch", name="陈书记", mobile="13800000001")], engine)
    acts.send_notice(reminder(["chen.branch"]))
    text, markdown = http.posts
    assert text.query == {"key": "k1"} and markdown.query == {"key": "k1"}
    assert text.body["msgtype"] == "text" and set(text.body["text"]) == {"content", "mentioned_mobile_list"}
    assert text.body["text"]["mentioned_mobile_list"] == ["13800000001"]
    assert markdown.body["msgtype"] == "markdown" and set(markdown.body["markdown"]) == {"content"}
    assert markdown.body["markdown"]["content"].startswith("**") and "陈书记" in markdown.body["markdown"]["content"]
    assert len(markdown.body["markdown"]["content"].encode()) <= 4096


def test_smtp_email_with_login_utf8_subject_and_body(tmp_path: Path, smtp, engine, monkeypatch) -> None:
    box, port = smtp
    monkeypatch.setenv("SMTP_USER", "pdca")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    channels = {
        "channels": {
            "mail": {
                "type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "username_env": "SMTP_USER",
                "password_env": "SMTP_PASSWORD",
                "sender": "pdca@zzb.example.gov.cn",
                "sender_name": "县委组织部",
            }
        },
        "default_channels": ["mail"],
    }
    acts = activities_from(tmp_path, channels, [actor("li.county", name="李县长", email="li@example.gov.cn")], engine)
    notice = overdue(["li.county"])
    acts.send_notice(notice)
    assert box.logins == [("pdca", "s3cret")]
    [(mail_from, rcpt, mail)] = box.messages
    assert mail_from == "pdca@zzb.example.gov.cn" and rcpt == ["li@example.gov.cn"]
    assert str(mail["Subject"]).startswith("【PDCA】") and "rect-V001-2026" in str(mail["Subject"])
    assert mail["To"].addresses[0].display_name == "李县长"
    assert mail["From"].addresses[0].display_name == "县委组织部"
    assert mail["X-PDCA-Key"] == f"{notice.event_id}:li.county"
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert "城关镇东村党支部" in body and "逾期" in body


def test_a_down_channel_is_recorded_others_delivered_and_only_failed_keys_retried(tmp_path: Path, http, smtp, engine, monkeypatch) -> None:
    box, port = smtp
    monkeypatch.setenv("DT_URL", http.url("/robot/send") + "?access_token=abc")
    http.responses["/broken"] = (500, {"error": "internal"})
    channels = {
        "channels": {
            "group": {"type": "dingtalk", "url_env": "DT_URL"},
            "broken": {"type": "webhook", "url": http.url("/broken")},
            "refused": {"type": "webhook", "url": f"http://127.0.0.1:{closed_port()}/hook", "timeout_seconds": 2},
            "mail": {"type": "smtp", "host": "127.0.0.1", "port": port, "sender": "pdca@example.gov.cn"},
        },
        "default_channels": ["group", "broken", "refused", "mail"],
    }
    people = [actor("a", email="a@example.gov.cn"), actor("b", email="b@example.gov.cn")]
    acts = activities_from(tmp_path, channels, people, engine)
    notice = overdue(["a", "b"])
    failed_before = counter("MeasureOverdue", "refused", "failed")
    with pytest.raises(ApplicationError) as failure:
        acts.send_notice(notice)
    assert failure.value.type == "NoticeDeliveryFailed" and not failure.value.non_retryable
    state = rows(engine)
    assert {k for k, r in state.items() if r.status == "sent"} == {("a", "group"), ("b", "group"), ("a", "mail"), ("b", "mail")}
    assert "HTTP 500" in (state[("a", "broken")].last_error or "")
    assert "Connection refused" in (state[("a", "refused")].last_error or "") or "refused" in (state[("a", "refused")].last_error or "")
    # A dead endpoint is tried once per attempt, not once per recipient.
    assert len(http.to("/broken")) == 1 and state[("b", "broken")].attempts == 0
    assert (state[("b", "broken")].last_error or "").startswith("not tried")
    assert counter("MeasureOverdue", "refused", "failed") == failed_before + 2
    assert len(box.messages) == 2 and len(http.to("/robot/send")) == 2
    # The webhook comes back; the retry (Temporal re-runs the activity) sends only what failed.
    http.responses.pop("/broken")
    with pytest.raises(ApplicationError):
        acts.send_notice(notice)  # "refused" is still down
    state = rows(engine)
    assert state[("a", "broken")].status == state[("b", "broken")].status == "sent"
    assert state[("a", "broken")].attempts == 2 and state[("b", "broken")].attempts == 1
    assert len(http.to("/broken")) == 3 and len(http.to("/robot/send")) == 2 and len(box.messages) == 2
    assert state[("a", "refused")].status == "failed" and state[("a", "refused")].attempts == 2


def test_a_recipient_without_address_does_not_stop_the_others(tmp_path: Path, smtp, engine) -> None:
    box, port = smtp
    channels = {
        "channels": {"mail": {"type": "smtp", "host": "127.0.0.1", "port": port, "sender": "pdca@example.gov.cn"}},
        "default_channels": ["mail"],
    }
    people = [actor("a"), actor("b", email="b@example.gov.cn"), actor("c", email="nobody@example.gov.cn")]
    acts = activities_from(tmp_path, channels, people, engine)
    with pytest.raises(ApplicationError) as failure:
        acts.send_notice(reminder(["a", "b", "c"]))
    # "a" has no address (permanent), "c" is refused by the server (may be fixed there): retry.
    assert not failure.value.non_retryable
    assert [m[1] for m in box.messages] == [["b@example.gov.cn"]]
    state = rows(engine)
    assert state[("b", "mail")].status == "sent"
    assert "no email address" in (state[("a", "mail")].last_error or "")
    assert "refused" in (state[("c", "mail")].last_error or "")
    # Only permanent failures left: not retried by Temporal.
    with pytest.raises(ApplicationError) as only_permanent:
        acts.send_notice(reminder(["a"]))
    assert only_permanent.value.non_retryable and only_permanent.value.type == "NoticeUndeliverable"


def test_log_channel_is_the_default_and_routes_follow_the_directory(tmp_path: Path, http, engine, capsys) -> None:
    channels = {"channels": {"oa": {"type": "webhook", "url": http.url("/hook")}}}  # default_channels: [log]
    acts = activities_from(tmp_path, channels, [actor("x", channels=["oa"]), actor("y")], engine)
    acts.send_notice(reminder(["x", "y", "stranger"]))
    assert [p.body["recipient"] for p in http.posts] == ["x"]
    assert set(rows(engine)) == {("x", "oa"), ("y", "log"), ("stranger", "log")}


def test_a_notice_of_another_kind_is_read_by_its_kind(tmp_path: Path, http, engine) -> None:
    """``Notice.kind`` picks the stream kind that parses and words the payload; old payloads default to rectification."""
    from activities.notify import Notice

    old = Notice.model_validate_json('{"event_id": "e1", "case_id": "rect-X-2026", "org_name": "X", "payload": "{}"}')
    assert old.kind == "rectification"
    bad = reminder(["x"]).model_copy(update={"kind": "no-such-kind"})
    acts = activities_from(tmp_path, {"channels": {}}, [actor("x")], engine)
    with pytest.raises(ValueError, match="unknown stream kind"):
        acts.send_notice(bad)
