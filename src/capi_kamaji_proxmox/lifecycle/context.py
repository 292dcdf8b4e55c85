"""What every verb shares: the connection, the release storage, discovery, options and output."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.discovery import APINotServed, KindRequest, choose_versions
from capi_kamaji_proxmox.lifecycle.defaults import DEFAULT_HISTORY_MAX, DEFAULT_TIMEOUT
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.inputs import PreflightSettings
from capi_kamaji_proxmox.release.storage import SecretStorage
from capi_kamaji_proxmox.render.apis import KINDS, ApiVersions


@dataclass
class Options:
    """Flags shared by the verbs, with Helm's names and meanings."""

    dry_run: bool = False
    wait: bool = False
    timeout: float = DEFAULT_TIMEOUT
    force_conflicts: bool = False
    history_max: int = DEFAULT_HISTORY_MAX
    atomic: bool = False
    keep_history: bool = False
    skip_preflight: bool = False
    preflight: PreflightSettings = field(default_factory=PreflightSettings)


@dataclass
class Reporter:
    """Progress lines go to stderr, so stdout stays clean for -o json/yaml.

    Output is never worth an operation: a write that fails (closed pipe, full disk) silences the
    reporter instead of raising into the middle of an apply.
    """

    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    quiet: bool = False

    def write(self, text: str) -> None:
        if self.quiet or self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # EPIPE, ENOSPC, a closed file
            self.quiet = True

    def step(self, message: str) -> None:
        self.write(message + "\n")

    def warn(self, message: str) -> None:
        self.step(f"warning: {message}")

    def isatty(self) -> bool:
        try:
            return bool(self.stream and self.stream.isatty())
        except (OSError, ValueError):
            return False


@dataclass
class ActionContext:
    client: KubeClient
    namespace: str
    options: Options = field(default_factory=Options)
    out: Reporter = field(default_factory=Reporter)

    @property
    def storage(self) -> SecretStorage:
        return SecretStorage(self.client, self.namespace)

    def served_apis(self, kinds: list[str]) -> ApiVersions:
        """Per kind, the newest version the tool renders that the server serves.

        Missing providers are an error before anything is written, naming what is missing.
        """
        requests = [
            KindRequest(
                group=KINDS[k].group,
                plural=KINDS[k].plural,
                candidates=KINDS[k].versions,
                provider=KINDS[k].human,
                kind=k,
            )
            for k in kinds
        ]
        try:
            chosen = choose_versions(self.client, requests)
        except APINotServed as exc:
            raise LifecycleError(str(exc)) from None
        served: dict[str, set[str]] = {}
        for (group, plural), info in chosen.items():
            served.setdefault(f"{plural}.{group}", set()).add(info.version)
        apis = ApiVersions.from_served(served)
        # Kinds not needed by this render still need a value for the renderer's lookups.
        return ApiVersions({k: apis.chosen[k] or ApiVersions.current().chosen[k] for k in KINDS})
