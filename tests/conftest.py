"""Harness fixtures shared by every test folder: a real management-cluster API, and helm.

Only harness fixtures live here; feature-specific fixtures belong in subfolder conftests.

Binaries: with ``CI`` set (true/1/yes) any failure to get kube-apiserver/etcd/helm is an
error. Locally, when there is neither a Go toolchain nor ``KUBEBUILDER_ASSETS``, integration
tests are skipped with a single summary line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import binaries
from tests.harness.cluster import GENERATIONS, ControlPlane
from tests.proxmox_sim import PVESimulator, TLSFiles, make_tls_files, standard_inventory

ENABLE_HINT = (
    "integration tests need kube-apiserver+etcd: install Go (>=1.26) so the harness can build "
    "them from hack/tools/go.mod, or set KUBEBUILDER_ASSETS to a folder holding both"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _check_available() -> None:
    """Skip (locally) or fail (CI) when the binaries cannot be had at all."""
    problem = binaries.availability_problem()
    if problem is None:
        return
    if _in_ci():
        pytest.fail(f"CI: {problem}; {ENABLE_HINT}", pytrace=False)
    pytest.skip(ENABLE_HINT)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Gate every integration test in one place so the skip folds into ONE summary line."""
    if item.get_closest_marker("integration") is not None:
        _check_available()


def pytest_report_header(config: pytest.Config) -> str:
    """Show which tool versions the harness pins, so logs say what the tests ran against."""
    try:
        versions = binaries.pinned_versions()
    except Exception as exc:  # header must never break collection
        return f"harness: cannot read pinned versions: {exc}"
    pinned = ", ".join(f"{k} {v}" for k, v in versions.items())
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    return f"harness: {pinned}; cache {binaries.cache_root()}" + (f"; KUBEBUILDER_ASSETS={assets}" if assets else "")


def _uncaptured_log(config: pytest.Config) -> Callable[[str], None]:
    """A logger that prints past pytest's capture, so long builds do not look like a hang."""
    capman = config.pluginmanager.getplugin("capturemanager")

    def log(msg: str) -> None:
        if capman is not None:
            with capman.global_and_fixture_disabled():
                print(f"\n[harness] {msg}", flush=True)
        else:
            print(f"[harness] {msg}", flush=True)

    return log


@pytest.fixture(scope="session")
def harness_binaries(pytestconfig: pytest.Config) -> dict[str, Path]:
    """Paths of kube-apiserver and etcd (built once per version, then cached)."""
    _check_available()
    log = _uncaptured_log(pytestconfig)
    out: dict[str, Path] = {}
    for name in binaries.ASSET_TOOLS:
        assets = binaries.kubebuilder_assets()
        if assets is not None:
            out[name] = assets / name
        else:
            out[name] = binaries.build(name, log=log)
    return out


@pytest.fixture(scope="session")
def helm_bin(pytestconfig: pytest.Config) -> Path:
    """Path of the pinned helm binary (from KUBEBUILDER_ASSETS if it has one, else built)."""
    assets = binaries.kubebuilder_assets()
    if assets is not None and os.access(assets / "helm", os.X_OK):
        return assets / "helm"
    if binaries.go_binary() is None and not _in_ci():
        pytest.skip("helm tests need Go (to build helm from hack/tools/go.mod)")
    try:
        return binaries.build("helm", log=_uncaptured_log(pytestconfig))
    except binaries.BinariesUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def autoscaler_bin(pytestconfig: pytest.Config) -> Path:
    """The real Cluster Autoscaler, built once from ../shared/third_party into the binary cache.

    Under CI=true any failure to have it is an error; locally only a missing Go toolchain
    (with nothing cached) skips.
    """
    try:
        return binaries.build_source(binaries.AUTOSCALER, log=_uncaptured_log(pytestconfig))
    except binaries.BuildFailedError as exc:
        pytest.fail(str(exc), pytrace=False)
    except binaries.BinariesUnavailableError as exc:
        if _in_ci():
            pytest.fail(f"CI: {exc}", pytrace=False)
        pytest.skip(str(exc))


_KEPT_LOGS: list[Path] = []


@pytest.fixture(scope="session", params=GENERATIONS)
def mgmt_cluster(request: pytest.FixtureRequest, harness_binaries: dict[str, Path]) -> Iterator[ControlPlane]:
    """A running API server with every CRD of one generation Established.

    Parametrized by generation, session-scoped: pytest groups tests by generation, so each
    server starts once, lazily, and the previous one stops before the next starts.
    """
    failed_before = request.session.testsfailed
    plane = ControlPlane(generation=request.param, binaries_override=harness_binaries)
    plane.start()
    try:
        yield plane
    finally:
        keep = request.session.testsfailed > failed_before
        plane.stop(keep_logs=keep)
        if keep:
            _KEPT_LOGS.append(plane.log_path)


@pytest.fixture
def bare_cluster(harness_binaries: dict[str, Path]) -> Iterator[ControlPlane]:
    """An API server with no CRDs at all: nothing of Cluster API, Kamaji or IPAM is installed."""
    plane = ControlPlane(generation="current", install_crds=False, binaries_override=harness_binaries)
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def workload_cluster(harness_binaries: dict[str, Path]) -> Iterator[ControlPlane]:
    """A second API server, without CRDs, that plays a workload cluster (Nodes, Pods, kube-system).

    Session-scoped: tests share it and create what they need in their own namespaces or with
    unique names.
    """
    plane = ControlPlane(
        generation="current", namespace="kube-system-test", install_crds=False, binaries_override=harness_binaries
    )
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def namespace(mgmt_cluster: ControlPlane, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for this test (never deleted: no namespace controller runs)."""
    slug = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")
    return mgmt_cluster.create_namespace(slug[:30] or "t")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, attach the tail of the kube-apiserver log to the test's report."""
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    if not rep.failed:
        return
    plane = getattr(item, "funcargs", {}).get("mgmt_cluster")
    if isinstance(plane, ControlPlane):
        rep.sections.append(
            (
                f"kube-apiserver log tail ({plane.generation}, {plane.log_path})",
                plane.log_tail(40),
            )
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the API server logs of failed sessions were kept."""
    for path in _KEPT_LOGS:
        terminalreporter.write_line(f"harness: kube-apiserver log kept at {path}")


_INTEGRATION_RAN: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember integration tests that really ran (passed or failed, not skipped)."""
    if report.when == "call" and "integration" in report.keywords and not report.skipped:
        _INTEGRATION_RAN.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a run in which no integration test ran is a failure, whatever else passed."""
    if _in_ci() and exitstatus == 0 and session.testscollected and not _INTEGRATION_RAN:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nerror: CI=true but no integration test ran; the integration tier is mandatory in CI")


# -- the Proxmox VE simulator (the one test double), shared by every folder that needs it ----------


@pytest.fixture(scope="session")
def pve_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """The simulator's CA and server certificate, made once per session."""
    return make_tls_files(Path(tmp_path_factory.mktemp("pve-tls")))


@pytest.fixture
def pve_sim(pve_tls: TLSFiles) -> Iterator[PVESimulator]:
    """A simulator loaded with ``standard_inventory()``; tests may mutate ``.inventory``.

    The 3 s pause PVE makes before a 401 is off here (tests/proxmox/test_simulator.py turns it on).
    """
    with PVESimulator(standard_inventory(), pve_tls, auth_failure_delay=0.0) as sim:
        yield sim
