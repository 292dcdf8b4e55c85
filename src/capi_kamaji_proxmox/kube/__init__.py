"""Thin layer over the Kubernetes API: connection, discovery, server-side apply and typed errors."""

# ``kube.apply`` stays the *module* (``from capi_kamaji_proxmox.kube import apply as kube`` then
# ``kube.apply(...)``, ``kube.get(...)``); the apply function is also exported as server_side_apply.
from .apply import ObjectRef, WatchEvent, delete, get, list_objects, selector_string, watch
from .apply import apply as server_side_apply
from .client import DEFAULT_FIELD_MANAGER, KubeClient, RequestCounter, connect, resolve_config
from .discovery import (
    APINotServed,
    Discovery,
    GroupNotServed,
    KindNotServed,
    KindRequest,
    ResourceInfo,
    choose_versions,
    discovery,
)
from .errors import (
    AlreadyExists,
    ApiError,
    ApplyConflict,
    BadRequest,
    Conflict,
    FieldConflict,
    Forbidden,
    Gone,
    Invalid,
    KubeConfigError,
    NotFound,
    Unauthorized,
    UnknownFieldError,
)

__all__ = [
    "DEFAULT_FIELD_MANAGER",
    "APINotServed",
    "AlreadyExists",
    "ApiError",
    "ApplyConflict",
    "BadRequest",
    "Conflict",
    "Discovery",
    "FieldConflict",
    "Forbidden",
    "Gone",
    "GroupNotServed",
    "Invalid",
    "KindNotServed",
    "KindRequest",
    "KubeClient",
    "KubeConfigError",
    "NotFound",
    "ObjectRef",
    "RequestCounter",
    "ResourceInfo",
    "Unauthorized",
    "UnknownFieldError",
    "WatchEvent",
    "choose_versions",
    "connect",
    "delete",
    "discovery",
    "get",
    "list_objects",
    "resolve_config",
    "selector_string",
    "server_side_apply",
    "watch",
]
