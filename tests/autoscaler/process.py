"""Run the real Cluster Autoscaler exactly as the rendered Deployment would, on the test's machine.

The arguments come from the Deployment the tool installed. Only the kubeconfig paths change: the
workload kubeconfig is the content of the Secret the Deployment mounts, written to a file, and the
management credentials (in the Pod: the ServiceAccount token) are a TokenRequest token of the
rendered ServiceAccount, so every management request is judged by the rendered Role.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.harness.cluster import ControlPlane

# Only for the test: faster loops, no client throttling, a free health port, one process.
DENIAL = re.compile(r"is forbidden|cannot \w+ resource|403 Forbidden")
NOTEWORTHY = re.compile(r"^[EWF]\d{4} |[Ss]cale-?(up|down)|unneeded|unremovable|rollout|forbidden")
TEST_FLAGS = ("--scan-interval=5s", "--kube-client-qps=50", "--kube-client-burst=100")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token_kubeconfig(plane: ControlPlane, namespace: str, account: str) -> str:
    """A kubeconfig for the management cluster that authenticates as the ServiceAccount."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    answer = plane.client.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token", json=body)
    admin = yaml.safe_load(plane.kubeconfig.read_text())
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": account, "user": {"token": answer["status"]["token"]}}],
        "contexts": [{"name": account, "context": {"cluster": admin["clusters"][0]["name"], "user": account}}],
        "current-context": account,
    }
    return yaml.safe_dump(cfg)


@dataclass
class Autoscaler:
    """One autoscaler process started from the live Deployment ``name`` in ``namespace``."""

    binary: Path
    mgmt: ControlPlane
    namespace: str
    name: str
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    argv: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.workdir / "cluster-autoscaler.log"

    def deployment(self) -> Any:
        return self.mgmt.client.get_object("apps/v1", "Deployment", self.name, self.namespace)

    def _workload_kubeconfig(self, pod: dict[str, Any]) -> tuple[str, Path]:
        """(the mount path the args use, a file holding what the mounted Secret holds)."""
        (mount,) = pod["containers"][0]["volumeMounts"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        secret = self.mgmt.client.get_object("v1", "Secret", volume["secret"]["secretName"], self.namespace)
        (item,) = volume["secret"]["items"]
        path = self.workdir / "workload.kubeconfig"
        path.write_bytes(base64.b64decode(secret["data"][item["key"]]))
        return f"{mount['mountPath'].rstrip('/')}/{item['path']}", path

    def start(self) -> Autoscaler:
        pod = self.deployment()["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        mounted, workload = self._workload_kubeconfig(pod)
        mgmt = self.workdir / "management.kubeconfig"
        mgmt.write_text(token_kubeconfig(self.mgmt, self.namespace, pod["serviceAccountName"]))
        args = [a.replace(mounted, str(workload)) for a in c["args"]]
        assert args != c["args"], "the rendered args no longer name the mounted kubeconfig"
        self.port = _free_port()
        self.argv = [
            str(self.binary),
            *args,
            f"--cloud-config={mgmt}",  # in the Pod: the in-cluster ServiceAccount credentials
            *TEST_FLAGS,
            f"--address=127.0.0.1:{self.port}",
            "--leader-elect=false",
        ]
        env = {**os.environ, "CAPI_SCALE_ZERO_DEFAULT_ARCH": "amd64"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"cluster-autoscaler exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health-check", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"cluster-autoscaler not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def summary(self, lines: int = 80) -> str:
        """The log lines that explain a decision (errors, warnings, scale-up/down reasoning)."""
        keep = [ln for ln in self.log().splitlines() if NOTEWORTHY.search(ln)]
        return "\n".join(keep[-lines:])

    def forbidden(self) -> list[str]:
        """Log lines that report an RBAC denial (the API's "... is forbidden: User ... cannot ...")."""
        return [ln for ln in self.log().splitlines() if DENIAL.search(ln)]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
