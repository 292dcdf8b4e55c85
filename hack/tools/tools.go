//go:build tools

// Package tools pins the binaries the test harness builds (kube-apiserver,
// etcd, helm). Nothing imports this package; it only exists so that go.mod
// records exact versions and go.sum records their checksums.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
