"""Observe releases on the management cluster: ``describe``, ``status``, ``kubeconfig``, ``--watch``."""

from .build import ReleaseMissing, describe_view, pool_name, status_rows
from .fields import Condition, conditions, replicas
from .kubeconfig import KubeconfigMissing, KubeconfigSource, fetch_kubeconfig, write_private
from .queries import load_describe, load_status
from .snapshot import OBSERVED_KINDS, Query, Snapshot, release_targets, resolve_kinds
from .text import Line, describe_lines, status_lines
from .watch import Frame, watch_loop

__all__ = [
    "OBSERVED_KINDS",
    "Condition",
    "Frame",
    "KubeconfigMissing",
    "KubeconfigSource",
    "Line",
    "Query",
    "ReleaseMissing",
    "Snapshot",
    "conditions",
    "describe_lines",
    "describe_view",
    "fetch_kubeconfig",
    "load_describe",
    "load_status",
    "pool_name",
    "release_targets",
    "replicas",
    "resolve_kinds",
    "status_lines",
    "status_rows",
    "watch_loop",
    "write_private",
]
