"""Unit tests: release record model, helm codec, labels, redaction, ownership, manifests."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from capi_kamaji_proxmox.release import (
    SECRET_PATHS,
    Chart,
    ChartMetadata,
    DecodeError,
    Info,
    Release,
    Status,
    build_manifest,
    decode,
    decode_secret_data,
    encode,
    encode_secret_data,
    format_time,
    helm_ownership,
    latest_per_release,
    ownership_problems,
    parse_time,
    redact_secrets,
    register_secret_path,
    secret_labels,
    split_manifest,
    stamp_ownership,
    storage_key,
    validate_release_name,
)

# The minimal record of shared/docs/helm-release-format.md section 4.6, verbatim.
DOC_RECORD = {
    "name": "web",
    "namespace": "apps",
    "version": 1,
    "info": {
        "first_deployed": "2026-08-20T10:00:00.000000+00:00",
        "last_deployed": "2026-08-20T10:00:00.000000+00:00",
        "deleted": "",
        "description": "Install complete",
        "status": "deployed",
        "notes": "Thanks for installing web.",
    },
    "chart": {
        "metadata": {"name": "web", "version": "1.2.3", "apiVersion": "v2", "appVersion": "4.5"},
        "lock": None,
        "templates": [],
        "values": {},
        "schema": None,
        "files": [],
    },
    "config": {"replicas": 2},
    "manifest": "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n"
    "metadata:\n  name: web-cfg\ndata:\n  a: b\n",
}


def _helm_s(obj: object, *, compress: bool = True) -> str:
    """String S the way helm's encodeRelease builds it (independent of our encoder)."""
    raw = json.dumps(obj).encode()
    return base64.b64encode(gzip.compress(raw, 9) if compress else raw).decode()


def sample(**kw: object) -> Release:
    t = datetime(2026, 8, 20, 10, 0, 0, 123456, tzinfo=UTC)
    base: dict[str, object] = dict(
        name="demo",
        namespace="ns1",
        version=3,
        info=Info(
            first_deployed=t,
            last_deployed=t,
            status=Status.DEPLOYED,
            description="Upgrade complete",
            notes="hello",
        ),
        chart=Chart(
            metadata=ChartMetadata(name="capi-kamaji-proxmox", version="0.1.0", appVersion="1.0"),
            values={"cluster": {"name": "x"}},
        ),
        config={"cluster": {"name": "demo"}, "pools": [{"name": "a", "replicas": 2}]},
        manifest=build_manifest([("capi/templates/cm.yaml", {"kind": "ConfigMap"})]),
    )
    base.update(kw)
    return Release.model_validate(base)


def test_doc_record_decodes() -> None:
    rel = decode(_helm_s(DOC_RECORD))
    assert rel.name == "web" and rel.namespace == "apps" and rel.version == 1
    assert rel.status is Status.DEPLOYED
    assert rel.info.first_deployed == datetime(2026, 8, 20, 10, tzinfo=UTC)
    assert rel.info.deleted is None
    assert rel.info.notes == "Thanks for installing web."
    assert rel.chart is not None and rel.chart.metadata.app_version == "4.5"
    assert rel.config == {"replicas": 2}
    assert split_manifest(rel.manifest)[0]["metadata"]["name"] == "web-cfg"


def test_doc_record_reencodes_to_same_json_modulo_time_format() -> None:
    out = decode(encode(decode(_helm_s(DOC_RECORD)))).to_helm()
    expected = json.loads(json.dumps(DOC_RECORD))
    expected["info"]["first_deployed"] = expected["info"]["last_deployed"] = "2026-08-20T10:00:00Z"
    # helm's key order (v3): name, info, chart, config, manifest, hooks, version, namespace
    assert list(out) == ["name", "info", "chart", "config", "manifest", "version", "namespace"]
    assert out == expected


def test_round_trip_exact() -> None:
    rel = sample()
    again = decode(encode(rel))
    assert again.to_helm() == rel.to_helm()
    assert again.info.last_deployed == rel.info.last_deployed


def test_encoding_layers() -> None:
    s = encode(sample())
    raw = base64.b64decode(s, validate=True)
    assert raw[:3] == b"\x1f\x8b\x08"
    obj = json.loads(gzip.decompress(raw))
    assert obj["info"]["status"] == "deployed"
    assert obj["info"]["deleted"] == ""  # v3 always writes it
    assert obj["info"]["last_deployed"] == "2026-08-20T10:00:00.123456Z"
    assert "labels" not in obj and "resource_version" not in obj
    # Secret data in API JSON carries one more base64 layer
    assert base64.b64decode(encode_secret_data(sample())).decode() == s
    assert decode_secret_data(encode_secret_data(sample())).to_helm() == sample().to_helm()


def test_uncompressed_legacy_record() -> None:
    assert decode(_helm_s(DOC_RECORD, compress=False)).name == "web"


def test_omitempty() -> None:
    rel = Release(name="a", namespace="b", version=1)
    out = rel.to_helm()
    assert "config" not in out and "manifest" not in out and "hooks" not in out
    assert "chart" not in out
    assert out["info"] == {
        "first_deployed": "",
        "last_deployed": "",
        "deleted": "",
        "status": "unknown",
    }


def test_unknown_fields_survive_rewrite() -> None:
    rec = json.loads(json.dumps(DOC_RECORD))
    rec["apply_method"] = "ssa"  # helm v4
    rec["chart"]["schemamodtime"] = "0001-01-01T00:00:00Z"
    rec["chart"]["metadata"]["keywords"] = ["a"]
    rec["chart"]["templates"] = [{"name": "templates/cm.yaml", "data": "YQ==", "modtime": "x"}]
    rec["hooks"] = [
        {
            "name": "h",
            "kind": "Job",
            "path": "p",
            "manifest": "m",
            "events": ["pre-delete"],
            "last_run": {"started_at": "", "completed_at": "", "phase": ""},
            "weight": 5,
        }
    ]
    rel = decode(_helm_s(rec))
    rel.info.status = Status.SUPERSEDED
    out = json.loads(gzip.decompress(base64.b64decode(encode(rel))))
    assert out["apply_method"] == "ssa"
    assert out["chart"]["schemamodtime"] == "0001-01-01T00:00:00Z"
    assert out["chart"]["metadata"]["keywords"] == ["a"]
    assert out["chart"]["templates"][0] == {"name": "templates/cm.yaml", "data": "YQ==", "modtime": "x"}
    assert out["hooks"][0]["weight"] == 5 and out["hooks"][0]["events"] == ["pre-delete"]
    assert out["info"]["status"] == "superseded"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2026-08-13T10:46:03.123456789+02:00",
            datetime(2026, 8, 13, 10, 46, 3, 123456, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2026-08-13T10:46:03Z", datetime(2026, 8, 13, 10, 46, 3, tzinfo=UTC)),
        (
            "2026-08-13T10:46:03.5-05:30",
            datetime(2026, 8, 13, 10, 46, 3, 500000, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("", None),
        (None, None),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_time_format_go_style() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)) == ("2026-01-02T03:04:05.12Z")
    tz = timezone(timedelta(hours=-7))
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=tz)) == "2026-01-02T03:04:05-07:00"
    with pytest.raises(ValueError, match="offset"):
        format_time(datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        parse_time("2026-01-02T03:04:05")  # naive: helm would skip such a record


@pytest.mark.parametrize(
    "bad",
    [
        "!!!not base64!!!",
        base64.b64encode(b"\x1f\x8b\x08garbage").decode(),
        base64.b64encode(b"not json").decode(),
        _helm_s({"name": "x", "version": 1}),  # no info: helm would crash on it
        _helm_s([1, 2]),
        _helm_s({"name": "x", "version": 0, "info": {}}),
        _helm_s({"name": "x", "version": 1, "info": {"status": "bogus"}}),
    ],
)
def test_decode_errors(bad: str) -> None:
    with pytest.raises(DecodeError):
        decode(bad)


def test_statuses() -> None:
    assert [s.value for s in Status] == [
        "unknown", "deployed", "uninstalled", "superseded", "failed", "uninstalling",
        "pending-install", "pending-upgrade", "pending-rollback",
    ]  # fmt: skip
    assert {s for s in Status if s.is_pending} == {
        Status.PENDING_INSTALL, Status.PENDING_UPGRADE, Status.PENDING_ROLLBACK,
    }  # fmt: skip


def test_key_and_labels() -> None:
    rel = sample(labels={"team": "a", "owner": "evil", "status": "x"})
    assert storage_key("demo", 3) == rel.key == "sh.helm.release.v1.demo.v3"
    assert secret_labels(rel, created_at="1700000000") == {
        "team": "a",
        "name": "demo",
        "owner": "helm",
        "status": "deployed",
        "version": "3",
        "createdAt": "1700000000",
    }


@pytest.mark.parametrize("name", ["a", "web-1", "a.b-c", "x" * 53])
def test_valid_release_names(name: str) -> None:
    assert validate_release_name(name) == name


@pytest.mark.parametrize("name", ["", "A", "-a", "a-", "a_b", "x" * 54, "a..b"])
def test_invalid_release_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid release name"):
        validate_release_name(name)


def test_redaction_in_stored_config() -> None:
    rel = sample(
        config={
            "proxmox": {
                "url": "https://pve:8006",
                "token": "SECRET",
                "secret": {"name": "pve", "tokenSecret": "SECRET2"},
            }
        }
    )
    stored = gzip.decompress(base64.b64decode(encode(rel))).decode()
    assert "SECRET" not in stored
    out = decode(encode(rel)).config
    assert out == {"proxmox": {"url": "https://pve:8006", "secret": {"name": "pve"}}}
    assert rel.config["proxmox"]["token"] == "SECRET"  # in-memory values untouched


def test_register_secret_path_wildcard() -> None:
    before = list(SECRET_PATHS)
    try:
        register_secret_path("pools", "*", "apiKey")
        out = redact_secrets({"pools": {"a": {"apiKey": "k", "n": 1}, "b": {"n": 2}}})
        assert out == {"pools": {"a": {"n": 1}, "b": {"n": 2}}}
        with pytest.raises(ValueError):
            register_secret_path()
    finally:
        SECRET_PATHS[:] = before


def test_ownership() -> None:
    labels, annotations = helm_ownership("demo", "ns1")
    assert labels == {"app.kubernetes.io/managed-by": "Helm"}
    assert annotations == {
        "meta.helm.sh/release-name": "demo",
        "meta.helm.sh/release-namespace": "ns1",
    }
    obj = {"kind": "X", "metadata": {"name": "a", "labels": {"k": "v"}}}
    stamped = stamp_ownership(obj, "demo", "ns1")
    assert stamped["metadata"]["labels"] == {"k": "v", "app.kubernetes.io/managed-by": "Helm"}
    assert "labels" in obj["metadata"] and "annotations" not in obj["metadata"]  # not mutated
    assert ownership_problems(stamped, "demo", "ns1") == []
    problems = ownership_problems(stamped, "other", "ns1")
    assert len(problems) == 1 and 'must equal "other"' in problems[0]
    assert len(ownership_problems(obj, "demo", "ns1")) == 3


def test_manifest_build_and_split() -> None:
    text = build_manifest(
        [
            ("c/templates/a.yaml", {"apiVersion": "v1", "kind": "ConfigMap"}),
            ("c/templates/b.yaml", "apiVersion: v1\nkind: Secret\n"),
        ]
    )
    assert text.startswith("---\n# Source: c/templates/a.yaml\n")
    assert "\n---\n# Source: c/templates/b.yaml\n" in text
    assert [d["kind"] for d in split_manifest(text)] == ["ConfigMap", "Secret"]


def test_latest_per_release() -> None:
    rels = [
        sample(version=1),
        sample(version=3),
        sample(version=2),
        sample(name="other", version=1),
        sample(namespace="ns2", version=1),
    ]
    out = latest_per_release(rels)
    assert [(r.name, r.namespace, r.version) for r in out] == [
        ("demo", "ns1", 3), ("demo", "ns2", 1), ("other", "ns1", 1),
    ]  # fmt: skip


def test_helm_v4_shaped_record() -> None:
    """v4 omits zero times and adds apply_method / chart modtimes; both must read and survive."""
    rec = {
        "name": "v4rel",
        "info": {
            "first_deployed": "2026-08-20T10:00:00.5+02:00",
            "last_deployed": "2026-08-20T10:00:00.5+02:00",
            "description": "Install complete",
            "status": "pending-install",
        },
        "chart": {
            "metadata": {"name": "c", "version": "1.0.0", "apiVersion": "v2"},
            "lock": None,
            "templates": None,
            "values": None,
            "schema": None,
            "files": None,
            "schemamodtime": "0001-01-01T00:00:00Z",
        },
        "hooks": [{"name": "h", "events": ["post-install"], "last_run": {"phase": ""}}],
        "version": 1,
        "namespace": "n",
        "apply_method": "ssa",
    }
    r = decode(_helm_s(rec))
    assert r.status is Status.PENDING_INSTALL and r.status.is_pending
    assert r.info.deleted is None and r.hooks[0].last_run.started_at is None
    assert r.chart is not None and r.chart.values == {} and r.chart.templates == []
    out = r.to_helm()
    assert out["apply_method"] == "ssa" and out["chart"]["schemamodtime"] == "0001-01-01T00:00:00Z"
    assert out["info"]["first_deployed"] == "2026-08-20T10:00:00.5+02:00"
    assert out["hooks"][0]["last_run"] == {"started_at": "", "completed_at": "", "phase": ""}
