"""Helpers of the deploy checks: external tools, metric names the project exports, names a PromQL
expression uses.

The external tools (promtool, prometheus, docker-compose; Debian packages) are skipped when missing,
except under CI (``CI`` set), where a missing tool must fail the run rather than hide it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERT_RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "pdca.json"
METRICS_MODULE = ROOT / "observability" / "metrics.py"
WORKER_MODULE = ROOT / "worker.py"
PYTHON = ROOT / ".venv" / "bin" / "python"

TOOL_PACKAGES = {"promtool": "prometheus", "prometheus": "prometheus", "docker-compose": "docker-compose"}


def tool(name: str) -> str:
    """Path of an external tool; skip (or fail under CI) when it is not installed."""
    found = shutil.which(name)
    if found:
        return found
    package = TOOL_PACKAGES.get(name, name)
    message = f"{name} is not installed (Debian: apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; it is required under CI", pytrace=False)
    pytest.skip(f"{message}; under CI this is a failure")


def python() -> str:
    return str(PYTHON) if PYTHON.exists() else sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- exported metric names

_COUNTERS = {"Counter", "CounterMetricFamily"}
_HISTOGRAMS = {"Histogram", "HistogramMetricFamily"}
_SUMMARIES = {"Summary", "SummaryMetricFamily"}
_GAUGES = {"Gauge", "GaugeMetricFamily", "Enum", "StateSetMetricFamily", "UnknownMetricFamily"}


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _first_string_arg(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    for keyword in node.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    return None


def families(path: Path = METRICS_MODULE) -> dict[str, str]:
    """Metric families declared in a prometheus-client module: name -> kind (counter/histogram/...)."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        call, name = _call_name(node), _first_string_arg(node)
        if name is None:
            continue
        for kinds, kind in ((_COUNTERS, "counter"), (_HISTOGRAMS, "histogram"), (_SUMMARIES, "summary"), (_GAUGES, "gauge")):
            if call in kinds:
                found[name] = kind
    return found


def series_names(name: str, kind: str) -> set[str]:
    """The sample names prometheus-client exposes for a family (it names counters NAME_total)."""
    if kind == "counter":
        base = name.removesuffix("_total")
        return {f"{base}_total", f"{base}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
    return {name}


def _sdk_prometheus_options() -> dict[str, bool]:
    """Keyword flags of the PrometheusConfig that worker.py gives the SDK runtime."""
    options: dict[str, bool] = {}
    for node in ast.walk(ast.parse(WORKER_MODULE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _call_name(node) == "PrometheusConfig":
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, bool):
                    options[keyword.arg or ""] = keyword.value.value
    return options


def sdk_meter_series() -> set[str]:
    """Project metrics recorded on the Temporal SDK's meter (``metric_meter().create_counter(...)`` in
    workflow code) and served by the SDK's exporter, named the way worker.py configures it."""
    totals = _sdk_prometheus_options().get("counters_total_suffix", False)
    names: set[str] = set()
    for path in ROOT.glob("*/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "benchmarks"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            call, name = _call_name(node), _first_string_arg(node)
            if name is None:
                continue
            if call == "create_counter":
                names.add(f"{name.removesuffix('_total')}_total" if totals else name)
            elif call in {"create_gauge", "create_gauge_float"}:
                names.add(name)
            elif call in {"create_histogram", "create_histogram_float", "create_histogram_timedelta"}:
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def exported_series() -> set[str]:
    names: set[str] = set()
    for name, kind in families().items():
        names |= series_names(name, kind)
    return names | sdk_meter_series()


def sdk_names_follow_worker_config(names: Iterable[str]) -> list[str]:
    """temporal_* names whose suffixes the SDK exporter only produces with options worker.py must set."""
    options = _sdk_prometheus_options()
    problems = []
    for name in sorted(set(names)):
        if not name.startswith("temporal_"):
            continue
        if re.search(r"_seconds(_bucket|_sum|_count)?$", name) and not (options.get("durations_as_seconds") and options.get("unit_suffix")):
            problems.append(f"{name}: needs PrometheusConfig(durations_as_seconds=True, unit_suffix=True) in worker.py")
        if name.endswith("_total") and not options.get("counters_total_suffix"):
            problems.append(f"{name}: needs PrometheusConfig(counters_total_suffix=True) in worker.py")
    return problems


def allowed(name: str, exported: set[str]) -> bool:
    return name in exported or name.startswith("temporal_") or name == "up"


# ----------------------------------------------------------------------------- PromQL metric names

# Words that are PromQL syntax rather than metric names when not followed by "(".
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
    "inf", "nan", "atan2", "start", "end",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_GRAFANA_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|\w+)")
_IDENTIFIER = re.compile(r"(?<![\w.:])[A-Za-z_:][\w:]*")


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects: identifiers that are not functions (followed by "("),
    keywords, label names (inside {...} or by/without/on/ignoring/group_* lists), numbers, durations
    or Grafana variables."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    text = _GRAFANA_VARIABLE.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        word = match.group()
        if word.lower() in _KEYWORDS or text[match.end():].lstrip().startswith("("):
            continue
        names.add(word)
    return names


# ----------------------------------------------------------------------------- where expressions live


def dashboard_panels(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def dashboard_exprs(dashboard: dict) -> Iterator[tuple[str, str]]:
    """(where, expr) for every panel query."""
    for panel in dashboard_panels(dashboard):
        for target in panel.get("targets", []):
            yield f"panel {panel.get('id')} {panel.get('title')!r} target {target.get('refId')}", target.get("expr", "")


def alert_rules() -> list[dict]:
    rules = []
    for group in load_yaml(ALERT_RULES)["groups"]:
        rules.extend(group["rules"])
    return rules


def alert_exprs() -> Iterator[tuple[str, str]]:
    for rule in alert_rules():
        yield f"alert {rule.get('alert') or rule.get('record')}", rule["expr"]


def grafana_to_promql(expr: str) -> str:
    """A dashboard query as Prometheus itself would accept it (Grafana fills in its range variables)."""
    return re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}", "1m", expr)
