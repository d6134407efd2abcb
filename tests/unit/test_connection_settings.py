"""TLS / API-key settings for reaching a Temporal cluster or Temporal Cloud (worker and CLI share them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from worker import tls_settings


def test_plain_by_default() -> None:
    assert tls_settings({}) == (False, None)


def test_an_api_key_implies_tls() -> None:
    assert tls_settings({"TEMPORAL_API_KEY": "k-123"}) == (True, "k-123")


def test_tls_without_client_certificate() -> None:
    assert tls_settings({"TEMPORAL_TLS": "true"}) == (True, None)


def test_mtls_reads_the_certificate_files(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    tls, api_key = tls_settings(
        {
            "TEMPORAL_TLS_CERT": str(tmp_path / "client.pem"),
            "TEMPORAL_TLS_KEY": str(tmp_path / "client.key"),
            "TEMPORAL_TLS_CA": str(tmp_path / "ca.pem"),
            "TEMPORAL_TLS_SERVER_NAME": "ns.tmprl.cloud",
        }
    )
    assert tls == TLSConfig(client_cert=b"CERT", client_private_key=b"KEY", server_root_ca_cert=b"CA", domain="ns.tmprl.cloud")
    assert api_key is None


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="go together"):
        tls_settings({"TEMPORAL_TLS_CERT": str(tmp_path / "client.pem")})
