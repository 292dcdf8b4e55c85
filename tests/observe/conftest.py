"""Fixtures of the observe tests: a World bound to the harness server and a fresh namespace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.cluster import ControlPlane
from tests.observe.workload import HangingServer
from tests.observe.world import World


@pytest.fixture
def world(mgmt_cluster: ControlPlane, namespace: str) -> World:
    return World(mgmt_cluster, namespace)


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    """A loopback listener that accepts and never answers (a workload API server that hangs)."""
    server = HangingServer()
    try:
        yield server
    finally:
        server.stop()
