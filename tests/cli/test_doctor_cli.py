"""``doctor`` end to end: the real CLI against the harness API server and the Proxmox simulator.

Also the leak test: a known token secret goes through ``secret create``, ``doctor`` and ``template``
(DEBUG logging on where a command has it) and must appear in none of their output.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.cluster import ControlPlane
from tests.preflight.conftest import config, create_datastore, create_secret, grant_bootstrap, unique
from tests.proxmox.conftest import token_of
from tests.proxmox_sim import PVESimulator
from tests.rendering import cli

pytestmark = pytest.mark.integration

TOKEN = "capmox@pve!capi"
KINDS = {
    "current": "PASS  kinds: served infrastructure.cluster.x-k8s.io/v1alpha2: ProxmoxCluster, ProxmoxMachineTemplate; "
    "controlplane.cluster.x-k8s.io/v1alpha2: KamajiControlPlane; cluster.x-k8s.io/v1beta2: Cluster, "
    "MachineDeployment; bootstrap.cluster.x-k8s.io/v1beta2: KubeadmConfigTemplate",
    "legacy": "PASS  kinds: served infrastructure.cluster.x-k8s.io/v1alpha1: ProxmoxCluster, ProxmoxMachineTemplate; "
    "controlplane.cluster.x-k8s.io/v1alpha1: KamajiControlPlane; cluster.x-k8s.io/v1beta1: Cluster, "
    "MachineDeployment; bootstrap.cluster.x-k8s.io/v1beta1: KubeadmConfigTemplate",
}


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PROXMOX_") and k != "KUBECONFIG"}


class Setup:
    """A namespace where every management check passes, and a values file for the simulator."""

    def __init__(self, plane: ControlPlane, namespace: str, sim: PVESimulator, tmp: Path, **overrides: Any) -> None:
        self.plane, self.ns, self.sim = plane, namespace, sim
        self.datastore = unique("ds")
        create_datastore(plane.client, self.datastore, ready=True)
        grant_bootstrap(plane.client, namespace, "boot")
        cfg = config(cluster={"controlPlane": {"dataStoreName": self.datastore}}, **overrides)
        self.values = tmp / "values.yaml"
        self.values.write_text(yaml.safe_dump(cfg))

    def secret(self, secret: str | None = None, token: str = TOKEN, url: str | None = None, *, tls: bool = True,
               name: str = "proxmox-secret", **extra: str) -> None:  # fmt: skip
        """The credentials Secret; ``tls`` adds root_ca (the simulator's CA) and insecure "false" as
        ``secret create --proxmox-ca-file`` writes them."""
        data = {"url": url or self.sim.url, "token": token, "secret": secret or token_of(self.sim)}
        if tls:
            data.update(root_ca=self.sim.ca_path.read_text(), insecure="false")
        create_secret(self.plane.client, self.ns, name, {**data, **extra})

    def doctor(self, *extra: str, ca: bool = True, bootstrap: bool = True) -> Any:
        args = ["doctor", "demo", "-f", str(self.values), "-n", self.ns, "--kubeconfig", str(self.plane.kubeconfig)]
        if ca:
            args += ["--proxmox-ca-file", str(self.sim.ca_path)]
        if bootstrap:
            args += ["--bootstrap-namespace", self.ns, "--bootstrap-service-account", "boot"]
        return cli(*args, *extra, env=env())


@pytest.fixture
def setup(mgmt_cluster: ControlPlane, namespace: str, pve_sim: PVESimulator, tmp_path: Path) -> Setup:
    return Setup(mgmt_cluster, namespace, pve_sim, tmp_path)


def test_everything_passes(setup: Setup, mgmt_cluster: ControlPlane) -> None:
    setup.secret()
    result = setup.doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    url, ns, ds = setup.sim.url, setup.ns, setup.datastore
    assert result.stdout.splitlines() == [
        KINDS[mgmt_cluster.generation],
        "PASS  ipam-provider: InClusterIPPool served in ipam.cluster.x-k8s.io/v1alpha2; the node pools use it",
        "PASS  pod-network: pod CIDR 10.93.0.0/16 is clear of node and service ranges",
        f"PASS  bootstrap-rbac: system:serviceaccount:{ns}:boot may get, list, watch kamajicontrolplanes",
        f"PASS  datastore[{ds}]: DataStore {ds} (PostgreSQL) is ready",
        "WARN  kamaji-version: no Kamaji controller Deployment found (label app.kubernetes.io/name=kamaji or an "
        "image named kamaji); its version window not checked -> install Kamaji in the management cluster",
        f"PASS  credentials-secret: Secret {ns}/proxmox-secret has url, token (capmox@pve!capi) and secret",
        f"PASS  proxmox-tls: CAPMOX verifies the certificate of {url} against root_ca and the system roots",
        f"PASS  api-access: PVE 9.2.11 at {url}, token capmox@pve!capi",
        "PASS  privileges: token capmox@pve!capi holds the 20 privileges CAPMOX needs on 8 paths (PVE 9)",
        "PASS  nodes: pve1, pve2 online",
        'PASS  template[workers]: template 9000 "ubuntu-2404-k8s" on pve1 (tags "k8s;ubuntu", matchPolicy exact)',
        'PASS  guest-agent[workers]: template 9000 "ubuntu-2404-k8s" on pve1 has the QEMU guest agent enabled',
        "PASS  storage[ceph]: shared, images, 1536 GiB free for 240 GiB (workers 6 x 40 GiB)",
        "PASS  bridge[vmbr0]: present and active on pve1, pve2",
        "PASS  cloud-init-iso: CAPMOX uploads the cloud-init ISO to local on pve1, pve2",
        "PASS  resource-pool[capi]: pool capi exists",
        "PASS  capacity: pools at maximum size need 48 GiB memory and 24 vCPUs; allowed nodes can reserve 192 GiB "
        "(pve1 64 GiB, pve2 128 GiB) and have 48 CPUs",
        "PASS  ip-addresses: 10.0.0.10-10.0.0.30 hold 21 usable addresses for 6 (workers 5+1)",
        "",
        "18 passed, 1 warning(s), 0 failed",
    ]


def test_missing_secret_fails_word_for_word(setup: Setup) -> None:
    result = setup.doctor()
    assert result.returncode == 1
    ns = setup.ns
    lines = result.stdout.splitlines()
    assert lines[5:] == [
        "WARN  kamaji-version: no Kamaji controller Deployment found (label app.kubernetes.io/name=kamaji or an "
        "image named kamaji); its version window not checked -> install Kamaji in the management cluster",
        f"FAIL  credentials-secret: Secret {ns}/proxmox-secret does not exist -> capi-kamaji-proxmox secret create "
        f"proxmox-secret -n {ns} --cluster-name demo (reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)",
        f"FAIL  proxmox: not checked: no usable credentials Secret {ns}/proxmox-secret -> fix the credentials-secret "
        "check first",
        "",
        "5 passed, 1 warning(s), 2 failed",
    ]


def test_proxmox_failures_word_for_word(mgmt_cluster: ControlPlane, namespace: str, pve_sim: PVESimulator,
                                        tmp_path: Path) -> None:  # fmt: skip
    pool = config()["nodePools"][0]
    pool = {**pool, "autoscaling": {"enabled": True, "minSize": 1, "maxSize": 30}, "replicas": None}
    setup = Setup(mgmt_cluster, namespace, pve_sim, tmp_path, nodePools=[pool])
    setup.secret()
    pve_sim.inventory.node("pve2").status = "offline"  # type: ignore[union-attr]
    result = setup.doctor()
    assert result.returncode == 1
    by_name = {line.split(":", 1)[0].split()[-1]: line for line in result.stdout.splitlines() if ":" in line}
    assert by_name["nodes"] == (
        "FAIL  nodes: pve2 not online (cluster: pve1 online, pve2 offline, pve3 offline) -> bring pve2 online or "
        "remove it from allowedNodes"
    )
    assert by_name["ip-addresses"] == (
        "FAIL  ip-addresses: 10.0.0.10-10.0.0.30 hold 21 usable addresses; pools at maximum size plus surge need 31 "
        "(workers 30+1) -> add at least 10 addresses to the ranges or lower maxSize/maxSurge"
    )
    assert result.stdout.endswith(" failed\n")


def test_bootstrap_rbac_yaml_is_printed(setup: Setup, mgmt_cluster: ControlPlane) -> None:
    setup.secret()
    result = setup.doctor("--skip-proxmox", "--bootstrap-namespace", setup.ns + "-capi")
    sa = f"system:serviceaccount:{setup.ns}-capi:boot"
    line = next(ln for ln in result.stdout.splitlines() if "bootstrap-rbac:" in ln)
    if mgmt_cluster.generation == "current":
        assert result.returncode == 1
        assert line.startswith(f"FAIL  bootstrap-rbac: {sa} may not get, list, watch kamajicontrolplanes; ")
    else:
        assert result.returncode == 0
        assert line.startswith(f"WARN  bootstrap-rbac: {sa} may not get, list, watch kamajicontrolplanes; ")
    _, _, block = result.stdout.partition("# bootstrap-rbac: to fix, save this and kubectl apply -f it\n")
    yaml_text = block.rsplit("\n\n", 1)[0]
    docs = [d for d in yaml.safe_load_all(yaml_text) if d]
    assert [d["kind"] for d in docs] == ["ClusterRole", "ClusterRoleBinding"]
    assert docs[1]["subjects"] == [{"kind": "ServiceAccount", "name": "boot", "namespace": f"{setup.ns}-capi"}]


def test_json_output(setup: Setup) -> None:
    setup.secret()
    result = setup.doctor("-o", "json", "--skip-proxmox")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["release"] == "demo" and data["namespace"] == setup.ns and data["status"] == "warn"
    assert [c["name"] for c in data["checks"]] == [
        "kinds", "ipam-provider", "pod-network", "bootstrap-rbac", f"datastore[{setup.datastore}]", "kamaji-version",
        "credentials-secret",
    ]  # fmt: skip
    assert all(set(c) == {"name", "status", "found", "fix"} for c in data["checks"])


def test_tls_verification(setup: Setup) -> None:
    """Item 5: the Secret's insecure/root_ca decide, as in CAPMOX: unset = no verification (warn);
    insecure "false" without a root_ca that verifies the server = fail."""
    setup.secret(tls=False)
    loose = setup.doctor(ca=False)
    assert loose.returncode == 0, loose.stdout
    assert (
        f"WARN  proxmox-tls: CAPMOX will not verify the certificate of {setup.sim.url}: Secret "
        f"{setup.ns}/proxmox-secret has no insecure key -> capi-kamaji-proxmox secret create proxmox-secret -n "
        f"{setup.ns} --cluster-name "
        '<cluster> --proxmox-ca-file /etc/pve/pve-root-ca.pem (writes root_ca and insecure: "false")'
    ) in loose.stdout.splitlines()
    setup.secret(tls=False, name="strict", insecure="false")
    strict = setup.doctor("--set", "proxmox.secret.name=strict", ca=False)
    assert strict.returncode == 1
    line = next(ln for ln in strict.stdout.splitlines() if "proxmox-tls:" in ln)
    assert line.startswith(f"FAIL  proxmox-tls: CAPMOX will reject the certificate of {setup.sim.url}: it does not "
                           "verify against the system roots (the Secret has no root_ca) (")  # fmt: skip
    assert " -> capi-kamaji-proxmox secret create strict " in line
    skipped = setup.doctor("--set", "proxmox.secret.name=strict", "--insecure-skip-tls-verify", ca=False)
    assert skipped.returncode == 0, skipped.stdout
    assert skipped.stderr == "warning: --insecure-skip-tls-verify: Proxmox's certificate is not verified\n"
    assert "WARN  proxmox-tls: not checked (--insecure-skip-tls-verify): CAPMOX verifies" in skipped.stdout


def test_bad_values_and_kubeconfig_are_one_line(setup: Setup, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodePools: 3\n")
    result = cli("doctor", "demo", "-f", str(bad), "--kubeconfig", str(setup.plane.kubeconfig), env=env())
    assert result.returncode == 2
    assert result.stderr.startswith("error: nodePools")
    assert "Traceback" not in result.stderr
    result = cli("doctor", "demo", "-f", str(setup.values), "--kubeconfig", str(tmp_path / "nope"), env=env())
    assert result.returncode == 1
    assert result.stderr == f"error: kubeconfig file {tmp_path / 'nope'} not found\n"


def test_token_secret_appears_in_no_output(setup: Setup, tmp_path: Path) -> None:
    """Every command that touches the token secret, with DEBUG logs on: the secret shows up nowhere."""
    known = "5e9c1d7a-0b2f-4c3d-8e4f-a1b2c3d4e5f6"
    setup.sim.inventory.users["capmox@pve"].tokens["capi"].secret = known
    kc = ["--kubeconfig", str(setup.plane.kubeconfig)]
    outputs = []
    creds = {**env(), "PROXMOX_URL": setup.sim.url + "/api2/json", "PROXMOX_TOKEN": TOKEN, "PROXMOX_SECRET": known}
    outputs.append(cli("secret", "create", "proxmox-secret", "-n", setup.ns, "--cluster-name", "demo", *kc,
                       "--verify", "--proxmox-ca-file", str(setup.sim.ca_path), "--debug", env=creds))  # fmt: skip
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    outputs.append(setup.doctor("--debug"))
    assert outputs[-1].returncode == 0, outputs[-1].stdout
    assert "debug: " in outputs[-1].stderr  # DEBUG logging really was on
    outputs.append(setup.doctor("-o", "json", "--debug", "--insecure-skip-tls-verify", ca=False))
    outputs.append(cli("template", "demo", "-f", str(setup.values), "-n", setup.ns, env=creds))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    # Failure paths print more: a wrong secret in the cluster, and the secret pasted into the token key.
    setup.sim.inventory.users["capmox@pve"].tokens["capi"].secret = "rotated-" + "0" * 28
    outputs.append(setup.doctor("--debug"))
    assert outputs[-1].returncode == 1
    create_secret(setup.plane.client, setup.ns, "pasted", {"url": setup.sim.url, "token": f"{TOKEN}={known}",
                                                          "secret": known})  # fmt: skip
    outputs.append(setup.doctor("--debug", "--set", "proxmox.secret.name=pasted"))
    assert outputs[-1].returncode == 1
    assert (
        f"FAIL  credentials-secret: Secret {setup.ns}/pasted: key token is not of the form user@realm!tokenname (e.g. "
        "capmox@pve!capi); it contains '=': keep only the part before '=' and put the secret in PROXMOX_SECRET (the "
        "value is not shown in case it holds the secret) -> recreate it with the token id and the secret apart: "
        f"capi-kamaji-proxmox secret create pasted -n {setup.ns} --cluster-name demo (reads PROXMOX_URL, "
        "PROXMOX_TOKEN, PROXMOX_SECRET)"
    ) in outputs[-1].stdout.splitlines()
    encoded = base64.b64encode(known.encode()).decode()
    for result in outputs:
        for stream in (result.stdout, result.stderr):
            assert known not in stream
            assert encoded not in stream


def test_install_refuses_on_a_failed_check(setup: Setup) -> None:
    """``install`` runs the same checks first and writes nothing when one fails."""
    kc = ["--kubeconfig", str(setup.plane.kubeconfig)]
    ca = ["--proxmox-ca-file", str(setup.sim.ca_path)]
    result = cli("install", "demo", "-f", str(setup.values), "-n", setup.ns, *kc, *ca, env=env())
    assert result.returncode != 0
    ns = setup.ns
    assert (
        f"FAIL  credentials-secret: Secret {ns}/proxmox-secret does not exist -> capi-kamaji-proxmox secret create "
        f"proxmox-secret -n {ns} --cluster-name demo (reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)"
    ) in result.stderr.splitlines()
    assert "preflight found " in result.stderr
    secrets = setup.plane.client.get(f"/api/v1/namespaces/{ns}/secrets")
    assert [s["metadata"]["name"] for s in secrets["items"]] == []


def test_install_with_passing_preflight_keeps_the_secret_out_of_records(setup: Setup) -> None:
    """install and upgrade run every check against the simulator, then apply; no output and no release
    record (decoded, as helm would) contains the token secret."""
    from capi_kamaji_proxmox.release.record import decode_secret_data

    known = "7d3f9a1c-2b4e-4f6a-9c8d-0e1f2a3b4c5d"
    setup.sim.inventory.users["capmox@pve"].tokens["capi"].secret = known
    setup.secret(secret=known)
    common = ["-f", str(setup.values), "-n", setup.ns, "--kubeconfig", str(setup.plane.kubeconfig),
              "--proxmox-ca-file", str(setup.sim.ca_path), "--bootstrap-namespace", setup.ns,
              "--bootstrap-service-account", "boot"]  # fmt: skip
    outputs = [cli("install", "demo", *common, env=env())]
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    assert "--skip-preflight" not in outputs[-1].stderr  # the checks ran and passed
    outputs.append(cli("upgrade", "demo", *common, "--set", "nodePools[0].replicas=4", env=env()))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    outputs.append(cli("get", "values", "demo", "--all", "-n", setup.ns, "--kubeconfig", str(setup.plane.kubeconfig)))
    records = setup.plane.client.get(f"/api/v1/namespaces/{setup.ns}/secrets", params={"labelSelector": "owner=helm"})
    decoded = [decode_secret_data(s["data"]["release"]).model_dump_json() for s in records["items"]]
    assert len(decoded) == 2
    encoded = base64.b64encode(known.encode()).decode()
    for text in decoded + [o.stdout + o.stderr for o in outputs]:
        assert known not in text and encoded not in text
