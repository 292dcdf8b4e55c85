"""Running a plan under a pending record, the part every writing verb shares.

The pending record is created (atomically: of two operations racing for a revision one wins) with
its holder on it, a heartbeat renews it while the operation runs, and the outcome is recorded
through the heartbeat so that the two never race. Whatever happens, the record says what: a
refused object or a ``--wait`` timeout marks it ``failed``; a lost connection marks it failed if
the server can still be reached, and otherwise the error says it was left pending and what to
run; a record taken over meanwhile (this process stopped for longer than its lease) stops the
operation with that message instead of a traceback.
"""

from __future__ import annotations

import httpx2

from capi_kamaji_proxmox.kube.errors import ApiError
from capi_kamaji_proxmox.lifecycle.apply_plan import apply_all, delete_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError, ReleaseBusy
from capi_kamaji_proxmox.lifecycle.holder import Heartbeat, Holder, holder_annotations, lease_seconds
from capi_kamaji_proxmox.lifecycle.plan import Plan
from capi_kamaji_proxmox.lifecycle.records import manifest_text
from capi_kamaji_proxmox.release.record import Release, Status
from capi_kamaji_proxmox.release.storage import ReleaseConflict, ReleaseExists, StorageError

_TRANSPORT = (httpx2.TransportError, OSError)


def _taken_over(rec: Release, verb: str) -> LifecycleError:
    return LifecycleError(
        f"{verb} of release {rec.name!r} stopped: revision {rec.version} was taken over by another operation "
        "while this one did not renew its hold (stopped or cut off for longer than the lease); nothing more "
        f"was recorded; see `capi-kamaji-proxmox history {rec.name} -n {rec.namespace}`"
    )


def _lost_race(ctx: ActionContext, pending: Release, verb: str) -> ReleaseBusy:
    """Another operation created this revision first: name it, as a pending record found up front is."""
    try:
        holder = Holder.of(ctx.storage.get(pending.name, pending.version)).describe()
    except (StorageError, ApiError, *_TRANSPORT):
        holder = "its holder unknown"
    return ReleaseBusy(
        f"cannot {verb} release {pending.name!r}: another operation created revision {pending.version} first "
        f"({holder}); run the command again once it has finished"
    )


def _outcome(hb: Heartbeat, rec: Release, status: Status, description: str) -> Release:
    out = rec.model_copy(deep=True)
    out.info.status = status
    out.info.description = description
    return hb.update(out)


def _supersede(ctx: ActionContext, hist: list[Release], keep: int) -> None:
    """Every other ``deployed`` revision becomes ``superseded``: exactly one stays deployed."""
    for old in hist:
        if old.version == keep or old.status is not Status.DEPLOYED:
            continue
        for _ in range(2):
            old.info.status = Status.SUPERSEDED
            try:
                ctx.storage.update(old)
                break
            except ReleaseConflict:
                old = ctx.storage.get(old.name, old.version)
                if old.status is not Status.DEPLOYED:
                    break


def run_plan(
    ctx: ActionContext, hist: list[Release], pending: Release, plan: Plan, *, verb: str, force: bool, done: str
) -> Release:
    """Create ``pending``, apply ``plan`` under it, and record the outcome; returns the final record."""
    from capi_kamaji_proxmox.lifecycle.wait import wait_ready

    lease = lease_seconds()
    pending.annotations = {**pending.annotations, **holder_annotations(lease)}
    try:
        rec = ctx.storage.create(pending)
    except ReleaseExists:
        raise _lost_race(ctx, pending, verb) from None
    with Heartbeat(ctx.storage, rec, lease) as hb:
        try:
            apply_all(ctx, plan.desired, force=force, before_write=hb.check)
            left = delete_all(ctx, plan.deletions, tolerate=True, before_write=hb.check)
            if ctx.options.wait:
                wait_ready(ctx, pending.name, plan.desired)
        except ReleaseConflict:
            raise _taken_over(rec, verb) from None
        except (LifecycleError, ApiError) as exc:
            try:
                _outcome(hb, rec, Status.FAILED, f"{verb} failed: {exc}")
            except ReleaseConflict:
                raise _taken_over(rec, verb) from None
            except (ApiError, *_TRANSPORT):
                raise _interrupted(hb, rec, verb, str(exc)) from None
            raise LifecycleError(
                f"{verb} of release {rec.name!r} failed (revision {rec.version} marked failed): {exc}"
            ) from None
        except _TRANSPORT as exc:
            raise _interrupted(hb, rec, verb, f"lost the connection to the management cluster ({exc})") from None
        except KeyboardInterrupt:
            _interrupted(hb, rec, verb, "interrupted")
            raise
        final = rec.model_copy(deep=True)
        description = done
        if left:
            final.manifest = manifest_text(plan.manifest + left)
            description += "; not deleted: " + ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in left)
        try:
            final = _outcome(hb, final, Status.DEPLOYED, description)
        except ReleaseConflict:
            raise _taken_over(rec, verb) from None
        except (ApiError, *_TRANSPORT) as exc:
            raise _interrupted(hb, rec, verb, f"everything was applied, but recording it failed ({exc})") from None
    _tidy(ctx, hist, final)
    return final


def _tidy(ctx: ActionContext, hist: list[Release], final: Release) -> None:
    """Supersede the previous revision and prune the history: best effort, after the operation has
    succeeded (a failure here is said, and the next operation finishes it)."""
    try:
        _supersede(ctx, hist, final.version)
        ctx.storage.prune(
            final.name, ctx.options.history_max, [r for r in hist if r.version != final.version] + [final]
        )
    except (ApiError, StorageError, *_TRANSPORT) as exc:
        ctx.out.warn(f"revision {final.version} is deployed, but tidying the history failed ({exc}); the next "
                     "operation finishes it")  # fmt: skip


def _interrupted(hb: Heartbeat, rec: Release, verb: str, why: str) -> LifecycleError:
    """Try once to mark the revision failed; the error says in which state it was left and what to run."""
    hb.stop()
    try:
        _outcome(hb, rec, Status.FAILED, f"{verb} interrupted: {why}")
        state = "marked failed"
    except Exception:  # the server is unreachable: the record stays pending
        state = f"left {rec.status.value} (its hold expires {hb.lease:g}s after this process stopped renewing it)"
    again = "install" if rec.status is Status.PENDING_INSTALL else verb
    return LifecycleError(
        f"{verb} of release {rec.name!r} did not complete: {why}; revision {rec.version} was {state}. Run the same "
        f"`capi-kamaji-proxmox {again}` again: it converges forward from what was applied"
        + (f" (or `capi-kamaji-proxmox rollback {rec.name} -n {rec.namespace}`)" if verb == "upgrade" else "")
    )
