"""The Grafana dashboard and its provisioning, and the metric names that panels and alerts use."""

from __future__ import annotations

import pytest

from .support import (
    DEPLOY,
    alert_exprs,
    allowed,
    dashboard_exprs,
    dashboard_panels,
    exported_series,
    families,
    load_dashboard,
    load_yaml,
    metric_names,
    sdk_names_follow_worker_config,
)


def test_metric_names_are_extracted_from_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, kind) (rate(pdca_command_apply_seconds_bucket{kind=~"t.*"}[$__rate_interval])))'
        ' / on(instance) group_left(job) up{job="pdca-worker"} offset 1d'
        " > bool 2 * 86400 and ignoring (kind) (time() - max(max_over_time(pdca_audit_last_verification_timestamp_seconds[3d:1h])) > 1e3)"
        ' or absent(nonexistent_metric{region="城关镇 (东)"}) unless sum without (stage) (pdca_open_cases) or vector(0)'
    )
    assert metric_names(expr) == {
        "pdca_command_apply_seconds_bucket",
        "up",
        "pdca_audit_last_verification_timestamp_seconds",
        "nonexistent_metric",
        "pdca_open_cases",
    }


def test_exported_names_come_from_observability_metrics() -> None:
    declared = families()
    # The issue's contract; the module may grow, but these must stay.
    assert declared["pdca_audit_events_appended_total"] == "counter"
    assert declared["pdca_notices_total"] == "counter"
    assert declared["pdca_audit_append_seconds"] == "histogram"
    assert declared["pdca_open_cases"] == "gauge"
    assert declared["pdca_projection_scrape_success"] == "gauge"
    exported = exported_series()
    assert {"pdca_audit_events_appended_total", "pdca_audit_append_seconds_bucket", "pdca_overdue_cases"} <= exported
    assert "pdca_audit_append_seconds" not in exported  # a histogram has no bare series
    assert not allowed("pdca_audit_events_appended", exported)  # counters are exported with _total


def test_dashboard_loads_and_every_panel_has_a_datasource_and_a_query() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] and dashboard["title"]
    panels = list(dashboard_panels(dashboard))
    assert len(panels) >= 8
    datasource_uid = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")["datasources"][0]["uid"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        where = f"panel {panel['id']} {panel['title']!r}"
        assert panel.get("datasource", {}).get("uid") == datasource_uid, where
        assert panel.get("targets"), f"{where} has no query"
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"{where} target {target.get('refId')} has no expr"
            assert target.get("datasource", panel["datasource"])["uid"] == datasource_uid, where
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, where


def test_dashboard_covers_the_issue_panels() -> None:
    exprs = "\n".join(expr for _, expr in dashboard_exprs(load_dashboard()))
    for needle in (
        "sum by (stage)",  # open cases by stage
        "sum by (region)",  # open cases by region
        "pdca_overdue_measures",
        "pdca_overdue_cases",
        "pdca_notices_total",
        "pdca_escalations_total",
        "pdca_acceptance_verdicts_total",
        "histogram_quantile(0.95, sum by (le) (rate(pdca_audit_append_seconds_bucket",
        'up{job=~"pdca-worker.*"}',
        "temporal_num_pollers",
    ):
        assert needle in exprs, needle


def test_provisioning_points_at_the_mounted_dashboard() -> None:
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/pdca.yml")["providers"][0]
    compose = load_yaml(DEPLOY / "docker-compose.yml")
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts
    datasource = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")["datasources"][0]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"


USED = [*dashboard_exprs(load_dashboard()), *alert_exprs()]


@pytest.mark.parametrize(("where", "expr"), USED, ids=[where for where, _ in USED])
def test_every_metric_used_is_exported(where: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{where}: no metric found in {expr!r}"
    unknown = sorted(name for name in names if not allowed(name, exported_series()))
    assert not unknown, f"{where} uses metrics nobody exports: {unknown}"
    assert not sdk_names_follow_worker_config(names), sdk_names_follow_worker_config(names)


def test_an_unknown_metric_would_be_caught() -> None:
    exported = exported_series()
    names = metric_names('sum(rate(pdca_notice_total{result="failed"}[5m])) > 0')  # typo: notice
    assert [name for name in names if not allowed(name, exported)] == ["pdca_notice_total"]
