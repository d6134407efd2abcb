"""How to reach Temporal: ``temporalio.envconfig``, as the ``temporal`` CLI does it.

A TOML profile file (``TEMPORAL_CONFIG_FILE``, default ``~/.config/temporalio/temporal.toml``;
profile ``TEMPORAL_PROFILE``, default ``default``) overridden by the environment:

    TEMPORAL_ADDRESS                       frontend host:port (default localhost:7233)
    TEMPORAL_NAMESPACE                     namespace (default "default")
    TEMPORAL_API_KEY                       API key (Temporal Cloud); implies TLS
    TEMPORAL_TLS                           "true" for TLS with the system roots, "false" to disable it
    TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA  client certificate (mTLS), a file or the PEM itself
    TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA   its private key
    TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA  CA for the server's certificate (default: system roots)
    TEMPORAL_TLS_SERVER_NAME               server name to verify, when it differs from the address
    TEMPORAL_GRPC_META_<NAME>              extra gRPC headers

Anything that cannot be used (a TLS file that does not exist, a profile that is not in the file, a
certificate without its key) raises ``InputError`` naming it, before any connection is tried.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.service import TLSConfig

from settings.errors import InputError

__all__ = ["DEFAULT_ADDRESS", "DEFAULT_NAMESPACE", "connect_config", "target_address"]

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
# Names this project read before it followed the temporal CLI: a worker still configured with them
# would otherwise connect without its certificate; refused with the name to use instead.
RETIRED = {
    "TEMPORAL_TLS_CERT": "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_KEY": "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CA": "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
}


def connect_config(env: Mapping[str, str] | None = None) -> ClientConnectConfig:
    """Keyword arguments for ``Client.connect`` (target_host, namespace, api_key, tls, rpc_metadata)
    from the profile file and the environment (``env``, default the process's)."""
    source = os.environ if env is None else env
    retired = [f"{old} (now {new})" for old, new in RETIRED.items() if source.get(old)]
    if retired:
        raise InputError(f"renamed Temporal TLS variables are set: {', '.join(retired)}; rename them (as the temporal CLI names them)")
    profile = source.get("TEMPORAL_PROFILE") or "default"
    config_file = source.get("TEMPORAL_CONFIG_FILE") or None
    where = f"profile {profile!r}" + (f" of {config_file}" if config_file else "")
    if config_file and not Path(config_file).is_file():
        raise InputError(f"TEMPORAL_CONFIG_FILE={config_file}: no such file")
    try:
        config = ClientConfig.load_client_connect_config(override_env_vars=dict(source))
    except FileNotFoundError as error:
        raise InputError(
            f"Temporal TLS: {error.filename}: no such file (named by a TEMPORAL_TLS_*_PATH variable or the tls section of {where})"
        ) from None
    except OSError as error:
        raise InputError(f"Temporal TLS: {getattr(error, 'filename', None) or ''}: cannot read: {error.strerror or error}") from None
    except RuntimeError as error:  # the SDK's ConfigError: a bad TOML file, an unknown profile
        # TOML errors come with an excerpt drawn with "|" lines: keep the words, on one line
        words = [line.strip() for line in str(error).splitlines() if line.strip() and "|" not in line]
        raise InputError(f"Temporal client configuration ({where}): {': '.join(words)}") from None
    tls = config.get("tls")
    if isinstance(tls, TLSConfig) and bool(tls.client_cert) != bool(tls.client_private_key):
        raise InputError(
            "Temporal TLS: a client certificate and its private key go together "
            f"(TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*, or client_cert and client_key in {where})"
        )
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.setdefault("namespace", DEFAULT_NAMESPACE)
    return config


def target_address(env: Mapping[str, str] | None = None) -> str:
    """The frontend address the client will use, for messages ("cannot reach Temporal at …");
    never raises (settings that cannot be used are reported by ``connect_config``)."""
    try:
        return connect_config(env)["target_host"]
    except InputError:
        source = os.environ if env is None else env
        return source.get("TEMPORAL_ADDRESS") or DEFAULT_ADDRESS
