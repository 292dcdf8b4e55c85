"""Parser-level behaviour of the release verbs (the verbs themselves are tested in tests/lifecycle)."""

from __future__ import annotations

from capi_kamaji_proxmox.cli.lifecycle_run import _human_time
from tests.rendering import cli


def test_table_times_look_like_helms() -> None:
    assert _human_time("2026-11-25T19:33:19.094635Z") == "Wed Nov 25 19:33:19 2026"
    assert _human_time("") == ""


def test_help_names_every_verb_and_flag() -> None:
    out = cli("upgrade", "--help").stdout
    for flag in (
        "--install",
        "--reuse-values",
        "--reset-values",
        "--atomic",
        "--force-conflicts",
        "--dry-run",
        "--wait",
        "--timeout",
        "--history-max",
        "--skip-preflight",
        "--kubeconfig",
        "--context",
    ):
        assert flag in out, flag


def test_uninstall_offers_only_the_flags_it_honours() -> None:
    out = cli("uninstall", "--help").stdout
    assert "--history-max" not in out  # it records nothing new
    assert "always waits until the Cluster is gone" in " ".join(out.split())  # --wait, as helm's


def test_every_verb_whose_conflicts_name_force_conflicts_takes_it() -> None:
    for verb in ("install", "upgrade"):
        assert "--force-conflicts" in cli(verb, "--help").stdout, verb


def test_bad_timeout_is_a_usage_error() -> None:
    result = cli("uninstall", "demo", "--timeout", "soon")
    assert result.returncode == 2
    assert "invalid duration 'soon'" in result.stderr


def test_missing_kubeconfig_is_one_line(tmp_path: object) -> None:
    result = cli("list", "--kubeconfig", "/nonexistent/kubeconfig")
    assert result.returncode == 1
    assert result.stderr == "error: kubeconfig file /nonexistent/kubeconfig not found\n"
