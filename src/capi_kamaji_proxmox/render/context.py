"""What every per-kind renderer needs: the values, the release, and the chosen API versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from capi_kamaji_proxmox.render.apis import ApiVersions
from capi_kamaji_proxmox.values import fast
from capi_kamaji_proxmox.values.checks import cluster_name, node_range_source

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import ClusterValues, ControlPlane, NodePool, Values

CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
NODE_ZONE = "ipam"  # zoneConfig entry that carries the IPAM range in mixed CAPMOX v1alpha2 setups


class RenderContext(NamedTuple):
    values: Values
    release_name: str
    namespace: str
    apis: ApiVersions

    @property
    def cluster(self) -> str:
        return cluster_name(self.values, self.release_name)

    @property
    def cv(self) -> ClusterValues:
        return self.values.cluster or fast.make("ClusterValues")

    @property
    def cp(self) -> ControlPlane:
        return self.cv.control_plane or fast.make("ControlPlane")

    @property
    def pools(self) -> list[NodePool]:
        return self.values.node_pools or []

    @property
    def version(self) -> str:
        return self.cv.version or ""

    def metadata(self, name: str, **extra_labels: str) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": self.namespace,
            "labels": {CLUSTER_NAME_LABEL: self.cluster, **extra_labels},
        }

    # ----------------------------------------------------------------- address plan

    @property
    def ipam_enabled(self) -> bool:
        return node_range_source(self.values) == "ipamProvider"

    def pool_uses_ipam(self, pool: NodePool) -> bool:
        """Does this pool's first NIC take its address from the IPAM provider's range?"""
        net = pool.network
        opted_in = net is None or net.addresses_from_pools is None or net.addresses_from_pools.enabled is not False
        return self.ipam_enabled and opted_in

    @property
    def mixed_addressing(self) -> bool:
        """IPAM on, but some pool opted out and takes addresses from cluster.ipv4Config."""
        return self.ipam_enabled and any(not self.pool_uses_ipam(p) for p in self.pools)


def prune(value: Any, *, keep_blank: bool = False) -> Any:
    """Drop None, "", [] and {} recursively: empty means unset, and the current schemas reject empties.

    Keys listed in ``KEEP_EMPTY`` (addons, where ``{}`` means "enabled") survive, and so do blank
    values inside label-like maps (``node-role.kubernetes.io/node: ""`` is a real label).
    """
    if not isinstance(value, dict):
        if isinstance(value, list):
            return [prune(v) for v in value if v is not None]
        return value
    out = {}
    for k, v in value.items():
        kind = type(v)
        if kind is str:
            if v or keep_blank:
                out[k] = v
            continue
        if kind is int or kind is bool:
            out[k] = v
            continue
        if v is None:
            continue
        if k in KEEP_EMPTY and v == {}:
            out[k] = v
            continue
        if keep_blank and v == "":
            out[k] = v
            continue
        pv = prune(v, keep_blank=k in LABEL_MAPS)
        if pv is None or pv == "" or pv == [] or pv == {}:
            continue
        out[k] = pv
    return out


KEEP_EMPTY = {"coreDNS", "kubeProxy", "konnectivity"}
LABEL_MAPS = {"labels", "matchLabels", "annotations", "nodeSelector", "serviceLabels", "serviceAnnotations"}


def prune_object(obj: dict[str, Any]) -> dict[str, Any]:
    """:func:`prune` for a whole object (typed: an object stays a dict)."""
    out: dict[str, Any] = prune(obj)
    return out
