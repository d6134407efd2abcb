"""Every setting the project reads from the environment, in one object.

``get_settings()`` reads the environment on every call (``pdca up`` and tests change it while the
process runs): an instance is reused only while the ``PDCA_*`` variables (and ``HOME``) are unchanged.
Each ``PDCA_*`` variable is a field below (prefix ``PDCA_``, name in capitals: ``home`` ↔
``PDCA_HOME``); an empty variable counts as unset. Every file location derived from ``PDCA_HOME`` is a
property, so the home directory is resolved here and nowhere else.

Not here, on purpose:

- the Temporal connection (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``,
  ``TEMPORAL_TLS*``, ``TEMPORAL_PROFILE``, ``TEMPORAL_CONFIG_FILE``): read by ``temporalio.envconfig``
  exactly as the ``temporal`` CLI reads them — see settings/temporal.py;
- channel secrets named by the ``*_env`` keys of channels.yaml: read when a message is sent, so a
  missing one is a visible delivery failure, not a worker that will not start.

Related modules: settings/files.py (YAML files with line numbers), settings/directory.py (the actor
directory and the policy file), settings/errors.py (``InputError``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from settings.errors import InputError

__all__ = ["DEFAULT_TASK_QUEUE", "InputError", "Settings", "get_settings", "secret"]

DEFAULT_TASK_QUEUE = "pdca-rectification"
ENV_PREFIX = "PDCA_"


def _default_home() -> Path:
    return Path.home() / ".pdca"


class Settings(BaseSettings):
    """The ``PDCA_*`` environment. Fields are the variables as given (None: unset); properties are the
    locations actually used (the variable, else the default under ``home``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    # where things live
    home: Path = Field(default_factory=_default_home, description="Data directory (default ~/.pdca)")
    database_url: str | None = Field(default=None, description="Audit database URL (default: SQLite file home/audit.db)")
    migration_database_url: str | None = Field(
        default=None,
        description="The audit database as its owner role, for `pdca migrate` and start-up migration (default: database_url)",
    )
    database_app_role: str | None = Field(
        default=None, description="PostgreSQL role the app runs as, granted least privilege by each migration"
    )
    actors: Path | None = Field(default=None, description="Actor directory YAML (default home/actors.yaml)")
    policy: Path | None = Field(default=None, description="Policy YAML (default: the built-in policy)")
    channels: Path | None = Field(default=None, description="Notification channels YAML (default home/channels.yaml)")
    calendar: Path | None = Field(default=None, description="Working-day calendar override YAML (default home/calendar.yaml)")
    checkpoint_dir: Path | None = Field(
        default=None, description="Signed audit checkpoints: put it on other storage than the database (default home/checkpoints)"
    )
    digest_dir: Path | None = Field(default=None, description="Retired: read as PDCA_CHECKPOINT_DIR when that is unset")
    audit_key_dir: Path | None = Field(default=None, description="The audit key that signs checkpoints (default home/audit-keys)")
    checkpoint_webhook: str | None = Field(default=None, description="An http(s) URL each new checkpoint is also POSTed to")
    reports_dir: Path | None = Field(default=None, description="Scheduled reports (default home/reports)")
    report_font: Path | None = Field(default=None, description="A font file with CJK glyphs for charts")
    authority_dir: Path | None = Field(default=None, description="The credential authority's keys, server side (default home/authority)")
    credentials_dir: Path | None = Field(
        default=None, description="This user's credentials and personal signing keys, CLI side (default home/credentials)"
    )
    evidence_dir: Path | None = Field(default=None, description="Evidence files, stored by SHA-256 (default home/evidence)")
    evidence_s3_url: str | None = Field(
        default=None, description="An S3-compatible endpoint for evidence files instead of evidence_dir (needs the [s3] extra)"
    )
    evidence_s3_bucket: str = Field(default="pdca-evidence", description="The evidence bucket at PDCA_EVIDENCE_S3_URL")
    evidence_s3_region: str = Field(default="us-east-1", description="The region the S3-compatible store signs for")
    evidence_s3_key_env: str = Field(
        default="PDCA_EVIDENCE_S3_ACCESS_KEY", description="The variable holding the S3 access key id (read when used, never kept)"
    )
    evidence_s3_secret_env: str = Field(
        default="PDCA_EVIDENCE_S3_SECRET_KEY", description="The variable holding the S3 secret key (read when used, never kept)"
    )
    evidence_max_mb: int = Field(default=20, ge=1, le=200, description="Largest evidence file accepted, in MB")
    # bad input (docs/security.md "Bad input"): input files refused over this size before they are parsed
    max_input_mb: int = Field(default=5, ge=1, le=200, description="Largest YAML/CSV/XLSX input file read, in MB")
    allow_private_urls: bool = Field(
        default=False, description="Let webhook/robot URLs reach loopback, link-local and private addresses (tests, an internal OA)"
    )
    # Temporal payloads encrypted at rest (store/payload_codec.py, docs/security.md "Privacy model")
    payload_key_dir: Path | None = Field(
        default=None, description="Keys that encrypt Temporal payloads; every worker and client needs the same (default home/payload-keys)"
    )
    payload_cipher: Literal["aes-256-gcm", "sm4-gcm"] = Field(
        default="aes-256-gcm", description="Cipher of new payload keys: aes-256-gcm, or sm4-gcm (国密 GB/T 32907)"
    )
    codec_cors_origins: str = Field(
        default="http://localhost:8233,http://127.0.0.1:8233",
        description="Comma-separated browser origins (the Temporal Web UI) allowed to call /codec/decode and /codec/encode",
    )
    # who and how
    actor: str | None = Field(default=None, description="Which signed-in account the CLI acts as (default: the last to sign in)")
    api_url: str | None = Field(default=None, description="The HTTP API `pdca login` signs in at (default http://127.0.0.1:<api_port>)")
    api_port: int = Field(default=8470, ge=1, le=65535, description="`pdca serve` / `pdca up` HTTP API port")
    api_addr: str = Field(default="127.0.0.1", description="Address the HTTP API binds to")
    public_url: str | None = Field(
        default=None,
        description="The web console's address as people reach it, for links in notices (default http://localhost:<api_port>)",
    )
    credential_minutes: int = Field(default=480, ge=1, le=1440, description="Lifetime of a credential after sign-in")
    signature_algorithm: Literal["ed25519", "sm2"] = Field(
        default="ed25519", description="New authority and personal keys: ed25519 (SHA-256) or sm2 (SM3)"
    )
    totp_required: bool = Field(default=False, description="Refuse sign-in to accounts without a TOTP second factor")
    lockout_attempts: int = Field(default=5, ge=1, description="Failed sign-ins before an account is locked")
    lockout_minutes: int = Field(default=15, ge=1, description="How long a locked account stays locked")
    lang: Literal["zh", "en"] = Field(default="zh", description="Labels: zh or en (CLI)")
    # the worker
    task_queue: str = Field(default=DEFAULT_TASK_QUEUE, description="Temporal task queue")
    workflow_cache: int = Field(
        default=2000,
        ge=0,
        description="Workflows the worker keeps in memory (about 0.5 MB each); others replay from history on their next task",
    )
    metrics_port: int = Field(default=9464, ge=0, le=65535, description="Project /metrics port (0 disables)")
    sdk_metrics_port: int = Field(default=9465, ge=0, le=65535, description="Temporal SDK metrics port (0 disables)")
    metrics_addr: str = Field(default="127.0.0.1", description="Address both metrics ports bind to")
    log_format: Literal["console", "json"] | None = Field(
        default=None, description="Log lines: console or json (default: console on a terminal, else json)"
    )

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("checkpoint_webhook")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        from settings.urls import url_problem  # the channels' rules; private addresses are judged at send time

        problem = url_problem(value, allow_private=True) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    # ------------------------------------------------------------------ derived locations

    @property
    def audit_database_url(self) -> str:
        """PDCA_DATABASE_URL, else the SQLite file home/audit.db."""
        return self.database_url or f"sqlite:///{self.home / 'audit.db'}"

    @property
    def migration_url(self) -> str:
        """PDCA_MIGRATION_DATABASE_URL (the owner role), else the audit database URL."""
        return self.migration_database_url or self.audit_database_url

    @property
    def actors_file(self) -> Path:
        """PDCA_ACTORS, else home/actors.yaml (which may not exist)."""
        return self.actors or self.home / "actors.yaml"

    @property
    def channels_file(self) -> Path:
        """PDCA_CHANNELS, else home/channels.yaml (which may not exist: the log channel only)."""
        return self.channels or self.home / "channels.yaml"

    @property
    def calendar_file(self) -> Path:
        """PDCA_CALENDAR, else home/calendar.yaml (which may not exist: the package's calendar only)."""
        return self.calendar or self.home / "calendar.yaml"

    @property
    def checkpoints_path(self) -> Path:
        """PDCA_CHECKPOINT_DIR, else the retired PDCA_DIGEST_DIR, else home/checkpoints."""
        return self.checkpoint_dir or self.digest_dir or self.home / "checkpoints"

    @property
    def audit_key_path(self) -> Path:
        """PDCA_AUDIT_KEY_DIR, else home/audit-keys."""
        return self.audit_key_dir or self.home / "audit-keys"

    @property
    def reports_path(self) -> Path:
        """PDCA_REPORTS_DIR, else home/reports."""
        return self.reports_dir or self.home / "reports"

    @property
    def authority_path(self) -> Path:
        """PDCA_AUTHORITY_DIR, else home/authority."""
        return self.authority_dir or self.home / "authority"

    @property
    def credentials_path(self) -> Path:
        """PDCA_CREDENTIALS_DIR, else home/credentials."""
        return self.credentials_dir or self.home / "credentials"

    @property
    def evidence_path(self) -> Path:
        """PDCA_EVIDENCE_DIR, else home/evidence."""
        return self.evidence_dir or self.home / "evidence"

    @property
    def payload_keys_path(self) -> Path:
        """PDCA_PAYLOAD_KEY_DIR, else home/payload-keys."""
        return self.payload_key_dir or self.home / "payload-keys"

    @property
    def codec_origins(self) -> tuple[str, ...]:
        """PDCA_CODEC_CORS_ORIGINS as a tuple of origins (no trailing slash)."""
        return tuple(o.strip().rstrip("/") for o in self.codec_cors_origins.split(",") if o.strip())

    @property
    def public_base(self) -> str:
        """PDCA_PUBLIC_URL, else http://localhost:<api_port> (a name, not an IP: passkeys need a domain)."""
        return (self.public_url or f"http://localhost:{self.api_port}").rstrip("/")

    @property
    def api_base(self) -> str:
        """PDCA_API_URL, else http://127.0.0.1:<api_port>."""
        return (self.api_url or f"http://127.0.0.1:{self.api_port}").rstrip("/")

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable behind a field: ``home`` → ``PDCA_HOME``."""
        return ENV_PREFIX + field.upper()


def get_settings() -> Settings:
    """The settings as the environment is now (read on every call: no stale cache).

    A value that cannot be used (``PDCA_METRICS_PORT=abc``) raises ``InputError`` naming the variable."""
    # Building a Settings costs about a millisecond; the same environment gives the same (frozen) object.
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)))
    return _settings_for(key, os.environ.get("HOME"))


def secret(variable: str) -> str | None:
    """A secret named by a ``*_env`` key of channels.yaml (robot URL, token, SMTP password), read at the
    moment it is used and never kept: not a setting, so neither validated nor cached here."""
    return os.environ.get(variable) or None


@functools.lru_cache(maxsize=16)
def _settings_for(key: tuple[tuple[str, str], ...], home: str | None) -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for item in error.errors()[:3]:
            field = str(item["loc"][0]) if item["loc"] else ""
            variable = Settings.variable(field) if field else ENV_PREFIX + "*"
            value = dict(key).get(variable, "")
            problems.append(f"{variable}={value!r}: {item['msg']}")
        raise InputError("; ".join(problems)) from None
