"""Defaults of the preflight settings: where the Cluster API kubeadm bootstrap provider runs by
default (clusterctl's layout) and how long one Proxmox API request may take. Light to import,
because the CLI parser shows these as flag defaults."""

BOOTSTRAP_NAMESPACE = "capi-kubeadm-bootstrap-system"
BOOTSTRAP_SERVICE_ACCOUNT = "capi-kubeadm-bootstrap-manager"
PROXMOX_TIMEOUT = 10.0  # seconds per Proxmox API request
