"""What Cluster API and the workload cluster's kubelets would write, played by the test.

No controller runs: :class:`Capi` writes a MachineDeployment's replicas the way CAPI's defaulting
webhook does (another field manager than the tool's), and the MachineSet, Machines and their
provider IDs the MachineSet controller and CAPMOX would create. :class:`Workload` writes Nodes
(registered with the not-ready taint, then Ready with capacity and the taint removed, as the kubelet
and node lifecycle controller do) and Pods the scheduler found no place for.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeAPIError

WEBHOOK = "capi-webhook-sim"
CONTROLLER = "capi-controller-sim"
CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"
MD_LABEL = "cluster.x-k8s.io/deployment-name"
MS_LABEL = "cluster.x-k8s.io/set-name"
DELETE_MACHINE = "cluster.x-k8s.io/delete-machine"
NOT_READY = "node.kubernetes.io/not-ready"
REVISION = "machinedeployment.clusters.x-k8s.io/revision"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(what: str, check: Callable[[], Any], timeout: float = 90.0, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class Capi:
    """Cluster API's side in one namespace of the management cluster, in its API generation."""

    plane: ControlPlane
    namespace: str

    @property
    def current(self) -> bool:
        return self.plane.generation == "current"

    @property
    def core(self) -> str:
        return "cluster.x-k8s.io/" + ("v1beta2" if self.current else "v1beta1")

    def md(self, name: str) -> Any:
        return self.plane.client.get_object(self.core, "MachineDeployment", name, self.namespace)

    def replicas(self, name: str) -> int | None:
        value = self.md(name)["spec"].get("replicas")
        return int(value) if value is not None else None

    def machine(self, name: str) -> Any:
        return self.plane.client.get_object(self.core, "Machine", name, self.namespace)

    def _apply(self, obj: dict[str, Any], manager: str = CONTROLLER) -> Any:
        return self.plane.client.apply(obj, namespace=self.namespace, field_manager=manager)

    def default_replicas(self, md: str, replicas: int) -> None:
        """CAPI's webhook: an autoscaled MachineDeployment without replicas gets its min size."""
        self._apply(
            {
                "apiVersion": self.core,
                "kind": "MachineDeployment",
                "metadata": {"name": md},
                "spec": {"replicas": replicas},
            },
            WEBHOOK,
        )

    def _ref(self, kind: str, name: str, group: str, legacy_version: str) -> dict[str, str]:
        ref = {"kind": kind, "name": name}
        ref.update({"apiGroup": group} if self.current else {"apiVersion": f"{group}/{legacy_version}"})
        return ref

    def scale_machine_set(self, machine_set: str, replicas: int) -> None:
        """The MachineDeployment controller passes the new replicas on to its MachineSet."""
        self.plane.client.request(
            "PATCH",
            self.plane.client.object_path(self.core, "MachineSet", machine_set, self.namespace),
            json={"spec": {"replicas": replicas}},
            headers={"Content-Type": "application/merge-patch+json"},
            params={"fieldManager": "capi-machinedeployment-controller-sim"},
        )

    def machine_set(self, md_name: str, replicas: int) -> str:
        """The MachineSet the MachineDeployment controller creates, owned by the MachineDeployment."""
        md = self.md(md_name)
        tmpl = md["spec"]["template"]
        name = f"{md_name}-{secrets.token_hex(3)}"
        labels = {CLUSTER_LABEL: md["spec"]["clusterName"], MD_LABEL: md_name}
        owner = {"apiVersion": self.core, "kind": "MachineDeployment", "name": md_name, "uid": md["metadata"]["uid"]}
        self._apply(
            {
                "apiVersion": self.core,
                "kind": "MachineSet",
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "ownerReferences": [owner],
                    # the newest revision: without it the autoscaler takes the pool for one rolling out
                    "annotations": {REVISION: "1"},
                },
                "spec": {
                    "clusterName": md["spec"]["clusterName"],
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": tmpl["spec"]},
                },
            }
        )
        return name

    def add_machine(self, md_name: str, machine_set: str, provider_id: str) -> str:
        """A Machine of the MachineSet whose VM is provisioned (provider ID set; no node yet)."""
        md = self.md(md_name)
        ms = self.plane.client.get_object(self.core, "MachineSet", machine_set, self.namespace)
        name = f"{machine_set}-{secrets.token_hex(3)}"
        cluster = md["spec"]["clusterName"]
        labels = {CLUSTER_LABEL: cluster, MD_LABEL: md_name, MS_LABEL: machine_set}
        owner = {"apiVersion": self.core, "kind": "MachineSet", "name": machine_set, "uid": ms["metadata"]["uid"]}
        self._apply(
            {
                "apiVersion": self.core,
                "kind": "Machine",
                "metadata": {"name": name, "labels": labels, "ownerReferences": [owner]},
                "spec": {
                    "clusterName": cluster,
                    "version": md["spec"]["template"]["spec"].get("version", "v1.31.4"),
                    "bootstrap": {"dataSecretName": f"{name}-bootstrap"},
                    "infrastructureRef": self._ref(
                        "ProxmoxMachine", name, "infrastructure.cluster.x-k8s.io", "v1alpha1"
                    ),
                    "providerID": provider_id,
                },
            }
        )
        self._machine_status(name, {"phase": "Provisioned"})
        return name

    def node_joined(self, machine: str, node: str) -> None:
        """The Machine controller found the machine's Node: nodeRef set, phase Running."""
        node_ref = {"name": node} if self.current else {"apiVersion": "v1", "kind": "Node", "name": node}
        self._machine_status(machine, {"phase": "Running", "nodeRef": node_ref})

    def _machine_status(self, name: str, status: dict[str, Any]) -> None:
        body = {"apiVersion": self.core, "kind": "Machine", "metadata": {"name": name}, "status": status}
        path = self.plane.client.object_path(self.core, "Machine", name, self.namespace) + "/status"
        self.plane.client.request(
            "PATCH",
            path,
            params={"fieldManager": CONTROLLER, "force": "true"},
            json=body,
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def node_annotations(self, machine: str) -> dict[str, str]:
        """What CAPI's Machine controller writes on the Node it found for a Machine."""
        m = self.machine(machine)
        owner = m["metadata"]["ownerReferences"][0]
        return {
            "cluster.x-k8s.io/machine": machine,
            "cluster.x-k8s.io/cluster-namespace": self.namespace,
            "cluster.x-k8s.io/cluster-name": m["spec"]["clusterName"],
            "cluster.x-k8s.io/owner-kind": owner["kind"],
            "cluster.x-k8s.io/owner-name": owner["name"],
        }

    def managers(self, md_name: str) -> set[str]:
        """Field managers that have written the MachineDeployment (or its scale subresource)."""
        return {str(m.get("manager")) for m in self.md(md_name)["metadata"].get("managedFields") or []}


@dataclass
class Workload:
    """The workload cluster's Nodes and Pods; everything it creates is removed by :meth:`cleanup`."""

    plane: ControlPlane
    namespace: str = "default"
    nodes: list[str] = field(default_factory=list)
    pods: list[str] = field(default_factory=list)

    def node(
        self,
        name: str,
        provider_id: str,
        labels: dict[str, str],
        cpu: str,
        memory: str,
        annotations: dict[str, str] | None = None,
    ) -> None:
        """Register a node (not ready, tainted), then make it Ready and lift the taint; ``annotations``
        are the ones CAPI adds once it has matched the node to its Machine."""
        c = self.plane.client
        c.request(
            "POST",
            "/api/v1/nodes",
            json={
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        **labels,
                    },
                },
                "spec": {"providerID": provider_id, "taints": [{"key": NOT_READY, "effect": "NoSchedule"}]},
            },
        )
        self.nodes.append(name)
        resources = {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "20Gi"}
        c.request(
            "PATCH",
            f"/api/v1/nodes/{name}/status",
            json={
                "status": {
                    "capacity": resources,
                    "allocatable": resources,
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": now(),
                            "lastTransitionTime": now(),
                        }
                    ],
                    "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "v1.31.4"},
                }
            },
            headers={"Content-Type": "application/merge-patch+json"},
        )
        c.request(
            "PATCH",
            f"/api/v1/nodes/{name}",
            json={"metadata": {"annotations": annotations or {}}, "spec": {"taints": None}},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def get_node(self, name: str) -> Any:
        return self.plane.client.get_object("v1", "Node", name)

    def pod(
        self,
        name: str,
        *,
        cpu: str,
        node_selector: dict[str, str] | None = None,
        tolerations: list[dict[str, str]] | None = None,
        node: str | None = None,
    ) -> None:
        """A Pod: bound and running on ``node``, or pending and marked unschedulable by the scheduler."""
        spec: dict[str, Any] = {
            "containers": [
                {"name": "app", "image": "registry.k8s.io/pause:3.10", "resources": {"requests": {"cpu": cpu}}}
            ],
            "nodeSelector": node_selector,
            "tolerations": tolerations,
        }
        if node:
            spec["nodeName"] = node
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {k: v for k, v in spec.items() if v},
        }
        c = self.plane.client
        c.request("POST", f"/api/v1/namespaces/{self.namespace}/pods", json=body)
        self.pods.append(name)
        if node:
            status = {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}]}
        else:
            status = {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/1 nodes are available: no node fits the pod",
                        # the autoscaler reacts at once only to a fresh PodScheduled change
                        "lastTransitionTime": now(),
                    }
                ],
            }
        c.request(
            "PATCH",
            f"/api/v1/namespaces/{self.namespace}/pods/{name}/status",
            json={"status": status},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def delete_pod(self, name: str) -> None:
        self.plane.client.request(
            "DELETE", f"/api/v1/namespaces/{self.namespace}/pods/{name}", params={"gracePeriodSeconds": "0"}, ok=(404,)
        )

    def events(self, pod: str) -> list[str]:
        """Reasons of the events recorded for a Pod (the autoscaler writes them)."""
        items = self.plane.client.get(
            f"/api/v1/namespaces/{self.namespace}/events", params={"fieldSelector": f"involvedObject.name={pod}"}
        )["items"]
        return [str(e.get("reason")) for e in items]

    def status_configmap(self) -> str:
        cm = self.plane.client.get_object("v1", "ConfigMap", "cluster-autoscaler-status", "kube-system")
        return str((cm or {}).get("data", {}).get("status", ""))

    def cleanup(self) -> None:
        """Remove this test's Pods and Nodes and the autoscaler's status, so the next run starts clean."""
        for pod in self.pods:
            self.delete_pod(pod)
        for node in self.nodes:
            self.plane.client.request("DELETE", f"/api/v1/nodes/{node}", ok=(404,))
        try:
            self.plane.client.request("DELETE", "/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status")
        except KubeAPIError as exc:
            if exc.status != 404:
                raise
