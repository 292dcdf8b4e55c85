"""capi-kamaji-proxmox: Kubernetes clusters on Proxmox VE through Cluster API, control planes by Kamaji."""

__version__ = "0.1.0"
