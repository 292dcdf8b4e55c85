"""Client: URL handling, TLS modes and the mapping of every failure to an actionable error."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable

import pytest

from capi_kamaji_proxmox.proxmox.client import (
    ProxmoxAuthError,
    ProxmoxClient,
    ProxmoxConfigError,
    ProxmoxConnectionError,
    ProxmoxError,
    ProxmoxNodeUnreachableError,
    ProxmoxNotFoundError,
    ProxmoxPermissionError,
    ProxmoxTimeoutError,
    ProxmoxTLSError,
    parse_token_id,
    parse_url,
)
from tests.proxmox.conftest import token_of
from tests.proxmox_sim import PVESimulator


def _client(sim: PVESimulator, secret: str | None = None, **kw: object) -> ProxmoxClient:
    kw.setdefault("ca_file", sim.ca_path)
    return ProxmoxClient(sim.url, "capmox@pve!capi", secret or token_of(sim), **kw)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- URL and token id parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "port", "prefix", "stripped"),
    [
        ("https://pve.example:8006", "pve.example", 8006, None, False),
        ("https://pve.example", "pve.example", 8006, None, False),
        ("https://pve.example:8006/api2/json", "pve.example", 8006, None, True),
        ("https://pve.example:8006/api2/json/", "pve.example", 8006, None, True),
        ("https://[fd00::1]:8443/", "[fd00::1]", 8443, None, False),
        ("https://proxy.example/pve/api2/json", "proxy.example", 8006, "pve", True),
        ("pve.example:8006", "pve.example", 8006, None, False),
    ],
)
def test_parse_url(url: str, host: str, port: int, prefix: str | None, stripped: bool) -> None:
    ep = parse_url(url)
    assert (ep.host, ep.port, ep.path_prefix, ep.suffix_stripped) == (host, port, prefix, stripped)


def test_parse_url_reports_the_stripped_suffix() -> None:
    ep = parse_url("https://pve.example:8006/api2/json")
    assert ep.base_url == "https://pve.example:8006"
    assert ep.notes == (
        "removed '/api2/json' from the Proxmox URL: CAPMOX appends it itself and "
        "would otherwise call /api2/json/api2/json/... (HTTP 501)",
    )


@pytest.mark.parametrize(
    "url", ["http://pve.example:8006", "", "https://pve:notaport", "https://user:pw@pve.example:8006"]
)
def test_parse_url_rejects(url: str) -> None:
    with pytest.raises(ProxmoxConfigError):
        parse_url(url)


def test_http_scheme_message() -> None:
    with pytest.raises(ProxmoxConfigError) as exc:
        parse_url("http://pve.example:8006")
    assert str(exc.value) == (
        "the Proxmox URL 'http://pve.example:8006' uses http://; the "
        "Proxmox API is only served over https (e.g. "
        "https://pve.example:8006)"
    )


def test_parse_token_id() -> None:
    assert parse_token_id("capmox@pve!capi") == ("capmox@pve", "capi")
    with pytest.raises(ProxmoxConfigError) as exc:
        parse_token_id("capmox@pve")
    assert str(exc.value) == (
        "the API token id is not of the form "
        "user@realm!tokenname (e.g. capmox@pve!capi); the secret goes in a "
        "separate field"
    )
    # a pasted "id=secret" is refused without echoing it
    with pytest.raises(ProxmoxConfigError) as exc:
        parse_token_id("capmox@pve!capi=0f1e2d3c-secret")
    assert "0f1e2d3c-secret" not in str(exc.value)


# -- against the simulator ---------------------------------------------------------------------


def test_stripped_suffix_still_reaches_the_api(pve_sim: PVESimulator) -> None:
    c = ProxmoxClient(pve_sim.url + "/api2/json", "capmox@pve!capi", token_of(pve_sim), ca_file=pve_sim.ca_path)
    assert c.version()["release"] == "9.2"
    assert [r.raw_path for r in pve_sim.calls()] == ["/api2/json/version"]


def test_ca_file_verifies_and_insecure_skips(pve_sim: PVESimulator) -> None:
    assert _client(pve_sim).nodes()[0]["node"] == "pve1"
    insecure = _client(pve_sim, ca_file=None, insecure=True)
    assert insecure.version()["version"] == "9.2.11"


def test_401_wrong_secret(pve_sim: PVESimulator) -> None:
    c = _client(pve_sim, secret="6f1d1c1e-0000-4000-8000-000000000000")
    with pytest.raises(ProxmoxAuthError) as exc:
        c.version()
    assert exc.value.status == 401
    assert str(exc.value) == (
        f"Proxmox at {pve_sim.url} rejected API token capmox@pve!capi (401 Authentication "
        "failed!). The token id or secret is wrong, or the user or token is disabled or expired; "
        "check both under Datacenter > Permissions > API Tokens"
    )


def test_401_unknown_token(pve_sim: PVESimulator) -> None:
    c = ProxmoxClient(pve_sim.url, "capmox@pve!nope", token_of(pve_sim), ca_file=pve_sim.ca_path)
    with pytest.raises(ProxmoxAuthError):
        c.version()


def test_403_names_privilege_and_path(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxPermissionError) as exc:
        _client(pve_sim).vm_config("pve1", 100)
    err = exc.value
    assert (err.acl_path, err.privileges) == ("/vms/100", ("VM.Audit",))
    assert str(err) == (
        "API token capmox@pve!capi lacks VM.Audit on /vms/100 (needed for GET "
        "/nodes/pve1/qemu/100/config). Grant a role containing VM.Audit on /vms/100 to the token, "
        "and to its user too if the token has privilege separation"
    )


def test_501_doubled_path_hint(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxNotFoundError) as exc:
        _client(pve_sim).get("api2/json/version")
    assert str(exc.value) == (
        f"Proxmox at {pve_sim.url} does not know GET /api2/json/version (Method 'GET "
        "/api2/json/version' not implemented). The URL probably contains /api2/json twice; give "
        "only https://<host>:8006"
    )


def test_595_offline_node(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxNodeUnreachableError) as exc:
        _client(pve_sim).node_status("pve3")
    assert exc.value.status == 595


def test_500_missing_object(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxNotFoundError) as exc:
        _client(pve_sim).vm_config("pve2", 9000)
    assert str(exc.value) == (
        "GET /nodes/pve2/qemu/9000/config failed: Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist"
    )


def test_connection_refused() -> None:
    port = _free_port()
    c = ProxmoxClient(f"https://127.0.0.1:{port}", "capmox@pve!capi", "s3cr3t-value", timeout=3)
    with pytest.raises(ProxmoxConnectionError) as exc:
        c.version()
    assert exc.value.reason == "refused"
    assert str(exc.value) == (
        f"connection to 127.0.0.1:{port} was refused. Check the port (the "
        "Proxmox API listens on 8006) and that pveproxy runs there"
    )


def test_unresolvable_host() -> None:
    c = ProxmoxClient("https://pve.does-not-exist.invalid:8006", "capmox@pve!capi", "s3cr3t", timeout=3)
    with pytest.raises(ProxmoxConnectionError) as exc:
        c.version()
    assert exc.value.reason == "dns"
    assert str(exc.value) == (
        "cannot resolve the host name 'pve.does-not-exist.invalid' of the "
        "Proxmox URL. Check the spelling or use the node's IP address"
    )


def test_untrusted_certificate_system_store(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxTLSError) as exc:
        _client(pve_sim, ca_file=None).version()
    assert str(exc.value) == (
        f"the TLS certificate of {pve_sim.url} could not be verified against the system CA store "
        "(unable to get local issuer certificate). Pass the PEM file of the CA that signed the "
        "Proxmox certificate (on a PVE node: /etc/pve/pve-root-ca.pem), or use "
        "--insecure-skip-tls-verify on a network you trust"
    )
    assert pve_sim.calls() == []  # nothing reached the API


def test_wrong_ca_file(pve_sim: PVESimulator) -> None:
    with pytest.raises(ProxmoxTLSError) as exc:
        _client(pve_sim, ca_file=pve_sim.tls.other_ca_path).version()
    assert f"against the CA file '{pve_sim.tls.other_ca_path}'" in str(exc.value)


def test_missing_ca_file(tmp_path: object) -> None:
    with pytest.raises(ProxmoxConfigError) as exc:
        ProxmoxClient("https://pve:8006", "a@pve!b", "c" * 36, ca_file="/nonexistent/ca.pem")
    assert str(exc.value) == "the CA file '/nonexistent/ca.pem' does not exist"


def test_read_timeout(pve_sim: PVESimulator) -> None:
    pve_sim.response_delay = 1.5
    c = _client(pve_sim, timeout=0.3)
    with pytest.raises(ProxmoxTimeoutError) as exc:
        c.version()
    assert str(exc.value) == (
        f"timed out after 0.3s waiting for an answer from {pve_sim.url} (GET /version). Check the "
        "host, the port and firewalls on the way, or raise the timeout"
    )


# -- the secret never leaks -------------------------------------------------------------------


def test_secret_never_in_errors_reprs_or_logs(pve_sim: PVESimulator, caplog: pytest.LogCaptureFixture) -> None:
    secret = token_of(pve_sim)
    wrong = "0b7c1f7e-5c8e-4f4b-9c55-2a8d5e0f9a11"
    loggers = ["", "proxmoxer", "proxmoxer.core", "proxmoxer.backends.https", "urllib3", "capi_kamaji_proxmox"]
    old = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    try:
        with caplog.at_level(logging.DEBUG):
            good = _client(pve_sim)
            texts.append(repr(good))
            texts.append(str(good.version()))
            calls: list[Callable[[], object]] = [
                lambda: good.vm_config("pve1", 100),  # 403
                lambda: good.node_status("pve3"),  # 595
                lambda: good.get("api2/json/version"),  # 501
                lambda: _client(pve_sim, secret=wrong).version(),  # 401
                lambda: _client(pve_sim, ca_file=None).version(),  # TLS
                lambda: ProxmoxClient(
                    f"https://127.0.0.1:{_free_port()}", "capmox@pve!capi", secret
                ).version(),  # refused
            ]
            for call in calls:
                with pytest.raises(ProxmoxError) as exc:
                    call()
                texts += [str(exc.value), repr(exc.value), "".join(traceback.format_exception(exc.value))]
            pve_sim.response_delay = 1.0
            with pytest.raises(ProxmoxTimeoutError) as texc:
                _client(pve_sim, timeout=0.2).version()
            texts += [str(texc.value), "".join(traceback.format_exception(texc.value))]
    finally:
        for name, level in old.items():
            logging.getLogger(name).setLevel(level)
    assert any("GET /version" in r.getMessage() for r in caplog.records)  # logging did happen
    everything = "\n".join(texts) + caplog.text
    assert secret not in everything
    assert wrong not in everything


def test_empty_secret_rejected() -> None:
    with pytest.raises(ProxmoxConfigError) as exc:
        ProxmoxClient("https://pve:8006", "capmox@pve!capi", "  ")
    assert str(exc.value) == "the secret of API token capmox@pve!capi is empty"
