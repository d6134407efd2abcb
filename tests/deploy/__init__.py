"""Offline validation of deploy/ (Compose, Prometheus, alert rules, Grafana) and the Dockerfile."""
