"""Machine-template rules that keep rolling updates safe.

- Reuse: a pool's template whose spec equals a live template's spec (for example one the Clastix
  chart created under its own hash) keeps the live name, so nothing rolls needlessly.
- Retention: a template the new revision no longer renders stays while any MachineSet still
  references it or any cloned machine object was made from it; it is carried in the new revision's
  manifest and deleted by a later operation once unreferenced (so a rollback mid-rollout finds it).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.discovery import APINotServed
from capi_kamaji_proxmox.kube.errors import NotFound
from capi_kamaji_proxmox.lifecycle.objects import TEMPLATE_KINDS, drop_empty
from capi_kamaji_proxmox.render.apis import ApiVersions
from capi_kamaji_proxmox.render.context import CLUSTER_NAME_LABEL

CLONED_FROM = "cluster.x-k8s.io/cloned-from-name"
# Objects cloned from each template kind (they carry the cloned-from annotation).
CLONES = {"ProxmoxMachineTemplate": "ProxmoxMachine", "KubeadmConfigTemplate": "KubeadmConfig"}


def _spec(obj: dict[str, Any]) -> Any:
    return drop_empty(((obj.get("spec") or {}).get("template") or {}).get("spec") or {})


def live_templates(client: KubeClient, apis: ApiVersions, namespace: str, kind: str) -> list[dict[str, Any]]:
    """Every template of that kind in the namespace (one LIST; cluster-name labels are not trusted)."""
    try:
        return kube.list_objects(client, apis.api_version(kind), kind, namespace=namespace)
    except NotFound:
        return []


def reuse_live_names(
    client: KubeClient,
    apis: ApiVersions,
    namespace: str,
    cluster: str,
    objs: list[dict[str, Any]],
    owned: Collection[tuple[str, str]] = (),
) -> dict[str, str]:
    """Rename rendered templates to live twins with the same (server-defaulted) spec.

    ``owned``: (kind, name) of the templates the release's earlier revisions hold. A rendered
    template among them is the release's own, already there: it needs no twin, and a kind whose
    rendered templates are all owned costs no LIST (a no-op upgrade reads no live template).
    Returns {rendered name: live name}; ``objs`` and the MachineDeployment references are updated.
    """
    renames: dict[str, str] = {}
    for kind in TEMPLATE_KINDS:
        rendered = [o for o in objs if o["kind"] == kind and (kind, o["metadata"]["name"]) not in owned]
        if not rendered:
            continue
        live = [
            t
            for t in live_templates(client, apis, namespace, kind)
            if (t["metadata"].get("labels") or {}).get(CLUSTER_NAME_LABEL) in (cluster, None)
            and not t["metadata"].get("deletionTimestamp")
        ]
        if not live:
            continue
        live_names = {t["metadata"]["name"] for t in live}
        for obj in rendered:
            name = obj["metadata"]["name"]
            if name in live_names:
                continue  # our own name is already there: nothing to reuse
            # The server's view of our object (defaults applied) is what a live twin would hold.
            defaulted = kube.apply(client, obj, dry_run=True, namespace=namespace)
            want = _spec(defaulted)
            twins = sorted(t["metadata"]["name"] for t in live if _spec(t) == want)
            if twins:
                renames[name] = twins[0]
    if renames:
        for obj in objs:
            if obj["metadata"]["name"] in renames and obj["kind"] in TEMPLATE_KINDS:
                obj["metadata"]["name"] = renames[obj["metadata"]["name"]]
            if obj["kind"] == "MachineDeployment":
                tspec = obj["spec"]["template"]["spec"]
                for r in (tspec["infrastructureRef"], tspec["bootstrap"]["configRef"]):
                    r["name"] = renames.get(r["name"], r["name"])
    return renames


def referenced_templates(client: KubeClient, apis: ApiVersions, namespace: str, cluster: str) -> set[tuple[str, str]]:
    """(kind, name) of every template a MachineSet or a cloned machine object of the cluster uses.

    A fixed number of LIST requests, whatever the number of pools and machines.
    """
    used: set[tuple[str, str]] = set()
    selector = {CLUSTER_NAME_LABEL: cluster}
    try:
        machinesets = kube.list_objects(
            client, apis.api_version("MachineDeployment"), "MachineSet", namespace=namespace, label_selector=selector
        )
    except (NotFound, APINotServed):
        machinesets = []
    for ms in machinesets:
        tspec = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
        infra = tspec.get("infrastructureRef") or {}
        boot = (tspec.get("bootstrap") or {}).get("configRef") or {}
        if infra.get("name"):
            used.add(("ProxmoxMachineTemplate", infra["name"]))
        if boot.get("name"):
            used.add(("KubeadmConfigTemplate", boot["name"]))
    for template_kind, clone_kind in CLONES.items():
        group_version = apis.api_version(template_kind)
        try:
            clones = kube.list_objects(client, group_version, clone_kind, namespace=namespace, label_selector=selector)
        except (NotFound, APINotServed):
            clones = []
        for c in clones:
            origin = (c["metadata"].get("annotations") or {}).get(CLONED_FROM)
            if origin:
                used.add((template_kind, origin))
    return used
