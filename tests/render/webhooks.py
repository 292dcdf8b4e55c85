"""The provider webhook rules a bare API server does not enforce (api-generations.md section 2),
checked on rendered objects so the schema tier covers them too."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

SEMVER = re.compile(r"^v\d+\.\d+\.\d+([-+].*)?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _ip_pool_problems(obj: dict[str, Any]) -> list[str]:
    spec = obj["spec"]
    out = []
    prefix = spec["prefix"]
    gateway = spec.get("gateway")
    families = set()
    net = ipaddress.ip_network(f"{gateway}/{prefix}", strict=False) if gateway else None
    for text in spec["addresses"]:
        parts = text.split("-") if "-" in text else [text.split("/")[0]]
        for p in parts:
            addr = ipaddress.ip_address(p.strip())
            families.add(addr.version)
            if net is not None and addr not in net:
                out.append(f"InClusterIPPool {obj['metadata']['name']}: {addr} outside {net}")
    if len(families) > 1:
        out.append(f"InClusterIPPool {obj['metadata']['name']}: mixed IP families")
    return out


def problems(objs: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for obj in objs:
        kind, name = obj["kind"], obj["metadata"]["name"]
        spec = obj.get("spec") or {}
        if kind in ("Cluster", "MachineDeployment") and (len(name) > 63 or not LABEL_VALUE.match(name)):
            out.append(f"{kind} {name}: name is not a valid label value")
        if kind == "MachineDeployment":
            sel = spec["selector"].get("matchLabels") or {}
            labels = spec["template"]["metadata"]["labels"]
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                out.append(f"MachineDeployment {name}: selector does not match the template labels")
            if spec["clusterName"] != spec["template"]["spec"]["clusterName"]:
                out.append(f"MachineDeployment {name}: clusterName differs from the template's")
            if not SEMVER.match(spec["template"]["spec"]["version"]):
                out.append(f"MachineDeployment {name}: version is not v+semver")
            rolling = (
                ((spec.get("rollout") or {}).get("strategy") or spec.get("strategy") or {}).get("rollingUpdate")
            ) or {}
            if rolling.get("maxSurge") in (0, "0%") and rolling.get("maxUnavailable") in (0, "0%"):
                out.append(f"MachineDeployment {name}: maxSurge and maxUnavailable both 0")
        if kind == "MachineHealthCheck":
            if not (spec["selector"].get("matchLabels") or spec["selector"].get("matchExpressions")):
                out.append(f"MachineHealthCheck {name}: empty selector")
            secs = (spec.get("checks") or {}).get("nodeStartupTimeoutSeconds")
            if secs is not None and 0 < secs < 30:
                out.append(f"MachineHealthCheck {name}: nodeStartupTimeoutSeconds below 30")
        if kind == "KubeadmConfigTemplate":
            tspec = spec["template"]["spec"]
            for f in tspec.get("files") or []:
                if ("content" in f) == ("contentFrom" in f):
                    out.append(
                        f"KubeadmConfigTemplate {name}: file {f['path']} needs exactly one of content/contentFrom"
                    )
            for u in tspec.get("users") or []:
                if "passwd" in u and "passwdFrom" in u:
                    out.append(f"KubeadmConfigTemplate {name}: user {u['name']} has passwd and passwdFrom")
        if kind == "ProxmoxMachineTemplate":
            tspec = spec["template"]["spec"]
            if "providerID" in tspec:
                out.append(f"ProxmoxMachineTemplate {name}: providerID in a template")
            if ("sourceNode" in tspec) == ("templateSelector" in tspec) or ("templateID" in tspec) == (
                "templateSelector" in tspec
            ):
                out.append(f"ProxmoxMachineTemplate {name}: needs exactly one template source (the clone's CEL rule)")
            net = tspec["network"]
            devices = net.get("networkDevices") or [net.get("default", {})] + (net.get("additionalDevices") or [])
            names = [d.get("name", "net0") for d in devices]
            if names != [f"net{i}" for i in range(len(names))]:
                out.append(f"ProxmoxMachineTemplate {name}: device names not consecutive: {names}")
            if sum(1 for d in devices if d.get("defaultIPv4")) > 1:
                out.append(f"ProxmoxMachineTemplate {name}: more than one defaultIPv4 device")
            for d in devices:
                mtu = d.get("mtu")
                if mtu is not None and mtu != 1 and mtu < 1280:
                    out.append(f"ProxmoxMachineTemplate {name}: MTU {mtu} below 1280")
        if kind == "ProxmoxCluster":
            if not (spec.get("ipv4Config") or spec.get("ipv6Config")):
                out.append(f"ProxmoxCluster {name}: no IP config")
            if spec.get("externalManagedControlPlane") is not True:
                out.append(f"ProxmoxCluster {name}: control plane not marked externally managed")
        if kind == "InClusterIPPool":
            out += _ip_pool_problems(obj)
    return out
