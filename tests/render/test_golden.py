"""Golden outputs of `template` for the shipped examples, both generations, through the real CLI.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/render/test_golden.py``
and review the diff: every changed line is a change users will see.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.rendering import EXAMPLES, GENERATION_FLAGS, cli

GOLDEN = Path(__file__).parent / "golden"


def template_args(example: Path, generation: str) -> list[str]:
    args = ["template", "demo", "-f", str(example), "-n", "default"]
    for flag in GENERATION_FLAGS[generation]:
        args += ["--api-versions", flag]
    return args


@pytest.mark.parametrize("generation", list(GENERATION_FLAGS))
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_golden(example: Path, generation: str) -> None:
    result = cli(*template_args(example, generation))
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / f"{example.stem}.{generation}.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text(), f"output differs from {golden}"


def test_same_input_same_bytes() -> None:
    example = EXAMPLES[0]
    first = cli(*template_args(example, "current")).stdout
    second = cli(*template_args(example, "current")).stdout
    assert first == second and first.startswith("---\napiVersion:")
