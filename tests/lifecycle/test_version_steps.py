"""The pure step function of a Kubernetes version upgrade: every branch, resume after a kill
(the function only sees state, so re-running from any state must continue, never repeat)."""

from __future__ import annotations

import pytest

from capi_kamaji_proxmox.lifecycle.version_steps import (
    ApplyControlPlane,
    ApplyPools,
    Desired,
    Done,
    Live,
    PoolLive,
    Refuse,
    WaitControlPlane,
    WaitPools,
    minor,
    next_action,
    parse,
    pool_groups,
    remaining_steps,
    walk,
)

POOLS = ("a", "b", "c")


def live(cp: str, reported: str | None = None, ready: bool = True, pools: str = "v1.31.4", done: bool = True) -> Live:
    return Live(cp, reported if reported is not None else cp, ready, {p: PoolLive(pools, done) for p in POOLS})


def want(version: str, strategy: str | tuple[str, ...] = "parallel", via: tuple[str, ...] = ()) -> Desired:
    return Desired(version, POOLS, strategy, via)


def test_no_version_change_is_done() -> None:
    assert next_action(want("v1.31.4"), live("v1.31.4")) == Done()


def test_control_plane_moves_first_then_all_pools() -> None:
    assert next_action(want("v1.32.4"), live("v1.31.4")) == ApplyControlPlane("v1.32.4")
    # applied, not yet reported: wait (not: apply again)
    state = live("v1.32.4", reported="v1.31.4")
    assert next_action(want("v1.32.4"), state) == WaitControlPlane("v1.32.4")
    # reported but not ready: still wait
    assert next_action(want("v1.32.4"), live("v1.32.4", ready=False)) == WaitControlPlane("v1.32.4")
    assert next_action(want("v1.32.4"), live("v1.32.4")) == ApplyPools(POOLS, "v1.32.4", final=True)
    assert next_action(want("v1.32.4"), live("v1.32.4", pools="v1.32.4", done=False)) == Done()


def test_control_plane_must_report_its_current_version_before_it_moves() -> None:
    assert next_action(want("v1.32.4"), live("v1.31.4", reported="")) == WaitControlPlane("v1.31.4")


def test_pools_still_rolling_hold_the_next_control_plane_step() -> None:
    state = live("v1.31.4", done=False)
    assert next_action(want("v1.32.4"), state) == WaitPools(POOLS, "v1.31.4")


def test_serial_pools_one_at_a_time_each_waiting_for_the_previous() -> None:
    d = want("v1.32.4", "serial")
    state = Live("v1.32.4", "v1.32.4", True, {p: PoolLive("v1.31.4", True) for p in POOLS})
    assert next_action(d, state) == ApplyPools(("a",), "v1.32.4", final=True)
    state.pools["a"] = PoolLive("v1.32.4", False)
    assert next_action(d, state) == WaitPools(("a",), "v1.32.4")
    state.pools["a"] = PoolLive("v1.32.4", True)
    assert next_action(d, state) == ApplyPools(("b",), "v1.32.4", final=True)
    state.pools["b"] = PoolLive("v1.32.4", True)
    assert next_action(d, state) == ApplyPools(("c",), "v1.32.4", final=True)
    state.pools["c"] = PoolLive("v1.32.4", False)
    assert next_action(d, state) == Done()


def test_explicit_order_then_the_rest_in_values_order() -> None:
    assert pool_groups(want("v1.32.4", ("c", "unknown"))) == [("c",), ("a",), ("b",)]
    assert pool_groups(want("v1.32.4", "parallel")) == [POOLS]
    assert pool_groups(Desired("v1.32.4", (), "parallel")) == []


def test_two_minor_walk_needs_a_named_intermediate_version() -> None:
    refused = next_action(want("v1.33.1"), live("v1.31.4"), command="capi-kamaji-proxmox upgrade demo -f v.yaml")
    assert isinstance(refused, Refuse)
    assert "skips v1.32" in refused.message
    assert "`capi-kamaji-proxmox upgrade demo -f v.yaml --via v1.32.<patch>`" in refused.message


def test_two_minor_walk_steps_and_resume_from_every_state() -> None:
    d = want("v1.33.1", via=("v1.32.9",))
    expected = [
        ApplyControlPlane("v1.32.9"),
        ApplyPools(POOLS, "v1.32.9", final=False),
        ApplyControlPlane("v1.33.1"),
        ApplyPools(POOLS, "v1.33.1", final=True),
    ]
    assert remaining_steps(d, live("v1.31.4")) == expected
    # resume: from the state after each finished step, only the later steps remain
    after = [
        live("v1.32.9", reported="v1.31.4"),
        Live("v1.32.9", "v1.32.9", True, {p: PoolLive("v1.32.9", False) for p in POOLS}),
        Live("v1.33.1", "v1.32.9", True, {p: PoolLive("v1.32.9", True) for p in POOLS}),
        Live("v1.33.1", "v1.33.1", True, {p: PoolLive("v1.33.1", False) for p in POOLS}),
    ]
    for i, state in enumerate(after):
        assert remaining_steps(d, state) == expected[i + 1 :]


def test_a_kill_between_steps_repeats_nothing() -> None:
    """Drive the function as the CLI does, 'killing' it after every step; every step runs once."""
    d = want("v1.34.2", "serial", via=("v1.32.9", "v1.33.5"))
    state = live("v1.31.4")
    applied: list[object] = []
    for _ in range(100):
        action = next_action(d, state)
        if isinstance(action, Done):
            break
        if isinstance(action, ApplyControlPlane):
            applied.append(action)
            state = Live(action.version, state.cp_reported, state.cp_ready, dict(state.pools))
        elif isinstance(action, ApplyPools):
            applied.append(action)
            state = Live(
                state.cp_version,
                state.cp_reported,
                state.cp_ready,
                {**state.pools, **{p: PoolLive(action.version, False) for p in action.pools}},
            )
        elif isinstance(action, WaitControlPlane):
            state = Live(state.cp_version, action.version, True, dict(state.pools))
        elif isinstance(action, WaitPools):
            state = Live(
                state.cp_version,
                state.cp_reported,
                True,
                {**state.pools, **{p: PoolLive(state.pools[p].version, True) for p in action.pools}},
            )
        # invariant: no pool asks for a newer minor than the control plane reports
        for p in state.pools.values():
            assert p.version is None or minor(p.version) <= minor(state.cp_reported or "v0.0.0")
    assert len(applied) == len(set(applied)) == 3 * (1 + 3)
    assert [a.version for a in applied if isinstance(a, ApplyControlPlane)] == ["v1.32.9", "v1.33.5", "v1.34.2"]


@pytest.mark.parametrize(
    ("current", "target", "fragment"),
    [
        ("v1.32.4", "v1.31.9", "downgrade of the minor version"),
        ("v1.32.4", "v1.32.1", "downgrade of the patch version"),
        ("v1.31.4", "v2.0.0", "major version"),
        ("v1.31.4", "v1.34.0", "skips v1.32, v1.33"),
    ],
)
def test_refused_before_any_write(current: str, target: str, fragment: str) -> None:
    action = next_action(want(target), live(current, pools=current))
    assert isinstance(action, Refuse) and fragment in action.message
    assert isinstance(remaining_steps(want(target), live(current, pools=current)), Refuse)


def test_a_pool_newer_than_the_target_is_a_downgrade() -> None:
    action = next_action(want("v1.32.4"), live("v1.32.4", pools="v1.33.0"))
    assert isinstance(action, Refuse) and "pool a's v1.33.0" in action.message


def test_two_via_versions_for_one_minor_are_ambiguous() -> None:
    assert isinstance(walk("v1.31.4", "v1.33.1", ("v1.32.1", "v1.32.9")), Refuse)
    # via versions outside the walk are ignored, never used
    assert walk("v1.31.4", "v1.33.1", ("v1.32.9", "v1.30.1", "v1.34.0")) == ["v1.32.9", "v1.33.1"]
    assert walk("v1.31.4", "v1.31.9", ()) == ["v1.31.9"]


def test_patch_upgrade_is_control_plane_then_pools() -> None:
    assert remaining_steps(want("v1.31.9"), live("v1.31.4")) == [
        ApplyControlPlane("v1.31.9"),
        ApplyPools(POOLS, "v1.31.9", final=True),
    ]


def test_pools_behind_the_control_plane_catch_up_without_moving_it() -> None:
    """A cluster left half-way (the chart's one-shot apply, or a manual edit): pools follow first."""
    assert remaining_steps(want("v1.32.4"), live("v1.32.4", pools="v1.31.4")) == [
        ApplyPools(POOLS, "v1.32.4", final=True)
    ]


def test_a_new_pool_is_created_with_the_final_step_and_removed_pools_do_not_block() -> None:
    d = Desired("v1.32.4", ("a", "new"), "serial")
    state = Live("v1.32.4", "v1.32.4", True, {"a": PoolLive("v1.31.4", True), "gone": PoolLive("v1.31.4", False)})
    assert next_action(d, state) == ApplyPools(("a",), "v1.32.4", final=True)
    state.pools["a"] = PoolLive("v1.32.4", True)
    assert next_action(d, state) == Done()  # the new pool came with a's step (the new render)
    # no version change: a new pool alone is a plain upgrade, never a wait for the control plane
    fresh = Live("v1.31.4", None, False, {"a": PoolLive("v1.31.4", False)})
    assert next_action(Desired("v1.31.4", ("a", "new")), fresh) == Done()
    # in an intermediate step the new pool waits for the target version
    d2 = Desired("v1.33.1", ("a", "new"), "parallel", ("v1.32.4",))
    assert next_action(d2, Live("v1.32.4", "v1.32.4", True, {"a": PoolLive("v1.31.4", True)})) == ApplyPools(
        ("a",), "v1.32.4", final=False
    )


def test_describe_texts() -> None:
    assert ApplyPools(("a",), "v1.32.4", True).describe() == "pool a to v1.32.4"
    assert WaitPools(("a", "b"), "v1.32.4").describe() == "wait for pools a, b to finish rolling"
    assert WaitControlPlane("v1.32.4").describe() == "wait for the control plane to report v1.32.4 and be ready"
    with pytest.raises(ValueError):
        parse("1.32")
