"""Where the project's shared reference tree lies: ``../shared`` beside the checkout, as CI lays it out."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared tree: env ``CKP_SHARED_DIR`` or ``<repo>/../shared`` (never an absolute path in code)."""
    env = os.environ.get("CKP_SHARED_DIR")
    if env:
        return Path(env).resolve()
    return (REPO_ROOT.parent / "shared").resolve()
