"""The doctor checks as a step of install/upgrade: run before anything is written, stop on a failure
unless the caller skips them (and then say so)."""

from __future__ import annotations

from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.values.load import LoadedValues


def preflight(ctx: ActionContext, name: str, loaded: LoadedValues) -> None:
    if ctx.options.skip_preflight:
        ctx.out.warn("--skip-preflight: the management cluster and Proxmox were not checked")
        return
    from capi_kamaji_proxmox.preflight.run import run_preflight

    settings = ctx.options.preflight
    results = run_preflight(
        ctx.client,
        ctx.namespace,
        loaded,
        name,
        insecure=settings.insecure,
        ca_file=settings.ca_file,
        bootstrap_namespace=settings.bootstrap_namespace,
        bootstrap_service_account=settings.bootstrap_service_account,
        timeout=settings.timeout,
    )
    failed = [r for r in results if r.status == "fail"]
    for r in results:
        if r.status != "pass":
            ctx.out.step(r.line())
            detail = getattr(r, "detail", "")
            if detail and r.status == "fail":
                ctx.out.step(detail.rstrip())
    if failed:
        raise LifecycleError(
            f"preflight found {len(failed)} problem(s) (listed above); fix them, "
            "or pass --skip-preflight to go ahead anyway"
        )
