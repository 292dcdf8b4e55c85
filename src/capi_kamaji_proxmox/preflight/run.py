"""One call for every preflight check: the management cluster first, then Proxmox VE.

``doctor`` prints the results; ``install`` and ``upgrade`` call :func:`run_preflight` before
writing anything and stop on any ``fail``. The Proxmox checks use the very credentials CAPMOX
will use (the Secret named in the values), so a wrong URL or an unprivileged token is caught
with the same token the provider would run into it with.
"""

from __future__ import annotations

from pathlib import Path

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.proxmox.client import ProxmoxClient, ProxmoxError, parse_token_id
from capi_kamaji_proxmox.proxmox.preflight import CheckResult, run_proxmox_checks
from capi_kamaji_proxmox.values.load import LoadedValues

from .management import (
    BOOTSTRAP_NAMESPACE,
    BOOTSTRAP_SERVICE_ACCOUNT,
    credentials_location,
    run_management_checks,
)
from .requirements_from_values import requirements_for

__all__ = ["TLS_OFF", "run_preflight"]

TLS_OFF = CheckResult(
    "proxmox-tls",
    "warn",
    "TLS verification of the Proxmox API is off (--insecure-skip-tls-verify)",
    "pass --proxmox-ca-file with the CA that signed the Proxmox certificate (/etc/pve/pve-root-ca.pem on a node)",
)


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
    timeout: float = 10.0,
) -> list[CheckResult]:
    """All checks in a fixed order; never raises for a failed check (each failure is a result).

    ``namespace`` is the release namespace (where the credentials Secret lives unless the values
    name another). ``proxmox=False`` runs only the management-cluster checks.
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
    if not proxmox:
        return results
    if insecure:
        results.append(TLS_OFF)
    if creds is None:
        secret_ns, secret_name = credentials_location(values, namespace)
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
    try:
        parse_token_id(creds.token)
    except ProxmoxError:
        results.append(
            CheckResult(
                "api-access",
                "fail",
                "the token key of the credentials Secret is not of the form user@realm!tokenname "
                "(the value is not shown in case it holds the secret)",
                "recreate the Secret with capi-kamaji-proxmox secret create (token id and secret apart)",
            )
        )
        return results
    try:
        pve = ProxmoxClient(creds.url, creds.token, creds.secret, ca_file=ca_file, insecure=insecure, timeout=timeout)
    except ProxmoxError as err:
        results.append(
            CheckResult(
                "api-access",
                "fail",
                f"the credentials Secret is unusable: {err.problem}".replace(creds.secret, "***"),
                err.hint or "recreate it with capi-kamaji-proxmox secret create",
            )
        )
        return results
    results.extend(run_proxmox_checks(pve, requirements_for(values)))
    return results
