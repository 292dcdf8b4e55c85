"""Fixtures of the observe tests: a World bound to the harness server and a fresh namespace."""

from __future__ import annotations

import pytest

from tests.harness.cluster import ControlPlane
from tests.observe.world import World


@pytest.fixture
def world(mgmt_cluster: ControlPlane, namespace: str) -> World:
    return World(mgmt_cluster, namespace)
