"""A real management-cluster API (etcd + kube-apiserver, no controllers) for tests.

Why a real server: CRD schema validation, defaulting, pruning, CEL rules and server-side
apply semantics are only trustworthy when the actual apiserver code runs them.

Lifecycle guarantees (no stray etcd/apiserver on any exit path):
- children run in their own process group and are stopped apiserver-first on ``stop()``;
- ``atexit`` stops every control plane still running at interpreter exit;
- SIGTERM is turned into ``SystemExit`` (when nobody else handles it) so atexit runs;
- each child gets ``PR_SET_PDEATHSIG=SIGKILL``, so even a SIGKILL of this process kills them;
- work folders of processes that died without cleanup are removed by the next start.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import datetime as dt
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.harness import binaries
from tests.harness.kubeapply import KubeAPIError, KubeClient
from tests.paths import shared_dir

# The CRDs lie in ``../shared/crds`` beside the checkout; CKP_CRD_ROOT may point elsewhere.
CRD_ROOT = Path(os.environ.get("CKP_CRD_ROOT") or shared_dir() / "crds")
GENERATIONS = ("current", "legacy")
WORK_PREFIX = "ckp-harness-"
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
PR_SET_PDEATHSIG = 1


class HarnessError(RuntimeError):
    """The control plane failed to start; the message carries the relevant log tail."""


# -- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    """PEM-encoded certificate and private key."""

    cert_pem: bytes
    key_pem: bytes = field(repr=False)


def _new_key() -> ec.EllipticCurvePrivateKey:
    # ECDSA P-256: generation is instant, unlike RSA, and every component accepts it.
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class CertificateAuthority:
    """A throwaway CA that signs the serving certificate and every client certificate."""

    def __init__(self) -> None:
        self._key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ckp-harness-ca")])
        now = dt.datetime.now(dt.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate, PEM."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        common_name: str,
        organizations: Sequence[str] = (),
        *,
        server: bool = False,
    ) -> KeyPair:
        """Sign a leaf: serving cert for 127.0.0.1/localhost, or client cert (CN=user, O=groups)."""
        key = _new_key()
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
        cert = builder.sign(self._key, hashes.SHA256())
        return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _write_private(path: Path, data: bytes) -> Path:
    """Write key material readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def kubeconfig_yaml(server: str, ca_pem: bytes, pair: KeyPair, user: str) -> str:
    """A self-contained kubeconfig (inline cert data) usable by helm, kubectl and lightkube."""

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "harness",
                "cluster": {"server": server, "certificate-authority-data": b64(ca_pem)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(pair.cert_pem),
                    "client-key-data": b64(pair.key_pem),
                },
            }
        ],
        "contexts": [{"name": user, "context": {"cluster": "harness", "user": user}}],
        "current-context": user,
    }
    return yaml.safe_dump(cfg, sort_keys=False)


# -- process handling -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pdeathsig_preexec(parent_pid: int) -> Any:
    """preexec_fn: ask the kernel to SIGKILL the child when its parent dies (even by SIGKILL)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # parent died before prctl took effect
            os._exit(1)

    return preexec


def _process_start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat: identifies a process instance despite PID reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def process_alive(pid: int, start_time: str | None = None) -> bool:
    """True when ``pid`` runs (zombies count as dead) and, if given, started at ``start_time``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return False
    return start_time is None or fields[19] == start_time


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def _stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it lingers; always reap."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group, if any


_LIVE: set[ControlPlane] = set()
_LIVE_LOCK = threading.Lock()
_HOOKS_INSTALLED = False


def _stop_all() -> None:
    with _LIVE_LOCK:
        planes = list(_LIVE)
    for plane in planes:
        plane.stop()


def _sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _install_exit_hooks() -> None:
    """atexit + SIGTERM->SystemExit, installed once, without clobbering foreign handlers."""
    global _HOOKS_INSTALLED
    if _HOOKS_INSTALLED:
        return
    _HOOKS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _sigterm)
        if signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGHUP, _sigterm)


def _drop_unrendered_conversion(crd: dict[str, Any]) -> None:
    """Kamaji's CRDs come from its Helm chart with the conversion webhook's Service still a template
    (``{{ .Values.kamajiService }}``): the API server then fails every request for the kind. With a
    single served version nothing needs converting, so the harness serves them without a webhook,
    as it does for every other provider's CRDs (which ship without conversion settings)."""
    conversion = (crd.get("spec") or {}).get("conversion") or {}
    service = ((conversion.get("webhook") or {}).get("clientConfig") or {}).get("service") or {}
    if "{{" in str(service.get("name", "")):
        crd["spec"]["conversion"] = {"strategy": "None"}


def reap_stale_workdirs(base: Path | None = None, keep_logs_hours: float = 24.0) -> list[Path]:
    """Remove work folders whose owning process is gone (it was SIGKILLed mid-run).

    Folders kept for their logs after a failure (no ``owner.pid`` left) are removed once
    they are older than ``keep_logs_hours``, so /tmp does not fill up over weeks.
    """
    base = base or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for d in base.glob(f"{WORK_PREFIX}*"):
        owner = d / "owner.pid"
        try:
            pid_s, start = owner.read_text().split()
            stale = not process_alive(int(pid_s), start)
        except FileNotFoundError:
            try:
                stale = time.time() - d.stat().st_mtime > keep_logs_hours * 3600
            except OSError:
                continue
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


# -- the control plane ----------------------------------------------------------------------


@dataclass(eq=False)
class ControlPlane:
    """etcd + kube-apiserver with one generation of CRDs installed.

    Use as a context manager or call ``start()``/``stop()``. After ``start()``:
    ``kubeconfig`` (admin, system:masters), ``server``, ``namespace`` (created for tests),
    ``log_path`` (kube-apiserver output) and ``pids`` are set.
    """

    generation: str = "current"
    namespace: str = "harness-test"
    crd_root: Path = CRD_ROOT
    install_crds: bool = True
    start_timeout: float = 120.0
    binaries_override: dict[str, Path] | None = field(default=None, repr=False)
    workdir: Path = field(init=False)
    server: str = field(init=False, default="")
    kubeconfig: Path = field(init=False)
    log_path: Path = field(init=False)
    etcd_log_path: Path = field(init=False)
    pids: dict[str, int] = field(init=False, default_factory=dict)
    start_times: dict[str, str] = field(init=False, default_factory=dict, repr=False)
    timings: dict[str, float] = field(init=False, default_factory=dict, repr=False)
    _procs: dict[str, subprocess.Popen[bytes]] = field(init=False, default_factory=dict, repr=False)
    _ca: CertificateAuthority = field(init=False, repr=False)
    etcd_url: str = field(init=False, default="")
    crd_names: list[str] = field(init=False, default_factory=list, repr=False)
    _client: KubeClient | None = field(init=False, default=None, repr=False)
    _admin: KeyPair = field(init=False, repr=False)
    _stopped: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.generation not in GENERATIONS:
            raise ValueError(f"generation must be one of {GENERATIONS}, not {self.generation!r}")

    # context manager -----------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(keep_logs=exc[0] is not None)

    # public API ------------------------------------------------------------------------------

    @property
    def crd_dir(self) -> Path:
        """Folder with the CRDs of this generation (used in place, never copied)."""
        return self.crd_root / self.generation

    @property
    def client(self) -> KubeClient:
        """Admin REST client."""
        if self._client is None:
            self._client = KubeClient.from_kubeconfig(self.kubeconfig)
        return self._client

    def start(self) -> ControlPlane:
        """Start etcd and kube-apiserver, install CRDs, create the test namespace."""
        t0 = time.monotonic()
        reap_stale_workdirs()
        bins = self.binaries_override or {n: binaries.resolve(n) for n in ("etcd", "kube-apiserver")}
        self.timings["binaries"] = time.monotonic() - t0
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{self.generation}-"))
        me = os.getpid()
        (self.workdir / "owner.pid").write_text(f"{me} {_process_start_time(me)}\n")
        self.log_path = self.workdir / "kube-apiserver.log"
        self.etcd_log_path = self.workdir / "etcd.log"
        _install_exit_hooks()
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            self._write_pki()
            for attempt in range(3):  # a free port can be taken between probe and bind
                try:
                    self._start_etcd(bins["etcd"])
                    self._start_apiserver(bins["kube-apiserver"])
                    break
                except _PortClash:
                    self._stop_children()
                    if attempt == 2:
                        raise
            self.timings["apiserver_ready"] = time.monotonic() - t0
            if self.install_crds:
                self._install_crds()
            self.timings["crds_established"] = time.monotonic() - t0
            self.client.create_namespace(self.namespace)
        except Exception:
            self.stop(keep_logs=True)  # a real start failure: keep logs for diagnosis
            raise
        except BaseException:  # Ctrl-C / SIGTERM while starting: just clean up
            self.stop()
            raise
        self.timings["ready"] = time.monotonic() - t0
        return self

    def stop(self, keep_logs: bool = False) -> None:
        """Stop both processes (apiserver first); delete the work folder except, if asked, logs."""
        if self._stopped:
            return
        self._stopped = True
        self._stop_children()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if not hasattr(self, "workdir"):
            return
        if keep_logs:
            for child in self.workdir.iterdir():
                if child.suffix != ".log":
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def user_kubeconfig(self, user: str, groups: Iterable[str] = ()) -> Path:
        """Kubeconfig for a restricted user (CN=user, O=groups); RBAC decides what it may do."""
        pair = self._ca.issue(user, list(groups))
        users = self.workdir / "users"
        users.mkdir(exist_ok=True)
        path = users / f"{user}.kubeconfig"
        _write_private(path, kubeconfig_yaml(self.server, self._ca.cert_pem, pair, user).encode())
        return path

    def create_namespace(self, prefix: str = "t") -> str:
        """Create a fresh, uniquely named namespace and return its name."""
        name = f"{prefix[:40].rstrip('-')}-{secrets.token_hex(3)}".lower()
        self.client.create_namespace(name, {"ckp-harness": "test"})
        return name

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the kube-apiserver log, for failure reports."""
        return _tail(self.log_path, lines)

    # internals -------------------------------------------------------------------------------

    def _write_pki(self) -> None:
        pki = self.workdir / "pki"
        pki.mkdir(mode=0o700)
        self._ca = CertificateAuthority()
        (pki / "ca.crt").write_bytes(self._ca.cert_pem)
        serving = self._ca.issue("kube-apiserver", server=True)
        (pki / "serving.crt").write_bytes(serving.cert_pem)
        _write_private(pki / "serving.key", serving.key_pem)
        sa_key = _new_key()
        _write_private(pki / "sa.key", _key_pem(sa_key))
        (pki / "sa.pub").write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self._admin = self._ca.issue("harness-admin", ["system:masters"])

    def _spawn(self, name: str, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,  # own group: Ctrl-C hits us only; we stop them in order
                preexec_fn=_pdeathsig_preexec(os.getpid()),
            )
        self._procs[name] = proc
        self.pids[name] = proc.pid
        self.start_times[name] = _process_start_time(proc.pid) or ""
        return proc

    def _start_etcd(self, etcd: Path) -> None:
        client_port, peer_port = _free_port(), _free_port()
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        peer = f"http://127.0.0.1:{peer_port}"
        data = self.workdir / "etcd-data"
        shutil.rmtree(data, ignore_errors=True)
        proc = self._spawn(
            "etcd",
            [
                str(etcd),
                "--name=harness",
                f"--data-dir={data}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=harness={peer}",
                "--initial-cluster-state=new",
                "--unsafe-no-fsync",  # test data is throwaway; fsync dominates start-up time
                "--log-level=warn",
            ],
            self.etcd_log_path,
        )
        probe = requests.Session()
        probe.trust_env = False  # never route loopback through an HTTP(S)_PROXY
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = _tail(self.etcd_log_path)
                if "address already in use" in tail:
                    raise _PortClash(tail)
                raise HarnessError(f"etcd exited with {proc.returncode}:\n{tail}")
            with contextlib.suppress(requests.RequestException):
                if probe.get(f"{self.etcd_url}/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise HarnessError(f"etcd not healthy after 30s:\n{_tail(self.etcd_log_path)}")

    def _start_apiserver(self, apiserver: Path) -> None:
        pki = self.workdir / "pki"
        port = _free_port()
        self.server = f"https://127.0.0.1:{port}"
        self.kubeconfig = _write_private(
            self.workdir / "admin.kubeconfig",
            kubeconfig_yaml(self.server, self._ca.cert_pem, self._admin, "harness-admin").encode(),
        )
        self._client = None
        proc = self._spawn(
            "kube-apiserver",
            [
                str(apiserver),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'serving.crt'}",
                f"--tls-private-key-file={pki / 'serving.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--authorization-mode=RBAC",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-account-issuer={SA_ISSUER}",
                f"--api-audiences={SA_ISSUER}",
                "--service-cluster-ip-range=10.96.0.0/24",
                "--allow-privileged=true",
                # No controller-manager runs: admission that waits for controllers must go.
                "--disable-admission-plugins=ServiceAccount",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                "--v=1",
            ],
            self.log_path,
        )
        deadline = time.monotonic() + self.start_timeout
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would silently replace our CA
        session.verify = str(pki / "ca.crt")
        last = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = _tail(self.log_path)
                if "address already in use" in tail:
                    raise _PortClash(tail)
                raise HarnessError(f"kube-apiserver exited with {proc.returncode}:\n{tail}")
            try:
                resp = session.get(f"{self.server}/readyz", timeout=2)
                if resp.status_code == 200:
                    return
                last = resp.text[-2000:]
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.2)
        raise HarnessError(
            f"kube-apiserver not ready after {self.start_timeout:.0f}s; last /readyz: {last}\n{_tail(self.log_path)}"
        )

    def _install_crds(self) -> None:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        names: list[str] = []
        files = sorted(self.crd_dir.glob("*.yaml"))
        if not files:
            raise HarnessError(f"no CRDs found in {self.crd_dir}")
        for path in files:
            with open(path) as fh:
                for doc in yaml.load_all(fh, Loader=loader):
                    if not doc:
                        continue
                    _drop_unrendered_conversion(doc)
                    self.client.request(
                        "POST",
                        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                        json=doc,
                        what=f"create CRD from {path.name}",
                        timeout=120,
                    )
                    names.append(doc["metadata"]["name"])
        deadline = time.monotonic() + 60
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                crd = self.client.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
                # A CRD read right after its creation may carry "conditions": null.
                conds = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
                if conds.get("Established") == "True":
                    pending.discard(name)
            if pending:
                time.sleep(0.1)
        if pending:
            raise HarnessError(f"CRDs not Established after 60s: {sorted(pending)}")
        self.crd_names = names

    def _stop_children(self) -> None:
        for name in ("kube-apiserver", "etcd"):
            proc = self._procs.pop(name, None)
            if proc is not None:
                _stop_process(proc)


class _PortClash(HarnessError):
    """A probed free port was taken before the child could bind it; retried."""


__all__ = [
    "GENERATIONS",
    "CertificateAuthority",
    "ControlPlane",
    "HarnessError",
    "KubeAPIError",
    "process_alive",
    "reap_stale_workdirs",
]
