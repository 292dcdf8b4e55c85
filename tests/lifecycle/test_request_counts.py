"""What install and upgrade cost in requests (issue 12), counted at the HTTP layer against the real
API server: one apply and one server-side dry run per object, plus a fixed few (discovery, the
history LIST, the pending and the final record, superseding the previous one); no GET of a single
object; live templates read with one LIST per kind, and only when a template is new to the release.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from lightkube.config import client_adapter
from lightkube.config.models import User

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
from capi_kamaji_proxmox.lifecycle import actions
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options, Reporter
from capi_kamaji_proxmox.render.engine import render
from capi_kamaji_proxmox.values.load import validate_config
from tests.harness.cluster import ControlPlane
from tests.harness.recorder import Recorder
from tests.rendering import apis_for

pytestmark = pytest.mark.integration

POOLS = [
    {"name": "workers", "replicas": 3},
    {"name": "storage", "replicas": 3, "memoryMiB": 16384},
    {"name": "batch", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 10}},
]


@pytest.fixture
def recorder(mgmt_cluster: ControlPlane) -> Iterator[Recorder]:
    config = resolve_config(str(mgmt_cluster.kubeconfig))
    verify = client_adapter.verify_cluster(config.cluster, config.user or User(), config.abs_file)
    rec = Recorder(httpx2.HTTPTransport(verify=verify))
    yield rec
    rec.close()


def run(recorder: Recorder, plane: ControlPlane, namespace: str, verb: str, pools: list[dict[str, Any]]) -> None:
    """One verb on a new connection, as one CLI run; the recorder keeps only its requests."""
    config = resolve_config(str(plane.kubeconfig))
    client = KubeClient(config, namespace=namespace, transport=recorder)
    ctx = ActionContext(
        client=client, namespace=namespace, options=Options(skip_preflight=True), out=Reporter(quiet=True)
    )
    loaded = validate_config({"nodePools": pools}, release_name="rc")
    recorder.clear()
    getattr(actions, verb)(ctx, "rc", loaded)


def objects(plane: ControlPlane) -> int:
    """How many objects the release renders in the server's generation."""
    loaded = validate_config({"nodePools": POOLS}, release_name="rc")
    return len(render(loaded.values, release_name="rc", namespace="ns", apis=apis_for(plane.generation)))


def others(recorder: Recorder) -> list[tuple[str, str, str]]:
    """Requests beyond the per-object apply and dry run, paths cut after the namespace."""
    return [
        (
            kind,
            method,
            path.split("?")[0].rsplit("/", 1)[-1] if kind == "records" else path.split("?")[0].split("/")[-1],
        )
        for kind, method, path in recorder.seen
        if kind not in ("apply", "dry-run", "retried")
    ]


# what each verb sends beyond one apply and one dry run per object
FIXED = {
    # discovery, the history LIST, the pending record, the final record: objects + 4
    "install": [
        ("records", "GET", "secrets"),
        ("discovery", "GET", "apis"),
        ("records", "POST", "secrets"),
        ("records", "PUT", "sh.helm.release.v1.rc.v1"),
    ],
    # ... and superseding revision 1: objects + 5; no live template is read (all are the release's own)
    "upgrade": [
        ("records", "GET", "secrets"),
        ("discovery", "GET", "apis"),
        ("records", "POST", "secrets"),
        ("records", "PUT", "sh.helm.release.v1.rc.v2"),
        ("records", "PUT", "sh.helm.release.v1.rc.v1"),
    ],
}


def test_install_and_noop_upgrade_cost_objects_plus_a_fixed_few(
    recorder: Recorder, mgmt_cluster: ControlPlane, namespace: str
) -> None:
    n = objects(mgmt_cluster)
    for verb in ("install", "upgrade"):
        run(recorder, mgmt_cluster, namespace, verb, POOLS)
        counts = recorder.counts()
        assert (counts["apply"], counts["dry-run"], others(recorder)) == (n, n, FIXED[verb]), verb


def test_an_upgrade_that_renames_templates_reads_them_with_one_list_per_kind(
    recorder: Recorder, mgmt_cluster: ControlPlane, namespace: str
) -> None:
    run(recorder, mgmt_cluster, namespace, "install", POOLS)
    # every pool's machine template changes name (new memory); the bootstrap templates do not
    bigger = [{**p, "memoryMiB": 32768} for p in POOLS]
    run(recorder, mgmt_cluster, namespace, "upgrade", bigger)
    listed = [(m, p.split("?")[0].rsplit("/", 1)[-1]) for k, m, p in recorder.seen if k == "list"]
    # live machine templates (for a twin to reuse), then what still uses the replaced ones
    # (MachineSets and cloned machine objects): one LIST per kind, whatever the number of pools
    assert listed == [
        ("GET", "proxmoxmachinetemplates"),
        ("GET", "machinesets"),
        ("GET", "proxmoxmachines"),
        ("GET", "kubeadmconfigs"),
    ]
    assert recorder.counts()["get"] == 0
