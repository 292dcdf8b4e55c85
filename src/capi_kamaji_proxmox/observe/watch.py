"""``--watch``: keep a snapshot current with WATCH requests and redraw when it changes.

One thread per query streams events (no polling); the main thread applies them to the snapshot,
waits a moment for a burst to settle, and redraws. On a terminal the screen is redrawn; otherwise
only lines whose content changed are printed, prefixed with the time, so a log of a rollout stays
readable. A watch the server ends is resumed from the last resourceVersion; an expired one (410
Gone) is re-listed.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

import yaml

from ..kube.client import KubeClient
from ..kube.errors import ApiError, Gone
from .snapshot import Query, Snapshot
from .text import Line

__all__ = ["Frame", "watch_loop"]

SETTLE_SECONDS = 0.15
SERVER_WATCH_SECONDS = 300  # ask the server to end each watch after this; it is resumed at once


@dataclass
class Frame:
    """What one redraw shows: text lines, or a document for ``-o json|yaml``."""

    lines: list[Line] | None = None
    doc: Any = None


@dataclass(frozen=True)
class _Msg:
    query: Query
    kind: str  # "event" | "relist" | "error"
    event_type: str = ""
    obj: Any = None
    text: str = ""


def _pump(
    client: KubeClient, snap: Snapshot, query: Query, rv: str, out: queue.Queue[_Msg], stop: threading.Event
) -> None:
    """Stream one query's events into ``out`` until ``stop``; resume after the server ends a watch."""
    failures = 0
    while not stop.is_set():
        try:
            for ev in snap.watch(client, query, resource_version=rv, timeout_seconds=SERVER_WATCH_SECONDS):
                if stop.is_set():
                    return
                new_rv = str(((ev.object or {}).get("metadata") or {}).get("resourceVersion") or "")
                rv = new_rv or rv
                failures = 0
                if ev.type != "BOOKMARK":
                    out.put(_Msg(query, "event", ev.type, ev.object))
        except Gone:
            out.put(_Msg(query, "relist"))
            return
        except (ApiError, OSError, ValueError) as e:
            if stop.is_set():
                return
            failures += 1
            if failures == 3:
                out.put(_Msg(query, "error", text=f"watch of {query.kind} keeps failing: {e}"))
            stop.wait(min(5.0, 0.5 * failures))
        except Exception as e:  # connection closed under us at shutdown, or a transport error
            if stop.is_set():
                return
            failures += 1
            stop.wait(min(5.0, 0.5 * failures))
            if failures == 3:
                out.put(_Msg(query, "error", text=f"watch of {query.kind} keeps failing: {e}"))


def _emit(frame: Frame, previous: Frame | None, out: TextIO, *, tty: bool, output: str) -> None:
    if output == "json":
        out.write(json.dumps(frame.doc, separators=(",", ":")) + "\n")
    elif output == "yaml":
        out.write("---\n" + yaml.safe_dump(frame.doc, sort_keys=False))
    elif tty or previous is None:
        if tty:
            out.write("\x1b[H\x1b[2J")
        out.write("\n".join(line.text for line in frame.lines or []) + "\n")
        if tty:
            out.write(f"\n(watching, updated {datetime.now().strftime('%H:%M:%S')}; Ctrl-C to stop)\n")
    else:
        stamp = datetime.now().strftime("%H:%M:%S")
        before = {line.key: line.content for line in previous.lines or []}
        now_keys = set()
        for line in frame.lines or []:
            now_keys.add(line.key)
            if before.get(line.key) != line.content:
                out.write(f"{stamp} {line.content}\n")
        for key in before:
            if key not in now_keys:
                out.write(f"{stamp} gone: {key}\n")
    out.flush()


def _texts(frame: Frame) -> list[str]:
    return [line.text for line in frame.lines or []]


def watch_loop(
    client: KubeClient,
    snap: Snapshot,
    queries: list[Query],
    render: Callable[[Snapshot], Frame],
    out: TextIO,
    *,
    tty: bool,
    output: str = "table",
    timeout: float | None = None,
) -> int:
    """Print the first frame, then redraw on every change until ``timeout`` (None: until Ctrl-C)."""
    inbox: queue.Queue[_Msg] = queue.Queue()
    stop = threading.Event()

    def start(q: Query) -> None:
        t = threading.Thread(
            target=_pump,
            args=(client, snap, q, snap.resource_versions.get(q, ""), inbox, stop),
            name=f"watch-{q.kind}",
            daemon=True,
        )
        t.start()

    for q in queries:
        start(q)
    frame = render(snap)
    _emit(frame, None, out, tty=tty, output=output)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            wait = 1.0 if deadline is None else deadline - time.monotonic()
            if wait <= 0:
                return 0
            try:
                msg = inbox.get(timeout=min(wait, 1.0))
            except queue.Empty:
                continue
            changed = False
            settle = time.monotonic() + SETTLE_SECONDS
            while True:
                if msg.kind == "event":
                    changed = snap.apply(msg.query.kind, msg.event_type, msg.obj) or changed
                elif msg.kind == "relist":
                    snap.load(client, msg.query)
                    start(msg.query)
                    changed = True
                else:
                    out.write(f"warning: {msg.text}\n")
                    out.flush()
                left = settle - time.monotonic()
                if left <= 0:
                    break
                try:
                    msg = inbox.get(timeout=left)
                except queue.Empty:
                    break
            if changed:
                new = render(snap)
                if output in ("json", "yaml") and new.doc == frame.doc:
                    continue
                if output not in ("json", "yaml") and _texts(new) == _texts(frame):
                    continue
                _emit(new, frame, out, tty=tty, output=output)
                frame = new
    finally:
        stop.set()
