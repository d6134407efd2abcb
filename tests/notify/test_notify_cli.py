"""`pdca notify status` and `pdca notify test` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from typer.testing import CliRunner

from cli.main import app
from tests.notify.conftest import activities_from, actor, reminder, write
from tests.notify.servers import closed_port

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, http, engine, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PDCA_CHANNELS", raising=False)
    http.responses["/broken"] = (500, {"error": "internal"})
    channels = {
        "channels": {
            "oa": {"type": "webhook", "url": http.url("/hook")},
            "broken": {"type": "webhook", "url": http.url("/broken")},
            "refused": {"type": "webhook", "url": f"http://127.0.0.1:{closed_port()}/x", "timeout_seconds": 2},
        },
        "default_channels": ["oa", "broken"],
    }
    acts = activities_from(tmp_path, channels, [actor("chen.branch", name="陈书记"), actor("wang.sup", digest=True)], engine)
    for _ in range(2):
        with pytest.raises(ApplicationError):  # "broken" fails, as intended
            acts.send_notice(reminder(["chen.branch", "wang.sup"]))
    db = str(engine.url)
    return {"db": db, "channels": str(tmp_path / "channels.yaml"), "actors": str(tmp_path / "actors.yaml"), "http": http}


def test_status_json_counts_per_channel(setup) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["notify", "status", "--json", "--db", setup["db"], "--channels", setup["channels"]])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by = {c["channel"]: c for c in data["channels"]}
    assert set(by) == {"log", "oa", "broken", "refused"}
    assert by["oa"]["sent"] == 2 and by["oa"]["failed"] == 0 and by["oa"]["queued_for_digest"] == 2
    assert by["broken"]["failed"] == 2 and by["broken"]["sent"] == 0 and "HTTP 500" in by["broken"]["last_error"]
    assert by["broken"]["type"] == "webhook" and by["log"]["sent"] == 0
    assert {f["channel"] for f in data["failures"]} == {"broken"} and all(f["attempts"] == 1 for f in data["failures"])


def test_status_table_in_chinese_and_english(setup) -> None:  # type: ignore[no-untyped-def]
    zh = runner.invoke(app, ["notify", "status", "--db", setup["db"], "--channels", setup["channels"], "--since", "7d"])
    assert zh.exit_code == 0, zh.output
    assert "通道" in zh.output and "待汇总" in zh.output and "HTTP 500" in zh.output and "最近失败" in zh.output
    en = runner.invoke(app, ["notify", "status", "--db", setup["db"], "--channels", setup["channels"], "--lang", "en", "--since", "all"])
    assert en.exit_code == 0 and "queued" in en.output and "recent failures" in en.output and "HTTP 500" in en.output


def test_status_refuses_a_bad_window(setup) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["notify", "status", "--db", setup["db"], "--since", "yesterday"])
    assert result.exit_code == 1 and "--since" in result.output


def test_send_a_test_message(setup) -> None:  # type: ignore[no-untyped-def]
    http = setup["http"]
    before = len(http.to("/hook"))
    args = ["--channels", setup["channels"], "--contacts", setup["actors"]]
    ok = runner.invoke(app, ["notify", "test", "oa", "--to", "chen.branch", *args])
    assert ok.exit_code == 0, ok.output
    assert "✓" in ok.output
    [post] = http.to("/hook")[before:]
    assert post.body["recipient"] == "chen.branch" and post.body["event_type"] == "ChannelTest" and "通道测试" in post.body["message"]

    down = runner.invoke(app, ["notify", "test", "refused", *args, "--lang", "en"])
    assert down.exit_code == 1 and down.output.startswith("error: channel refused (webhook) failed: cannot reach")
    broken = runner.invoke(app, ["notify", "test", "broken", *args])
    assert broken.exit_code == 1 and "HTTP 500" in broken.output
    unknown = runner.invoke(app, ["notify", "test", "nope", *args])
    assert unknown.exit_code == 1 and "unknown channel 'nope'" in unknown.output
    stranger = runner.invoke(app, ["notify", "test", "oa", "--to", "nobody", *args])
    assert stranger.exit_code == 1 and "unknown actor 'nobody'" in stranger.output
    log = runner.invoke(app, ["notify", "test", "log", *args])
    assert log.exit_code == 0


def test_a_bad_channels_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "channels.yaml"
    bad.write_text(
        "channels:\n  oa:\n    type: webhook\n    url: http://x\n    urll_env: X\n  dt:\n    type: dingtalk\n    url: https://oapi.dingtalk.com/robot/send?access_token=leak\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["notify", "test", "oa", "--channels", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: channels.oa.webhook.urll_env: Extra inputs are not permitted" in result.output or f"{bad}:5" in result.output
    assert "channels.dt.dingtalk" in result.output  # a robot URL must come from the environment


def test_an_actor_naming_an_unknown_channel_is_refused_with_its_line(tmp_path: Path) -> None:
    channels = write(tmp_path / "channels.yaml", {"channels": {"oa": {"type": "webhook", "url": "http://127.0.0.1:1/x"}}})
    actors = write(tmp_path / "actors.yaml", {"actors": [actor("a"), actor("b", channels=["oa", "mail"])]})
    result = runner.invoke(app, ["notify", "test", "oa", "--channels", str(channels), "--contacts", str(actors)])
    assert result.exit_code == 1
    assert f"{actors}:" in result.output and "actors.1.channels: unknown channel 'mail'" in result.output
