"""Preflight (``doctor``): check the management cluster and Proxmox VE before anything is applied.

``run.run_preflight`` is the entry point ``doctor``, ``install`` and ``upgrade`` share.
"""
