"""Management-cluster checks: is everything the rendered objects depend on in place?

Each check asks the Kubernetes API the question the controllers will later ask (is this kind
served, may the bootstrap provider read the control plane, is the DataStore ready, does the
credentials Secret hold its keys), so a missing provider or grant shows up before anything is
applied instead of as a machine that never boots. Results use the same ``CheckResult`` as the
Proxmox checks so ``doctor`` prints one table.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import yaml

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.discovery import (
    Discovery,
    GroupNotServed,
    KindNotServed,
    KindRequest,
    discovery,
)
from capi_kamaji_proxmox.kube.errors import ApiError, Forbidden, NotFound, Unauthorized
from capi_kamaji_proxmox.proxmox.client import ProxmoxError, parse_token_id, parse_url
from capi_kamaji_proxmox.proxmox.preflight import CheckResult, Status
from capi_kamaji_proxmox.render.apis import KINDS
from capi_kamaji_proxmox.render.engine import needed_kinds
from capi_kamaji_proxmox.values.checks import cluster_name
from capi_kamaji_proxmox.values.model import Values

__all__ = [
    "BOOTSTRAP_NAMESPACE",
    "BOOTSTRAP_SERVICE_ACCOUNT",
    "CREDENTIAL_KEYS",
    "Credentials",
    "ManagementCheck",
    "bootstrap_rbac_manifests",
    "bootstrap_release",
    "check_bootstrap_rbac",
    "check_credentials_secret",
    "check_datastore",
    "check_ipam_provider",
    "check_kinds",
    "check_service_monitor",
    "credentials_location",
    "run_management_checks",
    "worst",
]

# Cluster API's defaults (clusterctl init): where the kubeadm bootstrap controller runs.
from capi_kamaji_proxmox.preflight.defaults import BOOTSTRAP_NAMESPACE, BOOTSTRAP_SERVICE_ACCOUNT

# What a controller-runtime cached client needs to read an object: get plus the informer's list/watch.
BOOTSTRAP_VERBS = ("get", "list", "watch")
CREDENTIAL_KEYS = ("url", "token", "secret")
RBAC_NAME = "capi-kubeadm-bootstrap-kamaji-reader"
SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
DATASTORES = KindRequest("kamaji.clastix.io", "datastores", ("v1alpha1",), "Kamaji", "DataStore")
# Kinds with their own check; the rest belong to the "kinds" check.
_OWN_CHECK = {"InClusterIPPool", "ServiceMonitor"}
_TRANSPORT = (httpx2.TransportError, OSError)
_BOOTSTRAP_IMAGE = re.compile(r"kubeadm-bootstrap-controller(?:-[a-z0-9]+)?:v(\d+)\.(\d+)\.\d+")


@dataclass(frozen=True)
class ManagementCheck(CheckResult):
    """A ``CheckResult`` with optional multi-line ``detail`` (e.g. YAML to apply), shown after the table."""

    detail: str = ""


@dataclass(frozen=True)
class Credentials:
    """The Proxmox credentials read from the Secret; ``repr`` never shows the token secret."""

    url: str
    token: str
    secret: str

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, token={self.token!r}, secret='***')"


def _request(kind: str, plural: str) -> KindRequest:
    k = KINDS[kind]
    return KindRequest(group=k.group, plural=plural, candidates=k.versions, provider=k.human, kind=kind)


def _choose(disc: Discovery, kind: str) -> tuple[str, str]:
    """(served version, "") for a kind, or ("", why not) — the same choice ``lifecycle`` makes."""
    k = KINDS[kind]
    try:
        return disc.choose(_request(kind, k.plural)).version, ""
    except GroupNotServed:
        return "", f"{kind}: {k.human} is not installed (no {k.group} API is served)"
    except KindNotServed as exc:
        have = ", ".join(exc.served) or "no version"
        return "", f"{kind}: {k.plural}.{k.group} is served in {have}, this tool renders {', '.join(k.versions)}"


def check_kinds(disc: Discovery, kinds: list[str]) -> CheckResult:
    """Every kind the render needs (besides IPAM and ServiceMonitor) is served; say in which version."""
    chosen: dict[str, list[str]] = {}
    missing: list[str] = []
    providers: list[str] = []
    for kind in kinds:
        if kind in _OWN_CHECK:
            continue
        version, why = _choose(disc, kind)
        if version:
            chosen.setdefault(f"{KINDS[kind].group}/{version}", []).append(kind)
        else:
            missing.append(why)
            if KINDS[kind].human not in providers:
                providers.append(KINDS[kind].human)
    if missing:
        return CheckResult(
            "kinds",
            "fail",
            "; ".join(missing),
            f"install (or upgrade) {' and '.join(providers)} in the management cluster "
            "(clusterctl init), then run doctor again",
        )
    served = "; ".join(f"{api}: {', '.join(names)}" for api, names in chosen.items())
    return CheckResult("kinds", "pass", f"served {served}")


def check_ipam_provider(disc: Discovery, needed: bool) -> CheckResult:
    """InClusterIPPool served: required when the render creates pools, and CAPMOX uses it anyway."""
    version, why = _choose(disc, "InClusterIPPool")
    if version:
        use = "the node pools use it" if needed else "CAPMOX allocates node addresses through it"
        return CheckResult(
            "ipam-provider", "pass", f"InClusterIPPool served in {KINDS['InClusterIPPool'].group}/{version}; {use}"
        )
    fix = "install the in-cluster IPAM provider: clusterctl init --ipam in-cluster"
    if needed:
        return CheckResult("ipam-provider", "fail", f"{why}; ipamProvider or an additional device needs it", fix)
    return CheckResult("ipam-provider", "warn", f"{why}; CAPMOX needs it for ProxmoxCluster.ipv4Config", fix)


def check_service_monitor(disc: Discovery) -> CheckResult:
    """ServiceMonitor served (only asked when ``cluster.metrics.enabled``)."""
    version, why = _choose(disc, "ServiceMonitor")
    if version:
        return CheckResult(
            "service-monitor", "pass", f"ServiceMonitor served in {KINDS['ServiceMonitor'].group}/{version}"
        )
    return CheckResult(
        "service-monitor",
        "fail",
        f"{why}; cluster.metrics.enabled needs it",
        "install the Prometheus operator (its CRDs), or set cluster.metrics.enabled=false",
    )


# --------------------------------------------------------------------------- bootstrap RBAC


def bootstrap_rbac_manifests(namespace: str, service_account: str) -> list[dict[str, Any]]:
    """ClusterRole + ClusterRoleBinding that let the bootstrap controller read KamajiControlPlanes."""
    group = KINDS["KamajiControlPlane"].group
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": RBAC_NAME},
            "rules": [{"apiGroups": [group], "resources": ["kamajicontrolplanes"], "verbs": list(BOOTSTRAP_VERBS)}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": RBAC_NAME},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": RBAC_NAME},
            "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
        },
    ]


def _can(client: KubeClient, user: str, groups: list[str], verb: str) -> tuple[bool, str]:
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "groups": groups,
            "resourceAttributes": {
                "group": KINDS["KamajiControlPlane"].group,
                "resource": "kamajicontrolplanes",
                "verb": verb,
            },
        },
    }
    status = client.request("POST", SAR_PATH, body=body).get("status") or {}
    return bool(status.get("allowed")), str(status.get("reason") or "")


def bootstrap_release(client: KubeClient, namespace: str) -> tuple[int, int] | None:
    """(major, minor) of the kubeadm bootstrap controller image in ``namespace``, if it can be read."""
    try:
        items = client.request("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments").get("items") or []
    except (ApiError, *_TRANSPORT):
        return None
    for item in items:
        containers = ((item.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        for c in containers:
            m = _BOOTSTRAP_IMAGE.search(str(c.get("image", "")))
            if m:
                return int(m.group(1)), int(m.group(2))
    return None


def check_bootstrap_rbac(
    client: KubeClient,
    disc: Discovery,
    namespace: str = BOOTSTRAP_NAMESPACE,
    service_account: str = BOOTSTRAP_SERVICE_ACCOUNT,
) -> ManagementCheck:
    """Can the kubeadm bootstrap provider read KamajiControlPlanes? (CAPI v1.14 reads the CP version.)

    Cluster API v1.14 reads the control-plane object to learn its version, but its ClusterRole
    only covers kubeadmcontrolplanes and Kamaji CP v0.20.0 grants nothing: without a binding every
    worker's bootstrap data fails with Forbidden (api-generations.md §3).
    """
    name = "bootstrap-rbac"
    user = f"system:serviceaccount:{namespace}:{service_account}"
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]
    try:
        answers = {verb: _can(client, user, groups, verb) for verb in BOOTSTRAP_VERBS}
    except Forbidden:
        return ManagementCheck(
            name,
            "warn",
            f"cannot ask whether {user} may read kamajicontrolplanes: creating "
            "SubjectAccessReviews is forbidden for your user",
            "run doctor with a user allowed to create subjectaccessreviews.authorization.k8s.io",
        )
    missing = [verb for verb, (ok, _) in answers.items() if not ok]
    if not missing:
        return ManagementCheck(name, "pass", f"{user} may {', '.join(BOOTSTRAP_VERBS)} kamajicontrolplanes")
    manifests = bootstrap_rbac_manifests(namespace, service_account)
    detail = yaml.safe_dump_all(manifests, sort_keys=False)
    found = f"{user} may not {', '.join(missing)} kamajicontrolplanes"
    fix = (
        f"kubectl create clusterrole {RBAC_NAME} --verb={','.join(BOOTSTRAP_VERBS)} "
        f"--resource=kamajicontrolplanes.{KINDS['KamajiControlPlane'].group} && kubectl create "
        f"clusterrolebinding {RBAC_NAME} --clusterrole={RBAC_NAME} "
        f"--serviceaccount={namespace}:{service_account} (or apply the YAML doctor prints)"
    )
    release = bootstrap_release(client, namespace)
    if release is not None:
        if release >= (1, 14):
            return ManagementCheck(
                name,
                "fail",
                f"{found}; Cluster API v{'.'.join(map(str, release))} reads the control plane's version and fails "
                "worker bootstrap with Forbidden without it",
                fix,
                detail,
            )
        return ManagementCheck(
            name,
            "warn",
            f"{found}; Cluster API v{'.'.join(map(str, release))} does not need it yet, v1.14 does",
            fix,
            detail,
        )
    # Version unknown: v1beta2 bootstrap means CAPI >= v1.11, where v1.14 needs the grant (harmless on the rest).
    bootstrap_version, _ = _choose(disc, "KubeadmConfigTemplate")
    if bootstrap_version and bootstrap_version != KINDS["KubeadmConfigTemplate"].versions[0]:
        return ManagementCheck(
            name,
            "warn",
            f"{found}; Cluster API {bootstrap_version} does not need it yet, Cluster API v1.14 does",
            fix,
            detail,
        )
    return ManagementCheck(
        name,
        "fail",
        f"{found}; Cluster API v1.14 reads the control plane's version and "
        "fails worker bootstrap with Forbidden without it",
        fix,
        detail,
    )


# --------------------------------------------------------------------------- Kamaji DataStore


def _condition_text(obj: dict[str, Any]) -> str:
    conds = [c for c in ((obj.get("status") or {}).get("conditions") or []) if isinstance(c, dict)]
    bad = [c for c in conds if c.get("status") != "True"] or conds
    return "; ".join(f"{c.get('type')}={c.get('status')}: {c.get('message') or c.get('reason')}" for c in bad)


def check_datastore(client: KubeClient, disc: Discovery, name: str | None) -> CheckResult:
    """The Kamaji DataStore the control plane is stored in exists and reports ``status.ready``."""
    check = f"datastore[{name}]" if name else "datastore"
    try:
        info = disc.choose(DATASTORES)
    except (GroupNotServed, KindNotServed):
        return CheckResult(
            check,
            "fail",
            "Kamaji is not installed (no datastores.kamaji.clastix.io served)",
            "install Kamaji in the management cluster (helm install kamaji clastix/kamaji)",
        )
    if not name:
        items = client.request("GET", info.path()).get("items") or []
        names = sorted(str((i.get("metadata") or {}).get("name")) for i in items)
        if not names:
            return CheckResult(
                check,
                "fail",
                "dataStoreName is not set and no DataStore exists",
                "create a DataStore and set cluster.controlPlane.dataStoreName to it",
            )
        return CheckResult(
            check, "pass", f"dataStoreName not set: Kamaji's default DataStore is used (existing: {', '.join(names)})"
        )
    try:
        obj = client.request("GET", info.path(name=name))
    except NotFound:
        items = client.request("GET", info.path()).get("items") or []
        names = sorted(str((i.get("metadata") or {}).get("name")) for i in items)
        return CheckResult(
            check,
            "fail",
            f"DataStore {name} does not exist (existing: {', '.join(names) or 'none'})",
            f"create DataStore {name} or set cluster.controlPlane.dataStoreName to an existing one",
        )
    status = obj.get("status") or {}
    driver = (obj.get("spec") or {}).get("driver", "?")
    if status.get("ready") is True:
        return CheckResult(check, "pass", f"DataStore {name} ({driver}) is ready")
    why = _condition_text(obj)
    state = "not ready" if "ready" in status else "not ready yet (Kamaji has not reported on it)"
    return CheckResult(
        check,
        "fail",
        f"DataStore {name} ({driver}) is {state}" + (f": {why}" if why else ""),
        f"check Kamaji's logs and the endpoints and TLS/auth settings of DataStore {name} "
        f"(kubectl describe datastore {name})",
    )


# --------------------------------------------------------------------------- credentials Secret


def credentials_location(values: Values, namespace: str) -> tuple[str, str]:
    """(namespace, name) of the Proxmox credentials Secret; an empty namespace is the release's."""
    ref = values.proxmox.secret if values.proxmox else None
    name = (ref.name if ref else None) or "proxmox-secret"
    return (ref.namespace if ref and ref.namespace else namespace), name


def _decode(data: dict[str, Any], key: str) -> str:
    raw = data.get(key)
    if not isinstance(raw, str):
        return ""
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def check_credentials_secret(
    client: KubeClient, namespace: str, name: str, cluster: str
) -> tuple[CheckResult, Credentials | None]:
    """The Secret CAPMOX reads exists with non-empty ``url``, ``token`` and ``secret`` (values never shown)."""
    check = "credentials-secret"
    create = (
        f"capi-kamaji-proxmox secret create {name} -n {namespace} --cluster-name {cluster} "
        "(reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)"
    )
    try:
        obj = client.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
    except NotFound:
        return CheckResult(check, "fail", f"Secret {namespace}/{name} does not exist", create), None
    except Forbidden:
        return CheckResult(
            check,
            "fail",
            f"you may not read Secret {namespace}/{name}",
            f"grant your user get on secrets in {namespace}, or run doctor as a user who can",
        ), None
    data = obj.get("data") or {}
    values = {k: _decode(data, k) for k in CREDENTIAL_KEYS}
    absent = [k for k in CREDENTIAL_KEYS if k not in data]
    empty = [k for k in CREDENTIAL_KEYS if k in data and not values[k]]
    if absent or empty:
        parts = ([f"lacks key(s) {', '.join(absent)}"] if absent else []) + (
            [f"has empty key(s) {', '.join(empty)}"] if empty else []
        )
        return CheckResult(
            check,
            "fail",
            f"Secret {namespace}/{name} {' and '.join(parts)}",
            f"recreate it with all of url, token, secret: {create}",
        ), None
    creds = Credentials(values["url"], values["token"], values["secret"])
    try:
        parse_token_id(creds.token)
    except ProxmoxError:
        # Not echoed: a token key that fails to parse often has the secret pasted into it.
        return CheckResult(
            check,
            "fail",
            f"Secret {namespace}/{name}: key token is not of the form user@realm!tokenname (the value is not shown "
            "in case it holds the secret)",
            f"recreate it with the token id and the secret apart: {create}",
        ), None
    try:
        parse_url(creds.url)
    except ProxmoxError as exc:
        return CheckResult(
            check, "fail", f"Secret {namespace}/{name}: key url: {exc.problem}", f"recreate it: {create}"
        ), None
    return CheckResult(check, "pass", f"Secret {namespace}/{name} has url, token ({creds.token}) and secret"), creds


# --------------------------------------------------------------------------- all together


def _guard(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    """An unexpected API answer inside one check becomes that check's failure, not a traceback."""
    try:
        return run()
    except Forbidden as exc:
        # A check the user may not run is not a problem of the cluster: warn, naming the permission,
        # so that the permissions docs/rbac.yaml documents are enough for every verb with preflight on.
        return CheckResult(
            name,
            "warn",
            f"not checked: {exc}",
            "grant that read (docs/rbac.yaml: the optional ClusterRole) or run doctor as a user who has it",
        )
    except ApiError as exc:
        return CheckResult(name, "fail", f"the API server answered {exc.code}: {exc}", "see the message")
    except _TRANSPORT as exc:
        return CheckResult(name, "fail", f"lost the connection to the API server ({exc})", "run doctor again")


def _connection_check(client: KubeClient, disc: Discovery) -> CheckResult | None:
    """One fail line when the management cluster cannot be reached or refuses us; else None."""
    try:
        disc.served_versions("")  # loads /apis
    except Unauthorized as exc:
        return CheckResult(
            "management-cluster",
            "fail",
            f"{client.server} rejected the credentials ({exc})",
            "check the kubeconfig user (--kubeconfig, --context)",
        )
    except ApiError as exc:
        return CheckResult(
            "management-cluster",
            "fail",
            f"{client.server} answered {exc.code}: {exc}",
            "check the kubeconfig (--kubeconfig, --context)",
        )
    except _TRANSPORT as exc:
        return CheckResult(
            "management-cluster",
            "fail",
            f"cannot reach {client.server} ({exc})",
            "check the kubeconfig's server address and the network",
        )
    return None


def run_management_checks(
    client: KubeClient,
    namespace: str,
    values: Values,
    release: str,
    *,
    bootstrap_namespace: str = BOOTSTRAP_NAMESPACE,
    bootstrap_service_account: str = BOOTSTRAP_SERVICE_ACCOUNT,
) -> tuple[list[CheckResult], Credentials | None]:
    """Every management-cluster check in a fixed order, plus the credentials for the Proxmox checks."""
    disc = discovery(client)
    down = _connection_check(client, disc)
    if down is not None:
        return [down], None
    kinds = needed_kinds(values)
    results: list[CheckResult] = [
        _guard("kinds", lambda: check_kinds(disc, kinds)),
        _guard("ipam-provider", lambda: check_ipam_provider(disc, "InClusterIPPool" in kinds)),
    ]
    if "ServiceMonitor" in kinds:
        results.append(_guard("service-monitor", lambda: check_service_monitor(disc)))
    results.append(
        _guard(
            "bootstrap-rbac", lambda: check_bootstrap_rbac(client, disc, bootstrap_namespace, bootstrap_service_account)
        )
    )
    cp = values.cluster.control_plane if values.cluster else None
    store = cp.data_store_name if cp else None
    results.append(
        _guard(f"datastore[{store}]" if store else "datastore", lambda: check_datastore(client, disc, store))
    )
    secret_ns, secret_name = credentials_location(values, namespace)
    creds: Credentials | None = None
    try:
        secret_result, creds = check_credentials_secret(client, secret_ns, secret_name, cluster_name(values, release))
    except ApiError as exc:
        secret_result = CheckResult(
            "credentials-secret", "fail", f"the API server answered {exc.code}: {exc}", "see the message"
        )
    except _TRANSPORT as exc:
        secret_result = CheckResult(
            "credentials-secret", "fail", f"lost the connection to the API server ({exc})", "run doctor again"
        )
    results.append(secret_result)
    return results, creds


def worst(results: list[CheckResult]) -> Status:
    """The most severe status of a list (fail > warn > pass)."""
    order: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}
    return max((r.status for r in results), key=lambda s: order[s], default="pass")
