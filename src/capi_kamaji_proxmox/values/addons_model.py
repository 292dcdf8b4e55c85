"""Models of the add-on keys (``addons.cni``, ``addons.extra``): not in the Clastix chart.

Kept apart from :mod:`.model` so the chart's keys stay in one place; every key defaults to unset,
so a chart values file renders exactly what it rendered before.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from capi_kamaji_proxmox.values.model import DnsLabel, Model, NonEmpty


class CNIAddon(Model):
    provider: Literal["calico", "cilium", "none"] | None = Field(
        None, description="CNI installed into the workload cluster (calico, cilium or none)."
    )
    version: NonEmpty | None = Field(None, description="Chart version; default: the version this tool pins.")
    values: dict[str, Any] | None = Field(None, description="Chart values merged over the tool's tenant defaults.")
    backend: Literal["caaph", "crs"] | None = Field(
        None,
        description="How it is installed: caaph (a HelmChartProxy) or crs (a ClusterResourceSet); "
        "default caaph, or crs when a manifest is given.",
    )
    manifest: str | None = Field(
        None, description="With backend crs: the manifest to apply (--set-file addons.cni.manifest=FILE)."
    )


class ExtraAddon(Model):
    name: DnsLabel = Field(description="Add-on name (also the Helm release name in the workload cluster).")
    repo_url: NonEmpty = Field(alias="repoURL", description="Helm repository URL (https://, http:// or oci://).")
    chart_name: NonEmpty = Field(description="Chart name in that repository.")
    version: NonEmpty | None = Field(None, description="Chart version; unset follows the latest (not advised).")
    namespace: DnsLabel | None = Field(None, description="Namespace in the workload cluster (default kube-system).")
    values: dict[str, Any] | None = Field(None, description="Chart values.")


class AddonsValues(Model):
    cni: CNIAddon | None = Field(None, description="The workload cluster's CNI (nodes stay NotReady without one).")
    extra: list[ExtraAddon] | None = Field(
        None, description="More Helm add-ons as HelmChartProxies (CCM, CSI, metrics-server, ingress...)."
    )


def _complete_values_model() -> None:
    """Resolve ``Values.addons`` now (model.py imports this module last, so the name is not bound yet)."""
    import sys

    from capi_kamaji_proxmox.values.model import Values

    Values.model_rebuild(_types_namespace={"_addons": sys.modules[__name__]})


_complete_values_model()
