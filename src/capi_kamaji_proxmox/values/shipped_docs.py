"""What ``values show``, ``values schema`` and ``values reference`` print, shipped as files.

The texts are made from the values model (``model.py``, the single source of truth) and stored in
the package's ``data`` folder, so those commands start without pydantic or the model (built from
the model on each run, a cold ``values show`` took about 0.2 s). After changing the model or its
defaults run ``python -m capi_kamaji_proxmox.values.shipped_docs``; a test builds the texts again
and compares them with the shipped files.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = {"show": "values-show.yaml", "schema": "values-schema.json", "reference": "values-reference.md"}


def read(name: str) -> str:
    """The shipped text of ``values <name>``."""
    return (DATA / FILES[name]).read_text(encoding="utf-8")


def build() -> dict[str, str]:
    """The texts, made from the model now."""
    from capi_kamaji_proxmox.values.docs import commented_defaults, reference_table
    from capi_kamaji_proxmox.values.schema import values_schema

    return {
        "show": commented_defaults(),
        "schema": json.dumps(values_schema(), indent=2, sort_keys=True) + "\n",
        "reference": reference_table(),
    }


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for name, text in build().items():
        (DATA / FILES[name]).write_text(text, encoding="utf-8")
        print(f"wrote {DATA / FILES[name]}")


if __name__ == "__main__":
    main()
