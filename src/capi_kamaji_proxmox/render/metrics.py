"""Metrics objects: a Service over the hosted control plane, a ServiceMonitor, and RBAC that lets
Prometheus read the client certificate Kamaji writes for the tenant API server."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.context import RenderContext

KAMAJI_NAME_LABEL = "kamaji.clastix.io/name"
CONTROLLER_MANAGER_PORT = 10257
SCHEDULER_PORT = 10259


def enabled(ctx: RenderContext) -> bool:
    return bool(ctx.cv.metrics and ctx.cv.metrics.enabled)


# The API server's request-duration histogram has more buckets than dashboards use; the chart drops
# these (cardinality), and so does this tool.
DROPPED_DURATION_BUCKETS = "0.15|0.2|0.3|0.35|0.4|0.45|0.6|0.7|0.8|0.9|1.25|1.5|1.75|2|3|3.5|4|4.5|6|7|8|9|15|25|40|50"
API_SERVER_RELABELINGS = [
    {
        "action": "drop",
        "regex": f"apiserver_request_duration_seconds_bucket;({DROPPED_DURATION_BUCKETS})",
        "sourceLabels": ["__name__", "le"],
    }
]


def _endpoint(ctx: RenderContext, port: str, job: str) -> dict[str, Any]:
    cert_secret = f"{ctx.cluster}-api-server-kubelet-client-certificate"
    out: dict[str, Any] = {
        "port": port,
        "scheme": "https",
        "path": "/metrics",
        "interval": "15s",
        "scrapeTimeout": "10s",
        "tlsConfig": {
            "insecureSkipVerify": True,
            "cert": {"secret": {"name": cert_secret, "key": "apiserver-kubelet-client.crt"}},
            "keySecret": {"name": cert_secret, "key": "apiserver-kubelet-client.key"},
        },
        "relabelings": [
            {"action": "replace", "targetLabel": "cluster", "replacement": ctx.cluster},
            {"action": "replace", "targetLabel": "job", "replacement": job},
        ],
    }
    if job == "apiserver":
        out["metricRelabelings"] = [dict(r) for r in API_SERVER_RELABELINGS]
    return out


def render(ctx: RenderContext) -> list[dict[str, Any]]:
    c = ctx.cluster
    net = ctx.cv.cluster_network
    api_port = (net.api_server_port if net else None) or 6443
    metrics_name = naming.metrics_service(c)
    ports = [
        ("kube-apiserver-metrics", api_port, "apiserver"),
        ("kube-controller-manager-metrics", CONTROLLER_MANAGER_PORT, "kube-controller-manager"),
        ("kube-scheduler-metrics", SCHEDULER_PORT, "kube-scheduler"),
    ]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": ctx.metadata(metrics_name, **{KAMAJI_NAME_LABEL: metrics_name}),
        "spec": {
            "type": "ClusterIP",
            "selector": {KAMAJI_NAME_LABEL: c},
            "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": p} for n, p, _ in ports],
        },
    }
    monitor_labels = (ctx.cv.metrics.service_monitor_labels if ctx.cv.metrics else None) or {}
    monitor = {
        "apiVersion": ctx.apis.api_version("ServiceMonitor"),
        "kind": "ServiceMonitor",
        "metadata": ctx.metadata(naming.service_monitor(c), **monitor_labels),
        "spec": {
            "selector": {"matchLabels": {KAMAJI_NAME_LABEL: metrics_name}},
            "endpoints": [_endpoint(ctx, n, job) for n, _, job in ports],
        },
    }
    sa = ctx.cv.metrics.service_account if ctx.cv.metrics else None
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": ctx.metadata(naming.metrics_role(c)),
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["secrets"],
                # Only the one certificate Secret, not every Secret of the namespace.
                "resourceNames": [f"{c}-api-server-kubelet-client-certificate"],
                "verbs": ["get", "watch"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": ctx.metadata(naming.metrics_role_binding(c)),
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": sa.name if sa else "kube-prometheus-stack-prometheus",
                "namespace": sa.namespace if sa else "monitoring-system",
            }
        ],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": naming.metrics_role(c)},
    }
    return [service, monitor, role, binding]
