"""Which API version each rendered kind uses: chosen per kind, from the versions a server serves.

A group's preferred version is not per kind (``controlplane.cluster.x-k8s.io`` is shared by
KubeadmControlPlane and KamajiControlPlane), so the choice is made for every kind on its own.
"""

from __future__ import annotations

from typing import NamedTuple

CORE = "cluster.x-k8s.io"
BOOTSTRAP = "bootstrap.cluster.x-k8s.io"
INFRA = "infrastructure.cluster.x-k8s.io"
CONTROLPLANE = "controlplane.cluster.x-k8s.io"
IPAM = "ipam.cluster.x-k8s.io"
MONITORING = "monitoring.coreos.com"
ADDONS = "addons.cluster.x-k8s.io"


class Kind(NamedTuple):
    group: str
    kind: str
    plural: str
    versions: tuple[str, ...]  # renderable versions, newest first
    human: str  # provider name for error messages


KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind(CORE, "Cluster", "clusters", ("v1beta2", "v1beta1"), "Cluster API core"),
        Kind(CORE, "MachineDeployment", "machinedeployments", ("v1beta2", "v1beta1"), "Cluster API core"),
        Kind(CORE, "MachineHealthCheck", "machinehealthchecks", ("v1beta2", "v1beta1"), "Cluster API core"),
        Kind(
            BOOTSTRAP,
            "KubeadmConfigTemplate",
            "kubeadmconfigtemplates",
            ("v1beta2", "v1beta1"),
            "the Cluster API kubeadm bootstrap provider",
        ),
        Kind(
            INFRA,
            "ProxmoxCluster",
            "proxmoxclusters",
            ("v1alpha2", "v1alpha1"),
            "the Proxmox infrastructure provider (CAPMOX)",
        ),
        Kind(
            INFRA,
            "ProxmoxMachineTemplate",
            "proxmoxmachinetemplates",
            ("v1alpha2", "v1alpha1"),
            "the Proxmox infrastructure provider (CAPMOX)",
        ),
        Kind(
            CONTROLPLANE,
            "KamajiControlPlane",
            "kamajicontrolplanes",
            ("v1alpha2", "v1alpha1"),
            "the Kamaji control-plane provider",
        ),
        Kind(IPAM, "InClusterIPPool", "inclusterippools", ("v1alpha2",), "the in-cluster IPAM provider"),
        Kind(MONITORING, "ServiceMonitor", "servicemonitors", ("v1",), "the Prometheus operator"),
        Kind(
            ADDONS,
            "ClusterResourceSet",
            "clusterresourcesets",
            ("v1beta2", "v1beta1"),
            "Cluster API core (ClusterResourceSet)",
        ),
        Kind(
            ADDONS,
            "HelmChartProxy",
            "helmchartproxies",
            ("v1alpha1",),
            "the Cluster API Add-on Provider Helm (CAAPH)",
        ),
    )
}

CURRENT = {name: k.versions[0] for name, k in KINDS.items()}


class ApiVersionError(ValueError):
    """No renderable version of a kind is available."""


class ApiVersions(NamedTuple):
    """The chosen ``version`` per kind; ``api_version(kind)`` gives ``group/version``.

    Value classes on the ``template`` path are NamedTuples: ``dataclasses`` imports ``inspect``
    (and ``ast``, ``dis``, ``tokenize``), a measurable part of a cold start."""

    chosen: dict[str, str]

    def version(self, kind: str) -> str:
        return self.chosen[kind]

    def api_version(self, kind: str) -> str:
        return f"{KINDS[kind].group}/{self.chosen[kind]}"

    def is_current(self, kind: str) -> bool:
        return self.chosen[kind] == KINDS[kind].versions[0]

    @classmethod
    def current(cls) -> ApiVersions:
        return cls(dict(CURRENT))

    @classmethod
    def from_flags(cls, flags: list[str]) -> ApiVersions:
        """Like Helm's ``--api-versions``: ``group/version`` or ``group/version/Kind`` entries.

        A group the flags do not mention keeps the current version; a group they mention gets,
        for each kind, the newest renderable version listed for it.
        """
        served: dict[str, set[str]] = {}
        per_kind: dict[tuple[str, str], set[str]] = {}
        for flag in flags:
            parts = flag.strip().split("/")
            if len(parts) == 2:
                served.setdefault(parts[0], set()).add(parts[1])
            elif len(parts) == 3:
                per_kind.setdefault((parts[0], parts[2]), set()).add(parts[1])
                served.setdefault(parts[0], set())
            else:
                raise ApiVersionError(f"--api-versions {flag!r}: expected GROUP/VERSION or GROUP/VERSION/Kind")
        chosen: dict[str, str] = {}
        for name, kind in KINDS.items():
            if kind.group not in served:
                chosen[name] = kind.versions[0]
                continue
            offered = served[kind.group] | per_kind.get((kind.group, name), set())
            usable = [v for v in kind.versions if v in offered]
            chosen[name] = usable[0] if usable else ""
        return cls(chosen)

    @classmethod
    def from_served(cls, served: dict[str, set[str]]) -> ApiVersions:
        """From discovery: ``served`` maps ``plural.group`` to the versions serving that kind."""
        chosen: dict[str, str] = {}
        for name, kind in KINDS.items():
            offered = served.get(f"{kind.plural}.{kind.group}", set())
            usable = [v for v in kind.versions if v in offered]
            chosen[name] = usable[0] if usable else ""
        return cls(chosen)

    def require(self, kinds: list[str]) -> None:
        """Raise a clear error for the first needed kind without a renderable version."""
        for name in kinds:
            if not self.chosen.get(name):
                k = KINDS[name]
                raise ApiVersionError(
                    f"{k.human} does not serve {name} in a version this tool renders "
                    f"({', '.join(f'{k.group}/{v}' for v in k.versions)})"
                )
