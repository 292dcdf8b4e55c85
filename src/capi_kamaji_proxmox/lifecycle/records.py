"""Building the release records this tool writes, in Helm's format (``helm`` reads them as its own)."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox import __version__, naming
from capi_kamaji_proxmox.release.record import Chart, ChartMetadata, Info, Release, Status, build_manifest, now
from capi_kamaji_proxmox.release.redact import redact_secrets
from capi_kamaji_proxmox.values.defaults import DEFAULTS

CHART_NAME = "capi-kamaji-proxmox"
# Marks records written by this tool (helm keeps chart annotations), to tell them from the chart's.
TOOL_ANNOTATION = "capi-kamaji-proxmox.io/tool-version"


def source_of(obj: dict[str, Any]) -> str:
    """The ``# Source:`` path of an object in the manifest: one file per kind, like a chart's."""
    return f"{CHART_NAME}/templates/{obj['kind'].lower()}.yaml"


def manifest_text(objs: list[dict[str, Any]]) -> str:
    return build_manifest((source_of(o), o) for o in objs)


_NOTE_VERB = {"install": "created", "upgrade": "updated", "rollback": "rolled back"}


def notes(release: str, namespace: str, cluster: str, verb: str = "install") -> str:
    return (
        f"Cluster {cluster!r} is being {_NOTE_VERB.get(verb, 'updated')} in namespace {namespace!r}.\n\n"
        f"Follow it:        capi-kamaji-proxmox describe {release} -n {namespace}\n"
        f"Get a kubeconfig: capi-kamaji-proxmox kubeconfig {release} -n {namespace} -o {cluster}.kubeconfig\n"
        f"                  (the Secret {naming.kubeconfig_secret(cluster)!r} holds it)\n"
    )


def new_record(
    *,
    name: str,
    namespace: str,
    revision: int,
    status: Status,
    config: dict[str, Any],
    objs: list[dict[str, Any]],
    cluster: str,
    kubernetes_version: str,
    description: str,
    first_deployed: Any = None,
    verb: str = "install",
) -> Release:
    """A release revision; the user's values go in ``config``, the defaults in ``chart.values``."""
    ts = now()
    return Release(
        name=name,
        namespace=namespace,
        version=revision,
        info=Info(
            first_deployed=first_deployed or ts,
            last_deployed=ts,
            status=status,
            description=description,
            notes=notes(name, namespace, cluster, verb),
        ),
        chart=Chart(
            metadata=ChartMetadata(
                name=CHART_NAME,
                version=__version__,
                appVersion=kubernetes_version.removeprefix("v"),
                description="Kubernetes cluster on Proxmox VE through Cluster API, control plane by Kamaji",
                type="application",
                annotations={TOOL_ANNOTATION: __version__},
            ),
            values=DEFAULTS,
        ),
        config=redact_secrets(config),
        manifest=manifest_text(objs),
    )


def written_by_tool(release: Release) -> bool:
    return bool(release.chart and TOOL_ANNOTATION in release.chart.metadata.annotations)
