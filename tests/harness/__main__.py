"""``python -m tests.harness``: start the test control plane by hand, until Ctrl-C.

Prints the kubeconfig path, an ``export KUBECONFIG=...`` line, the PIDs of etcd and
kube-apiserver, and finally ``READY`` (the cleanup smoke test waits for that line).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.harness.cluster import GENERATIONS, ControlPlane


def main(argv: list[str] | None = None) -> int:
    """Run one control plane in the foreground; stop it cleanly on SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.harness", description=__doc__)
    parser.add_argument("--generation", choices=GENERATIONS, default="current")
    parser.add_argument("--namespace", default="harness-test")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    plane = ControlPlane(generation=args.generation, namespace=args.namespace)
    try:
        plane.start()
    except KeyboardInterrupt:
        print("interrupted while starting; stopped", file=sys.stderr)
        return 130
    try:
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        print(f"generation: {plane.generation}")
        print(f"server: {plane.server}")
        print(f"namespace: {plane.namespace}")
        print(f"kubeconfig: {plane.kubeconfig}")
        print(f"apiserver log: {plane.log_path}")
        print("pids: " + " ".join(f"{k}={v}" for k, v in plane.pids.items()))
        print(f"ready in {plane.timings['ready']:.1f}s; stop with Ctrl-C")
        print(f"export KUBECONFIG={plane.kubeconfig}")
        print("READY", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        plane.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
