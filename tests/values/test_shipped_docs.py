"""`values show|schema|reference` print shipped texts: they must be what the model makes now."""

from __future__ import annotations

from capi_kamaji_proxmox.values import shipped_docs


def test_shipped_texts_are_what_the_model_makes() -> None:
    shipped = {name: shipped_docs.read(name) for name in shipped_docs.FILES}
    assert shipped == shipped_docs.build(), "run: python -m capi_kamaji_proxmox.values.shipped_docs"
    assert all(shipped.values())
