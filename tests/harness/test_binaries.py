"""The binary cache builds a source tree once (read-only tree, output with -o, stamp, lock)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.harness import binaries

FAKE_GO = """#!/bin/sh
# a stand-in for `go`: records its arguments and working folder, writes the -o output
if [ "$1" = env ]; then echo go1.26-fake; exit 0; fi
echo "$PWD $*" >> "$GO_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then printf 'binary' > "$2"; fi
  shift
done
"""


@pytest.fixture
def fake_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "gobin"
    bindir.mkdir()
    go = bindir / "go"
    go.write_text(FAKE_GO)
    go.chmod(0o755)
    log = tmp_path / "go.log"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GO_LOG", str(log))
    return log


def test_source_tool_built_once_into_the_cache(tmp_path: Path, fake_go: Path) -> None:
    source = tmp_path / "src"
    (source / "version").mkdir(parents=True)
    (source / "version" / "version.go").write_text('const ClusterAutoscalerVersion = "9.8.7"\n')
    source.chmod(stat.S_IRUSR | stat.S_IXUSR)  # read-only, as in CI
    tool = binaries.SourceTool(
        "demo-tool", source, "version/version.go", r'ClusterAutoscalerVersion\s*=\s*"([^"]+)"', ("clusterapi",)
    )
    root = tmp_path / "cache"
    try:
        built = binaries.build_source(tool, root=root, log=lambda _: None)
        again = binaries.build_source(tool, root=root, log=lambda _: None)
    finally:
        source.chmod(0o755)
    assert built == again == root / "demo-tool-9.8.7" / "demo-tool"
    assert built.read_text() == "binary"
    (call,) = fake_go.read_text().splitlines()  # the second call used the stamp
    assert call.startswith(f"{source} build -tags clusterapi -trimpath")
    stamp = json.loads((built.parent / ".stamp.json").read_text())
    assert (stamp["version"], stamp["package"]) == ("9.8.7", f"{source}#tags=clusterapi")


def test_autoscaler_version_is_read_from_the_shared_source() -> None:
    assert binaries.AUTOSCALER.version() == "1.35.2"
