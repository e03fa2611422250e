"""Spec loading: YAML files -> validated `Desired` (no API calls)."""
