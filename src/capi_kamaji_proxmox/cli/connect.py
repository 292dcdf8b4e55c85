"""One way for every command to reach the management cluster: kubeconfig resolution, the namespace
rule, and the mapping of connection and permission failures to one-line errors."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
from capi_kamaji_proxmox.kube.errors import ApiError, Forbidden, KubeConfigError, Unauthorized


@contextmanager
def connected(args: argparse.Namespace) -> Iterator[tuple[KubeClient, str]]:
    """(client, namespace) from --kubeconfig/--context/-n; closed on exit, errors made readable.

    The namespace is -n, else the kubeconfig context's, else ``default``.
    """
    try:
        config = resolve_config(getattr(args, "kubeconfig", None), getattr(args, "context", None))
    except KubeConfigError as exc:
        raise common.CLIError(str(exc)) from None
    namespace = getattr(args, "namespace", None) or config.namespace or "default"
    client = KubeClient(config, namespace=namespace)
    try:
        yield client, namespace
    except Forbidden as exc:
        raise common.CLIError(f"forbidden: {exc}") from None
    except Unauthorized as exc:
        raise common.CLIError(f"the management cluster refused the credentials: {exc}") from None
    except ApiError as exc:
        raise common.CLIError(str(exc)) from None
    except BrokenPipeError:
        raise  # our output went away (`| head`): not a connection problem; main() handles it
    except (OSError, httpx2.TransportError) as exc:
        raise common.CLIError(f"cannot reach the management cluster at {config.cluster.server}: {exc}") from None
    finally:
        client.close()
