"""A loopback HTTP proxy in front of the harness kube-apiserver that injects faults.

The tool talks plain HTTP to the proxy (a kubeconfig without TLS or user); the proxy forwards every
request over TLS with the admin client certificate, unchanged, and answers with the server's
answer, unless a fault is armed for that request. Faults are addressed by *write number*: writes
are requests that persist something (POST/PUT/PATCH/DELETE without ``dryRun``), counted from 0.

- ``hold_at(k)``: write k is not forwarded; the request hangs until :meth:`release` (the test kills
  the tool meanwhile: "killed after k writes").
- ``fail_at(k, status)``: write k is answered with that status (a Kubernetes ``Status`` body), not
  forwarded; ``retry_after`` adds the header (429 with it is what the API server sends when busy).
- ``cut_at(k)``: write k is not forwarded and the connection is closed without an answer.
- ``delay``: seconds to sleep before forwarding each write (a slow API).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.harness.cluster import ControlPlane

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Fault:
    kind: str  # hold | fail | cut
    at: int
    status: int = 500
    retry_after: str | None = None


@dataclass
class FaultProxy:
    plane: ControlPlane
    delay: float = 0.0
    writes: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status or -1)
    fault: Fault | None = None
    held: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- arming
    def reset(self) -> None:
        with self._lock:
            self.writes, self.fault, self.delay = 0, None, 0.0
            self.log.clear()
            self.held.clear()
            self._release.clear()

    def hold_at(self, k: int) -> None:
        self.fault = Fault("hold", k)

    def fail_at(self, k: int, status: int = 500, retry_after: str | None = None) -> None:
        self.fault = Fault("fail", k, status, retry_after)

    def cut_at(self, k: int) -> None:
        self.fault = Fault("cut", k)

    def release(self) -> None:
        self._release.set()

    # -- serving
    def start(self) -> FaultProxy:
        api = self.plane.client
        ctx = ssl.create_default_context(cafile=api.ca_file)
        ctx.load_cert_chain(api.cert_file, api.key_file)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                query = parse_qs(urlsplit(self.path).query)
                is_write = self.command in WRITES and "dryRun" not in query
                fault = None
                if is_write:
                    with proxy._lock:
                        n = proxy.writes
                        proxy.writes += 1
                        if proxy.fault is not None and proxy.fault.at == n:
                            fault = proxy.fault
                    if proxy.delay:
                        time.sleep(proxy.delay)
                if fault is not None and fault.kind == "hold":
                    proxy.held.set()
                    proxy._release.wait(120)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None and fault.kind == "cut":
                    proxy.log.append((self.command, self.path, -1))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None:
                    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": fault.status,
                              "message": f"injected fault: HTTP {fault.status}"}  # fmt: skip
                    payload = json.dumps(status).encode()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    if fault.retry_after:
                        self.send_header("Retry-After", fault.retry_after)
                    self.end_headers()
                    self.wfile.write(payload)
                    proxy.log.append((self.command, self.path, fault.status))
                    return
                upstream = urlsplit(proxy.plane.server)  # read each time: a restarted server has a new port
                conn = http.client.HTTPSConnection(upstream.hostname, upstream.port, context=ctx, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except OSError:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                finally:
                    conn.close()
                proxy.log.append((self.command, self.path, resp.status))
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def kubeconfig(self, folder: Path) -> Path:
        """A kubeconfig that reaches the API server through this proxy (no TLS, no user: the proxy
        authenticates upstream)."""
        path = folder / "proxied.kubeconfig"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "proxy", "cluster": {"server": self.url}}],
                    "users": [{"name": "anon", "user": {}}],
                    "contexts": [{"name": "proxy", "context": {"cluster": "proxy", "user": "anon"}}],
                    "current-context": "proxy",
                }
            )
        )
        return path
