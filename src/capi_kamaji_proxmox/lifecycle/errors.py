"""Errors of the lifecycle verbs: each is one actionable sentence for the CLI to print."""

from __future__ import annotations


class LifecycleError(Exception):
    """An operation could not be done; the message says why and what to do."""

    exit_code = 1


class ReleaseBusy(LifecycleError):
    """Another operation holds the release (its latest record is pending-*)."""


class RefusedChange(LifecycleError):
    """The change is refused before anything is written (e.g. a Kubernetes minor-version skip)."""
