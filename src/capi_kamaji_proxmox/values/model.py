"""Pydantic models of the values file.

Every key of the Clastix chart's values file is accepted under its chart name (camelCase alias).
Fields default to ``None`` (meaning "unset"): the chart's defaults live in ``defaults.py`` and are
merged in before validation with Helm's rules, so that a ``null`` in a user file can delete a
default exactly as it does with ``helm``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from capi_kamaji_proxmox.values.patterns import DNS_LABEL as DNS_LABEL
from capi_kamaji_proxmox.values.patterns import K8S_VERSION as K8S_VERSION

DnsLabel = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
KubeVersion = Annotated[str, StringConstraints(pattern=K8S_VERSION)]
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_\-+.]*$")]
IntOrPercent = int | Annotated[str, StringConstraints(pattern=r"^[0-9]+%$")]


# A duration is either whole seconds or a Go-style duration string such as "10m" or "1h30m".
def _not_negative(v: int | str) -> int | str:
    """Seconds are never negative: the server would reject one object after others were applied."""
    if isinstance(v, int) and v < 0:
        raise ValueError("expected a duration of 0 or more seconds (or e.g. 10m)")
    return v


Duration = Annotated[
    int | Annotated[str, StringConstraints(pattern=r"^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$")],
    AfterValidator(_not_negative),
]


class Model(BaseModel):
    """Base: chart key names (camelCase), unknown keys rejected, Python names accepted too."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=to_camel,
        validate_default=False,
    )


# --------------------------------------------------------------------------- proxmox / ipam


class SecretRef(Model):
    name: NonEmpty | None = Field(None, description="Name of the Proxmox VE credentials Secret.")
    namespace: str | None = Field(
        None, description="Namespace of the credentials Secret; empty means the release namespace."
    )


class ProxmoxValues(Model):
    secret: SecretRef | None = Field(None, description="Proxmox VE credentials Secret.")


class IPAMProvider(Model):
    enabled: bool | None = Field(None, description="Hand out node addresses from this range.")
    ranges: list[NonEmpty] | None = Field(None, description="Address ranges (a.b.c.d-a.b.c.e, CIDR or single address).")
    prefix: int | None = Field(None, ge=0, le=32, description="Subnet prefix length.")
    gateway: str | None = Field(None, description="Default gateway of the node subnet.")
    excluded_addresses: list[NonEmpty] | None = Field(
        None, description="Addresses inside the ranges that are never handed out."
    )


class IPv4Config(Model):
    addresses: list[NonEmpty] | None = Field(None, description="Address ranges of the pool.")
    gateway: str | None = Field(None, description="Default gateway.")
    prefix: int | None = Field(None, ge=1, le=32, description="Subnet prefix length.")


# --------------------------------------------------------------------------- control plane


class CoreDNSAddon(Model):
    image_repository: str | None = None
    image_tag: str | None = None
    dns_service_ips: list[str] | None = Field(None, alias="dnsServiceIPs")


class KubeProxyAddon(Model):
    image_repository: str | None = None
    image_tag: str | None = None


class KonnectivityServer(Model):
    port: int | None = Field(None, ge=1, le=65535)
    image: str | None = None
    version: str | None = None
    extra_args: list[str] | None = None


class KonnectivityAgent(Model):
    mode: Literal["DaemonSet", "Deployment"] | None = None
    replicas: int | None = Field(None, ge=0)
    host_network: bool | None = None
    image: str | None = None
    version: str | None = None
    extra_args: list[str] | None = None


class KonnectivityAddon(Model):
    server: KonnectivityServer | None = None
    agent: KonnectivityAgent | None = None


class Addons(Model):
    core_dns: CoreDNSAddon | None = Field(
        None, alias="coreDNS", description="CoreDNS addon; present (even {}) means enabled."
    )
    kube_proxy: KubeProxyAddon | None = Field(None, description="kube-proxy addon; present (even {}) means enabled.")
    konnectivity: KonnectivityAddon | None = Field(
        None, description="Konnectivity addon; present (even {}) means enabled."
    )


class Metadata(Model):
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class CPDeployment(Model):
    additional_metadata: Metadata | None = Field(
        None, description="Labels and annotations of the control-plane Deployment."
    )
    pod_additional_metadata: Metadata | None = Field(
        None, description="Labels and annotations of the control-plane Pods."
    )
    affinity: dict[str, Any] | None = Field(None, description="core/v1 Affinity.")
    tolerations: list[dict[str, Any]] | None = Field(None, description="core/v1 Tolerations.")
    node_selector: dict[str, str] | None = Field(None, description="Node selector of the Pods.")
    topology_spread_constraints: list[dict[str, Any]] | None = Field(
        None, description="core/v1 TopologySpreadConstraints."
    )


class CPKubelet(Model):
    cgroupfs: Literal["systemd", "cgroupfs"] | None = Field(None, description="Kubelet cgroup driver.")
    preferred_address_types: (
        list[Literal["Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"]] | None
    ) = Field(None, description="Order of node address types the API server uses.")


class LoadBalancerConfig(Model):
    load_balancer_class: NonEmpty | None = None
    load_balancer_source_ranges: list[NonEmpty] | None = None


class Ingress(Model):
    hostname: NonEmpty = Field(description="Host name that exposes the API server.")
    class_name: str | None = None
    extra_labels: dict[str, str] | None = None
    extra_annotations: dict[str, str] | None = None


class CPNetwork(Model):
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] | None = Field(
        None, description="Service type that exposes the API server."
    )
    service_address: str | None = Field(None, description="Fixed address of that Service.")
    service_annotations: dict[str, str] | None = None
    service_labels: dict[str, str] | None = None
    cert_sans: list[NonEmpty] | None = Field(
        None, alias="certSANs", description="Extra SANs of the API server certificate."
    )
    load_balancer_config: LoadBalancerConfig | None = None
    ingress: Ingress | None = None


class Component(Model):
    extra_args: list[NonEmpty] | None = Field(None, description='Flags, as "--flag=value".')
    resources: dict[str, dict[str, str | int]] | None = Field(None, description="requests/limits of the container.")


class ControlPlane(Model):
    labels: dict[str, str] | None = Field(None, description="Labels of the KamajiControlPlane.")
    replicas: int | None = Field(None, ge=0, description="Control-plane Pod replicas.")
    data_store_name: NonEmpty | None = Field(None, description="Kamaji DataStore to use.")
    addons: Addons | None = None
    deployment: CPDeployment | None = None
    kubelet: CPKubelet | None = None
    network: CPNetwork | None = None
    version: KubeVersion | None = Field(None, description="Alias of cluster.version (the chart's key).")
    api_server: Component | None = None
    controller_manager: Component | None = None
    scheduler: Component | None = None


# --------------------------------------------------------------------------- cluster


class CidrBlocks(Model):
    cidr_blocks: list[NonEmpty] | None = None


class ClusterNetwork(Model):
    api_server_port: int | None = Field(None, ge=1, le=65535, description="API server port.")
    pods: CidrBlocks | None = None
    services: CidrBlocks | None = None
    service_domain: NonEmpty | None = None


class ServiceAccountRef(Model):
    name: NonEmpty | None = None
    namespace: NonEmpty | None = None


class Metrics(Model):
    enabled: bool | None = Field(None, description="Render metrics Service and ServiceMonitor.")
    service_account: ServiceAccountRef | None = Field(
        None, description="Prometheus ServiceAccount allowed to read the client certificate."
    )
    service_monitor_labels: dict[str, str] | None = Field(
        None,
        description="Labels of the ServiceMonitor; kube-prometheus-stack selects ServiceMonitors by "
        "release: <its Helm release name>.",
    )


class ClusterValues(Model):
    name: str | None = Field(None, description="Cluster name; empty means the release name.")
    labels: dict[str, str] | None = Field(
        None, description="Labels of the Cluster (add-on selectors: ClusterResourceSet, CAAPH, Sveltos)."
    )
    version: KubeVersion | None = Field(None, description="Kubernetes version (vX.Y.Z).")
    cluster_network: ClusterNetwork | None = None
    control_plane: ControlPlane | None = None
    allowed_nodes: list[NonEmpty] | None = Field(None, description="Proxmox VE nodes for VMs.")
    credentials_ref: SecretRef | None = Field(
        None, description="The chart's other Secret key: used only when proxmox.secret is not set."
    )
    dns_servers: list[NonEmpty] | None = Field(None, description="Name servers of the machines.")
    ipv4_config: IPv4Config | None = Field(
        None, description="ProxmoxCluster address pool (used for nodes when ipamProvider is off)."
    )
    metrics: Metrics | None = None


# --------------------------------------------------------------------------- node pools


class Autoscaling(Model):
    enabled: bool | None = Field(None, description="Let the cluster autoscaler own replicas.")
    labels: dict[str, str] | None = Field(None, description="Autoscaler discovery labels.")
    min_size: int | None = Field(None, ge=0, description="Smallest size; 0 allows scale from zero.")
    max_size: int | None = Field(None, ge=0, description="Largest size.")
    # The autoscaler's per-node-group options, rendered as MachineDeployment annotations.
    scale_down_utilization_threshold: float | None = Field(
        None, ge=0, le=1, description="Node utilization below which a node may be removed (0..1)."
    )
    scale_down_unneeded_time: Duration | None = Field(None, description="How long a node is unneeded before removal.")
    scale_down_unready_time: Duration | None = Field(None, description="How long an unready node waits before removal.")
    max_node_provision_time: Duration | None = Field(None, description="How long a new node may take to register.")
    max_pods: int | None = Field(None, ge=1, description="Pods per node, for scale from zero (kubelet maxPods).")


class TemplateSelector(Model):
    match_tags: list[Tag] = Field(min_length=1, description="Proxmox tags of the VM template.")
    match_policy: Literal["exact", "uniqueSubset", "bestSubset"] | None = Field(
        None, description="How the tags are matched (CAPMOX v1alpha2 only)."
    )


class AddressesFromPools(Model):
    enabled: bool | None = None


class DeviceIPv4(Model):
    ranges: list[NonEmpty] = Field(min_length=1)
    prefix: int = Field(ge=0, le=32)
    gateway: str | None = None


class ExtraDevice(Model):
    name: Annotated[str, StringConstraints(pattern=r"^net[1-9][0-9]*$")] | None = None
    bridge: NonEmpty
    model: Literal["e1000", "virtio", "rtl8139", "vmxnet3"] | None = None
    vlan: int | None = Field(None, ge=1, le=4094)
    mtu: int | None = None
    dns_servers: list[NonEmpty] | None = None
    ipv4: DeviceIPv4 | None = Field(None, description="Own address pool of this device.")


class PoolNetwork(Model):
    bridge: NonEmpty | None = Field(None, description="Bridge of the first NIC (net0).")
    model: Literal["e1000", "virtio", "rtl8139", "vmxnet3"] | None = Field(None, description="NIC model.")
    dns_servers: list[NonEmpty] | None = Field(
        None, description="Name servers of the nodes; default cluster.dnsServers."
    )
    addresses_from_pools: AddressesFromPools | None = Field(
        None, description="Take net0's address from the ipamProvider range (else from cluster.ipv4Config)."
    )
    vlan: int | None = Field(None, ge=1, le=4094, description="VLAN tag of net0.")
    mtu: int | None = Field(None, description="MTU of net0: 1 (the bridge's) or 1280..65520.")
    additional_devices: list[ExtraDevice] | None = Field(None, description="Extra NICs.")


class BootVolume(Model):
    disk: NonEmpty | None = Field(None, description="Boot disk device, e.g. scsi0.")
    size_gb: int | None = Field(None, ge=5, description="Boot disk size in GiB (>= 5, >= the template's).")


class Disks(Model):
    boot_volume: BootVolume | None = None


class User(Model):
    name: NonEmpty
    shell: str | None = None
    passwd: str | None = None
    lock_password: bool | None = None
    ssh_authorized_keys: list[NonEmpty] | None = None
    sudo: str | None = None
    groups: str | None = None


class Taint(Model):
    key: NonEmpty
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class Rollout(Model):
    max_surge: IntOrPercent | None = Field(None, description="Extra machines during a roll (n or n%).")
    max_unavailable: IntOrPercent | None = Field(None, description="Machines that may be down during a roll.")
    delete_policy: Literal["Random", "Newest", "Oldest"] | None = Field(None, description="Which machines go first.")


class UnhealthyCondition(Model):
    type: NonEmpty
    status: Literal["True", "False", "Unknown"]
    timeout: Duration

    @field_validator("status", mode="before")
    @classmethod
    def _bool_status(cls, v: object) -> object:
        # YAML turns an unquoted False into a bool; Kubernetes wants the string.
        return str(v) if isinstance(v, bool) else v


class MachineHealthCheck(Model):
    enabled: bool | None = Field(None, description="Render the MachineHealthCheck.")
    node_startup_timeout: Duration | None = Field(None, description="Time a node may take to join (default 10m).")
    unhealthy_conditions: list[UnhealthyCondition] | None = Field(
        None, description="Node conditions that mark a machine unhealthy (default Ready Unknown/False for 5m)."
    )
    max_unhealthy: IntOrPercent | None = Field(None, description="Stop remediating above this many unhealthy.")


class VMIDRange(Model):
    start: int = Field(ge=100, le=999999999)
    end: int = Field(ge=100, le=999999999)


class Checks(Model):
    skip_cloud_init_status: bool | None = None
    skip_qemu_guest_agent: bool | None = None


class NodePool(Model):
    name: DnsLabel = Field(description="Pool name (DNS-1123 label).")
    replicas: int | None = Field(None, ge=0, description="Number of machines.")
    autoscaling: Autoscaling | None = None
    source_node: NonEmpty | None = Field(None, description="Node that holds the VM template.")
    allowed_nodes: list[NonEmpty] | None = Field(None, description="Nodes VMs may be placed on.")
    pool: str | None = Field(None, description="Proxmox VE resource pool.")
    template_id: int | None = Field(None, ge=100, description="VM template to clone.")
    template_selector: TemplateSelector | None = Field(
        None, description="Select the VM template by tags instead of templateId."
    )
    network: PoolNetwork | None = None
    storage: NonEmpty | None = Field(None, description="Storage of the full clone.")
    format: Literal["qcow2", "raw", "vmdk"] | None = Field(None, description="Disk format.")
    disks: Disks | None = None
    memory_mib: int | None = Field(None, alias="memoryMiB", description="Memory in MiB.")
    num_cores: int | None = Field(None, ge=1, description="Cores per socket.")
    num_sockets: int | None = Field(None, ge=1, description="CPU sockets.")
    additional_cloud_init_files: str | None = Field(
        None, description="cloud-config written to /etc/cloud/cloud.cfg.d/99-custom.cfg."
    )
    users: list[User] | None = Field(None, description="cloud-init users (name, sshAuthorizedKeys, sudo, ...).")
    labels: str | dict[str, str] | None = Field(None, description='Node labels: "k=v,k2=v2" (chart form) or a map.')
    taints: str | list[Taint] | None = Field(None, description='Node taints: "k=v:Effect,..." (chart form) or a list.')
    pre_kubeadm_commands: list[NonEmpty] | None = Field(None, description="Commands run before kubeadm join.")
    post_kubeadm_commands: list[NonEmpty] | None = Field(None, description="Commands run after kubeadm join.")
    rollout: Rollout | None = Field(None, description="Rolling-update policy of the pool.")
    node_drain_timeout: Duration | None = Field(
        None, description='How long to drain a node before deleting it ("10m" or seconds).'
    )
    machine_health_check: MachineHealthCheck | None = Field(
        None, description="A MachineHealthCheck that remediates this pool's unhealthy machines."
    )
    tags: list[Tag] | None = Field(None, description="Proxmox tags of the cloned VMs.")
    vm_id_range: VMIDRange | None = Field(None, alias="vmIDRange", description="VM ids the clones may use.")
    checks: Checks | None = Field(None, description="Skip the cloud-init or guest-agent waits (Talos, Flatcar).")


# --------------------------------------------------------------------------- cluster autoscaler


Expander = Literal["random", "most-pods", "least-waste", "least-nodes", "priority"]


class AutoscalerImage(Model):
    repository: NonEmpty | None = Field(None, description="Cluster Autoscaler image repository.")
    tag: Tag | None = Field(None, description="Image tag; default: chosen from cluster.version's minor.")
    pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = Field(None, description="Image pull policy.")


class KubeconfigSecretRef(Model):
    name: NonEmpty | None = Field(
        None, description="Secret with the workload kubeconfig; default <cluster>-kubeconfig."
    )
    key: NonEmpty | None = Field(None, description="Key of the kubeconfig in that Secret; default value.")


class AutoscalerValues(Model):
    enabled: bool | None = Field(None, description="Run a Cluster Autoscaler for this cluster's autoscaled pools.")
    image: AutoscalerImage | None = None
    resources: dict[str, dict[str, str | int]] | None = Field(None, description="requests/limits of the container.")
    extra_args: list[NonEmpty] | None = Field(None, description='More autoscaler flags, as "--flag=value".')
    scale_down_enabled: bool | None = Field(None, description="Remove unneeded nodes (--scale-down-enabled).")
    scale_down_unneeded_time: Duration | None = Field(
        None, description="How long a node is unneeded before removal (--scale-down-unneeded-time)."
    )
    scale_down_delay_after_add: Duration | None = Field(
        None, description="No scale-down for this long after a scale-up (--scale-down-delay-after-add)."
    )
    scale_down_utilization_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Utilization below which a node may go (0..1, --scale-down-utilization-threshold).",
    )
    max_node_provision_time: Duration | None = Field(
        None, description="How long a new node may take to register (--max-node-provision-time)."
    )
    expander: Expander | list[Expander] | None = Field(
        None, description="--expander: a strategy or a list tried in order (least-waste, random, ...)."
    )
    kubeconfig_secret: KubeconfigSecretRef | None = Field(
        None, description="Workload-cluster kubeconfig the autoscaler mounts."
    )
    node_selector: dict[str, str] | None = Field(None, description="Node selector of the autoscaler Pod.")
    tolerations: list[dict[str, Any]] | None = Field(None, description="core/v1 Tolerations of the autoscaler Pod.")
    affinity: dict[str, Any] | None = Field(None, description="core/v1 Affinity of the autoscaler Pod.")
    priority_class_name: NonEmpty | None = Field(None, description="PriorityClass of the autoscaler Pod.")


# --------------------------------------------------------------------------- upgrades


class UpgradeStrategy(Model):
    """How a change of cluster.version is carried out (a key of this tool; the chart has none)."""

    pools: Literal["parallel", "serial"] | list[DnsLabel] | None = Field(
        None,
        description="After the control plane: all pools at once (parallel, default), one at a time in "
        "values order (serial), or one at a time in the order of this list of pool names.",
    )
    pause: Duration | None = Field(None, description="Pause between two pools when serial (10m or seconds).")
    via: list[KubeVersion] | None = Field(
        None, description="Patch versions to pass through when skipping minors (e.g. [v1.32.9])."
    )


class Values(Model):
    proxmox: ProxmoxValues | None = None
    ipam_provider: IPAMProvider | None = None
    cluster: ClusterValues | None = None
    node_pools: list[NodePool] | None = None
    autoscaler: AutoscalerValues | None = Field(
        None, description="A Cluster Autoscaler per cluster (off unless enabled)."
    )
    addons: _addons.AddonsValues | None = Field(None, description="Add-ons installed into the workload cluster.")
    upgrade_strategy: UpgradeStrategy | None = Field(
        None, description="Order of a Kubernetes version upgrade: control plane first, then the pools."
    )


# The add-on keys live in their own module, which builds on Model above (hence the late import).
from capi_kamaji_proxmox.values import addons_model as _addons  # noqa: E402
