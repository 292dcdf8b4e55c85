"""One call for every preflight check: the management cluster first, then Proxmox VE.

``doctor`` prints the results; ``install`` and ``upgrade`` call :func:`run_preflight` before
writing anything and stop on any ``fail``. The Proxmox checks use the very credentials CAPMOX
will use (the Secret named in the values), so a wrong URL or an unprivileged token is caught
with the same token the provider would run into it with.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import certifi

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.proxmox.client import ProxmoxClient, ProxmoxError, ProxmoxTLSError
from capi_kamaji_proxmox.proxmox.preflight import CheckResult, run_proxmox_checks
from capi_kamaji_proxmox.values.load import LoadedValues
from capi_kamaji_proxmox.values.model import Values

from .credentials import Credentials
from .defaults import PROXMOX_TIMEOUT
from .management import (
    BOOTSTRAP_NAMESPACE,
    BOOTSTRAP_SERVICE_ACCOUNT,
    credentials_location,
    run_management_checks,
)
from .registry import PreflightInput, run_registered
from .requirements_from_values import requirements_for

__all__ = ["run_preflight", "tls_plan"]

_CA_FIX = (
    "capi-kamaji-proxmox secret create {name} -n {ns} --cluster-name <cluster> --proxmox-ca-file "
    '/etc/pve/pve-root-ca.pem (writes root_ca and insecure: "false")'
)


@dataclass
class _TLSPlan:
    """How doctor connects (mirroring CAPMOX) and what it reports about CAPMOX's TLS."""

    insecure: bool
    ca_file: str | None
    result: CheckResult | None  # decided up front; None: decided by the first request
    against: str = ""  # what CAPMOX verifies against, for the pass/fail line
    temp: str | None = None  # a CA bundle written for root_ca, removed afterwards
    fix: str = ""


def tls_plan(creds: Credentials, where: str, fix: str, *, insecure: bool, ca_file: str | None) -> _TLSPlan:
    """Judge TLS the way CAPMOX will (pkg/scope/cluster.go): ``insecure`` unset or true-ish means no
    verification at all; otherwise the system roots plus ``root_ca``."""
    if not creds.capmox_verifies:
        why = "has no insecure key" if creds.insecure is None else f'sets insecure: "{creds.insecure}"'
        warn = CheckResult(
            "proxmox-tls",
            "warn",
            f"CAPMOX will not verify the certificate of {creds.url}: {where} {why}",
            fix,
        )
        # doctor verifies only when asked to (--proxmox-ca-file): CAPMOX will connect either way
        return _TLSPlan(insecure=ca_file is None or insecure, ca_file=ca_file, result=warn)
    against = "root_ca and the system roots" if creds.root_ca else "the system roots (the Secret has no root_ca)"
    if insecure:
        return _TLSPlan(
            True,
            None,
            CheckResult(
                "proxmox-tls",
                "warn",
                f"not checked (--insecure-skip-tls-verify): CAPMOX verifies the certificate of {creds.url} against "
                f"{against}",
                "run doctor without --insecure-skip-tls-verify to check what CAPMOX will see",
            ),
        )
    if not creds.root_ca:
        return _TLSPlan(False, None, None, against, fix=fix)
    if "BEGIN CERTIFICATE" not in creds.root_ca:
        return _TLSPlan(
            False,
            None,
            CheckResult(
                "proxmox-tls",
                "fail",
                f'{where}: key root_ca holds no PEM certificate; CAPMOX fails with "certificate was not appended"',
                fix,
            ),
            against,
        )
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False, encoding="utf-8") as fh:
        fh.write(Path(certifi.where()).read_text(encoding="utf-8") + "\n" + creds.root_ca + "\n")
    return _TLSPlan(False, fh.name, None, against, fh.name, fix)


def run_preflight(
    client: KubeClient,
    namespace: str,
    loaded: LoadedValues,
    release: str,
    *,
    insecure: bool = False,
    ca_file: str | None = None,
    proxmox: bool = True,
    bootstrap_namespace: str = BOOTSTRAP_NAMESPACE,
    bootstrap_service_account: str = BOOTSTRAP_SERVICE_ACCOUNT,
    timeout: float = PROXMOX_TIMEOUT,
) -> list[CheckResult]:
    """All checks in a fixed order; never raises for a failed check (each failure is a result).

    ``namespace`` is the release namespace (where the credentials Secret lives unless the values
    name another). ``proxmox=False`` runs only the management-cluster checks. ``insecure`` and
    ``ca_file`` only change doctor's own connection where CAPMOX does not verify (or to skip it).
    """
    values = loaded.values
    results, creds = run_management_checks(
        client,
        namespace,
        values,
        release,
        bootstrap_namespace=bootstrap_namespace,
        bootstrap_service_account=bootstrap_service_account,
    )
    results += run_registered(PreflightInput(client, namespace, loaded, release))
    if not proxmox:
        return results
    secret_ns, secret_name = credentials_location(values, namespace)
    if creds is None:
        results.append(
            CheckResult(
                "proxmox",
                "fail",
                f"not checked: no usable credentials Secret {secret_ns}/{secret_name}",
                "fix the credentials-secret check first",
            )
        )
        return results
    if ca_file is not None and not insecure and not Path(ca_file).is_file():
        results.append(
            CheckResult(
                "api-access",
                "fail",
                f"the CA file {ca_file!r} does not exist",
                "pass the PEM file of the CA that signed the Proxmox certificate",
            )
        )
        return results
    where = f"Secret {secret_ns}/{secret_name}"
    plan = tls_plan(creds, where, _CA_FIX.format(name=secret_name, ns=secret_ns), insecure=insecure, ca_file=ca_file)
    try:
        results.extend(_proxmox_results(creds, plan, values, timeout))
    finally:
        if plan.temp:
            Path(plan.temp).unlink(missing_ok=True)
    return results


def _proxmox_results(creds: Credentials, plan: _TLSPlan, values: Values, timeout: float) -> list[CheckResult]:
    """The TLS verdict, then every Proxmox check, over the connection CAPMOX will make."""
    out: list[CheckResult] = [plan.result] if plan.result is not None else []
    if plan.result is not None and plan.result.status == "fail":
        return out
    try:
        pve = ProxmoxClient(
            creds.url,
            creds.token,
            creds.secret,
            ca_file=plan.ca_file,
            insecure=plan.insecure,
            timeout=timeout,
            as_capmox=True,
        )
        version = pve.version()
    except ProxmoxTLSError as err:
        if plan.result is None:  # CAPMOX verifies: it will fail exactly here
            return [
                *out,
                CheckResult(
                    "proxmox-tls",
                    "fail",
                    f"CAPMOX will reject the certificate of {creds.url}: it does not verify against {plan.against} "
                    f"({err.problem.split('(', 1)[-1].rstrip(')')})",
                    plan.fix,
                ),
            ]
        return [*out, CheckResult("api-access", "fail", err.problem, err.hint)]
    except ProxmoxError as err:
        problem = err.problem.replace(creds.secret, "***")
        return [*out, CheckResult("api-access", "fail", problem, err.hint or "check the URL, token and network")]
    if plan.result is None:
        out.append(
            CheckResult("proxmox-tls", "pass", f"CAPMOX verifies the certificate of {creds.url} against {plan.against}")
        )
    return [*out, *run_proxmox_checks(pve, requirements_for(values), version=version)]
