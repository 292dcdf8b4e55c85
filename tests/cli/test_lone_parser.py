"""`template` builds only its own subparser (start-up); it must be the very parser the full CLI has."""

from __future__ import annotations

import contextlib
import io

import pytest

from capi_kamaji_proxmox.cli.main import ALONE, build_parser


def outcome(command: str | None, argv: list[str]) -> tuple[str, str, object]:
    """What parsing ``argv`` prints and yields (or how it exits)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = vars(build_parser(command).parse_args(argv))
            result: object = {k: v for k, v in args.items() if k != "func"}
        except SystemExit as exc:
            result = ("exit", exc.code)
    return out.getvalue(), err.getvalue(), result


@pytest.mark.parametrize("command", sorted(ALONE))
@pytest.mark.parametrize(
    "rest",
    [
        ["--help"],
        ["demo"],
        [],
        ["demo", "-f", "a.yaml", "--set", "x=1", "-o", "json", "--api-versions", "cluster.x-k8s.io/v1beta1"],
        ["demo", "--no-such-flag"],
        ["demo", "-o", "table"],
    ],
)
def test_the_lone_parser_is_the_full_one(command: str, rest: list[str]) -> None:
    lone = outcome(command, [command, *rest])
    assert lone == outcome(None, [command, *rest])
    assert any(lone)  # it printed or parsed something
