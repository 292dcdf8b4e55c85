"""Typed errors for Kubernetes API failures.

The API server answers failures with a ``Status`` object; callers (the lifecycle verbs, the CLI)
need to branch on *what* failed (not found, forbidden, conflicting field owner, schema rejection)
and show the server's own words, so each HTTP failure becomes one of these classes carrying the
parsed Status.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AlreadyExists",
    "ApiError",
    "ApplyConflict",
    "BadRequest",
    "Conflict",
    "FieldConflict",
    "Forbidden",
    "Gone",
    "Invalid",
    "KubeConfigError",
    "NotFound",
    "StatusCause",
    "Unauthorized",
    "UnknownFieldError",
    "error_from_response",
]


class KubeConfigError(Exception):
    """No usable connection settings (kubeconfig, context or in-cluster config)."""


@dataclass(frozen=True)
class StatusCause:
    """One entry of ``Status.details.causes`` (field path and reason the server gave)."""

    reason: str = ""
    message: str = ""
    field: str = ""


class ApiError(Exception):
    """Any non-2xx answer of the API server, with the parsed Status fields."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str = "",
        details: dict[str, Any] | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.details: dict[str, Any] = details or {}
        self.method = method
        self.path = path

    @property
    def causes(self) -> list[StatusCause]:
        """``details.causes`` as typed objects (empty when the server sent none)."""
        out = []
        for c in self.details.get("causes") or []:
            if isinstance(c, dict):
                out.append(
                    StatusCause(
                        reason=str(c.get("reason", "")),
                        message=str(c.get("message", "")),
                        field=str(c.get("field", "")),
                    )
                )
        return out

    def __str__(self) -> str:
        return self.message or f"HTTP {self.code} for {self.method} {self.path}"


class BadRequest(ApiError):
    """400: e.g. strict field validation rejected an unknown or duplicate field."""


_UNDECLARED_RE = re.compile(r"(\.[^\s:,]+): field not declared in schema")
_UNKNOWN_RE = re.compile(r'unknown field "([^"]+)"')


class UnknownFieldError(BadRequest):
    """The object has fields the schema does not declare (strict validation).

    The API server reports this for server-side apply as a 500 whose message ends in
    ``field not declared in schema``, and for other writes as 400 ``strict decoding error:
    unknown field``; both become this class because the cause is the same: a rendering bug.
    """

    @property
    def fields(self) -> list[str]:
        """Paths of the unknown fields, e.g. ``.spec.bogus`` / ``spec.bogus``."""
        return _UNDECLARED_RE.findall(self.message) + _UNKNOWN_RE.findall(self.message)


class Unauthorized(ApiError):
    """401: the credentials were not accepted."""


class Forbidden(ApiError):
    """403: RBAC denied the request; the message names the verb and resource."""


class NotFound(ApiError):
    """404: the object (or its API type) does not exist."""


class Conflict(ApiError):
    """409: a write lost a race (stale resourceVersion) or hit an existing object."""


class AlreadyExists(Conflict):
    """409 with reason AlreadyExists: a create found the name taken."""


@dataclass(frozen=True)
class FieldConflict:
    """One field owned by another field manager that a server-side apply tried to change."""

    manager: str
    field: str
    message: str = ""


_MANAGER_RE = re.compile(r'conflict with "([^"]*)"')


class ApplyConflict(Conflict):
    """409 from server-side apply: fields are owned by other managers; retry with force."""

    @property
    def conflicts(self) -> list[FieldConflict]:
        """Each conflicting field with the manager that owns it."""
        out: list[FieldConflict] = []
        for cause in self.causes:
            m = _MANAGER_RE.search(cause.message)
            out.append(
                FieldConflict(
                    manager=m.group(1) if m else "",
                    field=cause.field,
                    message=cause.message,
                )
            )
        if not out:
            # Fall back to the summary message: 'conflict with "mgr" using v1: .data.a'.
            for m in re.finditer(r'conflict with "([^"]*)"[^:]*:\s*(\S+)', self.message):
                out.append(FieldConflict(manager=m.group(1), field=m.group(2)))
        return out

    @property
    def managers(self) -> list[str]:
        """Distinct names of the other field managers, in order of appearance."""
        seen: list[str] = []
        for c in self.conflicts:
            if c.manager and c.manager not in seen:
                seen.append(c.manager)
        return seen


class Gone(ApiError):
    """410: a watch or list continued from a resourceVersion that was compacted away."""


class Invalid(ApiError):
    """422: the object failed schema, CEL or admission validation."""


_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
}


def _parse_status(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def error_from_response(code: int, body: bytes, *, method: str = "", path: str = "", apply: bool = False) -> ApiError:
    """Build the typed error for a failed response (``apply`` marks a server-side apply call)."""
    status = _parse_status(body)
    message = str(status.get("message") or body[:500].decode("utf-8", "replace").strip())
    if not message:
        message = f"HTTP {code} for {method} {path}"
    reason = str(status.get("reason") or "")
    details = status.get("details")
    details = details if isinstance(details, dict) else {}
    cls = _BY_CODE.get(code, ApiError)
    if code in (400, 500) and (_UNDECLARED_RE.search(message) or _UNKNOWN_RE.search(message)):
        cls = UnknownFieldError
    if code == 409:
        if reason == "AlreadyExists":
            cls = AlreadyExists
        elif apply:
            cls = ApplyConflict
    return cls(code, message, reason=reason, details=details, method=method, path=path)
