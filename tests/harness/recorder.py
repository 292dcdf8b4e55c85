"""Recording the requests the tool sends, sorted by the kind of work each does.

A transport wrapper at the HTTP layer, so the code under test runs unchanged: used by the tests
that count a verb's requests and by bench/lifecycle_bench.py.
"""

from __future__ import annotations

from collections import Counter

import httpx2

KINDS = ("discovery", "records", "apply", "dry-run", "get", "list", "watch", "delete", "other", "retried")


def kind_of(request: httpx2.Request) -> str:
    """What one request is for, from its method, path, query and content type."""
    path, params = request.url.path, request.url.params
    parts = path.strip("/").split("/")
    if request.method == "GET" and len(parts) <= {"api": 2, "apis": 3}.get(parts[0], 0):
        return "discovery"  # /api, /api/v1, /apis, /apis/<group>/<version>
    if params.get("dryRun") == "All":
        return "dry-run"
    if "/secrets" in path and (
        "owner=helm" in params.get("labelSelector", "")
        or "sh.helm.release.v1." in path
        or (request.method == "POST" and b"sh.helm.release.v1." in request.content)
    ):
        return "records"
    if request.method == "PATCH" and request.headers.get("content-type", "").startswith("application/apply-patch"):
        return "apply"
    if request.method == "DELETE":
        return "delete"
    if request.method == "GET":
        if params.get("watch") == "true":
            return "watch"
        # /apis/g/v/namespaces/ns/plural/name or /apis/g/v/plural/name: a name after the plural
        rest = parts[3:] if parts[0] == "apis" else parts[2:]
        named = len(rest) in (2, 4) and not (len(rest) == 2 and rest[0] == "namespaces")
        return "get" if named else "list"
    return "other"


class Recorder(httpx2.BaseTransport):
    """Keeps what kind each request was, with its method and path.

    A request the server answered 429 (a new CRD's cache warming up; the client repeats it) is
    kept as "retried", so counts do not depend on how warm the server is."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, str]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        kind = "retried" if response.status_code == 429 else kind_of(request)
        self.seen.append((kind, request.method, str(request.url.raw_path.decode())))
        return response

    def close(self) -> None:
        self.inner.close()

    def counts(self) -> Counter[str]:
        return Counter(k for k, _, _ in self.seen)

    def clear(self) -> None:
        self.seen.clear()
