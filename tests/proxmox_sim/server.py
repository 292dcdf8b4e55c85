"""HTTPS server that answers like pveproxy for the preflight subset of the PVE API.

Behaviour follows shared/docs/proxmox-api.md: token auth (401 with an empty body), per-item
filtering instead of errors on list endpoints, 403 ``Permission check failed (<path>, <priv>)``,
500 for missing objects, 501 for unknown paths (which is what a doubled ``/api2/json`` gets),
595 for offline nodes behind the proxy, and Perl typing (0/1 booleans, some numbers as strings).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .acl import AccessConfig
from .certs import TLSFiles
from .inventory import GIB, MIB, Inventory, SimIface, SimStorage, SimVM, TokenCredentials

_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off"}


class ApiError(Exception):
    """A PVE error answer: status, message (reason phrase = first line) and optional errors."""

    def __init__(
        self, status: int, message: str, errors: dict[str, str] | None = None, empty_body: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.empty_body = empty_body


def _param_error(errors: dict[str, str]) -> ApiError:
    return ApiError(400, "Parameter verification failed.\n", errors)


def _perm_error(path: str, *privs: str) -> ApiError:
    return ApiError(403, f"Permission check failed ({path}, {'|'.join(privs)})\n")


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the simulator saw it (the token secret is never recorded)."""

    method: str
    path: str  # path below /api2/json, e.g. /nodes/pve1/status
    raw_path: str  # the full request path without query
    query: dict[str, str]
    auth_id: str | None
    status: int


@dataclass
class Ctx:
    """Per-request state handed to the endpoint functions."""

    inv: Inventory
    acc: AccessConfig
    auth_id: str
    params: dict[str, str]
    match: dict[str, str] = field(default_factory=dict)

    def can(self, path: str, *privs: str) -> bool:
        return self.acc.has(self.auth_id, path, *privs)

    def require(self, path: str, *privs: str) -> None:
        if not self.can(path, *privs):
            raise _perm_error(path, *privs)

    def flag(self, name: str) -> bool:
        value = self.params.get(name)
        return value is not None and value.lower() in _BOOL_TRUE


Endpoint = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    func: Endpoint
    params: dict[str, str]  # name -> "bool" | "int" | "str" | "enum:a,b,c"
    proxied: bool = False  # runs on the node named in the path


class PVESimulator:
    """A running simulator. Use as a context manager; ``url`` and ``ca_path`` point at it."""

    def __init__(self, inventory: Inventory, tls: TLSFiles, *, host: str = "127.0.0.1") -> None:
        self.inventory = inventory
        self.tls = tls
        self.requests: list[LoggedRequest] = []
        self.auth_failure_delay = 0.0  # real pveproxy waits ~3 s before a 401
        self.response_delay = 0.0  # added before every answer (for timeout tests)
        self._lock = threading.Lock()
        self._host = host
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = _routes()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> PVESimulator:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.tls.cert_path), str(self.tls.key_path))
        handler = _make_handler(self)
        server = ThreadingHTTPServer((self._host, 0), handler)
        server.daemon_threads = True
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="pve-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PVESimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- accessors -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "simulator not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{self._host}:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.tls.ca_path

    def add_token(self, userid: str, name: str, **kwargs: Any) -> TokenCredentials:
        """Shortcut for ``inventory.add_token``."""
        return self.inventory.add_token(userid, name, **kwargs)

    def calls(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Logged requests, optionally filtered by method and API path."""
        with self._lock:
            return [
                r for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- request processing ----------------------------------------------------------------
    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def handle(
        self, method: str, raw: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes | None, str | None]:
        """Answer one request: (status, reason phrase, body or None, auth id)."""
        split = urllib.parse.urlsplit(raw)
        raw_path = urllib.parse.unquote(split.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        if method in ("POST", "PUT") and body:
            query.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        auth_id: str | None = None
        rel = raw_path
        try:
            m = re.match(r"^/api2/([^/]+)(/.*)?$", raw_path)
            if not m:
                raise ApiError(501, f"Method '{method} {raw_path}' not implemented", empty_body=True)
            fmt, rel = m.group(1), (m.group(2) or "/")
            if fmt != "json":
                raise ApiError(501, f"no formatter for uri {rel}, {fmt}", empty_body=True)
            rel = rel.rstrip("/") or "/"
            auth_id = self._authenticate(headers.get("authorization"))
            result = self._dispatch(method, rel, query, auth_id)
            payload = json.dumps({"data": result}).encode()
            status, reason, out = 200, "OK", payload
        except ApiError as err:
            status = err.status
            reason = err.message.split("\n", 1)[0]
            if err.empty_body:
                out = b""
            else:
                doc: dict[str, Any] = {"data": None, "message": err.message}
                if err.errors is not None:
                    doc["errors"] = err.errors
                out = json.dumps(doc).encode()
        self._log(LoggedRequest(method, rel, raw_path, query, auth_id, status))
        if status == 401 and self.auth_failure_delay:
            time.sleep(self.auth_failure_delay)
        if self.response_delay:
            time.sleep(self.response_delay)
        return status, reason, out, auth_id

    def _authenticate(self, header: str | None) -> str:
        """Token check as in ``extract_auth_value``/``verify_token``; any failure is a 401."""
        inv = self.inventory
        if not header or not header.startswith("PVEAPIToken"):
            raise ApiError(401, "No ticket", empty_body=True)
        rest = header[len("PVEAPIToken") :]
        if not rest or rest[0] not in "= ":
            raise ApiError(401, "No ticket", empty_body=True)
        value = urllib.parse.unquote(rest[1:].split(";", 1)[0].strip())
        failed = ApiError(401, "Authentication failed!", empty_body=True)
        if "=" not in value:
            raise failed
        token_id, secret = value.rsplit("=", 1)
        if "!" not in token_id:
            raise failed
        userid, name = token_id.split("!", 1)
        user = inv.users.get(userid)
        now = time.time()
        if user is None or not user.enable or (user.expire and user.expire < now):
            raise failed
        token = user.tokens.get(name)
        if token is None or (token.expire and token.expire < now) or token.secret != secret:
            raise failed
        return token_id

    def _dispatch(self, method: str, rel: str, query: dict[str, str], auth_id: str) -> Any:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.pattern.fullmatch(rel)
            if not m:
                continue
            params = _validate(route.params, query)
            inv = self.inventory
            with self._lock:
                ctx = Ctx(inv, inv.access(), auth_id, params, m.groupdict())
                if "node" in ctx.match:
                    _check_node(inv, ctx.match["node"], proxied=route.proxied)
                return route.func(ctx)
        raise ApiError(501, f"Method '{method} {rel}' not implemented")


def _make_handler(sim: PVESimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "pve-api-daemon/3.0"
        sys_version = ""

        def setup(self) -> None:
            conn = self.request
            conn.settimeout(10)
            # headers and body go out in separate writes; without this Nagle + delayed ACK
            # add ~40 ms to every response
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                conn.do_handshake()
            except (ssl.SSLError, OSError):
                self.handshake_failed = True
            else:
                self.handshake_failed = False
            super().setup()

        def handle(self) -> None:
            if self.handshake_failed:
                return
            try:
                super().handle()
            except (ssl.SSLError, ConnectionError, TimeoutError):
                return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reason, out, _ = sim.handle(self.command, self.path, headers, body)
            self.send_response(status, reason)
            if out:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(out or b"")))
            self.send_header("Cache-Control", "max-age=0")
            self.end_headers()
            if out:
                self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _validate(schema: dict[str, str], query: dict[str, str]) -> dict[str, str]:
    """PVE's JSON-schema parameter check: unknown keys, enums, booleans and integers."""
    errors: dict[str, str] = {}
    for key, value in query.items():
        kind = schema.get(key)
        if kind is None:
            errors[key] = "property is not defined in schema and the schema does not allow additional properties"
        elif kind == "bool" and value.lower() not in _BOOL_TRUE | _BOOL_FALSE:
            errors[key] = f"type check ('boolean') failed - got '{value}'"
        elif kind == "int" and not re.fullmatch(r"[+-]?\d+", value):
            errors[key] = f"type check ('integer') failed - got '{value}'"
        elif kind.startswith("enum:"):
            allowed = kind[5:].split(",")
            if value not in allowed:
                errors[key] = f"value '{value}' does not have a value in the enumeration '{', '.join(allowed)}'"
    if errors:
        raise _param_error(errors)
    return query


def _check_node(inv: Inventory, name: str, *, proxied: bool) -> None:
    node = inv.node(name)
    if node is None:
        raise ApiError(500, f"no such cluster node '{name}'\n")
    local = inv.nodes[0].name if inv.nodes else None
    if proxied and name != local and node.status != "online":
        raise ApiError(595, "No route to host", empty_body=True)


# -- endpoint implementations -----------------------------------------------------------------


def _version(c: Ctx) -> Any:
    return {"version": c.inv.version, "release": c.inv.release, "repoid": "14a22df3a1b2c3d4"}


def _node_entry(c: Ctx, node: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "node": node.name,
        "status": node.status,
        "id": f"node/{node.name}",
        "type": "node",
        "level": node.level,
        "ssl_fingerprint": "AA:BB:CC:DD:" + hashlib.sha1(node.name.encode()).hexdigest()[:8].upper(),
    }
    if c.can(f"/nodes/{node.name}", "Sys.Audit") and node.status == "online":
        out.update(
            cpu=0.05,
            maxcpu=node.cpus,
            mem=node.memory_used,
            maxmem=node.memory_total,
            disk=10 * GIB,
            maxdisk=100 * GIB,
            uptime=node.uptime,
        )
    return out


def _nodes(c: Ctx) -> Any:
    return [_node_entry(c, n) for n in c.inv.nodes]


def _node_status(c: Ctx) -> Any:
    name = c.match["node"]
    c.require(f"/nodes/{name}", "Sys.Audit")
    n = c.inv.node(name)
    assert n is not None
    free = n.memory_total - n.memory_used
    return {
        "memory": {"total": n.memory_total, "used": n.memory_used, "free": free, "available": free},
        "swap": {"total": 8 * GIB, "used": 0, "free": 8 * GIB},
        "cpu": 0.05,
        "wait": 0.0,
        "idle": 0,
        "cpuinfo": {
            "cpus": n.cpus,
            "cores": n.cpus // n.sockets,
            "sockets": n.sockets,
            "model": n.cpu_model,
            "mhz": "3000.000",
            "hvm": "1",
            "flags": "fpu vme",
        },
        "loadavg": ["0.10", "0.20", "0.30"],
        "uptime": n.uptime,
        "pveversion": f"pve-manager/{c.inv.version}/14a22df3",
        "kversion": "Linux 6.14.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2",
        "rootfs": {"total": 100 * GIB, "used": 10 * GIB, "free": 90 * GIB, "avail": 85 * GIB},
        "ksm": {"shared": 0},
    }


def _guest_list_entry(vm: SimVM) -> dict[str, Any]:
    out: dict[str, Any] = {
        "vmid": vm.vmid,
        "name": vm.display_name(),
        "status": vm.status,
        "maxmem": vm.memory_mib * MIB,
        "maxdisk": vm.disk_gb * GIB,
        "cpus": vm.cores * vm.sockets,
        "mem": vm.memory_mib * MIB // 2 if vm.status == "running" else 0,
        "cpu": 0,
        "uptime": 3600 if vm.status == "running" else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    if vm.kind == "lxc":
        out["type"] = "lxc"
    if vm.template:
        out["template"] = 1
    if vm.tags:
        out["tags"] = vm.tag_string()
    if vm.lock:
        out["lock"] = vm.lock
    if vm.status == "running":
        out["pid"] = 4000 + vm.vmid
    return out


def _guests(kind: str) -> Endpoint:
    def handler(c: Ctx) -> Any:
        node = c.match["node"]
        return [
            _guest_list_entry(v)
            for v in c.inv.vms
            if v.node == node and v.kind == kind and c.can(f"/vms/{v.vmid}", "VM.Audit")
        ]

    return handler


def _vm_config_values(vm: SimVM) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "name": vm.display_name(),
        "memory": str(vm.memory_mib),
        "cores": vm.cores,
        "sockets": vm.sockets,
        "cpu": "x86-64-v2-AES",
        "numa": 0,
        "scsihw": "virtio-scsi-single",
        "boot": "order=scsi0;net0",
        "ostype": "l26",
        "net0": f"virtio=BC:24:11:{vm.vmid % 256:02X}:BB:CC,bridge={vm.bridge},firewall=1",
        "scsi0": (f"{vm.storage}:{'base' if vm.template else 'vm'}-{vm.vmid}-disk-0,iothread=1,size={vm.disk_gb}G"),
        "ide2": f"{vm.storage}:vm-{vm.vmid}-cloudinit,media=cdrom",
        "vmgenid": f"3f1c2a4e-0000-4000-8000-00000000{vm.vmid % 10000:04d}",
        "smbios1": "uuid=6c3fa683-bef9-4425-b413-eaa45a9d6191",
        "meta": "creation-qemu=9.2.0,ctime=1735689600",
    }
    if vm.agent is not None:
        cfg["agent"] = vm.agent
    if vm.template:
        cfg["template"] = 1
    if vm.tags:
        cfg["tags"] = vm.tag_string()
    cfg.update(vm.extra_config)
    cfg["digest"] = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()
    return cfg


def _find_vm_on_node(c: Ctx) -> SimVM:
    node, vmid = c.match["node"], int(c.match["vmid"])
    c.require(f"/vms/{vmid}", "VM.Audit")
    vm = c.inv.vm(vmid)
    if vm is None or vm.node != node or vm.kind != "qemu":
        raise ApiError(500, f"Configuration file 'nodes/{node}/qemu-server/{vmid}.conf' does not exist\n")
    return vm


def _vm_config(c: Ctx) -> Any:
    return _vm_config_values(_find_vm_on_node(c))


def _vm_status_current(c: Ctx) -> Any:
    vm = _find_vm_on_node(c)
    out = _guest_list_entry(vm)
    out["qmpstatus"] = vm.status
    if vm.agent is not None:
        out["agent"] = 1 if vm.agent.split(",")[0] in ("1", "enabled=1") else 0
    return out


def _vm_resource(c: Ctx, vm: SimVM) -> dict[str, Any]:
    base: dict[str, Any] = {"id": f"{vm.kind}/{vm.vmid}", "vmid": vm.vmid, "node": vm.node, "type": vm.kind}
    if not vm.has_rrd:
        base["status"] = "unknown"
    else:
        base.update(
            name=vm.display_name(),
            status=vm.status,
            template=int(vm.template),
            maxcpu=vm.cores * vm.sockets,
            cpu=0,
            maxmem=vm.memory_mib * MIB,
            mem=0,
            maxdisk=vm.disk_gb * GIB,
            disk=0,
            uptime=0,
            netin=0,
            netout=0,
            diskread=0,
            diskwrite=0,
        )
    if vm.tags:
        base["tags"] = vm.tag_string()
    if vm.lock:
        base["lock"] = vm.lock
    pool = c.inv.pool_of_vm(vm.vmid)
    if pool and c.can(f"/pool/{pool}", "Pool.Audit"):
        base["pool"] = pool
    return base


def _storage_resources(c: Ctx) -> list[dict[str, Any]]:
    out = []
    for node in c.inv.nodes:
        for s in c.inv.storages:
            if not s.enabled_on(node.name) or not c.can(f"/storage/{s.storage}", "Datastore.Audit"):
                continue
            up = node.status == "online" and node.name not in s.inactive_on
            out.append(
                {
                    "id": f"storage/{node.name}/{s.storage}",
                    "storage": s.storage,
                    "node": node.name,
                    "type": "storage",
                    "plugintype": s.type,
                    "status": "available" if up else "unknown",
                    "shared": int(s.shared),
                    "content": ",".join(s.content),
                    **({"disk": s.used, "maxdisk": s.total} if up else {}),
                }
            )
    return out


def _cluster_resources(c: Ctx) -> Any:
    kind = c.params.get("type")
    out: list[dict[str, Any]] = []
    if kind in (None, "vm"):
        out += [_vm_resource(c, v) for v in c.inv.vms if c.can(f"/vms/{v.vmid}", "VM.Audit")]
    if kind in (None, "node"):
        for n in c.inv.nodes:
            e = _node_entry(c, n)
            e.pop("ssl_fingerprint", None)
            out.append(e)
    if kind in (None, "storage"):
        out += _storage_resources(c)
    if kind is None:
        out += [
            {"id": f"/pool/{p.poolid}", "pool": p.poolid, "type": "pool"}
            for p in c.inv.pools.values()
            if c.can(f"/pool/{p.poolid}", "Pool.Audit")
        ]
    return out


def _cluster_status(c: Ctx) -> Any:
    c.require("/", "Sys.Audit")
    online = [n for n in c.inv.nodes if n.status == "online"]
    out: list[dict[str, Any]] = [
        {
            "type": "cluster",
            "id": "cluster",
            "name": c.inv.cluster_name,
            "version": 3,
            "nodes": len(c.inv.nodes),
            "quorate": int(len(online) * 2 > len(c.inv.nodes)),
        }
    ]
    for i, n in enumerate(c.inv.nodes):
        out.append(
            {
                "type": "node",
                "id": f"node/{n.name}",
                "name": n.name,
                "nodeid": i + 1,
                "ip": f"192.168.1.{10 + i}",
                "online": int(n.status == "online"),
                "local": int(i == 0),
                "level": n.level,
            }
        )
    return out


def _nextid(c: Ctx) -> Any:
    used = {v.vmid for v in c.inv.vms}
    if "vmid" in c.params:
        vmid = int(c.params["vmid"])
        if vmid in used:
            raise _param_error({"vmid": f"VM {vmid} already exists"})
        return str(vmid)
    n = c.inv.next_id_lower
    while n in used:
        n += 1
    return str(n)


def _storage_entry(s: SimStorage, node: str, online: bool) -> dict[str, Any]:
    enabled = s.enabled_on(node)
    active = enabled and online and node not in s.inactive_on
    out: dict[str, Any] = {
        "storage": s.storage,
        "type": s.type,
        "content": ",".join(s.content),
        "enabled": int(enabled),
        "active": int(active),
        "shared": int(s.shared),
        "total": s.total if active else 0,
        "used": s.used if active else 0,
        "avail": s.total - s.used if active else 0,
    }
    if active and s.total > 0:
        out["used_fraction"] = s.used / s.total
    return out


def _node_storage(c: Ctx) -> Any:
    node = c.match["node"]
    online = (n := c.inv.node(node)) is not None and n.status == "online"
    want = c.params.get("storage")
    if want is not None and c.inv.storage(want) is None:
        raise _param_error({"storage": "No such storage."})
    content = c.params.get("content")
    target = c.params.get("target")
    out = []
    for s in c.inv.storages:
        if want is not None and s.storage != want:
            continue
        if not c.can(f"/storage/{s.storage}", "Datastore.Audit", "Datastore.AllocateSpace"):
            continue
        if content is not None and (content not in s.content or not s.enabled_on(node)):
            continue
        if c.flag("enabled") and not s.enabled_on(node):
            continue
        if target is not None and target != node and not (s.shared and s.enabled_on(target)):
            continue
        out.append(_storage_entry(s, node, online))
    return out


_BRIDGE_TYPES = {"bridge", "OVSBridge"}


def _iface_entry(i: SimIface) -> dict[str, Any]:
    out: dict[str, Any] = {
        "iface": i.iface,
        "type": i.type,
        "autostart": 1,
        "method": "static" if i.cidr else "manual",
        "method6": "manual",
        "families": ["inet"],
        "priority": 3,
    }
    if i.active:
        out["active"] = 1
    if i.type in _BRIDGE_TYPES:
        out.update(bridge_ports=i.bridge_ports or "", bridge_stp="off", bridge_fd="0")
        if i.vlan_aware:
            out["bridge_vlan_aware"] = 1
    if i.type == "eth":
        out["exists"] = 1
    if i.cidr:
        addr, prefix = i.cidr.split("/")
        out.update(cidr=i.cidr, address=addr, netmask=prefix)
    return out


def _node_network(c: Ctx) -> Any:
    node = c.match["node"]
    kind = c.params.get("type")
    out = []
    for i in c.inv.networks.get(node, []):
        if kind in ("any_bridge", "any_local_bridge"):
            if i.type not in _BRIDGE_TYPES:
                continue
        elif kind is not None and kind != "include_sdn" and i.type != kind:
            continue
        if i.type in _BRIDGE_TYPES and not (
            c.auth_id == "root@pam" or c.can(f"/sdn/zones/localnetwork/{i.iface}", "SDN.Audit", "SDN.Use")
        ):
            continue
        out.append(_iface_entry(i))
    return out


def _pool_members(c: Ctx, poolid: str) -> list[dict[str, Any]]:
    pool = c.inv.pools[poolid]
    members: list[dict[str, Any]] = []
    for vmid in sorted(pool.vms):
        vm = c.inv.vm(vmid)
        if vm is not None:
            members.append(_vm_resource(c, vm))
    for sid in sorted(pool.storages):
        for e in _storage_resources(Ctx(c.inv, c.acc, "root@pam", {})):
            if e["storage"] == sid:
                members.append(e)
    return members


def _pools(c: Ctx) -> Any:
    poolid = c.params.get("poolid")
    if poolid is None:
        out = []
        for p in c.inv.pools.values():
            if c.can(f"/pool/{p.poolid}", "Pool.Audit"):
                e: dict[str, Any] = {"poolid": p.poolid}
                if p.comment:
                    e["comment"] = p.comment
                out.append(e)
        return out
    c.require(f"/pool/{poolid}", "Pool.Audit")
    if poolid not in c.inv.pools:
        raise ApiError(500, f"pool '{poolid}' does not exist\n")
    p = c.inv.pools[poolid]
    entry: dict[str, Any] = {"poolid": poolid, "members": _pool_members(c, poolid)}
    if p.comment:
        entry["comment"] = p.comment
    return [entry]


def _pool_get(c: Ctx) -> Any:
    poolid = c.match["poolid"]
    c.require(f"/pool/{poolid}", "Pool.Audit")
    if poolid not in c.inv.pools:
        raise ApiError(500, f"pool '{poolid}' does not exist\n")
    p = c.inv.pools[poolid]
    out: dict[str, Any] = {"members": _pool_members(c, poolid)}
    if p.comment:
        out["comment"] = p.comment
    return out


_STD_PATHS = ["/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"]


def _permissions(c: Ctx) -> Any:
    target = c.params.get("userid", c.auth_id)
    if target != c.auth_id and not ("!" in target and target.split("!", 1)[0] == c.auth_id):
        c.require("/access", "Sys.Audit")
    path = c.params.get("path")
    if path is not None:
        privs = c.acc.permissions(target, path)
        return {path: privs} if privs else {}
    paths = list(_STD_PATHS)
    paths += [a.path for a in c.acc.acls if a.path not in paths]
    paths += [f"/vms/{v}" for v in sorted(c.acc.pool_of_vm)]
    paths += [f"/storage/{s}" for s in sorted(c.acc.pool_of_storage)]
    out = {}
    for p in dict.fromkeys(paths):
        privs = c.acc.permissions(target, p)
        if privs:
            out[p] = privs
    return out


def _index(names: list[str]) -> Endpoint:
    return lambda c: [{"name": n} for n in names]


def _routes() -> list[Route]:
    node = r"(?P<node>[a-zA-Z0-9][a-zA-Z0-9.\-]*)"
    vmid = r"(?P<vmid>\d+)"

    def r(
        method: str, pattern: str, func: Endpoint, params: dict[str, str] | None = None, proxied: bool = False
    ) -> Route:
        return Route(method, re.compile(pattern), func, params or {}, proxied)

    return [
        r("GET", "/version", _version),
        r("GET", "/nodes", _nodes),
        r("GET", f"/nodes/{node}/status", _node_status, proxied=True),
        r("GET", f"/nodes/{node}/qemu", _guests("qemu"), {"full": "bool"}, proxied=True),
        r("GET", f"/nodes/{node}/lxc", _guests("lxc"), proxied=True),
        r("GET", f"/nodes/{node}/qemu/{vmid}/config", _vm_config, {"current": "bool", "snapshot": "str"}, proxied=True),
        r("GET", f"/nodes/{node}/qemu/{vmid}/status/current", _vm_status_current, proxied=True),
        r(
            "GET",
            f"/nodes/{node}/storage",
            _node_storage,
            {"content": "str", "enabled": "bool", "storage": "str", "target": "str", "format": "bool"},
            proxied=True,
        ),
        r(
            "GET",
            f"/nodes/{node}/network",
            _node_network,
            {
                "type": "enum:bridge,bond,eth,alias,vlan,fabric,OVSBridge,OVSBond,OVSPort,"
                "OVSIntPort,vnet,any_bridge,any_local_bridge,include_sdn"
            },
            proxied=True,
        ),
        r("GET", "/cluster", _index(["resources", "status", "nextid", "options"])),
        r("GET", "/cluster/resources", _cluster_resources, {"type": "enum:vm,storage,node,sdn"}),
        r("GET", "/cluster/status", _cluster_status),
        r("GET", "/cluster/nextid", _nextid, {"vmid": "int"}),
        r("GET", "/pools", _pools, {"poolid": "str", "type": "enum:qemu,lxc,storage"}),
        r("GET", "/pools/(?P<poolid>[A-Za-z0-9_\\-/]+)", _pool_get, {"type": "enum:qemu,lxc,storage"}),
        r("GET", "/access/permissions", _permissions, {"userid": "str", "path": "str"}),
    ]


@contextmanager
def running(inventory: Inventory, tls: TLSFiles) -> Iterator[PVESimulator]:
    """Start a simulator for the duration of a ``with`` block."""
    sim = PVESimulator(inventory, tls)
    with sim:
        yield sim
