"""The server runner: binding, addresses, TLS material, clean stop, port in use."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import httpx
import pytest

from remit.emulator.errors import PortInUse
from remit.emulator.server import EmulatorServer
from remit.emulator.tls import make_tls_files

from .factories import make_tenant
from .helpers import tls_context


def test_addresses_and_tls_material(tmp_path: Path) -> None:
    with EmulatorServer([make_tenant()], state_dir=tmp_path) as server:
        assert server.port > 0
        assert server.url == f"https://127.0.0.1:{server.port}"
        assert server.authority_host == server.url
        assert server.graph_base_url == server.url + "/v1.0"
        assert server.ca_bundle == tmp_path / "ca.pem"
        assert stat.S_IMODE((tmp_path / "server-key.pem").stat().st_mode) == 0o600
        with httpx.Client(verify=tls_context(server), trust_env=False) as client:
            assert client.get(f"{server.url}/_emulator/tenants").status_code == 200
        # The certificate names localhost too.
        local = server.url.replace("127.0.0.1", "localhost")
        with httpx.Client(verify=tls_context(server), trust_env=False) as client:
            assert client.get(f"{local}/_emulator/tenants").status_code == 200
    with socket.socket() as probe:  # stopped: nothing listens on the port any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", server.port))


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            EmulatorServer([make_tenant()], port=port).start()
    assert str(caught.value) == (
        f"port {port} on 127.0.0.1 is already in use; choose another with --port, "
        "or --port 0 for any free port"
    )
    assert caught.value.exit_code == 10


def test_own_state_dir_is_removed_on_stop() -> None:
    server = EmulatorServer([make_tenant()]).start()
    folder = server.ca_bundle.parent
    assert folder.is_dir()
    server.stop()
    assert not folder.exists()


def test_tls_files_are_a_ca_and_a_leaf(tmp_path: Path) -> None:
    from cryptography import x509

    files = make_tls_files(tmp_path)
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.issuer == ca.subject
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_two_tenants_with_one_id_are_refused() -> None:
    with pytest.raises(ValueError, match="same tenant id"):
        EmulatorServer([make_tenant("same"), make_tenant("same")])
