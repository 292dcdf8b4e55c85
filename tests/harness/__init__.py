"""Test harness: a real kube-apiserver + etcd (built from pinned Go modules) and helm."""
