"""Liveness of a pending record's holder, and output that can never abort an operation (unit tier)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from datetime import timedelta

from capi_kamaji_proxmox.lifecycle.context import Reporter
from capi_kamaji_proxmox.lifecycle.holder import (
    HOLDER_ANNOTATION,
    LEASE_ANNOTATION,
    RENEW_ANNOTATION,
    Holder,
    holder_annotations,
)
from capi_kamaji_proxmox.release.record import Info, Release, Status, format_time, now


def pending(annotations: dict[str, str], age: float = 0.0) -> Release:
    info = Info(status=Status.PENDING_UPGRADE, last_deployed=now() - timedelta(seconds=age))
    return Release(name="demo", namespace="ns", version=2, info=info, annotations=annotations)


def test_this_process_is_alive_until_its_lease_expires() -> None:
    h = Holder.of(pending(holder_annotations(30)))
    assert h.alive() and h.lease == 30
    assert not h.alive(now() + timedelta(seconds=31))
    assert "last renewed 0s ago (lease 30s)" in h.describe() and str(os.getpid()) in h.describe()


def test_a_dead_pid_on_this_host_is_dead_at_once() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the PID no longer runs
    anns = {
        HOLDER_ANNOTATION: f"{socket.gethostname()}/{child.pid}/x",
        RENEW_ANNOTATION: format_time(now()),
        LEASE_ANNOTATION: "600",
    }
    assert not Holder.of(pending(anns)).alive()


def test_another_host_is_judged_by_its_lease_only() -> None:
    anns = {HOLDER_ANNOTATION: "elsewhere/1/x", RENEW_ANNOTATION: format_time(now()), LEASE_ANNOTATION: "60"}
    assert Holder.of(pending(anns)).alive()
    anns[RENEW_ANNOTATION] = format_time(now() - timedelta(seconds=61))
    assert not Holder.of(pending(anns)).alive()


def test_a_record_without_holder_ages_out() -> None:
    assert Holder.of(pending({}, age=5)).alive()
    assert not Holder.of(pending({}, age=3600)).alive()
    assert "unknown process" in Holder.of(pending({}, age=5)).describe()


class Broken(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_reporter_never_raises_on_a_broken_stream() -> None:
    out = Reporter(stream=Broken())
    out.step("applied Cluster demo")  # must not raise (issue 10, item 6)
    out.warn("still fine")
    assert out.quiet
