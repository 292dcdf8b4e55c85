"""Write clusters into the harness API server the way the controllers would, in both generations.

No Cluster API controller runs in the tests, so this module plays their part: it applies the
tool's rendered Cluster / KamajiControlPlane / MachineDeployments, stores a release record for
them, then writes what the controllers would (MachineSets, Machines, ProxmoxMachines, the status
of everything through the ``/status`` subresource, kubeconfig Secrets) in the shape of the
generation the server serves: v1beta2 / v1alpha2 on ``current``, v1beta1 / v1alpha1 on ``legacy``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from capi_kamaji_proxmox.kube import KubeClient as OurClient
from capi_kamaji_proxmox.kube import connect
from capi_kamaji_proxmox.release import Chart, ChartMetadata, Info, Release, SecretStorage, Status, build_manifest
from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient
from tests.rendering import render_config

CONTROLLER = "capi-controller-sim"
T0 = "2026-08-20T10:00:00Z"
HOLD = "observe.test/hold"
RENDERED_KINDS = {"Cluster", "KamajiControlPlane", "MachineDeployment"}


def _cond_current(ctype: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    c = {"type": ctype, "status": status, "reason": reason or ("Ready" if status == "True" else "NotReady")}
    c["lastTransitionTime"] = T0
    c["message"] = message  # required (may be empty) in metav1 conditions
    return c


def _cond_legacy(ctype: str, status: str, reason: str = "", message: str = "", severity: str = "") -> dict[str, Any]:
    c: dict[str, Any] = {"type": ctype, "status": status, "lastTransitionTime": T0}
    if status != "True":
        c["severity"] = severity or "Warning"
        c["reason"] = reason or "NotReady"
    if message:
        c["message"] = message
    return c


@dataclass
class Machine:
    """One machine of a pool as the MachineSet controller + CAPMOX would have created it."""

    name: str
    machine_set: str
    phase: str = "Running"
    node: str | None = None
    address: str | None = None
    pve_node: str | None = "pve1"
    vmid: int | None = None
    failing: tuple[str, str, str] | None = None  # (condition type, reason, message)
    infra_failing: tuple[str, str, str] | None = None
    deleting: bool = False


@dataclass
class World:
    plane: ControlPlane
    namespace: str
    release: str = "demo"
    cluster: str = "prod"
    pools: dict[str, int] = field(default_factory=lambda: {"workers": 2, "gpu": 1})
    rendered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def gen(self) -> str:
        return self.plane.generation

    @property
    def kc(self) -> KubeClient:
        return self.plane.client

    def ours(self) -> OurClient:
        return connect(kubeconfig=self.plane.kubeconfig, namespace=self.namespace)

    def api(self, kind: str) -> str:
        current = self.gen == "current"
        if kind in ("Cluster", "MachineDeployment", "MachineSet", "Machine"):
            return "cluster.x-k8s.io/" + ("v1beta2" if current else "v1beta1")
        if kind == "KamajiControlPlane":
            return "controlplane.cluster.x-k8s.io/" + ("v1alpha2" if current else "v1alpha1")
        if kind == "ProxmoxMachine":
            return "infrastructure.cluster.x-k8s.io/" + ("v1alpha2" if current else "v1alpha1")
        raise KeyError(kind)

    def cond(self, ctype: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
        if self.gen == "current":
            return _cond_current(ctype, status, reason, message)
        return _cond_legacy(ctype, status, reason, message, "Error" if status == "False" and message else "")

    # ------------------------------------------------------------------ writes

    def path(self, kind: str, name: str = "") -> str:
        return self.kc.object_path(self.api(kind), kind, name, self.namespace)

    def apply(self, obj: dict[str, Any], manager: str = CONTROLLER) -> dict[str, Any]:
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": self.namespace}}
        return self.kc.apply(obj, namespace=self.namespace, field_manager=manager)

    def set_status(self, kind: str, name: str, status: dict[str, Any]) -> None:
        """Write status through the /status subresource, as the owning controller does."""
        body = {
            "apiVersion": self.api(kind),
            "kind": kind,
            "metadata": {"name": name, "namespace": self.namespace},
            "status": status,
        }
        self.kc.request(
            "PATCH",
            self.path(kind, name) + "/status",
            params={"fieldManager": CONTROLLER, "force": "true"},
            data=yaml.safe_dump(body).encode(),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def delete(self, kind: str, name: str) -> None:
        """Delete an object that carries the test finalizer: it stays, with a deletionTimestamp."""
        self.kc.request("DELETE", self.path(kind, name))

    def install(self, *, revision: int = 1, values: dict[str, Any] | None = None) -> None:
        """Apply the rendered Cluster, control plane and MachineDeployments and store the record."""
        cfg = values or {
            "cluster": {"name": self.cluster, "version": "v1.32.2"},
            "nodePools": [
                {"name": p, "replicas": n}
                if p != "gpu"
                else {"name": p, "autoscaling": {"enabled": True, "minSize": 1, "maxSize": 4}}
                for p, n in self.pools.items()
            ],
        }
        self.rendered = render_config(cfg, generation=self.gen, release=self.release, namespace=self.namespace)
        for obj in self.rendered:
            if obj["kind"] in RENDERED_KINDS:
                self.apply(obj, manager="capi-kamaji-proxmox")
        self.record(revision)

    def record(self, revision: int, status: Status = Status.DEPLOYED) -> None:
        manifest = build_manifest((f"capi-kamaji-proxmox/templates/{o['kind'].lower()}.yaml", o) for o in self.rendered)
        with self.ours() as client:
            SecretStorage(client, self.namespace).create(
                Release(
                    name=self.release,
                    namespace=self.namespace,
                    version=revision,
                    info=Info(
                        first_deployed=datetime(2026, 8, 20, tzinfo=UTC),
                        last_deployed=datetime(2026, 8, 20, tzinfo=UTC),
                        status=status,
                        description="Install complete",
                    ),
                    chart=Chart(metadata=ChartMetadata(name="capi-kamaji-proxmox", version="0.1.0")),
                    manifest=manifest,
                )
            )

    def md_name(self, pool: str) -> str:
        return f"{self.cluster}-{pool}-md"

    def md_templates(self, pool: str) -> tuple[str, str]:
        md = next(
            o for o in self.rendered if o["kind"] == "MachineDeployment" and o["metadata"]["name"] == self.md_name(pool)
        )
        tspec = md["spec"]["template"]["spec"]
        return tspec["infrastructureRef"]["name"], tspec["bootstrap"]["configRef"]["name"]

    # ------------------------------------------------------------------ controller state

    def cluster_state(
        self,
        phase: str,
        *,
        ready: bool,
        endpoint: str | None = None,
        conditions: list[dict[str, Any]] | None = None,
    ) -> None:
        if endpoint:
            host, port = endpoint.split(":")
            for kind in ("Cluster", "KamajiControlPlane"):
                self.apply(
                    {
                        "apiVersion": self.api(kind),
                        "kind": kind,
                        "metadata": {"name": self.cluster},
                        "spec": {"controlPlaneEndpoint": {"host": host, "port": int(port)}},
                    }
                )
        conds = conditions or []
        if self.gen == "current":
            conds = [self.cond("Available", "True" if ready else "False", "" if ready else "NotAvailable"), *conds]
            status: dict[str, Any] = {
                "phase": phase,
                "initialization": {"infrastructureProvisioned": True, "controlPlaneInitialized": ready},
                "conditions": conds,
            }
        else:
            conds = [
                self.cond("Ready", "True" if ready else "False", "" if ready else "WaitingForControlPlane"),
                *conds,
            ]
            status = {"phase": phase, "infrastructureReady": True, "controlPlaneReady": ready, "conditions": conds}
        self.set_status("Cluster", self.cluster, status)

    def control_plane_state(self, ready: int, desired: int = 2, version: str = "v1.32.2") -> None:
        initialized = ready > 0
        status: dict[str, Any] = {
            "ready": ready == desired,
            "selector": f"kamaji.clastix.io/name={self.cluster}",
            "replicas": desired,
            "readyReplicas": ready,
            "version": version,
            # Kamaji writes metav1 conditions in both API versions.
            "conditions": [_cond_current("Ready", "True" if ready == desired else "False")],
        }
        if self.gen == "current":
            status.update(
                initialization={"controlPlaneInitialized": initialized},
                availableReplicas=ready,
                upToDateReplicas=desired,
            )
        else:
            status.update(initialized=initialized, updatedReplicas=desired, unavailableReplicas=desired - ready)
        self.set_status("KamajiControlPlane", self.cluster, status)

    def md_state(
        self,
        pool: str,
        *,
        replicas: int,
        up_to_date: int,
        ready: int,
        phase: str = "Running",
        rolling: str | None = None,
    ) -> None:
        status: dict[str, Any] = {
            "phase": phase,
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        if self.gen == "current":
            conds = [self.cond("Available", "True" if ready else "False")]
            if rolling:
                conds.append(self.cond("MachinesUpToDate", "False", "NotUpToDate", rolling))
            status.update(upToDateReplicas=up_to_date, conditions=conds)
        else:
            status.update(
                updatedReplicas=up_to_date,
                unavailableReplicas=max(0, replicas - ready),
                conditions=[self.cond("Ready", "True" if ready == replicas else "False")],
            )
        self.set_status("MachineDeployment", self.md_name(pool), status)

    def machine_set(self, pool: str, name: str, replicas: int, ready: int, *, old: bool = False) -> None:
        infra, boot = self.md_templates(pool)
        if old:
            infra, boot = infra[:-8] + "00000000", boot[:-8] + "00000000"
        ref_key = "apiGroup" if self.gen == "current" else "apiVersion"
        infra_ref = {ref_key: "infrastructure.cluster.x-k8s.io" + ("" if self.gen == "current" else "/v1alpha1")}
        boot_ref = {ref_key: "bootstrap.cluster.x-k8s.io" + ("" if self.gen == "current" else "/v1beta1")}
        md = self.md_name(pool)
        labels = {"cluster.x-k8s.io/cluster-name": self.cluster, "cluster.x-k8s.io/deployment-name": md}
        self.apply(
            {
                "apiVersion": self.api("MachineSet"),
                "kind": "MachineSet",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "clusterName": self.cluster,
                    "replicas": replicas,
                    "selector": {"matchLabels": {**labels, "machine-template-hash": name[-5:]}},
                    "template": {
                        "metadata": {"labels": {**labels, "machine-template-hash": name[-5:]}},
                        "spec": {
                            "clusterName": self.cluster,
                            "version": "v1.32.2",
                            "bootstrap": {"configRef": {**boot_ref, "kind": "KubeadmConfigTemplate", "name": boot}},
                            "infrastructureRef": {**infra_ref, "kind": "ProxmoxMachineTemplate", "name": infra},
                        },
                    },
                },
            }
        )
        status: dict[str, Any] = {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
        if self.gen == "current":
            status["upToDateReplicas"] = 0 if old else replicas
        self.set_status("MachineSet", name, status)

    def machine(self, pool: str, m: Machine) -> None:
        md = self.md_name(pool)
        labels = {
            "cluster.x-k8s.io/cluster-name": self.cluster,
            "cluster.x-k8s.io/deployment-name": md,
            "cluster.x-k8s.io/set-name": m.machine_set,
        }
        current = self.gen == "current"
        pm_ref = {"kind": "ProxmoxMachine", "name": m.name}
        pm_ref.update(
            {"apiGroup": "infrastructure.cluster.x-k8s.io"} if current else {"apiVersion": self.api("ProxmoxMachine")}
        )
        finalizers = [HOLD] if m.deleting else []
        self.apply(
            {
                "apiVersion": self.api("Machine"),
                "kind": "Machine",
                "metadata": {"name": m.name, "labels": labels, "finalizers": finalizers},
                "spec": {
                    "clusterName": self.cluster,
                    "version": "v1.32.2",
                    "bootstrap": {"dataSecretName": f"{m.name}-bootstrap"},
                    "infrastructureRef": pm_ref,
                },
            }
        )
        pm_spec: dict[str, Any] = {"sourceNode": "pve1", "templateID": 9000}
        if current:
            pm_spec["network"] = {"networkDevices": [{"name": "net0", "bridge": "vmbr0"}]}
        if m.vmid is not None:
            pm_spec["virtualMachineID"] = m.vmid
        self.apply(
            {
                "apiVersion": self.api("ProxmoxMachine"),
                "kind": "ProxmoxMachine",
                "metadata": {"name": m.name, "labels": labels},
                "spec": pm_spec,
            }
        )
        ok = m.failing is None and m.node is not None
        conds = [self.cond("Ready", "True" if ok else "False")]
        if m.failing:
            conds = [self.cond(m.failing[0], "False", m.failing[1], m.failing[2]), *conds]
        status: dict[str, Any] = {"phase": m.phase, "conditions": conds}
        if m.node:
            status["nodeRef"] = {"name": m.node} if current else {"kind": "Node", "apiVersion": "v1", "name": m.node}
        if m.address:
            status["addresses"] = [{"type": "InternalIP", "address": m.address}]
        if not current and m.failing:
            status.update(failureReason="CreateError", failureMessage=m.failing[2])
        self.set_status("Machine", m.name, status)
        pm_status: dict[str, Any] = {"vmStatus": "ready" if m.node else "pending"}
        if m.pve_node:
            pm_status["proxmoxNode"] = m.pve_node
        if m.infra_failing:
            ctype, reason, message = m.infra_failing
            pm_status["conditions"] = [self.cond(ctype, "False", reason, message)]
        self.set_status("ProxmoxMachine", m.name, pm_status)
        if m.deleting:
            self.delete("Machine", m.name)

    def kubeconfig_secret(self, name: str, key: str, content: str) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": self.namespace},
            "data": {key: base64.b64encode(content.encode()).decode()},
        }
        self.kc.request("POST", f"/api/v1/namespaces/{self.namespace}/secrets", json=body)
