"""Decode Secrets that the real helm (v3.22, built by the harness) wrote, captured verbatim.

Fixtures: ``data/helm-v3.22-tiny-v{1,2}.secret.json`` = ``helm install tiny`` then ``helm
upgrade`` of a two-template chart, read back with GET (managedFields dropped).
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from capi_kamaji_proxmox.release import Status, decode_secret_data, encode_secret_data, split_manifest
from capi_kamaji_proxmox.release.storage import SYSTEM_LABELS

DATA = Path(__file__).parent / "data"


def load(v: int) -> dict[str, Any]:
    out: dict[str, Any] = json.loads((DATA / f"helm-v3.22-tiny-v{v}.secret.json").read_text())
    return out


def helm_json(secret: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(secret["data"]["release"]))))
    return out


def test_fixture_decodes() -> None:
    s1, s2 = load(1), load(2)
    r1, r2 = decode_secret_data(s1["data"]["release"]), decode_secret_data(s2["data"]["release"])
    assert (r1.name, r1.version, r1.status) == ("tiny", 1, Status.SUPERSEDED)
    assert (r2.name, r2.version, r2.status) == ("tiny", 2, Status.DEPLOYED)
    assert s1["metadata"]["labels"]["status"] == r1.status.value  # labels agree with the JSON
    assert r2.info.description == "Upgrade complete" and r2.info.notes == "Installed tiny.\n"
    assert r2.info.first_deployed is not None and r2.info.last_deployed is not None
    assert r2.info.first_deployed == r1.info.first_deployed  # copied forward on upgrade
    assert r2.info.last_deployed > r2.info.first_deployed
    assert r2.info.deleted is None
    assert r2.chart is not None
    assert r2.chart.metadata.name == "tiny" and r2.chart.metadata.app_version == "9.9"
    assert r2.chart.values == {"greeting": "hello", "nested": {"a": 1}}
    assert r1.config == {"greeting": "hi"} and r2.config == {"greeting": "bye"}
    assert split_manifest(r2.manifest) == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tiny-cm"}, "data": {"greeting": "bye"}}
    ]
    assert not (set(s2["metadata"]["labels"]) - SYSTEM_LABELS)


@pytest.mark.parametrize("v", [1, 2])
def test_rewrite_is_lossless(v: int) -> None:
    """Our re-encoding of a helm record equals helm's JSON up to documented normalisations."""
    secret = load(v)
    original = helm_json(secret)
    ours = helm_json({"data": {"release": encode_secret_data(decode_secret_data(secret["data"]["release"]))}})
    for key in ("first_deployed", "last_deployed"):
        # Python keeps microseconds: helm's nanoseconds are truncated (still valid RFC 3339)
        head, frac = original["info"][key].rstrip("Z").split(".")
        assert ours["info"][key] == f"{head}.{frac[:6].rstrip('0')}Z"
        original["info"][key] = ours["info"][key]
    assert original["chart"]["files"] is None and ours["chart"]["files"] == []  # null vs empty: same to Go
    original["chart"]["files"] = []
    assert ours == original
    assert list(ours) == list(original)  # same key order
