"""Build (once) and locate the kube-apiserver, etcd and helm binaries the harness runs.

Versions are pinned in exactly one place, ``hack/tools/go.mod``: this module reads the
``require`` lines there, so bumping a tool means editing go.mod (and go.sum) only.
Binaries land in a per-version cache outside the checkout
(``$XDG_CACHE_HOME/capi-kamaji-proxmox/bin/<name>-<version>/<name>``) so that every
worktree and every CI job on one machine shares them, and a version bump never mixes
binaries of two versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.paths import shared_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "hack" / "tools"
GO_MOD = TOOLS_DIR / "go.mod"


@dataclass(frozen=True)
class Tool:
    """One binary: the module whose go.mod version pins it and the main package to build."""

    name: str
    module: str
    package: str


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("kube-apiserver", "k8s.io/kubernetes", "k8s.io/kubernetes/cmd/kube-apiserver"),
        Tool("etcd", "go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/server/v3"),
        Tool("helm", "helm.sh/helm/v3", "helm.sh/helm/v3/cmd/helm"),
    )
}

# Binaries that KUBEBUILDER_ASSETS may supply instead of a build (helm is optional there).
ASSET_TOOLS = ("kube-apiserver", "etcd")

STAMP = ".stamp.json"


@dataclass(frozen=True)
class SourceTool:
    """A binary built from a source tree kept beside the checkout (its module is on no proxy).

    The tree may be read-only (CI mounts it so): the build writes only its ``-o`` target and
    Go's own caches. The version is read from the tree itself, so the cache folder follows it.
    """

    name: str
    source: Path
    version_file: str
    version_pattern: str
    tags: tuple[str, ...] = ()

    def version(self) -> str:
        """The version the source tree declares (e.g. ``1.35.2``)."""
        path = self.source / self.version_file
        try:
            text = path.read_text()
        except OSError as exc:
            raise BinariesUnavailableError(f"cannot read the {self.name} source at {path}: {exc}") from exc
        m = re.search(self.version_pattern, text)
        if not m:
            raise BinariesUnavailableError(f"no version found in {path}")
        return m.group(1)

    @property
    def package(self) -> str:
        """What the stamp records as built: the source folder plus its build tags."""
        return f"{self.source}#tags={','.join(self.tags)}"


# The real Cluster Autoscaler (only its clusterapi provider is compiled in), for the
# end-to-end autoscaling tier; see ../shared/third_party/README.md.
AUTOSCALER = SourceTool(
    name="cluster-autoscaler",
    source=shared_dir() / "third_party" / "cluster-autoscaler",
    version_file="version/version.go",
    version_pattern=r'ClusterAutoscalerVersion\s*=\s*"([^"]+)"',
    tags=("clusterapi",),
)


class BinariesUnavailableError(RuntimeError):
    """Raised when a binary can neither be found nor built (e.g. no Go toolchain)."""


class BuildFailedError(BinariesUnavailableError):
    """Raised when ``go build`` itself failed; carries the tail of its output."""


def pinned_versions(go_mod: Path = GO_MOD) -> dict[str, str]:
    """Map tool name -> version as required in hack/tools/go.mod (the single source of truth)."""
    text = go_mod.read_text()
    out: dict[str, str] = {}
    for tool in TOOLS.values():
        m = re.search(rf"^\s*(?:require\s+)?{re.escape(tool.module)}\s+(v\S+)", text, re.M)
        if not m:
            raise BinariesUnavailableError(f"{tool.module} is not required in {go_mod}")
        out[tool.name] = m.group(1)
    return out


def cache_root() -> Path:
    """Per-user cache folder, honouring XDG_CACHE_HOME, never inside the checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "capi-kamaji-proxmox" / "bin"


def cached_path(name: str, version: str, root: Path | None = None) -> Path:
    """Where the binary of ``name`` at ``version`` lives in the cache."""
    return (root or cache_root()) / f"{name}-{version}" / name


def go_binary() -> str | None:
    """Path of the ``go`` command, or None when no toolchain is installed."""
    return shutil.which("go")


def kubebuilder_assets() -> Path | None:
    """The KUBEBUILDER_ASSETS folder when it holds both kube-apiserver and etcd."""
    raw = os.environ.get("KUBEBUILDER_ASSETS")
    if not raw:
        return None
    folder = Path(raw)
    if all(os.access(folder / n, os.X_OK) for n in ASSET_TOOLS):
        return folder
    return None


def _stamp_ok(binary: Path, tool: Tool | SourceTool, version: str) -> bool:
    """True when ``binary`` exists and its stamp says it was built from the pinned version."""
    stamp = binary.parent / STAMP
    if not (binary.is_file() and os.access(binary, os.X_OK) and stamp.is_file()):
        return False
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return bool(
        data.get("version") == version
        and data.get("package") == tool.package
        and data.get("size") == binary.stat().st_size
    )


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """Exclusive lock so two processes (xdist workers, parallel CI jobs) never build at once."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _log(msg: str) -> None:
    print(f"[harness] {msg}", file=sys.stderr, flush=True)


def build(
    name: str,
    *,
    root: Path | None = None,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = _log,
) -> Path:
    """Return the cached binary for ``name``, building it with ``go build`` if needed."""
    tool = TOOLS[name]
    version = pinned_versions()[name]
    cmd = ["build", "-trimpath", "-ldflags=-s -w", "-o", "{out}", tool.package]
    return _cached_build(tool, version, cmd, TOOLS_DIR, root=root, env=env, log=log)


def build_source(
    tool: SourceTool = AUTOSCALER,
    *,
    root: Path | None = None,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = _log,
) -> Path:
    """Return the cached binary built from ``tool``'s source tree (``go build -tags ... -o``)."""
    version = tool.version()
    cmd = ["build", "-trimpath", "-ldflags=-s -w", "-o", "{out}", "."]
    if tool.tags:
        cmd[1:1] = ["-tags", ",".join(tool.tags)]
    return _cached_build(tool, version, cmd, tool.source, root=root, env=env, log=log)


def _cached_build(
    tool: Tool | SourceTool,
    version: str,
    args: list[str],
    cwd: Path,
    *,
    root: Path | None,
    env: dict[str, str] | None,
    log: Callable[[str], None],
) -> Path:
    """Build once under the lock into the cache, with a stamp; ``{out}`` in ``args`` is the output.

    The build writes to a temporary file next to the target and renames it into place,
    so a crash mid-build never leaves a truncated binary that looks valid.
    """
    name = tool.name
    root = root or cache_root()
    target = cached_path(name, version, root)
    if _stamp_ok(target, tool, version):
        return target
    go = go_binary()
    if go is None:
        raise BinariesUnavailableError(f"cannot build {name} {version}: no Go toolchain ('go') on PATH")
    with _build_lock(root):
        if _stamp_ok(target, tool, version):  # another process built it while we waited
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        build_env = dict(os.environ if env is None else env)
        build_env["CGO_ENABLED"] = "0"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=target.parent)
        os.close(fd)
        cmd = [go, *(tmp_name if a == "{out}" else a for a in args)]
        log(f"building {name} {version} (first run only; may take several minutes)")
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=build_env, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
            raise BuildFailedError(f"go build of {tool.package}@{version} failed:\n{tail}")
        os.chmod(tmp_name, 0o755)
        os.replace(tmp_name, target)
        stamp = {
            "name": name,
            "version": version,
            "package": tool.package,
            "size": target.stat().st_size,
            "build_seconds": round(seconds, 1),
            "go": subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout.strip(),
        }
        (target.parent / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        log(f"built {name} {version} in {seconds:.0f}s -> {target}")
        return target


def resolve(name: str, *, root: Path | None = None) -> Path:
    """Path of ``name``: from KUBEBUILDER_ASSETS when it provides it, else the build cache."""
    assets = kubebuilder_assets()
    if assets is not None and os.access(assets / name, os.X_OK):
        return assets / name
    return build(name, root=root)


def resolve_all(*, root: Path | None = None) -> dict[str, Path]:
    """Resolve (building if needed) every tool; kube-apiserver first since it is slowest."""
    return {name: resolve(name, root=root) for name in TOOLS}


def availability_problem() -> str | None:
    """Why binaries cannot be had at all on this machine, or None when they can.

    Cheap (no build): used by pytest to decide between skip (local) and error (CI).
    """
    if go_binary() is not None:
        return None
    if kubebuilder_assets() is not None:
        return None
    versions = pinned_versions()
    if all(_stamp_ok(cached_path(n, v), TOOLS[n], v) for n, v in versions.items()):
        return None
    return "no Go toolchain on PATH and KUBEBUILDER_ASSETS not set"


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.harness.binaries [cluster-autoscaler]``: build the tools and print their paths."""
    args = argv if argv is not None else sys.argv[1:]
    if "cluster-autoscaler" in args:
        print(f"cluster-autoscaler\t{build_source()}")
        return 0
    for name, path in resolve_all().items():
        print(f"{name}\t{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
