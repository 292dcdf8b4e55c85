"""Issue 10, item 7: a user bound to exactly the documented Role passes preflight on every verb that
runs it (doctor, install, upgrade); the checks it may not run are warnings naming the permission."""

from __future__ import annotations

import pytest
import yaml

from tests.cli.test_doctor_cli import Setup, env
from tests.rendering import REPO, cli

pytestmark = pytest.mark.integration


def test_documented_role_is_enough_with_preflight_on(preflight_ready: Setup) -> None:
    setup = preflight_ready
    mgmt_cluster, namespace, pve_sim = setup.plane, setup.ns, setup.sim
    role = next(yaml.safe_load_all((REPO / "docs" / "rbac.yaml").read_text()))
    api = mgmt_cluster.client
    api.apply(role, namespace=namespace)
    api.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "dora"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dora"}],
        },
        namespace=namespace,
    )
    dora = mgmt_cluster.user_kubeconfig("dora")
    common = ["-f", str(setup.values), "-n", namespace, "--kubeconfig", str(dora),
              "--proxmox-ca-file", str(pve_sim.ca_path), "--bootstrap-namespace", namespace,
              "--bootstrap-service-account", "boot"]  # fmt: skip
    for args in (["doctor", "demo"], ["install", "demo"], ["upgrade", "demo", "--set", "nodePools[0].replicas=2"]):
        result = cli(*args, *common, env=env())
        assert result.returncode == 0, f"{args}: {result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr
        out = result.stdout + result.stderr
        assert f"WARN  datastore[{setup.datastore}]: not checked: " in out, out
        assert 'cannot get resource "datastores" in API group "kamaji.clastix.io"' in out, out
