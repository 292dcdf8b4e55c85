"""Add-ons for the workload cluster: the CNI and further Helm charts, selected by Cluster label.

Two backends, both reconciled by management-cluster controllers that select Clusters by label:
``caaph`` renders a HelmChartProxy (Cluster API Add-on Provider Helm installs the chart into every
selected Cluster); ``crs`` renders a ClusterResourceSet (``ApplyOnce``) and a ConfigMap holding a
manifest the user supplies. Each selects exactly this Cluster through its cluster-name label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.cni_charts import CNI_CHARTS
from capi_kamaji_proxmox.render.context import CLUSTER_NAME_LABEL, RenderContext, prune_object
from capi_kamaji_proxmox.values.addon_checks import CNI_NAME, cni_backend
from capi_kamaji_proxmox.values.merge import merge_layers

if TYPE_CHECKING:  # annotations only: a valid template never loads the pydantic models
    from capi_kamaji_proxmox.values.addons_model import CNIAddon, ExtraAddon
    from capi_kamaji_proxmox.values.model import Values

MANIFEST_KEY = "cni.yaml"
DEFAULT_EXTRA_NAMESPACE = "kube-system"


def cni_of(values: Values) -> CNIAddon | None:
    """The CNI add-on, or None when there is none to render (unset, or provider ``none``)."""
    cni = values.addons.cni if values.addons else None
    if cni is None or cni.provider in (None, "none"):
        return None
    return cni


def extras_of(values: Values) -> list[ExtraAddon]:
    return (values.addons.extra if values.addons else None) or []


def needed_addon_kinds(values: Values) -> list[str]:
    kinds: list[str] = []
    cni = cni_of(values)
    if (cni is not None and cni_backend(cni) == "caaph") or extras_of(values):
        kinds.append("HelmChartProxy")
    if cni is not None and cni_backend(cni) == "crs":
        kinds.append("ClusterResourceSet")
    return kinds


def pod_cidrs(ctx: RenderContext) -> list[str]:
    net = ctx.cv.cluster_network
    return list((net.pods.cidr_blocks if net and net.pods else None) or [])


def _selector(ctx: RenderContext) -> dict[str, Any]:
    return {"matchLabels": {CLUSTER_NAME_LABEL: ctx.cluster}}


def _values_text(values: dict[str, Any]) -> str:
    """Chart values as CAAPH's ``valuesTemplate`` text (PyYAML's safe dump, keys sorted)."""
    import yaml  # only add-ons need it: a plain `template` starts without PyYAML

    text: str = yaml.safe_dump(values, sort_keys=True)
    return text


def _helm_chart_proxy(
    ctx: RenderContext,
    name: str,
    *,
    repo_url: str,
    chart_name: str,
    version: str | None,
    namespace: str,
    release_name: str,
    values: dict[str, Any],
) -> dict[str, Any]:
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("HelmChartProxy"),
            "kind": "HelmChartProxy",
            "metadata": ctx.metadata(naming.addon(ctx.cluster, name)),
            "spec": {
                "clusterSelector": _selector(ctx),
                "repoURL": repo_url,
                "chartName": chart_name,
                "version": version,
                "namespace": namespace,
                "releaseName": release_name,
                "valuesTemplate": _values_text(values) if values else None,
            },
        }
    )


def _cni_caaph(ctx: RenderContext, cni: CNIAddon) -> list[dict[str, Any]]:
    assert cni.provider is not None and cni.provider != "none"
    chart = CNI_CHARTS[cni.provider]
    values = merge_layers(chart.defaults(pod_cidrs(ctx)), cni.values or {})  # nulls reach Helm
    return [
        _helm_chart_proxy(
            ctx,
            CNI_NAME,
            repo_url=chart.repo_url,
            chart_name=chart.chart_name,
            version=cni.version or chart.version,
            namespace=chart.namespace,
            release_name=chart.release_name,
            values=values,
        )
    ]


def _cni_crs(ctx: RenderContext, cni: CNIAddon) -> list[dict[str, Any]]:
    name = naming.addon(ctx.cluster, CNI_NAME)
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": ctx.metadata(name),
        "data": {MANIFEST_KEY: cni.manifest or ""},
    }
    crs = prune_object(
        {
            "apiVersion": ctx.apis.api_version("ClusterResourceSet"),
            "kind": "ClusterResourceSet",
            "metadata": ctx.metadata(name),
            "spec": {
                "clusterSelector": _selector(ctx),
                "resources": [{"kind": "ConfigMap", "name": name}],
                "strategy": "ApplyOnce",
            },
        }
    )
    return [config_map, crs]


def _extra(ctx: RenderContext, extra: ExtraAddon) -> dict[str, Any]:
    return _helm_chart_proxy(
        ctx,
        extra.name,
        repo_url=extra.repo_url,
        chart_name=extra.chart_name,
        version=extra.version,
        namespace=extra.namespace or DEFAULT_EXTRA_NAMESPACE,
        release_name=extra.name,
        values=extra.values or {},
    )


def render(ctx: RenderContext) -> list[dict[str, Any]]:
    """The CNI's objects (if any), then one HelmChartProxy per extra add-on."""
    out: list[dict[str, Any]] = []
    cni = cni_of(ctx.values)
    if cni is not None:
        out += _cni_caaph(ctx, cni) if cni_backend(cni) == "caaph" else _cni_crs(ctx, cni)
    out += [_extra(ctx, e) for e in extras_of(ctx.values)]
    return out
