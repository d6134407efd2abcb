"""A real Prometheus server scraping the project's real metrics endpoints.

Three "replicas" share one SQLite audit database:
- two subprocesses (prometheus-client's registry is per process) that serve
  ``observability.metrics.serve`` and record one sample of every counter and histogram;
- the real worker (`pdca worker`) against a Temporal dev server, configured through the environment
  exactly as deploy/docker-compose.yml configures it, serving both of its ports.
Prometheus runs with the deploy configuration and alert rules, its jobs pointed at these ports instead
of DNS, with a 1 s scrape interval. Everything listens on 127.0.0.1 and is stopped at teardown.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cli.binaries import find_binary
from service.stack import stop

from .support import (
    ALERT_RULES,
    PROMETHEUS_CONFIG,
    ROOT,
    alert_exprs,
    alert_rules,
    dashboard_exprs,
    families,
    free_port,
    grafana_to_promql,
    load_dashboard,
    load_yaml,
    python,
    series_names,
    tool,
)

WAIT_SECONDS = 120  # generous: the machine is shared and loaded

REPLICA = textwrap.dedent(
    """
    import sys, time
    from prometheus_client import Counter, Histogram
    from store.db import make_engine
    from store.migrate import upgrade
    import observability.metrics as metrics

    url, port, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "seed"
    engine = make_engine(url)
    if seed:
        upgrade(engine)
        from datetime import datetime, timezone
        from sqlmodel import Session
        from store.models import CaseSummary
        now = datetime.now(timezone.utc)
        common = dict(kind="rectification", org_name="东村党支部", year=2026, cycle=1, plan_status="approved",
                      plan_round=1, plan_returns=0, measures_total=2, measures_done=0, escalations=0,
                      last_event_at=now, version=5, position=5)
        with Session(engine) as session:
            session.add(CaseSummary(case_id="rect-V001-2026", org_code="V001", region="城关镇", stage="implementing",
                                    overdue=True, overdue_measures=2, **common))
            session.add(CaseSummary(case_id="rect-V002-2026", org_code="V002", region="城关镇", stage="checking",
                                    overdue=False, overdue_measures=0, **common))
            session.add(CaseSummary(case_id="rect-V003-2026", org_code="V003", region="河西乡", stage="closed",
                                    overdue=False, overdue_measures=0, **common))
            session.commit()
    metrics.serve(engine, port)
    metrics.AUDIT_EVENTS_APPENDED.labels("CaseOpened").inc()
    # One sample in every counter and histogram family, so that each one is scraped.
    for metric in list(vars(metrics).values()):
        if isinstance(metric, (Counter, Histogram)):
            child = metric.labels(*["x"] * len(metric._labelnames)) if metric._labelnames else metric
            child.inc() if isinstance(metric, Counter) else child.observe(0.01)
    print("serving", flush=True)
    while True:
        time.sleep(1)
    """
)


@dataclass
class Stack:
    prometheus: str  # http://127.0.0.1:PORT
    replicas: list[str]  # http://127.0.0.1:PORT/metrics of the two serve() subprocesses
    worker: str  # http://127.0.0.1:PORT/metrics: the real worker's project metrics
    worker_sdk: str  # http://127.0.0.1:PORT/metrics: the real worker's Temporal SDK metrics
    worker_log: Path


def _get(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return response.read().decode("utf-8")


def _wait(what: str, check, deadline: float, processes: list[subprocess.Popen]):
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                out = process.stdout.read() if process.stdout else ""
                pytest.fail(f"{process.args[0]} exited with {process.returncode} while waiting for {what}:\n{out}")
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 (not up yet)
            last_error = error
        time.sleep(0.2)
    pytest.fail(f"timed out after {WAIT_SECONDS}s waiting for {what} (last error: {last_error!r})")


def _temporal_serving(dev_server) -> bool:
    result = subprocess.run(
        [find_binary("temporal"), "operator", "cluster", "health", "--address", dev_server.address],
        capture_output=True, text=True, timeout=10,
    )
    return "SERVING" in result.stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, dev_server) -> Iterator[Stack]:
    prometheus_bin = tool("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    database = f"sqlite:///{tmp / 'audit.db'}"
    ports = [free_port(), free_port()]
    worker_port, worker_sdk_port = free_port(), free_port()
    processes: list[subprocess.Popen] = []
    worker_log = tmp / "worker.log"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        seed = subprocess.Popen([python(), "-c", REPLICA, database, str(ports[0]), "seed"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(seed)
        _wait("the first metrics replica", lambda: _get(f"http://127.0.0.1:{ports[0]}/metrics"), deadline, processes)
        processes.append(subprocess.Popen([python(), "-c", REPLICA, database, str(ports[1]), "plain"], cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))

        # The real worker, configured as the Compose file configures it (but on 127.0.0.1).
        _wait("the Temporal dev server", lambda: _temporal_serving(dev_server), deadline, [dev_server.process])
        worker_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "TEMPORAL_ADDRESS": dev_server.address,
            "TEMPORAL_NAMESPACE": "default",
            "PDCA_TASK_QUEUE": "pdca-deploy-test",
            "PDCA_DATABASE_URL": database,
            "PDCA_HOME": str(tmp / "pdca-home"),
            "PDCA_PAYLOAD_KEY_DIR": os.environ["PDCA_PAYLOAD_KEY_DIR"],  # the suite's payload keys (tests/payload_keys.py)
            "PDCA_LOG_FORMAT": "json",
            "PDCA_METRICS_ADDR": "127.0.0.1",
            "PDCA_METRICS_PORT": str(worker_port),
            "PDCA_SDK_METRICS_PORT": str(worker_sdk_port),
        }
        log_file = worker_log.open("w")
        processes.append(subprocess.Popen([str(Path(python()).parent / "pdca"), "worker"], cwd=tmp, env=worker_env,
                                          stdout=log_file, stderr=subprocess.STDOUT, text=True))
        log_file.close()

        # The deploy configuration, with the jobs pointed at these ports instead of DNS.
        config = load_yaml(PROMETHEUS_CONFIG)
        config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"})
        web_port = free_port()
        for job in config["scrape_configs"]:
            if job["job_name"] == "prometheus":
                job["static_configs"] = [{"targets": [f"127.0.0.1:{web_port}"]}]
            elif job["job_name"] == "pdca-worker":
                job.pop("dns_sd_configs")
                job["static_configs"] = [{"targets": [f"127.0.0.1:{port}" for port in [*ports, worker_port]]}]
            elif job["job_name"] == "pdca-worker-sdk":
                job.pop("dns_sd_configs")
                job["static_configs"] = [{"targets": [f"127.0.0.1:{worker_sdk_port}"]}]
        config_file = tmp / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        (tmp / "alerts.yml").write_text(ALERT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
        processes.append(subprocess.Popen(
            [prometheus_bin, f"--config.file={config_file}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{web_port}", "--log.level=warn"],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
        base = f"http://127.0.0.1:{web_port}"
        _wait("Prometheus to be ready", lambda: _get(f"{base}/-/ready"), deadline, processes)
        yield Stack(
            base,
            [f"http://127.0.0.1:{port}/metrics" for port in ports],
            f"http://127.0.0.1:{worker_port}/metrics",
            f"http://127.0.0.1:{worker_sdk_port}/metrics",
            worker_log,
        )
    finally:
        for process in reversed(processes):
            stop(process)


def query(stack: Stack, expr: str) -> dict:
    body = json.loads(_get(f"{stack.prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"))
    assert body["status"] == "success", body
    return body["data"]


def values(stack: Stack, expr: str) -> list[tuple[dict, float]]:
    return [(sample["metric"], float(sample["value"][1])) for sample in query(stack, expr)["result"]]


def wait_for_values(stack: Stack, expr: str, count: int = 1) -> list[tuple[dict, float]]:
    deadline = time.monotonic() + WAIT_SECONDS
    return _wait(f"{expr} to have {count} series", lambda: (v := values(stack, expr)) and len(v) >= count and v, deadline, [])


def test_prometheus_scrapes_the_project_metrics_from_every_replica(stack: Stack) -> None:
    samples = wait_for_values(stack, 'pdca_audit_events_appended_total{event_type="CaseOpened"}', count=2)
    assert sorted(value for _, value in samples) == [1.0, 1.0]
    assert {metric["job"] for metric, _ in samples} == {"pdca-worker"}
    scrape = wait_for_values(stack, "pdca_projection_scrape_success", count=3)  # the real worker too
    assert [value for _, value in scrape] == [1.0, 1.0, 1.0]
    assert sorted(value for _, value in values(stack, 'up{job="pdca-worker"}')) == [1.0, 1.0, 1.0]


def test_case_queries_count_each_case_once_whatever_the_number_of_replicas(stack: Stack) -> None:
    wait_for_values(stack, "pdca_open_cases", count=6)  # 2 open cases x 3 replicas
    by_stage = {
        metric["stage"]: value for metric, value in values(stack, "sum by (stage) (max by (kind, stage, region) (pdca_open_cases))")
    }
    assert by_stage == {"implementing": 1.0, "checking": 1.0}  # the closed case is not open
    by_region = {
        metric["region"]: value for metric, value in values(stack, "sum by (region) (max by (kind, stage, region) (pdca_open_cases))")
    }
    assert by_region == {"城关镇": 2.0}
    assert values(stack, "sum(max by (kind, region) (pdca_overdue_measures))")[0][1] == 2.0
    assert values(stack, "sum(pdca_overdue_measures)")[0][1] == 6.0  # what a naive sum would show


def test_every_family_in_observability_metrics_is_scraped(stack: Stack) -> None:
    wait_for_values(stack, "pdca_projection_scrape_success", count=2)
    scraped = {name for name in json.loads(_get(f"{stack.prometheus}/api/v1/label/__name__/values"))["data"]}
    expected = set()
    for name, kind in families().items():
        expected |= {series for series in series_names(name, kind) if not series.endswith("_created")}
    assert expected <= scraped, f"declared in observability/metrics.py but not scraped: {sorted(expected - scraped)}"


def test_every_dashboard_query_and_alert_expression_evaluates(stack: Stack) -> None:
    wait_for_values(stack, "pdca_projection_scrape_success", count=2)
    for where, expr in [*dashboard_exprs(load_dashboard()), *alert_exprs()]:
        url = f"{stack.prometheus}/api/v1/query?{urllib.parse.urlencode({'query': grafana_to_promql(expr)})}"
        try:
            body = json.loads(_get(url))
        except urllib.error.HTTPError as error:
            body = json.loads(error.read().decode())
        assert body["status"] == "success", f"{where}: {body.get('error')}"


def test_the_alert_rules_load_and_evaluate_without_errors(stack: Stack) -> None:
    deadline = time.monotonic() + WAIT_SECONDS

    def evaluated() -> list[dict] | None:
        groups = json.loads(_get(f"{stack.prometheus}/api/v1/rules"))["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        # Never evaluated yet: lastEvaluation is Go's zero time.
        return rules if rules and not any(rule["lastEvaluation"].startswith("0001-") for rule in rules) else None

    rules = _wait("every rule to be evaluated", evaluated, deadline, [])
    assert sorted(rule["name"] for rule in rules) == sorted(rule["alert"] for rule in alert_rules())
    assert [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"] == []
    # Two workers have run for seconds and nothing is broken: no alert may be firing.
    assert [rule["name"] for rule in rules if rule["state"] == "firing"] == []


def test_promtool_accepts_a_real_scrape(stack: Stack) -> None:
    wait_for_values(stack, "pdca_projection_scrape_success", count=3)
    for url in (stack.replicas[0], stack.worker):
        text = _get(url)
        assert "pdca_open_cases{" in text and "pdca_projection_scrape_success" in text, url
        result = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"promtool check metrics found problems on {url}:\n{result.stdout}{result.stderr}"
    assert "pdca_audit_append_seconds_bucket{" in _get(stack.replicas[0])


def test_the_real_worker_serves_the_sdk_metrics_the_dashboard_uses(stack: Stack) -> None:
    up = wait_for_values(stack, 'up{job="pdca-worker-sdk"} == 1')
    assert len(up) == 1
    pollers = wait_for_values(stack, 'temporal_num_pollers{job="pdca-worker-sdk",task_queue="pdca-deploy-test"}')
    assert {metric["poller_type"] for metric, _ in pollers} >= {"workflow_task", "activity_task"}
    assert wait_for_values(stack, 'sum by (worker_type) (temporal_worker_task_slots_available{job="pdca-worker-sdk"})')


def test_the_real_worker_logs_json_and_its_sdk_scrape_passes_promtool(stack: Stack) -> None:
    wait_for_values(stack, 'temporal_num_pollers{job="pdca-worker-sdk"}')
    lines = [line for line in stack.worker_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = [json.loads(line) for line in lines if '"worker_started"' in line]
    assert started and started[0]["task_queue"] == "pdca-deploy-test", lines
    text = _get(stack.worker_sdk)
    result = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"promtool check metrics found problems on the SDK port:\n{result.stdout}{result.stderr}"
