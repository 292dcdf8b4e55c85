"""Fixtures: a running Proxmox VE simulator per test, TLS material per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from capi_kamaji_proxmox.proxmox.client import ProxmoxClient
from tests.proxmox_sim import PVESimulator, TLSFiles, make_tls_files, standard_inventory


@pytest.fixture(scope="session")
def pve_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(Path(tmp_path_factory.mktemp("pve-tls")))


@pytest.fixture
def pve_sim(pve_tls: TLSFiles) -> Iterator[PVESimulator]:
    """A simulator loaded with ``standard_inventory()``; tests may mutate ``.inventory``."""
    with PVESimulator(standard_inventory(), pve_tls) as sim:
        yield sim


def token_of(sim: PVESimulator, token_id: str = "capmox@pve!capi") -> str:
    """The secret of an existing simulator token."""
    user, name = token_id.split("!", 1)
    return sim.inventory.users[user].tokens[name].secret


@pytest.fixture
def pve_client(pve_sim: PVESimulator) -> ProxmoxClient:
    """A client for the least-privilege ``capmox@pve!capi`` token, verifying TLS with the CA."""
    return ProxmoxClient(pve_sim.url, "capmox@pve!capi", token_of(pve_sim),
                         ca_file=pve_sim.ca_path, timeout=5)
