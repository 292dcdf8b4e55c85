"""Defaults of the verbs' flags, importable without the Kubernetes client (the CLI parser needs them)."""

DEFAULT_TIMEOUT = 300.0  # seconds: --timeout for --wait and uninstall
DEFAULT_HISTORY_MAX = 10  # revisions kept, as helm's --history-max
