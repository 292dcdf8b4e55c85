"""Fixtures: a running Proxmox VE simulator per test, TLS material per session."""

from __future__ import annotations

import pytest

from capi_kamaji_proxmox.proxmox.client import ProxmoxClient
from tests.proxmox_sim import PVESimulator


def token_of(sim: PVESimulator, token_id: str = "capmox@pve!capi") -> str:
    """The secret of an existing simulator token."""
    user, name = token_id.split("!", 1)
    return sim.inventory.users[user].tokens[name].secret


@pytest.fixture
def pve_client(pve_sim: PVESimulator) -> ProxmoxClient:
    """A client for the least-privilege ``capmox@pve!capi`` token, verifying TLS with the CA."""
    return ProxmoxClient(pve_sim.url, "capmox@pve!capi", token_of(pve_sim), ca_file=pve_sim.ca_path, timeout=5)
