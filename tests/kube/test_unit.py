"""Unit tests of the kube layer without a server: config resolution, errors, counting, discovery."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from capi_kamaji_proxmox.kube import (
    AlreadyExists,
    ApplyConflict,
    Conflict,
    Forbidden,
    GroupNotServed,
    Invalid,
    KindNotServed,
    KindRequest,
    KubeClient,
    KubeConfigError,
    NotFound,
    UnknownFieldError,
    choose_versions,
    discovery,
    resolve_config,
)
from capi_kamaji_proxmox.kube.discovery import version_sort_key
from capi_kamaji_proxmox.kube.errors import error_from_response


def _kubeconfig(path: Path, *, ctx: str, server: str, ns: str | None = None, current: bool = True,
                ca: str | None = None) -> Path:  # fmt: skip
    cluster: dict[str, Any] = {"server": server}
    if ca:
        cluster["certificate-authority"] = ca
    context: dict[str, Any] = {"cluster": ctx, "user": ctx}
    if ns:
        context["namespace"] = ns
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": ctx, "cluster": cluster}],
        "contexts": [{"name": ctx, "context": context}],
        "users": [{"name": ctx, "user": {"token": f"tok-{ctx}"}}],
    }
    if current:
        doc["current-context"] = ctx
    path.write_text(yaml.safe_dump(doc))
    return path


def test_explicit_kubeconfig_and_context(tmp_path: Path) -> None:
    p = _kubeconfig(tmp_path / "a", ctx="a", server="https://a:6443", ns="team")
    cfg = resolve_config(p, env={})
    assert cfg.cluster.server == "https://a:6443" and cfg.namespace == "team"
    with pytest.raises(KubeConfigError, match="context 'zzz' not found"):
        resolve_config(p, context="zzz", env={})
    with pytest.raises(KubeConfigError, match="not found"):
        resolve_config(tmp_path / "missing", env={})


def test_kubeconfig_from_a_pipe(tmp_path: Path) -> None:
    """``--kubeconfig <(...)``: a FIFO is read once, not rejected as "not found" (issue 10, item 8)."""
    import os
    import threading

    text = _kubeconfig(tmp_path / "src", ctx="p", server="https://p:6443", ns="piped").read_text()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(text))
    writer.start()
    cfg = resolve_config(fifo, env={})
    writer.join(5)
    assert cfg.cluster.server == "https://p:6443" and cfg.namespace == "piped"


def test_kubeconfig_env_list_merges_first_wins(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    a = _kubeconfig(tmp_path / "a", ctx="a", server="https://a:6443", current=False)
    b = _kubeconfig(tmp_path / "sub" / "b", ctx="b", server="https://b:6443", ca="ca.crt")
    # a second definition of context "b" in a later file must not win
    c = _kubeconfig(tmp_path / "c", ctx="b", server="https://wrong:1")
    env = {"KUBECONFIG": f"{a}:{tmp_path / 'nonexistent'}:{b}:{c}"}
    cfg = resolve_config(env=env)
    assert cfg.context_name == "b"  # current-context from the first file that sets it
    assert cfg.cluster.server == "https://b:6443"
    assert cfg.cluster.certificate_auth == str((tmp_path / "sub" / "ca.crt").resolve())
    assert cfg.namespace == "default"
    cfg_a = resolve_config(context="a", env=env)
    assert cfg_a.cluster.server == "https://a:6443"


def test_no_config_anywhere(tmp_path: Path) -> None:
    with pytest.raises(KubeConfigError, match="no kubeconfig found"):
        resolve_config(env={"KUBECONFIG": str(tmp_path / "nope")})


def test_in_cluster(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("t0k")
    (sa / "namespace").write_text("capi-system")
    (sa / "ca.crt").write_text("x")
    env = {"KUBECONFIG": str(tmp_path / "nope"), "KUBERNETES_SERVICE_HOST": "10.0.0.1",
           "KUBERNETES_SERVICE_PORT": "443"}  # fmt: skip
    import os

    old = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KUBERNETES")})
    try:
        cfg = resolve_config(env=env, service_account_dir=sa)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert cfg.cluster.server == "https://10.0.0.1:443"
    assert cfg.namespace == "capi-system"


# ------------------------------------------------------------------ errors


def _status(code: int, reason: str, message: str, causes: list[dict[str, str]] | None = None
            ) -> bytes:  # fmt: skip
    body: dict[str, Any] = {"kind": "Status", "status": "Failure", "code": code,
                            "reason": reason, "message": message}  # fmt: skip
    if causes is not None:
        body["details"] = {"causes": causes}
    return json.dumps(body).encode()


def test_error_types() -> None:
    msg = ('Apply failed with 2 conflicts: conflicts with "kubectl-edit" using v1:\n- .data.a\n'
           '- .data.b')  # fmt: skip
    causes = [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-edit" using v1',
         "field": ".data.a"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "other" using v1',
         "field": ".data.b"},
    ]  # fmt: skip
    e = error_from_response(409, _status(409, "Conflict", msg, causes), apply=True)
    assert isinstance(e, ApplyConflict) and isinstance(e, Conflict)
    assert [(c.manager, c.field) for c in e.conflicts] == [
        ("kubectl-edit", ".data.a"), ("other", ".data.b"),
    ]  # fmt: skip
    assert e.managers == ["kubectl-edit", "other"]
    assert str(e) == msg
    e2 = error_from_response(409, _status(409, "AlreadyExists", 'secrets "x" already exists'))
    assert isinstance(e2, AlreadyExists)
    e3 = error_from_response(409, _status(409, "Conflict", "the object has been modified"))
    assert type(e3) is Conflict
    fb = 'secrets is forbidden: User "bob" cannot create resource "secrets" in API group ""'
    e4 = error_from_response(403, _status(403, "Forbidden", fb))
    assert isinstance(e4, Forbidden) and "cannot create resource" in str(e4)
    e5 = error_from_response(422, _status(422, "Invalid", "Cluster.cluster.x-k8s.io bad",
                             [{"field": "spec.x", "message": "Required value"}]))  # fmt: skip
    assert isinstance(e5, Invalid) and e5.causes[0].field == "spec.x"
    e7 = error_from_response(500, _status(500, "", "failed to create typed patch object (ns/p; /v1, "
                             "Kind=ConfigMap): .bogus: field not declared in schema"), apply=True)  # fmt: skip
    assert isinstance(e7, UnknownFieldError) and e7.fields == [".bogus"]
    e8 = error_from_response(400, _status(400, "BadRequest", 'strict decoding error: unknown field "spec.x"'))
    assert isinstance(e8, UnknownFieldError) and e8.fields == ["spec.x"]
    e6 = error_from_response(404, b"404 page not found")
    assert isinstance(e6, NotFound) and "404 page not found" in str(e6)


# ------------------------------------------------------------------ mock server

Handler = Callable[[httpx2.Request], httpx2.Response]


def mock_client(tmp_path: Path, handler: Handler) -> KubeClient:
    cfg = resolve_config(_kubeconfig(tmp_path / "kc", ctx="m", server="https://mock:6443"), env={})
    return KubeClient(cfg, transport=httpx2.MockTransport(handler))


def _agg(groups: dict[str, dict[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    items = []
    for g, versions in groups.items():
        items.append({
            "metadata": {"name": g},
            "versions": [
                {"version": v, "resources": [
                    {"resource": plural, "responseKind": {"group": "", "version": "", "kind": kind},
                     "scope": "Namespaced", "verbs": ["get", "patch"]}
                    for plural, kind in res
                ]}
                for v, res in versions.items()
            ],
        })  # fmt: skip
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "items": items}  # fmt: skip


MIXED = {
    "cluster.x-k8s.io": {"v1beta2": [("clusters", "Cluster")], "v1beta1": [("clusters", "Cluster")]},
    # KCP makes the group prefer v1beta2, but KamajiControlPlane is only v1alpha1 here
    "controlplane.cluster.x-k8s.io": {
        "v1beta2": [("kubeadmcontrolplanes", "KubeadmControlPlane")],
        "v1alpha1": [("kamajicontrolplanes", "KamajiControlPlane")],
    },
}

REQS = [
    KindRequest("cluster.x-k8s.io", "clusters", ("v1beta2", "v1beta1"), "Cluster API core"),
    KindRequest("controlplane.cluster.x-k8s.io", "kamajicontrolplanes", ("v1alpha2", "v1alpha1"),
                "Kamaji control-plane provider"),
]  # fmt: skip


def test_discovery_aggregated_is_one_request_and_per_kind(tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        seen.append(req.url.path)
        assert req.url.path == "/apis"
        assert "apidiscovery.k8s.io;v=v2" in req.headers["accept"]
        assert req.headers["authorization"] == "Bearer tok-m"
        return httpx2.Response(200, json=_agg(MIXED))

    c = mock_client(tmp_path, handler)
    got = choose_versions(c, REQS)
    assert got[("cluster.x-k8s.io", "clusters")].version == "v1beta2"
    kcp = got[("controlplane.cluster.x-k8s.io", "kamajicontrolplanes")]
    assert (kcp.version, kcp.kind, kcp.namespaced) == ("v1alpha1", "KamajiControlPlane", True)
    assert kcp.path("ns", "x") == ("/apis/controlplane.cluster.x-k8s.io/v1alpha1/namespaces/ns/kamajicontrolplanes/x")
    # cached: more lookups cost nothing
    choose_versions(c, REQS)
    assert discovery(c).resolve("cluster.x-k8s.io/v1beta1", "Cluster").plural == "clusters"
    assert c.counter.total == 1 and seen == ["/apis"]


def test_discovery_legacy_fallback(tmp_path: Path) -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        p = req.url.path
        if p == "/apis":
            return httpx2.Response(200, json={"kind": "APIGroupList", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs]}
                for g, vs in MIXED.items()]})  # fmt: skip
        _, _, g, v = p.split("/")
        res = MIXED[g][v]
        return httpx2.Response(200, json={"kind": "APIResourceList", "resources": [
            {"name": n, "kind": k, "namespaced": True, "verbs": []} for n, k in res] + [
            {"name": f"{res[0][0]}/status", "kind": "X", "namespaced": True}]})  # fmt: skip

    c = mock_client(tmp_path, handler)
    got = choose_versions(c, REQS)
    assert got[("controlplane.cluster.x-k8s.io", "kamajicontrolplanes")].version == "v1alpha1"
    assert got[("cluster.x-k8s.io", "clusters")].version == "v1beta2"
    # /apis + cluster v1beta2 + controlplane v1alpha2? (not served: skipped) + v1alpha1
    assert c.counter.total == 3
    assert [p for _, p in c.counter.requests] == [
        "/apis",
        "/apis/cluster.x-k8s.io/v1beta2",
        "/apis/controlplane.cluster.x-k8s.io/v1alpha1",
    ]


def test_discovery_errors(tmp_path: Path) -> None:
    c = mock_client(
        tmp_path,
        lambda req: httpx2.Response(
            200, json=_agg({"controlplane.cluster.x-k8s.io": {"v1beta2": [("kubeadmcontrolplanes", "KCP")]}})
        ),
    )
    with pytest.raises(GroupNotServed) as e:
        discovery(c).choose(REQS[0])
    assert str(e.value) == "Cluster API core is not installed: no cluster.x-k8s.io API is served"
    with pytest.raises(KindNotServed, match=r"Kamaji control-plane provider: kamajicontrolplanes"):
        discovery(c).choose(REQS[1])


def test_version_priority() -> None:
    vs = ["v1alpha1", "v1", "v1beta2", "v2", "v1beta1", "v1alpha2", "foo"]
    assert sorted(vs, key=version_sort_key, reverse=True) == [
        "v2", "v1", "v1beta2", "v1beta1", "v1alpha2", "v1alpha1", "foo",
    ]  # fmt: skip


def test_counter_counts_lightkube_too(tmp_path: Path) -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.url.path.endswith("/configmaps/x"):
            return httpx2.Response(
                200, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}}
            )
        return httpx2.Response(404, json={"kind": "Status", "code": 404, "reason": "NotFound",
                                          "message": "nope"})  # fmt: skip

    from lightkube.resources.core_v1 import ConfigMap

    c = mock_client(tmp_path, handler)
    cm = c.lightkube().get(ConfigMap, "x")
    assert cm.metadata is not None and cm.metadata.name == "x"
    with pytest.raises(NotFound, match="nope"):
        c.request("GET", "/api/v1/namespaces/default/secrets/y")
    assert c.counter.total == 2 and c.counter.count("GET") == 2
    c.counter.reset()
    assert c.counter.total == 0


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    calls: list[int] = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx2.Response(
                429,
                headers={"Retry-After": "0"},
                json={"kind": "Status", "code": 429, "message": "storage is (re)initializing"},
            )
        return httpx2.Response(200, json={"items": []})

    c = mock_client(tmp_path, handler)
    assert c.request("GET", "/apis/cluster.x-k8s.io/v1beta2/clusters") == {"items": []}
    assert c.counter.total == 2


def test_discovery_fetches_a_stale_aggregated_version_on_its_own(tmp_path: Path) -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.url.path == "/apis":
            data = _agg(MIXED)
            data["items"][1]["versions"][1] = {"version": "v1alpha1", "freshness": "Stale", "resources": []}
            return httpx2.Response(200, json=data)
        assert req.url.path == "/apis/controlplane.cluster.x-k8s.io/v1alpha1"
        return httpx2.Response(200, json={"kind": "APIResourceList", "resources": [
            {"name": "kamajicontrolplanes", "kind": "KamajiControlPlane", "namespaced": True}]})  # fmt: skip

    c = mock_client(tmp_path, handler)
    assert choose_versions(c, REQS)[("controlplane.cluster.x-k8s.io", "kamajicontrolplanes")].version == "v1alpha1"
    assert [p for _, p in c.counter.requests] == ["/apis", "/apis/controlplane.cluster.x-k8s.io/v1alpha1"]
