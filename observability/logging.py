"""structlog configuration: JSON lines in production, readable console output in development.

Context (workflow id, case id, organization code, stage, actor id) is bound with
``structlog.contextvars`` by the activities; workflow code logs through ``workflow.logger``, which the
SDK keeps quiet during replay. Log lines carry ids, not personal names.
"""

from __future__ import annotations

import logging
import sys

import structlog

from settings import get_settings


def configure_logging(fmt: str | None = None) -> None:
    fmt = fmt or get_settings().log_format or ("console" if sys.stderr.isatty() else "json")
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
