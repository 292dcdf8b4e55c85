"""Release storage against a real kube-apiserver, and interoperability with the real helm binary.

The important property: records our storage writes are Helm's own format, so ``helm list``,
``history``, ``get values|manifest``, ``rollback`` and ``uninstall`` work on them, and releases
``helm install`` wrote decode here.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from capi_kamaji_proxmox.kube import KubeClient, NotFound, ObjectRef, connect, get
from capi_kamaji_proxmox.kube.apply import apply
from capi_kamaji_proxmox.release import (
    Chart,
    ChartMetadata,
    Info,
    NoDeployedRelease,
    Release,
    ReleaseConflict,
    ReleaseExists,
    ReleaseNotFound,
    SecretStorage,
    Status,
    build_manifest,
    latest_per_release,
    stamp_ownership,
)
from tests.harness.cluster import ControlPlane

pytestmark = pytest.mark.integration

T0 = datetime(2026, 8, 20, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def kc(mgmt_cluster: ControlPlane, namespace: str) -> Iterator[KubeClient]:
    client = connect(kubeconfig=mgmt_cluster.kubeconfig, namespace=namespace)
    yield client
    client.close()


@pytest.fixture
def store(kc: KubeClient) -> SecretStorage:
    return SecretStorage(kc)


def cm(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def rel(
    namespace: str, version: int, status: Status = Status.DEPLOYED, name: str = "demo", value: str = "x", **kw: Any
) -> Release:
    manifest = build_manifest([("capi-kamaji-proxmox/templates/cm.yaml", cm(f"{name}-cfg", value))])
    return Release(
        name=name,
        namespace=namespace,
        version=version,
        info=Info(
            first_deployed=T0,
            last_deployed=T0 + timedelta(minutes=version),
            status=status,
            description="Install complete" if version == 1 else "Upgrade complete",
            notes=f"notes of revision {version}",
        ),
        chart=Chart(
            metadata=ChartMetadata(name="capi-kamaji-proxmox", version="0.1.0", appVersion="1.14.0"),
            values={"replicas": 1},
        ),
        config={"value": value, "proxmox": {"url": "https://pve:8006", "token": "TOPSECRET"}},
        manifest=manifest,
        **kw,
    )


# ------------------------------------------------------------------ storage semantics


def test_create_get_history_last_deployed(store: SecretStorage, kc: KubeClient, namespace: str) -> None:
    with pytest.raises(ReleaseNotFound):
        store.last("demo")
    with pytest.raises(NoDeployedRelease):
        store.deployed("demo")
    store.create(rel(namespace, 1, Status.SUPERSEDED))
    created = store.create(rel(namespace, 2, labels={"team": "infra"}))
    assert created.resource_version

    secret = kc.request("GET", f"/api/v1/namespaces/{namespace}/secrets/sh.helm.release.v1.demo.v2")
    assert secret["type"] == "helm.sh/release.v1"
    labels = secret["metadata"]["labels"]
    assert {k: labels[k] for k in ("owner", "name", "status", "version", "team")} == {
        "owner": "helm",
        "name": "demo",
        "status": "deployed",
        "version": "2",
        "team": "infra",
    }
    assert labels["createdAt"].isdigit()
    assert list(secret["data"]) == ["release"]

    kc.counter.reset()
    got = store.get("demo", 2)
    assert kc.counter.total == 1  # one GET per read; history/last/deployed are one LIST each
    assert got.status is Status.DEPLOYED and got.labels == {"team": "infra"}
    assert got.config == {"value": "x", "proxmox": {"url": "https://pve:8006"}}  # token never stored
    assert [r.version for r in store.history("demo")] == [1, 2]
    assert store.last("demo").version == 2
    assert store.deployed("demo").version == 2
    assert kc.counter.total == 4
    with pytest.raises(ReleaseNotFound):
        store.get("demo", 7)


def test_create_is_atomic(store: SecretStorage, namespace: str) -> None:
    store.create(rel(namespace, 1))
    with pytest.raises(ReleaseExists):
        store.create(rel(namespace, 1))

    results: list[str] = []
    barrier = threading.Barrier(4)

    def racer(i: int) -> None:
        barrier.wait()
        try:
            store.create(rel(namespace, 2, value=f"racer{i}"))
            results.append(f"won{i}")
        except ReleaseExists:
            results.append("lost")

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("lost") == 3 and len(results) == 4
    winner = next(r for r in results if r.startswith("won"))
    assert store.get("demo", 2).config["value"] == "racer" + winner[3:]


def test_update_is_conditional(store: SecretStorage, kc: KubeClient, namespace: str) -> None:
    store.create(rel(namespace, 1))
    a = store.get("demo", 1)
    b = store.get("demo", 1)
    a.info.status = Status.SUPERSEDED
    a2 = store.update(a)
    assert a2.resource_version != a.resource_version
    b.info.status = Status.FAILED
    with pytest.raises(ReleaseConflict):
        store.update(b)
    now = store.get("demo", 1)
    assert now.status is Status.SUPERSEDED
    secret = kc.request("GET", f"/api/v1/namespaces/{namespace}/secrets/sh.helm.release.v1.demo.v1")
    labels = secret["metadata"]["labels"]
    assert labels["status"] == "superseded" and labels["modifiedAt"].isdigit() and "createdAt" in labels
    # unconditional update (like helm) works without a resourceVersion
    now.resource_version = None
    now.info.description = "edited"
    store.update(now)
    assert store.get("demo", 1).info.description == "edited"
    with pytest.raises(ReleaseNotFound):
        store.update(rel(namespace, 9))


def test_list_filters_and_namespaces(store: SecretStorage, kc: KubeClient, mgmt_cluster: ControlPlane) -> None:
    ns = store.namespace
    store.create(rel(ns, 1, Status.SUPERSEDED))
    store.create(rel(ns, 2, Status.DEPLOYED))
    store.create(rel(ns, 1, Status.FAILED, name="other"))
    other_ns = mgmt_cluster.create_namespace("rel-other")
    SecretStorage(kc, other_ns).create(rel(other_ns, 1, name="elsewhere"))

    everything = store.list()
    assert sorted((r.name, r.version) for r in everything) == [("demo", 1), ("demo", 2), ("other", 1)]
    assert [(r.name, r.version) for r in store.list(statuses=[Status.DEPLOYED])] == [("demo", 2)]
    assert [r.name for r in latest_per_release(store.list())] == ["demo", "other"]
    assert store.list(statuses=[]) == []
    all_ns = store.list(all_namespaces=True)
    assert {(r.namespace, r.name) for r in all_ns} >= {(ns, "demo"), (other_ns, "elsewhere")}


def test_prune_never_deletes_deployed(store: SecretStorage, namespace: str) -> None:
    # revision 2 is the deployed one, 3..5 failed upgrades afterwards
    store.create(rel(namespace, 1, Status.SUPERSEDED))
    store.create(rel(namespace, 2, Status.DEPLOYED))
    for v in (3, 4, 5):
        store.create(rel(namespace, v, Status.FAILED))
    assert store.prune("demo", 0) == []
    assert store.prune("demo", 10) == []
    assert store.prune("demo", 2) == [1, 3, 4]
    assert [r.version for r in store.history("demo")] == [2, 5]
    assert store.prune("demo", 1) == [5]
    assert [r.version for r in store.history("demo")] == [2]


def test_delete(store: SecretStorage, namespace: str) -> None:
    store.create(rel(namespace, 1, Status.SUPERSEDED))
    store.create(rel(namespace, 2))
    gone = store.delete("demo", 1)
    assert gone is not None and gone.version == 1
    assert store.delete("demo", 1) is None
    assert store.delete_all("demo") == [2]
    assert store.history("demo") == []


# ------------------------------------------------------------------ helm interoperability


def helm(helm_bin: Path, kubeconfig: Path, home: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    proc = subprocess.run([str(helm_bin), *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"helm {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def test_helm_reads_and_operates_on_our_records(
    store: SecretStorage, kc: KubeClient, namespace: str, helm_bin: Path, mgmt_cluster: ControlPlane, tmp_path: Path
) -> None:
    kube = mgmt_cluster.kubeconfig

    def h(*args: str) -> str:
        return helm(helm_bin, kube, tmp_path, *args)

    # Two revisions like our install + upgrade would leave them, with the live object applied.
    r1 = rel(namespace, 1, Status.SUPERSEDED, value="one")
    r2 = rel(namespace, 2, Status.DEPLOYED, value="two")
    store.create(r1)
    store.create(r2)
    apply(kc, stamp_ownership(cm("demo-cfg", "two"), "demo", namespace))

    listed = json.loads(h("list", "-n", namespace, "-o", "json"))
    assert len(listed) == 1
    entry = listed[0]
    assert (entry["name"], entry["namespace"], entry["revision"], entry["status"]) == (
        "demo",
        namespace,
        "2",
        "deployed",
    )
    assert (entry["chart"], entry["app_version"]) == ("capi-kamaji-proxmox-0.1.0", "1.14.0")
    assert entry["updated"].startswith("2026-08-20 10:02:00")

    hist = json.loads(h("history", "demo", "-n", namespace, "-o", "json"))
    assert [(x["revision"], x["status"], x["description"]) for x in hist] == [
        (1, "superseded", "Install complete"),
        (2, "deployed", "Upgrade complete"),
    ]

    values = json.loads(h("get", "values", "demo", "-n", namespace, "-o", "json"))
    assert values == {"value": "two", "proxmox": {"url": "https://pve:8006"}}
    all_values = json.loads(h("get", "values", "demo", "-n", namespace, "--all", "-o", "json"))
    assert all_values["replicas"] == 1
    manifest_out = h("get", "manifest", "demo", "-n", namespace)
    assert manifest_out.strip() == r2.manifest.strip()
    assert h("get", "notes", "demo", "-n", namespace, "--revision", "1").strip().endswith("notes of revision 1")
    status = json.loads(h("status", "demo", "-n", namespace, "-o", "json"))
    assert status["info"]["status"] == "deployed" and status["version"] == 2

    # helm rollback re-applies revision 1's manifest and writes revision 3; we read helm's record.
    h("rollback", "demo", "1", "-n", namespace)
    assert get(kc, ObjectRef("v1", "ConfigMap", "demo-cfg", namespace))["data"] == {"v": "one"}
    hist3 = store.history("demo")
    assert [(r.version, r.status) for r in hist3] == [
        (1, Status.SUPERSEDED),
        (2, Status.SUPERSEDED),
        (3, Status.DEPLOYED),
    ]
    assert hist3[-1].info.description == "Rollback to 1"
    assert hist3[-1].config["value"] == "one"

    # helm uninstall deletes the objects in the manifest and all records.
    h("uninstall", "demo", "-n", namespace)
    assert store.history("demo") == []
    with pytest.raises(NotFound):
        get(kc, ObjectRef("v1", "ConfigMap", "demo-cfg", namespace))


def test_we_read_what_helm_install_writes(
    store: SecretStorage, namespace: str, helm_bin: Path, mgmt_cluster: ControlPlane, tmp_path: Path
) -> None:
    chart = tmp_path / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.3.0\nappVersion: '9.9'\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    )
    (chart / "templates" / "NOTES.txt").write_text("Installed {{ .Release.Name }}.\n")

    def h(*args: str) -> str:
        return helm(helm_bin, mgmt_cluster.kubeconfig, tmp_path, *args)

    h("install", "tiny", str(chart), "-n", namespace, "--set", "greeting=hi", "--labels", "team=a")
    r = store.last("tiny")
    assert (r.name, r.namespace, r.version, r.status) == ("tiny", namespace, 1, Status.DEPLOYED)
    assert r.info.description == "Install complete"
    assert r.info.first_deployed is not None and r.info.first_deployed.tzinfo is not None
    assert r.info.notes.strip() == "Installed tiny."
    assert r.chart is not None
    assert (r.chart.metadata.name, r.chart.metadata.version, r.chart.metadata.app_version) == ("tiny", "0.3.0", "9.9")
    assert r.chart.values == {"greeting": "hello"}
    assert sorted(t.name for t in r.chart.templates) == ["templates/NOTES.txt", "templates/cm.yaml"]
    assert "{{ .Values.greeting | quote }}" in next(t.text for t in r.chart.templates if t.name.endswith("cm.yaml"))
    assert r.config == {"greeting": "hi"}
    assert "# Source: tiny/templates/cm.yaml" in r.manifest and 'greeting: "hi"' in r.manifest
    assert r.labels == {"team": "a"}

    h("upgrade", "tiny", str(chart), "-n", namespace, "--set", "greeting=bye")
    hist = store.history("tiny")
    assert [(x.version, x.status) for x in hist] == [(1, Status.SUPERSEDED), (2, Status.DEPLOYED)]

    # rewriting helm's record through our storage keeps it readable for helm
    first = hist[0]
    first.info.description = "touched by capi-kamaji-proxmox"
    store.update(first)
    out = json.loads(h("history", "tiny", "-n", namespace, "-o", "json"))
    assert out[0]["description"] == "touched by capi-kamaji-proxmox" and out[1]["status"] == "deployed"
    assert json.loads(h("get", "values", "tiny", "-n", namespace, "--revision", "1", "-o", "json")) == {
        "greeting": "hi"
    }
