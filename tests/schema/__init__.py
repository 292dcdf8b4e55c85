"""Offline CRD admission emulation for tests (schema, defaults, pruning, CEL)."""
