"""What a caller hands the write verbs besides the release name: the user's values as given (with
helm's reuse/reset rule, which needs the last revision) and the preflight settings. Resolving them
inside the action, like helm's ``action.Upgrade``, reads the history once and keeps the rule the
same for every caller (CLI, Python API, a controller)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capi_kamaji_proxmox.preflight.defaults import BOOTSTRAP_NAMESPACE, BOOTSTRAP_SERVICE_ACCOUNT, PROXMOX_TIMEOUT
from capi_kamaji_proxmox.release.record import Release


@dataclass
class UserValues:
    """Values layers in Helm's order: files (already read), then --set, --set-string, --set-file."""

    files: list[dict[str, Any]] = field(default_factory=list)
    set: list[str] = field(default_factory=list)
    set_string: list[str] = field(default_factory=list)
    set_file: list[str] = field(default_factory=list)
    reuse_values: bool = False
    reset_values: bool = False

    @property
    def given(self) -> bool:
        return bool(self.files or self.set or self.set_string or self.set_file)

    def layered(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        """The given layers on top of ``base``; with a base, ``--set nodePools[0].replicas=3`` edits the
        reused pool instead of replacing the whole list as plain Helm would."""
        from capi_kamaji_proxmox.values.load import layer_values

        return layer_values(self.files, self.set, self.set_string, self.set_file, base=base)

    def config(self, last: Release | None) -> dict[str, Any]:
        """Helm's rule: --reuse-values builds on the last values; with no values given (and no
        --reset-values) the last values are kept; otherwise only the given values count."""
        if last is not None and (self.reuse_values or (not self.given and not self.reset_values)):
            return self.layered(last.config)
        return self.layered()


@dataclass
class PreflightSettings:
    """How the doctor checks run before install/upgrade (unless ``Options.skip_preflight``)."""

    insecure: bool = False
    ca_file: str | None = None
    timeout: float = PROXMOX_TIMEOUT  # seconds per Proxmox API request
    bootstrap_namespace: str = BOOTSTRAP_NAMESPACE
    bootstrap_service_account: str = BOOTSTRAP_SERVICE_ACCOUNT
