"""Notification channels: log, generic webhook, DingTalk and WeCom group robots, SMTP email.

Every channel has the ``Channel`` shape of activities/notify.py: ``name`` and
``send(recipient, message, *, key, case_id, event_type)``. Built-in channels look up the recipient's
contacts (email, mobile) in the actor directory they were built with. HTTP goes through httpx (a
``httpx.Client`` per request with the channel's timeout, no redirects, no retries: Temporal's activity
retries are the only retries), email through smtplib, always with a timeout.

The configuration is a YAML file (``PDCA_CHANNELS``, else ``$PDCA_HOME/channels.yaml``; no file → the
log channel only; see settings/). Secrets (robot URLs with their access token, signing secrets, SMTP
passwords, webhook tokens) are named by environment variable (``*_env``) and read when a message is
sent (``settings.secret``), so a missing one is a visible delivery failure, never a worker that will
not start.

Errors: ``RecipientError`` concerns one recipient (no email address, address refused): the other
recipients on that channel are still tried. Any other exception means the channel itself failed
(down, refused, 5xx, bad credentials): the remaining recipients on that channel wait for the next
attempt instead of hammering a dead endpoint.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.actors import Actor
from settings import get_settings, secret
from settings.directory import ActorDirectory, actors_path
from settings.errors import InputError
from settings.files import line_of, load_model, read_yaml, validate
from settings.urls import resolved_problem, url_problem

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "pdca-notify/1"


class RecipientError(Exception):
    """Delivery to this one recipient failed; other recipients on the channel may still work.

    ``permanent``: retrying cannot help (no address on file) until someone edits the directory."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelError(Exception):
    """The channel failed (endpoint down, refused the message, bad credentials)."""


# ----------------------------------------------------------------------------- configuration


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float | None = Field(default=None, gt=0, le=120)
    # May the URL reach loopback, link-local or private addresses (an internal OA)? settings/urls.py
    allow_private: bool = False


class LogSpec(_Spec):
    type: Literal["log"]


class WebhookSpec(_Spec):
    """A generic JSON webhook: POST of one JSON object per recipient and notice."""

    type: Literal["webhook"]
    url: str | None = Field(default=None, description="A URL without secrets in it")
    url_env: str | None = Field(default=None, description="Environment variable holding the URL")
    headers: dict[str, str] = Field(default_factory=dict)  # non-secret headers
    headers_env: dict[str, str] = Field(default_factory=dict)  # header name → environment variable (tokens)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if bool(self.url) == bool(self.url_env):
            raise ValueError("give exactly one of url (no secrets in it) or url_env (environment variable name)")
        problem = url_problem(self.url, self.allow_private) if self.url else None
        if problem:
            raise ValueError(f"url {_safe(self.url or '')}: {problem}")
        return self


class RobotSpec(_Spec):
    """A group robot. Its URL carries the access token, so it is always named by environment variable."""

    url_env: str = Field(min_length=1, description="Environment variable holding the robot's webhook URL")
    msgtype: Literal["text", "markdown"] = "markdown"
    keyword: str | None = None  # DingTalk "custom keyword" security: added to messages that lack it


class DingTalkSpec(RobotSpec):
    type: Literal["dingtalk"]
    secret_env: str | None = None  # DingTalk "加签" signing secret (SEC...), by environment variable


class WeComSpec(RobotSpec):
    type: Literal["wecom"]


class SmtpSpec(_Spec):
    type: Literal["smtp"]
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    ssl: bool = False  # implicit TLS (usually port 465)
    starttls: bool = False  # upgrade with STARTTLS (usually port 587)
    username_env: str | None = None
    password_env: str | None = None
    sender: str = Field(min_length=3)  # From address
    sender_name: str = "PDCA 整顿软弱涣散党组织"
    subject_prefix: str = "【PDCA】"

    @model_validator(mode="after")
    def _consistent(self) -> SmtpSpec:
        if self.ssl and self.starttls:
            raise ValueError("ssl (implicit TLS) and starttls exclude each other")
        if bool(self.username_env) != bool(self.password_env):
            raise ValueError("username_env and password_env go together")
        if "@" not in self.sender:
            raise ValueError(f"sender must be an email address, not {self.sender!r}")
        return self


ChannelSpec = Annotated[LogSpec | WebhookSpec | DingTalkSpec | WeComSpec | SmtpSpec, Field(discriminator="type")]


class ChannelsConfig(BaseModel):
    """The channels file."""

    model_config = ConfigDict(extra="forbid")

    default_channels: list[str] = Field(default_factory=lambda: ["log"], min_length=1)
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=120)
    channels: dict[str, ChannelSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names(self) -> ChannelsConfig:
        for name in self.channels:
            if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
                raise ValueError(f"channel name {name!r}: letters, digits, '-', '_' or '.', at most 64")
        if "log" in self.channels and self.channels["log"].type != "log":
            raise ValueError("the name 'log' is reserved for the log channel")
        unknown = [n for n in self.default_channels if n not in self.names()]
        if unknown:
            raise ValueError(f"default_channels names unknown channels {unknown}; known: {', '.join(self.names())}")
        return self

    def names(self) -> list[str]:
        return list(dict.fromkeys(["log", *self.channels]))

    def spec(self, name: str) -> Any:
        return self.channels.get(name) or (LogSpec(type="log") if name == "log" else None)


def channels_path() -> Path:
    """PDCA_CHANNELS, else $PDCA_HOME/channels.yaml (which may not exist: log only)."""
    return get_settings().channels_file


def load_channels_config(path: Path | None = None) -> tuple[ChannelsConfig, Path | None]:
    """The channels file, validated with line numbers (raises settings.errors.InputError). An explicit
    PDCA_CHANNELS that does not exist is an error; a missing default file means log only."""
    settings = get_settings()
    explicit = path is not None or settings.channels is not None
    path = path or settings.channels_file
    if not path.exists() and not explicit:
        return ChannelsConfig(), None
    return load_model(ChannelsConfig, path), path


def load_directory(path: Path | None = None, config: ChannelsConfig | None = None, strict: bool = True) -> dict[str, Actor]:
    """Actors by id from the actor directory (PDCA_ACTORS, else $PDCA_HOME/actors.yaml; none → empty).

    With ``config``, every channel an actor names must exist: reported with the file's line (raised
    when ``strict``; else logged, and those deliveries fail visibly as "not configured")."""
    path = path or actors_path(None)
    if not path.exists():
        return {}
    data, node = read_yaml(path)
    directory = validate(ActorDirectory, data, node, path)
    if config is not None:
        known = config.names()
        for index, actor in enumerate(directory.actors):
            for name in actor.channels or []:
                if name not in known:
                    line = line_of(node, ("actors", index, "channels"))
                    problem = f"{path}:{line}: actors.{index}.channels: unknown channel {name!r} (known: {', '.join(known)})"
                    if strict:
                        raise InputError(problem)
                    log.warning("notify_config_problem", problem=problem)
    return {actor.id: actor for actor in directory.actors}


def env_value(variable: str, what: str) -> str:
    """A secret named by a ``*_env`` key, read now (at send time)."""
    value = secret(variable)
    if not value:
        raise ChannelError(f"environment variable {variable} ({what}) is not set")
    return value


def title_of(message: str) -> str:
    """The bracketed head of a notice (【逾期通知】… → 逾期通知), else its first line, shortened."""
    if message.startswith("【") and "】" in message[:40]:
        return message[1 : message.index("】")]
    if message.startswith("[") and "]" in message[:60]:
        return message[1 : message.index("]")]
    first = message.strip().splitlines()[0] if message.strip() else "PDCA"
    return first[:40]


def truncate_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = "…（已截断）"
    room = limit - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + marker


# ----------------------------------------------------------------------------- channels


class LogChannel:
    """The default: a structlog ``notice`` line with the recipient's id and the message."""

    name = "log"

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        log.info("notice", channel=self.name, recipient_id=recipient, case_id=case_id, event_type=event_type, key=key, message=message)


Contacts = Callable[[str], Actor | None]


def _no_contacts(_: str) -> Actor | None:
    return None


MAX_ANSWER = 65536  # bytes of an answer read: robots answer a few dozen


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's trusted roots (and SSL_CERT_FILE / SSL_CERT_DIR), as urllib used: an internal CA
    installed on the host keeps working. Built once: loading the roots costs milliseconds."""
    return ssl.create_default_context()


def post_json(
    url: str, body: dict[str, Any], timeout: float, headers: Mapping[str, str] | None = None, allow_private: bool = False
) -> tuple[int, bytes]:
    """POST ``body`` as UTF-8 JSON; the status and (at most 64 KiB of) the answer.

    The URL (read now from its environment variable, for robots) and every address its host resolves
    to are checked first (settings/urls.py): a metadata, loopback or private address is a ChannelError
    unless ``allow_private``.

    Connection problems, timeouts and any answer other than 2xx (a redirect included: a POST is not
    followed elsewhere) raise ChannelError. One attempt: Temporal retries the activity."""
    if problem := resolved_problem(url, allow_private):
        raise ChannelError(f"refused to send to {_safe(url)}: {problem}")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    sent_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
    try:
        with httpx.Client(timeout=timeout, verify=_tls(), follow_redirects=False) as client:
            with client.stream("POST", url, content=data, headers=sent_headers) as response:
                raw = _read_at_most(response, MAX_ANSWER)
    except httpx.TimeoutException:
        raise ChannelError(f"cannot reach {_safe(url)}: timed out") from None
    except httpx.TransportError as error:  # refused, unreachable, TLS, protocol
        raise ChannelError(f"cannot reach {_safe(url)}: {str(error) or type(error).__name__}") from None
    except httpx.InvalidURL:
        raise ChannelError(f"invalid URL {_safe(url)}") from None
    if not response.is_success:
        detail = raw[:300].decode("utf-8", errors="replace").strip()
        raise ChannelError(f"HTTP {response.status_code} {response.reason_phrase}{': ' + detail if detail else ''}")
    return response.status_code, raw


def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _safe(url: str) -> str:
    """The URL without its query (robot URLs carry the access token there)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class WebhookChannel:
    """POST {key, event_id, event_type, case_id, recipient, recipient_name, title, message, sent_at}.

    The ``Idempotency-Key`` header carries the key, so a receiver can drop a duplicate."""

    def __init__(self, name: str, spec: WebhookSpec, timeout: float, contacts: Contacts = _no_contacts) -> None:
        self.name, self.spec, self.timeout, self.contacts = name, spec, spec.timeout_seconds or timeout, contacts

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        url = self.spec.url or env_value(self.spec.url_env or "", f"URL of webhook {self.name}")
        headers = dict(self.spec.headers)
        for header, variable in self.spec.headers_env.items():
            headers[header] = env_value(variable, f"header {header} of webhook {self.name}")
        headers["Idempotency-Key"] = key
        actor = self.contacts(recipient)
        body = {
            "key": key,
            "event_id": key.split(":", 1)[0],
            "event_type": event_type,
            "case_id": case_id,
            "recipient": recipient,
            "recipient_name": actor.name if actor else None,
            "title": title_of(message),
            "message": message,
            "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        post_json(url, body, self.timeout, headers, allow_private=self.spec.allow_private)


class _Robot:
    """Shared by the DingTalk and WeCom group robots: one group message per recipient and notice,
    mentioning the recipient by mobile number when the directory has one. Both answer HTTP 200 with
    ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure."""

    kind = "robot"
    limit = 4096  # bytes of content

    def __init__(self, name: str, spec: RobotSpec, timeout: float, contacts: Contacts = _no_contacts) -> None:
        self.name, self.spec, self.timeout, self.contacts = name, spec, spec.timeout_seconds or timeout, contacts

    def url(self) -> str:
        return env_value(self.spec.url_env, f"{self.kind} robot URL of channel {self.name}")

    def body(self, text: str, title: str, mobile: str | None, recipient_label: str) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        actor = self.contacts(recipient)
        mobile = actor.mobile if actor else None
        who = (actor.name or actor.id) if actor else recipient
        text = message
        if self.spec.keyword and self.spec.keyword not in text:
            text = f"{self.spec.keyword} {text}"
        body = self.body(text, title_of(message), mobile, who)
        _status, raw = post_json(self.url(), body, self.timeout, allow_private=self.spec.allow_private)
        try:
            answer = json.loads(raw.decode("utf-8") or "{}")
        except ValueError:
            raise ChannelError(f"{self.kind} robot answered with something that is not JSON: {raw[:200]!r}") from None
        if answer.get("errcode", 0) != 0:
            raise ChannelError(f"{self.kind} robot refused the message: errcode {answer.get('errcode')} {answer.get('errmsg', '')}")


class DingTalkChannel(_Robot):
    """DingTalk custom robot (自定义机器人). With ``secret_env`` the URL gets ``timestamp`` and
    ``sign`` = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded, as DingTalk requires."""

    kind = "dingtalk"
    limit = 20000
    spec: DingTalkSpec

    def url(self) -> str:
        url = super().url()
        if self.spec.secret_env:
            secret = env_value(self.spec.secret_env, f"signing secret of channel {self.name}")
            timestamp, sign = dingtalk_sign(secret)
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
        return url

    def body(self, text: str, title: str, mobile: str | None, recipient_label: str) -> dict[str, Any]:
        at = {"atMobiles": [mobile] if mobile else [], "isAtAll": False}
        if self.spec.msgtype == "text":
            content = f"{text} @{mobile}" if mobile else f"{recipient_label}：{text}"
            return {"msgtype": "text", "text": {"content": truncate_bytes(content, self.limit)}, "at": at}
        mention = f"@{mobile}" if mobile else recipient_label
        markdown = f"#### {title}\n\n{text}\n\n{mention}"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": truncate_bytes(markdown, self.limit)}, "at": at}


def dingtalk_sign(secret: str, timestamp_ms: int | None = None) -> tuple[str, str]:
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return timestamp, urllib.parse.quote_plus(base64.b64encode(digest))


class WeComChannel(_Robot):
    """WeCom (企业微信) group robot: ``text`` (mentions by mobile) or ``markdown`` (at most 4096 bytes)."""

    kind = "wecom"
    limit = 4096  # markdown; text allows 2048
    spec: WeComSpec

    def body(self, text: str, title: str, mobile: str | None, recipient_label: str) -> dict[str, Any]:
        if self.spec.msgtype == "text":
            content = text if mobile else f"{recipient_label}：{text}"
            payload: dict[str, Any] = {"content": truncate_bytes(content, 2048)}
            if mobile:
                payload["mentioned_mobile_list"] = [mobile]
            return {"msgtype": "text", "text": payload}
        markdown = f"**{title}**\n{text}\n> 接收人：{recipient_label}"
        return {"msgtype": "markdown", "markdown": {"content": truncate_bytes(markdown, self.limit)}}


class SmtpChannel:
    """Email through an SMTP server (smtplib): one message per recipient, UTF-8 subject and body.

    The recipient's address is the ``email`` of their actor entry; none → a permanent recipient error."""

    def __init__(self, name: str, spec: SmtpSpec, timeout: float, contacts: Contacts = _no_contacts) -> None:
        self.name, self.spec, self.timeout, self.contacts = name, spec, spec.timeout_seconds or timeout, contacts

    def compose(self, recipient: str, message: str, key: str, case_id: str, event_type: str) -> EmailMessage:
        actor = self.contacts(recipient)
        if actor is None or not actor.email:
            raise RecipientError(f"no email address for {recipient} in the actor directory", permanent=True)
        mail = EmailMessage()
        mail["Subject"] = f"{self.spec.subject_prefix}{title_of(message)}" + (f"（{case_id}）" if case_id else "")
        mail["From"] = Address(self.spec.sender_name, addr_spec=self.spec.sender)
        mail["To"] = Address(actor.name or actor.id, addr_spec=actor.email)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.spec.sender.split("@", 1)[1])
        mail["X-PDCA-Key"] = key
        mail["X-PDCA-Event-Type"] = event_type
        mail.set_content(message + "\n\n—— PDCA 整顿软弱涣散党组织闭环管理（自动发送，请勿回复）\n", charset="utf-8")
        return mail

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        mail = self.compose(recipient, message, key, case_id, event_type)
        spec = self.spec
        try:
            if spec.ssl:
                server: smtplib.SMTP = smtplib.SMTP_SSL(spec.host, spec.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(spec.host, spec.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelError(f"cannot reach SMTP server {spec.host}:{spec.port}: {error}") from None
        try:
            with server:
                if spec.starttls:
                    server.starttls(context=ssl.create_default_context())
                if spec.username_env and spec.password_env:
                    server.login(
                        env_value(spec.username_env, f"SMTP user of channel {self.name}"),
                        env_value(spec.password_env, f"SMTP password of channel {self.name}"),
                    )
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            raise RecipientError(f"address refused by the SMTP server: {error.recipients}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelError(f"SMTP {spec.host}:{spec.port}: {error}") from None


def build_channel(name: str, config: ChannelsConfig, contacts: Contacts = _no_contacts) -> Any:
    spec = config.spec(name)
    if spec is None:
        raise KeyError(f"unknown channel {name!r}; configured: {', '.join(config.names())}")
    if isinstance(spec, LogSpec):
        channel: Any = LogChannel()
        channel.name = name
        return channel
    cls = {"webhook": WebhookChannel, "dingtalk": DingTalkChannel, "wecom": WeComChannel, "smtp": SmtpChannel}[spec.type]
    return cls(name, spec, config.timeout_seconds, contacts)
