"""A Helm release record, encoded byte-compatibly with Helm's storage drivers.

The tool keeps its releases where and how Helm keeps them so that the real ``helm`` binary can
list, inspect, roll back and uninstall them (and so that releases helm installed are readable
here). Field names, ``omitempty`` behaviour and the timestamp format follow Helm v3's JSON; v4
reads it too. Unknown fields of records written by other helm versions are kept (pydantic
``extra="allow"``) so that rewriting a record (e.g. to mark it superseded) loses nothing.

Encoding (``shared/docs/helm-release-format.md`` section 2): JSON -> gzip (level 9) -> standard
base64 = string *S*. A Secret stores the bytes of *S* in ``data.release``, and the Kubernetes API
base64-encodes Secret data once more on the wire.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .redact import redact_secrets

__all__ = [
    "Chart",
    "ChartFile",
    "ChartMetadata",
    "DecodeError",
    "Hook",
    "HookLastRun",
    "Info",
    "Release",
    "Status",
    "build_manifest",
    "decode",
    "decode_secret_data",
    "encode",
    "encode_secret_data",
    "format_time",
    "now",
    "parse_time",
    "split_manifest",
    "storage_key",
    "validate_release_name",
]

GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_NAME_LEN = 53
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class DecodeError(ValueError):
    """A stored record is not valid base64/gzip/JSON or lacks required release fields."""


class Status(StrEnum):
    """Release status strings exactly as helm writes them (``info.status`` and label ``status``)."""

    UNKNOWN = "unknown"
    DEPLOYED = "deployed"
    UNINSTALLED = "uninstalled"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    UNINSTALLING = "uninstalling"
    PENDING_INSTALL = "pending-install"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"

    @property
    def is_pending(self) -> bool:
        """True for the three ``pending-*`` states (helm's upgrade lock)."""
        return self in (Status.PENDING_INSTALL, Status.PENDING_UPGRADE, Status.PENDING_ROLLBACK)


def validate_release_name(name: str) -> str:
    """Return ``name`` if helm would accept it as a release name, else raise ``ValueError``."""
    if not name or len(name) > MAX_NAME_LEN or not _NAME_RE.match(name):
        raise ValueError(
            f"invalid release name {name!r}: at most {MAX_NAME_LEN} characters of lowercase "
            "letters, digits, '-' and '.', starting and ending with a letter or digit"
        )
    return name


# --------------------------------------------------------------------------- timestamps

_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$")


def parse_time(value: Any) -> datetime | None:
    """Parse a Go ``time.Time`` JSON string (RFC 3339, up to nanoseconds); ``""``/None -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: helm requires a UTC offset")
        return value
    m = _TIME_RE.match(str(value))
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if off in ("Z", "z"):
        tz: timezone = UTC
    else:
        sign = 1 if off[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=tz)
    if dt.year <= 1:
        return None  # Go zero time (v4 writes 0001-01-01T00:00:00Z for zero)
    return dt


def format_time(dt: datetime | None) -> str:
    """Format like Go's RFC3339Nano: fraction without trailing zeros, ``Z`` for UTC."""
    if dt is None:
        return ""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: helm requires a UTC offset")
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        base += "." + f"{dt.microsecond:06d}".rstrip("0")
    off = dt.utcoffset() or timedelta(0)
    if off == timedelta(0):
        return base + "Z"
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{base}{sign}{total // 3600:02d}:{(total % 3600) // 60:02d}"


def now() -> datetime:
    """Current time, timezone-aware UTC (helm rejects timestamps without offset)."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def _extras(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


class HookLastRun(_Model):
    """When a hook last ran (helm fills it; we only carry it through)."""

    started_at: datetime | None = None
    completed_at: datetime | None = None
    phase: str = ""

    @field_validator("started_at", "completed_at", mode="before")
    @classmethod
    def _time(cls, v: Any) -> datetime | None:
        return parse_time(v)

    def to_helm(self) -> dict[str, Any]:
        """Helm v3 JSON form."""
        out: dict[str, Any] = {
            "started_at": format_time(self.started_at),
            "completed_at": format_time(self.completed_at),
            "phase": self.phase,
        }
        out.update(self._extras())
        return out


class Hook(_Model):
    """A hook resource; our tool writes none, but records helm wrote may carry them."""

    name: str = ""
    kind: str = ""
    path: str = ""
    manifest: str = ""
    events: list[str] = Field(default_factory=list)
    last_run: HookLastRun = Field(default_factory=HookLastRun)
    weight: int = 0
    delete_policies: list[str] = Field(default_factory=list)
    output_log_policies: list[str] = Field(default_factory=list)

    def to_helm(self) -> dict[str, Any]:
        """Helm v3 JSON form (``omitempty`` keys dropped when empty)."""
        out: dict[str, Any] = {}
        for k in ("name", "kind", "path", "manifest"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.events:
            out["events"] = self.events
        out["last_run"] = self.last_run.to_helm()
        if self.weight:
            out["weight"] = self.weight
        if self.delete_policies:
            out["delete_policies"] = self.delete_policies
        if self.output_log_policies:
            out["output_log_policies"] = self.output_log_policies
        out.update(self._extras())
        return out


class ChartMetadata(_Model):
    """Chart.yaml content; ``helm list`` shows ``<name>-<version>`` and ``appVersion``."""

    name: str
    version: str
    api_version: str = Field(default="v2", alias="apiVersion")
    app_version: str = Field(default="", alias="appVersion")
    description: str = ""
    type: str = ""
    annotations: dict[str, str] = Field(default_factory=dict)

    def to_helm(self) -> dict[str, Any]:
        """Helm JSON form (all keys ``omitempty``)."""
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.description:
            out["description"] = self.description
        out["apiVersion"] = self.api_version
        if self.app_version:
            out["appVersion"] = self.app_version
        if self.annotations:
            out["annotations"] = self.annotations
        if self.type:
            out["type"] = self.type
        out.update(self._extras())
        return out


class ChartFile(_Model):
    """A chart file or template: ``data`` is base64 as Go writes ``[]byte``."""

    name: str
    data: str = ""

    @classmethod
    def from_text(cls, name: str, text: str) -> ChartFile:
        """Build from file content."""
        return cls(name=name, data=base64.b64encode(text.encode()).decode("ascii"))

    @property
    def text(self) -> str:
        """Decoded content."""
        return base64.b64decode(self.data).decode("utf-8", "replace")

    def to_helm(self) -> dict[str, Any]:
        """Helm JSON form."""
        out: dict[str, Any] = {"name": self.name, "data": self.data}
        out.update(self._extras())
        return out


class Chart(_Model):
    """The chart embedded in a release (metadata, default values; templates may be empty)."""

    metadata: ChartMetadata
    lock: Any = None
    templates: list[ChartFile] = Field(default_factory=list)
    values: dict[str, Any] = Field(default_factory=dict)
    schema_: str | None = Field(default=None, alias="schema")
    files: list[ChartFile] = Field(default_factory=list)

    @field_validator("templates", "files", "values", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any, info: Any) -> Any:
        if v is None:
            return {} if info.field_name == "values" else []
        return v

    def to_helm(self) -> dict[str, Any]:
        """Helm JSON form (these keys have no ``omitempty`` in helm)."""
        out: dict[str, Any] = {
            "metadata": self.metadata.to_helm(),
            "lock": self.lock,
            "templates": [t.to_helm() for t in self.templates],
            "values": self.values,
            "schema": self.schema_,
            "files": [f.to_helm() for f in self.files],
        }
        out.update(self._extras())
        return out


class Info(_Model):
    """Release info: timestamps, status, description (history column) and notes."""

    first_deployed: datetime | None = None
    last_deployed: datetime | None = None
    deleted: datetime | None = None
    description: str = ""
    status: Status = Status.UNKNOWN
    notes: str = ""

    @field_validator("first_deployed", "last_deployed", "deleted", mode="before")
    @classmethod
    def _time(cls, v: Any) -> datetime | None:
        return parse_time(v)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return Status.UNKNOWN if v in (None, "") else v

    def to_helm(self) -> dict[str, Any]:
        """Helm v3 JSON form: ``deleted`` always present (``""`` when zero)."""
        out: dict[str, Any] = {
            "first_deployed": format_time(self.first_deployed),
            "last_deployed": format_time(self.last_deployed),
            "deleted": format_time(self.deleted),
        }
        if self.description:
            out["description"] = self.description
        out["status"] = self.status.value
        if self.notes:
            out["notes"] = self.notes
        extras = self._extras()
        extras.pop("resources", None)  # only ever filled in memory by helm status
        out.update(extras)
        return out


class Release(_Model):
    """One revision of a release, as stored in ``sh.helm.release.v1.<name>.v<version>``.

    ``labels`` are the custom (non-system) Secret labels: helm keeps them only on the Secret, never
    in the JSON; ``annotations`` are the Secret's annotations (helm ignores them; this tool writes
    who holds a pending revision there). ``resource_version`` is the Secret's resourceVersion when read from storage, so
    an update can be conditional. Neither is encoded.
    """

    name: str
    namespace: str = ""
    version: int = Field(ge=1)
    info: Info = Field(default_factory=Info)
    chart: Chart | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    manifest: str = ""
    hooks: list[Hook] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict, exclude=True)
    annotations: dict[str, str] = Field(default_factory=dict, exclude=True)
    resource_version: str | None = Field(default=None, exclude=True)
    _created_at: str | None = PrivateAttr(default=None)  # Secret label createdAt, kept on update

    @field_validator("config", mode="before")
    @classmethod
    def _config_none(cls, v: Any) -> Any:
        return {} if v is None else v

    @field_validator("hooks", mode="before")
    @classmethod
    def _hooks_none(cls, v: Any) -> Any:
        return [] if v is None else v

    @property
    def status(self) -> Status:
        """Shortcut for ``info.status``."""
        return self.info.status

    @property
    def key(self) -> str:
        """Storage key / Secret name."""
        return storage_key(self.name, self.version)

    def to_helm(self) -> dict[str, Any]:
        """The JSON object helm would marshal (v3 key order, ``omitempty`` honoured).

        ``config`` goes through :func:`~.redact.redact_secrets`: secret values never reach a
        stored record.
        """
        out: dict[str, Any] = {"name": self.name, "info": self.info.to_helm()}
        if self.chart is not None:
            out["chart"] = self.chart.to_helm()
        config = redact_secrets(self.config)
        if config:
            out["config"] = config
        if self.manifest:
            out["manifest"] = self.manifest
        if self.hooks:
            out["hooks"] = [h.to_helm() for h in self.hooks]
        out["version"] = self.version
        if self.namespace:
            out["namespace"] = self.namespace
        out.update(self._extras())
        return out

    @classmethod
    def from_helm(cls, data: Mapping[str, Any]) -> Release:
        """Build from decoded helm JSON; raises :class:`DecodeError` if it is not a release."""
        if not isinstance(data, Mapping):
            raise DecodeError("release JSON is not an object")
        for required in ("name", "version", "info"):
            if data.get(required) in (None, ""):
                raise DecodeError(f"release JSON lacks {required!r}")
        try:
            return cls.model_validate(dict(data))
        except ValueError as e:
            raise DecodeError(f"release JSON does not match the helm schema: {e}") from e


def storage_key(name: str, version: int) -> str:
    """``sh.helm.release.v1.<name>.v<version>``: the Secret name helm uses."""
    return f"sh.helm.release.v1.{name}.v{version}"


# --------------------------------------------------------------------------- codec


def encode(release: Release) -> str:
    """Release -> string *S* = base64(gzip(json)), as helm's ``encodeRelease``."""
    raw = json.dumps(release.to_helm(), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9)).decode("ascii")


def decode(data: str | bytes) -> Release:
    """String *S* -> Release, as helm's ``decodeRelease`` (uncompressed JSON accepted too)."""
    try:
        b = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise DecodeError(f"release data is not base64: {e}") from e
    if len(b) > 3 and b[:3] == GZIP_MAGIC:
        try:
            b = gzip.decompress(b)
        except (OSError, EOFError) as e:
            raise DecodeError(f"release data is not valid gzip: {e}") from e
    try:
        obj = json.loads(b)
    except (ValueError, UnicodeDecodeError) as e:
        raise DecodeError(f"release data is not JSON: {e}") from e
    return Release.from_helm(obj)


def encode_secret_data(release: Release) -> str:
    """Value for a Secret's ``data.release`` in API JSON: base64 of *S* (the API's own layer)."""
    return base64.b64encode(encode(release).encode("ascii")).decode("ascii")


def decode_secret_data(value: str) -> Release:
    """Inverse of :func:`encode_secret_data` (``data.release`` of a Secret read from the API)."""
    try:
        s = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise DecodeError(f"Secret data is not base64: {e}") from e
    return decode(s)


# --------------------------------------------------------------------------- manifests


def build_manifest(docs: Iterable[tuple[str, Mapping[str, Any] | str]]) -> str:
    """Join ``(source path, object or YAML text)`` pairs the way helm stores a manifest.

    Each document is written as ``---\\n# Source: <path>\\n<yaml>\\n`` so both helm v3's and
    v4's splitters (v4 needs ``---`` at the start of a line) find every document.
    """
    parts = []
    for source, doc in docs:
        text = doc if isinstance(doc, str) else yaml.safe_dump(dict(doc), sort_keys=False)
        parts.append(f"---\n# Source: {source}\n{text.strip()}\n")
    return "".join(parts)


_SPLIT_RE = re.compile(r"(?m)^---[ \t]*(?:#.*)?$")


def split_manifest(manifest: str) -> list[dict[str, Any]]:
    """Parse a stored manifest into objects (empty documents skipped)."""
    out = []
    for chunk in _SPLIT_RE.split(manifest):
        if not chunk.strip():
            continue
        obj = yaml.safe_load(chunk)
        if isinstance(obj, dict) and obj:
            out.append(obj)
    return out
