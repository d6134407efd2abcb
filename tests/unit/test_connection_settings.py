"""Reaching a Temporal cluster or Temporal Cloud (worker and CLI share it): temporalio.envconfig, as the
`temporal` CLI does it — a TOML profile file, overridden by TEMPORAL_* variables. Real files in tmp."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from settings.errors import InputError
from settings.temporal import connect_config, target_address


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    return tmp_path


@pytest.fixture
def profiles(certs: Path) -> Path:
    """A profile file: a plain local profile and a Temporal Cloud one with mTLS files and an API key."""
    path = certs / "temporal.toml"
    path.write_text(
        f"""
[profile.default]
address = "localhost:7244"

[profile.cloud]
address = "ns.acct.tmprl.cloud:7233"
namespace = "ns.acct"
api_key = "k-123"

[profile.cloud.tls]
client_cert_path = "{certs / 'client.pem'}"
client_key_path = "{certs / 'client.key'}"
server_ca_cert_path = "{certs / 'ca.pem'}"
server_name = "ns.acct.tmprl.cloud"

[profile.moved.tls]
client_cert_path = "{certs / 'gone.pem'}"
client_key_path = "{certs / 'client.key'}"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def no_profiles(tmp_path: Path) -> dict[str, str]:
    """An environment whose profile file is empty (the user's own ~/.config/temporalio stays out)."""
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    return {"TEMPORAL_CONFIG_FILE": str(empty)}


def test_plain_by_default(no_profiles: dict[str, str]) -> None:
    config = connect_config(no_profiles)
    assert config == {"target_host": "localhost:7233", "namespace": "default"}
    assert "tls" not in config and "api_key" not in config


def test_an_api_key_implies_tls(no_profiles: dict[str, str]) -> None:
    config = connect_config({**no_profiles, "TEMPORAL_API_KEY": "k-123"})
    assert (config["tls"], config["api_key"]) == (True, "k-123")


def test_tls_without_client_certificate(no_profiles: dict[str, str]) -> None:
    config = connect_config({**no_profiles, "TEMPORAL_TLS": "true"})
    assert config["tls"] == TLSConfig()  # the system's roots, no client certificate
    assert "api_key" not in config


def test_mtls_reads_the_certificate_files_named_by_the_environment(no_profiles: dict[str, str], certs: Path) -> None:
    config = connect_config(
        {
            **no_profiles,
            "TEMPORAL_TLS_CLIENT_CERT_PATH": str(certs / "client.pem"),
            "TEMPORAL_TLS_CLIENT_KEY_PATH": str(certs / "client.key"),
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(certs / "ca.pem"),
            "TEMPORAL_TLS_SERVER_NAME": "ns.tmprl.cloud",
        }
    )
    assert config["tls"] == TLSConfig(client_cert=b"CERT", client_private_key=b"KEY", server_root_ca_cert=b"CA", domain="ns.tmprl.cloud")
    assert "api_key" not in config


def test_a_profile_brings_address_namespace_tls_and_api_key(profiles: Path) -> None:
    config = connect_config({"TEMPORAL_CONFIG_FILE": str(profiles), "TEMPORAL_PROFILE": "cloud"})
    assert config["target_host"] == "ns.acct.tmprl.cloud:7233" and config["namespace"] == "ns.acct"
    assert config["api_key"] == "k-123"
    assert config["tls"] == TLSConfig(
        client_cert=b"CERT", client_private_key=b"KEY", server_root_ca_cert=b"CA", domain="ns.acct.tmprl.cloud"
    )


def test_the_default_profile_is_used_without_temporal_profile(profiles: Path) -> None:
    config = connect_config({"TEMPORAL_CONFIG_FILE": str(profiles)})
    assert config == {"target_host": "localhost:7244", "namespace": "default"}
    assert target_address({"TEMPORAL_CONFIG_FILE": str(profiles)}) == "localhost:7244"


def test_the_environment_overrides_the_profile(profiles: Path) -> None:
    config = connect_config(
        {
            "TEMPORAL_CONFIG_FILE": str(profiles),
            "TEMPORAL_PROFILE": "cloud",
            "TEMPORAL_ADDRESS": "other.tmprl.cloud:7233",
            "TEMPORAL_NAMESPACE": "other.acct",
            "TEMPORAL_API_KEY": "k-456",
            "TEMPORAL_TLS_SERVER_NAME": "other.tmprl.cloud",
        }
    )
    assert (config["target_host"], config["namespace"], config["api_key"]) == ("other.tmprl.cloud:7233", "other.acct", "k-456")
    tls = config["tls"]
    assert isinstance(tls, TLSConfig) and tls.domain == "other.tmprl.cloud" and tls.client_cert == b"CERT"


def test_tls_can_be_switched_off_for_a_profile(profiles: Path) -> None:
    config = connect_config({"TEMPORAL_CONFIG_FILE": str(profiles), "TEMPORAL_PROFILE": "cloud", "TEMPORAL_TLS": "false"})
    assert config["tls"] is False


def test_a_missing_tls_file_is_a_clear_error(profiles: Path, no_profiles: dict[str, str], certs: Path) -> None:
    with pytest.raises(InputError, match=r"gone\.pem: no such file .*profile 'moved'"):
        connect_config({"TEMPORAL_CONFIG_FILE": str(profiles), "TEMPORAL_PROFILE": "moved"})
    with pytest.raises(InputError, match=r"missing-ca\.pem: no such file .*TEMPORAL_TLS_\*_PATH"):
        connect_config({**no_profiles, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(certs / "missing-ca.pem")})


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_tls_switched_on_the_ways_the_old_settings_accepted(no_profiles: dict[str, str], value: str) -> None:
    assert connect_config({**no_profiles, "TEMPORAL_TLS": value})["tls"] == TLSConfig()


def test_the_retired_tls_names_are_refused_with_the_new_ones(no_profiles: dict[str, str], certs: Path) -> None:
    env = {**no_profiles, "TEMPORAL_TLS_CERT": str(certs / "client.pem"), "TEMPORAL_TLS_CA": str(certs / "ca.pem")}
    with pytest.raises(InputError) as refused:
        connect_config(env)
    assert "TEMPORAL_TLS_CERT (now TEMPORAL_TLS_CLIENT_CERT_PATH)" in refused.value.message
    assert "TEMPORAL_TLS_CA (now TEMPORAL_TLS_SERVER_CA_CERT_PATH)" in refused.value.message


def test_a_certificate_without_its_key_is_refused(no_profiles: dict[str, str], certs: Path) -> None:
    with pytest.raises(InputError, match="go together"):
        connect_config({**no_profiles, "TEMPORAL_TLS_CLIENT_CERT_PATH": str(certs / "client.pem")})


def test_an_unknown_profile_or_a_missing_profile_file_is_refused(profiles: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Profile 'staging' not found"):
        connect_config({"TEMPORAL_CONFIG_FILE": str(profiles), "TEMPORAL_PROFILE": "staging"})
    with pytest.raises(InputError, match="TEMPORAL_CONFIG_FILE=.*nowhere.toml: no such file"):
        connect_config({"TEMPORAL_CONFIG_FILE": str(tmp_path / "nowhere.toml")})
    broken = tmp_path / "broken.toml"
    broken.write_text("[profile.default\naddress = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="Temporal client configuration .*broken.toml") as raised:
        connect_config({"TEMPORAL_CONFIG_FILE": str(broken)})
    assert "\n" not in raised.value.message  # one line for the CLI


async def test_the_worker_refuses_unusable_settings_before_connecting(monkeypatch: pytest.MonkeyPatch, certs: Path) -> None:
    from service.bootstrap import connect  # imported here: the rest of this file needs no Temporal client code

    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(certs / "nowhere.toml"))
    with pytest.raises(InputError, match="no such file"):
        await connect()
    monkeypatch.delenv("TEMPORAL_CONFIG_FILE")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(certs / "client.key"))
    with pytest.raises(InputError, match="go together"):
        await connect()
