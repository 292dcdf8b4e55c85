"""The order of a Kubernetes version upgrade, as a pure function.

From what the user asks (:class:`Desired`), what the release asks of the server and what the
providers report (:class:`Live`), decide the next action: apply the control plane at version X,
wait for it, apply a group of pools, wait for a group, or done. Nothing here reads or writes the
server, so the CLI drives it today and a controller can drive the same function later.

The rules, in order: the control plane moves first and one minor at a time; a pool moves only to
the version the control plane *reports* (so no kubelet is ever newer than its API server); pools
move all at once or group by group (``upgradeStrategy.pools``), each group waiting for the one
before it to finish rolling; the control plane moves to the next minor only once every pool has
finished rolling. Intermediate versions are never invented: each skipped minor needs a version
the user names (``--via`` or ``upgradeStrategy.via``), or the upgrade is refused with the command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def parse(version: str) -> tuple[int, int, int]:
    m = _VERSION.match(version.strip())
    if not m:
        raise ValueError(f"{version!r} is not a Kubernetes version (vX.Y.Z)")
    return int(m[1]), int(m[2]), int(m[3])


def minor(version: str) -> tuple[int, int]:
    major, mnr, _ = parse(version)
    return major, mnr


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Desired:
    """What the values ask for."""

    version: str
    pools: tuple[str, ...]  # pool names in values order
    strategy: str | tuple[str, ...] = "parallel"  # parallel | serial | explicit order
    via: tuple[str, ...] = ()  # intermediate versions the user named


@dataclass(frozen=True)
class PoolLive:
    """One pool as the release recorded it and as Cluster API reports it."""

    version: str | None  # the Kubernetes version its MachineDeployment asks for (None: no such pool yet)
    rolled_out: bool  # every machine built from the current template, ready; no old MachineSet has machines


@dataclass(frozen=True)
class Live:
    """The control plane's asked and reported version, and every pool the release has."""

    cp_version: str  # KamajiControlPlane spec.version as the release last applied it
    cp_reported: str | None  # KamajiControlPlane status.version
    cp_ready: bool  # status.ready and the ready condition not False
    pools: dict[str, PoolLive] = field(default_factory=dict)


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ApplyControlPlane:
    version: str

    def describe(self) -> str:
        return f"control plane to {self.version}"


@dataclass(frozen=True)
class WaitControlPlane:
    version: str

    def describe(self) -> str:
        return f"wait for the control plane to report {self.version} and be ready"


@dataclass(frozen=True)
class ApplyPools:
    pools: tuple[str, ...]
    version: str
    final: bool  # the target version: the pools' other value changes go with this step

    def describe(self) -> str:
        return f"pool{'s' if len(self.pools) > 1 else ''} {', '.join(self.pools)} to {self.version}"


@dataclass(frozen=True)
class WaitPools:
    pools: tuple[str, ...]
    version: str

    def describe(self) -> str:
        return f"wait for pool{'s' if len(self.pools) > 1 else ''} {', '.join(self.pools)} to finish rolling"


@dataclass(frozen=True)
class Done:
    def describe(self) -> str:
        return "done"


@dataclass(frozen=True)
class Refuse:
    message: str

    def describe(self) -> str:
        return self.message


Action = ApplyControlPlane | WaitControlPlane | ApplyPools | WaitPools | Done | Refuse
Step = ApplyControlPlane | ApplyPools


# --------------------------------------------------------------------------- policy


def pool_groups(desired: Desired) -> list[tuple[str, ...]]:
    """Groups of pools that move together, in order."""
    if desired.strategy == "parallel":
        return [desired.pools] if desired.pools else []
    if desired.strategy == "serial":
        return [(p,) for p in desired.pools]
    listed = [p for p in desired.strategy if p in desired.pools]
    rest = [p for p in desired.pools if p not in listed]
    return [(p,) for p in [*listed, *rest]]


def walk(current: str, target: str, via: tuple[str, ...], command: str = "") -> list[str] | Refuse:
    """The control-plane versions from ``current`` (exclusive) to ``target``: one per minor.

    A skipped minor takes the version named for it in ``via``; none named is a refusal that says
    what to run, two named for the same minor is a refusal too. Downgrades are refused.
    """
    cur, tgt = parse(current), parse(target)
    if tgt < cur:
        what = "minor version" if minor(target) < minor(current) else "patch version"
        return Refuse(
            f"cluster.version {current} -> {target} is a downgrade of the {what}, which Kubernetes does not support"
        )
    if tgt == cur:
        return []
    if tgt[0] != cur[0]:
        return Refuse(f"cluster.version {current} -> {target} changes the major version; not supported")
    named: dict[tuple[int, int], list[str]] = {}
    for v in via:
        named.setdefault(minor(v), []).append(v)
    path: list[str] = []
    missing: list[str] = []
    for m in range(cur[1] + 1, tgt[1]):
        choices = sorted(set(named.get((cur[0], m), [])), key=parse)
        if len(choices) > 1:
            return Refuse(f"--via/upgradeStrategy.via names {' and '.join(choices)} for v{cur[0]}.{m}; name one")
        if not choices:
            missing.append(f"v{cur[0]}.{m}")
        else:
            path.append(choices[0])
    if missing:
        flags = " ".join(f"--via {m}.<patch>" for m in missing)
        run = f"`{command} {flags}`" if command else flags
        return Refuse(
            f"cluster.version {current} -> {target} skips {', '.join(missing)}: the control plane moves one minor "
            f"at a time and this tool does not guess which patch release to pass through. Name it and run "
            f"again: {run} (or list it under upgradeStrategy.via)"
        )
    return [*path, target]


def _behind(desired: Desired, live: Live, level: str) -> list[str]:
    """Pools (in values order) whose MachineDeployment does not ask for ``level`` yet."""
    # A new pool (not live yet) is never behind: it is created at the target version with the first
    # pools step at the target, or by a plain upgrade when no version changes.
    return [p for p in desired.pools if p in live.pools and live.pools[p].version != level]


def next_action(desired: Desired, live: Live, command: str = "") -> Action:
    """The one next thing to do. Call again after doing it (or after a wait is satisfied)."""
    path = walk(live.cp_version, desired.version, desired.via, command)
    if isinstance(path, Refuse):
        return path
    for name, pl in live.pools.items():
        if pl.version and parse(pl.version) > parse(desired.version):
            return Refuse(
                f"cluster.version {desired.version} is older than pool {name}'s {pl.version}: a downgrade, "
                "which Kubernetes does not support"
            )
    level = live.cp_version
    behind = _behind(desired, live, level)
    if not behind and not path:
        return Done()
    if live.cp_reported != level or not live.cp_ready:
        return WaitControlPlane(level)
    if behind:
        moved: list[str] = []
        for group in pool_groups(desired):
            todo = tuple(p for p in group if p in behind)
            if todo:
                unfinished = tuple(p for p in moved if p in live.pools and not live.pools[p].rolled_out)
                if unfinished:
                    return WaitPools(unfinished, level)
                return ApplyPools(todo, level, final=level == desired.version)
            moved.extend(group)
    unfinished = tuple(p for p in desired.pools if p in live.pools and not live.pools[p].rolled_out)
    if unfinished:
        return WaitPools(unfinished, level)
    return ApplyControlPlane(path[0])


def remaining_steps(desired: Desired, live: Live, command: str = "") -> list[Step] | Refuse:
    """Every write still to come, assuming each wait is satisfied: what ``diff`` lists."""
    steps: list[Step] = []
    for _ in range(4 * (len(desired.pools) + 2) * 8):  # bounded: each step moves something forward
        action = next_action(desired, live, command)
        if isinstance(action, Refuse):
            return action
        if isinstance(action, Done):
            return steps
        if isinstance(action, WaitControlPlane):
            live = Live(live.cp_version, action.version, True, live.pools)
        elif isinstance(action, WaitPools):
            live = Live(
                live.cp_version,
                live.cp_reported,
                live.cp_ready,
                {**live.pools, **{p: PoolLive(live.pools[p].version, True) for p in action.pools}},
            )
        elif isinstance(action, ApplyControlPlane):
            steps.append(action)
            live = Live(action.version, live.cp_reported, live.cp_ready, live.pools)
        else:
            steps.append(action)
            live = Live(
                live.cp_version,
                live.cp_reported,
                live.cp_ready,
                {**live.pools, **{p: PoolLive(action.version, False) for p in action.pools}},
            )
    raise AssertionError("upgrade steps did not converge")  # a bug, not a user error
