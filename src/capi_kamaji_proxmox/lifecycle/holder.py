"""Who holds a pending revision, and whether that holder is still alive.

A pending record (``pending-install/upgrade/rollback``) is the release's lock, as in helm. helm
cannot tell a live operation from a dead one; this tool writes the holder on the record itself, as
annotations of the release Secret (helm ignores them): identity (host, PID, a random token), the
renew time and the lease length. No extra request on a fast operation: the annotations travel with
the pending record's POST, and a heartbeat renews them only while the operation runs longer than
a third of the lease (``--wait``, a slow API).

A holder is dead when its lease has expired or, on the same host, when its PID no longer runs (so
a killed run can be taken over at once). A stopped (SIGSTOP) holder stops renewing, so its lease
expires and it can be taken over; when it resumes, its next write of the record fails on the
resourceVersion and it stops, saying so.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from capi_kamaji_proxmox.release.record import Release, format_time, now, parse_time
from capi_kamaji_proxmox.release.storage import ReleaseConflict, SecretStorage

HOLDER_ANNOTATION = "capi-kamaji-proxmox.io/holder"
RENEW_ANNOTATION = "capi-kamaji-proxmox.io/renew-time"
LEASE_ANNOTATION = "capi-kamaji-proxmox.io/lease-seconds"
LEASE_ENV = "CAPI_KAMAJI_PROXMOX_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 60.0


def lease_seconds() -> float:
    """The lease length: ``$CAPI_KAMAJI_PROXMOX_LEASE_SECONDS`` or 60 s."""
    try:
        return max(float(os.environ.get(LEASE_ENV, DEFAULT_LEASE_SECONDS)), 1.0)
    except ValueError:
        return DEFAULT_LEASE_SECONDS


def my_identity() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{_TOKEN}"


_TOKEN = secrets.token_hex(4)


def holder_annotations(lease: float, when: datetime | None = None) -> dict[str, str]:
    return {
        HOLDER_ANNOTATION: my_identity(),
        RENEW_ANNOTATION: format_time(when or now()),
        LEASE_ANNOTATION: f"{lease:g}",
    }


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Holder:
    """The holder a pending record names (or, for records without one, what its age tells)."""

    identity: str | None
    renewed: datetime | None
    lease: float

    @classmethod
    def of(cls, rec: Release) -> Holder:
        anns = rec.annotations
        try:
            lease = float(anns.get(LEASE_ANNOTATION, "")) if anns.get(LEASE_ANNOTATION) else lease_seconds()
        except ValueError:
            lease = lease_seconds()
        renewed = parse_time(anns.get(RENEW_ANNOTATION)) or rec.info.last_deployed
        return cls(identity=anns.get(HOLDER_ANNOTATION), renewed=renewed, lease=lease)

    def age(self, at: datetime | None = None) -> float:
        """Seconds since the last renewal (0 when unknown)."""
        if self.renewed is None:
            return 0.0
        return max(((at or now()) - self.renewed).total_seconds(), 0.0)

    def alive(self, at: datetime | None = None) -> bool:
        """False once the lease expired, or at once when the holder ran on this host and its PID is gone."""
        if self.identity:
            host, _, rest = self.identity.partition("/")
            pid = rest.split("/", 1)[0]
            if host == socket.gethostname() and pid.isdigit() and not _pid_runs(int(pid)):
                return False
        if self.renewed is None:
            return False
        return (at or now()) < self.renewed + timedelta(seconds=self.lease)

    def describe(self) -> str:
        who = self.identity.rsplit("/", 1)[0] if self.identity else "an unknown process (no holder recorded)"
        return f"held by {who}, last renewed {self.age():.0f}s ago (lease {self.lease:g}s)"


class Heartbeat:
    """Renews the holder annotations of a pending record until stopped; the record's owner.

    The operation hands every write of its record to :meth:`update`, so the heartbeat and the
    operation never race each other on the resourceVersion. When a renewal finds the record
    changed (taken over after the lease expired), ``lost`` is set and the next :meth:`update` fails.
    """

    def __init__(self, storage: SecretStorage, rec: Release, lease: float) -> None:
        self.storage = storage
        self.rec = rec
        self.lease = lease
        self.lost: ReleaseConflict | None = None
        self._renewed_at = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="release-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            with self._lock:
                if self._stop.is_set() or self.lost is not None:
                    return
                renewed = self.rec.model_copy(deep=True)
                renewed.annotations = {**renewed.annotations, **holder_annotations(self.lease)}
                try:
                    self._store(renewed)
                except ReleaseConflict:
                    return
                except Exception:  # a failed renewal (network blip) is retried on the next tick
                    continue

    def _store(self, rec: Release) -> Release:
        """Write under the lock, conditionally; a conflict means the hold is lost."""
        try:
            self.rec = self.storage.update(rec)
        except ReleaseConflict as exc:
            self.lost = exc
            raise
        self._renewed_at = time.monotonic()
        return self.rec

    def check(self) -> None:
        """Called before every write of the operation (fencing): stop if the hold was lost; if it
        expired unnoticed (this process was stopped longer than the lease), renew it first, which
        fails if another operation took the revision over meanwhile. Free while the hold is fresh."""
        with self._lock:
            if self.lost is not None:
                raise self.lost
            if time.monotonic() - self._renewed_at < self.lease * 2 / 3:
                return
            renewed = self.rec.model_copy(deep=True)
            renewed.annotations = {**renewed.annotations, **holder_annotations(self.lease)}
            self._store(renewed)

    def update(self, rec: Release) -> Release:
        """Write the record (status, description) under the heartbeat's lock, with its resourceVersion."""
        with self._lock:
            if self.lost is not None:
                raise self.lost
            rec.resource_version = self.rec.resource_version
            rec.annotations = {**rec.annotations, **self.rec.annotations, RENEW_ANNOTATION: format_time(now())}
            return self._store(rec)
