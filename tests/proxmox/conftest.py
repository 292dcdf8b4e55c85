"""Fixtures: a running Proxmox VE simulator per test, TLS material per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxmox_sim import PVESimulator, TLSFiles, make_tls_files, standard_inventory


@pytest.fixture(scope="session")
def pve_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(Path(tmp_path_factory.mktemp("pve-tls")))


@pytest.fixture
def pve_sim(pve_tls: TLSFiles) -> Iterator[PVESimulator]:
    """A simulator loaded with ``standard_inventory()``; tests may mutate ``.inventory``."""
    with PVESimulator(standard_inventory(), pve_tls) as sim:
        yield sim
