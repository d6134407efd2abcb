"""deploy/prometheus: promtool accepts the configuration and the rules, and the alerts fire when they
should (``promtool test rules`` with made-up series), including with several worker replicas."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from .support import ALERT_RULES, PROMETHEUS_CONFIG, alert_rules, load_yaml, tool


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_promtool_checks_the_config_and_the_rule_file_it_names() -> None:
    result = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(ALERT_RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_jobs_cover_both_worker_ports_and_prometheus() -> None:
    jobs = {job["job_name"]: job for job in load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]}
    assert set(jobs) >= {"prometheus", "pdca-worker", "pdca-worker-sdk"}
    # Every replica of the Compose service `worker` is found by DNS, on each of its two ports.
    assert jobs["pdca-worker"]["dns_sd_configs"] == [{"names": ["worker"], "type": "A", "port": 9464, "refresh_interval": "30s"}]
    assert jobs["pdca-worker-sdk"]["dns_sd_configs"][0]["names"] == ["worker"]
    assert jobs["pdca-worker-sdk"]["dns_sd_configs"][0]["port"] == 9465


def test_every_alert_is_documented() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    assert names >= {"OverdueCasesRising", "WorkerDown", "NotificationsFailing", "AuditVerificationFailing", "ProjectionScrapeFailing"}
    for rule in alert_rules():
        annotations = rule.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), rule["alert"]
        assert rule.get("labels", {}).get("severity") in {"warning", "critical"}, rule["alert"]


def _alert(name: str, **labels: str) -> dict:
    return {"exp_labels": {"severity": _severity(name), **labels}}


def _severity(name: str) -> str:
    return next(rule["labels"]["severity"] for rule in alert_rules() if rule["alert"] == name)


def _case(name: str, eval_time: str, *firing: dict) -> dict:
    return {"eval_time": eval_time, "alertname": name, "exp_alerts": [_alert(name, **labels) for labels in firing]}


def minute_scenarios() -> list[dict]:
    """Scenarios in promtool's unit-test format, samples every minute (rules evaluated every minute)."""
    return [
        {  # a worker stops answering: WorkerDown after 5 minutes of up == 0, only for that replica
            "interval": "1m",
            "input_series": [
                {"series": 'up{job="pdca-worker",instance="a:9464"}', "values": "1 1 0x15"},
                {"series": 'up{job="pdca-worker",instance="b:9464"}', "values": "1x17"},
            ],
            "alert_rule_test": [
                _case("WorkerDown", "5m"),
                _case("WorkerDown", "8m", {"job": "pdca-worker", "instance": "a:9464"}),
                _case("NoWorkerScraped", "8m"),
            ],
        },
        {  # no replica at all (DNS has no address): only absent() can tell
            "interval": "1m",
            "input_series": [{"series": 'pdca_projection_scrape_success{job="other",instance="x"}', "values": "1x10"}],
            "alert_rule_test": [_case("NoWorkerScraped", "3m"), _case("NoWorkerScraped", "7m", {"job": "pdca-worker"})],
        },
        {  # a channel keeps failing on one replica; another channel failed once and recovered
            "interval": "1m",
            "input_series": [
                {
                    "series": (
                        'pdca_notices_total{job="pdca-worker",instance="a:9464",'
                        'event_type="OverdueNoticeSent",channel="webhook",result="failed"}'
                    ),
                    "values": "0+2x40",
                },
                {
                    "series": (
                        'pdca_notices_total{job="pdca-worker",instance="b:9464",'
                        'event_type="ReminderSent",channel="log",result="failed"}'
                    ),
                    "values": "0 1x40",
                },
                {
                    "series": (
                        'pdca_notices_total{job="pdca-worker",instance="b:9464",'
                        'event_type="ReminderSent",channel="log",result="sent"}'
                    ),
                    "values": "0+5x40",
                },
            ],
            "alert_rule_test": [
                _case("NotificationsFailing", "10m"),
                _case("NotificationsFailing", "25m", {"channel": "webhook"}),
            ],
        },
        {  # the first broken verification: its counter series appears at 1, so increase() sees nothing,
            # but the chain gauge does; a worker that never verified (gauge 0, timestamp 0) is not a finding
            "interval": "1m",
            "input_series": [
                {"series": 'pdca_audit_verifications_total{job="pdca-worker",instance="a:9464",result="broken"}', "values": "_x5 1x10"},
                {"series": 'pdca_audit_chain_ok{job="pdca-worker",instance="a:9464"}', "values": "0x5 0x10"},
                {
                    "series": 'pdca_audit_last_verification_timestamp_seconds{job="pdca-worker",instance="a:9464"}',
                    "values": "0x5 1700000000x10",
                },
                {"series": 'pdca_audit_chain_ok{job="pdca-worker",instance="b:9464"}', "values": "0x15"},
                {"series": 'pdca_audit_last_verification_timestamp_seconds{job="pdca-worker",instance="b:9464"}', "values": "0x15"},
            ],
            "alert_rule_test": [_case("AuditVerificationFailing", "3m"), _case("AuditVerificationFailing", "7m", {})],
        },
        {  # the projections cannot be read on one replica
            "interval": "1m",
            "input_series": [
                {"series": 'pdca_projection_scrape_success{job="pdca-worker",instance="a:9464"}', "values": "1 0x20"},
                {"series": 'pdca_projection_scrape_success{job="pdca-worker",instance="b:9464"}', "values": "1x21"},
            ],
            "alert_rule_test": [
                _case("ProjectionScrapeFailing", "5m"),
                _case("ProjectionScrapeFailing", "15m", {"job": "pdca-worker", "instance": "a:9464"}),
            ],
        },
    ]


def hour_scenarios() -> list[dict]:
    """Samples every hour (rules evaluated every hour): a day of history and more. Two replicas (a, b)
    report the same case gauges."""
    replicas = ("a:9464", "b:9464")
    return [
        {  # overdue cases grow from 1 to 3 after a day; both replicas report them (must not double)
            "interval": "1h",
            "input_series": [
                *(
                    {
                        "series": f'pdca_overdue_cases{{job="pdca-worker",instance="{r}",kind="rectification",region="城关镇"}}',
                        "values": "1x24 3x12",
                    }
                    for r in replicas
                ),
                *({"series": f'pdca_projection_scrape_success{{job="pdca-worker",instance="{r}"}}', "values": "1x36"} for r in replicas),
            ],
            "alert_rule_test": [
                _case("OverdueCasesRising", "20h"),  # no day of history yet
                _case("OverdueCasesRising", "27h"),  # rising, but not for 6 hours yet
                {
                    **_case("OverdueCasesRising", "32h", {}),
                    "exp_alerts": [{**_alert("OverdueCasesRising"), "exp_annotations": {"value": "3"}}],
                },
            ],
            "promql_expr_test": [
                {
                    "expr": "sum(max by (kind, region) (pdca_overdue_cases))",
                    "eval_time": "32h",
                    "exp_samples": [{"labels": "{}", "value": 3}],
                },
            ],
        },
        {  # many overdue cases, but steady: nothing is rising
            "interval": "1h",
            "input_series": [
                {
                    "series": 'pdca_overdue_cases{job="pdca-worker",instance="a:9464",kind="rectification",region="城关镇"}',
                    "values": "5x40",
                },
                {"series": 'pdca_projection_scrape_success{job="pdca-worker",instance="a:9464"}', "values": "1x40"},
            ],
            "alert_rule_test": [_case("OverdueCasesRising", "39h")],
        },
        {  # a later broken verification on a replica that has reported an intact chain since
            "interval": "1h",
            "input_series": [
                {"series": 'pdca_audit_verifications_total{job="pdca-worker",instance="a:9464",result="broken"}', "values": "1 1 2x10"},
                {"series": 'pdca_audit_chain_ok{job="pdca-worker",instance="a:9464"}', "values": "1x12"},
                {
                    "series": 'pdca_audit_last_verification_timestamp_seconds{job="pdca-worker",instance="a:9464"}',
                    "values": "1700000000x12",
                },
            ],
            "alert_rule_test": [_case("AuditVerificationFailing", "5h", {})],
        },
        {  # workers scraped for three days, never a verification: the schedule is missing
            "interval": "1h",
            "input_series": [
                {"series": 'up{job="pdca-worker",instance="a:9464"}', "values": "1x80"},
                {"series": 'pdca_audit_last_verification_timestamp_seconds{job="pdca-worker",instance="a:9464"}', "values": "0x80"},
            ],
            "alert_rule_test": [_case("AuditVerificationMissing", "30h"), _case("AuditVerificationMissing", "50h", {})],
        },
        {  # verified daily (the worker restarted in between, resetting its gauge): nothing missing
            "interval": "1h",
            "input_series": [
                {"series": 'up{job="pdca-worker",instance="a:9464"}', "values": "1x80"},
                # Unix times of daily runs at hours 2, 26, 50 and 74 of the test (t=0 is the Unix epoch).
                {
                    "series": 'pdca_audit_last_verification_timestamp_seconds{job="pdca-worker",instance="a:9464"}',
                    "values": "0 0 7200x10 0x12 93600x24 180000x24 266400x6",
                },
            ],
            "alert_rule_test": [_case("AuditVerificationMissing", "60h"), _case("AuditVerificationMissing", "79h")],
        },
    ]


def test_alerts_fire_on_the_scenarios(tmp_path: Path) -> None:
    # promtool compares annotations too; they are checked above, so test a copy of the rules without
    # them, except the value of OverdueCasesRising (which must count each case once, not once per replica).
    rules = load_yaml(ALERT_RULES)
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
            if rule["alert"] == "OverdueCasesRising":
                rule["annotations"] = {"value": "{{ $value }}"}
    rule_file = tmp_path / "alerts.yml"
    rule_file.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    files = []
    for name, interval, scenarios in (("minutes", "1m", minute_scenarios()), ("hours", "1h", hour_scenarios())):
        test_file = tmp_path / f"alerts_test_{name}.yml"
        test_file.write_text(
            yaml.safe_dump({"rule_files": [str(rule_file)], "evaluation_interval": interval, "tests": scenarios}, allow_unicode=True),
            encoding="utf-8",
        )
        files.append(str(test_file))
    result = promtool("test", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
