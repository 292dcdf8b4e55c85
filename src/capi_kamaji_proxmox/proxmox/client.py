"""A thin Proxmox VE API client over proxmoxer with errors a person can act on.

proxmoxer raises ``ResourceException`` for HTTP errors and leaks raw ``requests`` exceptions for
transport problems. The preflight checks and the CLI need to tell "wrong secret" from "missing
privilege" from "wrong CA", so every failure becomes one ``ProxmoxError`` subclass whose message
says what happened and what to do. The token secret never appears in messages, reprs or logs.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import urllib3
from proxmoxer import ProxmoxAPI, ResourceException  # type: ignore[import-untyped]

__all__ = [
    "ProxmoxAPIError",
    "ProxmoxAuthError",
    "ProxmoxClient",
    "ProxmoxConfigError",
    "ProxmoxConnectionError",
    "ProxmoxEndpoint",
    "ProxmoxError",
    "ProxmoxNodeUnreachableError",
    "ProxmoxNotFoundError",
    "ProxmoxPermissionError",
    "ProxmoxTLSError",
    "ProxmoxTimeoutError",
    "parse_token_id",
    "parse_url",
    "token_id_problem",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8006
API_SUFFIX = "/api2/json"
# user@realm!tokenname. The user name may itself contain '@' (alice@example.com@oidc): the realm
# is what follows the last '@' (pve-access-control ``verify_username``/``split_tokenid``).
_TOKEN_ID = re.compile(r"^(?P<user>[^\s:/!=]+@[A-Za-z][A-Za-z0-9.\-_]*)!(?P<name>[A-Za-z][A-Za-z0-9.\-_]*)$")
_PERM = re.compile(r"^Permission check failed \((?P<path>/[^,]*), (?P<privs>[^)]+)\)")


class ProxmoxError(Exception):
    """Base of every error this client raises.

    ``problem`` says what went wrong, ``hint`` what to do; ``str()`` joins both.
    """

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(f"{problem}. {hint}" if hint else problem)
        self.problem = problem
        self.hint = hint


class ProxmoxConfigError(ProxmoxError):
    """The URL or token id given by the user cannot work (detected before any request)."""


class ProxmoxConnectionError(ProxmoxError):
    """No TCP connection: ``reason`` is ``dns``, ``refused``, ``unreachable`` or ``other``."""

    def __init__(self, problem: str, hint: str, reason: str) -> None:
        super().__init__(problem, hint)
        self.reason = reason


class ProxmoxTLSError(ProxmoxError):
    """The server certificate could not be verified (or the TLS handshake failed)."""


class ProxmoxTimeoutError(ProxmoxError):
    """The server accepted the connection but did not answer in time (or never connected)."""


class ProxmoxAPIError(ProxmoxError):
    """An HTTP error answer from the API: ``status``, PVE's ``message`` and per-field ``errors``."""

    def __init__(
        self,
        problem: str,
        hint: str = "",
        *,
        status: int,
        method: str,
        path: str,
        pve_message: str,
        errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(problem, hint)
        self.status = status
        self.method = method
        self.path = path
        self.pve_message = pve_message
        self.errors = errors or {}


class ProxmoxAuthError(ProxmoxAPIError):
    """401: unknown token id, wrong secret, or disabled/expired user or token."""


class ProxmoxPermissionError(ProxmoxAPIError):
    """403: ``acl_path`` lacks one of ``privileges`` for the caller."""

    def __init__(
        self, problem: str, hint: str = "", *, acl_path: str | None, privileges: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(problem, hint, **kwargs)
        self.acl_path = acl_path
        self.privileges = privileges


class ProxmoxNotFoundError(ProxmoxAPIError):
    """The API path does not exist (501), or PVE said an object ``does not exist`` (500)."""


class ProxmoxNodeUnreachableError(ProxmoxAPIError):
    """595/596: the API node could not forward the call to the (offline) node in the path."""


@dataclass(frozen=True)
class ProxmoxEndpoint:
    """Where the API lives, parsed from the user's URL, plus notes about fixes applied."""

    host: str  # IPv6 literals keep their brackets
    port: int
    path_prefix: str | None  # a reverse proxy prefix in front of /api2/json, without slashes
    notes: tuple[str, ...] = ()
    port_given: bool = True

    @property
    def base_url(self) -> str:
        """The URL without ``/api2/json`` (what CAPMOX's ``PROXMOX_URL``/``url`` key wants)."""
        prefix = f"/{self.path_prefix}" if self.path_prefix else ""
        return f"https://{self.host}:{self.port}{prefix}"

    @property
    def suffix_stripped(self) -> bool:
        return any(API_SUFFIX in n for n in self.notes)


def parse_url(url: str, *, as_capmox: bool = False) -> ProxmoxEndpoint:
    """Parse ``https://host[:port][/prefix][/api2/json]``; strip ``/api2/json`` and say so.

    CAPMOX appends ``/api2/json`` itself, so a URL that already ends in it makes every CAPMOX
    call hit ``/api2/json/api2/json/...`` and fail with 501. With ``as_capmox`` the URL is taken
    the way CAPMOX takes the Secret's ``url``: no scheme is an error (Go cannot parse it), the
    suffix is an error, and no port means 443 (what Go dials), not 8006.
    """
    text = url.strip()
    if not text:
        raise ProxmoxConfigError("the Proxmox URL is empty; expected https://<host>:8006")
    notes: list[str] = []
    if "://" not in text:
        if as_capmox:
            raise ProxmoxConfigError(
                f"the Proxmox URL {text!r} has no scheme; CAPMOX uses it as written and cannot parse it",
                f"write it as https://{text.rstrip('/')}{'' if re.search(r':[0-9]+(/|$)', text) else ':8006'}",
            )
        text = "https://" + text
        notes.append(f"no scheme in {url.strip()!r}; assuming https://")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ProxmoxConfigError(
            f"the Proxmox URL {url.strip()!r} uses {parts.scheme}://; the Proxmox API is only "
            "served over https (e.g. https://pve.example:8006)"
        )
    if parts.username or parts.password:
        raise ProxmoxConfigError("the Proxmox URL must not contain credentials; pass the API token separately")
    if parts.query or parts.fragment:
        raise ProxmoxConfigError(
            f"the Proxmox URL {url.strip()!r} has a query or fragment; expected https://<host>:8006"
        )
    host = parts.hostname
    if not host:
        raise ProxmoxConfigError(f"the Proxmox URL {url.strip()!r} has no host name")
    try:
        given = parts.port
    except ValueError as err:
        raise ProxmoxConfigError(f"the Proxmox URL {url.strip()!r} has an invalid port") from err
    port = given or (443 if as_capmox else DEFAULT_PORT)
    if ":" in host:
        host = f"[{host}]"
    path = parts.path.rstrip("/")
    if as_capmox and path.endswith(API_SUFFIX):
        fixed = text[: text.rindex(API_SUFFIX)].rstrip("/")
        raise ProxmoxConfigError(
            f"the Proxmox URL {text!r} ends in {API_SUFFIX}; CAPMOX appends it again and every call "
            f"gets 501 ({API_SUFFIX}{API_SUFFIX}/...)",
            f"write it as {fixed}",
        )
    if path.endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)].rstrip("/")
        notes.append(
            f"removed {API_SUFFIX!r} from the Proxmox URL: CAPMOX appends it itself and would "
            f"otherwise call {API_SUFFIX}{API_SUFFIX}/... (HTTP 501)"
        )
    prefix = path.strip("/") or None
    return ProxmoxEndpoint(host=host, port=port, path_prefix=prefix, notes=tuple(notes), port_given=given is not None)


def token_id_problem(token_id: str, where: str = "the API token id") -> str:
    """Why a token id is malformed, without echoing it (users paste the secret into it)."""
    text = f"{where} is not of the form user@realm!tokenname (e.g. capmox@pve!capi)"
    name = token_id.rsplit("!", 1)[-1] if "!" in token_id else ""
    if "=" in token_id:
        text += "; it contains '=': keep only the part before '=' and put the secret in PROXMOX_SECRET"
    elif ":" in name:
        text += (
            "; it looks like a Proxmox Backup Server token (user@realm!token:secret): Proxmox VE separates "
            "the secret with '=', and the secret goes in its own key/field"
        )
    return text + " (the value is not shown in case it holds the secret)"


def parse_token_id(token_id: str) -> tuple[str, str]:
    """Split ``user@realm!tokenname`` into user and token name, or explain the expected shape."""
    m = _TOKEN_ID.match(token_id.strip())
    if not m:
        # The value is not echoed: a pasted "id=secret" would put the secret on screen.
        raise ProxmoxConfigError(token_id_problem(token_id), "Put the token id and its secret in separate fields")
    return m.group("user"), m.group("name")


@dataclass(frozen=True)
class _Secret:
    """Holds the token secret; its repr never shows the value."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "_Secret('***')"


def _chain(err: BaseException) -> list[BaseException]:
    """Every exception reachable from ``err`` through causes, contexts, args and ``reason``."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [err]
    while todo:
        cur = todo.pop()
        if any(cur is s for s in seen):
            continue
        seen.append(cur)
        for nxt in (cur.__cause__, cur.__context__, getattr(cur, "reason", None), *cur.args):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


class ProxmoxClient:
    """Read-only PVE API access with token auth and verified TLS by default.

    ``ca_file`` is a PEM bundle to trust instead of the system store; ``insecure=True`` skips
    verification entirely (the caller should warn). ``timeout`` is per request, in seconds.
    """

    def __init__(
        self,
        url: str,
        token_id: str,
        token_secret: str,
        *,
        ca_file: str | Path | None = None,
        insecure: bool = False,
        timeout: float = 10.0,
        as_capmox: bool = False,
    ) -> None:
        self.endpoint = parse_url(url, as_capmox=as_capmox)
        self.user, self.token_name = parse_token_id(token_id)
        self.token_id = f"{self.user}!{self.token_name}"
        if not token_secret or not token_secret.strip():
            raise ProxmoxConfigError(f"the secret of API token {self.token_id} is empty")
        self._secret = _Secret(token_secret.strip())
        self.insecure = insecure
        self.ca_file = Path(ca_file) if ca_file is not None else None
        if self.ca_file is not None and not insecure and not self.ca_file.is_file():
            raise ProxmoxConfigError(f"the CA file {str(self.ca_file)!r} does not exist")
        self.timeout = timeout
        verify: bool | str = False if insecure else (str(self.ca_file) if self.ca_file else True)
        try:
            self._api = ProxmoxAPI(
                f"{self.endpoint.host}:{self.endpoint.port}",
                backend="https",
                service="PVE",
                user=self.user,
                token_name=self.token_name,
                token_value=self._secret.value,
                verify_ssl=verify,
                timeout=timeout,
                path_prefix=self.endpoint.path_prefix,
            )
        except Exception as err:  # proxmoxer raises NotImplementedError for bad configs
            raise ProxmoxConfigError(self._scrub(f"cannot set up the Proxmox client: {err}")) from None

    def __repr__(self) -> str:
        return f"ProxmoxClient(url={self.endpoint.base_url!r}, token_id={self.token_id!r}, insecure={self.insecure!r})"

    @property
    def url(self) -> str:
        return self.endpoint.base_url

    # -- generic access --------------------------------------------------------------------
    def get(self, path: str, /, **params: Any) -> Any:
        """GET ``/api2/json/<path>`` and return the ``data`` member; raise ``ProxmoxError``."""
        clean = {k: (int(v) if isinstance(v, bool) else v) for k, v in params.items() if v is not None}
        rel = "/" + path.strip("/")
        log.debug("GET %s params=%s", rel, clean)
        try:
            with warnings.catch_warnings():
                if self.insecure:  # the caller warns once; urllib3 would warn per request
                    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                return self._api.get(rel.lstrip("/"), **clean)
        except ResourceException as err:
            raise self._api_error("GET", rel, err) from None
        except requests.exceptions.RequestException as err:
            raise self._transport_error("GET", rel, err) from None

    # -- typed helpers for the endpoints the preflight uses ----------------------------------
    def version(self) -> dict[str, Any]:
        return dict(self.get("version"))

    def nodes(self) -> list[dict[str, Any]]:
        return list(self.get("nodes"))

    def node_status(self, node: str) -> dict[str, Any]:
        return dict(self.get(f"nodes/{_seg(node)}/status"))

    def node_qemu(self, node: str) -> list[dict[str, Any]]:
        return list(self.get(f"nodes/{_seg(node)}/qemu"))

    def node_lxc(self, node: str) -> list[dict[str, Any]]:
        return list(self.get(f"nodes/{_seg(node)}/lxc"))

    def vm_config(self, node: str, vmid: int) -> dict[str, Any]:
        return dict(self.get(f"nodes/{_seg(node)}/qemu/{int(vmid)}/config"))

    def node_storage(self, node: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.get(f"nodes/{_seg(node)}/storage", **params))

    def node_network(self, node: str, type: str | None = None) -> list[dict[str, Any]]:
        return list(self.get(f"nodes/{_seg(node)}/network", type=type))

    def cluster_resources(self, type: str | None = None) -> list[dict[str, Any]]:
        return list(self.get("cluster/resources", type=type))

    def pools(self) -> list[dict[str, Any]]:
        return list(self.get("pools"))

    def pool(self, poolid: str) -> dict[str, Any]:
        """One pool; PVE 8.0.x answers 400 to ``?poolid=`` (added in 8.1): then the old path."""
        try:
            data = self.get("pools", poolid=poolid)
        except ProxmoxAPIError as err:
            if err.status != 400 or "poolid" not in err.errors:
                raise
            return dict(self.get(f"pools/{_seg(poolid)}"))
        return dict(data[0]) if isinstance(data, list) and data else {}

    def sdn_vnets(self) -> list[dict[str, Any]]:
        return list(self.get("cluster/sdn/vnets"))

    def permissions(self, path: str | None = None) -> dict[str, dict[str, int]]:
        data = self.get("access/permissions", path=path)
        return {str(p): {str(k): int(v) for k, v in privs.items()} for p, privs in data.items()}

    def next_id(self) -> int:
        return int(self.get("cluster/nextid"))

    # -- error mapping -----------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        secret = self._secret.value if hasattr(self, "_secret") else ""
        # Very short strings would mangle ordinary words; real secrets are 36-char UUIDs.
        return text.replace(secret, "***") if len(secret) >= 4 else text

    def _api_error(self, method: str, rel: str, err: ResourceException) -> ProxmoxAPIError:
        status = int(err.status_code)
        pve = self._scrub(str(err.content or "").strip())
        errors = err.errors if isinstance(err.errors, dict) else None
        field_errors = {str(k): self._scrub(str(v)) for k, v in errors.items() if k != "errors"} if errors else {}
        where = f"{method} {rel}"
        kwargs: dict[str, Any] = {
            "status": status,
            "method": method,
            "path": rel,
            "pve_message": pve,
            "errors": field_errors,
        }
        if status == 401:
            return ProxmoxAuthError(
                f"Proxmox at {self.url} rejected API token {self.token_id} ({status} {pve or 'Unauthorized'})",
                "The token id or secret is wrong, or the user or token is disabled or expired; "
                "check both under Datacenter > Permissions > API Tokens",
                **kwargs,
            )
        if status == 403:
            m = _PERM.match(pve)
            if not m:
                return ProxmoxPermissionError(
                    f"Proxmox refused {where} for API token {self.token_id}: {pve}",
                    "grant the token (and its user, with privilege separation) the privilege PVE names",
                    acl_path=None,
                    privileges=(),
                    **kwargs,
                )
            path = m.group("path")
            privs = tuple(p.strip() for p in m.group("privs").split("|"))
            need = " or ".join(privs)
            return ProxmoxPermissionError(
                f"API token {self.token_id} lacks {need} on {path} (needed for {where})",
                f"Grant a role containing {need} on {path} to the token, and to its user too "
                "if the token has privilege separation",
                acl_path=path,
                privileges=privs,
                **kwargs,
            )
        if status == 501:
            hint = ""
            if "/api2/" in pve:
                hint = f"The URL probably contains {API_SUFFIX} twice; give only https://<host>:8006"
            hint = hint or "this Proxmox VE version does not serve that call; upgrade PVE or check the URL's path"
            return ProxmoxNotFoundError(f"Proxmox at {self.url} does not know {where} ({pve})", hint, **kwargs)
        if status in (595, 596):
            return ProxmoxNodeUnreachableError(
                f"Proxmox at {self.url} could not reach the node named in {where} ({status} {pve or 'no answer'})",
                "The node is probably offline; bring it back or leave it out",
                **kwargs,
            )
        detail = pve
        if field_errors:
            detail += " " + "; ".join(f"{k}: {v}" for k, v in sorted(field_errors.items()))
        if status == 500 and "does not exist" in pve:
            return ProxmoxNotFoundError(
                f"{where} failed: {detail}", "check the name in the values against the Proxmox cluster", **kwargs
            )
        return ProxmoxAPIError(
            f"{where} failed with HTTP {status}: {detail}",
            "check the Proxmox VE syslog (journalctl -u pveproxy) on the node, then run doctor again",
            **kwargs,
        )

    def _transport_error(self, method: str, rel: str, err: requests.exceptions.RequestException) -> ProxmoxError:
        hostport = f"{self.endpoint.host}:{self.endpoint.port}"
        chain = _chain(err)
        if isinstance(err, requests.exceptions.SSLError) or any(isinstance(e, ssl.SSLError) for e in chain):
            verify_err = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
            if verify_err is not None:
                why = verify_err.verify_message or str(verify_err)
                trust = f"the CA file {str(self.ca_file)!r}" if self.ca_file else "the system CA store"
                return ProxmoxTLSError(
                    self._scrub(f"the TLS certificate of {self.url} could not be verified against {trust} ({why})"),
                    "Pass the PEM file of the CA that signed the Proxmox certificate (on a PVE "
                    "node: /etc/pve/pve-root-ca.pem), or use --insecure-skip-tls-verify on a "
                    "network you trust",
                )
            return ProxmoxTLSError(
                self._scrub(f"the TLS handshake with {self.url} failed ({_short(err)})"),
                "Check that the URL points at the Proxmox API port (8006)",
            )
        if isinstance(err, requests.exceptions.Timeout):
            phase = (
                "connecting to" if isinstance(err, requests.exceptions.ConnectTimeout) else "waiting for an answer from"
            )
            return ProxmoxTimeoutError(
                f"timed out after {self.timeout:g}s {phase} {self.url} ({method} {rel})",
                "Check the host, the port and firewalls on the way, or raise --proxmox-timeout",
            )
        if any(isinstance(e, socket.gaierror) for e in chain) or any(
            type(e).__name__ == "NameResolutionError" for e in chain
        ):
            return ProxmoxConnectionError(
                f"cannot resolve the host name {self.endpoint.host!r} of the Proxmox URL",
                "Check the spelling or use the node's IP address",
                "dns",
            )
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in str(err):
            hint = "Check the port (the Proxmox API listens on 8006) and that pveproxy runs there"
            if not self.endpoint.port_given:
                hint = (
                    f"The URL has no port, so CAPMOX (and doctor) connect to {self.endpoint.port}; "
                    f"write it with :{DEFAULT_PORT}"
                )
            return ProxmoxConnectionError(f"connection to {hostport} was refused", hint, "refused")
        text = str(err)
        if any(s in text for s in ("No route to host", "Network is unreachable", "Host is unreachable")):
            return ProxmoxConnectionError(
                f"cannot reach {hostport} (no route to the host)",
                "Check the address and the network path from this machine",
                "unreachable",
            )
        return ProxmoxConnectionError(
            self._scrub(f"cannot talk to Proxmox at {self.url} ({method} {rel}): {_short(err)}"),
            "Check the URL and the network path",
            "other",
        )


def _seg(value: str) -> str:
    """Quote one path segment so names cannot smuggle extra path parts."""
    return urllib.parse.quote(str(value), safe="")


def _short(err: BaseException) -> str:
    """The innermost, most specific text of a transport error."""
    inner = [e for e in _chain(err) if str(e)]
    return str(inner[-1] if inner else err)
