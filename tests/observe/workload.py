"""A workload cluster played by a second harness API server: Nodes and kube-system Pods written as
the kubelet would leave them, the kubeconfig Secret Cluster API would write into the management
cluster, and a loopback listener that accepts connections and never answers."""

from __future__ import annotations

import base64
import socket
import threading
import time
from pathlib import Path

from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient

NO_NETWORK = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)
T0 = "2026-08-20T10:00:00Z"


def reset(plane: ControlPlane) -> KubeClient:
    """Remove every Node and kube-system Pod (the server is shared by the session's tests)."""
    kc = plane.client
    kc.request("DELETE", "/api/v1/nodes")
    kc.request("DELETE", "/api/v1/namespaces/kube-system/pods", params={"gracePeriodSeconds": "0"})
    kc.request(
        "POST",
        "/api/v1/namespaces/kube-system/serviceaccounts",
        json={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
        ok=(409,),
    )
    return kc


def node(kc: KubeClient, name: str, *, ready: bool, message: str = "", provider_id: str | None = "auto") -> None:
    spec = {"providerID": f"proxmox://{name}" if provider_id == "auto" else provider_id} if provider_id else {}
    kc.request(
        "POST", "/api/v1/nodes", json={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec}
    )
    cond = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": message or ("kubelet is posting ready status" if ready else ""),
        "lastHeartbeatTime": T0,
        "lastTransitionTime": T0,
    }
    kc.request(
        "PATCH",
        f"/api/v1/nodes/{name}/status",
        json={"status": {"conditions": [cond]}},
        headers={"Content-Type": "application/merge-patch+json"},
    )


def crash_looping_pod(kc: KubeClient, name: str, container: str = "main", restarts: int = 7) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": container, "image": "registry.k8s.io/pause:3.10"}]},
    }
    kc.request("POST", "/api/v1/namespaces/kube-system/pods", json=pod)
    status = {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": container,
                "image": "registry.k8s.io/pause:3.10",
                "imageID": "",
                "ready": False,
                "restartCount": restarts,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": T0, "finishedAt": T0}},
            }
        ],
    }
    kc.request(
        "PATCH",
        f"/api/v1/namespaces/kube-system/pods/{name}/status",
        json={"status": status},
        headers={"Content-Type": "application/merge-patch+json"},
    )


def kubeconfig_text(plane: ControlPlane, *, server: str | None = None, ca_from: ControlPlane | None = None) -> str:
    """The plane's admin kubeconfig (data embedded, as Cluster API writes it), optionally bent."""
    text = Path(plane.kubeconfig).read_text()
    if server is not None:
        text = text.replace(plane.server, server)
    if ca_from is not None:
        import yaml

        doc = yaml.safe_load(text)
        other = yaml.safe_load(Path(ca_from.kubeconfig).read_text())
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = other["clusters"][0]["cluster"][
            "certificate-authority-data"
        ]
        text = yaml.safe_dump(doc)
    return text


def kubeconfig_secret(mgmt: KubeClient, namespace: str, cluster: str, kubeconfig: str) -> None:
    """``<cluster>-kubeconfig`` as Cluster API writes it: type, cluster-name label, key ``value``."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "cluster.x-k8s.io/secret",
        "metadata": {"name": f"{cluster}-kubeconfig", "labels": {"cluster.x-k8s.io/cluster-name": cluster}},
        "data": {"value": base64.b64encode(kubeconfig.encode()).decode()},
    }
    mgmt.request("POST", f"/api/v1/namespaces/{namespace}/secrets", json=body)


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; stops by itself after ``lifetime``."""

    def __init__(self, lifetime: float = 120.0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self._held: list[socket.socket] = []
        self._deadline = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._sock.getsockname()[1]}"

    @property
    def accepted(self) -> int:
        return len(self._held)

    def _run(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._held.append(conn)
        self._close()

    def _close(self) -> None:
        for conn in self._held:
            conn.close()
        self._sock.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
