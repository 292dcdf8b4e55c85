"""``secret create`` through the real CLI against the harness API server (and the Proxmox simulator)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tests.harness.cluster import ControlPlane
from tests.proxmox.conftest import token_of
from tests.proxmox_sim import PVESimulator
from tests.rendering import cli

pytestmark = pytest.mark.integration

SECRET = "6f1b9a52-3c4d-4e8f-9a0b-1c2d3e4f5a6b"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROXMOX_") and k != "KUBECONFIG"}
    return {**base, **extra}


def read_secret(plane: ControlPlane, namespace: str, name: str) -> dict[str, object]:
    obj = plane.client.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
    assert isinstance(obj, dict)
    return obj


def decoded(obj: dict[str, object]) -> dict[str, str]:
    data = obj["data"]
    assert isinstance(data, dict)
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def test_round_trip_strips_api2_json(mgmt_cluster: ControlPlane, namespace: str) -> None:
    result = cli(
        "secret", "create", "pve-creds", "-n", namespace, "--cluster-name", "demo",
        "--kubeconfig", str(mgmt_cluster.kubeconfig),
        env=env(PROXMOX_URL="https://pve.example:8006/api2/json/", PROXMOX_TOKEN="capmox@pve!capi",
                PROXMOX_SECRET=SECRET),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "note: removed '/api2/json' from the Proxmox URL: CAPMOX appends it itself and would otherwise call "
        "/api2/json/api2/json/... (HTTP 501)\n"
        "note: no insecure/root_ca keys written: CAPMOX will not verify Proxmox's certificate; pass --proxmox-ca-file "
        "to make it verify\n"
    )
    assert result.stdout == (
        f"secret/pve-creds created in namespace {namespace} (keys url, token, secret; "
        "cluster.x-k8s.io/cluster-name=demo)\n"
    )
    obj = read_secret(mgmt_cluster, namespace, "pve-creds")
    assert obj["type"] == "Opaque"
    meta = obj["metadata"]
    assert isinstance(meta, dict)
    assert meta["labels"] == {"cluster.x-k8s.io/cluster-name": "demo"}
    assert decoded(obj) == {"url": "https://pve.example:8006", "token": "capmox@pve!capi", "secret": SECRET}


def test_update_from_stdin_and_flags(mgmt_cluster: ControlPlane, namespace: str) -> None:
    kc = ["--kubeconfig", str(mgmt_cluster.kubeconfig)]
    first = cli(
        "secret",
        "create",
        "pve",
        "-n",
        namespace,
        "--cluster-name",
        "a",
        *kc,
        env=env(PROXMOX_URL="https://pve1:8006", PROXMOX_TOKEN="capmox@pve!capi", PROXMOX_SECRET=SECRET),
    )
    assert first.returncode == 0, first.stderr
    newer = "11111111-2222-4333-8444-555555555555"
    second = cli(
        "secret", "create", "pve", "-n", namespace, "--cluster-name", "b", *kc,
        "--url", "pve2.example", "--token-id", "other@pam!ci", "--secret-file", "-",
        stdin=newer + "\n", env=env(PROXMOX_SECRET=SECRET),
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"secret/pve configured in namespace {namespace} ")
    assert second.stderr == (
        "note: no scheme in 'pve2.example'; assuming https://\nnote: no port in the URL; using 8006, the Proxmox "
        "API port\n"
        "note: no insecure/root_ca keys written: CAPMOX will not verify Proxmox's certificate; pass --proxmox-ca-file "
        "to make it verify\n"
    )
    obj = read_secret(mgmt_cluster, namespace, "pve")
    assert decoded(obj) == {"url": "https://pve2.example:8006", "token": "other@pam!ci", "secret": newer}
    meta = obj["metadata"]
    assert isinstance(meta, dict)
    assert meta["labels"] == {"cluster.x-k8s.io/cluster-name": "b"}


def test_secret_file(mgmt_cluster: ControlPlane, namespace: str, tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    result = cli("secret", "create", "pve", "-n", namespace, "--cluster-name", "demo",
                 "--kubeconfig", str(mgmt_cluster.kubeconfig), "--secret-file", str(path),
                 env=env(PROXMOX_URL="https://pve:8006", PROXMOX_TOKEN="capmox@pve!capi"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert decoded(read_secret(mgmt_cluster, namespace, "pve"))["secret"] == SECRET


@pytest.mark.parametrize(
    ("extra_env", "args", "message"),
    [
        (
            {"PROXMOX_TOKEN": "capmox@pve!capi", "PROXMOX_SECRET": SECRET},
            [],
            "error: no Proxmox URL: pass --url or set PROXMOX_URL\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": "capmox@pve!capi"},
            [],
            "error: no token secret: set PROXMOX_SECRET or pass --secret-file FILE (or - for stdin); it is never "
            "taken from a flag\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": f"capmox@pve!capi={SECRET}", "PROXMOX_SECRET": "x"},
            [],
            # the secret pasted into the token id: said, but never echoed
            "error: the API token id (--token-id or PROXMOX_TOKEN) is not of the form user@realm!tokenname (e.g. "
            "capmox@pve!capi); it contains '=': keep only the part before '=' and put the secret in PROXMOX_SECRET "
            "(the value is not shown in case it holds the secret)\n",
        ),
        (
            {"PROXMOX_URL": "http://pve:8006", "PROXMOX_TOKEN": "capmox@pve!capi", "PROXMOX_SECRET": SECRET},
            [],
            "error: the Proxmox URL 'http://pve:8006' uses http://; the Proxmox API is only served over https (e.g. "
            "https://pve.example:8006)\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": "capmox", "PROXMOX_SECRET": SECRET},
            [],
            "error: the API token id (--token-id or PROXMOX_TOKEN) is not of the form user@realm!tokenname (e.g. "
            "capmox@pve!capi) (the value is not shown in case it holds the secret)\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": f"capmox@pve!capi:{SECRET}", "PROXMOX_SECRET": "x"},
            [],
            # a Proxmox Backup Server style token: told that PVE uses '=', never echoed
            "error: the API token id (--token-id or PROXMOX_TOKEN) is not of the form user@realm!tokenname (e.g. "
            "capmox@pve!capi); it looks like a Proxmox Backup Server token (user@realm!token:secret): Proxmox VE "
            "separates the secret with '=', and the secret goes in its own key/field (the value is not shown in case "
            "it holds the secret)\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": "capmox@pve!capi", "PROXMOX_SECRET": SECRET},
            ["--proxmox-ca-file", "/etc/hostname", "--insecure-skip-tls-verify"],
            "error: --proxmox-ca-file and --insecure-skip-tls-verify exclude each other\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": "capmox@pve!capi", "PROXMOX_SECRET": SECRET},
            ["--proxmox-ca-file", "/etc/hostname"],
            "error: --proxmox-ca-file /etc/hostname holds no PEM certificate\n",
        ),
        (
            {"PROXMOX_URL": "https://pve:8006", "PROXMOX_TOKEN": "capmox@pve!capi"},
            ["--secret-file", SECRET],
            "error: cannot read the file given with --secret-file: No such file or directory\n",
        ),
    ],
)
def test_bad_input_is_one_clear_line(extra_env: dict[str, str], args: list[str], message: str) -> None:
    # No server is needed: input is validated before connecting (the kubeconfig does not even exist).
    result = cli("secret", "create", "pve", "--cluster-name", "demo", "--kubeconfig", "/nonexistent", *args,
                 env=env(**extra_env))  # fmt: skip
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert result.stderr == message


def test_secret_flag_is_refused_without_echo() -> None:
    result = cli("secret", "create", "pve", "--cluster-name", "demo", "--secret", SECRET, env=env())
    assert result.returncode == 2
    assert SECRET not in result.stderr
    assert result.stderr.endswith(
        "error: --secret is not accepted: a secret on the command line stays in shell history; set PROXMOX_SECRET "
        "or use --secret-file FILE (or - for stdin)\n"
    )


def test_verify_against_proxmox(mgmt_cluster: ControlPlane, namespace: str, pve_sim: PVESimulator) -> None:
    kc = str(mgmt_cluster.kubeconfig)
    base = ["secret", "create", "pve", "-n", namespace, "--cluster-name", "demo",
            "--kubeconfig", kc, "--verify", "--proxmox-ca-file", str(pve_sim.ca_path)]  # fmt: skip
    good = cli(*base, env=env(PROXMOX_URL=pve_sim.url, PROXMOX_TOKEN="capmox@pve!capi",
                              PROXMOX_SECRET=token_of(pve_sim)))  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert good.stderr == f"verified: Proxmox VE 9.2.11 at {pve_sim.url} accepts token capmox@pve!capi\n"
    bad = cli(*base, env=env(PROXMOX_URL=pve_sim.url, PROXMOX_TOKEN="capmox@pve!capi", PROXMOX_SECRET=SECRET))
    assert bad.returncode == 1
    assert bad.stderr == (
        f"error: --verify: Proxmox at {pve_sim.url} rejected API token capmox@pve!capi (401 Authentication "
        "failed!). The token id or secret is wrong, or the user or token is disabled or expired; check both under "
        "Datacenter > Permissions > API Tokens\n"
    )
    # A failed verification writes nothing: the Secret keeps the verified secret.
    assert decoded(read_secret(mgmt_cluster, namespace, "pve"))["secret"] == token_of(pve_sim)


def test_proxmox_timeout_must_be_seconds() -> None:
    result = cli("secret", "create", "pve", "--cluster-name", "demo", "--proxmox-timeout", "soon", env=env())
    assert result.returncode == 2
    assert result.stderr.endswith("error: argument --proxmox-timeout: 'soon' is not a number of seconds\n")


def test_tls_keys_as_capmox_reads_them(mgmt_cluster: ControlPlane, namespace: str, pve_sim: PVESimulator) -> None:
    """Item 5: --proxmox-ca-file writes root_ca and insecure "false" (CAPMOX then verifies);
    --insecure-skip-tls-verify writes insecure "true"; neither writes no TLS key (CAPMOX does not verify)."""
    kc = ["--kubeconfig", str(mgmt_cluster.kubeconfig)]
    creds = env(PROXMOX_URL=pve_sim.url, PROXMOX_TOKEN="capmox@pve!capi", PROXMOX_SECRET=token_of(pve_sim))
    base = ["secret", "create", "pve", "-n", namespace, "--cluster-name", "demo", *kc]
    verified = cli(*base, "--verify", "--proxmox-ca-file", str(pve_sim.ca_path), "--proxmox-timeout", "3", env=creds)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout == (
        f"secret/pve created in namespace {namespace} (keys url, token, secret, insecure, root_ca; "
        "cluster.x-k8s.io/cluster-name=demo)\n"
    )
    data = decoded(read_secret(mgmt_cluster, namespace, "pve"))
    assert data["insecure"] == "false"
    assert data["root_ca"] == pve_sim.ca_path.read_text().strip() + "\n"
    loose = cli(*base, "--insecure-skip-tls-verify", env=creds)
    assert loose.returncode == 0, loose.stderr
    data = decoded(read_secret(mgmt_cluster, namespace, "pve"))
    assert data["insecure"] == "true" and "root_ca" not in data
    plain = cli(*base, env=creds)  # back to CAPMOX's default: no TLS key may linger
    assert plain.returncode == 0, plain.stderr
    assert set(decoded(read_secret(mgmt_cluster, namespace, "pve"))) == {"url", "token", "secret"}
