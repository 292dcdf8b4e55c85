"""Where the Cluster API kubeadm bootstrap provider runs by default (clusterctl's layout); light to
import, because the CLI parser shows these as flag defaults."""

BOOTSTRAP_NAMESPACE = "capi-kubeadm-bootstrap-system"
BOOTSTRAP_SERVICE_ACCOUNT = "capi-kubeadm-bootstrap-manager"
